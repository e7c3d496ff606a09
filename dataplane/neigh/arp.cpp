#include "dataplane/neigh/arp.hpp"

#include <cstring>

#include "dataplane/neigh/address_kinds.hpp"
#include "dataplane/net/byte_order.hpp"

namespace msf::neigh {

namespace {

constexpr uint16_t kHardwareEthernet = 1;
constexpr uint16_t kProtocolIpv4 = 0x0800;

}  // namespace

Parsed<ArpMessage> parse_arp(std::span<const uint8_t> bytes) {
    using P = Parsed<ArpMessage>;
    if (bytes.size() < kArpMessageLen) return P::malformed("ARP message shorter than 28 bytes");
    const uint8_t* p = bytes.data();
    if (net::load_be16(p) != kHardwareEthernet)
        return P::ignored("ARP hardware type is not Ethernet");
    if (net::load_be16(p + 2) != kProtocolIpv4) return P::ignored("ARP protocol type is not IPv4");
    if (p[4] != 6 || p[5] != 4) return P::malformed("ARP address lengths are not 6 and 4");
    const uint16_t op = net::load_be16(p + 6);
    if (op != static_cast<uint16_t>(ArpOp::request) && op != static_cast<uint16_t>(ArpOp::reply))
        return P::ignored("ARP opcode is neither request nor reply");

    ArpMessage m;
    m.op = static_cast<ArpOp>(op);
    std::memcpy(m.sender_mac.bytes.data(), p + 8, 6);
    m.sender_ip = net::IpAddr::v4(p + 14);
    std::memcpy(m.target_mac.bytes.data(), p + 18, 6);
    m.target_ip = net::IpAddr::v4(p + 24);
    if (!is_unicast_mac(m.sender_mac))
        return P::malformed("ARP sender hardware address is not unicast");
    // 0.0.0.0 is allowed: an RFC 5227 §2.1.1 probe.
    if (is_multicast_ip(m.sender_ip) || is_ipv4_limited_broadcast(m.sender_ip))
        return P::malformed("ARP sender protocol address is a group address");
    return P::of(m);
}

void write_arp(uint8_t* out, const ArpMessage& msg) {
    net::store_be16(out, kHardwareEthernet);
    net::store_be16(out + 2, kProtocolIpv4);
    out[4] = 6;
    out[5] = 4;
    net::store_be16(out + 6, static_cast<uint16_t>(msg.op));
    std::memcpy(out + 8, msg.sender_mac.bytes.data(), 6);
    std::memcpy(out + 14, msg.sender_ip.bytes.data(), 4);
    std::memcpy(out + 18, msg.target_mac.bytes.data(), 6);
    std::memcpy(out + 24, msg.target_ip.bytes.data(), 4);
}

}  // namespace msf::neigh
