// Building the Ethernet/IP/UDP headers of a relayed packet in front of its payload, the last
// phase of a worker's burst. The relay keeps the RTP/RTCP payload where it was received and
// replaces the headers in place; the address family may differ between the legs (UE on IPv6,
// core on IPv4), so the headers are written backwards from the payload, not over the old ones.
#pragma once

#include <cstdint>
#include <cstring>

#include "dataplane/net/addr.hpp"
#include "dataplane/net/byte_order.hpp"
#include "dataplane/net/checksum.hpp"
#include "dataplane/net/frame.hpp"

namespace msf::net {

// Who computes which checksum: the worker picks this from the port's TX offload capabilities.
enum class ChecksumMode : uint8_t {
    software,        // IPv4 header and UDP checksums computed here
    offload_ip,      // IPv4 header checksum left 0 for the NIC; UDP computed here
    offload_ip_udp,  // IPv4 checksum 0; UDP field holds the pseudo-header sum the NIC finishes
};

// RFC 1122 §3.2.1.7 leaves the TTL to configuration; 64 is the common default (RFC 1700's).
inline constexpr uint8_t kDefaultTtl = 64;

// The headers of one direction of one leg: fixed per leg, built by the control path.
struct UdpFrameTemplate {
    MacAddr src_mac, dst_mac;
    bool has_vlan = false;
    uint16_t vlan_tci = 0;  // PCP, DEI and VID as on the wire (host order)
    IpAddr src, dst;        // same family
    uint16_t src_port = 0, dst_port = 0;  // host order
    uint8_t ttl = kDefaultTtl;  // IPv4 TTL or IPv6 hop limit
    uint8_t tos = 0;        // IPv4 TOS or IPv6 traffic class
};

// The same fields as references to where they already live (a session's endpoints, a port's
// MAC, the next-hop cache), for the worker's per-packet path: a template filled per packet and
// read straight back in wider pieces than it was written stalls store forwarding.
struct UdpFrameParts {
    const MacAddr& src_mac;
    const MacAddr& dst_mac;
    bool has_vlan;
    uint16_t vlan_tci;
    const IpAddr& src;
    const IpAddr& dst;
    uint16_t src_port, dst_port;
    uint8_t ttl;
    uint8_t tos;
};

template <typename Frame>
concept UdpFrameFields = requires(const Frame& t) {
    t.src_mac.bytes;
    t.dst_mac.bytes;
    t.src.family;
    t.dst.family;
    t.src_port;
    t.dst_port;
};

// Bytes of headers write_udp_headers puts in front of the payload: 14 or 18, + 20 or 40, + 8.
// 0 when the template has no valid address family.
template <UdpFrameFields Frame>
inline uint32_t udp_header_room(const Frame& t) {
    const uint32_t l2 = kEthernetHeaderLen + (t.has_vlan ? kVlanTagLen : 0);
    if (t.src.is_v4()) return l2 + kIpv4HeaderLen + kUdpHeaderLen;
    if (t.src.is_v6()) return l2 + kIpv6HeaderLen + kUdpHeaderLen;
    return 0;
}

// The largest payload the template's family can carry in one datagram (IPv4 total length and
// IPv6 payload length are 16 bits; no jumbograms).
template <UdpFrameFields Frame>
inline uint32_t udp_max_payload(const Frame& t) {
    return t.src.is_v4() ? 0xffff - kIpv4HeaderLen - kUdpHeaderLen : 0xffff - kUdpHeaderLen;
}

// Writes Ethernet (+ 802.1Q tag) + IPv4 or IPv6 + UDP headers into the udp_header_room(t) bytes
// immediately before `payload` (the caller guarantees that headroom) and fills in the checksums
// `mode` leaves to software. Returns the start of the frame, whose length is
// udp_header_room(t) + payload_len. Returns nullptr, writing nothing, when src and dst are not
// of one family or the payload exceeds udp_max_payload(t). A caller that summed the payload while
// writing it (checksum_add(0, payload, payload_len)) passes `payload_sum`, and the UDP checksum
// then reads only the headers.
template <UdpFrameFields Frame>
inline uint8_t* write_udp_headers(uint8_t* payload, uint32_t payload_len, const Frame& t, ChecksumMode mode,
                                  const ChecksumSum* payload_sum = nullptr) {
    const uint32_t room = udp_header_room(t);
    if (room == 0 || t.dst.family != t.src.family || payload_len > udp_max_payload(t)) [[unlikely]]
        return nullptr;
    uint8_t* const frame = payload - room;
    uint8_t* const udp = payload - kUdpHeaderLen;
    const auto udp_len = static_cast<uint16_t>(payload_len + kUdpHeaderLen);

    std::memcpy(frame, t.dst_mac.bytes.data(), 6);
    std::memcpy(frame + 6, t.src_mac.bytes.data(), 6);
    uint8_t* ether_type = frame + 12;
    if (t.has_vlan) {
        store_be16(ether_type, kEtherTypeVlan);
        store_be16(ether_type + 2, t.vlan_tci);
        ether_type += kVlanTagLen;
    }
    uint8_t* const ip = ether_type + 2;

    store_be16(udp, t.src_port);
    store_be16(udp + 2, t.dst_port);
    store_be16(udp + 4, udp_len);
    store_be16(udp + 6, 0);

    ChecksumSum pseudo;
    if (t.src.is_v4()) {
        store_be16(ether_type, kEtherTypeIpv4);
        ip[0] = 0x45;  // version 4, IHL 5: no options
        ip[1] = t.tos;
        store_be16(ip + 2, static_cast<uint16_t>(kIpv4HeaderLen + udp_len));
        // RFC 6864 §4.1: an atomic datagram (DF set, never fragmented) may carry any ID; 0 saves
        // keeping a per-flow counter.
        store_be16(ip + 4, 0);
        store_be16(ip + 6, 0x4000);  // DF
        ip[8] = t.ttl;
        ip[9] = kIpProtoUdp;
        store_be16(ip + 10, 0);
        std::memcpy(ip + 12, t.src.bytes.data(), 4);
        std::memcpy(ip + 16, t.dst.bytes.data(), 4);
        if (mode == ChecksumMode::software)
            store_be16(ip + 10, ipv4_header_checksum(ip, kIpv4HeaderLen));
        pseudo = ipv4_pseudo_header_sum(ip + 12, ip + 16, kIpProtoUdp, udp_len);
    } else {
        store_be16(ether_type, kEtherTypeIpv6);
        store_be32(ip, 0x60000000u | (uint32_t{t.tos} << 20));  // flow label 0 (RFC 6437 §2)
        store_be16(ip + 4, udp_len);
        ip[6] = kIpProtoUdp;
        ip[7] = t.ttl;
        std::memcpy(ip + 8, t.src.bytes.data(), 16);
        std::memcpy(ip + 24, t.dst.bytes.data(), 16);
        pseudo = ipv6_pseudo_header_sum(ip + 8, ip + 24, kIpProtoUdp, udp_len);
    }

    if (mode == ChecksumMode::offload_ip_udp)
        store_be16(udp + 6, checksum_fold(pseudo));
    else if (payload_sum != nullptr)
        store_be16(udp + 6, udp_checksum_with_payload_sum(pseudo, udp, *payload_sum));
    else
        store_be16(udp + 6, udp_checksum(pseudo, udp, udp_len));
    return frame;
}

}  // namespace msf::net
