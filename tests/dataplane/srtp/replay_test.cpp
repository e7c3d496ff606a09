// Replay window (RFC 3711 §3.3.2) and packet index estimation (RFC 3711 §3.3.1, Appendix A).
#include "dataplane/srtp/replay.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace msf::srtp {
namespace {

constexpr uint64_t idx(uint32_t roc, uint16_t seq) { return uint64_t{roc} << 16 | seq; }

// ---- ReplayWindow ---------------------------------------------------------------------------

TEST(ReplayWindow, DefaultSizeIs128AndSizeIsKept) {
    EXPECT_EQ(ReplayWindow().size(), ReplayWindow::kDefaultSize);
    EXPECT_EQ(ReplayWindow::kDefaultSize, 128u);
    EXPECT_EQ(ReplayWindow(1024).size(), 1024u);
}

TEST(ReplayWindow, NotStartedAcceptsEveryIndex) {
    ReplayWindow w;
    EXPECT_FALSE(w.started());
    EXPECT_TRUE(w.fresh(0));
    EXPECT_TRUE(w.fresh(1));
    EXPECT_TRUE(w.fresh(0xffff));
    EXPECT_TRUE(w.fresh((uint64_t{1} << 48) - 1));
}

TEST(ReplayWindow, FirstCommitStartsTheWindowAtThatIndex) {
    ReplayWindow w;
    w.commit(idx(3, 500));
    EXPECT_TRUE(w.started());
    EXPECT_EQ(w.highest(), idx(3, 500));
    EXPECT_FALSE(w.fresh(idx(3, 500)));
    EXPECT_TRUE(w.fresh(idx(3, 499)));  // inside the window, never seen
    EXPECT_TRUE(w.fresh(idx(3, 501)));
}

TEST(ReplayWindow, FirstCommitAtIndexZeroIsRemembered) {
    ReplayWindow w;
    w.commit(0);
    EXPECT_TRUE(w.started());
    EXPECT_EQ(w.highest(), 0u);
    EXPECT_FALSE(w.fresh(0));
    EXPECT_TRUE(w.fresh(1));
}

TEST(ReplayWindow, FreshDoesNotChangeState) {
    ReplayWindow w;
    w.commit(10);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(w.fresh(11));
    EXPECT_EQ(w.highest(), 10u);
    EXPECT_TRUE(w.fresh(11));
}

TEST(ReplayWindow, CommittedIndicesAreNoLongerFresh) {
    ReplayWindow w(64);
    for (uint64_t i : {5u, 7u, 6u, 20u, 8u}) {
        ASSERT_TRUE(w.fresh(i)) << i;
        w.commit(i);
        EXPECT_FALSE(w.fresh(i)) << i;
    }
    EXPECT_EQ(w.highest(), 20u);
    for (uint64_t i = 9; i < 20; ++i) EXPECT_TRUE(w.fresh(i)) << i;
    for (uint64_t i : {5u, 6u, 7u, 8u, 20u}) EXPECT_FALSE(w.fresh(i)) << i;
}

TEST(ReplayWindow, OlderIndexInsideTheWindowDoesNotMoveHighest) {
    ReplayWindow w(64);
    w.commit(1000);
    w.commit(990);
    EXPECT_EQ(w.highest(), 1000u);
    EXPECT_FALSE(w.fresh(990));
    EXPECT_FALSE(w.fresh(1000));
    EXPECT_TRUE(w.fresh(991));
}

TEST(ReplayWindow, WindowEdgeIsSizeMinusOneBehindHighest) {
    // RFC 3711 §3.3.2: indices more than window-size behind the highest are rejected.
    ReplayWindow w(64);
    w.commit(1000);
    EXPECT_TRUE(w.fresh(1000 - 63));   // oldest index the window still covers
    EXPECT_FALSE(w.fresh(1000 - 64));  // just outside
    EXPECT_FALSE(w.fresh(0));
    w.commit(1000 - 63);
    EXPECT_FALSE(w.fresh(1000 - 63));
}

TEST(ReplayWindow, IndexBelowWindowWhileHighestIsSmallIsStillCheckedByBit) {
    ReplayWindow w(64);
    w.commit(5);
    EXPECT_TRUE(w.fresh(0));
    EXPECT_TRUE(w.fresh(4));
    w.commit(0);
    EXPECT_FALSE(w.fresh(0));
    EXPECT_EQ(w.highest(), 5u);
}

class ReplayWindowSize : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ReplayWindowSize, EdgeFollowsTheConfiguredSize) {
    const uint32_t size = GetParam();
    ReplayWindow w(size);
    EXPECT_EQ(w.size(), size);
    const uint64_t top = 100000;
    w.commit(top);
    EXPECT_TRUE(w.fresh(top - size + 1));
    EXPECT_FALSE(w.fresh(top - size));
}

