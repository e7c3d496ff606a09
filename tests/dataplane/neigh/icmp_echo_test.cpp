#include "dataplane/neigh/icmp_echo.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/dataplane/neigh/test_network.hpp"

namespace msf::neigh {
namespace {

using test::from_hex;
using test::ip;

// scapy: ICMP(type=8, id=7, seq=1)/Raw(bytes(range(40)))
std::vector<uint8_t> echo4_request() {
    return from_hex(
        "08007a6600070001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627");
}
// scapy: ICMPv6EchoRequest(id=7, seq=1, data=bytes(range(40))) from 2001:db8::10 to 2001:db8::1
std::vector<uint8_t> echo6_request() {
    return from_hex(
        "8000a67800070001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627");
}

TEST(Icmp4Echo, ReplyKeepsIdentifierSequenceAndData) {
    const auto request = echo4_request();
    const auto parsed = parse_icmp4_echo_request(request);
    ASSERT_TRUE(parsed.ok()) << parsed.reason;
    std::vector<uint8_t> reply(request.size());
    write_icmp4_echo_reply(reply.data(), request);
    // scapy: ICMP(type=0, id=7, seq=1)/Raw(bytes(range(40)))
    EXPECT_EQ(
        test::to_hex(reply),
        "0000826600070001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627");
    EXPECT_EQ(test::plain_checksum(reply), 0);
}

TEST(Icmp4Echo, OddLengthChecksum) {
    std::vector<uint8_t> request = {8, 0, 0, 0, 0, 1, 0, 2, 0xab};
    const uint16_t c = test::plain_checksum(request);
    request[2] = static_cast<uint8_t>(c >> 8);
    request[3] = static_cast<uint8_t>(c);
    ASSERT_TRUE(parse_icmp4_echo_request(request).ok());
    std::vector<uint8_t> reply(request.size());
    write_icmp4_echo_reply(reply.data(), request);
    EXPECT_EQ(test::plain_checksum(reply), 0);
    EXPECT_EQ(reply[8], 0xab);
}

TEST(Icmp4Echo, MalformedAndIgnored) {
    auto m = echo4_request();
    m[5] ^= 1;
    EXPECT_EQ(parse_icmp4_echo_request(m).reason, "ICMP checksum wrong");
    m = echo4_request();
    m[1] = 1;
    EXPECT_EQ(parse_icmp4_echo_request(m).verdict, Verdict::malformed);
    EXPECT_EQ(parse_icmp4_echo_request(std::span<const uint8_t>(m.data(), 7)).verdict,
              Verdict::malformed);
    EXPECT_EQ(parse_icmp4_echo_request({}).verdict, Verdict::malformed);
    m = echo4_request();
    m[0] = 13;  // timestamp request
    EXPECT_EQ(parse_icmp4_echo_request(m).verdict, Verdict::ignored);
}

TEST(Icmp6Echo, ReplyChecksumCoversTheSwappedPseudoHeader) {
    const auto request = echo6_request();
    const auto from = ip("2001:db8::10"), to = ip("2001:db8::1");
    ASSERT_TRUE(parse_icmp6_echo_request(from, to, request).ok());
    std::vector<uint8_t> reply(request.size());
    write_icmp6_echo_reply(reply.data(), to, from, request);
    // scapy: ICMPv6EchoReply(id=7, seq=1, data=bytes(range(40))) from 2001:db8::1 to 2001:db8::10
    EXPECT_EQ(
        test::to_hex(reply),
        "8100a57800070001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627");
    EXPECT_EQ(test::plain_icmpv6_checksum(to.bytes, from.bytes, reply), 0);
}

TEST(Icmp6Echo, MalformedAndIgnored) {
    const auto from = ip("2001:db8::10"), to = ip("2001:db8::1");
    auto m = echo6_request();
    EXPECT_EQ(parse_icmp6_echo_request(from, ip("2001:db8::2"), m).reason, "ICMPv6 checksum wrong");
    m[1] = 3;
    EXPECT_EQ(parse_icmp6_echo_request(from, to, m).verdict, Verdict::malformed);
    m = echo6_request();
    EXPECT_EQ(parse_icmp6_echo_request(from, to, std::span<const uint8_t>(m.data(), 6)).verdict,
              Verdict::malformed);
    m[0] = 133;  // router solicitation
    EXPECT_EQ(parse_icmp6_echo_request(from, to, m).verdict, Verdict::ignored);
}

}  // namespace
}  // namespace msf::neigh
