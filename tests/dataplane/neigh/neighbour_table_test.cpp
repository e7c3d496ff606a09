#include "dataplane/neigh/neighbour_table.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/dataplane/neigh/test_network.hpp"

namespace msf::neigh {

struct NeighbourTableTestPeer {
    static void observe_erase_steps(NeighbourTable& t, std::function<void()> observer) {
        t.erase_step_observer_ = std::move(observer);
    }
};

namespace {

using test::ip;
using Kind = TimerEvent::Kind;

net::MacAddr mac_n(uint32_t n) {
    return net::MacAddr{{0x02, 0, static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                         static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}};
}
net::IpAddr v4_n(uint32_t n) {
    const uint8_t b[4] = {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                          static_cast<uint8_t>(n)};
    return net::IpAddr::v4(b);
}
net::IpAddr v6_n(uint32_t n) {
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
    b[13] = static_cast<uint8_t>(n >> 16);
    b[14] = static_cast<uint8_t>(n >> 8);
    b[15] = static_cast<uint8_t>(n);
    return net::IpAddr::v6(b);
}

std::vector<TimerEvent> advance(NeighbourTable& t, uint64_t now) {
    std::vector<TimerEvent> events;
    t.advance(now, events);
    return events;
}

TEST(NeighbourTable, RejectsBadCapacityAndTimers) {
    EXPECT_THROW(NeighbourTable(0), std::invalid_argument);
    EXPECT_THROW(NeighbourTable(NeighbourTable::kMaxCapacity + 1), std::invalid_argument);
    NeighbourTimers timers;
    timers.max_probes = 0;
    EXPECT_THROW(NeighbourTable(8, timers), std::invalid_argument);
}

TEST(NeighbourTable, EmptyTableMisses) {
    NeighbourTable t(16);
    EXPECT_FALSE(t.lookup(ip("192.0.2.10")));
    EXPECT_FALSE(t.lookup(net::IpAddr{}));
    EXPECT_FALSE(t.lookup_entry(ip("2001:db8::10")).found);
}

TEST(NeighbourTable, IncompleteEntryIsFoundButNotUsable) {
    NeighbourTable t(16);
    ASSERT_EQ(t.start_resolution(ip("192.0.2.10"), 100), NeighbourTable::AddResult::added);
    EXPECT_EQ(t.start_resolution(ip("192.0.2.10"), 100), NeighbourTable::AddResult::exists);
    const auto found = t.lookup_entry(ip("192.0.2.10"));
    EXPECT_TRUE(found.found);
    EXPECT_EQ(found.state, NeighbourState::incomplete);
    EXPECT_FALSE(t.lookup(ip("192.0.2.10")));
}

TEST(NeighbourTable, ConfirmMakesItReachable) {
    NeighbourTable t(16);
    t.start_resolution(ip("2001:db8::10"), 100);
    EXPECT_EQ(t.confirm(ip("2001:db8::10"), test::kPeerMac, 150), NeighbourState::incomplete);
    EXPECT_EQ(t.lookup(ip("2001:db8::10")), test::kPeerMac);
    const auto e = t.entry(ip("2001:db8::10"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->state, NeighbourState::reachable);
    EXPECT_EQ(e->confirmed_ms, 150u);
    EXPECT_FALSE(t.confirm(ip("2001:db8::11"), test::kPeerMac, 150));  // no entry: not added
    EXPECT_EQ(t.size(), 1u);
}

TEST(NeighbourTable, FamiliesAreDistinctKeys) {
    NeighbourTable t(16);
    // 192.0.2.1 and c000:201:: share their first four bytes.
    t.add_static(ip("192.0.2.1"), mac_n(1));
    t.add_static(ip("c000:201::"), mac_n(2));
    EXPECT_EQ(t.lookup(ip("192.0.2.1")), mac_n(1));
    EXPECT_EQ(t.lookup(ip("c000:201::")), mac_n(2));
}

TEST(NeighbourTable, ResolutionSendsThreeRequestsOneSecondApartThenFails) {
    NeighbourTable t(16);
    t.start_resolution(ip("192.0.2.10"), 0);
    auto ev = advance(t, 0);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, Kind::probe);
    EXPECT_FALSE(ev[0].unicast_to);  // broadcast
    EXPECT_TRUE(advance(t, 999).empty());
    EXPECT_EQ(advance(t, 1000).size(), 1u);
    EXPECT_EQ(advance(t, 2000).size(), 1u);
    ev = advance(t, 3000);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, Kind::resolution_failed);
    EXPECT_EQ(t.lookup_entry(ip("192.0.2.10")).state, NeighbourState::failed);
    // Held so workers do not restart it, then forgotten.
    EXPECT_EQ(t.start_resolution(ip("192.0.2.10"), 3500), NeighbourTable::AddResult::exists);
    EXPECT_TRUE(advance(t, 5999).empty());
    advance(t, 6000);
    EXPECT_FALSE(t.lookup_entry(ip("192.0.2.10")).found);
    EXPECT_EQ(t.size(), 0u);
}

TEST(NeighbourTable, ReachableTurnsStaleAndStaysUsable) {
    NeighbourTable t(16);
    t.start_resolution(ip("192.0.2.10"), 0);
    t.confirm(ip("192.0.2.10"), test::kPeerMac, 0);
    EXPECT_TRUE(advance(t, 29999).empty());
    EXPECT_TRUE(advance(t, 30000).empty());  // not used: nothing to refresh
    EXPECT_EQ(t.entry(ip("192.0.2.10"))->state, NeighbourState::stale);
    EXPECT_EQ(t.lookup(ip("192.0.2.10")), test::kPeerMac);
}

TEST(NeighbourTable, UsedStaleEntryIsRefreshedUnicast) {
    NeighbourTable t(16);
    t.start_resolution(ip("192.0.2.10"), 0);
    t.confirm(ip("192.0.2.10"), test::kPeerMac, 0);
    ASSERT_TRUE(t.lookup(ip("192.0.2.10")));  // a worker uses it
    auto ev = advance(t, 30000);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, Kind::probe);
    EXPECT_EQ(ev[0].unicast_to, test::kPeerMac);
    EXPECT_TRUE(t.entry(ip("192.0.2.10"))->refreshing);
    t.confirm(ip("192.0.2.10"), test::kPeerMac, 30100);
    EXPECT_EQ(t.entry(ip("192.0.2.10"))->state, NeighbourState::reachable);
    EXPECT_TRUE(advance(t, 31000).empty());  // the refresh stopped
}

