#include "bench/gen/payload.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace msf::gen {
namespace {

std::vector<uint8_t> packet(size_t size, PayloadId id) {
    std::vector<uint8_t> p(size);
    write_payload(p.data(), size, id);
    return p;
}

TEST(Payload, WrittenPacketIsRtpVersion2WithTheSessionsSsrcSeqAndTimestamp) {
    const auto p = packet(172, {7, 0x12345, kFlagCounted, 99});
    EXPECT_EQ(p[0], 0x80);
    EXPECT_EQ(p[1], kRtpPayloadType);
    EXPECT_EQ(p[2], 0x23);  // low 16 bits of the sequence
    EXPECT_EQ(p[3], 0x45);
    const uint32_t ts = 0x12345u * kTimestampStep;
    EXPECT_EQ(p[4], ts >> 24);
    EXPECT_EQ(p[7], ts & 0xff);
    const uint32_t ssrc = session_ssrc(7);
    EXPECT_EQ(p[8], ssrc >> 24);
    EXPECT_EQ(p[11], ssrc & 0xff);
}

// The sum write_payload returns is the Internet checksum sum of the bytes it wrote, for every
// size the generator allows, odd ones too (the last byte is padded with zero, RFC 1071 §4.1).
TEST(Payload, ReturnedSumIsTheChecksumSumOfTheWrittenBytes) {
    for (size_t size = kMinPayloadLen; size <= kMaxPayloadLen; ++size) {
        std::vector<uint8_t> p(size);
        const net::ChecksumSum sum = write_payload(p.data(), size, {9, static_cast<uint32_t>(size) * 977, kFlagCounted, size});
        ASSERT_EQ(net::checksum_fold(sum), net::checksum_fold(net::checksum_add(0, p.data(), size))) << size;
    }
}

TEST(Payload, CheckReadsBackTheStampOfEverySize) {
    for (size_t size : {size_t{36}, size_t{64}, size_t{172}, size_t{173}, size_t{512}, size_t{1200}, size_t{1400}}) {
        const PayloadId id{3, 0xfffffffe, kFlagCounted, 0x0123456789abcdefull};
        const auto p = packet(size, id);
        const PayloadCheck check = check_payload(p, size);
        EXPECT_EQ(check.status, PayloadStatus::ok) << size;
        EXPECT_EQ(check.id.session, 3u);
        EXPECT_EQ(check.id.seq, 0xfffffffeu);
        EXPECT_EQ(check.id.flags, kFlagCounted);
        EXPECT_EQ(check.id.tsc, 0x0123456789abcdefull);
        EXPECT_EQ(check_payload(p, 0).status, PayloadStatus::ok);
    }
}

TEST(Payload, FillerDiffersBetweenSessionsAndSequenceNumbers) {
    const auto a = packet(200, {1, 1, 0, 0});
    const auto b = packet(200, {1, 2, 0, 0});
    const auto c = packet(200, {2, 1, 0, 0});
    EXPECT_FALSE(std::equal(a.begin() + kMinPayloadLen, a.end(), b.begin() + kMinPayloadLen));
    EXPECT_FALSE(std::equal(a.begin() + kMinPayloadLen, a.end(), c.begin() + kMinPayloadLen));
    EXPECT_NE(session_ssrc(1), session_ssrc(2));
    EXPECT_NE(session_ssrc(0), 0u);
}

TEST(Payload, AnyFlippedBitAfterTheMagicIsCorrupted) {
    const auto good = packet(172, {5, 40, kFlagCounted, 1234});
    for (size_t byte = 0; byte < good.size(); ++byte) {
        if (byte >= kRtpHeaderLen && byte < kRtpHeaderLen + 4) continue;  // the magic itself
        if (byte >= kRtpHeaderLen + 16 && byte < kRtpHeaderLen + 24) continue;  // the TSC is not checkable
        for (int bit = 0; bit < 8; ++bit) {
            if (byte == kRtpHeaderLen + 15 && bit < 2) continue;  // counted, latch: both values valid
            auto bad = good;
            bad[byte] ^= static_cast<uint8_t>(1 << bit);
            const PayloadStatus status = check_payload(bad, 172).status;
            // The version bits make it not RTP at all.
            if (byte == 0 && bit >= 6) EXPECT_EQ(status, PayloadStatus::not_ours);
            else EXPECT_EQ(status, PayloadStatus::corrupted) << "byte " << byte << " bit " << bit;
        }
    }
}

TEST(Payload, WrongLengthIsCorruptedShortOrForeignIsNotOurs) {
    auto p = packet(172, {1, 1, 0, 0});
    EXPECT_EQ(check_payload(p, 173).status, PayloadStatus::corrupted);
    EXPECT_EQ(check_payload(std::span<const uint8_t>(p.data(), 171), 172).status, PayloadStatus::corrupted);
    EXPECT_EQ(check_payload(std::span<const uint8_t>(p.data(), kMinPayloadLen - 1), 0).status, PayloadStatus::not_ours);
    p[kRtpHeaderLen] ^= 1;  // magic
    EXPECT_EQ(check_payload(p, 172).status, PayloadStatus::not_ours);
    EXPECT_EQ(check_payload({}, 0).status, PayloadStatus::not_ours);
}

TEST(Payload, UnknownFlagsAreCorrupted) {
    auto p = packet(64, {1, 1, kFlagCounted | 4, 0});
    EXPECT_EQ(check_payload(p, 64).status, PayloadStatus::corrupted);
}

}  // namespace
}  // namespace msf::gen
