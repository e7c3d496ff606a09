// A relayed media stream as the workers see it: immutable after it is published, except for the
// per-flow blocks (counters, UE latch) and the SRTP contexts, each of which has one writer — the
// worker that receives that flow.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "dataplane/api/types.hpp"
#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/context.hpp"

namespace msf::dp {

// A counter with one writer and any number of readers; a plain add on x86.
class Counter {
public:
    void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

// An endpoint written by one worker and read by others: a sequence lock over atomic words.
class LatchedEndpoint {
public:
    void store(const net::Endpoint& ep) {
        uint64_t w[3];
        pack(ep, w);
        const uint32_t s = seq_.load(std::memory_order_relaxed);
        seq_.store(s + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        for (int i = 0; i < 3; ++i) words_[i].store(w[i], std::memory_order_relaxed);
        seq_.store(s + 2, std::memory_order_release);
    }
    net::Endpoint load() const {
        uint64_t w[3];
        uint32_t before, after;
        do {
            before = seq_.load(std::memory_order_acquire);
            for (int i = 0; i < 3; ++i) w[i] = words_[i].load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            after = seq_.load(std::memory_order_relaxed);
        } while ((before & 1) || before != after);
        return unpack(w);
    }
    // Cheap check for the fast path: has anything been latched yet?
    bool empty() const { return seq_.load(std::memory_order_acquire) == 0; }

private:
    static void pack(const net::Endpoint& ep, uint64_t* w);
    static net::Endpoint unpack(const uint64_t* w);
    std::atomic<uint32_t> seq_{0};
    std::atomic<uint64_t> words_[3] = {};
};

// What arrives on one local port of one side. Access flows carry SRTP (RTP) or SRTCP (RTCP);
// core flows carry plain RTP/RTCP. With rtcp-mux the RTP flow carries both.
enum FlowId : uint8_t { access_rtp = 0, access_rtcp = 1, core_rtp = 2, core_rtcp = 3 };
inline constexpr int kFlowCount = 4;

inline api::Side flow_side(FlowId f) { return f < core_rtp ? api::Side::access : api::Side::core; }
inline bool flow_is_rtcp(FlowId f) { return f == access_rtcp || f == core_rtcp; }

// Counters of one inbound flow and of what it relayed to the other side; one writer.
// Two cache lines: what every relayed packet writes is in the first, so with many sessions a
// packet of a configured leg misses on one line only; the drop counters and the latch (read by
// packets toward a latched UE, written on a move) fill the second.
struct alignas(64) FlowState {
    Counter packets_in, bytes_in;
    Counter packets_out, bytes_out;  // relayed to the other leg
    Counter last_seen_ns;
    Counter auth_failures, replays, unknown_source;
    Counter malformed, other_drops;
    LatchedEndpoint latched;  // access flows: the UE's source, learned from authenticated packets

    // A session's kFlowCount flows come from a huge-page-backed slab (srtp::HugePageSlab), as
    // sessions and contexts do: every packet updates its flow's counters.
    static void* operator new[](std::size_t size, std::align_val_t align);
    static void operator delete[](void* p, std::align_val_t align) noexcept;

    // The line with the latch and the drop counters, for prefetching.
    const void* second_line() const { return reinterpret_cast<const uint8_t*>(this) + 64; }
};
static_assert(offsetof(FlowState, last_seen_ns) + sizeof(Counter) <= 64, "per-packet counters share a line");
static_assert(offsetof(FlowState, latched) >= 64, "the latch is in the second line");

// Objects that outlive a modify that does not change them: contexts keep their ROC and replay
// state across a change of remote address, flows keep counters and latches.
struct SessionShared {
    std::unique_ptr<FlowState[]> flows{new FlowState[kFlowCount]};
};

// SHA-256 of a direction's key material: tells whether a modify re-keys, and lets the CLI show
// which key is installed without revealing it.
using KeyFingerprint = std::array<uint8_t, 32>;
KeyFingerprint key_fingerprint(const api::KeySpec& keys);

struct alignas(64) Session {
    // What a packet reads comes first, in the first three cache lines: the SRTP contexts, the
    // flow blocks and the endpoints (raw views of what the owners below hold).
    srtp::Context* from_ue_ctx = nullptr;  // unprotect, used by the access-flow workers
    srtp::Context* to_ue_ctx = nullptr;    // protect, used by the core-flow workers
    FlowState* flows = nullptr;
    bool access_mux = false;
    bool core_mux = false;
    // An RTP packet reads three of the first four endpoints (either direction: the UE's and
    // the core peer's, and the local address it leaves from), all within the first two lines;
    // the RTCP endpoints follow, in the third.
    net::Endpoint ue_configured_rtp;  // empty: latch
    net::Endpoint core_remote_rtp;
    net::Endpoint access_local_rtp;
    net::Endpoint core_local_rtp;
    net::Endpoint ue_configured_rtcp, core_remote_rtcp, access_local_rtcp, core_local_rtcp;

    // The control thread's.
    uint64_t id = 0;
    uint32_t slot = 0;
    uint64_t created_ns = 0;
    api::SessionSpec spec;      // as installed, with master keys and salts cleared
    KeyFingerprint from_ue_fingerprint{};
    KeyFingerprint to_ue_fingerprint{};
    std::shared_ptr<srtp::Context> from_ue;
    std::shared_ptr<srtp::Context> to_ue;
    std::shared_ptr<SessionShared> shared;

    FlowState& flow(FlowId f) const { return flows[f]; }
    // Sessions live in a huge-page-backed slab: their first lines are read by every packet.
    static void* operator new(std::size_t size, std::align_val_t align);
    static void operator delete(void* p, std::align_val_t align) noexcept;
    // Points the fast-path views at the owned objects; call before publishing.
    void bind() {
        from_ue_ctx = from_ue.get();
        to_ue_ctx = to_ue.get();
        flows = shared->flows.get();
    }

    // Lines of the session an RTP packet reads; RTCP on its own port reads the next one too.
    static constexpr size_t kRtpLines = 2;
};
static_assert(offsetof(Session, core_local_rtp) + sizeof(net::Endpoint) <= Session::kRtpLines * 64,
              "an RTP packet's endpoints are in the session's first lines");

}  // namespace msf::dp
