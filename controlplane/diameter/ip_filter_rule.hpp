// RFC 6733 §4.3.1 IPFilterRule, as TS 29.214 §5.3.8 uses it for Flow-Description:
//
//   action dir proto from src to dst [options]
//   "permit out 17 from 192.0.2.2 49170 to 198.51.100.10 30000"
//   "permit in ip from any to 2001:db8::1/64 5000-5001,6000"
//
// action: permit | deny. dir: in | out. proto: 0..255 or "ip" (any). src and dst: an address
// ("any", "assigned", IPv4 or IPv6, with an optional "/bits" mask, optionally preceded by "!")
// followed by optional ports "{port|port-port}[,...]". Ports are kept whatever the protocol:
// Kamailio writes them after "ip" too. Options (frag, ipoptions spec, tcpoptions spec,
// established, setup, tcpflags spec, icmptypes types) are checked and kept as text, not used.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "controlplane/diameter/error.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::diameter {

enum class FilterAction : uint8_t { permit, deny };
// "in": from the terminal (uplink); "out": to the terminal (downlink) — TS 29.214 §5.3.8.
enum class FilterDirection : uint8_t { in, out };

struct PortRange {
    uint16_t first = 0;
    uint16_t last = 0;  // == first for a single port
    bool operator==(const PortRange&) const = default;
};

// Port lists longer than this are refused: bounded, no allocation per rule.
inline constexpr size_t kMaxFilterPortRanges = 16;
inline constexpr size_t kMaxFilterRuleLength = 1024;

struct FilterEndpoint {
    enum class Kind : uint8_t { any, assigned, address };
    Kind kind = Kind::any;
    bool negated = false;                  // "!": every address but this one
    net::IpAddr address;                   // kind == address
    std::optional<uint8_t> prefix_length;  // "/bits"; nullopt: exactly this address
    std::array<PortRange, kMaxFilterPortRanges> ports{};
    uint8_t port_count = 0;  // 0: any port

    std::span<const PortRange> port_ranges() const { return {ports.data(), port_count}; }
    bool operator==(const FilterEndpoint&) const = default;
};

struct IpFilterRule {
    FilterAction action = FilterAction::permit;
    FilterDirection direction = FilterDirection::out;
    std::optional<uint8_t> protocol;  // nullopt: "ip", any protocol
    FilterEndpoint source;
    FilterEndpoint destination;
    std::string options;  // "frag established", words separated by one space; empty if none

    bool operator==(const IpFilterRule&) const = default;
};

// The rule, or an error (DIAMETER_INVALID_AVP_VALUE) whose message names the word that is wrong.
Decoded<IpFilterRule> parse_ip_filter_rule(std::string_view text);
// The same into `rule`, a default-constructed IpFilterRule (where it is to stay: no copy of the
// rule); nullopt when it parsed. After an error `rule` holds whatever was read before it.
std::optional<Error> parse_ip_filter_rule(std::string_view text, IpFilterRule& rule);

// The canonical text: single spaces, lower-case keywords, addresses as net::IpAddr prints them.
std::string to_string(const IpFilterRule& rule);

}  // namespace msf::diameter
