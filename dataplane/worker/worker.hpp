// A worker lcore: receives bursts on its (port, queue) pairs and relays media between the access
// leg (SRTP) and the core leg (RTP) of each session, in three phases per burst:
//   1. prepare: parse Ethernet/IP/UDP, look the leg up, check the source, sort the packets into
//      the four crypto lists (unprotect RTP/RTCP from UEs, protect RTP/RTCP toward UEs);
//   2. crypto: one Engine call per list;
//   3. finish: count, latch the UE on authenticated packets, write the other leg's headers in
//      front of the payload, transmit.
// ARP, ND and ICMP go to the control lcore through a ring. Nothing is allocated and nothing
// locked after start-up; each (port, queue) is polled by one worker, so each flow direction,
// its counters and its SRTP stream state have a single writer.
#pragma once

#include <rte_mbuf.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "dataplane/api/types.hpp"
#include "dataplane/net/frame.hpp"
#include "dataplane/net/udp_frame.hpp"
#include "dataplane/session/session_table.hpp"
#include "dataplane/srtp/engine.hpp"

struct rte_ring;

namespace msf::dp {

inline constexpr uint16_t kMaxBurst = 64;

// How packets leave on one side.
struct Egress {
    uint16_t port_id = 0;
    uint16_t tx_queue = 0;
    net::MacAddr src_mac;
    bool has_vlan = false;
    uint16_t vlan_tci = 0;
    net::ChecksumMode checksum = net::ChecksumMode::software;
    // The side's gateways (as the neighbour service has them): packets to many destinations
    // behind one gateway share its MAC, so the worker resolves the gateway once per burst
    // instead of once per destination.
    std::optional<net::IpAddr> gateway4, gateway6;
};

// Where a received (port, queue) belongs.
struct RxQueue {
    uint16_t port_id = 0;
    uint16_t queue = 0;
    bool access = false;  // packets to an access address are looked up on the access side
    bool core = false;    // both when the two sides share a port
    bool rx_checksum_offload = false;
};

// Next-hop MAC for a destination on a side; nullopt while it is being resolved. Any thread.
using NextHopFn = std::function<std::optional<net::MacAddr>(api::Side, const net::IpAddr&)>;

struct WorkerCounters {
    std::array<Counter, net::kFrameErrorCount> frame_errors;  // by net::FrameError
    Counter rx_packets, tx_packets, rx_bursts, idle_polls;
    Counter no_session, not_udp, slow_path, slow_path_full;
    Counter no_neighbour, no_ue_address, tx_full, no_headroom;
    Counter unprotected, protected_, crypto_failed;
    Counter control_tx;
};

class Worker {
public:
    Worker(uint32_t id, SessionTable& table, NextHopFn next_hop, rte_ring* slow_path,
           std::array<Egress, 2> egress, uint16_t burst);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // The lcore loop: registers with the table's QSBR, polls until *stop.
    void run(const std::vector<RxQueue>& queues, const std::atomic<bool>& stop);

    // One received burst of at most kMaxBurst packets, no I/O: fills `tx[side]` with the frames to send on that side and
    // returns how many. Frees what it drops. Used by run() and by the benchmark.
    void process(rte_mbuf** pkts, uint16_t n, const RxQueue& from, uint64_t now_ns,
                 rte_mbuf* tx[2][kMaxBurst], uint16_t tx_count[2]);

    // Frames the control lcore wants sent (ARP, ND, echo replies and requests); this worker
    // transmits them on its queues. mbuf hash.usr holds the api::Side.
    void set_control_tx(rte_ring* ring) { control_tx_ = ring; }

    const WorkerCounters& counters() const { return counters_; }
    api::WorkerStats stats(uint32_t lcore) const;
    uint32_t id() const { return id_; }

private:
    struct Pending;  // a packet between phase 1 and phase 3

    struct Classified;  // a parsed packet and its leg, between phase 1a and 1d
    bool classify(rte_mbuf* m, const RxQueue& from, Classified& out);
    bool find_session(Classified& c);
    void prepare(Classified& c);
    void finish(Pending& p, srtp::Status status, uint64_t now_ns, rte_mbuf* tx[2][kMaxBurst],
                uint16_t tx_count[2], uint32_t len);
    void drop(rte_mbuf* m) { rte_pktmbuf_free(m); }
    void send_control_frames();

    uint32_t id_;
    SessionTable& table_;
    NextHopFn next_hop_;
    rte_ring* slow_path_;
    rte_ring* control_tx_ = nullptr;
    std::array<Egress, 2> egress_;
    uint16_t burst_;
    srtp::Engine engine_;
    WorkerCounters counters_;

    // Per-burst arrays: packets sorted by crypto operation.
    enum List : uint8_t { unprotect_rtp, unprotect_rtcp, protect_rtp, protect_rtcp, kLists };
    struct PendingStore;
    std::unique_ptr<PendingStore> pending_;

    // Next hop of the last destination per side, valid for one burst: a burst usually goes to
    // one core peer and through one access gateway.
    bool hop_valid_[2] = {false, false};
    net::IpAddr hop_dst_[2];
    net::MacAddr hop_mac_[2];
};

}  // namespace msf::dp
