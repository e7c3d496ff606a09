// libFuzzer target for the SRTP/SRTCP engine: hostile bytes go through unprotect (the packet
// path an attacker reaches first) and through protect, and every packet protect accepts must
// come back unchanged through unprotect. Input format: srtp_fuzz_input.hpp.
//
// Contexts are created once per (suite, MKI length) and keep their state between inputs, so
// replay windows, ROCs and SSRC bindings move the way they do in a long-lived session. A
// finding that needs earlier inputs may not reproduce alone: rerun the fuzzer with the same
// -seed on the same corpus. An input with kFlagReset starts its slot from fresh contexts.
//
// Checked beyond "does not crash": every packet gets a valid status; nothing is written past
// `capacity` (ASan for our code, a guard pattern for ipsec-mb's assembly, which ASan does not
// see); lengths after success match RFC 3711 §3.1 and §3.4; every packet protect accepts
// unprotects to the same bytes, whatever burst it shares (a burst must decide as single packets
// would); and one call never accepts the same packet twice.
// MSF_FUZZ_STATS=1 prints a status histogram at exit.
#include <sanitizer/asan_interface.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/srtp/context.hpp"
#include "dataplane/srtp/engine.hpp"
#include "dataplane/srtp/status.hpp"
#include "tests/fuzz/srtp_fuzz_input.hpp"

namespace {

using namespace msf::srtp;
using namespace msf::srtp::fuzz;

[[noreturn]] void fail(const char* what, size_t packet, Status st) {
    std::fprintf(stderr, "srtp_unprotect_fuzz: %s (packet %zu, status %u %s)\n", what, packet,
                 static_cast<unsigned>(st), std::string(status_name(st)).c_str());
    std::abort();
}

// Packet buffers of one input, carved from one arena rather than taken from malloc. Each
// buffer holds a copy of the packet in exactly `capacity` bytes and sits between two guards
// that are poisoned for ASan and filled with a pattern: ASan reports our code touching a guard
// at once, and the pattern catches writes from ipsec-mb's assembly, which ASan does not see.
class Arena {
public:
    static constexpr size_t kGuard = 32;
    static constexpr uint8_t kPattern = 0xa5;

    Arena() { std::memset(mem_.data(), kPattern, mem_.size()); }

    uint8_t* copy(const uint8_t* bytes, uint32_t len, uint32_t capacity) {
        const size_t need = kGuard + capacity + 2 * kGuard;
        if (used_ + need > mem_.size()) {
            std::fprintf(stderr, "srtp_unprotect_fuzz: arena too small\n");
            std::abort();
        }
        uint8_t* data = mem_.data() + used_ + kGuard;  // 8-aligned: ASan poisons in 8-byte granules
        std::memcpy(data, bytes, len);
        std::memset(data + len, 0, capacity - len);
        const size_t end = align8(used_ + kGuard + capacity + kGuard);
        ASAN_POISON_MEMORY_REGION(mem_.data() + used_, kGuard);
        ASAN_POISON_MEMORY_REGION(data + capacity, mem_.data() + end - (data + capacity));
        used_ = end;
        return data;
    }

    // True when nothing was written to the guards of the buffer at `data`.
    bool intact(uint8_t* data, uint32_t capacity) const {
        uint8_t* after = data + capacity;
        const size_t after_len = align8(static_cast<size_t>(after + kGuard - mem_.data())) -
                                 static_cast<size_t>(after - mem_.data());
        ASAN_UNPOISON_MEMORY_REGION(data - kGuard, kGuard);
        ASAN_UNPOISON_MEMORY_REGION(after, after_len);
        // One comparison at the end, not one per byte: each would be a coverage callback.
        uint8_t diff = 0;
        for (size_t i = 0; i < kGuard; ++i) diff |= (data - kGuard)[i] ^ kPattern;
        for (size_t i = 0; i < after_len; ++i) diff |= after[i] ^ kPattern;
        ASAN_POISON_MEMORY_REGION(data - kGuard, kGuard);
        ASAN_POISON_MEMORY_REGION(after, after_len);
        return diff == 0;
    }

    // Between inputs: every byte back to the pattern and addressable.
    void clear() {
        ASAN_UNPOISON_MEMORY_REGION(mem_.data(), used_);
        std::memset(mem_.data(), kPattern, used_);
        used_ = 0;
    }

private:
    static constexpr size_t align8(size_t n) { return (n + 7) & ~size_t{7}; }

