// The suite table: names and lengths as RFC 4568 §6.2, RFC 6188 §3 and RFC 7714 §12/§14 give them.
#include "dataplane/srtp/suite.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace msf::srtp {
namespace {

struct Expected {
    Suite suite;
    std::string_view name;
    Cipher cipher;
    unsigned key_len, salt_len, auth_key_len, rtp_tag_len, rtcp_tag_len;
};

// RFC 4568 §6.2.1: AES_CM_128_HMAC_SHA1_80/_32, 128-bit key, 112-bit salt, 80-bit SRTCP tag
// for both. RFC 6188 §3: AES_256_CM_HMAC_SHA1_80/_32, 256-bit key, 112-bit salt.
// RFC 7714 §12, §14.1: AEAD_AES_128_GCM/AEAD_AES_256_GCM, 96-bit salt, 16-octet tag.
constexpr Expected kExpected[] = {
    {Suite::aes_cm_128_hmac_sha1_80, "AES_CM_128_HMAC_SHA1_80", Cipher::aes_cm, 16, 14, 20, 10, 10},
    {Suite::aes_cm_128_hmac_sha1_32, "AES_CM_128_HMAC_SHA1_32", Cipher::aes_cm, 16, 14, 20, 4, 10},
    {Suite::aes_256_cm_hmac_sha1_80, "AES_256_CM_HMAC_SHA1_80", Cipher::aes_cm, 32, 14, 20, 10, 10},
    {Suite::aes_256_cm_hmac_sha1_32, "AES_256_CM_HMAC_SHA1_32", Cipher::aes_cm, 32, 14, 20, 4, 10},
    {Suite::aead_aes_128_gcm, "AEAD_AES_128_GCM", Cipher::aes_gcm, 16, 12, 0, 16, 16},
    {Suite::aead_aes_256_gcm, "AEAD_AES_256_GCM", Cipher::aes_gcm, 32, 12, 0, 16, 16},
};

TEST(SuiteTable, HasOneEntryPerSuite) {
    EXPECT_EQ(kSuites.size(), kSuiteCount);
    EXPECT_EQ(std::size(kExpected), kSuiteCount);
}

TEST(SuiteTable, EntryIndexEqualsSuiteValueSoSuiteInfoFindsIt) {
    for (size_t i = 0; i < kSuites.size(); ++i) {
        EXPECT_EQ(static_cast<size_t>(kSuites[i].suite), i);
        EXPECT_EQ(&suite_info(kSuites[i].suite), &kSuites[i]);
    }
}

TEST(SuiteTable, LengthsAndNamesMatchTheRfcs) {
    for (const Expected& e : kExpected) {
        SCOPED_TRACE(std::string(e.name));
        const SuiteInfo& info = suite_info(e.suite);
        EXPECT_EQ(info.suite, e.suite);
        EXPECT_EQ(info.name, e.name);
        EXPECT_EQ(info.cipher, e.cipher);
        EXPECT_EQ(info.key_len, e.key_len);
        EXPECT_EQ(info.salt_len, e.salt_len);
        EXPECT_EQ(info.auth_key_len, e.auth_key_len);
        EXPECT_EQ(info.rtp_tag_len, e.rtp_tag_len);
        EXPECT_EQ(info.rtcp_tag_len, e.rtcp_tag_len);
    }
}

TEST(SuiteTable, ShortTagSuitesShortenOnlyTheSrtpTag) {
    // RFC 4568 §6.2.1 and RFC 6188 §3: SRTCP keeps the 80-bit tag with the _32 suites.
    EXPECT_EQ(suite_info(Suite::aes_cm_128_hmac_sha1_32).rtcp_tag_len, 10u);
    EXPECT_EQ(suite_info(Suite::aes_256_cm_hmac_sha1_32).rtcp_tag_len, 10u);
}

TEST(SuiteTable, MaximumLengthsCoverEverySuite) {
    for (const SuiteInfo& info : kSuites) {
        SCOPED_TRACE(std::string(info.name));
        EXPECT_LE(info.key_len, kMaxKeyLen);
        EXPECT_LE(info.salt_len, kMaxSaltLen);
        EXPECT_LE(info.rtp_tag_len, kMaxTagLen);
        EXPECT_LE(info.rtcp_tag_len, kMaxTagLen);
        EXPECT_TRUE(info.auth_key_len == 0 || info.auth_key_len == kAuthKeyLen);
        EXPECT_EQ(info.auth_key_len == 0, info.cipher == Cipher::aes_gcm);
    }
    EXPECT_GE(kMaxMkiLen, 4u);  // real endpoints use MKIs of 1 to 4 bytes
    EXPECT_LE(kMaxMkiLen, 128u);  // RFC 4568 §9.1 caps the MKI length at 128
}

TEST(SuiteTable, NamesAreUnique) {
    std::set<std::string_view> names;
    for (const SuiteInfo& info : kSuites) EXPECT_TRUE(names.insert(info.name).second) << info.name;
}

TEST(SuiteFromName, FindsEverySuiteByItsRegisteredName) {
    for (const Expected& e : kExpected) {
        const auto found = suite_from_name(e.name);
        ASSERT_TRUE(found.has_value()) << e.name;
        EXPECT_EQ(*found, e.suite);
    }
}

TEST(SuiteFromName, RejectsUnknownAndMisspelledNames) {
    constexpr std::string_view kBad[] = {
        "",
        "aes_cm_128_hmac_sha1_80",   // names are case-sensitive (RFC 4568 §9.2)
        "Aes_Cm_128_Hmac_Sha1_80",
        " AES_CM_128_HMAC_SHA1_80",  // no trimming
        "AES_CM_128_HMAC_SHA1_80 ",
        "AES_CM_128_HMAC_SHA1_8",    // prefixes and extensions are not matches
        "AES_CM_128_HMAC_SHA1_800",
        "AES_CM_128",
        "AES_192_CM_HMAC_SHA1_80",   // registered by RFC 6188 but not supported here
        "AES_192_CM_HMAC_SHA1_32",
        "F8_128_HMAC_SHA1_80",       // RFC 4568 suites not supported here
        "NULL_HMAC_SHA1_80",
        "AEAD_AES_128_GCM_8",        // RFC 7714 drafts had 8-octet tags; not registered
        "SRTP_AEAD_AES_128_GCM",     // the DTLS-SRTP profile name, not the SDES suite name
        "SRTP_AES128_CM_HMAC_SHA1_80",
        "AEAD_AES_128_GCM\n",
    };
    for (std::string_view name : kBad) EXPECT_FALSE(suite_from_name(name).has_value()) << '"' << name << '"';
}

TEST(SuiteFromName, RejectsANameWithAnEmbeddedNul) {
    using namespace std::string_view_literals;
    EXPECT_FALSE(suite_from_name("AES_CM_128_HMAC_SHA1_80\0"sv).has_value());
    EXPECT_FALSE(suite_from_name("AES_CM_128\0HMAC_SHA1_80"sv).has_value());
}

}  // namespace
}  // namespace msf::srtp
