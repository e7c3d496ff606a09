#include "dataplane/session/session_table.hpp"

#include <gtest/gtest.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <bit>
#include <random>
#include <set>
#include <thread>

namespace msf::dp {
namespace {

net::IpAddr ip(const char* text) { return *net::IpAddr::parse(text); }
net::Endpoint ep(const char* text) { return *net::Endpoint::parse(text); }

TableConfig config(uint32_t max_sessions = 1000) {
    TableConfig c;
    c.max_sessions = max_sessions;
    c.max_workers = 4;
    c.access_addresses = {ip("192.0.2.1"), ip("2001:db8::1")};
    c.core_addresses = {ip("198.51.100.1")};
    c.port_min = 10000;
    c.port_max = 60000;
    return c;
}

api::KeySpec keys(uint8_t fill, srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80) {
    const auto& info = srtp::suite_info(suite);
    api::KeySpec k;
    k.suite = suite;
    k.master_key.assign(info.key_len, fill);
    k.master_salt.assign(info.salt_len, static_cast<uint8_t>(fill + 1));
    return k;
}

api::SessionSpec spec(uint64_t id, uint16_t access_port, uint16_t core_port) {
    api::SessionSpec s;
    s.id = id;
    s.access.local = {ip("192.0.2.1"), access_port};
    s.core.local = {ip("198.51.100.1"), core_port};
    s.core.remote = ep("198.51.100.7:4000");
    s.from_ue = keys(1);
    s.to_ue = keys(2);
    return s;
}

const uint8_t* bytes(const char* text) {
    static thread_local net::IpAddr a;
    a = ip(text);
    return a.bytes.data();
}

// A gateway's media addresses are usually neighbours in one prefix: their home buckets must
// spread, or every lookup walks one long probe chain.
TEST(AddressHash, NeighbouringAddressesSpreadOverTheBuckets) {
    for (const uint32_t buckets : {64u, 512u}) {
        const auto log2 = static_cast<uint32_t>(std::countr_zero(buckets));
        std::set<uint32_t> v4_homes, v6_homes;
        for (uint32_t a = 0; a < buckets / 2; ++a) {
            const uint8_t v4[4] = {198, 18, uint8_t(a >> 8), uint8_t(a)};
            v4_homes.insert(address_home_bucket(net::Family::ipv4, v4, log2));
            uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
            v6[14] = uint8_t(a >> 8);
            v6[15] = uint8_t(a);
            v6_homes.insert(address_home_bucket(net::Family::ipv6, v6, log2));
        }
        // Half as many keys as buckets: a fair spread fills well over a third of them.
        EXPECT_GT(v4_homes.size(), buckets / 3) << buckets;
        EXPECT_GT(v6_homes.size(), buckets / 3) << buckets;
    }
}

TEST(SessionTable, AddressesOfOnePrefixAreAllFound) {
    TableConfig tc;
    tc.max_sessions = 64;
    tc.port_min = 10000;
    tc.port_max = 20000;
    for (uint32_t a = 1; a <= 40; ++a) {
        const uint8_t v4[4] = {192, 0, 2, uint8_t(a)};
        tc.access_addresses.push_back(net::IpAddr::v4(v4));
        const uint8_t core[4] = {198, 51, 100, uint8_t(a)};
        tc.core_addresses.push_back(net::IpAddr::v4(core));
    }
    SessionTable table(tc);
    for (uint32_t a = 1; a <= 40; ++a) {
        const uint8_t v4[4] = {192, 0, 2, uint8_t(a)};
        const uint8_t core[4] = {198, 51, 100, uint8_t(a)};
        EXPECT_NE(table.port_entry_of(api::Side::access, net::Family::ipv4, v4, 10000), nullptr) << a;
        EXPECT_NE(table.port_entry_of(api::Side::core, net::Family::ipv4, core, 10000), nullptr) << a;
        EXPECT_EQ(table.port_entry_of(api::Side::core, net::Family::ipv4, v4, 10000), nullptr) << a;
    }
    const uint8_t other[4] = {192, 0, 2, 41};
    EXPECT_EQ(table.port_entry_of(api::Side::access, net::Family::ipv4, other, 10000), nullptr);
}

TEST(SessionTable, AddedSessionIsFoundOnEveryLocalPortOfBothLegs) {
    SessionTable t(config());
    ASSERT_TRUE(t.add(spec(7, 20000, 30000), 0).ok());
    EXPECT_EQ(t.size(), 1u);
    auto hit = t.lookup(api::Side::access, net::Family::ipv4, bytes("192.0.2.1"), 20000);
    ASSERT_NE(hit.session, nullptr);
    EXPECT_EQ(hit.session->id, 7u);
    EXPECT_EQ(hit.flow, access_rtp);
    EXPECT_EQ(t.lookup(api::Side::access, net::Family::ipv4, bytes("192.0.2.1"), 20001).flow, access_rtcp);
    EXPECT_EQ(t.lookup(api::Side::core, net::Family::ipv4, bytes("198.51.100.1"), 30000).flow, core_rtp);
    EXPECT_EQ(t.lookup(api::Side::core, net::Family::ipv4, bytes("198.51.100.1"), 30001).flow, core_rtcp);
}

TEST(SessionTable, LookupMissesOtherPortsAddressesAndSides) {
    SessionTable t(config());
    ASSERT_TRUE(t.add(spec(7, 20000, 30000), 0).ok());
    EXPECT_EQ(t.lookup(api::Side::access, net::Family::ipv4, bytes("192.0.2.1"), 20002).session, nullptr);
    EXPECT_EQ(t.lookup(api::Side::access, net::Family::ipv4, bytes("192.0.2.9"), 20000).session, nullptr);
    EXPECT_EQ(t.lookup(api::Side::core, net::Family::ipv4, bytes("192.0.2.1"), 20000).session, nullptr);
    EXPECT_EQ(t.lookup(api::Side::access, net::Family::ipv6, bytes("2001:db8::1"), 20000).session, nullptr);
}

TEST(SessionTable, RtcpMuxUsesOnePortPerLeg) {
    SessionTable t(config());
    auto s = spec(1, 20000, 30000);
    s.access.rtcp_mux = true;
    s.core.rtcp_mux = true;
    ASSERT_TRUE(t.add(s, 0).ok());
    EXPECT_EQ(t.lookup(api::Side::access, net::Family::ipv4, bytes("192.0.2.1"), 20001).session, nullptr);
    // The next port is free for another session.
    ASSERT_TRUE(t.add(spec(2, 20001, 30001), 0).ok());
}

TEST(SessionTable, RejectsCollisionsAndBadSpecsWithAClearMessage) {
    SessionTable t(config());
    ASSERT_TRUE(t.add(spec(1, 20000, 30000), 0).ok());
    auto dup = t.add(spec(1, 20010, 30010), 0);
    EXPECT_EQ(dup.error, TableError::already_exists);
    auto rtcp_clash = t.add(spec(2, 20001, 30010), 0);  // 20001 is session 1's RTCP port
    EXPECT_EQ(rtcp_clash.error, TableError::already_exists);
    EXPECT_NE(rtcp_clash.message.find("192.0.2.1:20001"), std::string::npos) << rtcp_clash.message;

    auto bad = spec(3, 20100, 30100);
    bad.access.local = ep("203.0.113.5:20100");
    EXPECT_EQ(t.add(bad, 0).error, TableError::invalid_argument);
    bad = spec(3, 9000, 30100);
    EXPECT_EQ(t.add(bad, 0).error, TableError::invalid_argument);
    bad = spec(3, 20100, 30100);
    bad.core.remote = {};
    EXPECT_NE(t.add(bad, 0).message.find("core.remote is required"), std::string::npos);
    bad = spec(3, 20100, 30100);
    bad.core.remote = ep("[2001:db8::9]:4000");
    EXPECT_EQ(t.add(bad, 0).error, TableError::invalid_argument);
    bad = spec(3, 20100, 30100);
    bad.from_ue.master_key.resize(5);
    auto r = t.add(bad, 0);
    EXPECT_EQ(r.error, TableError::invalid_argument);
    EXPECT_NE(r.message.find("from_ue"), std::string::npos) << r.message;
    bad = spec(0, 20100, 30100);
    EXPECT_EQ(t.add(bad, 0).error, TableError::invalid_argument);
    // Nothing of the refused sessions was installed.
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.lookup(api::Side::access, net::Family::ipv4, bytes("192.0.2.1"), 20100).session, nullptr);
}

TEST(SessionTable, FullTableRefusesWithNoSpace) {
    SessionTable t(config(2));
    ASSERT_TRUE(t.add(spec(1, 20000, 30000), 0).ok());
    ASSERT_TRUE(t.add(spec(2, 20002, 30002), 0).ok());
    EXPECT_EQ(t.add(spec(3, 20004, 30004), 0).error, TableError::no_space);
}

TEST(SessionTable, RemovedSessionDisappearsAndItsSlotReturnsOnlyAfterTheGracePeriod) {
    SessionTable t(config(1));
    ASSERT_EQ(rte_rcu_qsbr_thread_register(t.qsbr(), 0), 0);
    rte_rcu_qsbr_thread_online(t.qsbr(), 0);
    ASSERT_TRUE(t.add(spec(1, 20000, 30000), 0).ok());
    ASSERT_TRUE(t.remove(1).ok());
    EXPECT_EQ(t.remove(1).error, TableError::not_found);
    EXPECT_EQ(t.lookup(api::Side::access, net::Family::ipv4, bytes("192.0.2.1"), 20000).session, nullptr);
    // The worker may still hold the session: its slot stays taken.
    EXPECT_EQ(t.reclaim(), 0u);
    EXPECT_EQ(t.add(spec(2, 20002, 30002), 0).error, TableError::no_space);
    rte_rcu_qsbr_quiescent(t.qsbr(), 0);
    EXPECT_EQ(t.reclaim(), 1u);
    EXPECT_TRUE(t.add(spec(2, 20002, 30002), 0).ok());
    rte_rcu_qsbr_thread_offline(t.qsbr(), 0);
    rte_rcu_qsbr_thread_unregister(t.qsbr(), 0);
}

TEST(SessionTable, ModifyKeepsContextStateWhenKeysAreUnchangedAndRekeysOtherwise) {
    SessionTable t(config());
    ASSERT_TRUE(t.add(spec(1, 20000, 30000), 0).ok());
    const Session* before = t.find(1);
    auto from_ue = before->from_ue;
    auto to_ue = before->to_ue;
    auto shared = before->shared;

    auto m = spec(1, 20000, 30000);
    m.core.remote = ep("198.51.100.8:4002");
    ASSERT_TRUE(t.modify(m).ok());
    const Session* after = t.find(1);
    EXPECT_EQ(after->core_remote_rtp, ep("198.51.100.8:4002"));
    EXPECT_EQ(after->core_remote_rtcp, ep("198.51.100.8:4003"));
    EXPECT_EQ(after->from_ue, from_ue);
    EXPECT_EQ(after->to_ue, to_ue);
    EXPECT_EQ(after->shared, shared);

    m.to_ue = keys(9, srtp::Suite::aead_aes_128_gcm);
    ASSERT_TRUE(t.modify(m).ok());
    EXPECT_EQ(t.find(1)->from_ue, from_ue);
    EXPECT_NE(t.find(1)->to_ue, to_ue);
    EXPECT_EQ(t.find(1)->to_ue->info().suite, srtp::Suite::aead_aes_128_gcm);

    auto moved = m;
    moved.access.local.port = 20010;
    EXPECT_EQ(t.modify(moved).error, TableError::invalid_argument);
    EXPECT_EQ(t.modify(spec(99, 20000, 30000)).error, TableError::not_found);
}

TEST(SessionTable, StoredSpecHoldsNoKeysButAFingerprint) {
    SessionTable t(config());
    ASSERT_TRUE(t.add(spec(1, 20000, 30000), 0).ok());
    const Session* s = t.find(1);
    EXPECT_TRUE(s->spec.from_ue.master_key.empty());
    EXPECT_TRUE(s->spec.to_ue.master_salt.empty());
    EXPECT_EQ(s->from_ue_fingerprint, key_fingerprint(keys(1)));
    EXPECT_NE(s->from_ue_fingerprint, s->to_ue_fingerprint);
    auto info = t.info(1, 5'000'000);
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->spec.from_ue.master_key.empty());
    EXPECT_EQ(info->age_ms, 5u);
}

