// Parsing a received Ethernet frame down to the UDP payload, the first phase of a worker's burst.
// The worker hands over the mbuf's bytes; nothing here allocates, throws or copies, and the whole
// parser is inline so a burst loop with fixed ParseOptions compiles to straight-line checks.
//
// Accepted: Ethernet II, at most one 802.1Q tag, then IPv4 without options or IPv6 without
// extension headers, then UDP. ARP, ICMP and ICMPv6 (which carries ND) are classified with their
// offsets and minimal lengths for the neighbour module, which parses their contents. Anything
// else IP is classified `other`; every drop reason is one FrameError, one counter.
#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/net/addr.hpp"
#include "dataplane/net/byte_order.hpp"
#include "dataplane/net/checksum.hpp"

namespace msf::net {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // IEEE 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;  // IEEE 802.1ad S-tag
inline constexpr uint16_t kEtherTypeQinQOld = 0x9100;  // pre-802.1ad S-tag, still seen
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;

inline constexpr uint32_t kEthernetHeaderLen = 14;
inline constexpr uint32_t kVlanTagLen = 4;
inline constexpr uint32_t kIpv4HeaderLen = 20;
inline constexpr uint32_t kIpv6HeaderLen = 40;
inline constexpr uint32_t kUdpHeaderLen = 8;
inline constexpr uint32_t kArpIpv4Len = 28;     // RFC 826 for Ethernet/IPv4
inline constexpr uint32_t kIcmpHeaderLen = 8;   // type, code, checksum, 4 bytes every message has

enum class FrameKind : uint8_t {
    other,  // IPv4/IPv6 carrying a protocol we do not terminate (TCP, SCTP, ...)
    udp,
    arp,
    icmp4,
    icmp6,  // includes neighbour discovery (RFC 4861)
};

// One value per drop reason the worker counts.
enum class FrameError : uint8_t {
    none,
    truncated,              // the frame ends inside the Ethernet, VLAN, IP or ARP header
    unsupported_ethertype,  // neither IPv4, IPv6 nor ARP (after at most one VLAN tag)
    vlan_stacked,           // QinQ: a second tag, or an 802.1ad S-tag
    bad_ip_version,         // the version nibble disagrees with the ethertype
    bad_ip_header_length,   // IPv4 IHL < 5
    ip_options,             // IPv4 IHL > 5: options are not handled
    bad_ip_length,          // IP length beyond the frame, or too short for the headers it carries
    fragment,               // IPv4 MF or offset != 0, IPv6 Fragment header
    ipv6_extension,         // any other IPv6 extension header: not handled
    bad_ip_checksum,
    bad_udp_length,         // UDP length < 8 or beyond the IP payload
    bad_udp_checksum,       // wrong sum, or 0 over IPv6 (RFC 8200 §8.1)
};

inline constexpr int kFrameErrorCount = 13;

constexpr std::string_view frame_error_name(FrameError e) {
    switch (e) {
        case FrameError::none: return "none";
        case FrameError::truncated: return "truncated";
        case FrameError::unsupported_ethertype: return "unsupported_ethertype";
        case FrameError::vlan_stacked: return "vlan_stacked";
        case FrameError::bad_ip_version: return "bad_ip_version";
        case FrameError::bad_ip_header_length: return "bad_ip_header_length";
        case FrameError::ip_options: return "ip_options";
        case FrameError::bad_ip_length: return "bad_ip_length";
        case FrameError::fragment: return "fragment";
        case FrameError::ipv6_extension: return "ipv6_extension";
        case FrameError::bad_ip_checksum: return "bad_ip_checksum";
        case FrameError::bad_udp_length: return "bad_udp_length";
        case FrameError::bad_udp_checksum: return "bad_udp_checksum";
    }
    return "unknown";
}

constexpr std::string_view frame_kind_name(FrameKind k) {
    switch (k) {
        case FrameKind::other: return "other";
        case FrameKind::udp: return "udp";
        case FrameKind::arp: return "arp";
        case FrameKind::icmp4: return "icmp4";
        case FrameKind::icmp6: return "icmp6";
    }
    return "unknown";
}

// The worker turns a check off when the NIC reports it already made it (RTE_MBUF_F_RX_*_CKSUM_GOOD).
struct ParseOptions {
    bool verify_ip_checksum = true;
    bool verify_udp_checksum = true;
};

// Where the headers of one frame are. Offsets count from the first byte of the frame. Valid only
// when parse_frame returned FrameError::none; src_ip/dst_ip point into the frame.
struct ParsedFrame {
    FrameKind kind = FrameKind::other;
    Family family = Family::none;  // none for ARP
    bool has_vlan = false;
    uint16_t vlan_tci = 0;         // PCP, DEI and VID as on the wire (host order)
    uint8_t ip_protocol = 0;       // IPv4 protocol or IPv6 next header
    uint8_t ttl = 0;               // IPv4 TTL or IPv6 hop limit
    uint8_t tos = 0;               // IPv4 TOS or IPv6 traffic class (DSCP and ECN)
    uint16_t l3_offset = 0;        // IP or ARP header
    uint16_t l4_offset = 0;        // UDP or ICMP header; 0 for ARP
    uint16_t payload_offset = 0;   // UDP payload; 0 unless kind == udp
    uint16_t payload_len = 0;      // UDP length - 8 (Ethernet padding and IP surplus excluded)
    uint32_t l3_len = 0;           // IP total length (IPv6: 40 + payload length); 28 for ARP
    uint16_t src_port = 0;         // host order; 0 unless kind == udp
    uint16_t dst_port = 0;
    const uint8_t* src_ip = nullptr;  // 4 or 16 bytes in network order, inside the frame
    const uint8_t* dst_ip = nullptr;

