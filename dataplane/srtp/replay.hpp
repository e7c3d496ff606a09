// Replay protection and SRTP packet index estimation (RFC 3711 §3.3.1, §3.3.2, Appendix A).
#pragma once

#include <array>
#include <cstdint>

namespace msf::srtp {

// Sliding window over packet indices. The bitmap is circular: bit (index mod size) stands for
// `index` while highest - size < index <= highest, so advancing by one packet clears one bit
// instead of shifting the whole map.
class ReplayWindow {
public:
    static constexpr uint32_t kMinSize = 64;
    static constexpr uint32_t kMaxSize = 1024;
    static constexpr uint32_t kDefaultSize = 128;

    // size: a power of two in [kMinSize, kMaxSize]; the caller validates it.
    explicit ReplayWindow(uint32_t size = kDefaultSize) : size_(size) {}

    uint32_t size() const { return size_; }
    bool started() const { return started_; }
    uint64_t highest() const { return highest_; }

    // True when `index` has not been seen and is not older than the window.
    bool fresh(uint64_t index) const {
        if (!started_ || index > highest_) return true;
        const uint64_t age = highest_ - index;
        if (age >= size_) return false;
        return !test(index);
    }

    // fresh() and commit() in one, with a fast path for the next index in sequence (a sender's
    // every packet). Returns false, changing nothing, when the index is not fresh.
    bool claim(uint64_t index) {
        if (started_ && index == highest_ + 1) [[likely]] {
            highest_ = index;
            set(index);  // the slot held index - size, now outside the window
            return true;
        }
        if (!fresh(index)) return false;
        commit(index);
        return true;
    }

    // Records an authenticated index. Call only after fresh(index) held for this packet.
    void commit(uint64_t index) {
        if (!started_) {
            started_ = true;
            highest_ = index;
            set(index);
            return;
        }
        if (index > highest_) {
            const uint64_t advance = index - highest_;
            if (advance >= size_) {
                bits_.fill(0);
            } else {
                for (uint64_t i = highest_ + 1; i < index; ++i) clear(i);
            }
            highest_ = index;
        }
        set(index);
    }

private:
    uint32_t slot(uint64_t index) const { return static_cast<uint32_t>(index & (size_ - 1)); }
    bool test(uint64_t index) const { return (bits_[slot(index) >> 6] >> (slot(index) & 63)) & 1; }
    void set(uint64_t index) { bits_[slot(index) >> 6] |= uint64_t{1} << (slot(index) & 63); }
    void clear(uint64_t index) { bits_[slot(index) >> 6] &= ~(uint64_t{1} << (slot(index) & 63)); }

    uint64_t highest_ = 0;
    uint32_t size_;
    bool started_ = false;
    std::array<uint64_t, kMaxSize / 64> bits_{};
};

// RFC 3711 Appendix A: the 48-bit index of a packet with sequence number `seq`, given the
// highest index authenticated so far. While the stream is young (highest <= 2^15, ROC 0)
// the index is the sequence number itself, so a first packet near 65535 is not taken for
// ROC -1 (libsrtp estimates the same way).
constexpr uint64_t estimate_index(uint64_t highest, uint16_t seq) {
    constexpr uint32_t kHalf = 1u << 15;
    if (highest <= kHalf) return seq;
    const uint32_t roc = static_cast<uint32_t>(highest >> 16);
    const uint16_t s_l = static_cast<uint16_t>(highest);
    uint32_t v = roc;
    if (s_l < kHalf) {
        if (static_cast<uint32_t>(seq) > s_l + kHalf) v = roc - 1;
    } else {
        if (static_cast<uint32_t>(s_l) - kHalf > seq) v = roc + 1;
    }
    return (static_cast<uint64_t>(v) << 16) | seq;
}

}  // namespace msf::srtp
