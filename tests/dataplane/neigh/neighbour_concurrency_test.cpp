// Worker threads read while the control thread writes. Every address n only ever maps to
// mac_of(n), so a reader that gets any other MAC saw a torn or misplaced slot; static entries
// must be found on every read, whatever the writer is doing. Run under ThreadSanitizer too
// (see tests/dataplane/neigh/meson.build).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "dataplane/neigh/neighbour_service.hpp"
#include "dataplane/neigh/neighbour_table.hpp"
#include "tests/dataplane/neigh/test_network.hpp"

namespace msf::neigh {
namespace {

using api::Side;

constexpr uint32_t kStatics = 4;

net::IpAddr address_of(uint32_t n) {
    if (n % 3 == 0) {
        uint8_t b[16] = {0x20,
                         0x01,
                         0x0d,
                         0xb8,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         static_cast<uint8_t>(n >> 8),
                         static_cast<uint8_t>(n)};
        return net::IpAddr::v6(b);
    }
    const uint8_t b[4] = {10, 0, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    return net::IpAddr::v4(b);
}

net::MacAddr mac_of(uint32_t n) {
    return net::MacAddr{{0x02, 0x11, 0x22, static_cast<uint8_t>(n >> 16),
                         static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}};
}

// A small table (16 entries, 32 slots) for 64 addresses, so the readers and the writer meet on
// the same slots all the time: every removal shifts a cluster, every start evicts.
TEST(NeighbourConcurrency, ReadersSeeWholeEntriesWhileTheWriterChurns) {
    constexpr uint32_t kChurned = 64;
    NeighbourTable table(16);
    for (uint32_t n = 0; n < kStatics; ++n)
        ASSERT_EQ(table.add_static(address_of(n), mac_of(n)), NeighbourTable::AddResult::added);

    std::atomic<bool> done{false};
    std::atomic<uint64_t> wrong_mac{0}, static_misses{0}, hits{0}, reads{0};
    auto reader = [&](unsigned seed) {
        std::mt19937 rng(seed);
        uint64_t local_reads = 0, local_hits = 0;
        while (!done.load(std::memory_order_relaxed)) {
            const uint32_t n = rng() % (kStatics + kChurned);
            const auto found = table.lookup_entry(address_of(n));
            ++local_reads;
            if (found.usable()) {
                ++local_hits;
                if (found.mac != mac_of(n)) wrong_mac.fetch_add(1, std::memory_order_relaxed);
            }
            if (n < kStatics && !(found.usable() && found.mac == mac_of(n)))
                static_misses.fetch_add(1, std::memory_order_relaxed);
            if ((local_reads & 1023) == 0) reads.fetch_add(1024, std::memory_order_relaxed);
        }
        hits.fetch_add(local_hits, std::memory_order_relaxed);
    };
    std::vector<std::thread> readers;
    for (unsigned r = 0; r < 2; ++r) readers.emplace_back(reader, r + 1);

    // Runs until the readers have had their turn too: on a loaded machine they may start late.
    std::mt19937 rng(99);
    std::vector<TimerEvent> events;
    uint64_t now = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int op = 0;
         op < 300000 || (reads.load() < 2000000 && std::chrono::steady_clock::now() < give_up);
         ++op) {
        const uint32_t n = kStatics + rng() % kChurned;
        const net::IpAddr a = address_of(n);
        switch (rng() % 5) {
            case 0:
            case 1: table.start_resolution(a, now); break;
            case 2: table.confirm(a, mac_of(n), now); break;
            case 3: table.mark_stale(a, mac_of(n), now); break;
            case 4: table.remove(a); break;
        }
        if (op % 64 == 0) {
            now += 700;
            events.clear();
            table.advance(now, events);
        }
    }
    done = true;
    for (auto& t : readers) t.join();

    EXPECT_EQ(wrong_mac.load(), 0u);
    EXPECT_EQ(static_misses.load(), 0u);
    EXPECT_GT(hits.load(), 0u);
    EXPECT_GT(table.evictions(), 0u);
    std::printf("%llu reads, %llu hits, %llu evictions\n",
                static_cast<unsigned long long>(reads.load()),
                static_cast<unsigned long long>(hits.load()),
                static_cast<unsigned long long>(table.evictions()));
}

// The ARP reply host 10.0.x.y would send for itself on the access side.
std::vector<uint8_t> arp_reply_from(uint32_t n) {
    std::vector<uint8_t> f(60, 0);
    const auto ours = test::kAccessMac.bytes;
    const auto theirs = mac_of(n).bytes;
    std::copy(ours.begin(), ours.end(), f.begin());
    std::copy(theirs.begin(), theirs.end(), f.begin() + 6);
    const uint8_t head[8] = {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04};
    std::copy(head, head + 8, f.begin() + 12);
    f[21] = 2;  // reply
    std::copy(theirs.begin(), theirs.end(), f.begin() + 22);
    const auto ip = address_of(n).bytes;
    std::copy(ip.begin(), ip.begin() + 4, f.begin() + 28);
    std::copy(ours.begin(), ours.end(), f.begin() + 32);
    const uint8_t gw[4] = {192, 0, 2, 1};
    std::copy(gw, gw + 4, f.begin() + 38);
    return f;
}

// Workers resolve through the service while the control thread drains their requests, sends
// ARP requests, feeds back answers from the hosts that exist (odd n) and runs timers fast
// enough that entries fail, go stale, get refreshed, age out and are evicted.
TEST(NeighbourConcurrency, WorkersResolveWhileTheControlThreadRuns) {
    NeighbourService service(test::test_config(48));

    std::atomic<bool> done{false};
    std::atomic<uint64_t> wrong_mac{0}, gateway_misses{0}, answers{0}, calls{0};
    auto worker = [&](unsigned seed) {
        std::mt19937 rng(seed);
        while (!done.load(std::memory_order_relaxed)) {
            uint32_t n = rng() % 200;
            if (n % 3 == 0) ++n;  // IPv4 hosts only: they answer ARP
            const auto mac = service.resolve(Side::access, address_of(n));
            calls.fetch_add(1, std::memory_order_relaxed);
            if (mac) {
                answers.fetch_add(1, std::memory_order_relaxed);
                if (*mac != mac_of(n)) wrong_mac.fetch_add(1, std::memory_order_relaxed);
            }
            if (service.resolve(Side::core, test::ip("203.0.113.9")) != test::kRouterMac)
                gateway_misses.fetch_add(1, std::memory_order_relaxed);
        }
    };
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < 2; ++w) workers.emplace_back(worker, w + 7);

