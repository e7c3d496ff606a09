// The command-line value parsers shared by msf-dpctl and msf-rtp-peer: good values, and for
// malformed ones an error line that names the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dataplane/tools/cli_values.hpp"

namespace msf::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseUnsigned, AcceptsDecimalUpToTheMaximum) {
    EXPECT_EQ(parse_unsigned("0", 10).value(), 0u);
    EXPECT_EQ(parse_unsigned("10", 10).value(), 10u);
    EXPECT_EQ(parse_unsigned("18446744073709551615", UINT64_MAX).value(), UINT64_MAX);
}

TEST(ParseUnsigned, RejectsAnythingElseWithAReason) {
    EXPECT_THAT(parse_unsigned("", 10).error(), HasSubstr("not a decimal number"));
    EXPECT_THAT(parse_unsigned("-1", 10).error(), HasSubstr("not a decimal number"));
    EXPECT_THAT(parse_unsigned("+1", 10).error(), HasSubstr("not a decimal number"));
    EXPECT_THAT(parse_unsigned("12x", 100).error(), HasSubstr("'12x' is not a decimal number"));
    EXPECT_THAT(parse_unsigned(" 1", 10).error(), HasSubstr("not a decimal number"));
    EXPECT_THAT(parse_unsigned("0x10", 100).error(), HasSubstr("not a decimal number"));
    EXPECT_THAT(parse_unsigned("11", 10).error(), HasSubstr("out of range (at most 10)"));
    EXPECT_THAT(parse_unsigned("18446744073709551616", UINT64_MAX).error(), HasSubstr("out of range"));
}

TEST(ParseUnsigned, ErrorLinesCarryNoControlCharactersAndStayShort) {
    const std::string hostile = "1\n2\x1b[31m" + std::string(500, 'x');
    const std::string error = parse_unsigned(hostile, 10).error();
    EXPECT_THAT(error, Not(HasSubstr("\n")));
    EXPECT_THAT(error, Not(HasSubstr("\x1b")));
    EXPECT_LT(error.size(), 120u);
    EXPECT_THAT(error, HasSubstr("..."));
}

TEST(ParseHex, DecodesPairsInEitherCase) {
    EXPECT_EQ(parse_hex("00ffA5", 8).value(), (std::vector<uint8_t>{0x00, 0xff, 0xa5}));
    EXPECT_TRUE(parse_hex("", 8).value().empty());
}

TEST(ParseHex, RejectsOddLengthBadDigitsAndOverlongStrings) {
    EXPECT_THAT(parse_hex("abc", 8).error(), HasSubstr("odd number of hex digits"));
    EXPECT_THAT(parse_hex("0g", 8).error(), HasSubstr("bad digit at position 1"));
    EXPECT_THAT(parse_hex("g0", 8).error(), HasSubstr("bad digit at position 0"));
    EXPECT_THAT(parse_hex("0x00", 8).error(), HasSubstr("not hex"));
    EXPECT_THAT(parse_hex("000000", 2).error(), HasSubstr("3 bytes is longer than 2"));
}

TEST(ParseEndpoint, TakesIpv4AndBracketedIpv6) {
    const auto v4 = parse_endpoint("192.0.2.1:5004");
    ASSERT_TRUE(v4.ok());
    EXPECT_EQ(v4.value().to_string(), "192.0.2.1:5004");
    const auto v6 = parse_endpoint("[2001:db8::1]:6000");
    ASSERT_TRUE(v6.ok());
    EXPECT_TRUE(v6.value().addr.is_v6());
    EXPECT_EQ(v6.value().port, 6000);
}

TEST(ParseEndpoint, RejectsMissingPortsUnbracketedIpv6AndNames) {
    for (const char* bad : {"192.0.2.1", "192.0.2.1:", "192.0.2.1:65536", "2001:db8::1:5", "host:5004",
                            "[2001:db8::1]5004", "", ":5004", "192.0.2.1:-1"}) {
        const auto parsed = parse_endpoint(bad);
        ASSERT_FALSE(parsed.ok()) << bad;
        EXPECT_THAT(parsed.error(), HasSubstr("is not IP:PORT")) << bad;
    }
}

TEST(ParseSuite, KnowsEveryTableNameExactly) {
    for (const srtp::SuiteInfo& info : srtp::kSuites) EXPECT_EQ(parse_suite(info.name).value(), info.suite);
    const auto lower = parse_suite("aes_cm_128_hmac_sha1_80");
    ASSERT_FALSE(lower.ok());
    EXPECT_THAT(lower.error(), HasSubstr("is not a suite"));
    EXPECT_THAT(lower.error(), HasSubstr("AEAD_AES_256_GCM"));
}

TEST(SplitMasterKey, SplitsKeyAndSaltByTheSuite) {
    std::vector<uint8_t> bytes(30);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
    const auto cm = split_master_key(bytes, srtp::Suite::aes_cm_128_hmac_sha1_80);
    ASSERT_TRUE(cm.ok());
    EXPECT_EQ(cm.value().key.size(), 16u);
    EXPECT_EQ(cm.value().salt.size(), 14u);
    EXPECT_EQ(cm.value().salt.front(), 16);

    bytes.resize(44);
    const auto gcm = split_master_key(bytes, srtp::Suite::aead_aes_256_gcm);
    ASSERT_TRUE(gcm.ok());
    EXPECT_EQ(gcm.value().key.size(), 32u);
    EXPECT_EQ(gcm.value().salt.size(), 12u);
}

TEST(SplitMasterKey, NamesTheLengthTheSuiteNeeds) {
    const std::vector<uint8_t> bytes(29);
    const auto r = split_master_key(bytes, srtp::Suite::aes_cm_128_hmac_sha1_80);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), "29 bytes, AES_CM_128_HMAC_SHA1_80 needs 30 (16-byte key || 14-byte salt)");
}

TEST(ToHex, WritesLowerCasePairs) {
    const std::vector<uint8_t> bytes{0x01, 0xab, 0xff};
    EXPECT_EQ(to_hex(bytes), "01abff");
    EXPECT_EQ(to_hex({}), "");
}

}  // namespace
}  // namespace msf::tools
