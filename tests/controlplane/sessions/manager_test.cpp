// SessionManager against a real msf-dataplane (started from this build tree on net_ring vdevs,
// without hugepages): installs, updates and removals with their rollbacks, restarts of the
// manager and of the dataplane, and reconciliation of what the store and the dataplane hold.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "controlplane/sessions/manager.hpp"
#include "tests/controlplane/sessions/sample_sessions.hpp"
#include "tests/controlplane/support/dataplane_process.hpp"

namespace msf::sessions {

void PrintTo(const Status& s, std::ostream* os) { *os << to_string(s); }

namespace {

using ::testing::HasSubstr;
using test_support::DataplaneProcess;
using namespace testing;
using namespace std::chrono_literals;

constexpr const char* kAccess4 = "192.0.2.10";
constexpr const char* kAccess6 = "2001:db8:a::10";
constexpr const char* kCore4 = "198.51.100.10";
constexpr const char* kCore4b = "198.51.100.11";  // a second core address
// The manager's ranges lie inside the dataplane's --port-min/--port-max (20000..29999).
constexpr uint16_t kPortMin = 20000, kPortMax = 20999;

// The options of the suite's msf-dataplane: net_ring vdevs (whose all-zero MACs the neighbour
// code refuses, hence the explicit ones), both families on the access side, two core addresses.
std::vector<std::string> dataplane_options() {
    return {"--access.port=net_ring0", "--core.port=net_ring1",
            "--access.mac=02:00:00:00:0a:01", "--core.mac=02:00:00:00:0c:01",
            std::string("--access.ipv4=") + kAccess4, std::string("--access.ipv6=") + kAccess6,
            std::string("--core.ipv4=") + kCore4, std::string("--core.ipv4=") + kCore4b,
            "--hugepages=false", "--memory-mb=256", "--mbufs=8191", "--telemetry=false",
            "--workers=1", "--max-sessions=4096", "--port-min=20000", "--port-max=29999"};
}

// One dataplane for the whole suite (start-up takes a second or two); tests that kill it start
// it again, and every test begins with it running and empty.
class ManagerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        suite_dir_ = new TempDir();
        dataplane_ = new DataplaneProcess(suite_dir_->path(), "sessions-test", dataplane_options());
    }
    static void TearDownTestSuite() {
        delete dataplane_;
        delete suite_dir_;
    }

    void SetUp() override {
        if (!dataplane_->running()) {
            const std::string error = dataplane_->start();
            ASSERT_EQ(error, "");
        }
        // Leftovers of an earlier test go.
        std::unique_ptr<api::ControlClient> client = inspect();
        api::Response<std::vector<api::SessionInfo>> all = client->list_all();
        ASSERT_TRUE(all.ok()) << api::to_string(all.status);
        for (const api::SessionInfo& info : all.value) ASSERT_TRUE(client->remove_session(info.spec.id).ok());
    }

    ManagerOptions options() const {
        ManagerOptions o;
        o.store = {dir.file("sessions.db"), dir.file("store.key")};
        o.dataplane_socket = dataplane_->socket();
        o.access_ports = {{ip(kAccess4), kPortMin, kPortMax}, {ip(kAccess6), kPortMin, kPortMax}};
        o.core_ports = {{ip(kCore4), kPortMin, kPortMax}};
        o.max_sessions = 1000;
        return o;
    }

    // A restored manager; connected and reconciled unless told otherwise.
    std::unique_ptr<SessionManager> open_manager(bool connect = true, ManagerOptions o = {}) {
        if (o.store.database_path.empty()) o = options();
        std::string error;
        std::unique_ptr<SessionManager> m = SessionManager::open(o, &error);
        EXPECT_NE(m, nullptr) << error;
        if (!m) return m;
        Outcome<RestoreReport> restored = m->restore();
        EXPECT_TRUE(restored.ok()) << to_string(restored.status);
        if (connect) {
            Outcome<ReconcileReport> r = m->connect_dataplane();
            EXPECT_TRUE(r.ok()) << to_string(r.status);
            EXPECT_TRUE(m->dataplane_connected());
        }
        return m;
    }

    // A client of our own, to look at and meddle with the dataplane behind the manager's back.
    static std::unique_ptr<api::ControlClient> inspect() {
        auto client = std::make_unique<api::ControlClient>(5000);
        const api::Result r = client->connect(dataplane_->socket());
        EXPECT_TRUE(r.ok()) << api::to_string(r);
        EXPECT_TRUE(client->hello("sessions-test").ok());
        return client;
    }

    static std::map<uint64_t, api::SessionInfo> dataplane_sessions() {
        api::Response<std::vector<api::SessionInfo>> all = inspect()->list_all();
        EXPECT_TRUE(all.ok()) << api::to_string(all.status);
        std::map<uint64_t, api::SessionInfo> out;
        for (api::SessionInfo& info : all.value) out.emplace(info.spec.id, std::move(info));
        return out;
    }

    static api::SessionSpec without_keys(api::SessionSpec spec) {
        api::wipe_keys(spec);
        return spec;
    }

    // The dataplane holds exactly the manager's streams, with the manager's specs.
    static void expect_dataplane_matches(const SessionManager& m) {
        const std::map<uint64_t, api::SessionInfo> there = dataplane_sessions();
        EXPECT_EQ(there.size(), m.stream_count());
        for (const ControlSession* s : m.list())
            for (const MediaStream& stream : s->streams) {
                const auto it = there.find(stream.spec.id);
                ASSERT_NE(it, there.end()) << "stream " << stream.spec.id << " of " << s->session_id << " missing";
                EXPECT_EQ(it->second.spec, without_keys(stream.spec));
            }
    }

