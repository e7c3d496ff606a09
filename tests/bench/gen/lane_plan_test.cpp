#include "bench/gen/lane_plan.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

namespace msf::gen {
namespace {

TEST(LanePlan, OneLaneOwnsEveryQueueAndStreamAtTheWholeRate) {
    const auto lanes = plan_lanes(5, 3, 1, 1000);
    ASSERT_EQ(lanes.size(), 1u);
    EXPECT_EQ(lanes[0].queues, (std::vector<uint16_t>{0, 1, 2}));
    EXPECT_EQ(lanes[0].streams, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
    EXPECT_DOUBLE_EQ(lanes[0].rate, 1000);
}

TEST(LanePlan, QueueBelongsToLaneQueueModuloLanes) {
    EXPECT_EQ(lane_of_queue(0, 4), 0u);
    EXPECT_EQ(lane_of_queue(5, 4), 1u);
    EXPECT_EQ(lane_of_queue(7, 3), 1u);
    const auto lanes = plan_lanes(0, 8, 3, 0);
    EXPECT_EQ(lanes[0].queues, (std::vector<uint16_t>{0, 3, 6}));
    EXPECT_EQ(lanes[1].queues, (std::vector<uint16_t>{1, 4, 7}));
    EXPECT_EQ(lanes[2].queues, (std::vector<uint16_t>{2, 5}));
}

// A stream's packets all leave and come back on its queue (s % queues), so the lane owning that
// queue must own the stream: its sequence numbers and counters then have one writer.
TEST(LanePlan, EveryStreamIsOwnedByTheLaneOfItsQueueAndByNoOther) {
    const size_t streams = 1001;
    const uint16_t queues = 8;
    const auto lanes = plan_lanes(streams, queues, 3, 0);
    std::set<uint32_t> seen;
    for (size_t l = 0; l < lanes.size(); ++l)
        for (const uint32_t s : lanes[l].streams) {
            EXPECT_EQ(lane_of_queue(static_cast<uint16_t>(s % queues), lanes.size()), l) << "stream " << s;
            EXPECT_TRUE(seen.insert(s).second) << "stream " << s << " in two lanes";
        }
    EXPECT_EQ(seen.size(), streams);
}

TEST(LanePlan, RateIsSplitInProportionToTheStreamsEachLaneOwns) {
    // 8 queues over 3 lanes: lanes 0 and 1 own 3 queues, lane 2 two; 16 streams, 2 per queue.
    const auto lanes = plan_lanes(16, 8, 3, 1600);
    EXPECT_EQ(lanes[0].streams.size(), 6u);
    EXPECT_EQ(lanes[2].streams.size(), 4u);
    EXPECT_DOUBLE_EQ(lanes[0].rate, 600);
    EXPECT_DOUBLE_EQ(lanes[1].rate, 600);
    EXPECT_DOUBLE_EQ(lanes[2].rate, 400);
    // Evenly when the lanes own as many streams each.
    for (const Lane& lane : plan_lanes(8, 4, 4, 1e6)) EXPECT_DOUBLE_EQ(lane.rate, 250000);
}

TEST(LanePlan, SplitRatesAddUpToTheTotal) {
    auto lanes = plan_lanes(999, 16, 7, 123456);
    split_rate(lanes, 999, 777777);
    const double sum = std::accumulate(lanes.begin(), lanes.end(), 0.0, [](double a, const Lane& l) { return a + l.rate; });
    EXPECT_NEAR(sum, 777777, 1e-6);
}

TEST(LanePlan, AsFastAsPossibleStaysZeroAndALaneWithoutStreamsGetsNoRate) {
    // One stream over two queues: lane 1 owns queue 1 but no stream.
    const auto lanes = plan_lanes(1, 2, 2, 1000);
    EXPECT_EQ(lanes[0].streams.size(), 1u);
    EXPECT_TRUE(lanes[1].streams.empty());
    EXPECT_DOUBLE_EQ(lanes[0].rate, 1000);
    EXPECT_DOUBLE_EQ(lanes[1].rate, 0);
    for (const Lane& lane : plan_lanes(10, 4, 2, 0)) EXPECT_DOUBLE_EQ(lane.rate, 0);
}

TEST(LanePlan, FewerQueuesThanLcoresIsRefusedWithOneLineNamingBoth) {
    EXPECT_FALSE(lanes_error(1, 1));
    EXPECT_FALSE(lanes_error(4, 2));
    EXPECT_FALSE(lanes_error(4, 4));
    const auto refused = lanes_error(2, 4);
    ASSERT_TRUE(refused);
    EXPECT_NE(refused->find("--queues 2"), std::string::npos);
    EXPECT_NE(refused->find("4 lcores"), std::string::npos);
    EXPECT_EQ(refused->find('\n'), std::string::npos);
    EXPECT_TRUE(lanes_error(1, 0));
}

}  // namespace
}  // namespace msf::gen
