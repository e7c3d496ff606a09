#include "controlplane/keying/sdes.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace msf::keying {
namespace {

using Bytes = std::vector<uint8_t>;
using srtp::Suite;

// RFC 4568 §4, the example offer's attribute.
constexpr std::string_view kRfcExample =
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";

Bytes pattern(size_t n, uint8_t seed) {
    Bytes out(n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + 7 * i);
    return out;
}

SdesKey key_for(Suite suite, uint8_t seed) {
    const auto& info = srtp::suite_info(suite);
    return SdesKey{SecretBytes(pattern(info.key_len, seed)), SecretBytes(pattern(info.salt_len, seed ^ 0x5A)),
                   std::nullopt, std::nullopt};
}

std::string blob_base64(Suite suite, uint8_t seed) {
    const SdesKey k = key_for(suite, seed);
    Bytes blob(k.master_key.bytes().begin(), k.master_key.bytes().end());
    blob.insert(blob.end(), k.master_salt.bytes().begin(), k.master_salt.bytes().end());
    return base64_encode(blob);
}

void expect_error(std::string_view line, ErrorCode code, const std::string& message) {
    auto r = parse_crypto_attribute(line);
    ASSERT_FALSE(r.ok()) << "parsed although it should not: " << line;
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_EQ(r.error().message, message) << line;
}

TEST(Base64, EncodesAndDecodesTheRfc4648Vectors) {
    const std::vector<std::pair<std::string, std::string>> vectors = {
        {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        const Bytes bytes(plain.begin(), plain.end());
        EXPECT_EQ(base64_encode(bytes), encoded);
        auto decoded = base64_decode(encoded);
        ASSERT_TRUE(decoded.has_value()) << encoded;
        EXPECT_EQ(*decoded, bytes);
    }
}

TEST(Base64, DecodeIsStrict) {
    for (std::string_view bad : {"", "Zg", "Zg=", "Zg===", "Z===", "Zm9v\n", "Zm 9v", "Zm9v=Zm9", "Zm-v", "Zh==", "Zm9=",
                                 "=m9v"}) {
        EXPECT_FALSE(base64_decode(bad).has_value()) << "'" << bad << "'";
    }
}

TEST(ParseCrypto, ReadsTheRfc4568ExampleAndFormatsItBackUnchanged) {
    auto a = parse_crypto_attribute(kRfcExample);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->tag, 1u);
    EXPECT_EQ(a->suite, Suite::aes_cm_128_hmac_sha1_80);
    ASSERT_EQ(a->keys.size(), 1u);
    const Bytes blob = *base64_decode("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    EXPECT_EQ(Bytes(a->keys[0].master_key.bytes().begin(), a->keys[0].master_key.bytes().end()),
              Bytes(blob.begin(), blob.begin() + 16));
    EXPECT_EQ(Bytes(a->keys[0].master_salt.bytes().begin(), a->keys[0].master_salt.bytes().end()),
              Bytes(blob.begin() + 16, blob.end()));
    EXPECT_EQ(a->keys[0].lifetime, (Lifetime{1u << 20, true}));
    EXPECT_EQ(a->keys[0].mki, (Mki{1, 4}));
    EXPECT_EQ(a->keys[0].mki->bytes(), (Bytes{0, 0, 0, 1}));
    EXPECT_EQ(format_crypto_line(*a), kRfcExample);
    EXPECT_EQ(format_crypto_value(*a), kRfcExample.substr(9));
}

TEST(ParseCrypto, AcceptsTheValueAloneAndLinesEndingInCrlfOrLf) {
    const std::string value(kRfcExample.substr(9));
    for (const std::string& line : {value, std::string(kRfcExample) + "\r\n", std::string(kRfcExample) + "\n",
                                    value + "\n"}) {
        auto a = parse_crypto_attribute(line);
        ASSERT_TRUE(a.ok()) << a.error().message;
        EXPECT_EQ(format_crypto_line(*a), kRfcExample);
    }
}

TEST(ParseCrypto, EverySuiteRoundTripsWithMkisLifetimesSeveralKeysAndSessionParameters) {
    for (const srtp::SuiteInfo& info : srtp::kSuites) {
        SCOPED_TRACE(info.name);
        CryptoAttribute a;
        a.tag = 123456789;
        a.suite = info.suite;
        for (uint8_t i = 0; i < 3; ++i) {
            SdesKey k = key_for(info.suite, static_cast<uint8_t>(0x10 * i + 1));
            k.mki = Mki{static_cast<uint64_t>(i) + 1, 2};
            if (i == 0) k.lifetime = Lifetime{uint64_t{1} << 31, true};
            if (i == 1) k.lifetime = Lifetime{1000000, false};
            a.keys.push_back(std::move(k));
        }
        a.session.kdr = 24;
        a.session.unencrypted_srtp = true;
        a.session.unencrypted_srtcp = true;
        a.session.unauthenticated_srtp = true;
        a.session.fec_order = FecOrder::srtp_fec;
        a.session.wsh = 128;
        a.session.extensions = {"FEC_KEY=inline:" + blob_base64(info.suite, 9), "-X_VENDOR=1"};
        ASSERT_TRUE(validate_crypto_attribute(a).ok());

        const std::string line = format_crypto_line(a);
        const std::string want = "a=crypto:123456789 " + std::string(info.name) + " inline:" +
                                 blob_base64(info.suite, 0x01) + "|2^31|1:2;inline:" + blob_base64(info.suite, 0x11) +
                                 "|1000000|2:2;inline:" + blob_base64(info.suite, 0x21) +
                                 "|3:2 KDR=24 UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP "
                                 "FEC_ORDER=SRTP_FEC WSH=128 FEC_KEY=inline:" +
                                 blob_base64(info.suite, 9) + " -X_VENDOR=1";
        EXPECT_EQ(line, want);
        auto parsed = parse_crypto_attribute(line);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(*parsed, a);
        EXPECT_EQ(format_crypto_line(*parsed), line);
    }
}

TEST(ParseCrypto, ReadsSeparatorsAndNamesLooselyAndFormatsThemCanonically) {
    const std::string key = blob_base64(Suite::aes_cm_128_hmac_sha1_32, 3);
    auto a = parse_crypto_attribute("a=crypto:007\t AES_CM_128_HMAC_SHA1_32  INLINE:" + key +
                                    "|0:1  wsh=64 fec_order=fec_srtp kdr=0 unencrypted_srtp");
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->tag, 7u);
    EXPECT_EQ(format_crypto_line(*a), "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" + key +
                                          "|0:1 KDR=0 UNENCRYPTED_SRTP FEC_ORDER=FEC_SRTP WSH=64");
}