    static size_t ports_in_use(const SessionManager& m) {
        return m.ports(api::Side::access).pairs_in_use() + m.ports(api::Side::core).pairs_in_use();
    }

    static TempDir* suite_dir_;
    static DataplaneProcess* dataplane_;
    TempDir dir;
};

TempDir* ManagerTest::suite_dir_ = nullptr;
DataplaneProcess* ManagerTest::dataplane_ = nullptr;

TEST_F(ManagerTest, InstallAssignsIdsAndEvenPortsAndInstallsEveryStream) {
    auto m = open_manager();
    Outcome<const ControlSession*> r = m->install(session("pcscf;1;a", 2));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    const ControlSession& s = *r.value;
    ASSERT_EQ(s.streams.size(), 2u);
    EXPECT_NE(s.streams[0].spec.id, 0u);
    EXPECT_NE(s.streams[0].spec.id, s.streams[1].spec.id);
    for (const MediaStream& stream : s.streams) {
        for (const net::Endpoint& local : {stream.spec.access.local, stream.spec.core.local}) {
            EXPECT_EQ(local.port % 2, 0);
            EXPECT_GE(local.port, kPortMin);
            EXPECT_LE(local.port, kPortMax);
        }
        EXPECT_EQ(stream.spec.access.local.addr, ip(kAccess4));  // no remote: the first address
        EXPECT_EQ(stream.spec.core.local.addr, ip(kCore4));
        EXPECT_EQ(m->find_by_dataplane_id(stream.spec.id), &s);
    }
    EXPECT_GT(s.created_unix_ms, 0);
    EXPECT_EQ(m->find("pcscf;1;a"), &s);
    EXPECT_EQ(m->size(), 1u);
    EXPECT_EQ(ports_in_use(*m), 4u);
    expect_dataplane_matches(*m);
    EXPECT_TRUE(m->commit().ok());
    api::Response<api::CountersReply> counters = m->dataplane_counters();
    ASSERT_TRUE(counters.ok());
    EXPECT_EQ(counters.value.session_count, 2u);
}

TEST_F(ManagerTest, InstallPicksTheAccessAddressOfTheNamedFamily) {
    auto m = open_manager();
    ControlSession s = session("pcscf;v6", 1);
    s.streams[0].spec.access.local.addr = ip("::");
    Outcome<const ControlSession*> r = m->install(s);
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.value->streams[0].spec.access.local.addr, ip(kAccess6));
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, InstallOfAnInstalledSessionIdIsRefused) {
    auto m = open_manager();
    ASSERT_TRUE(m->install(session("dup", 1)).ok());
    Outcome<const ControlSession*> r = m->install(session("dup", 1));
    EXPECT_EQ(r.status.kind, ErrorKind::already_exists);
    EXPECT_EQ(m->stream_count(), 1u);
    EXPECT_EQ(ports_in_use(*m), 2u);
}

TEST_F(ManagerTest, InvalidInstallsAreRefusedAndLeaveNothingBehind) {
    auto m = open_manager();
    ControlSession twice = session("twice", 2);
    twice.streams[1].component_number = 1;
    EXPECT_THAT(to_string(m->install(twice).status), HasSubstr("invalid: Media-Component-Number 1 appears twice"));
    EXPECT_THAT(to_string(m->install(session("none", 0)).status), HasSubstr("no media components"));
    ControlSession short_key = session("short-key", 2);
    short_key.streams[1].spec.to_ue.master_key.pop_back();
    EXPECT_THAT(to_string(m->install(short_key).status), HasSubstr("invalid: component 2: to_ue.master_key"));
    ControlSession no_v6_core = session("v6-core", 1, 1);
    no_v6_core.streams[0].spec.core.remote = endpoint("[2001:db8:c::20]:30000");
    EXPECT_THAT(to_string(m->install(no_v6_core).status), HasSubstr("no core address of family IPv6"));
    EXPECT_EQ(m->size(), 0u);
    EXPECT_EQ(ports_in_use(*m), 0u);
    EXPECT_TRUE(dataplane_sessions().empty());
    // Nothing reached the store either.
    ASSERT_TRUE(m->commit().ok());
    m.reset();
    EXPECT_EQ(open_manager(false)->size(), 0u);
}

TEST_F(ManagerTest, DataplaneRefusingTheSecondStreamRemovesTheFirst) {
    auto m = open_manager();
    ControlSession s = session("refused", 2);
    // Outside the manager's range, so passed through; outside the dataplane's too, so refused.
    s.streams[1].spec.access.local = endpoint("192.0.2.10:10000");
    Outcome<const ControlSession*> r = m->install(s);
    EXPECT_EQ(r.status.kind, ErrorKind::dataplane_refused);
    EXPECT_THAT(r.status.message, HasSubstr("component 2: invalid_argument"));
    EXPECT_THAT(r.status.message, HasSubstr("outside the media port range"));
    EXPECT_TRUE(dataplane_sessions().empty());
    EXPECT_EQ(m->find("refused"), nullptr);
    EXPECT_EQ(ports_in_use(*m), 0u);
    EXPECT_TRUE(m->dataplane_connected());
    ASSERT_TRUE(m->commit().ok());
    m.reset();
    EXPECT_EQ(open_manager(false)->size(), 0u);
}

