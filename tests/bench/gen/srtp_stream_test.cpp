// msf-gen's libsrtp2 streams as the protect mode uses them: a receiver that sees only every Nth
// packet of a stream that does not start at index 0 unprotects each sample once told the ROC.
#include "bench/gen/srtp_stream.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "bench/gen/payload.hpp"

namespace msf::gen {
namespace {

keying::MediaKeys keys(srtp::Suite suite) {
    const auto& info = srtp::suite_info(suite);
    return keying::MediaKeys(suite, std::vector<uint8_t>(info.key_len, 0x11), std::vector<uint8_t>(info.salt_len, 0x22));
}

TEST(SrtpStream, SampledReceiverUnprotectsAcrossTheRolloverWhenToldTheRoc) {
    for (const auto suite : {srtp::Suite::aes_cm_128_hmac_sha1_80, srtp::Suite::aead_aes_128_gcm}) {
        std::string error;
        const uint32_t ssrc = session_ssrc(4);
        auto sender = SrtpStream::create(keys(suite), SrtpStream::Role::sender, ssrc, &error);
        auto receiver = SrtpStream::create(keys(suite), SrtpStream::Role::receiver, ssrc, &error);
        ASSERT_TRUE(sender && receiver) << error;
        const uint32_t first = 0x1fff0;  // ROC 1, wraps to ROC 2 on the way
        ASSERT_TRUE(sender->set_roc(first >> 16));
        int verified = 0;
        for (uint32_t seq = first; seq < first + 200; ++seq) {
            alignas(8) uint8_t packet[256 + SrtpStream::kMaxTrailer];
            write_payload(packet, 172, PayloadId{4, seq, kFlagCounted, 7});
            size_t len = 172;
            ASSERT_TRUE(sender->protect(packet, &len));
            if (seq % 10 != 3) continue;
            // Unaligned, as in an mbuf behind a 42-byte header.
            alignas(8) uint8_t copy[512];
            std::memcpy(copy + 2, packet, len);
            ASSERT_TRUE(receiver->set_roc(seq >> 16));
            ASSERT_TRUE(receiver->unprotect(copy + 2, &len)) << seq;
            const PayloadCheck check = check_payload({copy + 2, len}, 172);
            EXPECT_EQ(check.status, PayloadStatus::ok);
            EXPECT_EQ(check.id.seq, seq);
            ++verified;
        }
        EXPECT_EQ(verified, 20);
    }
}

TEST(SrtpStream, WrongKeyFailsToUnprotect) {
    std::string error;
    auto sender = SrtpStream::create(keys(srtp::Suite::aes_cm_128_hmac_sha1_80), SrtpStream::Role::sender, 9, &error);
    auto other = keys(srtp::Suite::aes_cm_128_hmac_sha1_80);
    other.master_key[0] ^= 1;
    auto receiver = SrtpStream::create(other, SrtpStream::Role::receiver, 9, &error);
    ASSERT_TRUE(sender && receiver);
    alignas(8) uint8_t packet[256 + SrtpStream::kMaxTrailer];
    write_payload(packet, 100, PayloadId{0, 1, 0, 0});
    std::memcpy(packet + 8, "\0\0\0\x09", 4);  // SSRC 9
    size_t len = 100;
    ASSERT_TRUE(sender->protect(packet, &len));
    EXPECT_FALSE(receiver->unprotect(packet, &len));
}

}  // namespace
}  // namespace msf::gen