    IpAddr src_addr() const { return make_addr(src_ip); }
    IpAddr dst_addr() const { return make_addr(dst_ip); }
    Endpoint src_endpoint() const { return {src_addr(), src_port}; }
    Endpoint dst_endpoint() const { return {dst_addr(), dst_port}; }

private:
    IpAddr make_addr(const uint8_t* p) const {
        if (family == Family::ipv4) return IpAddr::v4(p);
        if (family == Family::ipv6) return IpAddr::v6(p);
        return {};
    }
};

namespace frame_detail {

// RFC 8200 §4 and the IANA "IPv6 Extension Header Types" registry (RFC 7045 §2).
constexpr bool is_ipv6_extension_header(uint8_t next_header) {
    switch (next_header) {
        case 0:    // Hop-by-Hop Options
        case 43:   // Routing
        case 50:   // ESP
        case 51:   // AH
        case 60:   // Destination Options
        case 135:  // Mobility
        case 139:  // HIP
        case 140:  // Shim6
        case 253:  // experimentation (RFC 3692)
        case 254:
            return true;
        default:
            return false;
    }
}

inline constexpr uint8_t kIpv6NextHeaderFragment = 44;

// UDP header checks shared by both families; `ip_payload_len` is what the IP header says follows
// it (already known to lie inside the frame).
inline FrameError parse_udp(const uint8_t* frame, uint32_t l4_offset, uint32_t ip_payload_len,
                            ParsedFrame& out) {
    if (ip_payload_len < kUdpHeaderLen) [[unlikely]] return FrameError::bad_ip_length;
    const uint8_t* udp = frame + l4_offset;
    const uint16_t udp_len = load_be16(udp + 4);
    // RFC 768: the length covers header and data. Bytes after it inside the IP payload are
    // ignored, not an error.
    if (udp_len < kUdpHeaderLen || udp_len > ip_payload_len) [[unlikely]]
        return FrameError::bad_udp_length;
    out.kind = FrameKind::udp;
    out.src_port = load_be16(udp);
    out.dst_port = load_be16(udp + 2);
    out.payload_offset = static_cast<uint16_t>(l4_offset + kUdpHeaderLen);
    out.payload_len = static_cast<uint16_t>(udp_len - kUdpHeaderLen);
    return FrameError::none;
}

inline FrameError parse_ipv4(const uint8_t* frame, uint32_t len, uint32_t l3, const ParseOptions& opt,
                             ParsedFrame& out) {
    if (len < l3 + kIpv4HeaderLen) [[unlikely]] return FrameError::truncated;
    const uint8_t* ip = frame + l3;
    const uint8_t version_ihl = ip[0];
    if ((version_ihl >> 4) != 4) [[unlikely]] return FrameError::bad_ip_version;
    if (version_ihl != 0x45) [[unlikely]]
        return (version_ihl & 0x0f) < 5 ? FrameError::bad_ip_header_length : FrameError::ip_options;
    const uint16_t total_len = load_be16(ip + 2);
    // Ethernet pads frames to 60 bytes: bytes after the IP packet are padding, not an error.
    if (total_len < kIpv4HeaderLen || total_len > len - l3) [[unlikely]]
        return FrameError::bad_ip_length;
    if (opt.verify_ip_checksum && !ipv4_header_checksum_ok(ip, kIpv4HeaderLen)) [[unlikely]]
        return FrameError::bad_ip_checksum;
    // RFC 791 §3.1: MF flag or a fragment offset. DF and the reserved bit do not matter here.
    if ((load_be16(ip + 6) & 0x3fff) != 0) [[unlikely]] return FrameError::fragment;

    out.family = Family::ipv4;
    out.tos = ip[1];
    out.ttl = ip[8];
    out.ip_protocol = ip[9];
    out.src_ip = ip + 12;
    out.dst_ip = ip + 16;
    out.l3_len = total_len;
    const uint32_t l4 = l3 + kIpv4HeaderLen;
    const uint32_t ip_payload_len = total_len - kIpv4HeaderLen;
    out.l4_offset = static_cast<uint16_t>(l4);

    if (out.ip_protocol == kIpProtoUdp) [[likely]] {
        const FrameError e = parse_udp(frame, l4, ip_payload_len, out);
        if (e != FrameError::none) [[unlikely]] return e;
        const uint8_t* udp = frame + l4;
        // RFC 768: a zero checksum over IPv4 means the sender computed none.
        if (opt.verify_udp_checksum && load_be16(udp + 6) != 0 &&
            !udp_checksum_ok(ipv4_pseudo_header_sum(out.src_ip, out.dst_ip, kIpProtoUdp,
                                                    static_cast<uint16_t>(out.payload_len + kUdpHeaderLen)),
                             udp, out.payload_len + kUdpHeaderLen)) [[unlikely]]
            return FrameError::bad_udp_checksum;
        return FrameError::none;
    }
    if (out.ip_protocol == kIpProtoIcmp) {
        if (ip_payload_len < kIcmpHeaderLen) [[unlikely]] return FrameError::bad_ip_length;
        out.kind = FrameKind::icmp4;
    }
    return FrameError::none;
}

inline FrameError parse_ipv6(const uint8_t* frame, uint32_t len, uint32_t l3, const ParseOptions& opt,
                             ParsedFrame& out) {
    if (len < l3 + kIpv6HeaderLen) [[unlikely]] return FrameError::truncated;
    const uint8_t* ip = frame + l3;
    const uint32_t version_class_flow = load_be32(ip);
    if ((version_class_flow >> 28) != 6) [[unlikely]] return FrameError::bad_ip_version;
    const uint16_t payload_len = load_be16(ip + 4);
    if (payload_len > len - l3 - kIpv6HeaderLen) [[unlikely]] return FrameError::bad_ip_length;
    const uint8_t next_header = ip[6];
    if (next_header == kIpv6NextHeaderFragment) [[unlikely]] return FrameError::fragment;
    if (is_ipv6_extension_header(next_header)) [[unlikely]] return FrameError::ipv6_extension;

    out.family = Family::ipv6;
    out.tos = static_cast<uint8_t>(version_class_flow >> 20);
    out.ttl = ip[7];
    out.ip_protocol = next_header;
    out.src_ip = ip + 8;
    out.dst_ip = ip + 24;
    out.l3_len = kIpv6HeaderLen + payload_len;
    const uint32_t l4 = l3 + kIpv6HeaderLen;
    out.l4_offset = static_cast<uint16_t>(l4);

    if (next_header == kIpProtoUdp) [[likely]] {
        const FrameError e = parse_udp(frame, l4, payload_len, out);
        if (e != FrameError::none) [[unlikely]] return e;
        const uint8_t* udp = frame + l4;
        // RFC 8200 §8.1: the checksum is mandatory over IPv6, so 0 is always wrong. Checked even
        // when the NIC verified the sum: it costs one load and NICs differ on this case.
        if (load_be16(udp + 6) == 0) [[unlikely]] return FrameError::bad_udp_checksum;
        const uint32_t udp_len = out.payload_len + kUdpHeaderLen;
        if (opt.verify_udp_checksum &&
            !udp_checksum_ok(ipv6_pseudo_header_sum(out.src_ip, out.dst_ip, kIpProtoUdp, udp_len),
                             udp, udp_len)) [[unlikely]]
            return FrameError::bad_udp_checksum;
        return FrameError::none;
    }
    if (next_header == kIpProtoIcmpv6) {
        if (payload_len < kIcmpHeaderLen) [[unlikely]] return FrameError::bad_ip_length;
        out.kind = FrameKind::icmp6;
    }
    return FrameError::none;
}

}  // namespace frame_detail

// Parses `len` bytes of a received Ethernet frame (FCS already stripped). On FrameError::none,
// `out` says what the frame is and where its headers are; on an error, `out` is unspecified.
inline FrameError parse_frame(const uint8_t* frame, uint32_t len, const ParseOptions& opt,
                              ParsedFrame& out) {
    out = ParsedFrame{};
    if (len < kEthernetHeaderLen) [[unlikely]] return FrameError::truncated;
    uint32_t l3 = kEthernetHeaderLen;
    uint16_t ether_type = load_be16(frame + 12);
    if (ether_type == kEtherTypeVlan) {
        if (len < kEthernetHeaderLen + kVlanTagLen) [[unlikely]] return FrameError::truncated;
        out.has_vlan = true;
        out.vlan_tci = load_be16(frame + 14);
        ether_type = load_be16(frame + 16);
        l3 += kVlanTagLen;
        if (ether_type == kEtherTypeVlan) [[unlikely]] return FrameError::vlan_stacked;
    }
    if (ether_type == kEtherTypeQinQ || ether_type == kEtherTypeQinQOld) [[unlikely]]
        return FrameError::vlan_stacked;
    out.l3_offset = static_cast<uint16_t>(l3);

    if (ether_type == kEtherTypeIpv4) [[likely]] return frame_detail::parse_ipv4(frame, len, l3, opt, out);
    if (ether_type == kEtherTypeIpv6) return frame_detail::parse_ipv6(frame, len, l3, opt, out);
    if (ether_type == kEtherTypeArp) {
        if (len < l3 + kArpIpv4Len) [[unlikely]] return FrameError::truncated;
        out.kind = FrameKind::arp;
        out.l3_len = kArpIpv4Len;
        return FrameError::none;
    }
    return FrameError::unsupported_ethertype;
}

}  // namespace msf::net