TEST_F(ManagerTest, InstallBatchRefusesEachSessionOnItsOwnAndKeepsTheOthers) {
    auto m = open_manager();
    ASSERT_TRUE(m->install(session("dup", 1)).ok());
    std::vector<ControlSession> batch;
    batch.push_back(session("batch;ok;1", 2));
    batch.push_back(session("batch;refused", 2));
    // Outside the manager's range, so passed through; outside the dataplane's too, so refused.
    batch.back().streams[1].spec.access.local = endpoint("192.0.2.10:10000");
    batch.push_back(session("dup", 1));
    batch.push_back(session("batch;ok;1", 1));  // repeated within the batch
    batch.push_back(session("", 1));
    batch.push_back(session("batch;ok;2", 1));
    std::vector<Outcome<const ControlSession*>> r = m->install_batch(std::move(batch));
    ASSERT_EQ(r.size(), 6u);
    ASSERT_TRUE(r[0].ok()) << to_string(r[0].status);
    EXPECT_EQ(r[0].value->session_id, "batch;ok;1");
    EXPECT_EQ(r[0].value->streams.size(), 2u);
    EXPECT_EQ(r[1].status.kind, ErrorKind::dataplane_refused);
    EXPECT_THAT(r[1].status.message, HasSubstr("component 2: invalid_argument"));
    EXPECT_EQ(r[2].status.kind, ErrorKind::already_exists);
    EXPECT_EQ(r[3].status.kind, ErrorKind::already_exists);
    EXPECT_EQ(r[4].status.kind, ErrorKind::invalid);
    ASSERT_TRUE(r[5].ok()) << to_string(r[5].status);
    EXPECT_EQ(m->find("batch;ok;1"), r[0].value);
    EXPECT_EQ(m->find("batch;ok;2"), r[5].value);
    EXPECT_EQ(m->find("batch;refused"), nullptr);
    EXPECT_EQ(m->size(), 3u);
    EXPECT_EQ(ports_in_use(*m), 2u * 4u);  // 4 streams, a pair on each side
    EXPECT_TRUE(m->dataplane_connected());
    expect_dataplane_matches(*m);
    ASSERT_TRUE(m->commit().ok());
    m.reset();
    auto again = open_manager();
    EXPECT_EQ(again->size(), 3u);
    EXPECT_EQ(again->find("batch;refused"), nullptr);
    expect_dataplane_matches(*again);
}

TEST_F(ManagerTest, InstallBatchHonoursTheSessionMaximumAcrossTheBatch) {
    ManagerOptions o = options();
    o.max_sessions = 10;
    auto m = open_manager(true, o);
    std::vector<ControlSession> batch;
    for (int i = 0; i < 12; ++i) batch.push_back(session("max;" + std::to_string(i), 1));
    std::vector<Outcome<const ControlSession*>> r = m->install_batch(std::move(batch));
    ASSERT_EQ(r.size(), 12u);
    for (size_t i = 0; i < 10; ++i) EXPECT_TRUE(r[i].ok()) << i << ": " << to_string(r[i].status);
    EXPECT_EQ(r[10].status.kind, ErrorKind::too_many_sessions);
    EXPECT_EQ(r[11].status.kind, ErrorKind::too_many_sessions);
    EXPECT_EQ(m->size(), 10u);
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, InstallBatchLargerThanOnePipelineWindowInstallsEverything) {
    auto m = open_manager();
    std::vector<ControlSession> batch;
    // 1100 streams: more than api::ControlClient::kMaxPipelined in one exchange. The manager's
    // ranges hold 500 pairs, so the ports are named, outside them but inside the dataplane's.
    for (int i = 0; i < 550; ++i) {
        batch.push_back(session("many;" + std::to_string(i), 2));
        for (int k = 0; k < 2; ++k) {
            const auto port = static_cast<uint16_t>(21000 + 2 * (2 * i + k));
            batch.back().streams[static_cast<size_t>(k)].spec.access.local = endpoint((std::string(kAccess4) + ":" + std::to_string(port)).c_str());
            batch.back().streams[static_cast<size_t>(k)].spec.core.local = endpoint((std::string(kCore4) + ":" + std::to_string(port)).c_str());
        }
    }
    std::vector<Outcome<const ControlSession*>> r = m->install_batch(std::move(batch));
    ASSERT_EQ(r.size(), 550u);
    for (size_t i = 0; i < r.size(); ++i) ASSERT_TRUE(r[i].ok()) << i << ": " << to_string(r[i].status);
    EXPECT_EQ(m->stream_count(), 1100u);
    expect_dataplane_matches(*m);
    std::vector<std::string> ids;
    for (int i = 0; i < 550; ++i) ids.push_back("many;" + std::to_string(i));
    auto removed = m->remove_batch(ids);
    for (size_t i = 0; i < removed.size(); ++i) ASSERT_TRUE(removed[i].ok()) << i;
    EXPECT_TRUE(dataplane_sessions().empty());
    EXPECT_EQ(m->size(), 0u);
}

