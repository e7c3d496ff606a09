// MSRP URIs (RFC 4975 §6, ABNF in §9):
//   MSRP-URI = msrp-scheme "://" authority ["/" session-id] ";" transport *( ";" URI-parameter )
//   msrp-scheme = "msrp" / "msrps"
// and the To-Path / From-Path values built from them (one or more URIs separated by SP).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace msf::msrp {

inline constexpr uint16_t kDefaultPort = 2855;  // RFC 4975 §15.4 (IANA)

struct Uri {
    bool secure = false;         // msrps: TLS on the hop to this URI (RFC 4975 §6)
    std::string host;            // as written, IPv6 without the brackets
    std::optional<uint16_t> port;
    std::string session_id;      // empty when absent
    std::string transport;       // "tcp" for every URI this relay handles
};

// Parses one URI; nullopt with `error` set when it does not follow the ABNF.
std::optional<Uri> parse_uri(std::string_view text, std::string* error = nullptr);

// Writes the URI in its canonical form (lower-case scheme, host in brackets when IPv6).
std::string format_uri(const Uri& uri);

// RFC 4975 §6.1: scheme, host and transport compare case-insensitively, the session-id
// case-sensitively, and a port present in either URI must be present and equal in both.
// Userinfo and URI parameters do not take part in the comparison here.
bool same_uri(const Uri& a, const Uri& b);

// A path header value names this one URI, and nothing else (this relay is the only hop
// between the two endpoints, so each path has exactly one entry). `expected_text`, when given,
// is the URI as written: a value equal to it byte for byte matches without parsing.
bool path_is(std::string_view path_value, const Uri& expected, std::string_view expected_text = {});

}  // namespace msf::msrp