TEST(SessionTable, ListPagesInIdOrder) {
    SessionTable t(config());
    for (uint64_t id : {5, 3, 9, 1, 7})
        ASSERT_TRUE(t.add(spec(id, static_cast<uint16_t>(20000 + 2 * id), static_cast<uint16_t>(30000 + 2 * id)), 0).ok());
    auto page = t.list(0, 2, 0);
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].spec.id, 1u);
    EXPECT_EQ(page[1].spec.id, 3u);
    page = t.list(3, 10, 0);
    ASSERT_EQ(page.size(), 3u);
    EXPECT_EQ(page[2].spec.id, 9u);
    EXPECT_TRUE(t.list(9, 10, 0).empty());
}

// A gateway with a million sessions has dozens of addresses per side (each offers about 32,000
// RTP/RTCP port pairs): every one must find its own sessions, and no other address any.
TEST(SessionTable, EveryOneOfManySideAddressesFindsItsOwnSessions) {
    TableConfig c = config(200);
    c.access_addresses.clear();
    for (int i = 0; i < 50; ++i) {
        c.access_addresses.push_back(ip(("10.1." + std::to_string(i / 8) + "." + std::to_string(i % 8)).c_str()));
        c.access_addresses.push_back(ip(("2001:db8::" + std::to_string(i + 1)).c_str()));
    }
    SessionTable t(c);
    for (uint64_t i = 0; i < 100; ++i) {
        api::SessionSpec s = spec(i + 1, 20000, static_cast<uint16_t>(30000 + 2 * i));
        s.access.local.addr = c.access_addresses[i];
        ASSERT_TRUE(t.add(s, 0).ok()) << i;
    }
    for (uint64_t i = 0; i < 100; ++i) {
        const net::IpAddr& a = c.access_addresses[i];
        const auto hit = t.lookup(api::Side::access, a.family, a.bytes.data(), 20000);
        ASSERT_NE(hit.session, nullptr) << a.to_string();
        EXPECT_EQ(hit.session->id, i + 1);
        EXPECT_EQ(t.lookup(api::Side::access, a.family, a.bytes.data(), 20001).flow, access_rtcp);
        EXPECT_EQ(t.lookup(api::Side::access, a.family, a.bytes.data(), 20002).session, nullptr);
    }
    for (const char* other : {"10.1.6.2", "10.2.0.0", "2001:db8::51", "2001:db8::1:1", "192.0.2.1"})
        EXPECT_EQ(t.lookup(api::Side::access, ip(other).family, bytes(other), 20000).session, nullptr) << other;
    // The IPv4 address whose bytes begin an IPv6 one is still only IPv4.
    EXPECT_EQ(t.lookup(api::Side::access, net::Family::ipv6, bytes("::ffff:10.1.0.0"), 20000).session, nullptr);
}