TEST_F(ManagerTest, InstallBatchWithoutTheDataplaneIsStoredAndInstalledByReconcile) {
    auto m = open_manager(false);
    std::vector<ControlSession> batch;
    batch.push_back(session("offline;1", 1));
    batch.push_back(session("offline;2", 2));
    std::vector<Outcome<const ControlSession*>> r = m->install_batch(std::move(batch));
    ASSERT_TRUE(r[0].ok() && r[1].ok());
    EXPECT_TRUE(dataplane_sessions().empty());
    ASSERT_TRUE(m->commit().ok());
    Outcome<ReconcileReport> reconciled = m->connect_dataplane();
    ASSERT_TRUE(reconciled.ok()) << to_string(reconciled.status);
    EXPECT_EQ(reconciled.value.added, 3u);
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, ReconcileNamesTheSessionsTheDataplaneRefusesAndOnlyThose) {
    // Stored while the dataplane was away, on core ports the dataplane does not serve
    // (its range is 20000..29999): reconcile cannot install it, and must say which session that is.
    ManagerOptions o = options();
    o.core_ports = {{ip(kCore4), 40000, 40099}};
    auto m = open_manager(false, o);
    std::vector<ControlSession> batch;
    batch.push_back(session("outside;1", 1));
    std::vector<Outcome<const ControlSession*>> r = m->install_batch(std::move(batch));
    ASSERT_TRUE(r[0].ok()) << to_string(r[0].status);
    ASSERT_TRUE(m->commit().ok());
    Outcome<ReconcileReport> reconciled = m->connect_dataplane();
    ASSERT_TRUE(reconciled.ok()) << to_string(reconciled.status);
    EXPECT_GE(reconciled.value.failed, 1u);
    EXPECT_EQ(reconciled.value.unrestorable_sessions, std::vector<std::string>{"outside;1"});
}

TEST_F(ManagerTest, ExhaustedPortRangeGivesNoPortsAndReleasesWhatTheInstallTook) {
    ManagerOptions o = options();
    o.core_ports = {{ip(kCore4), 20000, 20003}};  // two pairs
    auto m = open_manager(true, o);
    ASSERT_TRUE(m->install(session("a", 1)).ok());
    ASSERT_TRUE(m->install(session("b", 1)).ok());
    Outcome<const ControlSession*> r = m->install(session("c", 1));
    EXPECT_EQ(r.status.kind, ErrorKind::no_ports);
    EXPECT_THAT(r.status.message, HasSubstr("core media ports of 198.51.100.10 are exhausted (2 pairs)"));
    EXPECT_EQ(m->ports(api::Side::access).pairs_in_use(), 2u);
    ASSERT_TRUE(m->remove("a").ok());
    EXPECT_TRUE(m->install(session("c", 1)).ok());
}

TEST_F(ManagerTest, SessionsSpillOntoTheNextAddressWhenOneAddressHasNoPortsLeft) {
    ManagerOptions o = options();
    o.core_ports = {{ip(kCore4), 20000, 20003}, {ip(kCore4b), 20000, 20001}};  // two pairs, one pair
    auto m = open_manager(true, o);
    ASSERT_TRUE(m->install(session("a", 1)).ok());
    ASSERT_TRUE(m->install(session("b", 1)).ok());
    Outcome<const ControlSession*> c = m->install(session("c", 1));
    ASSERT_TRUE(c.ok()) << to_string(c.status);
    EXPECT_EQ(c.value->streams[0].spec.core.local.addr, ip(kCore4b));
    expect_dataplane_matches(*m);
    EXPECT_EQ(m->install(session("d", 1)).status.kind, ErrorKind::no_ports);
}

TEST_F(ManagerTest, MoreSessionsThanTheMaximumAreRefused) {
    ManagerOptions o = options();
    o.max_sessions = 2;
    auto m = open_manager(true, o);
    ASSERT_TRUE(m->install(session("a", 1)).ok());
    ASSERT_TRUE(m->install(session("b", 1)).ok());
    EXPECT_EQ(m->install(session("c", 1)).status.kind, ErrorKind::too_many_sessions);
    EXPECT_EQ(m->stream_count(), 2u);
}

TEST_F(ManagerTest, UpdateModifiesChangedStreamsInPlaceAndLeavesTheOthersAlone) {
    auto m = open_manager();
    const ControlSession installed = *m->install(session("upd", 2)).value;
    ControlSession desired = session("upd", 2);  // ports 0: keep
    desired.streams[1].spec.core.remote = endpoint("198.51.100.30:31000");
    desired.streams[1].spec.to_ue = keys(99, 2);
    Outcome<const ControlSession*> r = m->update(desired);
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    const ControlSession& now = *r.value;
    EXPECT_EQ(now.streams[0], installed.streams[0]);
    EXPECT_EQ(now.streams[1].spec.id, installed.streams[1].spec.id);
    EXPECT_EQ(now.streams[1].spec.access.local, installed.streams[1].spec.access.local);
    EXPECT_EQ(now.streams[1].spec.core.local, installed.streams[1].spec.core.local);
    EXPECT_EQ(now.streams[1].spec.to_ue.master_key, keys(99, 2).master_key);
    EXPECT_EQ(now.created_unix_ms, installed.created_unix_ms);
    EXPECT_EQ(m->keys_unconfirmed_count(), 0u);
    EXPECT_EQ(ports_in_use(*m), 4u);
    expect_dataplane_matches(*m);
    EXPECT_EQ(dataplane_sessions().at(now.streams[1].spec.id).spec.core.remote, endpoint("198.51.100.30:31000"));
}

