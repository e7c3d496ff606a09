#include "controlplane/keying/kdf.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace msf::keying {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;
using srtp::Suite;

Bytes from_hex(std::string_view hex) {
    Bytes out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (uint8_t b : bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

Bytes range(uint8_t first, uint8_t end) {
    Bytes out;
    for (unsigned b = first; b < end; ++b) out.push_back(static_cast<uint8_t>(b));
    return out;
}

std::span<const uint8_t> text(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// ---- The inputs of tests/controlplane/keying/kdf_vectors.py, the same values ----

constexpr std::string_view kCallId = "a84b4c76e66710@pc33.atlanta.example.com";
constexpr std::string_view kUser = "alice@ims.example.com";
constexpr std::string_view kRealm = "ims.example.com";
constexpr std::string_view kPassword = "secret";

AkaKeys vector_aka() { return AkaKeys{SecretBytes(range(0x00, 0x10)), SecretBytes(range(0x10, 0x20))}; }
DigestPassword vector_password(DigestAlgorithm algorithm) {
    return DigestPassword{std::string(kUser), std::string(kRealm), SecretBytes(kPassword), algorithm};
}

struct Vector {
    std::string name;
    SecurityAssociation sa;
    uint16_t media_index;
    Direction direction;
    Suite suite;
    std::string key_hex;  // computed once with kdf_vectors.py, committed here and in docs/keying.md
    std::string salt_hex;
};

std::vector<Vector> committed_vectors() {
    return {
        {"aka_cm128_ue_to_network", vector_aka(), 0, Direction::ue_to_network, Suite::aes_cm_128_hmac_sha1_80,
         "83fa4a8817dfe4e4b98889ccb0507fa7", "d5ba92b3d3b5cf24cc364d7c3dd0"},
        {"aka_cm256_network_to_ue", vector_aka(), 1, Direction::network_to_ue, Suite::aes_256_cm_hmac_sha1_80,
         "8769bc9f04854e8245070fe2e81a40b71a56de2d382f28b9f1ffcf50e8cce450", "f387ed31f031a45cf2700b73fe36"},
        {"tls_exporter_gcm128", TlsExporter{SecretBytes(range(0x40, 0x80))}, 0, Direction::ue_to_network,
         Suite::aead_aes_128_gcm, "f9657f66769f9aa9df223a2789b691df", "9833412bf07c426545a756c3"},
        {"tls_master_gcm256", TlsMasterSecret{SecretBytes(range(0xA0, 0xD0))}, 2, Direction::network_to_ue,
         Suite::aead_aes_256_gcm, "2fc04e58ecdb10a9584c0a2c573071d06794c5289eca5c4ea841cd98c657d43a",
         "c4573bc2483262f663b786c1"},
        {"digest_md5_cm128_32", vector_password(DigestAlgorithm::md5), 0, Direction::ue_to_network,
         Suite::aes_cm_128_hmac_sha1_32, "ba34a55fef0abf81316aae3d9092722a", "dc35d7f045243128ab06b49d9f90"},
        {"digest_sha256_cm256_32", vector_password(DigestAlgorithm::sha256), 3, Direction::network_to_ue,
         Suite::aes_256_cm_hmac_sha1_32, "3e32468bc0e7946a47ccae0444e54217040b5136b29633df2c9a5748e444a9b3",
         "7e34c6b7c3a1221a348ffdc654d5"},
    };
}
constexpr std::string_view kHa1Md5 = "c2f774ef59736ab117a74fec34a5a99f";
constexpr std::string_view kHa1Sha256 = "a430a6452e690f483e9895f75b6005f935beae990c71d470e63bf037ae9b3387";

// ---- Generic KDF ----

TEST(Kdf, ReproducesTheRfc5448CkPrimeIkPrimeVectorWhichUsesTheTs33220Kdf) {
    // RFC 5448 Appendix C test case 1: CK' || IK' = KDF(CK || IK, FC 0x20, P0 "WLAN", P1 SQN^AK)
    // (TS 33.402 Annex A.2, built on the TS 33.220 B.2 KDF): a published vector for the layout.
    const Bytes key = from_hex("5349fbe098649f948f5d2e973a81c00f9744871ad32bf9bbd1dd5ce54e3e2e5a");
    const uint8_t fc[] = {0x20};
    const Bytes sqn_xor_ak = from_hex("bb52e91c747a");
    const std::array<std::span<const uint8_t>, 2> params = {text("WLAN"), sqn_xor_ak};
    auto out = kdf(key, fc, params);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(to_hex(out->bytes), "0093962d0dd84aa5684b045c9edffa04ccfc230ca74fcc96c0a5d61164f5a76c");
}

TEST(Kdf, InputStringIsFcThenEachParameterFollowedByItsTwoOctetLength) {
    const uint8_t fc[] = {0xE0};
    const Bytes long_param(300, 0x55);
    const std::array<std::span<const uint8_t>, 3> params = {text("ab"), std::span<const uint8_t>(), long_param};
    auto s = kdf_input(fc, params);
    ASSERT_TRUE(s.ok());
    // FC, "ab" 00 02, (empty) 00 00, 300 x 0x55, 01 2c.
    Bytes want(1 + 4 + 2 + 300 + 2, 0x55);
    const uint8_t head[] = {0xE0, 'a', 'b', 0x00, 0x02, 0x00, 0x00};
    std::copy(std::begin(head), std::end(head), want.begin());
    want[want.size() - 2] = 0x01;
    want[want.size() - 1] = 0x2C;
    EXPECT_EQ(*s, want);
}

TEST(Kdf, AcceptsTheTwoOctetFcFormAndRejectsOtherFcShapes) {
    const std::array<std::span<const uint8_t>, 1> params = {text("x")};
    const uint8_t two[] = {0xFF, 0x01};
    auto s = kdf_input(two, params);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(*s, (Bytes{0xFF, 0x01, 'x', 0x00, 0x01}));
    const uint8_t lone_ff[] = {0xFF};
    const uint8_t bad_two[] = {0x10, 0x01};
    for (std::span<const uint8_t> fc : {std::span<const uint8_t>(lone_ff), std::span<const uint8_t>(bad_two),
                                        std::span<const uint8_t>()}) {
        auto r = kdf_input(fc, params);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().message, "kdf: FC must be one octet other than 0xFF, or 0xFF followed by one octet");
    }
}

TEST(Kdf, RefusesAnEmptyKeyNoParametersAndParametersTooLongForTheirLengthField) {
    const uint8_t fc[] = {0xE0};
    const std::array<std::span<const uint8_t>, 1> one = {text("x")};
    auto no_key = kdf({}, fc, one);
    ASSERT_FALSE(no_key.ok());
    EXPECT_EQ(no_key.error().message, "kdf: Key is empty");
    const uint8_t key[] = {1};
    auto none = kdf(key, fc, {});
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().message, "kdf: S needs at least P0");
    const Bytes huge(kKdfMaxParamLen + 1, 0);
    const std::array<std::span<const uint8_t>, 2> too_long = {text("x"), huge};
    auto r = kdf(key, fc, too_long);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "kdf: P1 is 65536 bytes, longer than a 2-octet length allows");
    const Bytes max(kKdfMaxParamLen, 0);
    const std::array<std::span<const uint8_t>, 2> at_limit = {text("x"), max};
    EXPECT_TRUE(kdf(key, fc, at_limit).ok());
    const std::vector<std::span<const uint8_t>> many(kKdfMaxParams + 1, text("x"));
    EXPECT_FALSE(kdf(key, fc, many).ok());
}

