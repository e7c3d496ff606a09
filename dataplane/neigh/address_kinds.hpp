// Classes of IP and MAC addresses the neighbour code must tell apart, and the multicast mappings
// ARP and ND are built on. Header-only: resolve() calls these from worker threads.
#pragma once

#include <cstdint>
#include <optional>

#include "dataplane/net/addr.hpp"

namespace msf::neigh {

inline constexpr net::MacAddr kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

// IEEE 802: the I/G bit (least significant bit of the first octet) marks group addresses.
inline bool is_unicast_mac(const net::MacAddr& mac) {
    return (mac.bytes[0] & 1) == 0 && !mac.is_zero();
}

inline bool is_multicast_ip(const net::IpAddr& ip) {
    if (ip.is_v4()) return (ip.bytes[0] & 0xf0) == 0xe0;  // 224.0.0.0/4, RFC 5771
    if (ip.is_v6()) return ip.bytes[0] == 0xff;           // ff00::/8, RFC 4291 §2.7
    return false;
}

inline bool is_unspecified_ip(const net::IpAddr& ip) {
    for (size_t i = 0; i < ip.size(); ++i)
        if (ip.bytes[i] != 0) return false;
    return !ip.empty();
}

inline bool is_ipv4_limited_broadcast(const net::IpAddr& ip) {
    return ip.is_v4() && ip.bytes[0] == 0xff && ip.bytes[1] == 0xff && ip.bytes[2] == 0xff &&
           ip.bytes[3] == 0xff;
}

// fe80::/10, RFC 4291 §2.5.6: never routed, so always resolved on the link itself.
inline bool is_ipv6_link_local(const net::IpAddr& ip) {
    return ip.is_v6() && ip.bytes[0] == 0xfe && (ip.bytes[1] & 0xc0) == 0x80;
}

// The next hop toward `dst`: the side's gateway of dst's family when one is configured, else dst
// itself (on the link). IPv6 link-local destinations are always on the link.
inline const net::IpAddr& next_hop_of(const std::optional<net::IpAddr>& gateway4,
                                      const std::optional<net::IpAddr>& gateway6, const net::IpAddr& dst) {
    if (dst.is_v4() && gateway4) return *gateway4;
    if (dst.is_v6() && gateway6 && !is_ipv6_link_local(dst)) return *gateway6;
    return dst;
}

// 127.0.0.0/8 and ::1: never on a link.
inline bool is_loopback_ip(const net::IpAddr& ip) {
    if (ip.is_v4()) return ip.bytes[0] == 127;
    if (ip.is_v6()) {
        for (size_t i = 0; i < 15; ++i)
            if (ip.bytes[i] != 0) return false;
        return ip.bytes[15] == 1;
    }
    return false;
}

// An address a reply may be sent to: unicast, specified, not loopback, not broadcast.
inline bool is_unicast_ip(const net::IpAddr& ip) {
    return !ip.empty() && !is_multicast_ip(ip) && !is_unspecified_ip(ip) && !is_loopback_ip(ip) &&
           !is_ipv4_limited_broadcast(ip);
}

// RFC 4291 §2.7.1: ff02::1:ffXX:XXXX, the low 24 bits taken from `target`.
inline net::IpAddr solicited_node_address(const net::IpAddr& target) {
    net::IpAddr a;
    a.family = net::Family::ipv6;
    a.bytes = {0xff,
               0x02,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0x01,
               0xff,
               target.bytes[13],
               target.bytes[14],
               target.bytes[15]};
    return a;
}

inline bool is_solicited_node_address(const net::IpAddr& ip) {
    return ip.is_v6() && ip == solicited_node_address(ip);
}

// RFC 4291 §2.7.1: ff02::1, all nodes on the link.
inline net::IpAddr all_nodes_address() {
    net::IpAddr a;
    a.family = net::Family::ipv6;
    a.bytes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
    return a;
}

// The Ethernet group address an IP multicast address maps to: RFC 2464 §7 for IPv6
// (33:33 + the low 32 bits), RFC 1112 §6.4 for IPv4 (01:00:5e + the low 23 bits). `ip` must be
// multicast.
inline net::MacAddr multicast_mac(const net::IpAddr& ip) {
    if (ip.is_v6())
        return net::MacAddr{{0x33, 0x33, ip.bytes[12], ip.bytes[13], ip.bytes[14], ip.bytes[15]}};
    return net::MacAddr{
        {0x01, 0x00, 0x5e, static_cast<uint8_t>(ip.bytes[1] & 0x7f), ip.bytes[2], ip.bytes[3]}};
}

}  // namespace msf::neigh
