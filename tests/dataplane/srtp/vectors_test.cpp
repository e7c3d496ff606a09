// Published vectors through the engine: RFC 7714 §16 (SRTP) and §17 (SRTCP) for both AEAD
// suites, the golden packets of DESIGN.md, and the engine against an RFC-level reference and
// libsrtp2 for inputs no published vector covers.
#include <gtest/gtest.h>

#include <memory>

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

// ---- RFC 7714 §16 and §17 data (session keys given directly, no KDF) -------------------------

const Bytes kKey128 = hex("000102030405060708090a0b0c0d0e0f");
const Bytes kKey256 = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kSalt = hex("517569642070726f2071756f");  // "Quid pro quo"

// §16: header 8040f17b 8041f8d3 5501a0b2 (SEQ 0xf17b, SSRC 0x5501a0b2, ROC 0) and the payload
// "Gallia est omnis divisa in partes tres".
const Bytes kRtp = hex(
    "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
    "69736120 696e2070 61727465 73207472 6573");

// §16.1.1 / §16.1.2
const Bytes kSrtp128 = hex(
    "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
    "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439"
    "0cce");

// §16.2.1 / §16.2.2
const Bytes kSrtp256 = hex(
    "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238"
    "9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7"
    "6c13");

// §17.1-§17.4: SSRC "Mars", SRTCP index 0x000005d4. (§17's introduction prints a slightly
// different packet, 81c8000e ... 0000eb98; every worked example uses this one.)
const Bytes kRtcp = hex(
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef");
constexpr uint32_t kRtcpIndex = 0x5d4;

// §17.1: AEAD_AES_128_GCM, encrypted, E=1
const Bytes kSrtcp128 = hex(
    "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
    "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
    "45d9eade 800005d4");

// §17.2: AEAD_AES_256_GCM, encrypted, E=1
const Bytes kSrtcp256 = hex(
    "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50"
    "a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c"
    "b26ac3be 800005d4");

// §17.3: AEAD_AES_128_GCM, tagged only, E=0
const Bytes kSrtcp128Unencrypted = hex(
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790"
    "125f62b3 000005d4");

// §17.4: AEAD_AES_256_GCM, tagged only, E=0
const Bytes kSrtcp256Unencrypted = hex(
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393"
    "ed2615fe 000005d4");

SessionKeys rfc7714_keys(const Bytes& key) {
    SessionKeys k;
    std::copy(key.begin(), key.end(), k.enc_key);
    std::copy(kSalt.begin(), kSalt.end(), k.salt);
    return k;
}

std::unique_ptr<Context> rfc7714_context(Suite suite) {
    const SessionKeys k = rfc7714_keys(suite == Suite::aead_aes_128_gcm ? kKey128 : kKey256);
    Policy policy;
    policy.suite = suite;
    return unit::make_context_with_session_keys(policy, k, k);
}

// The sender numbers SRTCP packets 1, 2, ...: protect index-1 packets to reach `index`.
void advance_srtcp_index(Engine& engine, Context* ctx, uint32_t index) {
    for (uint32_t i = 1; i < index; ++i) {
        Bytes warm = kRtcp;
        ASSERT_EQ(unit::protect_rtcp(engine, ctx, warm), Status::ok) << "SRTCP index " << i;
    }
}

struct Rfc7714 : ::testing::Test {
    Engine engine;
};

TEST_F(Rfc7714, Srtp128EncryptionSection16_1_1) {
    auto ctx = rfc7714_context(Suite::aead_aes_128_gcm);
    Bytes pkt = kRtp;
    ASSERT_EQ(unit::protect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kSrtp128));
}

TEST_F(Rfc7714, Srtp128DecryptionSection16_1_2) {
    auto ctx = rfc7714_context(Suite::aead_aes_128_gcm);
    Bytes pkt = kSrtp128;
    ASSERT_EQ(unit::unprotect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kRtp));
    EXPECT_EQ(ctx->rtp_highest_index(), 0xf17bu);
    EXPECT_EQ(ctx->rtp_roc(), 0u);
}

TEST_F(Rfc7714, Srtp256EncryptionSection16_2_1) {
    auto ctx = rfc7714_context(Suite::aead_aes_256_gcm);
    Bytes pkt = kRtp;
    ASSERT_EQ(unit::protect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kSrtp256));
}