// ---- The e2ae derivation against the independent implementation ----

TEST(MediaKeyVectors, DeriveTheCommittedVectors) {
    for (const Vector& v : committed_vectors()) {
        SCOPED_TRACE(v.name);
        auto keys = derive_media_keys(v.sa, CallBinding{std::string(kCallId), v.media_index}, v.direction, v.suite);
        ASSERT_TRUE(keys.ok()) << keys.error().message;
        EXPECT_EQ(keys->suite, v.suite);
        EXPECT_EQ(keys->master_key.size(), srtp::suite_info(v.suite).key_len);
        EXPECT_EQ(keys->master_salt.size(), srtp::suite_info(v.suite).salt_len);
        EXPECT_EQ(to_hex(keys->master_key), v.key_hex);
        EXPECT_EQ(to_hex(keys->master_salt), v.salt_hex);
    }
}

TEST(MediaKeyVectors, CommittedVectorsAreWhatAnIndependentPythonImplementationComputes) {
    const std::string python = MSF_PYTHON3;
    if (python.empty()) GTEST_SKIP() << "python3 was not found when this was configured";
    const std::string command = python + " " + MSF_KDF_VECTORS_PY;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    ASSERT_NE(pipe, nullptr) << command;
    std::string output;
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof(buf), pipe.get())) output.append(buf, n);
    ASSERT_EQ(pclose(pipe.release()), 0) << command << "\n" << output;

    std::map<std::string, std::pair<std::string, std::string>> computed;
    std::istringstream lines(output);
    for (std::string name, key, salt; lines >> name >> key;) {
        if (name.rfind("ha1_", 0) != 0) lines >> salt;
        computed[name] = {key, name.rfind("ha1_", 0) == 0 ? std::string() : salt};
    }
    EXPECT_EQ(computed["ha1_md5"].first, kHa1Md5);
    EXPECT_EQ(computed["ha1_sha256"].first, kHa1Sha256);
    const auto vectors = committed_vectors();
    ASSERT_EQ(computed.size(), vectors.size() + 2) << output;
    for (const Vector& v : vectors) {
        SCOPED_TRACE(v.name);
        ASSERT_TRUE(computed.count(v.name));
        EXPECT_EQ(computed[v.name].first, v.key_hex);
        EXPECT_EQ(computed[v.name].second, v.salt_hex);
    }
}