TEST(NeighbourTable, RefreshWithoutAnswerRemovesTheEntry) {
    NeighbourTable t(16);
    t.start_resolution(ip("192.0.2.10"), 0);
    t.confirm(ip("192.0.2.10"), test::kPeerMac, 0);
    t.lookup(ip("192.0.2.10"));
    EXPECT_EQ(advance(t, 30000).size(), 1u);
    EXPECT_EQ(advance(t, 31000).size(), 1u);
    EXPECT_EQ(advance(t, 32000).size(), 1u);
    const auto ev = advance(t, 33000);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, Kind::refresh_failed);
    EXPECT_FALSE(t.lookup_entry(ip("192.0.2.10")).found);
}

TEST(NeighbourTable, UnusedStaleEntryAgesOut) {
    NeighbourTable t(16);
    t.start_resolution(ip("192.0.2.10"), 0);
    t.confirm(ip("192.0.2.10"), test::kPeerMac, 0);
    advance(t, 30000);
    for (uint64_t now = 31000; now < 90000; now += 1000)
        ASSERT_TRUE(advance(t, now).empty()) << now;
    const auto ev = advance(t, 90000);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, Kind::aged_out);
    EXPECT_EQ(t.size(), 0u);
}

TEST(NeighbourTable, MarkStaleRecordsWithoutConfirming) {
    NeighbourTable t(16);
    t.start_resolution(ip("2001:db8::10"), 0);
    EXPECT_EQ(t.mark_stale(ip("2001:db8::10"), test::kPeerMac, 10), NeighbourState::incomplete);
    EXPECT_EQ(t.entry(ip("2001:db8::10"))->state, NeighbourState::stale);
    EXPECT_EQ(t.lookup(ip("2001:db8::10")), test::kPeerMac);
}

