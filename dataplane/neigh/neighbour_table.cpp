#include "dataplane/neigh/neighbour_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>

namespace msf::neigh {

namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
// A reader retries a torn slot, or a probe an entry moved across, this often before it reports
// a miss.
constexpr int kReadAttempts = 16;
constexpr uint8_t kFamilyEmpty = 0;
constexpr uint8_t kFamilyMoving = 0xff;  // a removal is shifting entries through this slot
constexpr uint64_t kMovingMeta = uint64_t{kFamilyMoving} << 48;

uint64_t mix64(uint64_t x) {  // the splitmix64 finaliser: every input bit moves every output bit
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t saturating_add(uint64_t t, uint64_t d) { return t > kNever - d ? kNever : t + d; }

uint64_t encode_meta(const net::MacAddr& mac, uint8_t family, NeighbourState state) {
    uint64_t m = 0;
    for (uint8_t b : mac.bytes) m = (m << 8) | b;
    return m | (uint64_t{family} << 48) | (uint64_t{static_cast<uint8_t>(state)} << 56);
}

uint8_t meta_family(uint64_t meta) { return static_cast<uint8_t>(meta >> 48); }
NeighbourState meta_state(uint64_t meta) { return static_cast<NeighbourState>(meta >> 56); }
net::MacAddr meta_mac(uint64_t meta) {
    net::MacAddr mac;
    for (int i = 5; i >= 0; --i) {
        mac.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(meta);
        meta >>= 8;
    }
    return mac;
}

}  // namespace

std::string_view neighbour_state_name(NeighbourState state) {
    switch (state) {
        case NeighbourState::incomplete: return "incomplete";
        case NeighbourState::reachable: return "reachable";
        case NeighbourState::stale: return "stale";
        case NeighbourState::failed: return "failed";
    }
    return "unknown";
}

NeighbourTable::NeighbourTable(size_t capacity, NeighbourTimers timers) : timers_(timers) {
    if (capacity == 0 || capacity > kMaxCapacity)
        throw std::invalid_argument("neighbour table capacity must be 1.." +
                                    std::to_string(kMaxCapacity));
    if (timers.max_probes == 0)
        throw std::invalid_argument("neighbour timers: max_probes must be at least 1");
    if (timers.retry_interval_ms == 0 || timers.reachable_ms == 0)
        throw std::invalid_argument(
            "neighbour timers: retry interval and reachable time must be non-zero");

    // A random seed keeps hosts on the link from choosing addresses that collide in one cluster.
    std::random_device random;
    hash_seed_ = (uint64_t{random()} << 32) ^ random();

    const size_t slot_count = std::bit_ceil(std::max<size_t>(capacity * 2, 8));
    slots_ = std::make_unique<Slot[]>(slot_count);
    slot_mask_ = slot_count - 1;
    slot_entry_.assign(slot_count, kNone);
    entries_.resize(capacity);
    free_entries_.reserve(capacity);
    for (size_t i = capacity; i-- > 0;) free_entries_.push_back(static_cast<uint32_t>(i));
    lru_head_ = lru_tail_ = kNone;
}

NeighbourTable::~NeighbourTable() = default;

NeighbourTable::Key NeighbourTable::key_of(const net::IpAddr& ip) {
    Key k;
    std::memcpy(&k.hi, ip.bytes.data(), 8);
    std::memcpy(&k.lo, ip.bytes.data() + 8, 8);
    k.family = static_cast<uint8_t>(ip.family);
    return k;
}

size_t NeighbourTable::home_of(const Key& key) const {
    uint64_t h = hash_seed_ ^ (uint64_t{key.family} * 0x9e3779b97f4a7c15ull);
    h = mix64(h ^ key.hi);
    h = mix64(h ^ key.lo);
    return static_cast<size_t>(h) & slot_mask_;
}

// ---- readers ----

NeighbourLookup NeighbourTable::lookup_entry(const net::IpAddr& ip) const {
    if (ip.empty()) return {};
    const Key key = key_of(ip);
    const size_t home = home_of(key);
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
        const uint32_t moves_before = moves_.load(std::memory_order_acquire);
        bool torn = false;
        size_t i = home;
        for (size_t probed = 0; probed <= slot_mask_; ++probed, i = (i + 1) & slot_mask_) {
            const Slot& slot = slots_[i];
            // The seqlock read (Boehm, "Can seqlocks get along with programming language memory
            // models?", 2012): the words are atomics, so a torn read is retried, never a race.
            uint64_t hi = 0, lo = 0, meta = 0;
            bool whole = false;
            for (int tries = 0; tries < kReadAttempts && !whole; ++tries) {
                const uint32_t before = slot.sequence.load(std::memory_order_acquire);
                if (before & 1) continue;
                hi = slot.addr_hi.load(std::memory_order_relaxed);
                lo = slot.addr_lo.load(std::memory_order_relaxed);
                meta = slot.meta.load(std::memory_order_relaxed);
                std::atomic_thread_fence(std::memory_order_acquire);
                whole = slot.sequence.load(std::memory_order_relaxed) == before;
            }
            if (!whole) {
                // The writer is inside this slot: whatever it holds may be the address we look
                // for, so a miss below is not final. Probing on still finds an entry being
                // moved, whose other copy is intact.
                torn = true;
                continue;
            }
            const uint8_t family = meta_family(meta);
            if (family == kFamilyEmpty) break;  // end of the cluster: not here
            if (family == key.family && hi == key.hi && lo == key.lo) {
                // Written once per confirmation period, so the line is not bounced per packet.
                if (slot.used.load(std::memory_order_relaxed) == 0)
                    slot.used.store(1, std::memory_order_relaxed);
                return {true, meta_state(meta), meta_mac(meta)};
            }
        }
        // A miss is final when no entry moved back past us while we probed (see erase()).
        std::atomic_thread_fence(std::memory_order_acquire);
        if (!torn && moves_.load(std::memory_order_relaxed) == moves_before) return {};
    }
    return {};
}

