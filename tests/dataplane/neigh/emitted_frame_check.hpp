// Checks that a frame the neighbour service sent is one it may send: from the side's MAC with
// the side's VLAN tag, padded to 60 bytes with zeros, and an ARP request or reply, an ICMP or
// ICMPv6 echo reply, a Neighbor Solicitation or a Neighbor Advertisement that is well-formed,
// from one of the side's addresses, with right lengths and checksums. Written independently of
// the library's parsers; shared by the unit tests and the fuzz target.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "dataplane/neigh/neighbour_service.hpp"
#include "tests/dataplane/neigh/test_network.hpp"

namespace msf::neigh::test {

namespace emitted_detail {

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

inline bool ours(const SideConfig& side, const net::IpAddr& a) {
    return std::find(side.addresses.begin(), side.addresses.end(), a) != side.addresses.end();
}

inline bool group_mac(const uint8_t* p) { return (p[0] & 1) != 0; }

// Bytes after `end` may only be the zero padding up to 60.
inline std::string check_padding(std::span<const uint8_t> f, size_t end) {
    if (end > f.size()) return "packet longer than the frame";
    if (end < f.size()) {
        if (f.size() != 60) return "bytes after the packet in a frame longer than 60";
        for (size_t i = end; i < f.size(); ++i)
            if (f[i] != 0) return "padding is not zero";
    }
    return {};
}

}  // namespace emitted_detail

// Empty when the frame is fine, else what is wrong with it.
inline std::string check_emitted_frame(const SideConfig& side, std::span<const uint8_t> f) {
    using namespace emitted_detail;
    if (f.size() < 60) return "frame shorter than 60 bytes";
    if (f.size() > NeighbourService::kMaxFrameLen) return "frame longer than the maximum";
    if (std::memcmp(f.data() + 6, side.mac.bytes.data(), 6) != 0)
        return "source MAC is not the side's";
    const uint8_t zero_mac[6] = {};
    if (std::memcmp(f.data(), zero_mac, 6) == 0) return "destination MAC is zero";
    size_t off = 12;
    if (side.has_vlan) {
        if (be16(f.data() + 12) != 0x8100 || be16(f.data() + 14) != side.vlan_tci)
            return "VLAN tag missing or wrong";
        off += 4;
    }
    const uint16_t type = be16(f.data() + off);
    off += 2;
    const uint8_t* p = f.data() + off;
    const size_t room = f.size() - off;

    if (type == 0x0806) {
        if (room < 28) return "ARP truncated";
        if (be16(p) != 1 || be16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4)
            return "ARP fixed fields wrong";
        const uint16_t op = be16(p + 6);
        if (std::memcmp(p + 8, side.mac.bytes.data(), 6) != 0)
            return "ARP sender MAC is not the side's";
        if (!ours(side, net::IpAddr::v4(p + 14))) return "ARP sender IP is not the side's";
        if (op == 2) {
            if (std::memcmp(p + 18, f.data(), 6) != 0)
                return "ARP reply target MAC is not the frame's destination";
            if (group_mac(f.data())) return "ARP reply to a group MAC";
        } else if (op == 1) {
            if (std::memcmp(p + 18, zero_mac, 6) != 0) return "ARP request target MAC not zero";
        } else {
            return "ARP opcode neither request nor reply";
        }
        return check_padding(f, off + 28);
    }
    if (type == 0x0800) {
        if (room < 28) return "IPv4 truncated";
        if (p[0] != 0x45) return "IPv4 version/IHL not 0x45";
        const uint16_t total = be16(p + 2);
        if (total < 28 || total > room) return "IPv4 total length wrong";
        if (plain_checksum(std::span<const uint8_t>(p, 20)) != 0)
            return "IPv4 header checksum wrong";
        if (be16(p + 6) != 0x4000 || p[8] != 64 || p[9] != 1)
            return "IPv4 flags, TTL or protocol wrong";
        if (!ours(side, net::IpAddr::v4(p + 12))) return "IPv4 source is not the side's";
        if (group_mac(f.data())) return "echo reply to a group MAC";
        const uint8_t* icmp = p + 20;
        if (icmp[0] != 0 || icmp[1] != 0) return "ICMP is not an echo reply";
        if (plain_checksum(std::span<const uint8_t>(icmp, total - 20u)) != 0)
            return "ICMP checksum wrong";
        return check_padding(f, off + total);
    }
    if (type == 0x86dd) {
        if (room < 48) return "IPv6 truncated";
        if ((p[0] >> 4) != 6) return "IPv6 version wrong";
        const size_t plen = be16(p + 4);
        if (plen < 8 || 40 + plen > room) return "IPv6 payload length wrong";
        if (p[6] != 58) return "IPv6 next header is not ICMPv6";
        const net::IpAddr src = net::IpAddr::v6(p + 8), dst = net::IpAddr::v6(p + 24);
        if (!ours(side, src)) return "IPv6 source is not the side's";
        const uint8_t* m = p + 40;
        if (plain_icmpv6_checksum(std::span<const uint8_t>(p + 8, 16),
                                  std::span<const uint8_t>(p + 24, 16),
                                  std::span<const uint8_t>(m, plen)) != 0)
            return "ICMPv6 checksum wrong";
        const bool dst_multicast = dst.bytes[0] == 0xff;
        if (dst_multicast) {
            const uint8_t expect[6] = {0x33,          0x33,          dst.bytes[12],
                                       dst.bytes[13], dst.bytes[14], dst.bytes[15]};
            if (std::memcmp(f.data(), expect, 6) != 0)
                return "multicast IPv6 to the wrong MAC (RFC 2464 §7)";
        } else if (group_mac(f.data())) {
            return "unicast IPv6 to a group MAC";
        }
        if (m[1] != 0) return "ICMPv6 code not 0";
        if (m[0] == 129) {
            if (p[7] != 64 || dst_multicast) return "echo reply hop limit or destination wrong";
            return check_padding(f, off + 40 + plen);
        }
        if (m[0] != 135 && m[0] != 136) return "ICMPv6 type neither echo reply, NS nor NA";
        if (p[7] != 255) return "ND hop limit not 255";
        if (plen != 32) return "ND message not 32 bytes";
        const net::IpAddr target = net::IpAddr::v6(m + 8);
        if (m[24] != (m[0] == 135 ? 1 : 2) || m[25] != 1 ||
            std::memcmp(m + 26, side.mac.bytes.data(), 6) != 0)
            return "ND link-layer address option wrong";
        if (m[0] == 135) {
            if (ours(side, target)) return "NS for our own address";
            if (dst_multicast) {
                const uint8_t sn[16] = {0xff,
                                        2,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                        1,
                                        0xff,
                                        target.bytes[13],
                                        target.bytes[14],
                                        target.bytes[15]};
                if (std::memcmp(dst.bytes.data(), sn, 16) != 0)
                    return "NS not to the target's solicited-node group";
            } else if (dst != target) {
                return "unicast NS not to its target";
            }
        } else {
            if (!ours(side, target) || target != src)
                return "NA target is not the source, one of ours";
            const uint32_t flags = static_cast<uint32_t>(m[4]) << 24;
            if ((flags & 0x20000000u) == 0) return "NA without the O flag";
            if ((flags & 0x80000000u) != 0) return "NA with the R flag";
            if (dst_multicast && (flags & 0x40000000u) != 0) return "NA to a group with the S flag";
        }
        return check_padding(f, off + 40 + plen);
    }
    return "ethertype neither ARP, IPv4 nor IPv6";
}

}  // namespace msf::neigh::test
