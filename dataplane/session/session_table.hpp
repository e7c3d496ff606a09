// The session table: sessions by id for the control thread, legs by (side, local address, local
// UDP port) for the workers. Workers read without locks; the control thread publishes with
// release stores and frees only after every worker has passed a quiescent state (RCU QSBR).
//
// Lookup is a hash probe and one array read: the local address picks (through a small
// open-addressing index) a per-address array of 65536 port entries, and the entry holds the
// session pointer itself, tagged with whether the port is the leg's RTCP port. A modify stores
// the new session into each of its entries; a packet may meet the old one or the new one, both
// alive until every worker has passed a quiescent state.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/api/types.hpp"
#include "dataplane/session/session.hpp"
#include "dataplane/srtp/hugepage_slab.hpp"

struct rte_rcu_qsbr;

namespace msf::dp {

// The home bucket of a local address among 2^buckets_log2 (1..31) in the session table's address
// index: Fibonacci hashing, whose product's TOP bits mix every input bit. (The bits from 16 up,
// which the index once used, ignore an IPv4 address's last octet, loaded as the top byte, so a
// gateway's addresses in one /24 shared one home bucket and every lookup walked the whole chain.)
inline uint32_t address_home_bucket(net::Family family, const uint8_t* ip, uint32_t buckets_log2) {
    uint32_t w[4] = {0, 0, 0, 0};
    std::memcpy(w, ip, family == net::Family::ipv4 ? 4 : 16);
    return ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9E3779B1u) >> (32 - buckets_log2);
}

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
    // A port entry: 0, or the session's address with kRtcpPort set for its RTCP port (sessions
    // are 64-byte aligned, so the low bits are free).
    using PortEntry = std::atomic<uintptr_t>;
    static constexpr uintptr_t kRtcpPort = 1;
    static_assert(alignof(Session) > kRtcpPort, "the tag needs a free low bit");

    // dst_ip points at 4 or 16 network-order bytes.
    Hit lookup(api::Side side, net::Family family, const uint8_t* dst_ip, uint16_t dst_port) const {
        const PortEntry* pe = port_entry_of(side, family, dst_ip, dst_port);
        return pe ? hit_of(side, pe->load(std::memory_order_acquire)) : Hit{};
    }

    // lookup() in its two dependent steps, so that a worker can prefetch each level for every
    // packet of a burst before it reads any (with many sessions, each level is a cache miss).
    // 1: the port entry of (address, port) on `side`; nullptr when the address is not the side's.
    const PortEntry* port_entry_of(api::Side side, net::Family family, const uint8_t* dst_ip,
                                   uint16_t dst_port) const {
        const SideIndex& s = sides_[static_cast<int>(side)];
        const int a = s.find(family, dst_ip);
        return a < 0 ? nullptr : &s.ports(static_cast<size_t>(a))[dst_port];
    }
    // 2: the leg an entry names (no session: null).
    static Hit hit_of(api::Side side, uintptr_t entry) {
        const bool rtcp = entry & kRtcpPort;
        return {reinterpret_cast<Session*>(entry & ~kRtcpPort),
                side == api::Side::access ? (rtcp ? access_rtcp : access_rtp) : (rtcp ? core_rtcp : core_rtp)};
    }

private:
    struct SideIndex {
        std::vector<net::IpAddr> addresses;
        // 65536 entries per address, every address's in one block of transparent huge pages
        // (srtp::map_huge): with many sessions each packet's entry is a cache miss, and should
        // not be a TLB miss as well.
        struct Unmap {
            size_t bytes;
            void operator()(PortEntry* p) const { srtp::unmap_huge(p, bytes); }
        };
        std::unique_ptr<PortEntry[], Unmap> entries;
        PortEntry* ports(size_t address) const { return entries.get() + (address << 16); }
        // Open addressing over `addresses`: index + 1, or 0 for an empty bucket. A gateway with a
        // million sessions needs dozens of addresses per side; a scan would cost a compare each.
        std::vector<uint16_t> buckets;
        uint32_t bucket_mask = 0;
        uint32_t buckets_log2 = 0;

        void build();
        int find(net::Family family, const uint8_t* ip) const {
            if (family == net::Family::none || buckets.empty()) return -1;
            for (uint32_t b = address_home_bucket(family, ip, buckets_log2);; ++b) {
                const uint16_t i = buckets[b & bucket_mask];
                if (i == 0) return -1;
                if (net::same_ip(addresses[i - 1], family, ip)) return i - 1;
            }
        }
    };
    struct Retired {
        uint64_t token;
        std::unique_ptr<Session> session;
        bool release_slot;
    };

    TableResult validate(const api::SessionSpec& spec, bool check_ports_free) const;
    PortEntry* port_entry(api::Side side, const net::Endpoint& local) const;
    // Points the session's port entries at `value` (null: clears them).
    void set_ports(const Session& s, const Session* value);
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