TEST(NeighbourTable, StaticEntriesNeverAgeAndIgnoreAnswers) {
    NeighbourTable t(4);
    ASSERT_EQ(t.add_static(ip("192.0.2.7"), test::kStaticMac), NeighbourTable::AddResult::added);
    EXPECT_FALSE(t.confirm(ip("192.0.2.7"), test::kPeerMac, 5));
    EXPECT_FALSE(t.mark_stale(ip("192.0.2.7"), test::kPeerMac, 5));
    for (uint64_t now = 0; now < 10 * 3600 * 1000ull; now += 600000)
        ASSERT_TRUE(advance(t, now).empty());
    EXPECT_EQ(t.lookup(ip("192.0.2.7")), test::kStaticMac);
    EXPECT_EQ(t.entry(ip("192.0.2.7"))->state, NeighbourState::reachable);
    EXPECT_EQ(t.add_static(ip("192.0.2.7"), mac_n(9)), NeighbourTable::AddResult::updated);
    EXPECT_EQ(t.lookup(ip("192.0.2.7")), mac_n(9));
    EXPECT_EQ(t.add_static(ip("192.0.2.8"), net::MacAddr{}), NeighbourTable::AddResult::invalid);
}

TEST(NeighbourTable, StaticReplacesADynamicEntry) {
    NeighbourTable t(4);
    t.start_resolution(ip("192.0.2.10"), 0);
    EXPECT_EQ(t.add_static(ip("192.0.2.10"), test::kStaticMac), NeighbourTable::AddResult::updated);
    EXPECT_TRUE(advance(t, 0).empty());  // no longer resolving
    EXPECT_EQ(t.lookup(ip("192.0.2.10")), test::kStaticMac);
    EXPECT_TRUE(t.entry(ip("192.0.2.10"))->is_static);
}

TEST(NeighbourTable, FullTableEvictsTheLeastRecentlyConfirmed) {
    NeighbourTable t(4);
    t.add_static(ip("192.0.2.7"), test::kStaticMac);
    for (uint32_t n = 1; n <= 3; ++n) {
        t.start_resolution(v4_n(n), n);
        t.confirm(v4_n(n), mac_n(n), n);
    }
    t.confirm(v4_n(1), mac_n(1), 10);  // 1 is now the most recently confirmed; 2 the least
    ASSERT_EQ(t.size(), 4u);
    ASSERT_EQ(t.start_resolution(v4_n(4), 11), NeighbourTable::AddResult::added);
    EXPECT_EQ(t.size(), 4u);
    EXPECT_EQ(t.evictions(), 1u);
    EXPECT_FALSE(t.lookup_entry(v4_n(2)).found);
    EXPECT_TRUE(t.lookup(v4_n(1)));
    EXPECT_TRUE(t.lookup(v4_n(3)));
    EXPECT_TRUE(t.lookup(ip("192.0.2.7")));
    EXPECT_TRUE(t.lookup_entry(v4_n(4)).found);
    // Next to go: 3, then 1, then the incomplete 4; the static entry never.
    t.start_resolution(v4_n(5), 12);
    EXPECT_FALSE(t.lookup_entry(v4_n(3)).found);
}

TEST(NeighbourTable, TableOfStaticEntriesIsFull) {
    NeighbourTable t(2);
    t.add_static(v4_n(1), mac_n(1));
    t.add_static(v4_n(2), mac_n(2));
    EXPECT_EQ(t.start_resolution(v4_n(3), 0), NeighbourTable::AddResult::full);
    EXPECT_EQ(t.add_static(v4_n(3), mac_n(3)), NeighbourTable::AddResult::full);
    EXPECT_EQ(t.evictions(), 0u);
}