TEST_P(ReplayWindowSize, EveryIndexOfAFullWindowIsRememberedOnce) {
    const uint32_t size = GetParam();
    ReplayWindow w(size);
    const uint64_t base = 7 * uint64_t{size} + 3;  // not slot-aligned
    for (uint64_t i = base; i < base + size; ++i) {
        ASSERT_TRUE(w.fresh(i)) << i;
        w.commit(i);
    }
    for (uint64_t i = base; i < base + size; ++i) EXPECT_FALSE(w.fresh(i)) << i;
    // One more slides the window by one: the oldest falls out, the rest stay seen.
    w.commit(base + size);
    EXPECT_FALSE(w.fresh(base));
    for (uint64_t i = base + 1; i <= base + size; ++i) EXPECT_FALSE(w.fresh(i)) << i;
    EXPECT_TRUE(w.fresh(base + size + 1));
}

TEST_P(ReplayWindowSize, AdvanceLessThanSizeForgetsTheSlotsItReuses) {
    // Slots are circular: after a jump, slots that stood for old indices must read as unseen.
    const uint32_t size = GetParam();
    ReplayWindow w(size);
    for (uint64_t i = 0; i < size; ++i) w.commit(i);
    const uint64_t jump = size - 1 + size / 2;  // advance of size/2
    w.commit(jump);
    for (uint64_t i = size; i < jump; ++i) EXPECT_TRUE(w.fresh(i)) << i;
    for (uint64_t i = jump - size + 1; i < size; ++i) EXPECT_FALSE(w.fresh(i)) << i;
    EXPECT_FALSE(w.fresh(jump));
}

TEST_P(ReplayWindowSize, AdvanceOfExactlySizeClearsEverything) {
    const uint32_t size = GetParam();
    ReplayWindow w(size);
    for (uint64_t i = 0; i < size; ++i) w.commit(i);
    const uint64_t jump = (size - 1) + size;
    w.commit(jump);
    EXPECT_EQ(w.highest(), jump);
    for (uint64_t i = jump - size + 1; i < jump; ++i) EXPECT_TRUE(w.fresh(i)) << i;
    EXPECT_FALSE(w.fresh(size - 1));
}

TEST_P(ReplayWindowSize, BigJumpForwardForgetsEverythingBehind) {
    const uint32_t size = GetParam();
    ReplayWindow w(size);
    for (uint64_t i = 0; i < 3 * uint64_t{size}; i += 3) w.commit(i);
    const uint64_t far = (uint64_t{1} << 40) + 12345;  // ROC jump of 2^24
    w.commit(far);
    EXPECT_EQ(w.highest(), far);
    EXPECT_FALSE(w.fresh(far));
    for (uint64_t i = far - size + 1; i < far; ++i) EXPECT_TRUE(w.fresh(i)) << i;
    EXPECT_FALSE(w.fresh(far - size));
    EXPECT_FALSE(w.fresh(0));
}

INSTANTIATE_TEST_SUITE_P(PowersOfTwo, ReplayWindowSize, ::testing::Values(64u, 128u, 256u, 512u, 1024u));

// ---- estimate_index (RFC 3711 Appendix A) ---------------------------------------------------

TEST(EstimateIndex, YoungStreamTakesTheSequenceNumberAsIndex) {
    // While highest <= 2^15, no ROC - 1 guess: a first packet near 65535 is ROC 0 (as libsrtp).
    EXPECT_EQ(estimate_index(0, 0), 0u);
    EXPECT_EQ(estimate_index(0, 65535), 65535u);
    EXPECT_EQ(estimate_index(100, 65000), 65000u);
    EXPECT_EQ(estimate_index(100, 5), 5u);
    EXPECT_EQ(estimate_index(1u << 15, 65535), 65535u);
    EXPECT_EQ(estimate_index(1u << 15, 0), 0u);
}

