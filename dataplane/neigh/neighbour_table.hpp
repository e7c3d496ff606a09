// The neighbour cache of one side: IPv4 or IPv6 address -> Ethernet address, bounded.
//
// Worker threads read it through lookup(): no lock, no allocation, no shared write except a
// one-byte "used" mark set once per confirmation period. One thread, the control thread, writes:
// resolutions started, answers recorded, entries aged and evicted, static entries.
//
// Layout: open addressing with linear probing over at least 2 x capacity slots (load <= 1/2).
// Each slot is a seqlock over three words (address, and MAC + family + state), so a reader sees
// a slot whole or retries it. Removal shifts the rest of the cluster back (no tombstones: probe
// lengths stay short however long the table lives) without ever breaking a probe chain, and
// counts each entry it moves back; a reader that missed while an entry moved looks again. A
// reader that keeps meeting writes gives up after a few tries and reports a miss, which costs
// its caller one resolution request that the control thread finds already answered: readers
// never wait for the writer, and a writer stopped anywhere hides at most the one entry whose
// slot it is rewriting in place.
//
// Entries (control-thread records) form a pool of `capacity`; the non-static ones sit on a list
// ordered by last confirmation, whose head is evicted when a new address needs room. Static
// entries never age and are never evicted.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "dataplane/net/addr.hpp"

namespace msf::neigh {

enum class NeighbourState : uint8_t {
    incomplete = 1,  // being resolved: requests sent, no answer yet
    reachable = 2,   // confirmed by an answer at confirmed_ms
    stale = 3,       // the confirmation is old: still used, and refreshed if workers use it
    failed = 4,      // resolution gave up; kept a while so workers do not restart it at once
};

std::string_view neighbour_state_name(NeighbourState state);

// Defaults after RFC 4861 §10 (RETRANS_TIMER 1 s, MAX_MULTICAST_SOLICIT 3, REACHABLE_TIME 30 s);
// ARP uses the same (RFC 1122 §2.3.2.1 leaves the numbers to the implementation).
struct NeighbourTimers {
    uint64_t retry_interval_ms = 1000;  // between two requests for one address
    uint32_t max_probes = 3;            // requests before a resolution or a refresh fails
    uint64_t reachable_ms = 30000;      // a confirmation is trusted this long, then stale
    uint64_t stale_unused_ms = 60000;   // a stale entry no worker used for this long is removed
    uint64_t failed_hold_ms = 3000;     // a failed address is not resolved again for this long
};

// An entry as the control thread sees it.
struct NeighbourEntry {
    net::IpAddr ip;
    net::MacAddr mac;  // zero while incomplete or failed
    NeighbourState state = NeighbourState::incomplete;
    bool is_static = false;
    uint64_t confirmed_ms = 0;  // last confirmation; the creation time until the first
    uint32_t probes_left = 0;   // requests still to send: resolving, or refreshing a stale entry
    bool refreshing = false;    // stale and being re-confirmed with unicast requests
};

// What a worker's read found.
struct NeighbourLookup {
    bool found = false;
    NeighbourState state = NeighbourState::incomplete;
    net::MacAddr mac;

    bool usable() const {
        return found && (state == NeighbourState::reachable || state == NeighbourState::stale);
    }
};

// Something advance() decided that needs a frame sent or a counter moved.
struct TimerEvent {
    enum class Kind : uint8_t {
        probe,              // send a request for `ip`: to `unicast_to`, or broadcast/multicast
        resolution_failed,  // an incomplete entry got no answer to max_probes requests
        refresh_failed,     // a stale entry in use got no answer to max_probes unicast requests
        aged_out,           // a stale entry nobody used was removed
    };
    Kind kind = Kind::probe;
    net::IpAddr ip;
    std::optional<net::MacAddr> unicast_to;
};

class NeighbourTable {
public:
    static constexpr size_t kMaxCapacity = size_t{1} << 22;

    // Throws std::invalid_argument for a capacity outside 1..kMaxCapacity or timers with
    // max_probes 0 or a zero interval.
    explicit NeighbourTable(size_t capacity, NeighbourTimers timers = {});
    ~NeighbourTable();
    NeighbourTable(const NeighbourTable&) = delete;
    NeighbourTable& operator=(const NeighbourTable&) = delete;

    // ---- any thread: lock-free, no allocation ----

    // The MAC to send to, for a reachable or stale entry.
    std::optional<net::MacAddr> lookup(const net::IpAddr& ip) const;
    NeighbourLookup lookup_entry(const net::IpAddr& ip) const;

    // ---- control thread only ----