TEST(MediaKeyVectors, TheTwo256BitSuitesUseTwoKdfBlocksWithCounters1And2) {
    // Recomputes aka_cm256_network_to_ue from kdf(): block 1 gives the 32-byte key, block 2 the salt.
    const Bytes key = range(0x00, 0x20);
    const uint8_t fc[] = {0xE0};
    const uint8_t index[] = {0x00, 0x01}, direction[] = {0x01};
    uint8_t counter[] = {1};
    const std::array<std::span<const uint8_t>, 6> params = {text("msf-e2ae-aka"), text(kCallId), index,
                                                            direction, text("AES_256_CM_HMAC_SHA1_80"), counter};
    auto first = kdf(key, fc, params);
    counter[0] = 2;
    auto second = kdf(key, fc, params);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(to_hex(first->bytes), "8769bc9f04854e8245070fe2e81a40b71a56de2d382f28b9f1ffcf50e8cce450");
    EXPECT_EQ(to_hex(std::span<const uint8_t>(second->bytes).first(14)), "f387ed31f031a45cf2700b73fe36");
}

TEST(MediaKeys, EveryBindingInputChangesTheKey) {
    const SecurityAssociation sa = vector_aka();
    const CallBinding call{std::string(kCallId), 0};
    auto base = derive_media_keys(sa, call, Direction::ue_to_network, Suite::aes_cm_128_hmac_sha1_80);
    ASSERT_TRUE(base.ok());
    auto other_call = derive_media_keys(sa, CallBinding{"b" + std::string(kCallId), 0}, Direction::ue_to_network,
                                        Suite::aes_cm_128_hmac_sha1_80);
    auto other_index = derive_media_keys(sa, CallBinding{std::string(kCallId), 1}, Direction::ue_to_network,
                                         Suite::aes_cm_128_hmac_sha1_80);
    auto other_direction = derive_media_keys(sa, call, Direction::network_to_ue, Suite::aes_cm_128_hmac_sha1_80);
    auto other_suite = derive_media_keys(sa, call, Direction::ue_to_network, Suite::aes_cm_128_hmac_sha1_32);
    // Same key bytes, another source: the FC and label separate them.
    auto other_source = derive_media_keys(TlsExporter{SecretBytes(range(0x00, 0x20))}, call,
                                          Direction::ue_to_network, Suite::aes_cm_128_hmac_sha1_80);
    for (const auto* k : {&other_call, &other_index, &other_direction, &other_suite, &other_source}) {
        ASSERT_TRUE(k->ok());
        EXPECT_NE((*k)->master_key, base->master_key);
        EXPECT_NE((*k)->master_salt, base->master_salt);
    }
}

