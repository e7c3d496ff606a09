// ICMP echo (RFC 792) and ICMPv6 echo (RFC 4443 §4.1, §4.2): checking a request and turning it
// into its reply. The identifier, sequence number and data come back unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/neigh/verdict.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::neigh {

inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr size_t kIcmpEchoHeaderLen = 8;  // type, code, checksum, identifier, sequence

// `message` is the whole ICMP message as long as the IP header says. Other ICMP types are
// ignored; a short message, a non-zero code or a wrong checksum is malformed. The value is
// `message` itself.
Parsed<std::span<const uint8_t>> parse_icmp4_echo_request(std::span<const uint8_t> message);
Parsed<std::span<const uint8_t>> parse_icmp6_echo_request(const net::IpAddr& src,
                                                          const net::IpAddr& dst,
                                                          std::span<const uint8_t> message);

// Write request.size() bytes at `out`: the request with the reply type and a new checksum (for
// ICMPv6, for the reply's source `src` and destination `dst`).
void write_icmp4_echo_reply(uint8_t* out, std::span<const uint8_t> request);
void write_icmp6_echo_reply(uint8_t* out, const net::IpAddr& src, const net::IpAddr& dst,
                            std::span<const uint8_t> request);

}  // namespace msf::neigh