TEST(ParseCrypto, MkiBytesAreTheValueBigEndianInItsLength) {
    EXPECT_EQ((Mki{258, 2}).bytes(), (Bytes{1, 2}));
    EXPECT_EQ((Mki{5, 10}).bytes(), (Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 5}));
    const std::string key = blob_base64(Suite::aes_cm_128_hmac_sha1_80, 1);
    auto long_mki = parse_crypto_attribute("1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|18446744073709551615:128");
    ASSERT_TRUE(long_mki.ok()) << long_mki.error().message;
    EXPECT_EQ(long_mki->keys[0].mki->bytes().size(), 128u);
    EXPECT_EQ(long_mki->keys[0].mki->bytes().back(), 0xFF);
}

TEST(ParseCrypto, UnknownSuiteIsItsOwnErrorSoACallerCanTryTheNextLine) {
    expect_error("a=crypto:2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4",
                 ErrorCode::unknown_suite, "a=crypto: suite 'F8_128_HMAC_SHA1_80' is not supported");
    // Suite names are case-sensitive (RFC 4568 §9.2).
    expect_error("1 aes_cm_128_hmac_sha1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", ErrorCode::unknown_suite,
                 "a=crypto: suite 'aes_cm_128_hmac_sha1_80' is not supported");
}

TEST(ParseCrypto, MalformedLinesGiveAnErrorNamingWhatIsWrong) {
    const std::string k80 = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    const std::string s80 = "1 AES_CM_128_HMAC_SHA1_80 ";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "a=crypto: empty attribute"},
        {"a=crypto:x AES_CM_128_HMAC_SHA1_80 " + k80, "a=crypto: tag 'x' is not a decimal number"},
        {"-1 AES_CM_128_HMAC_SHA1_80 " + k80, "a=crypto: tag '-1' is not a decimal number"},
        {"1234567890 AES_CM_128_HMAC_SHA1_80 " + k80, "a=crypto: tag '1234567890' is longer than 9 digits"},
        {"1", "a=crypto: missing crypto-suite after tag 1"},
        {"1 AES_CM_128_HMAC_SHA1_80", "a=crypto: missing key-params after AES_CM_128_HMAC_SHA1_80"},
        {"1 AES-CM-128 " + k80, "a=crypto: crypto-suite 'AES-CM-128' has characters outside A-Z a-z 0-9 _"},
        {s80 + "uri:sip:keys@example.com", "a=crypto: key method 'uri' is not supported (only inline)"},
        {s80 + "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "a=crypto: key-param 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR' lacks a key method"},
        {s80 + "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!",
         "a=crypto: inline key 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!' is not valid base64"},
        {s80 + k80 + "|2^20|1:4|7", "a=crypto: key-info '" + k80 + "|2^20|1:4|7' has more than key|lifetime|MKI"},
        {s80 + k80 + "|1:4|2^20", "a=crypto: key-info '" + k80 + "|1:4|2^20': lifetime must come once, before the MKI"},
        {s80 + k80 + "|1:4|2:4", "a=crypto: key-info '" + k80 + "|1:4|2:4' has two MKIs"},
        {s80 + k80 + "|2^49", "a=crypto: lifetime '2^49' is not 2^N with N at most 48"},
        {s80 + k80 + "|2^x", "a=crypto: lifetime '2^x' is not 2^N with N at most 48"},
        {s80 + k80 + "|281474976710657", "a=crypto: lifetime '281474976710657' is not a number of packets up to 2^48 or 2^N"},
        {s80 + k80 + "|0", "a=crypto: lifetime 0 allows no packet"},
        {s80 + k80 + "|1:0", "a=crypto: MKI length '0' is not 1..128"},
        {s80 + k80 + "|1:129", "a=crypto: MKI length '129' is not 1..128"},
        {s80 + k80 + "|1:0004", "a=crypto: MKI length '0004' is not 1..128"},
        {s80 + k80 + "|x:4", "a=crypto: MKI value 'x' is not a decimal number"},
        {s80 + k80 + "|18446744073709551616:16", "a=crypto: MKI value '18446744073709551616' exceeds 2^64-1, the most this library holds"},
        {s80 + k80 + "|256:1", "a=crypto: MKI value 256 does not fit in 1 byte"},
        {s80 + k80 + ";" + k80, "a=crypto: key 1: several keys need an MKI on every key"},
        {s80 + k80 + "|1:1;" + k80 + "|2:2", "a=crypto: key 2: MKI length 2 differs from the first key's"},
        {s80 + k80 + "|1:1;" + k80 + "|1:1", "a=crypto: key 2: MKI value 1 is used twice"},
        {s80 + k80 + ";", "a=crypto: key-param '' lacks a key method"},
        {s80 + k80 + " KDR=25", "a=crypto: KDR '25' is not 0..24"},
        {s80 + k80 + " KDR=", "a=crypto: KDR '' is not 0..24"},
        {s80 + k80 + " WSH=63", "a=crypto: WSH '63' is not a window size of at least 64"},
        {s80 + k80 + " FEC_ORDER=FEC", "a=crypto: FEC_ORDER 'FEC' is neither FEC_SRTP nor SRTP_FEC"},
        {s80 + k80 + " UNENCRYPTED_SRTP UNENCRYPTED_SRTP", "a=crypto: session parameter UNENCRYPTED_SRTP appears twice"},
        {s80 + k80 + " KDR=1 KDR=2", "a=crypto: session parameter KDR appears twice"},
        {s80 + k80 + "\r", "a=crypto: control character 13 at offset 73"},
        {s80 + k80 + "\r\n\r\n", "a=crypto: control character 13 at offset 73"},
        {std::string("1 AES_CM_128_HMAC_SHA1_80 ") + '\0', "a=crypto: control character 0 at offset 26"},
    };
    for (const auto& [line, message] : cases) expect_error(line, ErrorCode::malformed, message);
}