// HMAC-SHA-256 by OpenSSL's one-shot EVP_Q_mac, apart from the KDF code under test.
Bytes hmac_sha256(std::span<const uint8_t> key, const Bytes& data) {
    Bytes out(32);
    size_t len = 0;
    EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), data.data(), data.size(),
                        out.data(), out.size(), &len), nullptr);
    return out;
}

Bytes kdf_input(uint8_t fc, std::initializer_list<Bytes> params) {
    Bytes s = {fc};
    for (const Bytes& p : params) {
        s.insert(s.end(), p.begin(), p.end());
        s.push_back(static_cast<uint8_t>(p.size() >> 8));
        s.push_back(static_cast<uint8_t>(p.size()));
    }
    return s;
}

TEST(MsrpPsk, IsTheKdfBlock1WithDirection2AndTheMsrpLabelAndItsIdentityIsBlock2) {
    const CallBinding call{std::string(kCallId), 1};
    auto derived = derive_msrp_psk(vector_aka(), call);
    ASSERT_TRUE(derived.ok());
    const Bytes key = range(0x00, 0x20);  // CK || IK
    const auto block = [&](uint8_t counter) {
        const auto b = [](std::string_view t) { return Bytes(t.begin(), t.end()); };
        return hmac_sha256(key, kdf_input(0xE0, {b("msf-e2ae-aka"), b(kCallId), Bytes{0, 1}, Bytes{2},
                                                 b("MSRP-TLS-PSK"), Bytes{counter}}));
    };
    EXPECT_EQ(to_hex(derived->psk.bytes()), to_hex(block(1)));
    EXPECT_EQ(derived->identity, "e2ae-" + to_hex(std::span<const uint8_t>(block(2)).first(12)));
    EXPECT_EQ(derived->psk.bytes().size(), kMsrpPskLen);
}

TEST(MsrpPsk, DiffersPerCallAndMediaLineAndFromTheSrtpKeysOfTheSameLine) {
    const SecurityAssociation sa = vector_aka();
    auto base = derive_msrp_psk(sa, CallBinding{std::string(kCallId), 0});
    auto other_index = derive_msrp_psk(sa, CallBinding{std::string(kCallId), 1});
    auto other_call = derive_msrp_psk(sa, CallBinding{"b" + std::string(kCallId), 0});
    ASSERT_TRUE(base.ok() && other_index.ok() && other_call.ok());
    for (const auto* k : {&other_index, &other_call}) {
        EXPECT_NE(to_hex((*k)->psk.bytes()), to_hex(base->psk.bytes()));
        EXPECT_NE((*k)->identity, base->identity);
    }
    auto srtp = derive_media_keys(sa, CallBinding{std::string(kCallId), 0}, Direction::ue_to_network,
                                  Suite::aes_cm_128_hmac_sha1_80);
    ASSERT_TRUE(srtp.ok());
    EXPECT_EQ(to_hex(base->psk.bytes()).find(to_hex(srtp->master_key)), std::string::npos);
    EXPECT_FALSE(derive_msrp_psk(sa, CallBinding{"", 0}).ok());
}

