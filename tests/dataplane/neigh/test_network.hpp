// The two sides and the hosts every neighbour test uses, a sink that records frames, and byte
// helpers. Nothing here uses the library's own checksum or parsing code.
//
//   access side, untagged: gateway 02:00:00:00:00:01 = 192.0.2.1, 2001:db8::1, fe80::1;
//     no gateways (peers are on the link); peer 02:00:00:00:00:aa = 192.0.2.10, 2001:db8::10
//   core side, 802.1Q TCI 0x2064 (PCP 1, VID 100): gateway 02:00:00:00:00:02 = 198.51.100.1,
//     2001:db8:1::1; gateways 198.51.100.254 (a static neighbour: router MAC 02:00:00:00:00:bb)
//     and 2001:db8:1::fe (resolved with ND)
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/api/types.hpp"
#include "dataplane/neigh/neighbour_service.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::neigh::test {

inline net::IpAddr ip(std::string_view text) {
    const auto a = net::IpAddr::parse(text);
    if (!a) throw std::invalid_argument("bad test address " + std::string(text));
    return *a;
}

inline net::MacAddr mac(std::string_view text) {
    const auto m = net::MacAddr::parse(text);
    if (!m) throw std::invalid_argument("bad test MAC " + std::string(text));
    return *m;
}

inline std::vector<uint8_t> from_hex(std::string_view hex) {
    std::vector<uint8_t> out;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::invalid_argument("bad hex digit");
    };
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    return out;
}

inline std::string to_hex(std::span<const uint8_t> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (uint8_t b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

inline const net::MacAddr kAccessMac = mac("02:00:00:00:00:01");
inline const net::MacAddr kCoreMac = mac("02:00:00:00:00:02");
inline const net::MacAddr kPeerMac = mac("02:00:00:00:00:aa");
inline const net::MacAddr kRouterMac = mac("02:00:00:00:00:bb");
inline const net::MacAddr kStaticMac = mac("02:00:00:00:00:77");  // for table tests
inline constexpr uint16_t kCoreVlanTci = 0x2064;

inline NeighbourConfig test_config(size_t capacity = 64) {
    NeighbourConfig c;
    SideConfig& access = c.sides[0];
    access.mac = kAccessMac;
    access.addresses = {ip("192.0.2.1"), ip("2001:db8::1"), ip("fe80::1")};
    SideConfig& core = c.sides[1];
    core.mac = kCoreMac;
    core.addresses = {ip("198.51.100.1"), ip("2001:db8:1::1")};
    core.gateway4 = ip("198.51.100.254");
    core.gateway6 = ip("2001:db8:1::fe");
    core.has_vlan = true;
    core.vlan_tci = kCoreVlanTci;
    core.static_entries = {{ip("198.51.100.254"), kRouterMac}};
    c.cache_capacity = capacity;
    c.request_queue_capacity = 64;
    return c;
}

struct RecordingSink final : FrameSink {
    struct Sent {
        api::Side side;
        std::vector<uint8_t> bytes;
    };
    std::vector<Sent> frames;

    void send(api::Side side, std::span<const uint8_t> frame) override {
        frames.push_back({side, std::vector<uint8_t>(frame.begin(), frame.end())});
    }
    std::string last_hex() const { return frames.empty() ? "" : to_hex(frames.back().bytes); }
};

// RFC 1071 written out plainly, independent of dataplane/net/checksum.hpp.
inline uint16_t plain_checksum(std::span<const uint8_t> bytes, uint32_t initial = 0) {
    uint32_t sum = initial;
    for (size_t i = 0; i < bytes.size(); i += 2) {
        const uint32_t hi = bytes[i];
        const uint32_t lo = i + 1 < bytes.size() ? bytes[i + 1] : 0;
        sum += hi << 8 | lo;
    }
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// The ICMPv6 checksum (RFC 4443 §2.3 over the RFC 8200 §8.1 pseudo-header) of `message` as it
// stands: 0 when the checksum field in it is right.
inline uint16_t plain_icmpv6_checksum(std::span<const uint8_t> src, std::span<const uint8_t> dst,
                                      std::span<const uint8_t> message) {
    std::vector<uint8_t> buf(src.begin(), src.end());
    buf.insert(buf.end(), dst.begin(), dst.end());
    const auto len = static_cast<uint32_t>(message.size());
    for (int shift : {24, 16, 8, 0}) buf.push_back(static_cast<uint8_t>(len >> shift));
    buf.insert(buf.end(), {0, 0, 0, 58});
    buf.insert(buf.end(), message.begin(), message.end());
    return plain_checksum(buf);
}

}  // namespace msf::neigh::test