TEST(ParseCrypto, KeyOfTheWrongLengthForTheSuiteNamesBothLengths) {
    expect_error("1 AES_CM_128_HMAC_SHA1_80 inline:" + base64_encode(pattern(29, 1)), ErrorCode::malformed,
                 "a=crypto: inline key is 29 bytes, AES_CM_128_HMAC_SHA1_80 needs 30");
    expect_error("1 AEAD_AES_256_GCM inline:" + blob_base64(Suite::aes_256_cm_hmac_sha1_80, 1), ErrorCode::malformed,
                 "a=crypto: inline key is 46 bytes, AEAD_AES_256_GCM needs 44");
    // 46 bytes without their "==" padding is not strict base64.
    std::string unpadded = blob_base64(Suite::aes_256_cm_hmac_sha1_80, 1);
    unpadded.resize(unpadded.size() - 2);
    expect_error("1 AES_256_CM_HMAC_SHA1_80 inline:" + unpadded, ErrorCode::malformed,
                 "a=crypto: inline key '" + unpadded + "' is not valid base64");
}

TEST(ParseCrypto, LimitsOnLineLengthKeysAndSessionParameters) {
    const std::string k80 = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    expect_error("1 AES_CM_128_HMAC_SHA1_80 " + k80 + " " + std::string(kMaxCryptoLineLen, 'X'), ErrorCode::too_large,
                 "a=crypto: line of 4170 bytes exceeds 4096");
    std::string keys;
    for (int i = 0; i <= static_cast<int>(kMaxKeyParams); ++i) keys += (i ? ";" : "") + k80 + "|" + std::to_string(i) + ":1";
    expect_error("1 AES_CM_128_HMAC_SHA1_80 " + keys, ErrorCode::too_large, "a=crypto: 17 keys exceed 16");
    std::string params;
    for (size_t i = 0; i <= kMaxSessionParams; ++i) params += " X" + std::to_string(i);
    expect_error("1 AES_CM_128_HMAC_SHA1_80 " + k80 + params, ErrorCode::too_large,
                 "a=crypto: 33 session parameters exceed 32");
}