    // Every packet of an input appears in four calls; 2048 input bytes and at most
    // kMaxBurstPackets packets, each with under 64 bytes of tailroom, fit many times over.
    alignas(64) std::array<uint8_t, 1u << 18> mem_;
    size_t used_ = 0;
};

// rx unprotects the raw input; tx protects it and rt unprotects what tx produced.
struct Slot {
    std::unique_ptr<Context> rx, tx, rt;
};

enum Phase : uint8_t { phase_unprotect, phase_protect_short, phase_protect, phase_roundtrip, kPhases };
constexpr const char* kPhaseNames[kPhases] = {"unprotect", "protect (short capacity)", "protect",
                                              "roundtrip unprotect"};

struct Stats {
    std::array<std::array<uint64_t, kStatusCount>, kPhases> count{};
    uint64_t short_capacity_ok = 0;

    ~Stats() {
        if (!std::getenv("MSF_FUZZ_STATS")) return;
        for (size_t ph = 0; ph < kPhases; ++ph) {
            std::fprintf(stderr, "%-26s", kPhaseNames[ph]);
            for (int st = 0; st < kStatusCount; ++st)
                if (count[ph][st])
                    std::fprintf(stderr, " %s=%llu",
                                 std::string(status_name(static_cast<Status>(st))).c_str(),
                                 static_cast<unsigned long long>(count[ph][st]));
            std::fprintf(stderr, "\n");
        }
        std::fprintf(stderr, "protect ok below the documented tailroom: %llu\n",
                     static_cast<unsigned long long>(short_capacity_ok));
    }
};

struct State {
    Engine engine;
    std::array<Slot, kSlotCount> slots;
    Arena arena;
    Stats stats;

    static std::unique_ptr<Context> make(size_t slot) {
        std::string error;
        auto ctx = Context::create(fuzz_policy(slot), &error);
        if (!ctx) {
            std::fprintf(stderr, "srtp_unprotect_fuzz: context for slot %zu: %s\n", slot,
                         error.c_str());
            std::abort();
        }
        return ctx;
    }

    Slot& slot(size_t i) {
        if (!slots[i].rx) reset(i);
        return slots[i];
    }

    void reset(size_t i) {
        slots[i].rx = make(i);
        slots[i].tx = make(i);
        slots[i].rt = make(i);
    }
};

State& state() {
    static State s;
    return s;
}

// One packet of the input: its bytes and the slot it goes to (kNoSlot: no context).
struct Input {
    static constexpr size_t kNoSlot = SIZE_MAX;
    size_t slot;
    const uint8_t* bytes;
    uint32_t len;
};

std::vector<Input> split(const uint8_t* data, size_t size, size_t default_slot, bool burst) {
    std::vector<Input> inputs;
    if (!burst) {
        inputs.push_back({default_slot, data, static_cast<uint32_t>(std::min<size_t>(size, kMaxPacketLen))});
        return inputs;
    }
    size_t pos = 0;
    while (pos + kBurstHeader <= size && inputs.size() < kMaxBurstPackets) {
        const uint8_t sel = data[pos];
        size_t len = ((size_t{data[pos + 1]} << 8) | data[pos + 2]) % kMaxPacketLen;
        pos += kBurstHeader;
        len = std::min(len, size - pos);
        size_t slot = default_slot;
        if (sel == kSelectorNoContext)
            slot = Input::kNoSlot;
        else if (sel != kSelectorDefault)
            slot = (sel - 1u) % kSlotCount;
        inputs.push_back({slot, data + pos, static_cast<uint32_t>(len)});
        pos += len;
    }
    return inputs;
}

// One engine call over a burst of packets that live in the arena.
struct Burst {
    std::vector<Packet> packets;
    std::vector<uint32_t> capacity;  // as given, in case the engine overwrote the field
    std::vector<Status> status;

    void add(State& s, const uint8_t* bytes, uint32_t len, uint32_t cap, Context* ctx) {
        packets.push_back({s.arena.copy(bytes, len, cap), len, cap, ctx});
        capacity.push_back(cap);
    }

