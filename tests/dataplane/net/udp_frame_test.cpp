#include "dataplane/net/udp_frame.hpp"

#include <gtest/gtest.h>

#include <utility>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/net/frame.hpp"
#include "tests/dataplane/net/test_frames.hpp"

namespace msf::net {
namespace {

using test::Bytes;
using test::get16;
using test::reference_checksum;
using test::reference_sum;

constexpr uint32_t kHeadroom = 128;  // DPDK's RTE_PKTMBUF_HEADROOM

UdpFrameTemplate ipv4_template() {
    UdpFrameTemplate t;
    t.src_mac.bytes = test::kSrcMac;
    t.dst_mac.bytes = test::kDstMac;
    t.src = IpAddr::v4(test::kSrc4.data());
    t.dst = IpAddr::v4(test::kDst4.data());
    t.src_port = 5004;
    t.dst_port = 6000;
    return t;
}

UdpFrameTemplate ipv6_template() {
    UdpFrameTemplate t = ipv4_template();
    t.src = IpAddr::v6(test::kSrc6.data());
    t.dst = IpAddr::v6(test::kDst6.data());
    return t;
}

// A buffer laid out like an mbuf: kHeadroom bytes, then the payload.
struct Buffer {
    Bytes bytes;
    explicit Buffer(const Bytes& payload) : bytes(kHeadroom + payload.size(), 0xcc) {
        std::copy(payload.begin(), payload.end(), bytes.begin() + kHeadroom);
    }
    uint8_t* payload() { return bytes.data() + kHeadroom; }
    uint32_t payload_len() const { return static_cast<uint32_t>(bytes.size() - kHeadroom); }
};

Bytes frame_bytes(const uint8_t* frame, const Buffer& buf) {
    return Bytes(frame, buf.bytes.data() + buf.bytes.size());
}

// The pseudo-header of a parsed frame (RFC 768; RFC 8200 §8.1: 32-bit length, three zero bytes,
// next header), summed by the reference loop.
uint16_t reference_pseudo_sum(const ParsedFrame& p) {
    const size_t addr_len = p.family == Family::ipv6 ? 16 : 4;
    Bytes pseudo(p.src_ip, p.src_ip + addr_len);
    pseudo.insert(pseudo.end(), p.dst_ip, p.dst_ip + addr_len);
    const auto udp_len = static_cast<uint16_t>(p.payload_len + 8);
    const auto len_hi = static_cast<uint8_t>(udp_len >> 8);
    const auto len_lo = static_cast<uint8_t>(udp_len);
    if (p.family == Family::ipv6)
        pseudo.insert(pseudo.end(), {0, 0, len_hi, len_lo, 0, 0, 0, 17});
    else
        pseudo.insert(pseudo.end(), {0, 17, len_hi, len_lo});
    return reference_sum(pseudo.data(), pseudo.size());
}

// The one's-complement sum over pseudo-header and datagram: 0xffff when the checksum is right.
uint16_t reference_udp_sum(const Bytes& f, const ParsedFrame& p) {
    return reference_sum(f.data() + p.l4_offset, p.payload_len + 8u, reference_pseudo_sum(p));
}

// ---- golden frames ---------------------------------------------------------------------------

// scapy 2.5 (payload byte j = (7j+3) % 256, 172 bytes):
//   Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02')/IP(src='192.0.2.1',
//   dst='198.51.100.2',id=0,flags='DF',ttl=64)/UDP(sport=5004,dport=6000)/payload
const char* const kScapyIpv4Udp =
    "0200000000020200000000010800450000c80000400040114deec0000201c6336402138c177000b4d9eb030a1118"
    "1f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a"
    "61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb020910171e252c333a41484f565d646b727980878e959c"
    "a3aab1b8bfc6cdd4dbe2e9f0f7fe050c131a21282f363d444b525960676e757c838a91989fa6adb4bbc2c9d0d7de"
    "e5ecf3fa01080f161d242b323940474e555c636a71787f868d949ba2a9b0";

//   Ether(...)/Dot1Q(vlan=100,prio=5)/IPv6(src='2001:db8::1',dst='2001:db8:1::2',hlim=64,
//   tc=0xb8)/UDP(sport=5004,dport=6000)/payload
const char* const kScapyVlanIpv6Udp =
    "0200000000020200000000018100a06486dd6b80000000b4114020010db800000000000000000000000120010db8"
    "000100000000000000000002138c177000b46aad030a11181f262d343b424950575e656c737a81888f969da4abb2"
    "b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4"
    "fb020910171e252c333a41484f565d646b727980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7fe050c131a21282f36"
    "3d444b525960676e757c838a91989fa6adb4bbc2c9d0d7dee5ecf3fa01080f161d242b323940474e555c636a7178"
    "7f868d949ba2a9b0";

TEST(WriteUdpHeaders, Ipv4FrameIsByteForByteScapys) {
    Buffer buf(test::pattern_payload(172));
    const uint8_t* frame = write_udp_headers(buf.payload(), buf.payload_len(), ipv4_template(),
                                             ChecksumMode::software);
    ASSERT_EQ(frame, buf.payload() - 42);
    EXPECT_EQ(frame_bytes(frame, buf), test::from_hex(kScapyIpv4Udp));
}

TEST(WriteUdpHeaders, VlanIpv6FrameIsByteForByteScapys) {
    UdpFrameTemplate t = ipv6_template();
    t.has_vlan = true;
    t.vlan_tci = 0xa064;
    t.tos = 0xb8;
    Buffer buf(test::pattern_payload(172));
    const uint8_t* frame = write_udp_headers(buf.payload(), buf.payload_len(), t, ChecksumMode::software);
    ASSERT_EQ(frame, buf.payload() - 66);
    EXPECT_EQ(frame_bytes(frame, buf), test::from_hex(kScapyVlanIpv6Udp));
}

// A payload sum handed in (the generator sums while it writes) gives the frames above byte for
// byte; a wrong sum gives a wrong checksum, so the sum is what the field is made of.
TEST(WriteUdpHeaders, GivenPayloadSumGivesTheSameFramesAsScapys) {
    UdpFrameTemplate v6 = ipv6_template();
    v6.has_vlan = true;
    v6.vlan_tci = 0xa064;
    v6.tos = 0xb8;
    for (const auto& [t, hex] : {std::pair{ipv4_template(), kScapyIpv4Udp}, std::pair{v6, kScapyVlanIpv6Udp}}) {
        Buffer buf(test::pattern_payload(172));
        const ChecksumSum sum = checksum_add(0, buf.payload(), buf.payload_len());
        const uint8_t* frame = write_udp_headers(buf.payload(), buf.payload_len(), t, ChecksumMode::software, &sum);
        ASSERT_NE(frame, nullptr);
        EXPECT_EQ(frame_bytes(frame, buf), test::from_hex(hex));
        const ChecksumSum off_by_one = checksum_add_word(sum, 1);
        frame = write_udp_headers(buf.payload(), buf.payload_len(), t, ChecksumMode::software, &off_by_one);
        EXPECT_NE(frame_bytes(frame, buf), test::from_hex(hex));
    }
}

TEST(WriteUdpHeaders, HeaderRoomPerShape) {
    UdpFrameTemplate t = ipv4_template();
    EXPECT_EQ(udp_header_room(t), 42u);
    t.has_vlan = true;
    EXPECT_EQ(udp_header_room(t), 46u);
    t = ipv6_template();
    EXPECT_EQ(udp_header_room(t), 62u);
    t.has_vlan = true;
    EXPECT_EQ(udp_header_room(t), 66u);
    t.src = IpAddr{};
    EXPECT_EQ(udp_header_room(t), 0u);
}

// RFC 6864 §4.1 atomic datagrams: ID 0, DF set, no MF, offset 0.
TEST(WriteUdpHeaders, Ipv4IsAnAtomicDatagram) {
    Buffer buf(test::pattern_payload(20));
    const uint8_t* frame =
        write_udp_headers(buf.payload(), buf.payload_len(), ipv4_template(), ChecksumMode::software);
    ASSERT_NE(frame, nullptr);
    const Bytes f = frame_bytes(frame, buf);
    EXPECT_EQ(f[14], 0x45);
    EXPECT_EQ(get16(f, 14 + 4), 0);
    EXPECT_EQ(get16(f, 14 + 6), 0x4000);
}

// ---- round trips -------------------------------------------------------------------------------

struct Case {
    bool vlan;
    bool ipv6;
    ChecksumMode mode;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    const char* modes[] = {"Software", "OffloadIp", "OffloadIpUdp"};
    return std::string(info.param.vlan ? "Vlan" : "") + (info.param.ipv6 ? "Ipv6" : "Ipv4") +
           modes[static_cast<int>(info.param.mode)];
}

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, WrittenHeadersParseBackWithEveryField) {
    const Case c = GetParam();
    UdpFrameTemplate t = c.ipv6 ? ipv6_template() : ipv4_template();
    t.has_vlan = c.vlan;
    t.vlan_tci = 0x2123;  // PCP 1, DEI 0, VID 0x123
    t.ttl = 9;
    t.tos = 0x2e;
    t.src_port = 40000;
    t.dst_port = 30001;
    // An odd payload length tests the padding byte of the sum.
    Buffer buf(test::pattern_payload(173));
    const uint8_t* frame = write_udp_headers(buf.payload(), buf.payload_len(), t, c.mode);
    ASSERT_EQ(frame, buf.payload() - udp_header_room(t));
    Bytes f = frame_bytes(frame, buf);
    ASSERT_EQ(f.size(), udp_header_room(t) + 173);

    // What the NIC leaves unverified in each mode is not checked by the parse.
    const bool ip_checksum_written = !c.ipv6 && c.mode == ChecksumMode::software;
    const bool udp_checksum_written = c.mode != ChecksumMode::offload_ip_udp;
    ParsedFrame p;
    ASSERT_EQ(parse_frame(f.data(), static_cast<uint32_t>(f.size()),
                          ParseOptions{ip_checksum_written, udp_checksum_written}, p),
              FrameError::none);
    EXPECT_EQ(p.kind, FrameKind::udp);
    EXPECT_EQ(p.family, c.ipv6 ? Family::ipv6 : Family::ipv4);
    EXPECT_EQ(p.has_vlan, c.vlan);
    EXPECT_EQ(p.vlan_tci, c.vlan ? 0x2123 : 0);
    EXPECT_EQ(p.src_addr(), t.src);
    EXPECT_EQ(p.dst_addr(), t.dst);
    EXPECT_EQ(p.src_port, 40000);
    EXPECT_EQ(p.dst_port, 30001);
    EXPECT_EQ(p.ttl, 9);
    EXPECT_EQ(p.tos, 0x2e);
    EXPECT_EQ(p.payload_offset, udp_header_room(t));
    EXPECT_EQ(p.payload_len, 173);
    EXPECT_EQ(Bytes(f.begin() + p.payload_offset, f.end()), test::pattern_payload(173));
    EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, t.dst_mac.bytes.begin()));
    EXPECT_TRUE(std::equal(f.begin() + 6, f.begin() + 12, t.src_mac.bytes.begin()));

    // The checksums, by the reference loop.
    if (!c.ipv6) {
        if (ip_checksum_written)
            EXPECT_EQ(reference_checksum(f.data() + p.l3_offset, 20), 0);
        else
            EXPECT_EQ(get16(f, p.l3_offset + 10), 0);
    }
    const uint16_t udp_field = get16(f, p.l4_offset + 6);
    if (udp_checksum_written) {
        EXPECT_EQ(reference_udp_sum(f, p), 0xffff);
    } else {
        // The field holds the pseudo-header sum; the NIC sums from the UDP header on and
        // complements (what DPDK's RTE_MBUF_F_TX_UDP_CKSUM asks of it).
        EXPECT_EQ(udp_field, reference_pseudo_sum(p));
        const uint16_t nic_checksum = reference_checksum(f.data() + p.l4_offset, p.payload_len + 8u);
        test::put16(f, p.l4_offset + 6, nic_checksum == 0 ? 0xffff : nic_checksum);
        EXPECT_EQ(reference_udp_sum(f, p), 0xffff);
    }
    if (!ip_checksum_written && !c.ipv6) test::refresh_ipv4_checksum(f, p.l3_offset);  // the NIC's part
    ParsedFrame after_nic;
    EXPECT_EQ(parse_frame(f.data(), static_cast<uint32_t>(f.size()), ParseOptions{}, after_nic),
              FrameError::none);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, RoundTrip,
    ::testing::Values(Case{false, false, ChecksumMode::software}, Case{true, false, ChecksumMode::software},
                      Case{false, true, ChecksumMode::software}, Case{true, true, ChecksumMode::software},
                      Case{false, false, ChecksumMode::offload_ip}, Case{true, false, ChecksumMode::offload_ip},
                      Case{false, true, ChecksumMode::offload_ip}, Case{true, true, ChecksumMode::offload_ip},
                      Case{false, false, ChecksumMode::offload_ip_udp},
                      Case{true, false, ChecksumMode::offload_ip_udp},
                      Case{false, true, ChecksumMode::offload_ip_udp},
                      Case{true, true, ChecksumMode::offload_ip_udp}),
    case_name);

