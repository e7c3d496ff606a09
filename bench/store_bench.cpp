// The session store's write path, the part of an install that msf-controld pays on its event
// loop besides the dataplane round trip. The target is 50,000 installs per second on one core,
// with group commit: the daemon commits once per event-loop iteration, so the batch argument is
// the number of requests that share one commit (1: a quiet daemon, 256: a burst).
//
//   store/put/<batch>          put of a two-stream session (two sealed records), replacing one of
//                              100,000 Session-Ids in turn, then commit
//   store/churn/<batch>        put of a new session and removal of the oldest of 100,000 live ones
//   manager/install/<batch>    SessionManager::install (ids, ports, validation, store) without a
//                              dataplane link, then commit; removals keep 10,000 sessions live
//
// items_per_second is sessions per second of CPU time. The store lives in $MSF_BENCH_DIR, else
// the temporary directory: a real disk, since WAL checkpoints fsync.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "controlplane/sessions/manager.hpp"
#include "controlplane/sessions/store.hpp"

namespace {

using namespace msf;
using namespace msf::sessions;

constexpr size_t kKeyspace = 100'000;
constexpr size_t kLiveSessions = 10'000;

class BenchDir {
public:
    BenchDir() {
        const char* base = std::getenv("MSF_BENCH_DIR");
        const std::filesystem::path dir = base ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
        std::string pattern = (dir / "msf-store-bench-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp " + pattern + " failed");
        path_ = pattern;
    }
    ~BenchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    StoreOptions store_options() const { return {(path_ / "sessions.db").string(), (path_ / "store.key").string()}; }

private:
    std::filesystem::path path_;
};

api::KeySpec keys(uint8_t seed, srtp::Suite suite) {
    api::KeySpec k;
    k.suite = suite;
    k.master_key.assign(srtp::suite_info(suite).key_len, seed);
    k.master_salt.assign(srtp::suite_info(suite).salt_len, static_cast<uint8_t>(seed + 1));
    return k;
}

// An audio and a video component, as an Rx AAR for a video call carries them.
ControlSession call(size_t n) {
    ControlSession s;
    s.session_id = "pcscf1.ims.example.org;1700000000;" + std::to_string(n);
    s.peer = "pcscf1.ims.example.org";
    s.realm = "ims.example.org";
    for (uint32_t c = 1; c <= 2; ++c) {
        MediaStream m;
        m.component_number = c;
        m.media_type = c == 1 ? "audio" : "video";
        m.spec.core.remote = *net::Endpoint::parse("198.51.100.20:30000");
        m.spec.from_ue = keys(static_cast<uint8_t>(n), srtp::Suite::aes_cm_128_hmac_sha1_80);
        m.spec.to_ue = keys(static_cast<uint8_t>(n + 7), srtp::Suite::aes_cm_128_hmac_sha1_80);
        s.streams.push_back(std::move(m));
    }
    return s;
}

ControlSession stored_call(size_t n) {
    ControlSession s = call(n);
    for (size_t i = 0; i < s.streams.size(); ++i) {
        s.streams[i].spec.id = 2 * n + i + 1;
        s.streams[i].spec.access.local = {*net::IpAddr::parse("192.0.2.10"), static_cast<uint16_t>(20000 + 2 * i)};
        s.streams[i].spec.core.local = {*net::IpAddr::parse("198.51.100.10"), static_cast<uint16_t>(20000 + 2 * i)};
    }
    return s;
}

std::unique_ptr<Store> open_store(const BenchDir& dir, benchmark::State& state) {
    std::string error;
    std::unique_ptr<Store> store = Store::open(dir.store_options(), &error);
    if (!store) state.SkipWithError(error.c_str());
    return store;
}

void check(benchmark::State& state, const StoreStatus& s) {
    if (!s.ok()) state.SkipWithError(s.error.c_str());
}

void BM_StorePut(benchmark::State& state) {
    const size_t batch = static_cast<size_t>(state.range(0));
    BenchDir dir;
    std::unique_ptr<Store> store = open_store(dir, state);
    if (!store) return;
    // Sessions prepared up front: the bench measures the store, not building test data.
    std::vector<ControlSession> sessions;
    for (size_t i = 0; i < 4096; ++i) sessions.push_back(stored_call(i));
    size_t n = 0;
    for (auto _ : state) {
        for (size_t i = 0; i < batch; ++i, ++n) {
            ControlSession& s = sessions[n % sessions.size()];
            s.session_id = "pcscf1.ims.example.org;1700000000;" + std::to_string(n % kKeyspace);
            check(state, store->put(s));
        }
        check(state, store->commit());
    }
    state.SetItemsProcessed(static_cast<int64_t>(n));
}

void BM_StoreChurn(benchmark::State& state) {
    const size_t batch = static_cast<size_t>(state.range(0));
    BenchDir dir;
    std::unique_ptr<Store> store = open_store(dir, state);
    if (!store) return;
    std::vector<ControlSession> sessions;
    for (size_t i = 0; i < 4096; ++i) sessions.push_back(stored_call(i));
    std::deque<std::string> live;
    size_t n = 0;
    // Fill to the steady state first.
    for (; n < kKeyspace; ++n) {
        ControlSession& s = sessions[n % sessions.size()];
        s.session_id = "pcscf1.ims.example.org;1700000000;" + std::to_string(n);
        check(state, store->put(s));
        live.push_back(s.session_id);
    }
    check(state, store->commit());
    size_t puts = 0;
    for (auto _ : state) {
        for (size_t i = 0; i < batch; ++i, ++n, ++puts) {
            ControlSession& s = sessions[n % sessions.size()];
            s.session_id = "pcscf1.ims.example.org;1700000000;" + std::to_string(n);
            check(state, store->put(s));
            live.push_back(s.session_id);
            check(state, store->remove(live.front()));
            live.pop_front();
        }
        check(state, store->commit());
    }
    state.SetItemsProcessed(static_cast<int64_t>(puts));
}

void BM_ManagerInstall(benchmark::State& state) {
    const size_t batch = static_cast<size_t>(state.range(0));
    BenchDir dir;
    ManagerOptions options;
    options.store = dir.store_options();
    options.dataplane_socket = "/nonexistent/msf-store-bench.sock";  // never connected
    options.access_ports = {{*net::IpAddr::parse("192.0.2.10"), 16384, 65535}};
    options.core_ports = {{*net::IpAddr::parse("198.51.100.10"), 16384, 65535}};
    options.max_sessions = 1'000'000;
    std::string error;
    std::unique_ptr<SessionManager> manager = SessionManager::open(options, &error);
    if (!manager || !manager->restore().ok()) {
        state.SkipWithError(error.empty() ? "restore failed" : error.c_str());
        return;
    }
    std::vector<ControlSession> sessions;
    for (size_t i = 0; i < 4096; ++i) sessions.push_back(call(i));
    std::deque<std::string> live;
    size_t n = 0;
    for (auto _ : state) {
        for (size_t i = 0; i < batch; ++i, ++n) {
            ControlSession s = sessions[n % sessions.size()];
            s.session_id = "pcscf1.ims.example.org;1700000000;" + std::to_string(n);
            Outcome<const ControlSession*> r = manager->install(std::move(s));
            if (!r.ok()) {
                state.SkipWithError(to_string(r.status).c_str());
                return;
            }
            live.push_back(r.value->session_id);
            if (live.size() > kLiveSessions) {
                manager->remove(live.front());
                live.pop_front();
            }
        }
        if (!manager->commit().ok()) state.SkipWithError("commit failed");
    }
    state.SetItemsProcessed(static_cast<int64_t>(n));
}

BENCHMARK(BM_StorePut)->Name("store/put")->Arg(1)->Arg(16)->Arg(256);
BENCHMARK(BM_StoreChurn)->Name("store/churn")->Arg(1)->Arg(16)->Arg(256);
BENCHMARK(BM_ManagerInstall)->Name("manager/install")->Arg(1)->Arg(16)->Arg(256);

}  // namespace

BENCHMARK_MAIN();
