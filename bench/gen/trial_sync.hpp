// The start and the end of a trial across msf-gen's lanes (one per lcore, lane_plan.hpp). The
// main lcore publishes a trial: what it wrote before publish() (the settings) is visible to a
// lane that has seen the new generation. Every lane, the main one included, arrives at the start
// barrier and waits for the others, so the counted windows coincide. A lane's finish() makes
// what it wrote before (its result) visible to the main lcore once wait_done() returns. Spinning,
// no locks: the lanes are busy-polling lcores anyway; nothing here is touched per packet.
#pragma once

#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdint>

namespace msf::gen {

class TrialSync {
public:
    explicit TrialSync(size_t lanes) : lanes_(lanes) {}

    size_t lanes() const { return lanes_; }

    // Main lcore, between trials (after wait_done of the last one).
    void publish() {
        ready_.store(0, std::memory_order_relaxed);
        done_.store(0, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
    }

    // A lane runs a trial each time this moves.
    uint32_t generation() const { return generation_.load(std::memory_order_acquire); }

    // Waits until every lane arrived, or `stop` became non-zero (a signal: the trial ends
    // anyway). True when all arrived.
    bool arrive_and_wait(const volatile std::sig_atomic_t& stop) {
        ready_.fetch_add(1, std::memory_order_acq_rel);
        while (ready_.load(std::memory_order_acquire) < lanes_) {
            if (stop) return false;
            relax();
        }
        return true;
    }

    void finish() { done_.fetch_add(1, std::memory_order_release); }

    // Main lcore: until every lane finished (lanes stop promptly on a signal, so no way out).
    void wait_done() const {
        while (done_.load(std::memory_order_acquire) < lanes_) relax();
    }

private:
    static void relax() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();  // what rte_pause() is on x86
#endif
    }

    size_t lanes_;
    alignas(64) std::atomic<uint32_t> generation_{0};
    alignas(64) std::atomic<size_t> ready_{0};
    alignas(64) std::atomic<size_t> done_{0};
};

}  // namespace msf::gen
