#include "dataplane/neigh/arp.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/dataplane/neigh/test_network.hpp"

namespace msf::neigh {
namespace {

using test::from_hex;
using test::ip;

// The ARP part of scapy's ARP(op=1, hwsrc="02:00:00:00:00:aa", psrc="192.0.2.10",
// pdst="192.0.2.1"), followed by 18 bytes of Ethernet padding.
std::vector<uint8_t> request_bytes() {
    return from_hex(
        "00010800060400010200000000aac000020a000000000000c0000201000000000000000000000000000000000000");
}

TEST(ArpParse, ReadsEveryFieldOfARequest) {
    const auto bytes = request_bytes();
    const auto parsed = parse_arp(bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.reason;
    EXPECT_EQ(parsed.value.op, ArpOp::request);
    EXPECT_EQ(parsed.value.sender_mac, test::kPeerMac);
    EXPECT_EQ(parsed.value.sender_ip, ip("192.0.2.10"));
    EXPECT_TRUE(parsed.value.target_mac.is_zero());
    EXPECT_EQ(parsed.value.target_ip, ip("192.0.2.1"));
}

TEST(ArpParse, WriteThenParseRoundTrips) {
    const ArpMessage m{ArpOp::reply, test::kAccessMac, ip("192.0.2.1"), test::kPeerMac,
                       ip("192.0.2.10")};
    uint8_t buf[kArpMessageLen];
    write_arp(buf, m);
    // scapy: bytes(ARP(op=2, hwsrc="02:00:00:00:00:01", psrc="192.0.2.1",
    //                  hwdst="02:00:00:00:00:aa", pdst="192.0.2.10"))
    EXPECT_EQ(test::to_hex(buf), "0001080006040002020000000001c00002010200000000aac000020a");
    const auto parsed = parse_arp(buf);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value.op, ArpOp::reply);
    EXPECT_EQ(parsed.value.sender_ip, m.sender_ip);
    EXPECT_EQ(parsed.value.target_mac, m.target_mac);
}

TEST(ArpParse, EveryTruncationIsMalformed) {
    const auto bytes = request_bytes();
    for (size_t len = 0; len < kArpMessageLen; ++len) {
        const auto parsed = parse_arp(std::span<const uint8_t>(bytes.data(), len));
        EXPECT_EQ(parsed.verdict, Verdict::malformed) << len;
    }
    EXPECT_TRUE(parse_arp(std::span<const uint8_t>(bytes.data(), kArpMessageLen)).ok());
}

TEST(ArpParse, OtherHardwareProtocolOrOpcodeIsIgnored) {
    auto bytes = request_bytes();
    bytes[1] = 6;  // IEEE 802 networks
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::ignored);
    bytes = request_bytes();
    bytes[2] = 0x86;  // protocol 0x86dd
    bytes[3] = 0xdd;
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::ignored);
    bytes = request_bytes();
    bytes[7] = 3;  // RARP request
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::ignored);
}

TEST(ArpParse, WrongAddressLengthsAreMalformed) {
    auto bytes = request_bytes();
    bytes[4] = 8;
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::malformed);
    bytes = request_bytes();
    bytes[5] = 16;
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::malformed);
}

TEST(ArpParse, GroupOrZeroSenderIsMalformed) {
    auto bytes = request_bytes();
    bytes[8] = 0x01;  // multicast sender MAC
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::malformed);
    bytes = request_bytes();
    std::fill(bytes.begin() + 8, bytes.begin() + 14, 0);
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::malformed);
    bytes = request_bytes();
    bytes[14] = 224;  // sender IP 224.0.2.10
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::malformed);
    bytes = request_bytes();
    std::fill(bytes.begin() + 14, bytes.begin() + 18, 0xff);
    EXPECT_EQ(parse_arp(bytes).verdict, Verdict::malformed);
}

TEST(ArpParse, ProbeFromUnspecifiedSenderIsAccepted) {
    auto bytes = request_bytes();
    std::fill(bytes.begin() + 14, bytes.begin() + 18, 0);  // RFC 5227 §2.1.1 probe
    const auto parsed = parse_arp(bytes);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value.sender_ip, ip("0.0.0.0"));
}

}  // namespace
}  // namespace msf::neigh
