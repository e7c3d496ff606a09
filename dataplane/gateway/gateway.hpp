// msf-dataplane as a whole: EAL, mempool, ports, session table, neighbours, workers and the
// control socket, wired together. The main lcore runs the control loop (control socket, ARP/ND/
// ICMP, RCU reclamation, inactivity and auth-failure events, telemetry snapshots); the worker
// lcores run Worker::run().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/api/server.hpp"
#include "dataplane/config/config.hpp"
#include "dataplane/neigh/neighbour_service.hpp"
#include "dataplane/session/session_table.hpp"
#include "dataplane/worker/worker.hpp"
#include "drivers/port.hpp"

struct rte_mempool;
struct rte_ring;

namespace msf::dp {

class Gateway : public api::RequestHandler, private neigh::FrameSink {
public:
    // Starts everything but the loops. Throws std::runtime_error with one line on failure.
    explicit Gateway(const config::DataplaneConfig& config);
    ~Gateway() override;

    // Launches the workers and runs the control loop until stop() (or a signal) asks it to end.
    void run();
    void stop() { stop_.store(true); }

    // api::RequestHandler (control thread).
    api::Result add_session(const api::SessionSpec& spec) override;
    api::Result modify_session(const api::SessionSpec& spec) override;
    api::Result remove_session(uint64_t session_id) override;
    std::optional<api::SessionInfo> get_session(uint64_t session_id) override;
    std::vector<api::SessionInfo> list_sessions(uint64_t after_id, size_t max_count) override;
    std::vector<api::WorkerStats> worker_stats() override;
    std::vector<api::PortStatus> port_status() override;
    uint64_t session_count() override;

    // Telemetry (/msf/...): a JSON-ready snapshot the control loop refreshes every second.
    struct Snapshot {
        uint64_t sessions = 0;
        std::vector<api::WorkerStats> workers;
        std::vector<api::PortStatus> ports;
        std::vector<uint64_t> session_ids;  // the first 256
    };
    Snapshot snapshot() const;

private:
    // neigh::FrameSink: frames from the control lcore go out through worker 0's queue.
    void send(api::Side side, std::span<const uint8_t> frame) override;

    void control_tick(uint64_t now_ns);
    void drain_slow_path(uint64_t now_ms);
    void scan_sessions(uint64_t now_ns);
    void refresh_snapshot(uint64_t now_ns);
    api::Side side_of_port(uint16_t port_id) const;
    // replay_window 0 in a spec means the dataplane's configured default.
    api::SessionSpec with_defaults(const api::SessionSpec& spec) const;

    config::DataplaneConfig config_;
    rte_mempool* pool_ = nullptr;
    std::unique_ptr<drivers::Port> access_port_;
    std::unique_ptr<drivers::Port> core_port_owned_;  // null when both sides share one port
    drivers::Port* core_port_ = nullptr;
    rte_ring* slow_path_ = nullptr;
    rte_ring* control_tx_ = nullptr;  // control-lcore frames, sent by worker 0
    std::unique_ptr<SessionTable> table_;
    std::unique_ptr<neigh::NeighbourService> neighbours_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::vector<RxQueue>> worker_queues_;
    std::vector<unsigned> worker_lcores_;
    std::unique_ptr<api::ControlServer> server_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> workers_stop_{false};

    // Control-thread state for events: what was already reported per session.
    struct Watch {
        bool idle_reported[2] = {false, false};
        uint64_t auth_failures_seen = 0;
    };
    std::unordered_map<uint64_t, Watch> watch_;
    uint64_t last_scan_ns_ = 0;
    uint64_t last_snapshot_ns_ = 0;

    mutable std::mutex snapshot_mutex_;
    Snapshot snapshot_;
};

// Auth failures on one session's access leg within one inactivity-check interval that count as
// a storm worth telling the control plane about.
inline constexpr uint64_t kAuthFailureStorm = 50;

}  // namespace msf::dp