TEST_F(ManagerTest, UpdateAddsNewComponentsAndRemovesMissingOnes) {
    auto m = open_manager();
    const ControlSession installed = *m->install(session("grow", 2)).value;
    ControlSession desired = session("grow", 0);
    desired.streams = {stream(1, 10), stream(3, 30)};
    Outcome<const ControlSession*> r = m->update(desired);
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    ASSERT_EQ(r.value->streams.size(), 2u);
    EXPECT_EQ(r.value->streams[0].spec.id, installed.streams[0].spec.id);
    EXPECT_EQ(r.value->streams[1].component_number, 3u);
    EXPECT_NE(r.value->streams[1].spec.id, installed.streams[1].spec.id);
    EXPECT_EQ(m->find_by_dataplane_id(installed.streams[1].spec.id), nullptr);
    EXPECT_FALSE(m->ports(api::Side::access).in_use(ip(kAccess4), installed.streams[1].spec.access.local.port));
    EXPECT_EQ(ports_in_use(*m), 4u);
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, UpdateChangingRtcpMuxReplacesTheStreamOnItsPorts) {
    auto m = open_manager();
    const ControlSession installed = *m->install(session("mux", 1)).value;
    ControlSession desired = session("mux", 1);
    desired.streams[0].spec.access.rtcp_mux = true;
    Outcome<const ControlSession*> r = m->update(desired);
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.value->streams[0].spec.access.local, installed.streams[0].spec.access.local);
    EXPECT_TRUE(dataplane_sessions().at(installed.streams[0].spec.id).spec.access.rtcp_mux);
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, UpdateRefusedMidwayPutsThePreviousStateBack) {
    auto m = open_manager();
    const ControlSession installed = *m->install(session("rollback", 1)).value;
    ControlSession desired = session("rollback", 0);
    desired.streams = {stream(1, 10, "198.51.100.40:32000"), stream(2, 20)};
    desired.streams[0].spec.to_ue = keys(77, 2);  // re-key: committed as unconfirmed first
    desired.streams[1].spec.access.local = endpoint("192.0.2.10:10000");  // the dataplane refuses it
    Outcome<const ControlSession*> r = m->update(desired);
    EXPECT_EQ(r.status.kind, ErrorKind::dataplane_refused);
    EXPECT_THAT(r.status.message, HasSubstr("component 2"));
    EXPECT_EQ(*m->find("rollback"), installed);
    EXPECT_EQ(ports_in_use(*m), 2u);
    expect_dataplane_matches(*m);  // component 1 has its old core remote again
    EXPECT_TRUE(m->dataplane_connected());
    // The modify was undone with the old keys, but the store cannot know which keys won: the
    // session stays marked until a reconcile re-sends them.
    EXPECT_EQ(m->keys_unconfirmed_count(), 1u);
    Outcome<ReconcileReport> rec = m->reconcile();
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec.value.modified, 1u);
    EXPECT_EQ(m->keys_unconfirmed_count(), 0u);
}

TEST_F(ManagerTest, UpdateAndRemoveOfAnUnknownSessionAreNotFound) {
    auto m = open_manager();
    EXPECT_EQ(m->update(session("ghost", 1)).status.kind, ErrorKind::not_found);
    EXPECT_EQ(m->remove("ghost").status.kind, ErrorKind::not_found);
}

TEST_F(ManagerTest, RemoveReturnsCountersPerStreamAndFreesEverything) {
    auto m = open_manager();
    ASSERT_TRUE(m->install(session("bye", 2)).ok());
    ASSERT_TRUE(m->install(session("stay", 1)).ok());
    Outcome<std::vector<StreamCounters>> r = m->remove("bye");
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    ASSERT_EQ(r.value.size(), 2u);
    EXPECT_EQ(r.value[0].component_number, 1u);
    EXPECT_EQ(r.value[1].component_number, 2u);
    EXPECT_EQ(r.value[0].access.packets_in, 0u);  // no media ran
    EXPECT_EQ(m->find("bye"), nullptr);
    EXPECT_EQ(m->size(), 1u);
    EXPECT_EQ(ports_in_use(*m), 2u);
    expect_dataplane_matches(*m);
    ASSERT_TRUE(m->commit().ok());
    m.reset();
    auto again = open_manager();
    EXPECT_EQ(again->size(), 1u);
    EXPECT_NE(again->find("stay"), nullptr);
}

TEST_F(ManagerTest, RemoveBatchAnswersEachIdInOrderWithItsCountersAndFreesEverything) {
    auto m = open_manager();
    ASSERT_TRUE(m->install(session("a", 2)).ok());
    ASSERT_TRUE(m->install(session("b", 1)).ok());
    ASSERT_TRUE(m->install(session("c", 1)).ok());
    const std::vector<std::string> ids = {"a", "unknown", "c", "a"};
    std::vector<Outcome<std::vector<StreamCounters>>> r = m->remove_batch(ids);
    ASSERT_EQ(r.size(), 4u);
    ASSERT_TRUE(r[0].ok()) << to_string(r[0].status);
    ASSERT_EQ(r[0].value.size(), 2u);
    EXPECT_EQ(r[0].value[0].component_number, 1u);
    EXPECT_EQ(r[0].value[1].component_number, 2u);
    EXPECT_EQ(r[1].status.kind, ErrorKind::not_found);
    ASSERT_TRUE(r[2].ok()) << to_string(r[2].status);
    EXPECT_EQ(r[2].value.size(), 1u);
    EXPECT_EQ(r[3].status.kind, ErrorKind::not_found);  // removed by the first "a"
    EXPECT_EQ(m->size(), 1u);
    EXPECT_NE(m->find("b"), nullptr);
    EXPECT_EQ(ports_in_use(*m), 2u);
    expect_dataplane_matches(*m);
    ASSERT_TRUE(m->commit().ok());
    m.reset();
    auto again = open_manager();
    EXPECT_EQ(again->size(), 1u);
    EXPECT_NE(again->find("b"), nullptr);
}