TEST_F(Rfc7714, Srtp256DecryptionSection16_2_2) {
    auto ctx = rfc7714_context(Suite::aead_aes_256_gcm);
    Bytes pkt = kSrtp256;
    ASSERT_EQ(unit::unprotect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kRtp));
}

TEST_F(Rfc7714, Srtcp128EncryptionSection17_1) {
    auto ctx = rfc7714_context(Suite::aead_aes_128_gcm);
    advance_srtcp_index(engine, ctx.get(), kRtcpIndex);
    Bytes pkt = kRtcp;
    ASSERT_EQ(unit::protect_rtcp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kSrtcp128));
}

TEST_F(Rfc7714, Srtcp128DecryptionOfSection17_1) {
    auto ctx = rfc7714_context(Suite::aead_aes_128_gcm);
    Bytes pkt = kSrtcp128;
    ASSERT_EQ(unit::unprotect_rtcp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kRtcp));
    EXPECT_EQ(ctx->rtcp_highest_index(), kRtcpIndex);
}

TEST_F(Rfc7714, Srtcp256EncryptionGivesThePacketOfSection17_2) {
    auto ctx = rfc7714_context(Suite::aead_aes_256_gcm);
    advance_srtcp_index(engine, ctx.get(), kRtcpIndex);
    Bytes pkt = kRtcp;
    ASSERT_EQ(unit::protect_rtcp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kSrtcp256));
}

TEST_F(Rfc7714, Srtcp256DecryptionSection17_2) {
    auto ctx = rfc7714_context(Suite::aead_aes_256_gcm);
    Bytes pkt = kSrtcp256;
    ASSERT_EQ(unit::unprotect_rtcp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kRtcp));
}

TEST_F(Rfc7714, Srtcp128UnencryptedTagVerificationSection17_3) {
    auto ctx = rfc7714_context(Suite::aead_aes_128_gcm);
    Bytes pkt = kSrtcp128Unencrypted;
    ASSERT_EQ(unit::unprotect_rtcp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kRtcp));
    EXPECT_EQ(ctx->rtcp_highest_index(), kRtcpIndex);
}

TEST_F(Rfc7714, Srtcp256UnencryptedTagVerificationSection17_4) {
    auto ctx = rfc7714_context(Suite::aead_aes_256_gcm);
    Bytes pkt = kSrtcp256Unencrypted;
    ASSERT_EQ(unit::unprotect_rtcp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kRtcp));
}

TEST_F(Rfc7714, UnencryptedSrtcpWithAFlippedBitFailsAuthentication) {
    for (size_t i = 0; i < kSrtcp128Unencrypted.size(); ++i) {
        auto ctx = rfc7714_context(Suite::aead_aes_128_gcm);
        Bytes pkt = kSrtcp128Unencrypted;
        pkt[i] ^= 0x01;
        EXPECT_EQ(unit::unprotect_rtcp(engine, ctx.get(), pkt), Status::auth_failed) << "byte " << i;
    }
}

TEST_F(Rfc7714, EncryptedSrtcpWithTheEFlagClearedFailsAuthentication) {
    // The E flag is part of the AAD (RFC 7714 §9.2): clearing it must not turn the packet into
    // an "unencrypted" one that verifies.
    auto ctx = rfc7714_context(Suite::aead_aes_128_gcm);
    Bytes pkt = kSrtcp128;
    pkt[pkt.size() - 4] &= 0x7f;
    EXPECT_EQ(unit::unprotect_rtcp(engine, ctx.get(), pkt), Status::auth_failed);
}

