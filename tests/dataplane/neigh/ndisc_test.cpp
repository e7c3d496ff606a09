#include "dataplane/neigh/ndisc.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/dataplane/neigh/test_network.hpp"

namespace msf::neigh {
namespace {

using test::from_hex;
using test::ip;

// ICMPv6 part of scapy's
//   IPv6(src="2001:db8::10", dst="ff02::1:ff00:1", hlim=255)/ICMPv6ND_NS(tgt="2001:db8::1")
//     /ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:aa")
std::vector<uint8_t> ns_bytes() {
    return from_hex("87001b710000000020010db800000000000000000000000101010200000000aa");
}
const Ipv6Envelope kNsEnvelope{ip("2001:db8::10"), ip("ff02::1:ff00:1"), 255};

// ICMPv6 part of IPv6(src="2001:db8::10", dst="2001:db8::1", hlim=255)
//   /ICMPv6ND_NA(tgt="2001:db8::10", R=0, S=1,
//   O=1)/ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:aa")
std::vector<uint8_t> na_bytes() {
    return from_hex("880089ad6000000020010db800000000000000000000001002010200000000aa");
}
const Ipv6Envelope kNaEnvelope{ip("2001:db8::10"), ip("2001:db8::1"), 255};

// Rewrites the checksum after a test changed the message, so only the change is tested.
void fix_checksum(std::vector<uint8_t>& m, const Ipv6Envelope& env) {
    m[2] = m[3] = 0;
    const uint16_t c = test::plain_icmpv6_checksum(env.src.bytes, env.dst.bytes, m);
    m[2] = static_cast<uint8_t>(c >> 8);
    m[3] = static_cast<uint8_t>(c);
}

TEST(NdChecksum, MatchesAnIndependentComputation) {
    const auto m = ns_bytes();
    EXPECT_EQ(test::plain_icmpv6_checksum(kNsEnvelope.src.bytes, kNsEnvelope.dst.bytes, m), 0);
    EXPECT_EQ(icmpv6_checksum(kNsEnvelope.src, kNsEnvelope.dst, m), 0x1b71);
    EXPECT_TRUE(icmpv6_checksum_ok(kNsEnvelope.src, kNsEnvelope.dst, m));
}

TEST(NsParse, ReadsTargetAndSourceLinkLayerAddress) {
    const auto parsed = parse_neighbor_solicitation(kNsEnvelope, ns_bytes());
    ASSERT_TRUE(parsed.ok()) << parsed.reason;
    EXPECT_EQ(parsed.value.target, ip("2001:db8::1"));
    ASSERT_TRUE(parsed.value.source_link_addr);
    EXPECT_EQ(*parsed.value.source_link_addr, test::kPeerMac);
}

TEST(NsParse, HopLimitBelow255IsMalformed) {  // RFC 4861 §7.1.1
    Ipv6Envelope env = kNsEnvelope;
    env.hop_limit = 254;
    const auto parsed = parse_neighbor_solicitation(env, ns_bytes());
    EXPECT_EQ(parsed.verdict, Verdict::malformed);
    EXPECT_EQ(parsed.reason, "ND hop limit is not 255");
}

TEST(NsParse, BadChecksumIsMalformed) {
    auto m = ns_bytes();
    m[3] ^= 1;
    const auto parsed = parse_neighbor_solicitation(kNsEnvelope, m);
    EXPECT_EQ(parsed.verdict, Verdict::malformed);
    EXPECT_EQ(parsed.reason, "ICMPv6 checksum wrong");
    // The checksum covers the pseudo-header: the same bytes from another source fail too.
    Ipv6Envelope other = kNsEnvelope;
    other.src = ip("2001:db8::11");
    EXPECT_EQ(parse_neighbor_solicitation(other, ns_bytes()).verdict, Verdict::malformed);
}

TEST(NsParse, NonZeroCodeIsMalformed) {
    auto m = ns_bytes();
    m[1] = 1;
    fix_checksum(m, kNsEnvelope);
    EXPECT_EQ(parse_neighbor_solicitation(kNsEnvelope, m).reason, "ND code is not 0");
}

TEST(NsParse, ShorterThan24BytesIsMalformed) {
    const auto whole = ns_bytes();
    for (size_t len = 4; len < kNdMessageLen; ++len) {
        std::vector<uint8_t> m(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(len));
        fix_checksum(m, kNsEnvelope);
        EXPECT_EQ(parse_neighbor_solicitation(kNsEnvelope, m).verdict, Verdict::malformed) << len;
    }
}

TEST(NsParse, TruncatedOptionIsMalformed) {
    for (size_t cut = 1; cut < kLinkLayerOptionLen; ++cut) {
        auto m = ns_bytes();
        m.resize(m.size() - cut);
        fix_checksum(m, kNsEnvelope);
        const auto parsed = parse_neighbor_solicitation(kNsEnvelope, m);
        EXPECT_EQ(parsed.verdict, Verdict::malformed) << cut;
    }
}

TEST(NsParse, OptionOfLengthZeroIsMalformed) {
    auto m = ns_bytes();
    m[25] = 0;
    fix_checksum(m, kNsEnvelope);
    EXPECT_EQ(parse_neighbor_solicitation(kNsEnvelope, m).reason, "ND option with length 0");
}

TEST(NsParse, OptionLongerThanTheMessageIsMalformed) {
    auto m = ns_bytes();
    m[25] = 2;  // 16 bytes claimed, 8 present
    fix_checksum(m, kNsEnvelope);
    EXPECT_EQ(parse_neighbor_solicitation(kNsEnvelope, m).reason,
              "ND option runs past the message");
}

TEST(NsParse, UnknownOptionsAreSkipped) {  // RFC 4861 §4.6
    auto m = ns_bytes();
    const std::vector<uint8_t> nonce = {14, 1, 1, 2, 3, 4, 5, 6};  // RFC 3971 nonce option
    m.insert(m.begin() + kNdMessageLen, nonce.begin(), nonce.end());
    fix_checksum(m, kNsEnvelope);
    const auto parsed = parse_neighbor_solicitation(kNsEnvelope, m);
    ASSERT_TRUE(parsed.ok()) << parsed.reason;
    EXPECT_EQ(parsed.value.source_link_addr, test::kPeerMac);
}

TEST(NsParse, MulticastTargetIsMalformed) {
    auto m = ns_bytes();
    m[8] = 0xff;
    fix_checksum(m, kNsEnvelope);
    EXPECT_EQ(parse_neighbor_solicitation(kNsEnvelope, m).reason,
              "ND target is a multicast address");
}

TEST(NsParse, DadProbeRules) {  // RFC 4861 §7.1.1, last two checks
    Ipv6Envelope env{ip("::"), ip("ff02::1:ff00:1"), 255};
    auto with_option = ns_bytes();
    fix_checksum(with_option, env);
    EXPECT_EQ(parse_neighbor_solicitation(env, with_option).reason,
              "NS from :: carries a source link-layer address");
    auto without_option = ns_bytes();
    without_option.resize(kNdMessageLen);
    fix_checksum(without_option, env);
    EXPECT_TRUE(parse_neighbor_solicitation(env, without_option).ok());
    env.dst = ip("2001:db8::1");
    fix_checksum(without_option, env);
    EXPECT_EQ(parse_neighbor_solicitation(env, without_option).reason,
              "NS from :: not sent to a solicited-node address");
}

TEST(NsParse, OtherTypesAreIgnored) {
    auto m = na_bytes();
    EXPECT_EQ(parse_neighbor_solicitation(kNaEnvelope, m).verdict, Verdict::ignored);
    EXPECT_EQ(parse_neighbor_solicitation(kNaEnvelope, {}).verdict, Verdict::ignored);
}

TEST(NaParse, ReadsFlagsAndTargetLinkLayerAddress) {
    const auto parsed = parse_neighbor_advertisement(kNaEnvelope, na_bytes());
    ASSERT_TRUE(parsed.ok()) << parsed.reason;
    EXPECT_EQ(parsed.value.target, ip("2001:db8::10"));
    EXPECT_FALSE(parsed.value.router);
    EXPECT_TRUE(parsed.value.solicited);
    EXPECT_TRUE(parsed.value.override_entry);
    EXPECT_EQ(parsed.value.target_link_addr, test::kPeerMac);
}

TEST(NaParse, SolicitedFlagToMulticastIsMalformed) {  // RFC 4861 §7.1.2
    Ipv6Envelope env{ip("2001:db8::10"), ip("ff02::1"), 255};
    auto m = na_bytes();
    fix_checksum(m, env);
    EXPECT_EQ(parse_neighbor_advertisement(env, m).reason,
              "NA to a multicast address has the S flag");
    m[4] = 0x20;  // O only
    fix_checksum(m, env);
    EXPECT_TRUE(parse_neighbor_advertisement(env, m).ok());
}

TEST(NaParse, HopLimitChecksumAndOptionsAreValidated) {
    Ipv6Envelope env = kNaEnvelope;
    env.hop_limit = 1;
    EXPECT_EQ(parse_neighbor_advertisement(env, na_bytes()).verdict, Verdict::malformed);
    auto m = na_bytes();
    m[30] ^= 0x40;
    EXPECT_EQ(parse_neighbor_advertisement(kNaEnvelope, m).reason, "ICMPv6 checksum wrong");
    m = na_bytes();
    m.resize(28);
    fix_checksum(m, kNaEnvelope);
    EXPECT_EQ(parse_neighbor_advertisement(kNaEnvelope, m).verdict, Verdict::malformed);
}

TEST(NaParse, GroupLinkLayerAddressIsMalformed) {
    auto m = na_bytes();
    m[26] = 0x33;
    fix_checksum(m, kNaEnvelope);
    EXPECT_EQ(parse_neighbor_advertisement(kNaEnvelope, m).reason,
              "NA target link-layer address is not unicast");
}

TEST(NdWrite, SolicitationMatchesScapy) {
    // scapy: ICMPv6ND_NS(tgt="2001:db8::10")/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
    //   under IPv6(src="2001:db8::1", dst="ff02::1:ff00:10")
    uint8_t buf[kNdMessageWithOptionLen];
    ASSERT_EQ(write_neighbor_solicitation(buf, ip("2001:db8::1"), ip("ff02::1:ff00:10"),
                                          ip("2001:db8::10"), test::kAccessMac),
              kNdMessageWithOptionLen);
    EXPECT_EQ(test::to_hex(buf),
              "87001c0b0000000020010db80000000000000000000000100101020000000001");
}

TEST(NdWrite, AdvertisementMatchesScapyAndParsesBack) {
    // scapy: ICMPv6ND_NA(tgt="2001:db8::1", R=0, S=1,
    // O=1)/ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:01")
    //   under IPv6(src="2001:db8::1", dst="2001:db8::10")
    NeighborAdvertisement na;
    na.target = ip("2001:db8::1");
    na.solicited = true;
    na.override_entry = true;
    na.target_link_addr = test::kAccessMac;
    uint8_t buf[kNdMessageWithOptionLen];
    write_neighbor_advertisement(buf, ip("2001:db8::1"), ip("2001:db8::10"), na);
    EXPECT_EQ(test::to_hex(buf),
              "88008a656000000020010db80000000000000000000000010201020000000001");
    const auto parsed =
        parse_neighbor_advertisement({ip("2001:db8::1"), ip("2001:db8::10"), 255}, buf);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value.target_link_addr, test::kAccessMac);
}

}  // namespace
}  // namespace msf::neigh