TEST(Validate, CatchesAttributesBuiltInCodeThatCouldNotHaveBeenParsed) {
    CryptoAttribute a;
    EXPECT_EQ(validate_crypto_attribute(a).error().message, "a=crypto: no inline key");
    a.keys.push_back(key_for(Suite::aes_cm_128_hmac_sha1_80, 1));
    EXPECT_TRUE(validate_crypto_attribute(a).ok());
    a.suite = Suite::aead_aes_128_gcm;
    EXPECT_EQ(validate_crypto_attribute(a).error().message,
              "a=crypto: master key and salt are 16+14 bytes, AEAD_AES_128_GCM needs 16+12");
    a.suite = Suite::aes_cm_128_hmac_sha1_80;
    a.tag = 1000000000;
    EXPECT_EQ(validate_crypto_attribute(a).error().message, "a=crypto: tag 1000000000 is longer than 9 digits");
    a.tag = 1;
    a.keys[0].lifetime = Lifetime{3, true};
    EXPECT_EQ(validate_crypto_attribute(a).error().message, "a=crypto: lifetime 3 is out of range");
    a.keys[0].lifetime.reset();
    a.session.extensions = {"TWO WORDS"};
    EXPECT_EQ(validate_crypto_attribute(a).error().message, "a=crypto: session parameter 'TWO WORDS' is not one visible token");
}

TEST(MediaKeysFromSdes, GivesTheChosenKeyAndBuildsAnAttributeFromKeys) {
    auto a = parse_crypto_attribute(kRfcExample);
    ASSERT_TRUE(a.ok());
    auto keys = media_keys(*a);
    ASSERT_TRUE(keys.ok());
    EXPECT_EQ(keys->suite, Suite::aes_cm_128_hmac_sha1_80);
    EXPECT_EQ(keys->master_key.size(), 16u);
    EXPECT_EQ(keys->master_salt.size(), 14u);
    auto missing = media_keys(*a, 1);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, "a=crypto: no key 2 (the attribute has 1)");

    const CryptoAttribute built = crypto_attribute_for(5, *keys);
    EXPECT_EQ(format_crypto_line(built),
              "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
}

}  // namespace
}  // namespace msf::keying