TEST_F(ManagerTest, RemoveBatchOfAStreamRemovedBehindTheManagersBackStillSucceeds) {
    auto m = open_manager();
    Outcome<const ControlSession*> installed = m->install(session("gone", 2));
    ASSERT_TRUE(installed.ok());
    ASSERT_TRUE(inspect()->remove_session(installed.value->streams[0].spec.id).ok());
    const std::vector<std::string> ids = {"gone"};
    auto r = m->remove_batch(ids);
    ASSERT_TRUE(r[0].ok()) << to_string(r[0].status);
    EXPECT_EQ(r[0].value.size(), 2u);
    EXPECT_TRUE(m->dataplane_connected());
    EXPECT_TRUE(dataplane_sessions().empty());
}

TEST_F(ManagerTest, RestartedManagerRestoresEverythingAndReconcileChangesNothing) {
    std::map<std::string, ControlSession> before;
    {
        auto m = open_manager();
        for (int i = 0; i < 5; ++i) {
            Outcome<const ControlSession*> r = m->install(session(numbered("keep;", i), 2, i + 1));
            ASSERT_TRUE(r.ok());
            before.emplace(r.value->session_id, *r.value);
        }
        ASSERT_TRUE(m->commit().ok());
    }
    std::this_thread::sleep_for(300ms);
    std::string error;
    auto m = SessionManager::open(options(), &error);
    ASSERT_NE(m, nullptr) << error;
    Outcome<RestoreReport> restored = m->restore();
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(restored.value.sessions, 5u);
    EXPECT_EQ(restored.value.streams, 10u);
    EXPECT_TRUE(restored.value.dropped.empty());
    EXPECT_EQ(ports_in_use(*m), 20u);
    Outcome<ReconcileReport> rec = m->connect_dataplane();
    ASSERT_TRUE(rec.ok()) << to_string(rec.status);
    EXPECT_EQ(rec.value.added, 0u);
    EXPECT_EQ(rec.value.removed, 0u);
    EXPECT_EQ(rec.value.modified, 0u);
    EXPECT_EQ(rec.value.unchanged, 10u);
    for (const auto& [id, s] : before) EXPECT_EQ(*m->find(id), s);  // keys included
    // Not re-added: the streams are as old as the first manager made them.
    for (const auto& [id, info] : dataplane_sessions()) EXPECT_GE(info.age_ms, 300u) << "stream " << id;
    // New ids never repeat the old ones.
    Outcome<const ControlSession*> r = m->install(session("new", 1));
    ASSERT_TRUE(r.ok());
    for (const auto& [id, s] : before)
        for (const MediaStream& old : s.streams) EXPECT_NE(r.value->streams[0].spec.id, old.spec.id);
}

TEST_F(ManagerTest, InstallThatWasNeverCommittedIsRemovedFromTheDataplaneAfterRestart) {
    {
        auto m = open_manager();
        ASSERT_TRUE(m->install(session("committed", 1)).ok());
        ASSERT_TRUE(m->commit().ok());
        ASSERT_TRUE(m->install(session("crashed-before-commit", 2)).ok());
        EXPECT_EQ(dataplane_sessions().size(), 3u);
    }  // closed without commit, as a crash would
    auto m = open_manager(false);
    EXPECT_EQ(m->size(), 1u);
    Outcome<ReconcileReport> rec = m->connect_dataplane();
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec.value.removed, 2u);
    EXPECT_EQ(rec.value.unchanged, 1u);
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, KilledDataplaneIsRepopulatedWhenTheLinkComesBack) {
    auto m = open_manager();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(m->install(session(numbered("s", i), 2, i + 1)).ok());
    ASSERT_TRUE(m->commit().ok());
    dataplane_->stop(SIGKILL);
    // Requests while the dataplane is away still succeed: the store has them.
    Outcome<const ControlSession*> during = m->install(session("during-outage", 1));
    ASSERT_TRUE(during.ok()) << to_string(during.status);
    EXPECT_FALSE(m->dataplane_connected());
    EXPECT_EQ(m->connect_dataplane().status.kind, ErrorKind::dataplane_unavailable);
    ASSERT_EQ(dataplane_->start(), "");
    Outcome<ReconcileReport> rec = m->connect_dataplane();
    ASSERT_TRUE(rec.ok()) << to_string(rec.status);
    EXPECT_EQ(rec.value.added, 7u);
    EXPECT_EQ(rec.value.removed, 0u);
    EXPECT_TRUE(m->dataplane_connected());
    expect_dataplane_matches(*m);
    // A connected manager with a live link only pings.
    Outcome<ReconcileReport> again = m->connect_dataplane();
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value.unchanged, 0u);
    EXPECT_EQ(again.value.added, 0u);
}

