#include "bench/gen/trial_sync.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

namespace msf::gen {
namespace {

volatile std::sig_atomic_t g_never = 0;

// Lanes on threads run many trials the way msf-gen's lcores do: each sees the main thread's
// settings, nobody starts a trial before every lane arrived, and the main thread reads every
// lane's result of that trial only after all finished.
TEST(TrialSync, LanesSeeTheSettingsStartTogetherAndReportBeforeTheMainThreadMerges) {
    constexpr size_t kLanes = 4;
    constexpr uint32_t kTrials = 100;
    TrialSync sync(kLanes);
    uint64_t setting = 0;                  // written by main before publish()
    std::vector<uint64_t> result(kLanes);  // lane i's result, written before finish()
    std::atomic<size_t> arrived{0};        // checks: lanes that arrived in this trial
    std::atomic<bool> quit{false};
    std::atomic<size_t> early_starts{0};

    const auto run_lane = [&](size_t lane) {
        const uint64_t seen_setting = setting;
        arrived.fetch_add(1);
        ASSERT_TRUE(sync.arrive_and_wait(g_never));
        if (arrived.load() != kLanes) early_starts.fetch_add(1);  // all must have arrived
        result[lane] = seen_setting * 10 + lane;
        sync.finish();
    };
    std::vector<std::thread> lanes;
    for (size_t lane = 1; lane < kLanes; ++lane)
        lanes.emplace_back([&, lane] {
            uint32_t seen = 0;
            while (!quit.load(std::memory_order_acquire)) {
                const uint32_t g = sync.generation();
                if (g == seen) {
                    std::this_thread::yield();
                    continue;
                }
                seen = g;
                run_lane(lane);
            }
        });
    for (uint32_t trial = 1; trial <= kTrials; ++trial) {
        setting = trial;
        arrived.store(0);
        sync.publish();
        run_lane(0);
        sync.wait_done();
        for (size_t lane = 0; lane < kLanes; ++lane) ASSERT_EQ(result[lane], trial * 10 + lane) << "trial " << trial;
    }
    quit.store(true, std::memory_order_release);
    for (std::thread& t : lanes) t.join();
    EXPECT_EQ(early_starts.load(), 0u);
}

TEST(TrialSync, OneLaneNeverWaits) {
    TrialSync sync(1);
    sync.publish();
    EXPECT_EQ(sync.generation(), 1u);
    EXPECT_TRUE(sync.arrive_and_wait(g_never));
    sync.finish();
    sync.wait_done();
}

TEST(TrialSync, ASignalReleasesALaneWaitingForOthersThatNeverCome) {
    TrialSync sync(2);
    sync.publish();
    volatile std::sig_atomic_t stop = 1;
    EXPECT_FALSE(sync.arrive_and_wait(stop));
}

}  // namespace
}  // namespace msf::gen
