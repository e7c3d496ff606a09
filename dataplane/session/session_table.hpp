// The session table: sessions by id for the control thread, legs by (side, local address, local
// UDP port) for the workers. Workers read without locks; the control thread publishes with
// release stores and frees only after every worker has passed a quiescent state (RCU QSBR).
//
// Lookup is two array reads: the local address picks a per-address array of 65536 port entries,
// the entry names a slot, the slot holds the session pointer. A slot is reused only after the
// grace period of its previous session, so a worker never sees a port entry point at a session
// that does not own that port.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/api/types.hpp"
#include "dataplane/session/session.hpp"

struct rte_rcu_qsbr;

namespace msf::dp {

struct TableConfig {
    uint32_t max_sessions = 1'000'000;
    uint32_t max_workers = 64;               // QSBR reader threads
    std::vector<net::IpAddr> access_addresses;
    std::vector<net::IpAddr> core_addresses;
    uint16_t port_min = 1024;                // local media ports the control plane may use
    uint16_t port_max = 65535;
};

enum class TableError : uint8_t { none, already_exists, not_found, invalid_argument, no_space };

struct TableResult {
    TableError error = TableError::none;
    std::string message;
    bool ok() const { return error == TableError::none; }
};

class SessionTable {
public:
    explicit SessionTable(const TableConfig& config);
    ~SessionTable();
    SessionTable(const SessionTable&) = delete;
    SessionTable& operator=(const SessionTable&) = delete;

    // Control thread.
    TableResult add(const api::SessionSpec& spec, uint64_t now_ns);
    // Re-key, new remote addresses, new suite, window or timeout. Local endpoints cannot change.
    // Contexts whose keys did not change keep their ROC and replay state.
    TableResult modify(const api::SessionSpec& spec);
    TableResult remove(uint64_t id);
    const Session* find(uint64_t id) const;
    std::optional<api::SessionInfo> info(uint64_t id, uint64_t now_ns) const;
    std::vector<api::SessionInfo> list(uint64_t after_id, uint32_t max, uint64_t now_ns) const;
    template <typename Fn> void for_each(Fn&& fn) const {
        for (const auto& [id, slot] : by_id_) fn(*slots_[slot].load(std::memory_order_relaxed));
    }
    size_t size() const { return by_id_.size(); }
    uint32_t capacity() const { return config_.max_sessions; }
    // Frees sessions retired before every worker's last quiescent state. Returns how many.
    size_t reclaim();
    size_t pending_reclaim() const { return retired_.size(); }

    // Workers: register once (thread_id < max_workers), then report quiescence after each burst.
    rte_rcu_qsbr* qsbr() const { return qsbr_; }

    struct Hit {
        Session* session = nullptr;
        FlowId flow = access_rtp;
    };
    // dst_ip points at 4 or 16 network-order bytes.
    Hit lookup(api::Side side, net::Family family, const uint8_t* dst_ip, uint16_t dst_port) const {
        const std::atomic<uint32_t>* pe = port_entry_of(side, family, dst_ip, dst_port);
        if (!pe) return {};
        const uint32_t entry = pe->load(std::memory_order_acquire);
        if (entry == 0) return {};
        Session* session = slot_of(entry)->load(std::memory_order_acquire);
        if (!session) return {};
        return hit_of(side, entry, session);
    }

    // lookup() in its three dependent steps, so that a worker can prefetch each level for every
    // packet of a burst before it reads any (with many sessions, each level is a cache miss).
    // 1: the port entry of (address, port) on `side`; nullptr when the address is not the side's.
    const std::atomic<uint32_t>* port_entry_of(api::Side side, net::Family family, const uint8_t* dst_ip,
                                               uint16_t dst_port) const {
        const SideIndex& s = sides_[static_cast<int>(side)];
        for (size_t a = 0; a < s.addresses.size(); ++a)
            if (net::same_ip(s.addresses[a], family, dst_ip)) return &s.ports[a][dst_port];
        return nullptr;
    }
    // 2: the slot a non-zero port entry names (its session may be gone: null).
    const std::atomic<Session*>* slot_of(uint32_t entry) const { return &slots_[(entry >> 1) - 1]; }
    // 3: the leg.
    static Hit hit_of(api::Side side, uint32_t entry, Session* session) {
        const bool rtcp = entry & 1;
        return {session, side == api::Side::access ? (rtcp ? access_rtcp : access_rtp)
                                                   : (rtcp ? core_rtcp : core_rtp)};
    }

private:
    struct SideIndex {
        std::vector<net::IpAddr> addresses;
        std::vector<std::unique_ptr<std::atomic<uint32_t>[]>> ports;  // per address, 65536 entries
    };
    struct Retired {
        uint64_t token;
        std::unique_ptr<Session> session;
        bool release_slot;
    };

    TableResult validate(const api::SessionSpec& spec, bool check_ports_free) const;
    std::atomic<uint32_t>* port_entry(api::Side side, const net::Endpoint& local) const;
    void set_ports(const Session& s, uint32_t value);
    void retire(std::unique_ptr<Session> s, bool release_slot);

    TableConfig config_;
    SideIndex sides_[2];
    std::unique_ptr<std::atomic<Session*>[]> slots_;
    std::vector<uint32_t> free_slots_;
    std::map<uint64_t, uint32_t> by_id_;
    std::vector<Retired> retired_;
    rte_rcu_qsbr* qsbr_ = nullptr;
};

const char* table_error_name(TableError e);

}  // namespace msf::dp