TEST_F(ManagerTest, SessionAddedBehindTheManagersBackIsRemoved) {
    auto m = open_manager();
    ASSERT_TRUE(m->install(session("ours", 1)).ok());
    api::SessionSpec foreign = stream(1, 5).spec;
    foreign.id = 999'999;
    foreign.access.local = endpoint("192.0.2.10:25000");
    foreign.core.local = endpoint("198.51.100.10:25000");
    const api::Result added = inspect()->add_session(foreign);
    ASSERT_TRUE(added.ok()) << api::to_string(added);
    Outcome<ReconcileReport> rec = m->reconcile();
    ASSERT_TRUE(rec.ok()) << to_string(rec.status);
    EXPECT_EQ(rec.value.removed, 1u);
    EXPECT_EQ(rec.value.unchanged, 1u);
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, SpecChangedBehindTheManagersBackIsPutBack) {
    auto m = open_manager();
    const ControlSession s = *m->install(session("drift", 2)).value;
    api::SessionSpec drifted = s.streams[0].spec;
    drifted.core.remote = endpoint("198.51.100.99:40000");
    ASSERT_TRUE(inspect()->modify_session(drifted).ok());
    ASSERT_TRUE(inspect()->remove_session(s.streams[1].spec.id).ok());
    Outcome<ReconcileReport> rec = m->reconcile();
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec.value.modified, 1u);
    EXPECT_EQ(rec.value.added, 1u);
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, KeyChangeMadeWhileDisconnectedIsResentOnceAndThenConfirmed) {
    {
        auto m = open_manager();
        ASSERT_TRUE(m->install(session("rekey", 2)).ok());
        ASSERT_TRUE(m->install(session("other", 1)).ok());
        ASSERT_TRUE(m->commit().ok());
    }
    {
        auto m = open_manager(false);
        ControlSession desired = session("rekey", 2);
        desired.streams[0].spec.from_ue = keys(4242, 1);  // only keys: the dataplane's spec looks the same
        ASSERT_TRUE(m->update(desired).ok());
        EXPECT_EQ(m->keys_unconfirmed_count(), 1u);
        ASSERT_TRUE(m->commit().ok());
    }
    {
        auto m = open_manager(false);
        EXPECT_EQ(m->keys_unconfirmed_count(), 1u);  // the mark survives a restart
        Outcome<ReconcileReport> rec = m->connect_dataplane();
        ASSERT_TRUE(rec.ok());
        EXPECT_EQ(rec.value.modified, 2u);  // both streams of the marked session, nothing else
        EXPECT_EQ(rec.value.unchanged, 1u);
        EXPECT_EQ(m->keys_unconfirmed_count(), 0u);
    }
    auto m = open_manager(false);
    EXPECT_EQ(m->keys_unconfirmed_count(), 0u);
    Outcome<ReconcileReport> rec = m->connect_dataplane();
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec.value.modified, 0u);
    EXPECT_EQ(m->find("rekey")->streams[0].spec.from_ue.master_key, keys(4242, 1).master_key);
}

TEST_F(ManagerTest, ReconcileAndRequestsBeforeRestoreAreRefused) {
    std::string error;
    auto m = SessionManager::open(options(), &error);
    ASSERT_NE(m, nullptr) << error;
    EXPECT_EQ(m->install(session("early", 1)).status.kind, ErrorKind::invalid);
    Outcome<ReconcileReport> rec = m->connect_dataplane();
    EXPECT_EQ(rec.status.kind, ErrorKind::invalid);
    EXPECT_THAT(rec.status.message, HasSubstr("before restore()"));
}

TEST_F(ManagerTest, RestoreDropsStoredSessionsWhosePortsCollide) {
    {
        std::string error;
        std::unique_ptr<Store> store = Store::open(options().store, &error);
        ASSERT_NE(store, nullptr) << error;
        ASSERT_TRUE(store->put(stored_session("a-first", 1, 1)).ok());
        ControlSession clash = stored_session("b-clash", 2, 1);
        clash.streams[0].spec.access.local = stored_session("a-first", 1, 1).streams[0].spec.access.local;
        ASSERT_TRUE(store->put(clash).ok());
        ASSERT_TRUE(store->commit().ok());
    }
    std::string error;
    auto m = SessionManager::open(options(), &error);
    ASSERT_NE(m, nullptr) << error;
    Outcome<RestoreReport> restored = m->restore();
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(restored.value.sessions, 1u);
    ASSERT_EQ(restored.value.dropped.size(), 1u);
    EXPECT_THAT(restored.value.dropped[0], HasSubstr("session 'b-clash': access port 192.0.2.10:20002 is used twice"));
    EXPECT_EQ(ports_in_use(*m), 2u);
}

TEST_F(ManagerTest, BadOptionsAndBadStoresStopStartUpWithAClearError) {
    std::string error;
    ManagerOptions o = options();
    o.core_ports.clear();
    EXPECT_EQ(SessionManager::open(o, &error), nullptr);
    EXPECT_THAT(error, HasSubstr("no core media port range"));
    o = options();
    o.access_ports.push_back(o.access_ports[0]);
    EXPECT_EQ(SessionManager::open(o, &error), nullptr);
    EXPECT_THAT(error, HasSubstr("access: address 192.0.2.10 has two media port ranges"));
    o = options();
    { std::ofstream(o.store.database_path) << std::string(4096, 'z'); }
    EXPECT_EQ(SessionManager::open(o, &error), nullptr);
    EXPECT_THAT(error, HasSubstr("not a database"));
}

// ---- An install batch left in flight (start_install_batch / finish_install_batch) ----