// Random adds, confirmations, removals and evictions on a small table full of clusters; after
// every step each address the model holds is found with its MAC and no other is found. This is
// what keeps the backward-shift removal honest.
TEST(NeighbourTable, MatchesAModelUnderRandomChurn) {
    constexpr size_t kCapacity = 24;
    NeighbourTable t(kCapacity);
    std::map<std::string, std::pair<net::IpAddr, std::optional<net::MacAddr>>>
        model;                       // nullopt: incomplete
    std::vector<std::string> order;  // least recently confirmed first (for eviction)
    std::mt19937 rng(7);
    uint64_t now = 0;
    auto touch = [&](const std::string& k) {
        std::erase(order, k);
        order.push_back(k);
    };
    for (int step = 0; step < 4000; ++step) {
        const uint32_t n = rng() % 60;
        const net::IpAddr a = (n & 1) ? v6_n(n) : v4_n(n);
        const std::string k = a.to_string();
        ++now;
        switch (rng() % 4) {
            case 0:
            case 1:
                if (!model.count(k)) {
                    if (model.size() == kCapacity) {
                        model.erase(order.front());
                        order.erase(order.begin());
                    }
                    ASSERT_EQ(t.start_resolution(a, now), NeighbourTable::AddResult::added);
                    model[k] = {a, std::nullopt};
                    order.push_back(k);
                }
                break;
            case 2:
                if (model.count(k)) {
                    t.confirm(a, mac_n(n + step), now);
                    model[k].second = mac_n(n + step);
                    touch(k);
                } else {
                    EXPECT_FALSE(t.confirm(a, mac_n(n), now));
                }
                break;
            case 3:
                EXPECT_EQ(t.remove(a), model.erase(k) == 1);
                std::erase(order, k);
                break;
        }
        ASSERT_EQ(t.size(), model.size());
        for (uint32_t m = 0; m < 60; ++m) {
            const net::IpAddr b = (m & 1) ? v6_n(m) : v4_n(m);
            const auto it = model.find(b.to_string());
            const NeighbourLookup found = t.lookup_entry(b);
            ASSERT_EQ(found.found, it != model.end())
                << "step " << step << " address " << b.to_string();
            if (it != model.end() && it->second.second) {
                ASSERT_EQ(found.mac, *it->second.second);
            }
        }
    }
}

// What a worker may see while the control thread is anywhere inside a removal: after every
// slot write of every removal, every other entry is still found with its own MAC. This is the
// property that lets a writer be preempted mid-removal without workers missing entries.
TEST(NeighbourTable, EveryIntermediateStateOfARemovalKeepsTheOtherEntries) {
    constexpr size_t kCapacity = 16;  // 32 slots: long clusters, many shifts
    NeighbourTable t(kCapacity);
    std::map<std::string, std::pair<net::IpAddr, net::MacAddr>> present;
    std::string removing;
    uint64_t steps = 0, removals = 0;
    NeighbourTableTestPeer::observe_erase_steps(t, [&] {
        ++steps;
        for (const auto& [key, entry] : present) {
            if (key == removing) continue;
            const NeighbourLookup found = t.lookup_entry(entry.first);
            ASSERT_TRUE(found.found) << key << " hidden while removing " << removing;
            ASSERT_EQ(found.mac, entry.second) << key;
        }
    });
    std::mt19937 rng(3);
    for (int round = 0; round < 3000; ++round) {
        const uint32_t n = rng() % 48;
        const net::IpAddr a = (n % 3 == 0) ? v6_n(n) : v4_n(n);
        const std::string k = a.to_string();
        if (present.count(k)) {
            removing = k;
            ++removals;
            ASSERT_TRUE(t.remove(a));
            present.erase(k);
        } else if (present.size() < kCapacity) {
            ASSERT_EQ(t.start_resolution(a, 0), NeighbourTable::AddResult::added);
            t.confirm(a, mac_n(n), 0);
            present[k] = {a, mac_n(n)};
        }
    }
    // Two steps per removal (marker, final empty) and two per entry shifted back: many shifts.
    EXPECT_GT(steps, 2 * removals + 500) << removals << " removals";
}

TEST(NeighbourTable, EntriesListsEveryEntry) {
    NeighbourTable t(8);
    t.add_static(v4_n(1), mac_n(1));
    t.start_resolution(v6_n(2), 0);
    const auto all = t.entries();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(neighbour_state_name(NeighbourState::stale), "stale");
}

}  // namespace
}  // namespace msf::neigh
