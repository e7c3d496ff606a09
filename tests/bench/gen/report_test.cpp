#include "bench/gen/report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace msf::gen {
namespace {

// Two lanes' receivers over disjoint streams, merged, count what one receiver over all the
// streams counts: the report of several lcores is the report one lcore would have made.
TEST(MergeTotals, TwoLanesMergeToWhatOneReceiverOverAllStreamsCounts) {
    Receiver all(4), lane0(2), lane1(2);
    // stream i of `all` is lane (i % 2)'s local stream i / 2
    const auto feed = [&](size_t stream, uint64_t sent, std::initializer_list<uint32_t> arrivals, bool corrupt) {
        Receiver& lane = stream % 2 == 0 ? lane0 : lane1;
        all.count_sent(stream, sent);
        lane.count_sent(stream / 2, sent);
        for (const uint32_t seq : arrivals) {
            all.on_packet(stream, seq);
            lane.on_packet(stream / 2, seq);
        }
        if (corrupt) {
            all.count_corrupted(stream);
            lane.count_corrupted(stream / 2);
        }
    };
    feed(0, 5, {0, 1, 2, 3, 4}, false);
    feed(1, 4, {0, 2, 1, 1}, true);  // 3 lost, 2 late, a duplicate
    feed(2, 10, {0, 1, 2, 3, 4}, false);  // half lost
    feed(3, 0, {}, false);
    const ReceiveTotals want = all.totals();
    const ReceiveTotals got = merge_totals(lane0.totals(), lane1.totals());
    EXPECT_EQ(got.sent, want.sent);
    EXPECT_EQ(got.received, want.received);
    EXPECT_EQ(got.lost, want.lost);
    EXPECT_EQ(got.duplicates, want.duplicates);
    EXPECT_EQ(got.reordered, want.reordered);
    EXPECT_EQ(got.corrupted, want.corrupted);
    EXPECT_EQ(got.streams_receiving, want.streams_receiving);
    EXPECT_DOUBLE_EQ(got.min_stream_share, want.min_stream_share);
    EXPECT_DOUBLE_EQ(got.min_stream_share, 0.5);
}

TEST(MergeTotals, ALaneThatSentNothingDoesNotPullTheMinimumShareToZero) {
    Receiver sending(1), idle(1);
    sending.count_sent(0, 4);
    for (uint32_t seq = 0; seq < 3; ++seq) sending.on_packet(0, seq);
    EXPECT_DOUBLE_EQ(merge_totals(sending.totals(), idle.totals()).min_stream_share, 0.75);
    EXPECT_DOUBLE_EQ(merge_totals(idle.totals(), sending.totals()).min_stream_share, 0.75);
    EXPECT_DOUBLE_EQ(merge_totals(idle.totals(), idle.totals()).min_stream_share, 0);
    // A lane whose streams sent and received nothing has a real share of 0.
    Receiver starved(1);
    starved.count_sent(0, 4);
    EXPECT_DOUBLE_EQ(merge_totals(sending.totals(), starved.totals()).min_stream_share, 0);
}

TEST(MergeLaneResult, PercentilesComeFromTheMergedHistogramAndCountersAdd) {
    RunResult merged;
    merged.mode = "hairpin";
    merged.sessions = 4;
    merged.tsc_hz = 1'000'000'000;
    RunResult a, b;
    LatencyHistogram one;  // every sample, as a single lcore would have recorded them
    for (uint64_t v = 1; v <= 900; ++v) {
        a.latency.record(v * 10);
        one.record(v * 10);
    }
    for (uint64_t v = 1; v <= 100; ++v) {
        b.latency.record(100000 + v);
        one.record(100000 + v);
    }
    a.duration_s = 2.0;
    b.duration_s = 1.999;
    a.totals.sent = 900;
    a.totals.received = 900;
    a.totals.min_stream_share = 1;
    b.totals.sent = 100;
    b.totals.received = 100;
    b.totals.min_stream_share = 1;
    a.tx_ring_full = 1;
    b.tx_ring_full = 2;
    a.unexpected = 3;
    b.reflect_dropped = 4;
    b.verified = 5;
    merge_lane_result(merged, a);
    merge_lane_result(merged, b);
    for (const double q : {0.5, 0.9, 0.95, 0.99, 0.999}) EXPECT_EQ(merged.latency.percentile(q), one.percentile(q)) << q;
    EXPECT_EQ(merged.latency.max(), 100100u);
    EXPECT_GT(merged.latency.percentile(0.99), 100000u);  // b's tail shows, as it would on one lcore
    EXPECT_DOUBLE_EQ(merged.duration_s, 2.0);
    EXPECT_EQ(merged.tx_ring_full, 3u);
    EXPECT_EQ(merged.unexpected, 3u);
    EXPECT_EQ(merged.reflect_dropped, 4u);
    EXPECT_EQ(merged.verified, 5u);
    EXPECT_EQ(merged.mode, "hairpin");
    const auto j = nlohmann::json::parse(format_result_json(merged));
    EXPECT_EQ(j["sent"], 1000);
    EXPECT_EQ(j["received"], 1000);
    EXPECT_EQ(j["sessions"], 4);
    EXPECT_DOUBLE_EQ(j["rx_pps"].get<double>(), 500.0);
    EXPECT_EQ(j["latency_ns"]["max"], 100100);
}

}  // namespace
}  // namespace msf::gen