std::optional<net::MacAddr> NeighbourTable::lookup(const net::IpAddr& ip) const {
    const NeighbourLookup found = lookup_entry(ip);
    if (!found.usable()) return std::nullopt;
    return found.mac;
}

// ---- the writer ----

void NeighbourTable::write_slot(size_t slot, const Key& key, uint64_t meta) {
    Slot& s = slots_[slot];
    const uint32_t sequence = s.sequence.load(std::memory_order_relaxed);
    s.sequence.store(sequence + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);  // the odd count before the words
    s.addr_hi.store(key.hi, std::memory_order_relaxed);
    s.addr_lo.store(key.lo, std::memory_order_relaxed);
    s.meta.store(meta, std::memory_order_relaxed);
    s.sequence.store(sequence + 2, std::memory_order_release);
}

void NeighbourTable::publish(uint32_t id, bool reset_used) {
    const Entry& e = entries_[id];
    const Key key = key_of(e.view.ip);
    write_slot(e.slot, key, encode_meta(e.view.mac, key.family, e.view.state));
    if (reset_used) slots_[e.slot].used.store(0, std::memory_order_relaxed);
}

uint32_t NeighbourTable::find(const net::IpAddr& ip) const {
    if (ip.empty()) return kNone;
    for (size_t i = home_of(key_of(ip));; i = (i + 1) & slot_mask_) {
        const uint32_t id = slot_entry_[i];
        if (id == kNone) return kNone;
        if (entries_[id].view.ip == ip) return id;
    }
}

void NeighbourTable::lru_push_back(uint32_t id) {
    Entry& e = entries_[id];
    e.lru_prev = lru_tail_;
    e.lru_next = kNone;
    if (lru_tail_ != kNone)
        entries_[lru_tail_].lru_next = id;
    else
        lru_head_ = id;
    lru_tail_ = id;
}

void NeighbourTable::lru_unlink(uint32_t id) {
    Entry& e = entries_[id];
    if (e.lru_prev != kNone)
        entries_[e.lru_prev].lru_next = e.lru_next;
    else
        lru_head_ = e.lru_next;
    if (e.lru_next != kNone)
        entries_[e.lru_next].lru_prev = e.lru_prev;
    else
        lru_tail_ = e.lru_prev;
    e.lru_prev = e.lru_next = kNone;
}

uint32_t NeighbourTable::allocate() {
    if (free_entries_.empty()) {
        if (lru_head_ == kNone) return kNone;  // every entry is static
        erase(lru_head_);
        ++evictions_;
    }
    const uint32_t id = free_entries_.back();
    free_entries_.pop_back();
    return id;
}

void NeighbourTable::insert_slot(uint32_t id) {
    Entry& e = entries_[id];
    e.in_use = true;
    ++size_;
    const size_t home = home_of(key_of(e.view.ip));
    e.home = static_cast<uint32_t>(home);
    // There is always an empty slot: at most half of them are used.
    size_t i = home;
    while (slot_entry_[i] != kNone) i = (i + 1) & slot_mask_;
    slot_entry_[i] = id;
    e.slot = static_cast<uint32_t>(i);
    publish(id, true);
}