TEST(MediaKeys, PasswordAndHa1GiveTheSameKeySoUeAndNetworkAgree) {
    for (DigestAlgorithm algorithm : {DigestAlgorithm::md5, DigestAlgorithm::sha256}) {
        SCOPED_TRACE(digest_algorithm_name(algorithm));
        const std::string_view hex = algorithm == DigestAlgorithm::md5 ? kHa1Md5 : kHa1Sha256;
        auto ha1 = digest_ha1_from_hex(algorithm, hex);
        ASSERT_TRUE(ha1.ok()) << ha1.error().message;
        const CallBinding call{std::string(kCallId), 0};
        auto ue = derive_media_keys(vector_password(algorithm), call, Direction::ue_to_network, Suite::aead_aes_128_gcm);
        auto network = derive_media_keys(*ha1, call, Direction::ue_to_network, Suite::aead_aes_128_gcm);
        ASSERT_TRUE(ue.ok() && network.ok());
        EXPECT_EQ(*ue, *network);
    }
}

TEST(DigestHa1, MatchesTheRfc2617ExampleCredentials) {
    // RFC 2617 §3.5: Mufasa / testrealm@host.com / "Circle Of Life"; its well-known
    // H(A1) = MD5("Mufasa:testrealm@host.com:Circle Of Life").
    auto ha1 = digest_ha1(DigestPassword{"Mufasa", "testrealm@host.com", SecretBytes(std::string_view("Circle Of Life")),
                                         DigestAlgorithm::md5});
    ASSERT_TRUE(ha1.ok());
    EXPECT_EQ(to_hex(ha1->ha1.bytes()), "939e7578ed9e3c518a452acee763bce9");
    auto sha = digest_ha1(vector_password(DigestAlgorithm::sha256));
    ASSERT_TRUE(sha.ok());
    EXPECT_EQ(to_hex(sha->ha1.bytes()), kHa1Sha256);
}

TEST(DigestHa1, HexFormAcceptsEitherCaseAndRejectsWrongLengthsAndDigits) {
    auto upper = digest_ha1_from_hex(DigestAlgorithm::md5, "C2F774EF59736AB117A74FEC34A5A99F");
    ASSERT_TRUE(upper.ok());
    EXPECT_EQ(to_hex(upper->ha1.bytes()), kHa1Md5);
    auto short_hex = digest_ha1_from_hex(DigestAlgorithm::sha256, kHa1Md5);
    ASSERT_FALSE(short_hex.ok());
    EXPECT_EQ(short_hex.error().message, "digest: H(A1) for SHA-256 is 64 hex digits, got 32");
    auto bad_digit = digest_ha1_from_hex(DigestAlgorithm::md5, "c2f774ef59736ab117a74fec34a5a9zf");
    ASSERT_FALSE(bad_digit.ok());
    EXPECT_EQ(bad_digit.error().message, "digest: H(A1) has a non-hex character at offset 30");
}

TEST(DigestHa1, AlgorithmNamesFollowRfc7616AndSessVariantsAreRefused) {
    EXPECT_EQ(*digest_algorithm_from_name("md5"), DigestAlgorithm::md5);
    EXPECT_EQ(*digest_algorithm_from_name("SHA-256"), DigestAlgorithm::sha256);
    EXPECT_EQ(digest_algorithm_name(DigestAlgorithm::sha256), "SHA-256");
    auto sess = digest_algorithm_from_name("MD5-sess");
    ASSERT_FALSE(sess.ok());
    EXPECT_EQ(sess.error().message, "digest algorithm 'MD5-sess' is not MD5 or SHA-256");
}

