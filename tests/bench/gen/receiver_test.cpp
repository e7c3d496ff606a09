#include "bench/gen/receiver.hpp"

#include <gtest/gtest.h>

namespace msf::gen {
namespace {

TEST(Receiver, InOrderStreamHasNoLoss) {
    Receiver r(2);
    for (uint32_t seq = 0; seq < 100; ++seq) {
        r.count_sent(0);
        EXPECT_EQ(r.on_packet(0, seq), Arrival::in_order);
    }
    const ReceiveTotals t = r.totals();
    EXPECT_EQ(t.sent, 100u);
    EXPECT_EQ(t.received, 100u);
    EXPECT_EQ(t.lost, 0u);
    EXPECT_EQ(t.reordered, 0u);
    EXPECT_EQ(t.duplicates, 0u);
    EXPECT_EQ(t.streams_receiving, 1u);
    EXPECT_DOUBLE_EQ(t.min_stream_share, 1.0);
}

TEST(Receiver, GapsAreLossLateArrivalsAreReorderedRepeatsAreDuplicates) {
    Receiver r(1);
    r.count_sent(0, 10);
    for (uint32_t seq : {0u, 1u, 3u, 4u, 2u, 2u, 4u, 9u}) r.on_packet(0, seq);
    const ReceiveTotals t = r.totals();
    EXPECT_EQ(t.received, 6u);  // 0 1 2 3 4 9
    EXPECT_EQ(t.lost, 4u);      // 5 6 7 8
    EXPECT_EQ(t.reordered, 1u);  // 2
    EXPECT_EQ(t.duplicates, 2u);  // the second 2, the second 4
}

TEST(Receiver, SequenceWrapIsNotReordering) {
    Receiver r(1);
    for (uint32_t seq = 0xfffffff0u; seq != 0x10u; ++seq) EXPECT_EQ(r.on_packet(0, seq), Arrival::in_order);
    EXPECT_EQ(r.on_packet(0, 0xffffffffu), Arrival::duplicate);
    EXPECT_EQ(r.totals().reordered, 0u);
}

TEST(Receiver, ArrivalOlderThanTheWindowCountsAsReorderedAndNew) {
    Receiver r(1);
    r.on_packet(0, 1000);
    EXPECT_EQ(r.on_packet(0, 1000 - Receiver::kWindow), Arrival::reordered);
    EXPECT_EQ(r.on_packet(0, 1000 - Receiver::kWindow + 1), Arrival::reordered);
    EXPECT_EQ(r.on_packet(0, 1000 - Receiver::kWindow + 1), Arrival::duplicate);
    EXPECT_EQ(r.totals().received, 3u);
}

TEST(Receiver, BigJumpClearsTheWindow) {
    Receiver r(1);
    r.on_packet(0, 5);
    r.on_packet(0, 5 + 1000);
    EXPECT_EQ(r.on_packet(0, 5 + 999), Arrival::reordered);
    EXPECT_EQ(r.on_packet(0, 5 + 1000), Arrival::duplicate);
}

TEST(Receiver, MinShareIsTheWorstStreamAndStarvedStreamsShowUp) {
    Receiver r(3);
    r.count_sent(0, 100);
    r.count_sent(1, 100);
    r.count_sent(2, 100);
    for (uint32_t seq = 0; seq < 100; ++seq) r.on_packet(0, seq);
    for (uint32_t seq = 0; seq < 25; ++seq) r.on_packet(1, seq * 4);
    const ReceiveTotals t = r.totals();
    EXPECT_EQ(t.streams_receiving, 2u);
    EXPECT_DOUBLE_EQ(t.min_stream_share, 0.0);  // stream 2 got nothing
    EXPECT_EQ(t.lost, 75u + 100u);
    Receiver fair(2);
    fair.count_sent(0, 4);
    fair.count_sent(1, 4);
    for (uint32_t seq = 0; seq < 4; ++seq) fair.on_packet(0, seq);
    fair.on_packet(1, 0);
    EXPECT_DOUBLE_EQ(fair.totals().min_stream_share, 0.25);
}

TEST(Receiver, CorruptedPacketsAreCountedApartFromReceived) {
    Receiver r(1);
    r.count_sent(0, 2);
    r.count_corrupted(0);
    r.on_packet(0, 1);
    const ReceiveTotals t = r.totals();
    EXPECT_EQ(t.corrupted, 1u);
    EXPECT_EQ(t.received, 1u);
    EXPECT_EQ(t.lost, 1u);
}

}  // namespace
}  // namespace msf::gen