TEST_F(ManagerTest, BatchStartedNowAndFinishedLaterInstallsWhatInstallBatchWould) {
    auto m = open_manager();
    ASSERT_TRUE(m->install(session("dup", 1)).ok());
    std::vector<ControlSession> batch;
    batch.push_back(session("later;ok;1", 2));
    batch.push_back(session("later;refused", 2));
    // Outside the manager's range, so passed through; outside the dataplane's too, so refused.
    batch.back().streams[1].spec.access.local = endpoint("192.0.2.10:10000");
    batch.push_back(session("dup", 1));
    batch.push_back(session("later;ok;2", 1, 3));
    ASSERT_TRUE(m->start_install_batch(std::move(batch)).ok());
    EXPECT_TRUE(m->install_in_flight());
    EXPECT_GE(m->dataplane_fd(), 0);
    // In flight: in the dataplane already, not yet in the manager's memory.
    EXPECT_EQ(m->find("later;ok;1"), nullptr);
    EXPECT_EQ(m->size(), 1u);
    // dup's stream, later;ok;1's two, later;ok;2's one and later;refused's first (undone later).
    for (int i = 0; i < 500 && dataplane_sessions().size() < 5u; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(dataplane_sessions().size(), 5u);
    // A second batch waits for the first.
    EXPECT_EQ(m->start_install_batch({session("second", 1)}).kind, ErrorKind::invalid);
    for (int i = 0; i < 500 && !m->install_answered(); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(m->install_answered());

    std::vector<Outcome<const ControlSession*>> r = m->finish_install_batch();
    EXPECT_FALSE(m->install_in_flight());
    ASSERT_EQ(r.size(), 4u);
    ASSERT_TRUE(r[0].ok()) << to_string(r[0].status);
    EXPECT_EQ(r[0].value, m->find("later;ok;1"));
    EXPECT_EQ(r[1].status.kind, ErrorKind::dataplane_refused);
    EXPECT_THAT(r[1].status.message, HasSubstr("component 2: invalid_argument"));
    EXPECT_EQ(r[2].status.kind, ErrorKind::already_exists);
    ASSERT_TRUE(r[3].ok()) << to_string(r[3].status);
    EXPECT_EQ(r[3].value, m->find("later;ok;2"));
    EXPECT_EQ(m->find("later;refused"), nullptr);
    EXPECT_EQ(m->size(), 3u);
    EXPECT_EQ(ports_in_use(*m), 2u * 4u);
    EXPECT_TRUE(m->dataplane_connected());
    expect_dataplane_matches(*m);
    EXPECT_TRUE(m->finish_install_batch().empty());  // nothing in flight
    ASSERT_TRUE(m->commit().ok());
    m.reset();
    auto again = open_manager();
    EXPECT_EQ(again->size(), 3u);
    expect_dataplane_matches(*again);
}

TEST_F(ManagerTest, LinkLostBetweenStartAndFinishKeepsTheSessionsForReconcile) {
    auto m = open_manager();
    dataplane_->signal(SIGSTOP);  // takes the batch into its socket and answers nothing
    std::vector<ControlSession> batch;
    batch.push_back(session("lost;1", 1));
    batch.push_back(session("lost;2", 2, 2));
    ASSERT_TRUE(m->start_install_batch(std::move(batch)).ok());
    EXPECT_FALSE(m->install_answered());
    dataplane_->stop(SIGKILL);
    std::vector<Outcome<const ControlSession*>> r = m->finish_install_batch();
    ASSERT_EQ(r.size(), 2u);
    // As a link lost during install_batch's exchange: stored, answered, installed by reconcile.
    for (const auto& outcome : r) EXPECT_TRUE(outcome.ok()) << to_string(outcome.status);
    EXPECT_FALSE(m->dataplane_connected());
    EXPECT_THAT(m->dataplane_error(), HasSubstr("unavailable"));
    EXPECT_EQ(m->size(), 2u);
    ASSERT_TRUE(m->commit().ok());
    ASSERT_EQ(dataplane_->start(), "");
    Outcome<ReconcileReport> rec = m->connect_dataplane();
    ASSERT_TRUE(rec.ok()) << to_string(rec.status);
    EXPECT_EQ(rec.value.added, 3u);
    expect_dataplane_matches(*m);
}

TEST_F(ManagerTest, RequestsWhileABatchIsInFlightFinishItFirst) {
    auto m = open_manager();
    std::vector<ControlSession> batch;
    batch.push_back(session("first;kept", 1));
    batch.push_back(session("first;updated", 1, 2));
    batch.push_back(session("first;removed", 1, 3));
    ASSERT_TRUE(m->start_install_batch(std::move(batch)).ok());
    // An update of a session in flight finds it installed.
    ControlSession desired = session("first;updated", 2, 4);
    Outcome<const ControlSession*> updated = m->update(desired);
    ASSERT_TRUE(updated.ok()) << to_string(updated.status);
    EXPECT_EQ(updated.value->streams.size(), 2u);
    EXPECT_TRUE(m->remove("first;removed").ok());
    // The batch's outcomes still come from finish_install_batch, for what is left of it.
    EXPECT_TRUE(m->install_in_flight());
    EXPECT_TRUE(m->install_answered());
    std::vector<Outcome<const ControlSession*>> r = m->finish_install_batch();
    ASSERT_EQ(r.size(), 3u);
    ASSERT_TRUE(r[0].ok());
    EXPECT_EQ(r[0].value, m->find("first;kept"));
    ASSERT_TRUE(r[1].ok());
    EXPECT_EQ(r[1].value, m->find("first;updated"));
    EXPECT_EQ(r[1].value->streams.size(), 2u);
    EXPECT_EQ(r[2].status.kind, ErrorKind::not_found);
    EXPECT_THAT(r[2].status.message, HasSubstr("removed before its install was answered"));
    EXPECT_EQ(m->size(), 2u);
    expect_dataplane_matches(*m);
}

}  // namespace
}  // namespace msf::sessions
