// SIP messages (RFC 3261 §7) as msf-pcscf builds and reads them: a start line, header fields in
// order, a body. msf-pcscf runs the UE side and the P-CSCF side in one process, so no SIP
// transport is involved, but every REGISTER, INVITE, BYE and response is real text that one side
// formats and the other parses with this code: what the P-CSCF decides, it decides from the text.
//
// Parsing is strict where a wrong message would mislead the P-CSCF and bounded everywhere:
// - start line: "Method SP Request-URI SP SIP/2.0" (§7.1) or "SIP/2.0 SP Code SP Reason" (§7.2),
//   single spaces, code 100..699, Method a token (§25.1);
// - header fields "name: value", name a token, value trimmed, continuation lines (leading SP or
//   HT) joined with one space (§7.3.1); compact forms (§7.3.3) are read as their long names;
// - CRLF or LF line endings; no control characters but HT in the header part;
// - Content-Length, when present, must equal the body's length (it is always present when
//   this code formats a message);
// - requests need Via, From, To, Call-ID, CSeq and Max-Forwards (§8.1.1), responses Via, From,
//   To, Call-ID and CSeq (§8.2.6.2); CSeq is "number method" with number < 2^31 (§8.1.1.5), and
//   a request's CSeq method is its Method.
// Limits: kMaxSipMessageLen bytes, kMaxSipHeaders fields, kMaxSipLineLen bytes per line.
//
// Errors are values (keying::Expected, the error type of the keying library msf-pcscf builds on):
// the message says what was wrong, "SIP: header line 3 has no ':'".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/keying/expected.hpp"

namespace msf::pcscf {

inline constexpr size_t kMaxSipMessageLen = 65536;
inline constexpr size_t kMaxSipHeaders = 128;
inline constexpr size_t kMaxSipLineLen = 8192;

struct SipHeader {
    std::string name;   // as written (the long form after parsing)
    std::string value;  // trimmed, continuation lines joined
};

// CSeq (§20.16): sequence number and method.
struct CSeq {
    uint32_t number = 0;
    std::string method;
};

class SipMessage {
public:
    static SipMessage request(std::string method, std::string request_uri);
    static SipMessage response(uint16_t status_code, std::string reason_phrase);
    static keying::Expected<SipMessage> parse(std::string_view text);

    bool is_request() const { return status_code_ == 0; }
    const std::string& method() const { return method_; }            // requests
    const std::string& request_uri() const { return request_uri_; }  // requests
    uint16_t status_code() const { return status_code_; }            // responses
    const std::string& reason_phrase() const { return reason_; }     // responses

    // Appends a header field. Content-Length is not added this way: to_string() writes it.
    SipMessage& add_header(std::string_view name, std::string_view value);
    // The first field of that name (case-insensitive, compact forms too), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const;
    // Every field of that name, in order.
    std::vector<std::string_view> headers(std::string_view name) const;
    const std::vector<SipHeader>& all_headers() const { return headers_; }

    // Sets Content-Type (replacing one already there) and the body.
    SipMessage& set_body(std::string_view content_type, std::string body);
    const std::string& body() const { return body_; }

    // Call-ID and CSeq of a message that parsed (they are checked there).
    std::string_view call_id() const;
    CSeq cseq() const;

    // The message as text, CRLF line endings, Content-Length last among the header fields.
    std::string to_string() const;

private:
    std::string method_;
    std::string request_uri_;
    uint16_t status_code_ = 0;
    std::string reason_;
    std::vector<SipHeader> headers_;
    std::string body_;
};

// The long name of a compact form ("i" -> "Call-ID"), or the name unchanged (§7.3.3).
std::string_view expand_compact_name(std::string_view name);

// The value of a ";name=value" parameter of a header field value (From/To tag, Via branch):
// parameters after the name-addr's '>' if there is one, else after the first ';'. Names compare
// case-insensitively; a parameter without "=value" gives "". nullopt when absent.
std::optional<std::string> header_parameter(std::string_view value, std::string_view name);

// "CSeq: 314159 INVITE" (§20.16) as numbers and method; fails on anything else.
keying::Expected<CSeq> parse_cseq(std::string_view value);

// "<uri>": a name-addr without display name (RFC 3261 §25.1), for From, To and Contact.
std::string name_addr(std::string_view uri);

// The SIP reason phrase of the status codes this project sends (RFC 3261 §21), or "Unknown".
std::string_view reason_phrase_for(uint16_t status_code);

}  // namespace msf::pcscf
