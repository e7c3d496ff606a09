#include "dataplane/gateway/gateway.hpp"

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "dataplane/gateway/memif_quiesce.hpp"
#include "drivers/eal.hpp"

namespace msf::dp {

namespace {

uint64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

api::ResultCode code_of(TableError e) {
    switch (e) {
        case TableError::none: return api::ResultCode::ok;
        case TableError::already_exists: return api::ResultCode::already_exists;
        case TableError::not_found: return api::ResultCode::not_found;
        case TableError::invalid_argument: return api::ResultCode::invalid_argument;
        case TableError::no_space: return api::ResultCode::no_space;
    }
    return api::ResultCode::internal;
}

api::Result result_of(const TableResult& r) {
    if (r.ok()) return api::Result::success();
    return api::Result::failure(code_of(r.error), r.message);
}

std::vector<net::IpAddr> addresses_of(const config::SideConfig& side) {
    std::vector<net::IpAddr> all = side.ipv4;
    all.insert(all.end(), side.ipv6.begin(), side.ipv6.end());
    return all;
}

[[noreturn]] void fail(const std::string& line) { throw std::runtime_error(line); }

}  // namespace

Gateway::Gateway(const config::DataplaneConfig& config) : config_(config) {
    std::string error;
    if (!drivers::start_eal(config_, &error)) fail(error);

    pool_ = rte_pktmbuf_pool_create("msf_mbufs", config_.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    static_cast<int>(rte_socket_id()));
    if (!pool_)
        fail("mbufs: cannot create a pool of " + std::to_string(config_.mbufs) + " mbufs: " +
             rte_strerror(rte_errno));

    const uint16_t workers = static_cast<uint16_t>(config_.workers);
    auto open_port = [&](const config::SideConfig& side, const char* name) {
        drivers::PortConfig pc;
        pc.device = side.port.devargs;
        pc.rx_queues = workers;
        pc.tx_queues = workers;
        pc.rx_ring = config_.rx_ring;
        pc.tx_ring = config_.tx_ring;
        pc.pool = pool_;
        pc.mac = side.mac;
        auto port = drivers::Port::open(pc, &error);
        if (!port) fail(std::string(name) + ".port: " + error);
        for (const std::string& n : port->notices()) std::fprintf(stderr, "%s.port: %s\n", name, n.c_str());
        if (port->tx_queues() < workers)
            fail(std::string(name) + ".port: " + port->name() + " has " +
                 std::to_string(port->tx_queues()) + " tx queues, " + std::to_string(workers) +
                 " workers need one each");
        return port;
    };
    access_port_ = open_port(config_.access, "access");
    if (config_.shared_port()) {
        core_port_ = access_port_.get();
    } else {
        core_port_owned_ = open_port(config_.core, "core");
        core_port_ = core_port_owned_.get();
    }

    slow_path_ = rte_ring_create("msf_slow_path", 1024, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
    control_tx_ = rte_ring_create("msf_control_tx", 1024, static_cast<int>(rte_socket_id()),
                                  RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!slow_path_ || !control_tx_) fail(std::string("rings: ") + rte_strerror(rte_errno));

    TableConfig tc;
    tc.max_sessions = config_.max_sessions;
    tc.max_workers = workers;
    tc.access_addresses = addresses_of(config_.access);
    tc.core_addresses = addresses_of(config_.core);
    tc.port_min = config_.port_min;
    tc.port_max = config_.port_max;
    table_ = std::make_unique<SessionTable>(tc);

    neigh::NeighbourConfig nc;
    const config::SideConfig* sides[2] = {&config_.access, &config_.core};
    const drivers::Port* ports[2] = {access_port_.get(), core_port_};
    std::array<Egress, 2> egress{};
    for (int s = 0; s < 2; ++s) {
        neigh::SideConfig& n = nc.sides[s];
        n.mac = ports[s]->mac();
        n.addresses = addresses_of(*sides[s]);
        n.gateway4 = sides[s]->gateway_v4;
        n.gateway6 = sides[s]->gateway_v6;
        n.has_vlan = sides[s]->vlan.has_value();
        n.vlan_tci = sides[s]->vlan.value_or(0);
        for (const auto& st : sides[s]->neighbours) n.static_entries.push_back({st.ip, st.mac});
        egress[s].port_id = ports[s]->id();
        egress[s].src_mac = ports[s]->mac();
        egress[s].gateway4 = n.gateway4;
        egress[s].gateway6 = n.gateway6;
        egress[s].has_vlan = n.has_vlan;
        egress[s].vlan_tci = n.vlan_tci;
        egress[s].checksum = !ports[s]->tx_ipv4_checksum_offload() ? net::ChecksumMode::software
                             : ports[s]->tx_udp_checksum_offload() ? net::ChecksumMode::offload_ip_udp
                                                                   : net::ChecksumMode::offload_ip;
    }
    neighbours_ = std::make_unique<neigh::NeighbourService>(nc);

    // Every (port, queue) pair is polled by exactly one worker, round-robin, so each flow
    // direction has one writer even when the two sides share a port.
    std::vector<RxQueue> all;
    for (const drivers::Port* p : {access_port_.get(), core_port_owned_.get()}) {
        if (!p) continue;
        for (uint16_t q = 0; q < p->rx_queues(); ++q) {
            RxQueue rq;
            rq.port_id = p->id();
            rq.queue = q;
            rq.access = p == access_port_.get();
            rq.core = p == core_port_;
            rq.rx_checksum_offload = p->rx_checksum_offload();
            all.push_back(rq);
        }
    }
    worker_queues_.resize(workers);
    for (size_t i = 0; i < all.size(); ++i) worker_queues_[i % workers].push_back(all[i]);

    neigh::NeighbourService* nb = neighbours_.get();
    for (uint16_t w = 0; w < workers; ++w) {
        std::array<Egress, 2> e = egress;
        e[0].tx_queue = e[1].tx_queue = w;
        workers_.push_back(std::make_unique<Worker>(
            w, *table_, [nb](api::Side side, const net::IpAddr& dst) { return nb->resolve(side, dst); },
            slow_path_, e, config_.burst));
    }
    workers_[0]->set_control_tx(control_tx_);
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (worker_lcores_.size() < workers) worker_lcores_.push_back(lcore);
    }
    if (worker_lcores_.size() < workers)
        fail("workers: " + std::to_string(workers) + " workers but only " +
             std::to_string(worker_lcores_.size()) + " worker lcores");

    server_ = std::make_unique<api::ControlServer>(config_.control_socket, *this);
    if (!server_->open(&error)) fail("control-socket: " + error);
}

Gateway::~Gateway() {
    workers_stop_.store(true);
    rte_eal_mp_wait_lcore();
    set_memif_quiesce(nullptr);
    server_.reset();
    workers_.clear();
    table_.reset();
    core_port_owned_.reset();
    access_port_.reset();
    if (slow_path_) {
        rte_mbuf* m;
        while (rte_ring_dequeue(slow_path_, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
        rte_ring_free(slow_path_);
    }
    if (control_tx_) {
        rte_mbuf* m;
        while (rte_ring_dequeue(control_tx_, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
        rte_ring_free(control_tx_);
    }
    rte_mempool_free(pool_);
    drivers::stop_eal();
}

void Gateway::run() {
    struct Launch {
        Worker* worker;
        const std::vector<RxQueue>* queues;
        const std::atomic<bool>* stop;
    };
    std::vector<Launch> launches(workers_.size());
    set_memif_quiesce(table_->qsbr());  // a memif peer's disconnect now waits for the workers
    for (size_t w = 0; w < workers_.size(); ++w) {
        launches[w] = {workers_[w].get(), &worker_queues_[w], &workers_stop_};
        rte_eal_remote_launch(
            [](void* arg) -> int {
                auto* l = static_cast<Launch*>(arg);
                l->worker->run(*l->queues, *l->stop);
                return 0;
            },
            &launches[w], worker_lcores_[w]);
    }
    std::fprintf(stderr, "msf-dataplane: %zu workers, %u max sessions, control socket %s\n",
                 workers_.size(), table_->capacity(), config_.control_socket.c_str());
    while (!stop_.load()) {
        server_->poll_once(1);
        control_tick(monotonic_ns());
    }
    workers_stop_.store(true);
    rte_eal_mp_wait_lcore();
    set_memif_quiesce(nullptr);
}

void Gateway::control_tick(uint64_t now_ns) {
    const uint64_t now_ms = now_ns / 1'000'000;
    drain_slow_path(now_ms);
    neighbours_->tick(now_ms, *this);
    table_->reclaim();
    if (config_.inactivity_check_ms && now_ns - last_scan_ns_ >= uint64_t(config_.inactivity_check_ms) * 1'000'000) {
        scan_sessions(now_ns);
        last_scan_ns_ = now_ns;
    }
    if (now_ns - last_snapshot_ns_ >= 1'000'000'000u) {
        refresh_snapshot(now_ns);
        last_snapshot_ns_ = now_ns;
    }
}

api::Side Gateway::side_of_port(uint16_t port_id) const {
    return port_id == access_port_->id() ? api::Side::access : api::Side::core;
}

void Gateway::drain_slow_path(uint64_t now_ms) {
    rte_mbuf* batch[32];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(slow_path_, reinterpret_cast<void**>(batch), 32, nullptr)) > 0) {
        for (unsigned i = 0; i < n; ++i) {
            rte_mbuf* m = batch[i];
            const std::span<const uint8_t> frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
            if (config_.shared_port()) {
                // One port for both sides: the frame's target address decides which side answers.
                neighbours_->handle_frame(api::Side::access, frame, *this, now_ms);
                neighbours_->handle_frame(api::Side::core, frame, *this, now_ms);
            } else {
                neighbours_->handle_frame(side_of_port(m->port), frame, *this, now_ms);
            }
            rte_pktmbuf_free(m);
        }
    }
}

void Gateway::send(api::Side side, std::span<const uint8_t> frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m) return;
    char* dst = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    if (!dst) {
        rte_pktmbuf_free(m);
        return;
    }
    std::memcpy(dst, frame.data(), frame.size());
    m->hash.usr = static_cast<uint32_t>(side);
    if (rte_ring_sp_enqueue(control_tx_, m) != 0) rte_pktmbuf_free(m);
}

void Gateway::scan_sessions(uint64_t now_ns) {
    // Events for sessions that went quiet or whose access leg is failing authentication;
    // each reported once per episode.
    std::unordered_map<uint64_t, Watch> next;
    table_->for_each([&](const Session& s) {
        Watch w;
        if (auto it = watch_.find(s.id); it != watch_.end()) w = it->second;
        if (s.spec.inactivity_timeout_ms) {
            const uint64_t limit = uint64_t(s.spec.inactivity_timeout_ms) * 1'000'000;
            for (int side = 0; side < 2; ++side) {
                const FlowId a = side == 0 ? access_rtp : core_rtp;
                const FlowId b = side == 0 ? access_rtcp : core_rtcp;
                const uint64_t last = std::max({s.flow(a).last_seen_ns.get(), s.flow(b).last_seen_ns.get(),
                                                s.created_ns});
                const bool idle = now_ns > last && now_ns - last > limit;
                if (idle && !w.idle_reported[side]) {
                    server_->publish({api::EventType::inactivity, s.id, static_cast<api::Side>(side),
                                      (now_ns - last) / 1'000'000});
                }
                w.idle_reported[side] = idle;
            }
        }
        const uint64_t failures = s.flow(access_rtp).auth_failures.get() + s.flow(access_rtcp).auth_failures.get();
        if (failures - w.auth_failures_seen >= kAuthFailureStorm)
            server_->publish({api::EventType::auth_failure_storm, s.id, api::Side::access,
                              failures - w.auth_failures_seen});
        w.auth_failures_seen = failures;
        // Only sessions with something to remember are kept: a quiet, healthy table costs no map.
        if (w.idle_reported[0] || w.idle_reported[1] || w.auth_failures_seen) next.emplace(s.id, w);
    });
    watch_ = std::move(next);
}

void Gateway::refresh_snapshot(uint64_t now_ns) {
    (void)now_ns;
    Snapshot s;
    s.sessions = table_->size();
    s.workers = worker_stats();
    s.ports = port_status();
    table_->for_each([&](const Session& session) {
        if (s.session_ids.size() < 256) s.session_ids.push_back(session.id);
    });
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(s);
}

Gateway::Snapshot Gateway::snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
}

api::SessionSpec Gateway::with_defaults(const api::SessionSpec& spec) const {
    api::SessionSpec s = spec;
    if (s.replay_window == 0) s.replay_window = config_.replay_window;
    return s;
}

api::Result Gateway::add_session(const api::SessionSpec& spec) {
    return result_of(table_->add(with_defaults(spec), monotonic_ns()));
}

api::Result Gateway::modify_session(const api::SessionSpec& spec) {
    return result_of(table_->modify(with_defaults(spec)));
}

api::Result Gateway::remove_session(uint64_t id) {
    watch_.erase(id);
    return result_of(table_->remove(id));
}

std::optional<api::SessionInfo> Gateway::get_session(uint64_t id) { return table_->info(id, monotonic_ns()); }

std::vector<api::SessionInfo> Gateway::list_sessions(uint64_t after_id, size_t max_count) {
    return table_->list(after_id, static_cast<uint32_t>(std::min<size_t>(max_count, UINT32_MAX)), monotonic_ns());
}

std::vector<api::WorkerStats> Gateway::worker_stats() {
    std::vector<api::WorkerStats> out;
    for (size_t w = 0; w < workers_.size(); ++w) out.push_back(workers_[w]->stats(worker_lcores_[w]));
    return out;
}

std::vector<api::PortStatus> Gateway::port_status() {
    std::vector<api::PortStatus> out{access_port_->status()};
    if (core_port_owned_) out.push_back(core_port_owned_->status());
    return out;
}

uint64_t Gateway::session_count() { return table_->size(); }

}  // namespace msf::dp
