#include "bench/gen/reflector.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "bench/gen/payload.hpp"

namespace msf::gen {
namespace {

net::UdpFrameTemplate leg(const char* src, uint16_t sport, const char* dst, uint16_t dport, uint8_t mac) {
    net::UdpFrameTemplate t;
    t.src_mac = net::MacAddr{{2, 0, 0, 0, 0, mac}};
    t.dst_mac = net::MacAddr{{2, 0, 0, 0, 1, mac}};
    t.src = *net::IpAddr::parse(src);
    t.dst = *net::IpAddr::parse(dst);
    t.src_port = sport;
    t.dst_port = dport;
    return t;
}

struct Buffer {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(2048);
    uint8_t* frame = nullptr;
    uint32_t len = 0;
    static constexpr uint32_t kHeadroom = 128;
};

// A frame as the gateway sends it to UE A: SRTP stand-in bytes from A's MSF access address.
Buffer srtp_to_ue_a(const net::UdpFrameTemplate& from_gateway, size_t payload_len) {
    Buffer b;
    uint8_t* payload = b.bytes.data() + Buffer::kHeadroom + 62;
    for (size_t i = 0; i < payload_len; ++i) payload[i] = static_cast<uint8_t>(i * 7 + 1);
    b.frame = net::write_udp_headers(payload, static_cast<uint32_t>(payload_len), from_gateway, net::ChecksumMode::software);
    b.len = static_cast<uint32_t>(payload - b.frame + payload_len);
    return b;
}

TEST(Reflector, OnlyEthernetIpAndUdpChangeAndChecksumsAreValid) {
    for (const bool v6 : {false, true}) {
        SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
        const auto to_a = v6 ? leg("2001:db8::10", 20000, "2001:db8::20", 40000, 1) : leg("192.0.2.10", 20000, "192.0.2.20", 40000, 1);
        const auto b_leg = v6 ? leg("2001:db8::20", 40002, "2001:db8::10", 20002, 2) : leg("192.0.2.20", 40002, "192.0.2.10", 20002, 2);
        Buffer b = srtp_to_ue_a(to_a, 182);
        net::ParsedFrame parsed;
        ASSERT_EQ(net::parse_frame(b.frame, b.len, {}, parsed), net::FrameError::none);
        const std::vector<uint8_t> payload_before(b.frame + parsed.payload_offset, b.frame + parsed.payload_offset + 182);
        const auto headroom = static_cast<uint32_t>(b.frame - b.bytes.data());
        const ReflectedFrame out = reflect_frame(b.frame, headroom, parsed, b_leg, net::ChecksumMode::software);
        ASSERT_NE(out.frame, nullptr);
        net::ParsedFrame again;
        ASSERT_EQ(net::parse_frame(out.frame, out.len, {}, again), net::FrameError::none);  // checksums checked
        EXPECT_EQ(again.src_endpoint(), (net::Endpoint{b_leg.src, 40002}));
        EXPECT_EQ(again.dst_endpoint(), (net::Endpoint{b_leg.dst, 20002}));
        EXPECT_EQ(net::MacAddr({{out.frame[0], out.frame[1], out.frame[2], out.frame[3], out.frame[4], out.frame[5]}}),
                  b_leg.dst_mac);
        ASSERT_EQ(again.payload_len, 182);
        EXPECT_TRUE(std::equal(payload_before.begin(), payload_before.end(), out.frame + again.payload_offset));
    }
}

TEST(Reflector, FamilyChangeMovesTheFrameStartAndKeepsThePayload) {
    const auto to_a = leg("192.0.2.10", 20000, "192.0.2.20", 40000, 1);
    const auto b_leg = leg("2001:db8::20", 40002, "2001:db8::10", 20002, 2);
    Buffer b = srtp_to_ue_a(to_a, 100);
    net::ParsedFrame parsed;
    ASSERT_EQ(net::parse_frame(b.frame, b.len, {}, parsed), net::FrameError::none);
    const uint8_t* payload = b.frame + parsed.payload_offset;
    const ReflectedFrame out = reflect_frame(b.frame, static_cast<uint32_t>(b.frame - b.bytes.data()), parsed, b_leg,
                                             net::ChecksumMode::software);
    ASSERT_NE(out.frame, nullptr);
    EXPECT_EQ(out.frame, b.frame - 20);  // IPv6's header is 20 bytes longer
    EXPECT_EQ(out.len, b.len + 20);
    net::ParsedFrame again;
    ASSERT_EQ(net::parse_frame(out.frame, out.len, {}, again), net::FrameError::none);
    EXPECT_EQ(out.frame + again.payload_offset, payload);
}

TEST(Reflector, RefusesWithoutHeadroomOrForMixedFamiliesOrNonUdp) {
    const auto to_a = leg("192.0.2.10", 20000, "192.0.2.20", 40000, 1);
    Buffer b = srtp_to_ue_a(to_a, 100);
    net::ParsedFrame parsed;
    ASSERT_EQ(net::parse_frame(b.frame, b.len, {}, parsed), net::FrameError::none);
    const auto v6 = leg("2001:db8::20", 40002, "2001:db8::10", 20002, 2);
    EXPECT_EQ(reflect_frame(b.frame, 0, parsed, v6, net::ChecksumMode::software).frame, nullptr);
    auto mixed = v6;
    mixed.dst = *net::IpAddr::parse("192.0.2.10");
    EXPECT_EQ(reflect_frame(b.frame, 128, parsed, mixed, net::ChecksumMode::software).frame, nullptr);
    net::ParsedFrame arp = parsed;
    arp.kind = net::FrameKind::arp;
    EXPECT_EQ(reflect_frame(b.frame, 128, arp, to_a, net::ChecksumMode::software).frame, nullptr);
}

}  // namespace
}  // namespace msf::gen