    // The one-packet API when there is one packet and the input asked for it, the span API
    // otherwise. Every packet must get a valid status and keep its guards intact.
    void run(State& s, bool rtcp, bool protect, bool one_packet_api, Phase phase) {
        constexpr auto kUnset = static_cast<Status>(0xff);
        status.assign(packets.size(), kUnset);
        Engine& e = s.engine;
        if (one_packet_api && packets.size() == 1) {
            Packet& p = packets[0];
            status[0] = protect ? (rtcp ? e.protect_rtcp(p) : e.protect_rtp(p))
                                : (rtcp ? e.unprotect_rtcp(p) : e.unprotect_rtp(p));
        } else if (protect) {
            rtcp ? e.protect_rtcp(packets, status) : e.protect_rtp(packets, status);
        } else {
            rtcp ? e.unprotect_rtcp(packets, status) : e.unprotect_rtp(packets, status);
        }
        for (size_t i = 0; i < packets.size(); ++i) {
            if (static_cast<uint8_t>(status[i]) >= kStatusCount)
                fail("engine left a status unset or out of range", i, status[i]);
            s.stats.count[phase][static_cast<size_t>(status[i])]++;
            if (!s.arena.intact(packets[i].data, capacity[i]))
                fail(protect ? "protect wrote outside the buffer" : "unprotect wrote outside the packet",
                     i, status[i]);
            if (!packets[i].ctx && status[i] != Status::no_context)
                fail("a packet without context was not reported as no_context", i, status[i]);
        }
    }

    // A packet authenticates under one index only, so two byte-identical packets for the same
    // context accepted in one call mean the replay check missed a duplicate inside the burst.
    void check_no_duplicate_accepted(const std::vector<std::vector<uint8_t>>& wire) const {
        for (size_t i = 0; i < packets.size(); ++i) {
            if (status[i] != Status::ok) continue;
            for (size_t j = i + 1; j < packets.size(); ++j)
                if (status[j] == Status::ok && packets[j].ctx == packets[i].ctx && wire[i] == wire[j])
                    fail("the same packet was accepted twice in one call (replay)", j, status[j]);
        }
    }
};

// RFC 3711 §3.1, §3.4: what protect appends.
uint32_t protected_len(const Context& ctx, bool rtcp, uint32_t len) {
    const SuiteInfo& info = ctx.info();
    const auto mki = static_cast<uint32_t>(ctx.mki().size());
    return rtcp ? len + 4 + mki + info.rtcp_tag_len : len + mki + info.rtp_tag_len;
}

uint32_t tailroom(const Context& ctx, bool rtcp) {
    return rtcp ? ctx.rtcp_tailroom() : ctx.rtp_tailroom();
}

// Options of one input that every phase looks at.
struct Run {
    State& s;
    const std::vector<Input>& inputs;
    bool rtcp;
    bool one_packet_api;
    bool force_ssrc;

    Context* tx(const Input& in) const {
        return in.slot == Input::kNoSlot ? nullptr : s.slot(in.slot).tx.get();
    }

