#include "dataplane/net/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/dataplane/net/test_frames.hpp"

namespace msf::net {
namespace {

using test::build_frame;
using test::Bytes;
using test::FrameSpec;
using test::put16;

constexpr ParseOptions kVerifyAll{};
constexpr ParseOptions kVerifyNone{false, false};

FrameError parse(const Bytes& f, ParsedFrame& out, const ParseOptions& opt = kVerifyAll) {
    return parse_frame(f.data(), static_cast<uint32_t>(f.size()), opt, out);
}

FrameError parse(const Bytes& f, const ParseOptions& opt = kVerifyAll) {
    ParsedFrame out;
    return parse(f, out, opt);
}

// ---- good shapes ----------------------------------------------------------------------------

struct Shape {
    bool vlan;
    bool ipv6;
    size_t padding;
};

class GoodUdpFrame : public ::testing::TestWithParam<Shape> {};

TEST_P(GoodUdpFrame, ParsesEveryField) {
    const Shape shape = GetParam();
    FrameSpec spec;
    spec.vlan = shape.vlan;
    spec.ipv6 = shape.ipv6;
    spec.padding = shape.padding;
    spec.padding_byte = 0xee;  // padding is not looked at, whatever it holds
    spec.ttl = 17;
    spec.tos = 0xb8;           // DSCP EF
    const Bytes f = build_frame(spec);

    for (const ParseOptions& opt : {kVerifyAll, kVerifyNone}) {
        ParsedFrame p;
        ASSERT_EQ(parse(f, p, opt), FrameError::none);
        EXPECT_EQ(p.kind, FrameKind::udp);
        EXPECT_EQ(p.family, shape.ipv6 ? Family::ipv6 : Family::ipv4);
        EXPECT_EQ(p.has_vlan, shape.vlan);
        EXPECT_EQ(p.vlan_tci, shape.vlan ? 0xa064 : 0);
        EXPECT_EQ(p.ip_protocol, 17);
        EXPECT_EQ(p.l3_offset, test::l3_offset(spec));
        EXPECT_EQ(p.l4_offset, test::l4_offset(spec));
        EXPECT_EQ(p.payload_offset, test::l4_offset(spec) + 8);
        EXPECT_EQ(p.payload_len, 172);
        EXPECT_EQ(p.l3_len, test::ip_header_len(spec) + 8 + 172);
        EXPECT_EQ(p.src_port, 5004);
        EXPECT_EQ(p.dst_port, 6000);
        EXPECT_EQ(p.ttl, 17);
        EXPECT_EQ(p.tos, 0xb8);
        EXPECT_EQ(p.src_ip, f.data() + p.l3_offset + (shape.ipv6 ? 8 : 12));
        EXPECT_EQ(p.dst_ip, f.data() + p.l3_offset + (shape.ipv6 ? 24 : 16));
        const Endpoint src = p.src_endpoint();
        const Endpoint dst = p.dst_endpoint();
        EXPECT_EQ(src.to_string(), shape.ipv6 ? "[2001:db8::1]:5004" : "192.0.2.1:5004");
        EXPECT_EQ(dst.to_string(), shape.ipv6 ? "[2001:db8:1::2]:6000" : "198.51.100.2:6000");
        EXPECT_EQ(Bytes(f.begin() + p.payload_offset, f.begin() + p.payload_offset + p.payload_len),
                  spec.payload);
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, GoodUdpFrame,
                         ::testing::Values(Shape{false, false, 0}, Shape{true, false, 0},
                                           Shape{false, true, 0}, Shape{true, true, 0},
                                           Shape{false, false, 6}, Shape{true, true, 24}),
                         [](const auto& info) {
                             return std::string(info.param.vlan ? "Vlan" : "") +
                                    (info.param.ipv6 ? "Ipv6" : "Ipv4") +
                                    (info.param.padding ? "Padded" : "");
                         });

// A short datagram in a minimum-size frame: 14 + 20 + 8 + 4 = 46 bytes, padded to 60.
TEST(ParseFrame, MinimumSizeFrameWithEthernetPadding) {
    FrameSpec spec;
    spec.payload = {1, 2, 3, 4};
    spec.padding = 14;
    const Bytes f = build_frame(spec);
    ASSERT_EQ(f.size(), 60u);
    ParsedFrame p;
    ASSERT_EQ(parse(f, p), FrameError::none);
    EXPECT_EQ(p.payload_len, 4);
    EXPECT_EQ(p.l3_len, 32u);
}

TEST(ParseFrame, EmptyUdpPayload) {
    for (bool ipv6 : {false, true}) {
        FrameSpec spec;
        spec.ipv6 = ipv6;
        spec.payload.clear();
        ParsedFrame p;
        ASSERT_EQ(parse(build_frame(spec), p), FrameError::none);
        EXPECT_EQ(p.kind, FrameKind::udp);
        EXPECT_EQ(p.payload_len, 0);
    }
}

// RFC 768: the UDP length may be less than the IP payload; the rest is not UDP payload.
TEST(ParseFrame, UdpShorterThanIpPayloadEndsAtTheUdpLength) {
    FrameSpec spec;
    Bytes f = build_frame(spec);
    const size_t l4 = test::l4_offset(spec);
    put16(f, l4 + 4, 8 + 100);
    test::refresh_udp_checksum(f, 14, l4, false, 108);
    ParsedFrame p;
    ASSERT_EQ(parse(f, p), FrameError::none);
    EXPECT_EQ(p.payload_len, 100);
}

TEST(ParseFrame, Ipv4UdpWithoutChecksumIsAccepted) {
    FrameSpec spec;
    spec.udp_checksum = false;
    EXPECT_EQ(parse(build_frame(spec)), FrameError::none);
}

TEST(ParseFrame, DontFragmentFlagIsNotAFragment) {
    FrameSpec spec;  // the builder sets DF
    const Bytes f = build_frame(spec);
    ASSERT_EQ(f[14 + 6], 0x40);
    EXPECT_EQ(parse(f), FrameError::none);
}

TEST(ParseFrame, GoldenScapyFramesParse) {
    // scapy 2.5: Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02')/IP(src='192.0.2.1',
    // dst='198.51.100.2')/UDP(sport=5004,dport=6000)/b'abc'
    const Bytes f = test::from_hex(
        "02000000000202000000000108004500001f0001000040118e96c0000201c6336402138c1770000b2442616263");
    ParsedFrame p;
    ASSERT_EQ(parse(f, p), FrameError::none);
    EXPECT_EQ(p.kind, FrameKind::udp);
    EXPECT_EQ(p.payload_len, 3);
    EXPECT_EQ(f[p.payload_offset], 'a');
    EXPECT_EQ(p.src_addr().to_string(), "192.0.2.1");
    EXPECT_EQ(p.dst_addr().to_string(), "198.51.100.2");
}

// ---- other kinds ----------------------------------------------------------------------------

Bytes arp_request(bool vlan, size_t padding) {
    Bytes f(test::kDstMac.begin(), test::kDstMac.end());
    f.insert(f.end(), test::kSrcMac.begin(), test::kSrcMac.end());
    if (vlan) f.insert(f.end(), {0x81, 0x00, 0x00, 0x07});
    // RFC 826: Ethernet, IPv4, hlen 6, plen 4, request, sender, target.
    f.insert(f.end(), {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01});
    f.insert(f.end(), test::kSrcMac.begin(), test::kSrcMac.end());
    f.insert(f.end(), test::kSrc4.begin(), test::kSrc4.end());
    f.insert(f.end(), 6, 0);
    f.insert(f.end(), test::kDst4.begin(), test::kDst4.end());
    f.insert(f.end(), padding, 0);
    return f;
}

TEST(ParseFrame, ArpIsClassified) {
    for (bool vlan : {false, true}) {
        ParsedFrame p;
        ASSERT_EQ(parse(arp_request(vlan, 18), p), FrameError::none);
        EXPECT_EQ(p.kind, FrameKind::arp);
        EXPECT_EQ(p.family, Family::none);
        EXPECT_EQ(p.l3_offset, vlan ? 18 : 14);
        EXPECT_EQ(p.l3_len, 28u);
        EXPECT_EQ(p.has_vlan, vlan);
        EXPECT_EQ(p.vlan_tci, vlan ? 7 : 0);
    }
}

TEST(ParseFrame, IcmpEchoIsClassified) {
    FrameSpec spec;
    spec.protocol = kIpProtoIcmp;
    spec.payload = {8, 0, 0xf7, 0xff, 0, 0, 0, 0};  // echo request, id 0, seq 0
    ParsedFrame p;
    ASSERT_EQ(parse(build_frame(spec), p), FrameError::none);
    EXPECT_EQ(p.kind, FrameKind::icmp4);
    EXPECT_EQ(p.family, Family::ipv4);
    EXPECT_EQ(p.l4_offset, 34);
    EXPECT_EQ(p.payload_len, 0);
}

TEST(ParseFrame, Icmpv6NeighbourSolicitationIsClassified) {
    FrameSpec spec;
    spec.ipv6 = true;
    spec.vlan = true;
    spec.ttl = 255;  // RFC 4861 §7.1.1
    spec.protocol = kIpProtoIcmpv6;
    spec.payload = Bytes(24, 0);  // type 135, code 0, checksum, reserved, target
    spec.payload[0] = 135;
    ParsedFrame p;
    ASSERT_EQ(parse(build_frame(spec), p), FrameError::none);
    EXPECT_EQ(p.kind, FrameKind::icmp6);
    EXPECT_EQ(p.family, Family::ipv6);
    EXPECT_EQ(p.l4_offset, 18 + 40);
    EXPECT_EQ(p.ttl, 255);
}

TEST(ParseFrame, OtherIpProtocolsAreClassifiedOther) {
    for (bool ipv6 : {false, true}) {
        for (uint8_t protocol : {uint8_t{6}, uint8_t{132}, uint8_t{59}}) {  // TCP, SCTP, No Next Header
            FrameSpec spec;
            spec.ipv6 = ipv6;
            spec.protocol = protocol;
            spec.payload = Bytes(20, 0);
            ParsedFrame p;
            ASSERT_EQ(parse(build_frame(spec), p), FrameError::none) << int{protocol};
            EXPECT_EQ(p.kind, FrameKind::other);
            EXPECT_EQ(p.ip_protocol, protocol);
            EXPECT_EQ(p.l4_offset, test::l4_offset(spec));
        }
    }
}

// ---- every FrameError -----------------------------------------------------------------------

TEST(ParseFrameError, NamesAreDistinct) {
    for (int i = 0; i < kFrameErrorCount; ++i)
        for (int j = i + 1; j < kFrameErrorCount; ++j)
            EXPECT_NE(frame_error_name(static_cast<FrameError>(i)),
                      frame_error_name(static_cast<FrameError>(j)));
    EXPECT_EQ(frame_error_name(FrameError::bad_udp_checksum), "bad_udp_checksum");
    EXPECT_EQ(frame_error_name(static_cast<FrameError>(kFrameErrorCount)), "unknown");
}

TEST(ParseFrameError, TruncatedEthernetHeader) {
    const Bytes f = build_frame(FrameSpec{});
    for (size_t len : {0u, 1u, 13u})
        EXPECT_EQ(parse(Bytes(f.begin(), f.begin() + static_cast<long>(len))), FrameError::truncated);
    ParsedFrame p;
    EXPECT_EQ(parse_frame(nullptr, 0, kVerifyAll, p), FrameError::truncated);
}

TEST(ParseFrameError, TruncatedVlanTag) {
    FrameSpec spec;
    spec.vlan = true;
    const Bytes f = build_frame(spec);
    EXPECT_EQ(parse(Bytes(f.begin(), f.begin() + 17)), FrameError::truncated);
}

TEST(ParseFrameError, TruncatedIpHeader) {
    for (bool ipv6 : {false, true}) {
        FrameSpec spec;
        spec.ipv6 = ipv6;
        const Bytes f = build_frame(spec);
        const long cut = 14 + (ipv6 ? 39 : 19);
        EXPECT_EQ(parse(Bytes(f.begin(), f.begin() + cut)), FrameError::truncated) << ipv6;
    }
}

TEST(ParseFrameError, TruncatedArp) {
    const Bytes f = arp_request(false, 0);
    EXPECT_EQ(parse(Bytes(f.begin(), f.end() - 1)), FrameError::truncated);
}

TEST(ParseFrameError, UnsupportedEthertype) {
    Bytes f = build_frame(FrameSpec{});
    put16(f, 12, 0x88cc);  // LLDP
    EXPECT_EQ(parse(f), FrameError::unsupported_ethertype);
    put16(f, 12, 0x0040);  // IEEE 802.3 length field, not an Ethernet II type
    EXPECT_EQ(parse(f), FrameError::unsupported_ethertype);

    FrameSpec spec;
    spec.vlan = true;
    Bytes tagged = build_frame(spec);
    put16(tagged, 16, 0x8863);  // PPPoE discovery behind a tag
    EXPECT_EQ(parse(tagged), FrameError::unsupported_ethertype);
}

TEST(ParseFrameError, StackedVlanTags) {
    FrameSpec spec;
    spec.vlan = true;
    Bytes f = build_frame(spec);
    put16(f, 16, 0x8100);  // a C-tag inside a C-tag
    EXPECT_EQ(parse(f), FrameError::vlan_stacked);
    put16(f, 16, 0x88a8);
    EXPECT_EQ(parse(f), FrameError::vlan_stacked);
    put16(f, 12, 0x88a8);  // an 802.1ad S-tag outside
    put16(f, 16, 0x8100);
    EXPECT_EQ(parse(f), FrameError::vlan_stacked);
    put16(f, 12, 0x9100);
    EXPECT_EQ(parse(f), FrameError::vlan_stacked);
}

TEST(ParseFrameError, IpVersionDisagreesWithEthertype) {
    Bytes v4 = build_frame(FrameSpec{});
    v4[14] = 0x65;
    EXPECT_EQ(parse(v4), FrameError::bad_ip_version);

    FrameSpec spec;
    spec.ipv6 = true;
    Bytes v6 = build_frame(spec);
    v6[14] = 0x40;
    EXPECT_EQ(parse(v6), FrameError::bad_ip_version);
}

TEST(ParseFrameError, Ipv4HeaderLengthBelowFive) {
    Bytes f = build_frame(FrameSpec{});
    for (uint8_t ihl : std::initializer_list<uint8_t>{0, 1, 4}) {
        f[14] = static_cast<uint8_t>(0x40 | ihl);
        EXPECT_EQ(parse(f, kVerifyNone), FrameError::bad_ip_header_length) << int{ihl};
    }
}

TEST(ParseFrameError, Ipv4Options) {
    FrameSpec spec;
    spec.ipv4_options = {0x94, 0x04, 0x00, 0x00};  // Router Alert (RFC 2113), checksum correct
    EXPECT_EQ(parse(build_frame(spec)), FrameError::ip_options);
    spec.ipv4_options = Bytes(40, 1);              // IHL 15, NOPs
    EXPECT_EQ(parse(build_frame(spec)), FrameError::ip_options);
}

TEST(ParseFrameError, Ipv4TotalLengthBeyondFrame) {
    FrameSpec spec;
    Bytes f = build_frame(spec);
    put16(f, 16, static_cast<uint16_t>(f.size() - 14 + 1));
    test::refresh_ipv4_checksum(f, 14);
    EXPECT_EQ(parse(f), FrameError::bad_ip_length);
    // A good frame cut short by one byte.
    const Bytes good = build_frame(spec);
    EXPECT_EQ(parse(Bytes(good.begin(), good.end() - 1)), FrameError::bad_ip_length);
}

TEST(ParseFrameError, Ipv4TotalLengthShorterThanHeader) {
    Bytes f = build_frame(FrameSpec{});
    put16(f, 16, 19);
    test::refresh_ipv4_checksum(f, 14);
    EXPECT_EQ(parse(f), FrameError::bad_ip_length);
}

TEST(ParseFrameError, IpPayloadTooShortForUdpHeader) {
    Bytes v4 = build_frame(FrameSpec{});
    put16(v4, 16, 20 + 7);
    test::refresh_ipv4_checksum(v4, 14);
    EXPECT_EQ(parse(v4), FrameError::bad_ip_length);

    FrameSpec spec;
    spec.ipv6 = true;
    Bytes v6 = build_frame(spec);
    put16(v6, 18, 7);
    EXPECT_EQ(parse(v6), FrameError::bad_ip_length);
}

TEST(ParseFrameError, IpPayloadTooShortForIcmpHeader) {
    FrameSpec v4;
    v4.protocol = kIpProtoIcmp;
    v4.payload = {8, 0, 0, 0};
    EXPECT_EQ(parse(build_frame(v4)), FrameError::bad_ip_length);
    FrameSpec v6;
    v6.ipv6 = true;
    v6.protocol = kIpProtoIcmpv6;
    v6.payload = {128, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(parse(build_frame(v6)), FrameError::bad_ip_length);
}

TEST(ParseFrameError, Ipv6PayloadLengthBeyondFrame) {
    FrameSpec spec;
    spec.ipv6 = true;
    spec.padding = 3;
    Bytes f = build_frame(spec);
    put16(f, 18, static_cast<uint16_t>(8 + 172 + 3));  // padding counts: still inside the frame
    EXPECT_EQ(parse(f, kVerifyNone), FrameError::none);
    put16(f, 18, static_cast<uint16_t>(8 + 172 + 4));
    EXPECT_EQ(parse(f, kVerifyNone), FrameError::bad_ip_length);
}

TEST(ParseFrameError, Ipv4Fragments) {
    Bytes f = build_frame(FrameSpec{});
    put16(f, 20, 0x2000);  // MF, offset 0: the first fragment
    test::refresh_ipv4_checksum(f, 14);
    EXPECT_EQ(parse(f), FrameError::fragment);
    put16(f, 20, 0x0001);  // offset 8 bytes, last fragment
    test::refresh_ipv4_checksum(f, 14);
    EXPECT_EQ(parse(f), FrameError::fragment);
    put16(f, 20, 0x4000 | 0x1fff);  // DF with an offset: still a fragment
    test::refresh_ipv4_checksum(f, 14);
    EXPECT_EQ(parse(f), FrameError::fragment);
}

TEST(ParseFrameError, Ipv6FragmentHeader) {
    FrameSpec spec;
    spec.ipv6 = true;
    spec.protocol = 44;
    spec.payload = {17, 0, 0, 1, 0, 0, 0, 42, 0x13, 0x8c, 0x17, 0x70, 0, 12, 0, 0, 1, 2, 3, 4};
    EXPECT_EQ(parse(build_frame(spec)), FrameError::fragment);
}

TEST(ParseFrameError, Ipv6ExtensionHeaders) {
    for (uint8_t next : std::initializer_list<uint8_t>{0, 43, 50, 51, 60, 135, 139, 140, 253, 254}) {
        FrameSpec spec;
        spec.ipv6 = true;
        spec.protocol = next;
        spec.payload = {17, 0, 1, 4, 0, 0, 0, 0};  // would-be Hop-by-Hop with a PadN option
        EXPECT_EQ(parse(build_frame(spec)), FrameError::ipv6_extension) << int{next};
    }
}

TEST(ParseFrameError, BadIpv4HeaderChecksum) {
    Bytes f = build_frame(FrameSpec{});
    f[14 + 10] ^= 0x01;
    EXPECT_EQ(parse(f), FrameError::bad_ip_checksum);
    EXPECT_EQ(parse(f, ParseOptions{false, true}), FrameError::none);
    // A changed TTL without a recomputed checksum.
    Bytes g = build_frame(FrameSpec{});
    g[14 + 8] = 63;
    EXPECT_EQ(parse(g), FrameError::bad_ip_checksum);
}

TEST(ParseFrameError, UdpLengthBelowHeader) {
    for (bool ipv6 : {false, true}) {
        FrameSpec spec;
        spec.ipv6 = ipv6;
        Bytes f = build_frame(spec);
        put16(f, test::l4_offset(spec) + 4, 7);
        EXPECT_EQ(parse(f, kVerifyNone), FrameError::bad_udp_length) << ipv6;
        put16(f, test::l4_offset(spec) + 4, 0);  // a jumbogram's 0 (RFC 2675): not handled
        EXPECT_EQ(parse(f, kVerifyNone), FrameError::bad_udp_length) << ipv6;
    }
}

TEST(ParseFrameError, UdpLengthBeyondIpPayload) {
    for (bool ipv6 : {false, true}) {
        FrameSpec spec;
        spec.ipv6 = ipv6;
        spec.padding = 10;  // the frame has the bytes, the IP packet does not
        Bytes f = build_frame(spec);
        put16(f, test::l4_offset(spec) + 4, 8 + 172 + 1);
        EXPECT_EQ(parse(f, kVerifyNone), FrameError::bad_udp_length) << ipv6;
    }
}

TEST(ParseFrameError, BadUdpChecksum) {
    for (bool ipv6 : {false, true}) {
        FrameSpec spec;
        spec.ipv6 = ipv6;
        Bytes f = build_frame(spec);
        f[test::l4_offset(spec) + 8 + 50] ^= 0x80;  // one payload bit
        EXPECT_EQ(parse(f), FrameError::bad_udp_checksum) << ipv6;
        EXPECT_EQ(parse(f, ParseOptions{true, false}), FrameError::none) << ipv6;
    }
}

TEST(ParseFrameError, BadUdpChecksumFromAChangedAddress) {
    Bytes f = build_frame(FrameSpec{});
    f[14 + 15] = 2;  // source 192.0.2.2: the pseudo-header no longer matches
    test::refresh_ipv4_checksum(f, 14);
    EXPECT_EQ(parse(f), FrameError::bad_udp_checksum);
}

// RFC 8200 §8.1: a zero checksum is invalid over IPv6, even when the NIC verified the rest.
TEST(ParseFrameError, ZeroUdpChecksumOverIpv6) {
    FrameSpec spec;
    spec.ipv6 = true;
    spec.udp_checksum = false;
    const Bytes f = build_frame(spec);
    EXPECT_EQ(parse(f), FrameError::bad_udp_checksum);
    EXPECT_EQ(parse(f, kVerifyNone), FrameError::bad_udp_checksum);
}

// Every prefix of every good frame either parses (when the cut lies in the padding) or names an
// error; none reads past the end (ASan builds and the fuzz target check the reading).
TEST(ParseFrameError, EveryPrefixOfAGoodFrameIsHandled) {
    for (bool ipv6 : {false, true}) {
        FrameSpec spec;
        spec.ipv6 = ipv6;
        spec.vlan = true;
        spec.payload = test::pattern_payload(20);
        spec.padding = 4;
        const Bytes f = build_frame(spec);
        for (size_t len = 0; len < f.size(); ++len) {
            const Bytes prefix(f.begin(), f.begin() + static_cast<long>(len));
            const FrameError e = parse(prefix);
            if (len >= f.size() - spec.padding)
                EXPECT_EQ(e, FrameError::none) << len;
            else
                EXPECT_NE(e, FrameError::none) << len;
        }
    }
}

}  // namespace
}  // namespace msf::net