    enum class AddResult : uint8_t {
        added,    // a new entry
        exists,   // the address already had an entry; nothing changed (start_resolution)
        updated,  // the existing entry now holds what was asked (add_static)
        full,     // no room: every entry is static
        invalid,  // no address family, or a zero MAC for a static entry
    };

    // A static entry: reachable forever, never evicted, never changed by ARP or ND. Replaces a
    // dynamic entry of the same address.
    AddResult add_static(const net::IpAddr& ip, const net::MacAddr& mac);
    // A new incomplete entry whose first request is due at now_ms; evicts the least recently
    // confirmed dynamic entry when the table is full.
    AddResult start_resolution(const net::IpAddr& ip, uint64_t now_ms);
    // An answer from `ip`: the dynamic entry becomes reachable with `mac`. Returns the state it
    // had, nullopt (and changes nothing) when there is no entry or it is static.
    std::optional<NeighbourState> confirm(const net::IpAddr& ip, const net::MacAddr& mac,
                                          uint64_t now_ms);
    // Information that is not a confirmation (RFC 4861 §7.2.5: an unsolicited NA): the dynamic
    // entry becomes stale with `mac`. Returns the previous state as confirm() does.
    std::optional<NeighbourState> mark_stale(const net::IpAddr& ip, const net::MacAddr& mac,
                                             uint64_t now_ms);
    bool remove(const net::IpAddr& ip);

    // Runs the timers due at now_ms: requests to send, entries to age, fail or remove. Appends
    // what it decided to `events`. Cheap when nothing is due.
    void advance(uint64_t now_ms, std::vector<TimerEvent>& events);

    std::optional<NeighbourEntry> entry(const net::IpAddr& ip) const;
    std::vector<NeighbourEntry> entries() const;
    size_t size() const { return size_; }
    size_t capacity() const { return entries_.size(); }
    uint64_t evictions() const { return evictions_; }
    const NeighbourTimers& timers() const { return timers_; }

private:
    struct Key {
        uint64_t hi = 0, lo = 0;
        uint8_t family = 0;
    };
    // One cache line holds two slots. `meta`: MAC in bits 0-47, family in 48-55 (0: empty,
    // 0xff: an entry is being moved through it), state in 56-63.
    struct alignas(32) Slot {
        std::atomic<uint32_t> sequence{0};
        mutable std::atomic<uint8_t> used{0};
        std::atomic<uint64_t> addr_hi{0};
        std::atomic<uint64_t> addr_lo{0};
        std::atomic<uint64_t> meta{0};
    };
    struct Entry {
        NeighbourEntry view;
        bool in_use = false;
        uint64_t deadline_ms = 0;     // next timer event of a dynamic entry
        uint64_t state_since_ms = 0;  // when it became stale
        uint32_t slot = 0;
        uint32_t home = 0;                                      // the slot its hash points at
        uint32_t lru_prev = UINT32_MAX, lru_next = UINT32_MAX;  // UINT32_MAX: none
    };

    static Key key_of(const net::IpAddr& ip);
    size_t home_of(const Key& key) const;
    uint32_t find(const net::IpAddr& ip) const;  // entry index or kNone
    uint32_t allocate();                         // evicts when needed; kNone when full
    void insert_slot(uint32_t id);
    void erase(uint32_t id);
    void publish(uint32_t id, bool reset_used);
    void write_slot(size_t slot, const Key& key, uint64_t meta);
    void lru_push_back(uint32_t id);
    void lru_unlink(uint32_t id);
    void run_timers(uint32_t id, uint64_t now_ms, std::vector<TimerEvent>& events);
    void send_refresh(Entry& e, uint64_t now_ms, std::vector<TimerEvent>& events);
    void schedule(Entry& e, uint64_t deadline_ms);

    // Tests only (NeighbourTableTestPeer): called after every slot write of a removal, so a test
    // can read the table in each intermediate state a worker could see.
    friend struct NeighbourTableTestPeer;
    std::function<void()> erase_step_observer_;

    NeighbourTimers timers_;
    uint64_t hash_seed_ = 0;
    std::unique_ptr<Slot[]> slots_;
    size_t slot_mask_ = 0;
    alignas(64) std::atomic<uint32_t> moves_{0};  // entries moved back by removals, ever

    // Control thread only.
    alignas(64) std::vector<uint32_t> slot_entry_;  // entry index per slot, kNone when empty
    std::vector<Entry> entries_;
    std::vector<uint32_t> free_entries_;
    uint32_t lru_head_ = UINT32_MAX, lru_tail_ = UINT32_MAX;
    size_t size_ = 0;
    uint64_t evictions_ = 0;
    uint64_t next_due_ms_ = 0;
};

}  // namespace msf::neigh
