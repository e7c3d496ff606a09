#include "dataplane/net/checksum.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "dataplane/net/frame.hpp"  // kIpProtoUdp
#include "tests/dataplane/net/test_frames.hpp"

namespace msf::net {
namespace {

using test::Bytes;
using test::from_hex;
using test::get16;
using test::reference_checksum;
using test::reference_sum;

// RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
TEST(Checksum, Rfc1071Example) {
    const Bytes data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(checksum_fold(checksum_add(0, data.data(), data.size())), 0xddf2);
    EXPECT_EQ(internet_checksum(data.data(), data.size()), 0x220d);
}

TEST(Checksum, EmptyAndAllZeroSumToZero) {
    const Bytes zeros(64, 0);
    EXPECT_EQ(checksum_fold(checksum_add(0, zeros.data(), 0)), 0);
    EXPECT_EQ(checksum_fold(checksum_add(0, zeros.data(), zeros.size())), 0);
    EXPECT_EQ(internet_checksum(zeros.data(), zeros.size()), 0xffff);
}

TEST(Checksum, OddLengthPadsWithZeroByte) {
    const Bytes odd{0x12, 0x34, 0x56};
    // 0x1234 + 0x5600 (RFC 1071 §4.1)
    EXPECT_EQ(checksum_fold(checksum_add(0, odd.data(), odd.size())), 0x6834);
}

// Every length from 0 to 300 at every start alignment, against the textbook loop.
TEST(Checksum, MatchesReferenceAtEveryLengthAndAlignment) {
    std::mt19937 rng(1071);
    Bytes buf(320);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    for (size_t offset = 0; offset < 8; ++offset) {
        for (size_t len = 0; len + offset <= 308; ++len) {
            ASSERT_EQ(checksum_fold(checksum_add(0, buf.data() + offset, len)),
                      reference_sum(buf.data() + offset, len))
                << "offset " << offset << " len " << len;
        }
    }
}

// All-ones data makes every addition carry: the widest test of the end-around carry.
TEST(Checksum, AllOnesLargeBufferCarriesCorrectly) {
    const Bytes ones(65537, 0xff);
    for (size_t len : {2u, 31u, 32u, 33u, 1500u, 65535u, 65536u, 65537u})
        EXPECT_EQ(checksum_fold(checksum_add(0, ones.data(), len)), reference_sum(ones.data(), len))
            << len;
}

TEST(Checksum, SumsChainAcrossBuffersOfEvenLength) {
    std::mt19937 rng(7);
    Bytes buf(200);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    const ChecksumSum first = checksum_add(0, buf.data(), 62);
    EXPECT_EQ(checksum_fold(checksum_add(first, buf.data() + 62, 138)), reference_sum(buf.data(), 200));
}

// Two sums made apart (split at an even offset) combine to the sum of the whole, also when the
// 64-bit add carries out (all-ones data).
TEST(Checksum, CombinedSumsEqualTheSumOfTheWhole) {
    std::mt19937 rng(11);
    Bytes random(300), ones(300, 0xff);
    for (auto& b : random) b = static_cast<uint8_t>(rng());
    for (const Bytes* buf : {&random, &ones}) {
        for (size_t split : {0u, 2u, 8u, 36u, 64u, 150u, 300u}) {
            const ChecksumSum a = checksum_add(0, buf->data(), split);
            const ChecksumSum b = checksum_add(0, buf->data() + split, buf->size() - split);
            EXPECT_EQ(checksum_fold(checksum_combine(a, b)), reference_sum(buf->data(), buf->size())) << split;
        }
    }
    EXPECT_EQ(checksum_fold(checksum_combine(~uint64_t{0}, 1)), checksum_fold(1));  // 2^64 - 1 + 1 wraps to 1
}

// The IPv4 header of a frame made with scapy 2.5:
//   Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02')/IP(src='192.0.2.1',
//   dst='198.51.100.2',id=0,flags='DF',ttl=64)/UDP(sport=5004,dport=6000)/payload
// with payload byte j = (7j+3) % 256, 172 bytes. scapy: IP chksum 0x4dee, UDP chksum 0xd9eb.
const char* const kScapyIpv4Udp =
    "0200000000020200000000010800450000c80000400040114deec0000201c6336402138c177000b4d9eb030a1118"
    "1f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a"
    "61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb020910171e252c333a41484f565d646b727980878e959c"
    "a3aab1b8bfc6cdd4dbe2e9f0f7fe050c131a21282f363d444b525960676e757c838a91989fa6adb4bbc2c9d0d7de"
    "e5ecf3fa01080f161d242b323940474e555c636a71787f868d949ba2a9b0";

// The same with a VLAN tag and IPv6 (scapy chksum 0x6aad):
//   Ether(...)/Dot1Q(vlan=100,prio=5)/IPv6(src='2001:db8::1',dst='2001:db8:1::2',hlim=64,
//   tc=0xb8)/UDP(sport=5004,dport=6000)/payload
const char* const kScapyVlanIpv6Udp =
    "0200000000020200000000018100a06486dd6b80000000b4114020010db800000000000000000000000120010db8"
    "000100000000000000000002138c177000b46aad030a11181f262d343b424950575e656c737a81888f969da4abb2"
    "b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4"
    "fb020910171e252c333a41484f565d646b727980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7fe050c131a21282f36"
    "3d444b525960676e757c838a91989fa6adb4bbc2c9d0d7dee5ecf3fa01080f161d242b323940474e555c636a7178"
    "7f868d949ba2a9b0";

TEST(Checksum, Ipv4HeaderChecksumMatchesScapy) {
    const Bytes f = from_hex(kScapyIpv4Udp);
    const uint8_t* ip = f.data() + 14;
    EXPECT_EQ(ipv4_header_checksum(ip, 20), 0x4dee);
    EXPECT_TRUE(ipv4_header_checksum_ok(ip, 20));
    EXPECT_EQ(internet_checksum(ip, 20), 0);
}

TEST(Checksum, Ipv4HeaderChecksumIgnoresTheFieldsOldValue) {
    Bytes f = from_hex(kScapyIpv4Udp);
    uint8_t* ip = f.data() + 14;
    ip[10] = 0xab;
    ip[11] = 0xcd;
    EXPECT_FALSE(ipv4_header_checksum_ok(ip, 20));
    EXPECT_EQ(ipv4_header_checksum(ip, 20), 0x4dee);
}

TEST(Checksum, UdpChecksumOverIpv4MatchesScapy) {
    const Bytes f = from_hex(kScapyIpv4Udp);
    const uint8_t* ip = f.data() + 14;
    const uint8_t* udp = ip + 20;
    const ChecksumSum pseudo = ipv4_pseudo_header_sum(ip + 12, ip + 16, kIpProtoUdp, 180);
    EXPECT_EQ(udp_checksum(pseudo, udp, 180), 0xd9eb);
    EXPECT_TRUE(udp_checksum_ok(pseudo, udp, 180));
}

TEST(Checksum, UdpChecksumOverIpv6MatchesScapy) {
    const Bytes f = from_hex(kScapyVlanIpv6Udp);
    const uint8_t* ip = f.data() + 18;
    const uint8_t* udp = ip + 40;
    const ChecksumSum pseudo = ipv6_pseudo_header_sum(ip + 8, ip + 24, kIpProtoUdp, 180);
    EXPECT_EQ(udp_checksum(pseudo, udp, 180), 0x6aad);
    EXPECT_TRUE(udp_checksum_ok(pseudo, udp, 180));
}

TEST(Checksum, UdpChecksumRejectsOneFlippedBit) {
    Bytes f = from_hex(kScapyIpv4Udp);
    const uint8_t* ip = f.data() + 14;
    f[14 + 20 + 8 + 100] ^= 0x10;
    const ChecksumSum pseudo = ipv4_pseudo_header_sum(ip + 12, ip + 16, kIpProtoUdp, 180);
    EXPECT_FALSE(udp_checksum_ok(pseudo, ip + 20, 180));
}

// The pseudo-header sums against explicit pseudo-header bytes summed by the reference loop
// (what DPDK's rte_ipv4_phdr_cksum / rte_ipv6_phdr_cksum sum: the same fields, same order).
TEST(Checksum, PseudoHeaderChecksumsMatchExplicitPseudoHeaders) {
    const Bytes f4 = from_hex(kScapyIpv4Udp);
    const uint8_t* ip4 = f4.data() + 14;
    Bytes p4(ip4 + 12, ip4 + 20);
    p4.insert(p4.end(), {0, 17, 0, 180});
    EXPECT_EQ(ipv4_pseudo_header_checksum(ip4 + 12, ip4 + 16, kIpProtoUdp, 180),
              reference_sum(p4.data(), p4.size()));

    const Bytes f6 = from_hex(kScapyVlanIpv6Udp);
    const uint8_t* ip6 = f6.data() + 18;
    Bytes p6(ip6 + 8, ip6 + 40);
    p6.insert(p6.end(), {0, 1, 0x23, 0x45, 0, 0, 0, 17});  // a length above 16 bits
    EXPECT_EQ(ipv6_pseudo_header_checksum(ip6 + 8, ip6 + 24, kIpProtoUdp, 0x12345),
              reference_sum(p6.data(), p6.size()));
}

// What UDP checksum offload does with the pseudo-header sum in the field: the NIC sums the
// datagram from the UDP header on and complements. That must give the full software checksum.
TEST(Checksum, NicFinishingThePseudoHeaderSumGivesTheSoftwareChecksum) {
    Bytes f = from_hex(kScapyIpv4Udp);
    uint8_t* ip = f.data() + 14;
    uint8_t* udp = ip + 20;
    store_be16(udp + 6, ipv4_pseudo_header_checksum(ip + 12, ip + 16, kIpProtoUdp, 180));
    EXPECT_EQ(reference_checksum(udp, 180), 0xd9eb);
}

// A datagram whose sum is exactly "zero" must carry 0xffff (RFC 768), and verify.
TEST(Checksum, UdpChecksumZeroIsSentAsAllOnes) {
    Bytes udp{0x13, 0x8c, 0x17, 0x70, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00};
    const uint8_t src[4] = {192, 0, 2, 1};
    const uint8_t dst[4] = {198, 51, 100, 2};
    const ChecksumSum pseudo = ipv4_pseudo_header_sum(src, dst, kIpProtoUdp, 10);
    // Choose the last payload word so the whole sum is 0xffff: its checksum computes to 0.
    const uint16_t rest = checksum_fold(checksum_add(pseudo, udp.data(), udp.size()));
    test::put16(udp, 8, static_cast<uint16_t>(~rest));
    ASSERT_EQ(checksum_fold(checksum_add(pseudo, udp.data(), udp.size())), 0xffff);
    const uint16_t checksum = udp_checksum(pseudo, udp.data(), 10);
    EXPECT_EQ(checksum, 0xffff);
    EXPECT_EQ(udp_checksum_with_payload_sum(pseudo, udp.data(), checksum_add(0, udp.data() + 8, 2)), 0xffff);
    test::put16(udp, 6, checksum);
    EXPECT_TRUE(udp_checksum_ok(pseudo, udp.data(), 10));
    EXPECT_EQ(get16(udp, 6), 0xffff);
}

}  // namespace
}  // namespace msf::net