    void set_ssrc(uint8_t* data, uint32_t len) const {
        const uint32_t at = rtcp ? 4 : 8;  // RFC 3550 §6.4.1, §5.1
        if (!force_ssrc || len < at + 4) return;
        const uint8_t be[4] = {kFuzzSsrc >> 24, (kFuzzSsrc >> 16) & 0xff, (kFuzzSsrc >> 8) & 0xff,
                               kFuzzSsrc & 0xff};
        std::memcpy(data + at, be, 4);
    }
};

// The attacker's view: raw bytes, in a buffer of exactly their length.
void unprotect_raw(const Run& r) {
    Burst b;
    std::vector<std::vector<uint8_t>> wire;
    for (const Input& in : r.inputs) {
        Context* rx = in.slot == Input::kNoSlot ? nullptr : r.s.slot(in.slot).rx.get();
        b.add(r.s, in.bytes, in.len, in.len, rx);
        wire.emplace_back(in.bytes, in.bytes + in.len);
    }
    b.run(r.s, r.rtcp, false, r.one_packet_api, phase_unprotect);
    for (size_t i = 0; i < b.packets.size(); ++i)
        if (b.status[i] == Status::ok && b.packets[i].len > r.inputs[i].len)
            fail("unprotect grew the packet", i, b.status[i]);
    b.check_no_duplicate_accepted(wire);
}

// Unprotects, with rt and in one call, the packets of `b` that tx accepted: each must come back
// as it was before protect.
void roundtrip(const Run& r, const Burst& b, const std::vector<size_t>& accepted,
               const std::vector<std::vector<uint8_t>>& plain) {
    if (accepted.empty()) return;

    // tx refuses to protect an index twice (keystream reuse), and rt has seen exactly what tx
    // protected, so every one of these is fresh to rt and must authenticate, in a burst as well
    // as alone.
    Burst rb;
    for (size_t i : accepted) {
        const Packet& p = b.packets[i];
        rb.add(r.s, p.data, p.len, p.len, r.s.slot(r.inputs[i].slot).rt.get());
    }
    rb.run(r.s, r.rtcp, false, r.one_packet_api, phase_roundtrip);
    for (size_t k = 0; k < accepted.size(); ++k) {
        const size_t i = accepted[k];
        if (rb.status[k] != Status::ok) {
            const Slot& slot = r.s.slots[r.inputs[i].slot];
            std::fprintf(stderr, "slot %zu: tx highest index %llu, rt highest index %llu\n",
                         r.inputs[i].slot,
                         static_cast<unsigned long long>(r.rtcp ? slot.tx->rtcp_highest_index()
                                                                : slot.tx->rtp_highest_index()),
                         static_cast<unsigned long long>(r.rtcp ? slot.rt->rtcp_highest_index()
                                                                : slot.rt->rtp_highest_index()));
            fail("a packet protect accepted did not unprotect", i, rb.status[k]);
        }
        if (rb.packets[k].len != plain[i].size() ||
            std::memcmp(rb.packets[k].data, plain[i].data(), plain[i].size()) != 0)
            fail("unprotect(protect(p)) != p", i, rb.status[k]);
    }
}

// Protects every packet of the input with tx, in a buffer with the documented tailroom or with
// 1..tailroom bytes less; whatever protect accepts goes on to roundtrip().
void protect(const Run& r, bool short_capacity) {
    Burst b;
    std::vector<std::vector<uint8_t>> plain;
    for (const Input& in : r.inputs) {
        Context* tx = r.tx(in);
        const uint32_t room = tx ? tailroom(*tx, r.rtcp) : 0;
        const uint32_t capacity = in.len + room - (short_capacity && room ? 1 + in.len % room : 0);
        b.add(r.s, in.bytes, in.len, capacity, tx);
        r.set_ssrc(b.packets.back().data, in.len);
        plain.emplace_back(b.packets.back().data, b.packets.back().data + in.len);
    }
    b.run(r.s, r.rtcp, true, r.one_packet_api, short_capacity ? phase_protect_short : phase_protect);
    std::vector<size_t> accepted;
    for (size_t i = 0; i < b.packets.size(); ++i) {
        if (!b.packets[i].ctx) continue;
        if (!short_capacity && b.status[i] == Status::no_room)
            fail("protect had the documented tailroom but said no_room", i, b.status[i]);
        if (b.status[i] != Status::ok) continue;
        // Allowed with a short buffer as long as it fits, but the documented tailroom says
        // it should not happen.
        if (short_capacity) r.s.stats.short_capacity_ok++;
        if (b.packets[i].len != protected_len(*b.packets[i].ctx, r.rtcp, r.inputs[i].len) ||
            b.packets[i].len > b.capacity[i])
            fail("protect produced an unexpected length", i, b.status[i]);
        accepted.push_back(i);
    }
    roundtrip(r, b, accepted, plain);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const size_t suite_index = data[0] % kSuiteCount;
    const uint8_t flags = data[1];
    const bool rtcp = flags & kFlagRtcp;
    const size_t mki_len = ((flags & kFlagMkiMask) >> kFlagMkiShift) % kMkiLengths;
    const size_t default_slot = slot_of(suite_index, mki_len);
    const bool one_packet_api = !(flags & kFlagSpanApi);
    const bool force_ssrc = flags & kFlagForceSsrc;

    State& s = state();
    if (flags & kFlagReset) s.reset(default_slot);

    const std::vector<Input> inputs = split(data + 2, size - 2, default_slot, flags & kFlagBurst);
    const Run run{s, inputs, rtcp, one_packet_api, force_ssrc};
    unprotect_raw(run);
    protect(run, true);
    protect(run, false);
    s.arena.clear();
    return 0;
}
