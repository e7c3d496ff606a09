// SRTP key derivation (RFC 3711 §4.3, Appendix B.3; RFC 6188 §7; RFC 7714 §11) and the AES-CM
// keystream it feeds (RFC 3711 Appendix B.2, RFC 6188 §7.1).
#include "dataplane/srtp/kdf.hpp"

#include <gtest/gtest.h>

#include "dataplane/srtp/context.hpp"
#include "dataplane/srtp/engine.hpp"
#include "tests/dataplane/srtp/libsrtp_sender.hpp"
#include "tests/dataplane/srtp/test_packets.hpp"
#include "tests/dataplane/srtp/reference_srtp.hpp"

namespace msf::srtp {
namespace {

using unit::Bytes;
using unit::hex;
using unit::to_hex;

Bytes derive(std::span<const uint8_t> key, std::span<const uint8_t> salt, KdfLabel label, size_t n) {
    Bytes out(n);
    EXPECT_TRUE(derive_key(key, salt, label, out));
    return out;
}

// ---- RFC 3711 Appendix B.3 ------------------------------------------------------------------

const Bytes kB3Key = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
const Bytes kB3Salt = hex("0EC675AD498AFEEBB6960B3AABE6");

TEST(KdfRfc3711B3, CipherKey) {
    EXPECT_EQ(to_hex(derive(kB3Key, kB3Salt, KdfLabel::rtp_encryption, 16)),
              "c61e7a93744f39ee10734afe3ff7a087");
}

TEST(KdfRfc3711B3, CipherSalt) {
    EXPECT_EQ(to_hex(derive(kB3Key, kB3Salt, KdfLabel::rtp_salt, 14)), "30cbbc08863d8c85d49db34a9ae1");
}

TEST(KdfRfc3711B3, AuthKeyAllNinetyFourOctetsTheRfcPrints) {
    // B.3 prints 94 octets of the label-1 keystream; HMAC-SHA1 uses the first 20.
    EXPECT_EQ(to_hex(derive(kB3Key, kB3Salt, KdfLabel::rtp_auth, 94)),
              "cebe321f6ff7716b6fd4ab49af256a156d38baa48f0a0acf3c34e2359e6cdbce"
              "e049646c43d9327ad175578ef72270986371c10c9a369ac2f94a8c5fbcdddc25"
              "6d6e919a48b610ef17c2041e474035766b68642c59bbfc2f34db60dbdfb2");
}

TEST(KdfRfc3711B3, SessionKeysForSrtp) {
    SessionKeys keys;
    ASSERT_TRUE(derive_session_keys(Suite::aes_cm_128_hmac_sha1_80, kB3Key, kB3Salt, false, keys));
    EXPECT_EQ(to_hex({keys.enc_key, 16}), "c61e7a93744f39ee10734afe3ff7a087");
    EXPECT_EQ(to_hex({keys.salt, 14}), "30cbbc08863d8c85d49db34a9ae1");
    EXPECT_EQ(to_hex({keys.auth_key, 20}), "cebe321f6ff7716b6fd4ab49af256a156d38baa4");
    // Bytes past the suite's key length stay zero.
    EXPECT_EQ(to_hex({keys.enc_key + 16, 16}), std::string(32, '0'));
}

TEST(KdfRfc3711B3, SessionKeysForSrtcpUseLabelsThreeToFive) {
    // RFC 3711 §4.3.2: labels 0x03 (encryption), 0x04 (authentication), 0x05 (salt); values
    // computed independently with `openssl enc -aes-128-ctr` on the B.3 master key and salt.
    SessionKeys keys;
    ASSERT_TRUE(derive_session_keys(Suite::aes_cm_128_hmac_sha1_80, kB3Key, kB3Salt, true, keys));
    EXPECT_EQ(to_hex({keys.enc_key, 16}), "4c1aa45a81f73d61c800bbb00fbb1eaa");
    EXPECT_EQ(to_hex({keys.auth_key, 20}), "8d54534feb49ae8e7993a6bd0b844fc323a93dfd");
    EXPECT_EQ(to_hex({keys.salt, 14}), "9581c7ad87b3e530bf3e4454a8b3");
}

TEST(KdfRfc3711B3, SrtpAndSrtcpKeysFromOneKeyScheduleMatchTheRfcAndLabelsThreeToFive) {
    // The install path derives both protocols' keys from one keyed PRF; every label must still
    // start its own keystream (counter reset), so the values are those of the two tests above.
    SessionKeys rtp, rtcp;
    ASSERT_TRUE(derive_session_keys(Suite::aes_cm_128_hmac_sha1_80, kB3Key, kB3Salt, rtp, rtcp));
    EXPECT_EQ(to_hex({rtp.enc_key, 16}), "c61e7a93744f39ee10734afe3ff7a087");
    EXPECT_EQ(to_hex({rtp.salt, 14}), "30cbbc08863d8c85d49db34a9ae1");
    EXPECT_EQ(to_hex({rtp.auth_key, 20}), "cebe321f6ff7716b6fd4ab49af256a156d38baa4");
    EXPECT_EQ(to_hex({rtcp.enc_key, 16}), "4c1aa45a81f73d61c800bbb00fbb1eaa");
    EXPECT_EQ(to_hex({rtcp.auth_key, 20}), "8d54534feb49ae8e7993a6bd0b844fc323a93dfd");
    EXPECT_EQ(to_hex({rtcp.salt, 14}), "9581c7ad87b3e530bf3e4454a8b3");
}

TEST(KdfRfc3711B3, PairedDerivationRefusesAMasterKeyOfTheWrongLength) {
    SessionKeys rtp, rtcp;
    EXPECT_FALSE(derive_session_keys(Suite::aes_256_cm_hmac_sha1_80, kB3Key, kB3Salt, rtp, rtcp));
}

// ---- RFC 6188 §7.2 (AES_256_CM_PRF) --------------------------------------------------------

const Bytes k6188Key = hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
const Bytes k6188Salt = hex("3b04803de51ee7c96423ab5b78d2");

// RFC 6188 has errata reported against its §7 test vectors, so these values are pinned only
// after recomputing them independently: with `openssl enc -aes-256-ctr` on the master key and
// salt, and end to end against libsrtp2's own KDF (KdfMatchesLibsrtp below).
TEST(KdfRfc6188, Aes256CipherKey) {
    EXPECT_EQ(to_hex(derive(k6188Key, k6188Salt, KdfLabel::rtp_encryption, 32)),
              "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4");
}

TEST(KdfRfc6188, Aes256CipherSalt) {
    EXPECT_EQ(to_hex(derive(k6188Key, k6188Salt, KdfLabel::rtp_salt, 14)), "fa31791685ca444a9e07c6c64e93");
}

TEST(KdfRfc6188, Aes256AuthKey) {
    EXPECT_EQ(to_hex(derive(k6188Key, k6188Salt, KdfLabel::rtp_auth, 20)),
              "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05");
}

TEST(KdfRfc6188, SessionKeysForAes256Suites) {
    for (Suite s : {Suite::aes_256_cm_hmac_sha1_80, Suite::aes_256_cm_hmac_sha1_32}) {
        SessionKeys keys;
        ASSERT_TRUE(derive_session_keys(s, k6188Key, k6188Salt, false, keys));
        EXPECT_EQ(to_hex({keys.enc_key, 32}),
                  "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4");
        EXPECT_EQ(to_hex({keys.salt, 14}), "fa31791685ca444a9e07c6c64e93");
        EXPECT_EQ(to_hex({keys.auth_key, 20}), "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05");
    }
}

// ---- AEAD master salts (RFC 7714 §11) -------------------------------------------------------

TEST(KdfAead, TwelveOctetSaltIsPaddedWithZerosOnTheRight) {
    const Bytes salt12(kB3Salt.begin(), kB3Salt.begin() + 12);
    Bytes salt14 = salt12;
    salt14.push_back(0);
    salt14.push_back(0);
    for (KdfLabel l : {KdfLabel::rtp_encryption, KdfLabel::rtp_salt, KdfLabel::rtcp_encryption,
                       KdfLabel::rtcp_salt}) {
        EXPECT_EQ(derive(kB3Key, salt12, l, 16), derive(kB3Key, salt14, l, 16));
    }
}

TEST(KdfAead, SessionKeysHaveSuiteLengthsAndNoAuthKey) {
    const Bytes salt12(kB3Salt.begin(), kB3Salt.begin() + 12);
    SessionKeys keys;
    ASSERT_TRUE(derive_session_keys(Suite::aead_aes_128_gcm, kB3Key, salt12, false, keys));
    EXPECT_EQ(Bytes(keys.enc_key, keys.enc_key + 16), derive(kB3Key, salt12, KdfLabel::rtp_encryption, 16));
    EXPECT_EQ(Bytes(keys.salt, keys.salt + 12), derive(kB3Key, salt12, KdfLabel::rtp_salt, 12));
    EXPECT_EQ(to_hex({keys.salt + 12, 2}), "0000");
    EXPECT_EQ(to_hex({keys.auth_key, 20}), std::string(40, '0'));
}

// ---- Bad input ------------------------------------------------------------------------------

TEST(KdfInput, DeriveKeyRejectsKeysOtherThan128Or256Bits) {
    Bytes out(16);
    EXPECT_FALSE(derive_key(Bytes(24, 1), kB3Salt, KdfLabel::rtp_encryption, out));  // AES-192
    EXPECT_FALSE(derive_key(Bytes(15, 1), kB3Salt, KdfLabel::rtp_encryption, out));
    EXPECT_FALSE(derive_key(Bytes(), kB3Salt, KdfLabel::rtp_encryption, out));
}

TEST(KdfInput, DeriveKeyRejectsSaltsLongerThan112Bits) {
    Bytes out(16);
    EXPECT_FALSE(derive_key(kB3Key, Bytes(15, 1), KdfLabel::rtp_encryption, out));
}

TEST(KdfInput, SessionKeysRejectLengthsThatDoNotMatchTheSuite) {
    SessionKeys keys;
    EXPECT_FALSE(derive_session_keys(Suite::aes_cm_128_hmac_sha1_80, k6188Key, kB3Salt, false, keys));
    EXPECT_FALSE(derive_session_keys(Suite::aes_256_cm_hmac_sha1_80, kB3Key, kB3Salt, false, keys));
    EXPECT_FALSE(derive_session_keys(Suite::aes_cm_128_hmac_sha1_80, kB3Key,
                                     std::span(kB3Salt).first(12), false, keys));
    EXPECT_FALSE(derive_session_keys(Suite::aead_aes_128_gcm, kB3Key, kB3Salt, false, keys));  // 14-byte salt
}

// ---- Cross-check with libsrtp2 --------------------------------------------------------------
// libsrtp2 runs its own srtp_kdf on the master key; if a packet it protects equals what the
// RFC-level reference computes from *our* session keys, both KDFs agree for that suite.

class KdfMatchesLibsrtp : public ::testing::TestWithParam<Suite> {};

TEST_P(KdfMatchesLibsrtp, SrtpPacketProtectedFromOurSessionKeysEqualsLibsrtp) {
    const Suite suite = GetParam();
    Policy policy = unit::make_policy(suite, 0x40);
    if (suite_info(suite).key_len == 32) {
        policy.master_key = k6188Key;  // the RFC 6188 §7.2 master key
        if (suite_info(suite).salt_len == 14) policy.master_salt = k6188Salt;
    }
    unit::LibsrtpSender libsrtp(policy);
    const SessionKeys rtp = unit::session_keys(policy, false);
    unit::Rtp spec;
    spec.seq = 0x1234;
    spec.ssrc = 0xdecafbad;
    const Bytes plain = unit::make_rtp(spec);
    EXPECT_EQ(to_hex(libsrtp.protect_rtp(plain)), to_hex(unit::reference_protect_rtp(suite, rtp, plain, 0x1234)));
}

TEST_P(KdfMatchesLibsrtp, SrtcpPacketProtectedFromOurSessionKeysEqualsLibsrtp) {
    const Suite suite = GetParam();
    const Policy policy = unit::make_policy(suite, 0x21);
    unit::LibsrtpSender libsrtp(policy);
    const SessionKeys rtcp = unit::session_keys(policy, true);
    const Bytes plain = unit::make_rtcp(0xdecafbad);
    // libsrtp2 numbers its first SRTCP packet 1.
    EXPECT_EQ(to_hex(libsrtp.protect_rtcp(plain)), to_hex(unit::reference_protect_rtcp(suite, rtcp, plain, 1)));
}

INSTANTIATE_TEST_SUITE_P(AllSuites, KdfMatchesLibsrtp, ::testing::ValuesIn(unit::kAllSuites), unit::SuiteName{});

// ---- RFC 3711 B.2 / RFC 6188 §7.1 keystream through the engine ------------------------------
// The B.2 IV is (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16) with SSRC 0, ROC 0 and
// SEQ 0, i.e. just the session salt F0F1...FD shifted by 16 bits; encrypting an all-zero
// payload of an RTP packet with SSRC 0 and sequence number 0 therefore yields the keystream.

Bytes keystream_through_engine(Suite suite, const Bytes& session_key, size_t n) {
    SessionKeys keys;
    std::copy(session_key.begin(), session_key.end(), keys.enc_key);
    const Bytes salt = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
    std::copy(salt.begin(), salt.end(), keys.salt);
    Policy policy;
    policy.suite = suite;
    auto ctx = unit::make_context_with_session_keys(policy, keys, keys);
    Engine engine;
    unit::Rtp spec;
    spec.seq = 0;
    spec.ssrc = 0;
    spec.payload_len = n;
    Bytes pkt = unit::make_rtp(spec);
    std::fill(pkt.begin() + 12, pkt.end(), 0);
    EXPECT_EQ(unit::protect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(pkt.size(), 12 + n + suite_info(suite).rtp_tag_len);
    if (pkt.size() < 12 + n) return {};
    return Bytes(pkt.begin() + 12, pkt.begin() + 12 + static_cast<long>(n));
}

TEST(KeystreamRfc3711B2, AesCm128FirstThreeBlocks) {
    EXPECT_EQ(to_hex(keystream_through_engine(Suite::aes_cm_128_hmac_sha1_80,
                                              hex("2B7E151628AED2A6ABF7158809CF4F3C"), 48)),
              "e03ead0935c95e80e166b16dd92b4eb4"
              "d23513162b02d0f72a43a2fe4a5f97ab"
              "41e95b3bb0a2e8dd477901e4fca894c0");
}

TEST(KeystreamRfc3711B2, AesCm128PartialLastBlock) {
    EXPECT_EQ(to_hex(keystream_through_engine(Suite::aes_cm_128_hmac_sha1_32,
                                              hex("2B7E151628AED2A6ABF7158809CF4F3C"), 37)),
              "e03ead0935c95e80e166b16dd92b4eb4"
              "d23513162b02d0f72a43a2fe4a5f97ab"
              "41e95b3bb0");
}

TEST(KeystreamRfc6188, AesCm256FirstThreeBlocks) {
    // RFC 6188 §7.1: same salt, SSRC, ROC and SEQ as RFC 3711 B.2, 256-bit session key.
    EXPECT_EQ(to_hex(keystream_through_engine(
                  Suite::aes_256_cm_hmac_sha1_80,
                  hex("57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98"), 48)),
              "92bdd28a93c3f52511c677d08b5515a4"
              "9da71b2378a854f67050756ded165bac"
              "63c4868b7096d88421b563b8c94c9a31");
}

}  // namespace
}  // namespace msf::srtp