TEST(EstimateIndex, LowHalfSameRocForNearbySequenceNumbers) {
    // s_l < 2^15: v = ROC unless SEQ - s_l > 2^15.
    const uint64_t h = idx(5, 100);
    EXPECT_EQ(estimate_index(h, 101), idx(5, 101));
    EXPECT_EQ(estimate_index(h, 100), idx(5, 100));
    EXPECT_EQ(estimate_index(h, 0), idx(5, 0));
    EXPECT_EQ(estimate_index(h, 100 + 32768), idx(5, 100 + 32768));  // SEQ - s_l == 2^15: same ROC
}

TEST(EstimateIndex, LowHalfLatePacketFromBeforeTheWrapTakesRocMinusOne) {
    const uint64_t h = idx(5, 100);
    EXPECT_EQ(estimate_index(h, 100 + 32769), idx(4, 100 + 32769));  // SEQ - s_l > 2^15
    EXPECT_EQ(estimate_index(h, 65535), idx(4, 65535));
    EXPECT_EQ(estimate_index(idx(1, 3), 65534), idx(0, 65534));
}

TEST(EstimateIndex, HighHalfSameRocForNearbySequenceNumbers) {
    // s_l >= 2^15: v = ROC unless s_l - 2^15 > SEQ.
    const uint64_t h = idx(5, 40000);
    EXPECT_EQ(estimate_index(h, 40001), idx(5, 40001));
    EXPECT_EQ(estimate_index(h, 65535), idx(5, 65535));
    EXPECT_EQ(estimate_index(h, 39000), idx(5, 39000));
    EXPECT_EQ(estimate_index(h, 40000 - 32768), idx(5, 40000 - 32768));  // s_l - 2^15 == SEQ
}

TEST(EstimateIndex, HighHalfSmallSequenceNumberIsAfterTheWrap) {
    const uint64_t h = idx(5, 40000);
    EXPECT_EQ(estimate_index(h, 40000 - 32769), idx(6, 40000 - 32769));
    EXPECT_EQ(estimate_index(h, 0), idx(6, 0));
    EXPECT_EQ(estimate_index(idx(0, 65535), 0), idx(1, 0));
    EXPECT_EQ(estimate_index(idx(7, 65534), 2), idx(8, 2));
}

TEST(EstimateIndex, FirstStreamWrapFromRocZero) {
    // highest just above 2^15 with ROC 0: the normal rules apply from here on.
    EXPECT_EQ(estimate_index((1u << 15) + 1, 0), idx(1, 0));
    EXPECT_EQ(estimate_index((1u << 15) + 1, 1), idx(0, 1));
    EXPECT_EQ(estimate_index(65535, 65535), idx(0, 65535));
}

TEST(EstimateIndex, BoundaryAtExactlyHalfOfTheSequenceSpace) {
    // s_l == 2^15 exactly, ROC 1 (not young): s_l - 2^15 = 0 > SEQ never holds.
    const uint64_t h = idx(1, 32768);
    EXPECT_EQ(estimate_index(h, 0), idx(1, 0));
    EXPECT_EQ(estimate_index(h, 65535), idx(1, 65535));
    // s_l == 2^15 - 1: SEQ - s_l > 2^15 never holds (65535 - 32767 == 2^15).
    EXPECT_EQ(estimate_index(idx(1, 32767), 65535), idx(1, 65535));
    // s_l == 2^15 - 2: only SEQ == 65535 is far enough to be before the wrap.
    const uint64_t g = idx(1, 32766);
    EXPECT_EQ(estimate_index(g, 65535), idx(0, 65535));
    EXPECT_EQ(estimate_index(g, 65534), idx(1, 65534));
}

TEST(EstimateIndex, IsUsableAtCompileTime) {
    static_assert(estimate_index(idx(2, 65000), 10) == idx(3, 10));
    static_assert(estimate_index(idx(2, 10), 65000) == idx(1, 65000));
    SUCCEED();
}

}  // namespace
}  // namespace msf::srtp