// The reference implementation reproduces the same RFC bytes, so where it is used as an
// oracle below it is known to be right for these suites.
TEST(ReferenceSrtp, ReproducesRfc7714Vectors) {
    const SessionKeys k128 = rfc7714_keys(kKey128), k256 = rfc7714_keys(kKey256);
    EXPECT_EQ(unit::reference_protect_rtp(Suite::aead_aes_128_gcm, k128, kRtp, 0xf17b), kSrtp128);
    EXPECT_EQ(unit::reference_protect_rtp(Suite::aead_aes_256_gcm, k256, kRtp, 0xf17b), kSrtp256);
    EXPECT_EQ(unit::reference_protect_rtcp(Suite::aead_aes_128_gcm, k128, kRtcp, kRtcpIndex), kSrtcp128);
    EXPECT_EQ(unit::reference_protect_rtcp(Suite::aead_aes_256_gcm, k256, kRtcp, kRtcpIndex), kSrtcp256);
    EXPECT_EQ(unit::reference_protect_rtcp(Suite::aead_aes_128_gcm, k128, kRtcp, kRtcpIndex, false),
              kSrtcp128Unencrypted);
    EXPECT_EQ(unit::reference_protect_rtcp(Suite::aead_aes_256_gcm, k256, kRtcp, kRtcpIndex, false),
              kSrtcp256Unencrypted);
}

// ---- DESIGN.md golden packets ---------------------------------------------------------------

const Bytes kGoldenKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
const Bytes kGoldenSalt = hex("0EC675AD498AFEEBB6960B3AABE6");

Bytes golden_plain() {
    unit::Rtp spec;
    spec.seq = 65534;
    spec.ssrc = 0xcafebabe;
    spec.payload_len = 160;
    spec.payload_seed = 3;  // byte j = (7j + 3) mod 256
    return unit::make_rtp(spec);
}

const Bytes kGoldenCm = hex(
    "8000fffe00000000cafebabe72490a6d374536d1061ba8dfd94926d94567da2b28d8be8abb5f02fbd599249ee06ceb"
    "4e22f704a2ce15fc31a182985ec598cd30353eddef4d58fecc1ff7815ec768b1bb51b6d98e2b49f562237c38ec74d9"
    "e164d93a2d8220fc4a3be0af44940d82c35a9554fbe32ed69a143c72be826397cdf147944a344bc8526a2b4235085d"
    "ce29af297e107f94bdee7b3691d98a069b65d59ef7ea4ad63403fdb1575222e15d606cc7555bfce5d5");

const Bytes kGoldenGcm = hex(
    "8000fffe00000000cafebabe1b690931e062054b5c57d466efabbf8b400347502e3d4fff0440905e89b83c7eeda068"
    "479394f43b2e7c0b330ad2f31997e3019a84b8c4d6dc6d44696c560353053bf6e833a868f27e26ee0a0abf856aae02"
    "e5f2717159a79136c1f4eb1088d3c2f9a744079619983a879de5105a52e0e52e4b7d39016392879af273f71ab9c86c"
    "ac54f69d558ee43ed74fbfeafb891ded77886eec8456d68a60d401089d2e0a80abab2a43e77447b2b38da312870c41");

Policy golden_policy(Suite suite) {
    Policy p;
    p.suite = suite;
    p.master_key = kGoldenKey;
    p.master_salt.assign(kGoldenSalt.begin(), kGoldenSalt.begin() + suite_info(suite).salt_len);
    return p;
}

TEST(GoldenPacket, TranscribedHexHasTheDocumentedLengths) {
    EXPECT_EQ(golden_plain().size(), 172u);
    EXPECT_EQ(kGoldenCm.size(), 182u);
    EXPECT_EQ(kGoldenGcm.size(), 188u);
}

TEST(GoldenPacket, LibsrtpProducesBothGoldenPackets) {
    unit::LibsrtpSender cm(golden_policy(Suite::aes_cm_128_hmac_sha1_80));
    EXPECT_EQ(to_hex(cm.protect_rtp(golden_plain())), to_hex(kGoldenCm));
    unit::LibsrtpSender gcm(golden_policy(Suite::aead_aes_128_gcm));
    EXPECT_EQ(to_hex(gcm.protect_rtp(golden_plain())), to_hex(kGoldenGcm));
}

struct Golden : ::testing::Test {
    Engine engine;
};

TEST_F(Golden, AesCm128HmacSha1_80Protect) {
    auto ctx = unit::make_context(golden_policy(Suite::aes_cm_128_hmac_sha1_80));
    Bytes pkt = golden_plain();
    ASSERT_EQ(unit::protect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kGoldenCm));
}