TEST(LatchedEndpoint, StoresAndLoadsV4AndV6) {
    LatchedEndpoint l;
    EXPECT_TRUE(l.empty());
    l.store(ep("[2001:db8::42]:5004"));
    EXPECT_FALSE(l.empty());
    EXPECT_EQ(l.load(), ep("[2001:db8::42]:5004"));
    l.store(ep("192.0.2.77:6000"));
    EXPECT_EQ(l.load(), ep("192.0.2.77:6000"));
}

// Readers look sessions up and touch them while the control thread adds, modifies and removes;
// every session a reader sees must be alive and own the port it was found on.
TEST(SessionTable, ConcurrentReadersNeverSeeAFreedOrForeignSession) {
    SessionTable t(config(64));
    constexpr int kReaders = 2;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> hits{0}, wrong{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
        readers.emplace_back([&, r] {
            rte_rcu_qsbr_thread_register(t.qsbr(), r);
            rte_rcu_qsbr_thread_online(t.qsbr(), r);
            const net::IpAddr a = ip("192.0.2.1");
            uint16_t port = 20000;
            while (!stop.load(std::memory_order_relaxed)) {
                for (int i = 0; i < 32; ++i) {
                    port = static_cast<uint16_t>(20000 + (port + 2 - 20000) % 128);
                    auto hit = t.lookup(api::Side::access, net::Family::ipv4, a.bytes.data(), port);
                    if (!hit.session) continue;
                    hits.fetch_add(1, std::memory_order_relaxed);
                    if (hit.session->access_local_rtp.port != port) wrong.fetch_add(1);
                    hit.session->flow(hit.flow).packets_in.add();
                    if (hit.session->from_ue->info().key_len != 16) wrong.fetch_add(1);
                }
                rte_rcu_qsbr_quiescent(t.qsbr(), r);
            }
            rte_rcu_qsbr_thread_offline(t.qsbr(), r);
            rte_rcu_qsbr_thread_unregister(t.qsbr(), r);
        });
    }
    std::mt19937 rng(1);
    // On a loaded machine a reader may not run for a while: retired sessions then keep their
    // slots (no grace period ends) and adds fail with no_space. The writer yields when that
    // happens, and runs at least 1.5 s and until the readers have seen sessions (20 s at most),
    // so the test does not depend on how the threads were scheduled.
    const auto start = std::chrono::steady_clock::now();
    const auto min_end = start + std::chrono::milliseconds(1500);
    const auto max_end = start + std::chrono::seconds(20);
    uint64_t next_id = 1, ops = 0;
    for (auto now = start; now < max_end && (now < min_end || hits.load() < 1000);
         now = std::chrono::steady_clock::now()) {
        const uint16_t slot = static_cast<uint16_t>(rng() % 64);
        const uint16_t port = static_cast<uint16_t>(20000 + 2 * slot);
        auto hit = t.lookup(api::Side::access, net::Family::ipv4, bytes("192.0.2.1"), port);
        if (hit.session) {
            if (rng() % 2) {
                ASSERT_TRUE(t.remove(hit.session->id).ok());
            } else {
                auto m = spec(hit.session->id, port, static_cast<uint16_t>(30000 + 2 * slot));
                m.from_ue = keys(static_cast<uint8_t>(rng()));
                ASSERT_TRUE(t.modify(m).ok());
            }
        } else {
            auto r = t.add(spec(next_id++, port, static_cast<uint16_t>(30000 + 2 * slot)), 0);
            ASSERT_TRUE(r.ok() || r.error == TableError::no_space) << r.message;
            if (!r.ok()) std::this_thread::yield();
        }
        t.reclaim();
        ++ops;
    }
    stop = true;
    for (auto& th : readers) th.join();
    t.reclaim();
    EXPECT_EQ(wrong.load(), 0u);
    EXPECT_GT(hits.load(), 0u);
    EXPECT_GT(ops, 1000u);
    EXPECT_EQ(t.pending_reclaim(), 0u);
}

}  // namespace
}  // namespace msf::dp
