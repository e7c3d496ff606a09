#include "bench/gen/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace msf::gen {
namespace {

TEST(LatencyHistogram, BucketsAreContiguousAndCoverEveryValue) {
    for (size_t b = 0; b + 1 < LatencyHistogram::kBucketCount; ++b)
        ASSERT_EQ(LatencyHistogram::bucket_low(b) + LatencyHistogram::bucket_width(b), LatencyHistogram::bucket_low(b + 1))
            << b;
    for (uint64_t v : {uint64_t{0}, uint64_t{255}, uint64_t{256}, uint64_t{257}, uint64_t{1} << 40, ~uint64_t{0}}) {
        const size_t b = LatencyHistogram::bucket_of(v);
        ASSERT_LT(b, LatencyHistogram::kBucketCount);
        EXPECT_GE(v, LatencyHistogram::bucket_low(b));
        EXPECT_LE(v - LatencyHistogram::bucket_low(b), LatencyHistogram::bucket_width(b) - 1);
    }
}

TEST(LatencyHistogram, BucketWidthIsWithinOnePercentOfItsValues) {
    for (size_t b = 256; b < LatencyHistogram::kBucketCount; b += 97)
        EXPECT_LE(static_cast<double>(LatencyHistogram::bucket_width(b)) / static_cast<double>(LatencyHistogram::bucket_low(b)),
                  0.01)
            << b;
}

TEST(LatencyHistogram, PercentilesMatchSortedSamplesWithinOnePercent) {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(9.0, 1.2);  // ~8 us median in ns, long tail
    std::vector<uint64_t> samples;
    LatencyHistogram h;
    for (int i = 0; i < 200000; ++i) {
        const auto v = static_cast<uint64_t>(dist(rng)) + 1;
        samples.push_back(v);
        h.record(v);
    }
    std::sort(samples.begin(), samples.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size()))) - 1;
        const double exact = static_cast<double>(samples[rank]);
        EXPECT_NEAR(static_cast<double>(h.percentile(q)), exact, exact * 0.01) << q;
    }
    EXPECT_EQ(h.max(), samples.back());
    EXPECT_EQ(h.min(), samples.front());
    EXPECT_EQ(h.count(), samples.size());
    EXPECT_EQ(h.percentile(1.0), samples.back());
}

TEST(LatencyHistogram, SmallValuesAreExactAndEmptyIsZero) {
    LatencyHistogram h;
    EXPECT_EQ(h.percentile(0.5), 0u);
    for (uint64_t v = 1; v <= 100; ++v) h.record(v);
    EXPECT_EQ(h.percentile(0.5), 50u);
    EXPECT_EQ(h.percentile(0.99), 99u);
    EXPECT_EQ(h.percentile(0.0), 1u);
}

TEST(LatencyHistogram, MergeAddsCountsAndKeepsExtremes) {
    LatencyHistogram a, b;
    a.record(10);
    a.record(20);
    b.record(5);
    b.record(1000000);
    a.merge(b);
    EXPECT_EQ(a.count(), 4u);
    EXPECT_EQ(a.min(), 5u);
    EXPECT_EQ(a.max(), 1000000u);
    LatencyHistogram empty;
    empty.merge(a);
    EXPECT_EQ(empty.min(), 5u);
}

}  // namespace
}  // namespace msf::gen