// ---- the relay's in-place rewrite across families ------------------------------------------------

// A received frame sits at the start of the mbuf's data (after its headroom); the relay writes
// the other leg's headers backwards from the payload, over the old headers and into headroom.
void relay_in_place(bool from_ipv6, bool from_vlan, const UdpFrameTemplate& to) {
    test::FrameSpec spec;
    spec.ipv6 = from_ipv6;
    spec.vlan = from_vlan;
    spec.padding = 7;  // Ethernet padding after the received packet is dropped by the rewrite
    const Bytes received = test::build_frame(spec);
    Bytes mbuf(kHeadroom + received.size(), 0xcc);
    std::copy(received.begin(), received.end(), mbuf.begin() + kHeadroom);

    ParsedFrame in;
    ASSERT_EQ(parse_frame(mbuf.data() + kHeadroom, static_cast<uint32_t>(received.size()), ParseOptions{}, in),
              FrameError::none);
    uint8_t* payload = mbuf.data() + kHeadroom + in.payload_offset;
    uint8_t* frame = write_udp_headers(payload, in.payload_len, to, ChecksumMode::software);
    ASSERT_EQ(frame, payload - udp_header_room(to));

    const uint32_t out_len = udp_header_room(to) + in.payload_len;
    ParsedFrame out;
    ASSERT_EQ(parse_frame(frame, out_len, ParseOptions{}, out), FrameError::none);
    EXPECT_EQ(out.family, to.src.family);
    EXPECT_EQ(out.src_addr(), to.src);
    EXPECT_EQ(out.dst_addr(), to.dst);
    EXPECT_EQ(out.dst_port, to.dst_port);
    EXPECT_EQ(Bytes(frame + out.payload_offset, frame + out.payload_offset + out.payload_len), spec.payload);
}

