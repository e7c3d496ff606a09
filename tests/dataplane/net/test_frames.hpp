// Test frames built byte by byte, independently of dataplane/net: a straightforward RFC 1071
// checksum (16-bit big-endian words, fold at the end) and a frame builder whose every field is a
// knob, so a test can make exactly one thing wrong.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace msf::net::test {

using Bytes = std::vector<uint8_t>;

// RFC 1071 §4.1, the textbook loop: the reference the optimised code is compared against.
inline uint16_t reference_sum(const uint8_t* data, size_t len, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (len % 2 != 0) sum += static_cast<uint32_t>(data[len - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

inline uint16_t reference_checksum(const uint8_t* data, size_t len) {
    return static_cast<uint16_t>(~reference_sum(data, len));
}

inline uint16_t get16(const Bytes& b, size_t at) {
    return static_cast<uint16_t>(b.at(at) << 8 | b.at(at + 1));
}

inline void put16(Bytes& b, size_t at, uint16_t v) {
    b.at(at) = static_cast<uint8_t>(v >> 8);
    b.at(at + 1) = static_cast<uint8_t>(v);
}

inline void append16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}

inline Bytes from_hex(const std::string& hex) {
    Bytes b;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        b.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    return b;
}

// Payload byte j = (7j + 3) mod 256, as in the project's SRTP vectors.
inline Bytes pattern_payload(size_t len) {
    Bytes p(len);
    for (size_t j = 0; j < len; ++j) p[j] = static_cast<uint8_t>((7 * j + 3) % 256);
    return p;
}

inline constexpr std::array<uint8_t, 6> kDstMac{0x02, 0, 0, 0, 0, 0x02};
inline constexpr std::array<uint8_t, 6> kSrcMac{0x02, 0, 0, 0, 0, 0x01};
inline constexpr std::array<uint8_t, 4> kSrc4{192, 0, 2, 1};
inline constexpr std::array<uint8_t, 4> kDst4{198, 51, 100, 2};
inline constexpr std::array<uint8_t, 16> kSrc6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr std::array<uint8_t, 16> kDst6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

// One Ethernet frame carrying IPv4 or IPv6 and an upper-layer message (UDP by default).
struct FrameSpec {
    bool vlan = false;
    uint16_t vlan_tci = 0xa064;  // PCP 5, VID 100
    bool ipv6 = false;
    uint8_t protocol = 17;       // IPv4 protocol / IPv6 next header
    uint8_t ttl = 64;
    uint8_t tos = 0;
    uint16_t src_port = 5004;
    uint16_t dst_port = 6000;
    Bytes ipv4_options;          // appended to the IPv4 header (a multiple of 4 bytes)
    Bytes payload = pattern_payload(172);
    size_t padding = 0;          // bytes after the IP packet (Ethernet padding)
    uint8_t padding_byte = 0;
    bool udp_checksum = true;    // false: 0 in the field
};

// Offsets of the headers in a frame built from `spec`.
inline size_t l3_offset(const FrameSpec& s) { return s.vlan ? 18 : 14; }
inline size_t ip_header_len(const FrameSpec& s) { return s.ipv6 ? 40 : 20 + s.ipv4_options.size(); }
inline size_t l4_offset(const FrameSpec& s) { return l3_offset(s) + ip_header_len(s); }

// Recomputes the IPv4 header checksum of the frame (header at l3, IHL from the header).
inline void refresh_ipv4_checksum(Bytes& f, size_t l3) {
    const size_t ihl = (f.at(l3) & 0x0f) * 4u;
    put16(f, l3 + 10, 0);
    put16(f, l3 + 10, reference_checksum(f.data() + l3, ihl));
}

// Recomputes the UDP checksum (RFC 768 / RFC 8200 §8.1 pseudo-header) over `udp_len` bytes.
inline void refresh_udp_checksum(Bytes& f, size_t l3, size_t l4, bool ipv6, uint16_t udp_len) {
    Bytes pseudo;
    if (ipv6) {
        pseudo.assign(f.begin() + static_cast<long>(l3 + 8), f.begin() + static_cast<long>(l3 + 40));
        append16(pseudo, 0);
        append16(pseudo, udp_len);
        append16(pseudo, 0);
        append16(pseudo, 17);
    } else {
        pseudo.assign(f.begin() + static_cast<long>(l3 + 12), f.begin() + static_cast<long>(l3 + 20));
        append16(pseudo, 17);
        append16(pseudo, udp_len);
    }
    put16(f, l4 + 6, 0);
    const uint16_t partial = reference_sum(pseudo.data(), pseudo.size());
    uint16_t sum = reference_sum(f.data() + l4, udp_len, partial);
    uint16_t checksum = static_cast<uint16_t>(~sum);
    put16(f, l4 + 6, checksum == 0 ? 0xffff : checksum);
}

inline Bytes build_frame(const FrameSpec& s) {
    Bytes f(kDstMac.begin(), kDstMac.end());
    f.insert(f.end(), kSrcMac.begin(), kSrcMac.end());
    if (s.vlan) {
        append16(f, 0x8100);
        append16(f, s.vlan_tci);
    }
    append16(f, s.ipv6 ? 0x86dd : 0x0800);
    const size_t l3 = f.size();
    const bool udp = s.protocol == 17;
    const size_t l4_len = (udp ? 8 : 0) + s.payload.size();
    if (s.ipv6) {
        f.push_back(static_cast<uint8_t>(0x60 | s.tos >> 4));
        f.push_back(static_cast<uint8_t>(s.tos << 4));
        append16(f, 0);  // flow label
        append16(f, static_cast<uint16_t>(l4_len));
        f.push_back(s.protocol);
        f.push_back(s.ttl);
        f.insert(f.end(), kSrc6.begin(), kSrc6.end());
        f.insert(f.end(), kDst6.begin(), kDst6.end());
    } else {
        const size_t ihl = 20 + s.ipv4_options.size();
        f.push_back(static_cast<uint8_t>(0x40 | ihl / 4));
        f.push_back(s.tos);
        append16(f, static_cast<uint16_t>(ihl + l4_len));
        append16(f, 0x1234);  // identification
        append16(f, 0x4000);  // DF
        f.push_back(s.ttl);
        f.push_back(s.protocol);
        append16(f, 0);
        f.insert(f.end(), kSrc4.begin(), kSrc4.end());
        f.insert(f.end(), kDst4.begin(), kDst4.end());
        f.insert(f.end(), s.ipv4_options.begin(), s.ipv4_options.end());
        refresh_ipv4_checksum(f, l3);
    }
    const size_t l4 = f.size();
    if (udp) {
        append16(f, s.src_port);
        append16(f, s.dst_port);
        append16(f, static_cast<uint16_t>(l4_len));
        append16(f, 0);
    }
    f.insert(f.end(), s.payload.begin(), s.payload.end());
    if (udp && s.udp_checksum) refresh_udp_checksum(f, l3, l4, s.ipv6, static_cast<uint16_t>(l4_len));
    f.insert(f.end(), s.padding, s.padding_byte);
    return f;
}

}  // namespace msf::net::test