TEST(MediaKeys, WrongSecretLengthsAndAnEmptyCallIdAreErrorsNotKeys) {
    const CallBinding call{std::string(kCallId), 0};
    const auto derive = [&](const SecurityAssociation& sa) {
        return derive_media_keys(sa, call, Direction::ue_to_network, Suite::aes_cm_128_hmac_sha1_80);
    };
    const std::vector<std::pair<SecurityAssociation, std::string>> cases = {
        {AkaKeys{SecretBytes(range(0, 15)), SecretBytes(range(0, 16))},
         "kdf: IMS AKA CK and IK must be 16 bytes each, got 15 and 16"},
        {TlsExporter{SecretBytes(range(0, 15))}, "kdf: TLS exporter output must be 16..255 bytes, got 15"},
        {TlsMasterSecret{SecretBytes(range(0, 32))}, "kdf: TLS master secret must be 48 bytes, got 32"},
        {DigestHA1{DigestAlgorithm::sha256, SecretBytes(range(0, 16))},
         "kdf: H(A1) for SHA-256 must be 32 raw bytes, got 16"},
    };
    for (const auto& [sa, message] : cases) {
        auto r = derive(sa);
        ASSERT_FALSE(r.ok()) << message;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
        EXPECT_EQ(r.error().message, message);
    }
    auto no_call = derive_media_keys(vector_aka(), CallBinding{"", 0}, Direction::ue_to_network,
                                     Suite::aes_cm_128_hmac_sha1_80);
    ASSERT_FALSE(no_call.ok());
    EXPECT_EQ(no_call.error().message, "kdf: Call-ID is empty");
    auto bad_suite = derive_media_keys(vector_aka(), call, Direction::ue_to_network, static_cast<Suite>(6));
    ASSERT_FALSE(bad_suite.ok());
    EXPECT_EQ(bad_suite.error().message, "kdf: suite 6 is unknown");
}

TEST(KeySources, TableGivesEachSourceItsOwnFcAndLabel) {
    EXPECT_EQ(key_source(vector_aka()), KeySource::ims_aka);
    EXPECT_EQ(key_source(vector_password(DigestAlgorithm::md5)), KeySource::sip_digest);
    EXPECT_EQ(key_source_info(KeySource::ims_aka).fc, 0xE0);
    EXPECT_EQ(key_source_info(KeySource::tls_exporter).fc, 0xE1);
    EXPECT_EQ(key_source_info(KeySource::tls_master_secret).fc, 0xE2);
    EXPECT_EQ(key_source_info(KeySource::sip_digest).fc, 0xE3);
    EXPECT_EQ(key_source_info(KeySource::sip_digest).label, "msf-e2ae-digest");
}

TEST(Secrets, WipeOverwritesAndEmpties) {
    std::vector<uint8_t> v = {1, 2, 3};
    wipe(v);
    EXPECT_TRUE(v.empty());
    std::string s = "secret";
    wipe(s);
    EXPECT_TRUE(s.empty());
    std::array<uint8_t, 4> a = {1, 2, 3, 4};
    wipe(a);
    EXPECT_EQ(a, (std::array<uint8_t, 4>{}));
    MediaKeys keys(Suite::aes_cm_128_hmac_sha1_80, Bytes(16, 1), Bytes(14, 2));
    keys = MediaKeys(Suite::aead_aes_128_gcm, Bytes(16, 3), Bytes(12, 4));
    EXPECT_EQ(keys.master_key, Bytes(16, 3));
    keys.wipe_keys();
    EXPECT_TRUE(keys.master_key.empty() && keys.master_salt.empty());
}

// ---- Real TLS connections ----

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;

// A throwaway Ed25519 key and self-signed certificate, made for this test only.
struct Identity {
    PkeyPtr key;
    X509Ptr cert;
};

Identity make_identity() {
    Identity id;
    id.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    id.cert.reset(X509_new());
    if (!id.key || !id.cert) return id;
    X509* c = id.cert.get();
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
    X509_gmtime_adj(X509_getm_notBefore(c), -60);
    X509_gmtime_adj(X509_getm_notAfter(c), 3600);
    X509_set_pubkey(c, id.key.get());
    X509_NAME* name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("pcscf.ims.example.com"),
                               -1, -1, 0);
    X509_set_issuer_name(c, name);
    if (X509_sign(c, id.key.get(), nullptr) == 0) id.cert.reset();  // Ed25519 takes no digest
    return id;
}