TEST(RelayInPlace, Ipv6ToIpv4) { relay_in_place(true, false, ipv4_template()); }
TEST(RelayInPlace, VlanIpv6ToIpv4) { relay_in_place(true, true, ipv4_template()); }
TEST(RelayInPlace, Ipv4ToIpv6UsesHeadroom) { relay_in_place(false, false, ipv6_template()); }
TEST(RelayInPlace, Ipv4ToVlanIpv6) {
    UdpFrameTemplate t = ipv6_template();
    t.has_vlan = true;
    t.vlan_tci = 42;
    relay_in_place(false, false, t);
}
TEST(RelayInPlace, SameFamilyAddsAndDropsVlan) {
    UdpFrameTemplate tagged = ipv4_template();
    tagged.has_vlan = true;
    relay_in_place(false, false, tagged);
    relay_in_place(false, true, ipv4_template());
}

// ---- refusals ----------------------------------------------------------------------------------

TEST(WriteUdpHeaders, RefusesMixedOrMissingFamiliesWithoutWriting) {
    Buffer buf(test::pattern_payload(10));
    const Bytes before = buf.bytes;
    UdpFrameTemplate mixed = ipv4_template();
    mixed.dst = IpAddr::v6(test::kDst6.data());
    EXPECT_EQ(write_udp_headers(buf.payload(), 10, mixed, ChecksumMode::software), nullptr);
    UdpFrameTemplate none = ipv4_template();
    none.src = IpAddr{};
    none.dst = IpAddr{};
    EXPECT_EQ(write_udp_headers(buf.payload(), 10, none, ChecksumMode::software), nullptr);
    EXPECT_EQ(buf.bytes, before);
}

TEST(WriteUdpHeaders, LargestDatagramPerFamily) {
    for (bool ipv6 : {false, true}) {
        const UdpFrameTemplate t = ipv6 ? ipv6_template() : ipv4_template();
        const uint32_t max = ipv6 ? 65535 - 8 : 65535 - 28;
        ASSERT_EQ(udp_max_payload(t), max);
        Buffer buf(Bytes(max + 1, 0x5a));
        EXPECT_EQ(write_udp_headers(buf.payload(), max + 1, t, ChecksumMode::software), nullptr);
        const uint8_t* frame = write_udp_headers(buf.payload(), max, t, ChecksumMode::software);
        ASSERT_NE(frame, nullptr);
        ParsedFrame p;
        ASSERT_EQ(parse_frame(frame, udp_header_room(t) + max, ParseOptions{}, p), FrameError::none);
        EXPECT_EQ(p.payload_len, max);
    }
}

}  // namespace
}  // namespace msf::net