TEST_F(Golden, AesCm128HmacSha1_80Unprotect) {
    auto ctx = unit::make_context(golden_policy(Suite::aes_cm_128_hmac_sha1_80));
    Bytes pkt = kGoldenCm;
    ASSERT_EQ(unit::unprotect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(golden_plain()));
    EXPECT_EQ(ctx->rtp_highest_index(), 65534u);
    EXPECT_EQ(ctx->rtp_ssrc(), 0xcafebabeu);
}

TEST_F(Golden, AeadAes128GcmProtect) {
    auto ctx = unit::make_context(golden_policy(Suite::aead_aes_128_gcm));
    Bytes pkt = golden_plain();
    ASSERT_EQ(unit::protect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(kGoldenGcm));
}

TEST_F(Golden, AeadAes128GcmUnprotect) {
    auto ctx = unit::make_context(golden_policy(Suite::aead_aes_128_gcm));
    Bytes pkt = kGoldenGcm;
    ASSERT_EQ(unit::unprotect_rtp(engine, ctx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(golden_plain()));
}

// ---- The engine against the reference and libsrtp2, every suite -----------------------------

class EngineMatchesReference : public ::testing::TestWithParam<Suite> {
protected:
    Engine engine;
};

// Sequence numbers that cross the 16-bit wrap (ROC 0 -> 1) and payload sizes around the AES
// block size, including an empty payload.
TEST_P(EngineMatchesReference, SrtpAcrossTheSequenceWrap) {
    const Suite suite = GetParam();
    const Policy policy = unit::make_policy(suite, 0x31);
    const SessionKeys keys = unit::session_keys(policy, false);
    auto tx = unit::make_context(policy);
    auto rx = unit::make_context(policy);
    const size_t sizes[] = {0, 1, 15, 16, 17, 31, 32, 33, 160, 1200};
    uint64_t index = 65530;
    for (int n = 0; n < 12; ++n, ++index) {
        unit::Rtp spec;
        spec.seq = static_cast<uint16_t>(index);
        spec.ssrc = 0x01020304;
        spec.ts = static_cast<uint32_t>(160 * n);
        spec.payload_len = sizes[n % std::size(sizes)];
        spec.payload_seed = static_cast<uint8_t>(n);
        const Bytes plain = unit::make_rtp(spec);
        Bytes pkt = plain;
        ASSERT_EQ(unit::protect_rtp(engine, tx.get(), pkt), Status::ok) << "index " << index;
        EXPECT_EQ(to_hex(pkt), to_hex(unit::reference_protect_rtp(suite, keys, plain, index)))
            << "index " << index;
        ASSERT_EQ(unit::unprotect_rtp(engine, rx.get(), pkt), Status::ok) << "index " << index;
        EXPECT_EQ(pkt, plain);
    }
    EXPECT_EQ(tx->rtp_roc(), 1u);
    EXPECT_EQ(rx->rtp_roc(), 1u);
}

TEST_P(EngineMatchesReference, SrtpWithMki) {
    const Suite suite = GetParam();
    Policy policy = unit::make_policy(suite, 0x32);
    policy.mki = {0xde, 0xad, 0xbe, 0xef};
    const SessionKeys keys = unit::session_keys(policy, false);
    auto tx = unit::make_context(policy);
    auto rx = unit::make_context(policy);
    for (uint16_t seq = 100; seq < 104; ++seq) {
        unit::Rtp spec;
        spec.seq = seq;
        spec.payload_len = 20u + seq;
        const Bytes plain = unit::make_rtp(spec);
        Bytes pkt = plain;
        ASSERT_EQ(unit::protect_rtp(engine, tx.get(), pkt), Status::ok);
        EXPECT_EQ(to_hex(pkt), to_hex(unit::reference_protect_rtp(suite, keys, plain, seq, policy.mki)));
        ASSERT_EQ(unit::unprotect_rtp(engine, rx.get(), pkt), Status::ok);
        EXPECT_EQ(pkt, plain);
    }
}

TEST_P(EngineMatchesReference, SrtcpIndicesStartAtOne) {
    const Suite suite = GetParam();
    const Policy policy = unit::make_policy(suite, 0x33);
    const SessionKeys keys = unit::session_keys(policy, true);
    auto tx = unit::make_context(policy);
    auto rx = unit::make_context(policy);
    for (uint32_t index = 1; index <= 5; ++index) {
        const Bytes plain = unit::make_rtcp(0x0a0b0c0d, static_cast<uint16_t>(index * 3), static_cast<uint8_t>(index));
        Bytes pkt = plain;
        ASSERT_EQ(unit::protect_rtcp(engine, tx.get(), pkt), Status::ok);
        EXPECT_EQ(to_hex(pkt), to_hex(unit::reference_protect_rtcp(suite, keys, plain, index)));
        ASSERT_EQ(unit::unprotect_rtcp(engine, rx.get(), pkt), Status::ok);
        EXPECT_EQ(pkt, plain);
        EXPECT_EQ(rx->rtcp_highest_index(), index);
    }
}

TEST_P(EngineMatchesReference, SrtcpWithMki) {
    const Suite suite = GetParam();
    Policy policy = unit::make_policy(suite, 0x34);
    policy.mki = {0x07};
    const SessionKeys keys = unit::session_keys(policy, true);
    auto tx = unit::make_context(policy);
    auto rx = unit::make_context(policy);
    const Bytes plain = unit::make_rtcp(0x0a0b0c0d);
    Bytes pkt = plain;
    ASSERT_EQ(unit::protect_rtcp(engine, tx.get(), pkt), Status::ok);
    EXPECT_EQ(to_hex(pkt), to_hex(unit::reference_protect_rtcp(suite, keys, plain, 1, true, policy.mki)));
    ASSERT_EQ(unit::unprotect_rtcp(engine, rx.get(), pkt), Status::ok);
    EXPECT_EQ(pkt, plain);
}

TEST_P(EngineMatchesReference, UnencryptedSrtcpFromAPeerIsAccepted) {
    // The engine always sends E=1, but a peer may send E=0 (RFC 3711 §3.4, RFC 7714 §9.3).
    const Suite suite = GetParam();
    const Policy policy = unit::make_policy(suite, 0x35);
    const SessionKeys keys = unit::session_keys(policy, true);
    auto rx = unit::make_context(policy);
    const Bytes plain = unit::make_rtcp(0x0a0b0c0d);
    for (uint32_t index = 7; index < 9; ++index) {
        Bytes pkt = unit::reference_protect_rtcp(suite, keys, plain, index, false);
        ASSERT_EQ(unit::unprotect_rtcp(engine, rx.get(), pkt), Status::ok) << index;
        EXPECT_EQ(pkt, plain);
    }
    EXPECT_EQ(rx->rtcp_highest_index(), 8u);
}

TEST_P(EngineMatchesReference, SameBytesAsLibsrtpForCsrcsExtensionPaddingAndMki) {
    const Suite suite = GetParam();
    for (bool with_mki : {false, true}) {
        SCOPED_TRACE(with_mki ? "with MKI" : "without MKI");
        Policy policy = unit::make_policy(suite, 0x36);
        if (with_mki) policy.mki = {0x01, 0x02};
        unit::LibsrtpSender libsrtp(policy);
        auto tx = unit::make_context(policy);
        unit::Rtp spec;
        spec.seq = 4000;
        spec.ssrc = 0x11223344;
        spec.marker = true;
        spec.pt = 96;
        spec.csrcs = {0xaaaaaaaa, 0xbbbbbbbb};
        spec.use_ext = true;
        spec.ext_words = {0x10ff0000u, 0x22aabbccu};
        spec.padding = 4;
        spec.payload_len = 33;
        const Bytes plain = unit::make_rtp(spec);
        Bytes pkt = plain;
        ASSERT_EQ(unit::protect_rtp(engine, tx.get(), pkt), Status::ok);
        EXPECT_EQ(to_hex(pkt), to_hex(libsrtp.protect_rtp(plain)));
        const Bytes rtcp = unit::make_rtcp(0x11223344);
        Bytes rpkt = rtcp;
        ASSERT_EQ(unit::protect_rtcp(engine, tx.get(), rpkt), Status::ok);
        EXPECT_EQ(to_hex(rpkt), to_hex(libsrtp.protect_rtcp(rtcp)));
    }
}

INSTANTIATE_TEST_SUITE_P(AllSuites, EngineMatchesReference, ::testing::ValuesIn(unit::kAllSuites),
                         unit::SuiteName{});

}  // namespace
}  // namespace msf::srtp
