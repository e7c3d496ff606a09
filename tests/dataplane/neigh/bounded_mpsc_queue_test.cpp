#include "dataplane/neigh/bounded_mpsc_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

namespace msf::neigh {
namespace {

TEST(BoundedMpscQueue, CapacityIsAPowerOfTwo) {
    EXPECT_EQ(BoundedMpscQueue<int>(1).capacity(), 2u);
    EXPECT_EQ(BoundedMpscQueue<int>(100).capacity(), 128u);
    EXPECT_THROW(BoundedMpscQueue<int>(0), std::invalid_argument);
}

TEST(BoundedMpscQueue, FifoAndFullAndEmpty) {
    BoundedMpscQueue<int> q(4);
    int out = 0;
    EXPECT_FALSE(q.try_pop(out));
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(q.try_push(i));
    EXPECT_FALSE(q.try_push(4));
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(q.try_pop(out));
        EXPECT_EQ(out, i);
    }
    EXPECT_FALSE(q.try_pop(out));
    // Wraps around many times.
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(q.try_push(i));
        ASSERT_TRUE(q.try_pop(out));
        ASSERT_EQ(out, i);
    }
}

// Four producers push distinct values while one consumer pops: every value arrives exactly
// once, in each producer's order; a full queue refuses and the producer tries again.
TEST(BoundedMpscQueue, ManyProducersOneConsumerLoseNothing) {
    constexpr int kProducers = 4;
    constexpr uint32_t kPerProducer = 20000;
    BoundedMpscQueue<uint32_t> q(64);
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&q, p] {
            for (uint32_t i = 0; i < kPerProducer; ++i) {
                const uint32_t v = static_cast<uint32_t>(p) << 24 | i;
                while (!q.try_push(v)) std::this_thread::yield();
            }
        });
    }
    std::vector<uint32_t> next(kProducers, 0);
    uint32_t received = 0;
    while (received < kProducers * kPerProducer) {
        uint32_t v;
        if (!q.try_pop(v)) {
            std::this_thread::yield();
            continue;
        }
        const uint32_t p = v >> 24, i = v & 0xffffff;
        ASSERT_LT(p, static_cast<uint32_t>(kProducers));
        ASSERT_EQ(i, next[p]) << "producer " << p;
        ++next[p];
        ++received;
    }
    for (auto& t : producers) t.join();
    uint32_t extra;
    EXPECT_FALSE(q.try_pop(extra));
}

}  // namespace
}  // namespace msf::neigh