    test::RecordingSink sink;
    uint64_t now = 0;
    // Runs until the workers have had their turn too: on a loaded machine they may start late.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    // ... and until every event the test expects has happened at least once (how fast the
    // workers' requests arrive decides when entries fail, complete and get evicted).
    const auto all_seen = [&] {
        const auto c = service.counters(Side::access);
        return answers.load() > 0 && c.resolutions_completed > 0 && c.resolutions_failed > 0 &&
               c.evictions > 0;
    };
    for (int round = 0;
         round < 3000 || ((calls.load() < 200000 || !all_seen()) && std::chrono::steady_clock::now() < give_up);
         ++round) {
        now += 97;
        sink.frames.clear();
        service.tick(now, sink);
        const auto requests = std::move(sink.frames);
        sink.frames.clear();
        for (const auto& f : requests) {
            if (f.bytes[12] != 0x08 || f.bytes[13] != 0x06) continue;
            const uint32_t n = uint32_t{f.bytes[40]} << 8 | f.bytes[41];
            if (n % 2 == 1) service.handle_frame(Side::access, arp_reply_from(n), sink, now);
        }
        if (round % 16 == 0) std::this_thread::yield();
    }
    done = true;
    for (auto& t : workers) t.join();

    const auto c = service.counters(Side::access);
    EXPECT_EQ(wrong_mac.load(), 0u);
    EXPECT_EQ(gateway_misses.load(), 0u);
    EXPECT_GT(answers.load(), 0u);
    EXPECT_GT(c.resolutions_completed, 0u);
    EXPECT_GT(c.resolutions_failed, 0u);
    EXPECT_GT(c.evictions, 0u);
    std::printf("started %llu completed %llu failed %llu evicted %llu dropped %llu\n",
                static_cast<unsigned long long>(c.resolutions_started),
                static_cast<unsigned long long>(c.resolutions_completed),
                static_cast<unsigned long long>(c.resolutions_failed),
                static_cast<unsigned long long>(c.evictions),
                static_cast<unsigned long long>(c.requests_dropped));
}

}  // namespace
}  // namespace msf::neigh
