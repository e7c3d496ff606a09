// DPDK telemetry commands (/msf/stats, /msf/ports, /msf/sessions), readable with
// dpdk-telemetry.py. They run on DPDK's telemetry thread and read only the snapshot the control
// loop refreshes every second, never the live table.
#include "dataplane/gateway/telemetry.hpp"

#include <rte_telemetry.h>

namespace msf::dp {

namespace {

const Gateway* g_gateway = nullptr;

int stats(const char*, const char*, rte_tel_data* d) {
    const Gateway::Snapshot s = g_gateway->snapshot();
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "sessions", s.sessions);
    uint64_t rx = 0, tx = 0, no_session = 0, malformed = 0, overload = 0, slow = 0;
    for (const api::WorkerStats& w : s.workers) {
        rx += w.rx_packets;
        tx += w.tx_packets;
        no_session += w.drops_no_session;
        malformed += w.drops_malformed + w.drops_fragment + w.drops_checksum;
        overload += w.drops_overload;
        slow += w.slow_path;
    }
    rte_tel_data_add_dict_u64(d, "workers", s.workers.size());
    rte_tel_data_add_dict_u64(d, "rx_packets", rx);
    rte_tel_data_add_dict_u64(d, "tx_packets", tx);
    rte_tel_data_add_dict_u64(d, "drops_no_session", no_session);
    rte_tel_data_add_dict_u64(d, "drops_malformed", malformed);
    rte_tel_data_add_dict_u64(d, "drops_overload", overload);
    rte_tel_data_add_dict_u64(d, "slow_path", slow);
    return 0;
}

int ports(const char*, const char*, rte_tel_data* d) {
    const Gateway::Snapshot s = g_gateway->snapshot();
    rte_tel_data_start_dict(d);
    for (const api::PortStatus& p : s.ports) {
        rte_tel_data* c = rte_tel_data_alloc();
        if (!c) return -1;
        rte_tel_data_start_dict(c);
        rte_tel_data_add_dict_u64(c, "link_up", p.link_up);
        rte_tel_data_add_dict_u64(c, "speed_mbps", p.speed_mbps);
        rte_tel_data_add_dict_u64(c, "rx_packets", p.rx_packets);
        rte_tel_data_add_dict_u64(c, "tx_packets", p.tx_packets);
        rte_tel_data_add_dict_u64(c, "rx_missed", p.rx_missed);
        rte_tel_data_add_dict_u64(c, "rx_errors", p.rx_errors);
        rte_tel_data_add_dict_u64(c, "tx_errors", p.tx_errors);
        rte_tel_data_add_dict_container(d, p.name.c_str(), c, 0);
    }
    return 0;
}

int sessions(const char*, const char*, rte_tel_data* d) {
    const Gateway::Snapshot s = g_gateway->snapshot();
    rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
    for (uint64_t id : s.session_ids) rte_tel_data_add_array_u64(d, id);
    return 0;
}

}  // namespace

void register_telemetry(const Gateway& gateway) {
    g_gateway = &gateway;
    rte_telemetry_register_cmd("/msf/stats", stats, "Totals: sessions, packets, drops. No parameters");
    rte_telemetry_register_cmd("/msf/ports", ports, "Link and counters per port. No parameters");
    rte_telemetry_register_cmd("/msf/sessions", sessions, "Ids of the first 256 sessions. No parameters");
}

}  // namespace msf::dp
