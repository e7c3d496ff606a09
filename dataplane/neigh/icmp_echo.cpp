#include "dataplane/neigh/icmp_echo.hpp"

#include <cstring>

#include "dataplane/neigh/ndisc.hpp"
#include "dataplane/net/byte_order.hpp"
#include "dataplane/net/checksum.hpp"

namespace msf::neigh {

Parsed<std::span<const uint8_t>> parse_icmp4_echo_request(std::span<const uint8_t> message) {
    using P = Parsed<std::span<const uint8_t>>;
    if (message.empty()) return P::malformed("ICMP message empty");
    if (message[0] != kIcmpEchoRequest) return P::ignored("ICMP type is not echo request");
    if (message.size() < kIcmpEchoHeaderLen) return P::malformed("ICMP echo shorter than 8 bytes");
    if (message[1] != 0) return P::malformed("ICMP echo code is not 0");
    // RFC 792: the checksum covers the whole ICMP message.
    if (net::checksum_fold(net::checksum_add(0, message.data(), message.size())) != 0xffff)
        return P::malformed("ICMP checksum wrong");
    return P::of(message);
}

Parsed<std::span<const uint8_t>> parse_icmp6_echo_request(const net::IpAddr& src,
                                                          const net::IpAddr& dst,
                                                          std::span<const uint8_t> message) {
    using P = Parsed<std::span<const uint8_t>>;
    if (message.empty()) return P::malformed("ICMPv6 message empty");
    if (message[0] != kIcmpv6EchoRequest) return P::ignored("ICMPv6 type is not echo request");
    if (message.size() < kIcmpEchoHeaderLen)
        return P::malformed("ICMPv6 echo shorter than 8 bytes");
    if (message[1] != 0) return P::malformed("ICMPv6 echo code is not 0");
    if (!icmpv6_checksum_ok(src, dst, message)) return P::malformed("ICMPv6 checksum wrong");
    return P::of(message);
}

void write_icmp4_echo_reply(uint8_t* out, std::span<const uint8_t> request) {
    std::memmove(out, request.data(), request.size());
    out[0] = kIcmpEchoReply;
    net::store_be16(out + 2, 0);
    net::store_be16(out + 2, net::internet_checksum(out, request.size()));
}

void write_icmp6_echo_reply(uint8_t* out, const net::IpAddr& src, const net::IpAddr& dst,
                            std::span<const uint8_t> request) {
    std::memmove(out, request.data(), request.size());
    out[0] = kIcmpv6EchoReply;
    net::store_be16(out + 2, 0);
    net::store_be16(out + 2,
                    icmpv6_checksum(src, dst, std::span<const uint8_t>(out, request.size())));
}

}  // namespace msf::neigh
