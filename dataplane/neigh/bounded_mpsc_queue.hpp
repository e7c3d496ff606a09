// A bounded lock-free queue with many producers (worker threads) and one consumer (the control
// thread): D. Vyukov's bounded MPMC ring, with the consumer side simplified for one reader.
// Each cell carries a sequence number that says whose turn it is, so a producer claims a cell
// with one CAS and publishes it with one release store; nothing allocates after construction.
// A full queue refuses the push: the caller counts the drop and retries later, never waits.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>

namespace msf::neigh {

template <class T>
class BoundedMpscQueue {
    static_assert(std::is_trivially_copyable_v<T>, "cells are copied between threads");

public:
    // `capacity` is rounded up to a power of two, at least 2.
    explicit BoundedMpscQueue(size_t capacity) {
        if (capacity == 0 || capacity > (size_t{1} << 30))
            throw std::invalid_argument("BoundedMpscQueue: capacity must be 1..2^30");
        const size_t size = std::bit_ceil(capacity < 2 ? size_t{2} : capacity);
        cells_ = std::make_unique<Cell[]>(size);
        mask_ = size - 1;
        for (size_t i = 0; i < size; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
    }

    size_t capacity() const { return mask_ + 1; }

    // Any thread. False when the queue is full.
    bool try_push(const T& value) {
        size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
        for (;;) {
            Cell& cell = cells_[pos & mask_];
            const size_t seq = cell.sequence.load(std::memory_order_acquire);
            const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
            if (diff == 0) {
                if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                    cell.value = value;
                    cell.sequence.store(pos + 1, std::memory_order_release);
                    return true;
                }
            } else if (diff < 0) {
                return false;  // the consumer has not freed this cell yet: full
            } else {
                pos = enqueue_pos_.load(std::memory_order_relaxed);
            }
        }
    }

    // The consumer thread only. False when the queue is empty (or the oldest push is still
    // being written; it is seen on the next call).
    bool try_pop(T& out) {
        Cell& cell = cells_[dequeue_pos_ & mask_];
        const size_t seq = cell.sequence.load(std::memory_order_acquire);
        if (seq != dequeue_pos_ + 1) return false;
        out = cell.value;
        cell.sequence.store(dequeue_pos_ + mask_ + 1, std::memory_order_release);
        ++dequeue_pos_;
        return true;
    }

private:
    struct Cell {
        std::atomic<size_t> sequence{0};
        T value{};
    };

    std::unique_ptr<Cell[]> cells_;
    size_t mask_ = 0;
    alignas(64) std::atomic<size_t> enqueue_pos_{0};
    alignas(64) size_t dequeue_pos_ = 0;
};

}  // namespace msf::neigh