// Removes entry `id` from its slot by backward shift (Knuth, TAOCP vol. 3, 6.4 Algorithm R),
// then returns it to the pool. Readers probe while this runs, so the hole is never empty until
// the end: it holds a "moving" marker that readers step over, and an entry moving back is
// written to its new slot before its old slot becomes the marker. Each move bumps `moves_`
// between those two writes: a reader that passed the new slot before the move and reaches the
// old one after it sees the count change and probes again. A writer stopped half-way leaves
// every entry reachable.
void NeighbourTable::erase(uint32_t id) {
    const auto step_done = [this] {
        if (erase_step_observer_) [[unlikely]]
            erase_step_observer_();
    };
    Entry& e = entries_[id];
    size_t hole = e.slot;
    slot_entry_[hole] = kNone;
    write_slot(hole, Key{}, kMovingMeta);
    step_done();
    for (size_t j = (hole + 1) & slot_mask_; slot_entry_[j] != kNone; j = (j + 1) & slot_mask_) {
        const uint32_t moving = slot_entry_[j];
        // An entry may fill the hole unless its home lies cyclically in (hole, j]: then a probe
        // from its home would not pass the hole.
        const size_t home = entries_[moving].home;
        const size_t home_distance = (home - hole) & slot_mask_;
        if (home_distance != 0 && home_distance <= ((j - hole) & slot_mask_)) continue;
        slot_entry_[hole] = moving;
        entries_[moving].slot = static_cast<uint32_t>(hole);
        publish(moving, false);
        slots_[hole].used.store(slots_[j].used.load(std::memory_order_relaxed),
                                std::memory_order_relaxed);
        step_done();
        moves_.store(moves_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
        slot_entry_[j] = kNone;
        write_slot(j, Key{}, kMovingMeta);
        step_done();
        hole = j;
    }
    write_slot(hole, Key{}, 0);  // nothing after it probes through it: Algorithm R's invariant
    step_done();

    if (!e.view.is_static) lru_unlink(id);
    e = Entry{};
    free_entries_.push_back(id);
    --size_;
}

void NeighbourTable::schedule(Entry& e, uint64_t deadline_ms) {
    e.deadline_ms = deadline_ms;
    next_due_ms_ = std::min(next_due_ms_, deadline_ms);
}

NeighbourTable::AddResult NeighbourTable::add_static(const net::IpAddr& ip,
                                                     const net::MacAddr& mac) {
    if (ip.empty() || mac.is_zero()) return AddResult::invalid;
    uint32_t id = find(ip);
    const bool existed = id != kNone;
    if (existed) {
        if (!entries_[id].view.is_static) lru_unlink(id);
    } else {
        id = allocate();
        if (id == kNone) return AddResult::full;
    }
    Entry& e = entries_[id];
    e.view = NeighbourEntry{ip, mac, NeighbourState::reachable, true, 0, 0, false};
    e.deadline_ms = kNever;
    if (existed)
        publish(id, false);
    else
        insert_slot(id);
    return existed ? AddResult::updated : AddResult::added;
}

NeighbourTable::AddResult NeighbourTable::start_resolution(const net::IpAddr& ip, uint64_t now_ms) {
    if (ip.empty()) return AddResult::invalid;
    if (find(ip) != kNone) return AddResult::exists;
    const uint32_t id = allocate();
    if (id == kNone) return AddResult::full;
    Entry& e = entries_[id];
    e.view = NeighbourEntry{
        ip, net::MacAddr{}, NeighbourState::incomplete, false, now_ms, timers_.max_probes, false};
    schedule(e, now_ms);
    lru_push_back(id);
    insert_slot(id);
    return AddResult::added;
}

std::optional<NeighbourState> NeighbourTable::confirm(const net::IpAddr& ip,
                                                      const net::MacAddr& mac, uint64_t now_ms) {
    const uint32_t id = find(ip);
    if (id == kNone || entries_[id].view.is_static) return std::nullopt;
    Entry& e = entries_[id];
    const NeighbourState previous = e.view.state;
    e.view.mac = mac;
    e.view.state = NeighbourState::reachable;
    e.view.confirmed_ms = now_ms;
    e.view.probes_left = 0;
    e.view.refreshing = false;
    schedule(e, saturating_add(now_ms, timers_.reachable_ms));
    lru_unlink(id);
    lru_push_back(id);
    // "used" now means used since this confirmation: it decides whether to refresh later.
    publish(id, true);
    return previous;
}

std::optional<NeighbourState> NeighbourTable::mark_stale(const net::IpAddr& ip,
                                                         const net::MacAddr& mac, uint64_t now_ms) {
    const uint32_t id = find(ip);
    if (id == kNone || entries_[id].view.is_static) return std::nullopt;
    Entry& e = entries_[id];
    const NeighbourState previous = e.view.state;
    e.view.mac = mac;
    e.view.state = NeighbourState::stale;
    e.view.probes_left = 0;
    e.view.refreshing = false;
    e.state_since_ms = now_ms;
    schedule(e, saturating_add(now_ms, timers_.retry_interval_ms));
    publish(id, false);
    return previous;
}

bool NeighbourTable::remove(const net::IpAddr& ip) {
    const uint32_t id = find(ip);
    if (id == kNone) return false;
    erase(id);
    return true;
}

void NeighbourTable::send_refresh(Entry& e, uint64_t now_ms, std::vector<TimerEvent>& events) {
    --e.view.probes_left;
    // RFC 4861 §7.3.3 and RFC 1122 §2.3.2.1: a refresh goes unicast to the address we hold.
    events.push_back({TimerEvent::Kind::probe, e.view.ip, e.view.mac});
    schedule(e, saturating_add(now_ms, timers_.retry_interval_ms));
}

void NeighbourTable::run_timers(uint32_t id, uint64_t now_ms, std::vector<TimerEvent>& events) {
    Entry& e = entries_[id];
    if (now_ms < e.deadline_ms) return;
    switch (e.view.state) {
        case NeighbourState::incomplete:
            if (e.view.probes_left > 0) {
                --e.view.probes_left;
                events.push_back({TimerEvent::Kind::probe, e.view.ip, std::nullopt});
                schedule(e, saturating_add(now_ms, timers_.retry_interval_ms));
            } else {
                e.view.state = NeighbourState::failed;
                schedule(e, saturating_add(now_ms, timers_.failed_hold_ms));
                publish(id, false);
                events.push_back({TimerEvent::Kind::resolution_failed, e.view.ip, std::nullopt});
            }
            return;
        case NeighbourState::failed: erase(id); return;
        case NeighbourState::reachable:
            e.view.state = NeighbourState::stale;
            e.state_since_ms = now_ms;
            publish(id, false);
            [[fallthrough]];  // used while reachable: refresh now
        case NeighbourState::stale:
            if (e.view.refreshing) {
                if (e.view.probes_left > 0) {
                    send_refresh(e, now_ms, events);
                } else {
                    events.push_back({TimerEvent::Kind::refresh_failed, e.view.ip, std::nullopt});
                    erase(id);
                }
            } else if (slots_[e.slot].used.exchange(0, std::memory_order_relaxed) != 0) {
                e.view.refreshing = true;
                e.view.probes_left = timers_.max_probes;
                send_refresh(e, now_ms, events);
            } else if (now_ms >= saturating_add(e.state_since_ms, timers_.stale_unused_ms)) {
                events.push_back({TimerEvent::Kind::aged_out, e.view.ip, std::nullopt});
                erase(id);
            } else {
                // Look at the used mark again later, or remove the entry when its time is up.
                schedule(e, std::min(saturating_add(now_ms, timers_.retry_interval_ms),
                                     saturating_add(e.state_since_ms, timers_.stale_unused_ms)));
            }
            return;
    }
}

void NeighbourTable::advance(uint64_t now_ms, std::vector<TimerEvent>& events) {
    if (now_ms < next_due_ms_) return;
    next_due_ms_ = kNever;
    // Static entries have no timers and are not on the list. run_timers removes at most the
    // entry it is given, so the next index stays valid.
    for (uint32_t id = lru_head_; id != kNone;) {
        const uint32_t next = entries_[id].lru_next;
        run_timers(id, now_ms, events);
        if (entries_[id].in_use) next_due_ms_ = std::min(next_due_ms_, entries_[id].deadline_ms);
        id = next;
    }
}

std::optional<NeighbourEntry> NeighbourTable::entry(const net::IpAddr& ip) const {
    const uint32_t id = find(ip);
    if (id == kNone) return std::nullopt;
    return entries_[id].view;
}

std::vector<NeighbourEntry> NeighbourTable::entries() const {
    std::vector<NeighbourEntry> out;
    out.reserve(size_);
    for (const Entry& e : entries_)
        if (e.in_use) out.push_back(e.view);
    return out;
}

}  // namespace msf::neigh