// A UE (client) and a P-CSCF (server) SSL over an in-memory BIO pair, handshake completed.
struct TlsPair {
    CtxPtr client_ctx, server_ctx;
    SslPtr client, server;
};

::testing::AssertionResult connect(TlsPair& pair, const Identity& id, int version) {
    pair.server_ctx.reset(SSL_CTX_new(TLS_server_method()));
    pair.client_ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!pair.server_ctx || !pair.client_ctx) return ::testing::AssertionFailure() << "SSL_CTX_new";
    for (SSL_CTX* ctx : {pair.server_ctx.get(), pair.client_ctx.get()}) {
        SSL_CTX_set_min_proto_version(ctx, version);
        SSL_CTX_set_max_proto_version(ctx, version);
    }
    if (SSL_CTX_use_certificate(pair.server_ctx.get(), id.cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(pair.server_ctx.get(), id.key.get()) != 1)
        return ::testing::AssertionFailure() << "server certificate";
    // The UE checks the P-CSCF's certificate: the handshake is a real authenticated one.
    X509_STORE_add_cert(SSL_CTX_get_cert_store(pair.client_ctx.get()), id.cert.get());
    SSL_CTX_set_verify(pair.client_ctx.get(), SSL_VERIFY_PEER, nullptr);
    pair.client.reset(SSL_new(pair.client_ctx.get()));
    pair.server.reset(SSL_new(pair.server_ctx.get()));
    BIO *client_bio = nullptr, *server_bio = nullptr;
    if (!pair.client || !pair.server || BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) != 1)
        return ::testing::AssertionFailure() << "SSL_new or BIO pair";
    SSL_set_bio(pair.client.get(), client_bio, client_bio);
    SSL_set_bio(pair.server.get(), server_bio, server_bio);
    SSL_set_connect_state(pair.client.get());
    SSL_set_accept_state(pair.server.get());
    for (int round = 0; round < 64; ++round) {
        const int c = SSL_do_handshake(pair.client.get());
        const int s = SSL_do_handshake(pair.server.get());
        if (c == 1 && s == 1) return ::testing::AssertionSuccess();
        for (auto [ssl, rc] : {std::pair{pair.client.get(), c}, std::pair{pair.server.get(), s}}) {
            const int err = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, rc);
            if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
                return ::testing::AssertionFailure() << "handshake error " << err;
        }
    }
    return ::testing::AssertionFailure() << "handshake did not finish";
}

TEST(TlsKeySources, Tls13ExporterGivesUeAndPcscfTheSameMediaKeysBoundToTheCall) {
    const Identity id = make_identity();
    ASSERT_TRUE(id.key && id.cert);
    TlsPair pair;
    ASSERT_TRUE(connect(pair, id, TLS1_3_VERSION));
    ASSERT_EQ(SSL_version(pair.client.get()), TLS1_3_VERSION);

    auto ue_secret = tls_exporter(pair.client.get());
    auto pcscf_secret = tls_exporter(pair.server.get());
    ASSERT_TRUE(ue_secret.ok()) << ue_secret.error().message;
    ASSERT_TRUE(pcscf_secret.ok()) << pcscf_secret.error().message;
    EXPECT_EQ(ue_secret->secret.size(), kTlsExporterLen);
    EXPECT_EQ(ue_secret->secret, pcscf_secret->secret);

    const CallBinding call{std::string(kCallId), 0};
    for (const srtp::SuiteInfo& info : srtp::kSuites) {
        SCOPED_TRACE(info.name);
        auto ue = derive_media_keys(*ue_secret, call, Direction::ue_to_network, info.suite);
        auto pcscf = derive_media_keys(*pcscf_secret, call, Direction::ue_to_network, info.suite);
        ASSERT_TRUE(ue.ok() && pcscf.ok());
        EXPECT_EQ(*ue, *pcscf);
    }
    auto ue = derive_media_keys(*ue_secret, call, Direction::ue_to_network, Suite::aes_cm_128_hmac_sha1_80);
    auto next_call = derive_media_keys(*pcscf_secret, CallBinding{"another-call@pc33.atlanta.example.com", 0},
                                       Direction::ue_to_network, Suite::aes_cm_128_hmac_sha1_80);
    ASSERT_TRUE(ue.ok() && next_call.ok());
    EXPECT_NE(ue->master_key, next_call->master_key);

    // Another label exports something else; a TLS 1.3 session has no master secret to use.
    auto other_label = tls_exporter(pair.client.get(), "EXPORTER-msf-test");
    ASSERT_TRUE(other_label.ok());
    EXPECT_NE(other_label->secret, ue_secret->secret);
    auto master = tls_master_secret(SSL_get_session(pair.client.get()));
    ASSERT_FALSE(master.ok());
    EXPECT_EQ(master.error().message, "tls: a TLS 1.3 session has no master secret; use the exporter");
}

