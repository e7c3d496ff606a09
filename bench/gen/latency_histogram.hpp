// Latency histogram with logarithmic buckets, HdrHistogram style: values below 256 are exact,
// above that each power of two is split into 128 buckets, so a percentile is within 1/256
// (0.4%) of the true value, whatever the range. Fixed size (7424 counters), no allocation per
// sample: the receive loop records every packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace msf::gen {

class LatencyHistogram {
public:
    static constexpr unsigned kSubBucketBits = 7;
    static constexpr size_t kSubBuckets = size_t{1} << kSubBucketBits;
    static constexpr size_t kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;

    void record(uint64_t value) {
        ++counts_[bucket_of(value)];
        ++count_;
        if (value > max_) max_ = value;
        if (count_ == 1 || value < min_) min_ = value;
    }
    void merge(const LatencyHistogram& other);
    void clear() { *this = LatencyHistogram{}; }

    uint64_t count() const { return count_; }
    uint64_t max() const { return max_; }  // exact
    uint64_t min() const { return min_; }  // exact; 0 when empty
    // The value below which a fraction `quantile` (0..1) of the samples lie: the midpoint of the
    // bucket holding the ceil(quantile * count)-th smallest sample, never above max(). 0 when empty.
    uint64_t percentile(double quantile) const;

    // Bucket arithmetic, public for the tests.
    static size_t bucket_of(uint64_t value);
    static uint64_t bucket_low(size_t bucket);    // smallest value in the bucket
    static uint64_t bucket_width(size_t bucket);  // values in the bucket

private:
    std::array<uint64_t, kBucketCount> counts_{};
    uint64_t count_ = 0;
    uint64_t max_ = 0;
    uint64_t min_ = 0;
};

}  // namespace msf::gen
