#include "bench/gen/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace msf::gen {

size_t LatencyHistogram::bucket_of(uint64_t value) {
    if (value < 2 * kSubBuckets) return static_cast<size_t>(value);
    // value has bit_width >= 9: keep its top kSubBucketBits + 1 bits, the leading 1 implied.
    const unsigned exponent = static_cast<unsigned>(std::bit_width(value)) - 1;
    const uint64_t mantissa = (value >> (exponent - kSubBucketBits)) & (kSubBuckets - 1);
    return (exponent - kSubBucketBits + 1) * kSubBuckets + static_cast<size_t>(mantissa);
}

uint64_t LatencyHistogram::bucket_low(size_t bucket) {
    if (bucket < 2 * kSubBuckets) return bucket;
    const size_t exponent = bucket / kSubBuckets + kSubBucketBits - 1;
    const uint64_t mantissa = bucket % kSubBuckets;
    return (kSubBuckets + mantissa) << (exponent - kSubBucketBits);
}

uint64_t LatencyHistogram::bucket_width(size_t bucket) {
    if (bucket < 2 * kSubBuckets) return 1;
    const size_t exponent = bucket / kSubBuckets + kSubBucketBits - 1;
    return uint64_t{1} << (exponent - kSubBucketBits);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    if (other.count_ == 0) return;
    for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
    min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::percentile(double quantile) const {
    if (count_ == 0) return 0;
    quantile = std::clamp(quantile, 0.0, 1.0);
    const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(quantile * static_cast<double>(count_))));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBucketCount; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            const uint64_t mid = bucket_low(i) + bucket_width(i) / 2;
            return std::clamp(mid, min_, max_);
        }
    }
    return max_;
}

}  // namespace msf::gen