TEST(TlsKeySources, Tls12MasterSecretGivesBothEndsTheSameMediaKeys) {
    const Identity id = make_identity();
    ASSERT_TRUE(id.key && id.cert);
    TlsPair pair;
    ASSERT_TRUE(connect(pair, id, TLS1_2_VERSION));
    auto ue_secret = tls_master_secret(SSL_get_session(pair.client.get()));
    auto pcscf_secret = tls_master_secret(SSL_get_session(pair.server.get()));
    ASSERT_TRUE(ue_secret.ok()) << ue_secret.error().message;
    ASSERT_TRUE(pcscf_secret.ok()) << pcscf_secret.error().message;
    EXPECT_EQ(ue_secret->secret.size(), kTlsMasterSecretLen);
    EXPECT_EQ(ue_secret->secret, pcscf_secret->secret);
    const CallBinding call{std::string(kCallId), 1};
    auto ue = derive_media_keys(*ue_secret, call, Direction::network_to_ue, Suite::aes_256_cm_hmac_sha1_80);
    auto pcscf = derive_media_keys(*pcscf_secret, call, Direction::network_to_ue, Suite::aes_256_cm_hmac_sha1_80);
    ASSERT_TRUE(ue.ok() && pcscf.ok());
    EXPECT_EQ(*ue, *pcscf);
    // The TLS 1.2 exporter works too, and differs from the master secret derivation.
    auto exporter = tls_exporter(pair.server.get());
    ASSERT_TRUE(exporter.ok());
    auto from_exporter = derive_media_keys(*exporter, call, Direction::network_to_ue, Suite::aes_256_cm_hmac_sha1_80);
    ASSERT_TRUE(from_exporter.ok());
    EXPECT_NE(from_exporter->master_key, ue->master_key);
}

TEST(TlsKeySources, ExporterRefusesUnfinishedHandshakesBadLabelsAndLengths) {
    CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    SslPtr ssl(SSL_new(ctx.get()));
    auto not_connected = tls_exporter(ssl.get());
    ASSERT_FALSE(not_connected.ok());
    EXPECT_EQ(not_connected.error().message, "tls: handshake not finished");
    auto label = tls_exporter(ssl.get(), "3GPP-e2ae");
    ASSERT_FALSE(label.ok());
    EXPECT_THAT(label.error().message, HasSubstr("does not start with EXPORTER"));
    auto length = tls_exporter(ssl.get(), kTlsExporterLabel, 8);
    ASSERT_FALSE(length.ok());
    EXPECT_EQ(length.error().message, "tls: exporter length 8 is not 16..255");
    EXPECT_FALSE(tls_exporter(nullptr).ok());
    EXPECT_FALSE(tls_master_secret(nullptr).ok());
}

}  // namespace
}  // namespace msf::keying
