#include "dataplane/worker/worker.hpp"

#include <rte_debug.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <ctime>

#include "dataplane/neigh/address_kinds.hpp"

namespace msf::dp {

namespace {

inline bool endpoint_is(const net::Endpoint& want, net::Family family, const uint8_t* ip,
                        uint16_t port) {
    return want.port == port && net::same_ip(want.addr, family, ip);
}

inline net::Endpoint endpoint_of(net::Family family, const uint8_t* ip, uint16_t port) {
    return {family == net::Family::ipv4 ? net::IpAddr::v4(ip) : net::IpAddr::v6(ip), port};
}

// RFC 5761 §4: on a multiplexed port, payload types 64-95 with the marker bit (packet type
// byte 192-223) are RTCP.
inline bool looks_like_rtcp(const uint8_t* payload, uint32_t len) {
    return len >= 2 && payload[1] >= 192 && payload[1] <= 223;
}

inline uint64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

}  // namespace

struct Worker::Pending {
    rte_mbuf* m;
    Session* session;
    uint8_t* payload;
    const uint8_t* src_ip;       // inside the received headers, still intact until phase 3
    net::Endpoint ue;            // core -> access: where the UE is
    uint16_t src_port;
    net::Family family;
    FlowId flow;
    bool rtcp;
    bool relatch;                // access, UE not configured: an authenticated packet latches
    uint8_t tos;
};

struct Worker::Classified {
    rte_mbuf* m;
    // The lookup's first step for each side the packet may belong to (null: not that side's
    // address, or the port does not serve that side), then the leg that matched.
    const SessionTable::PortEntry* port_entry[2];
    SessionTable::Hit hit;
    net::ParsedFrame pf;
};

struct Worker::PendingStore {
    Classified classified[kMaxBurst];
    uint8_t order[kMaxBurst];  // the classified packets still alive after each lookup step
    Pending items[kLists][kMaxBurst];
    srtp::Packet packets[kLists][kMaxBurst];
    srtp::Status status[kLists][kMaxBurst];
    uint16_t count[kLists];
};

Worker::Worker(uint32_t id, SessionTable& table, NextHopFn next_hop, rte_ring* slow_path,
               std::array<Egress, 2> egress, uint16_t burst)
    : id_(id),
      table_(table),
      next_hop_(std::move(next_hop)),
      slow_path_(slow_path),
      egress_(egress),
      burst_(std::min<uint16_t>(burst, kMaxBurst)),
      pending_(new PendingStore()) {}

Worker::~Worker() = default;

// Phase 1a: parse and look the leg up. A packet that goes no further is counted and dropped here.
bool Worker::classify(rte_mbuf* m, const RxQueue& from, Classified& out) {
    uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
    if (m->nb_segs != 1) [[unlikely]] {
        // Jumbo chains are not media; the ports are configured without scatter.
        counters_.frame_errors[static_cast<int>(net::FrameError::bad_ip_length)].add();
        drop(m);
        return false;
    }
    net::ParseOptions opt;
    if (from.rx_checksum_offload) {
        const uint64_t ip = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
        const uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
        if (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD || l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD) [[unlikely]] {
            counters_.frame_errors[static_cast<int>(ip == RTE_MBUF_F_RX_IP_CKSUM_BAD
                                                        ? net::FrameError::bad_ip_checksum
                                                        : net::FrameError::bad_udp_checksum)]
                .add();
            drop(m);
            return false;
        }
        opt.verify_ip_checksum = ip != RTE_MBUF_F_RX_IP_CKSUM_GOOD;
        opt.verify_udp_checksum = l4 != RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    }
    net::ParsedFrame& pf = out.pf;
    const net::FrameError err = net::parse_frame(frame, m->data_len, opt, pf);
    if (err != net::FrameError::none) [[unlikely]] {
        counters_.frame_errors[static_cast<int>(err)].add();
        drop(m);
        return false;
    }
    if (pf.kind != net::FrameKind::udp) [[unlikely]] {
        if (pf.kind == net::FrameKind::other) {
            counters_.not_udp.add();
            drop(m);
        } else if (!slow_path_ || rte_ring_mp_enqueue(slow_path_, m) != 0) {
            counters_.slow_path_full.add();
            drop(m);
        } else {
            counters_.slow_path.add();
        }
        return false;
    }

    out.port_entry[0] =
        from.access ? table_.port_entry_of(api::Side::access, pf.family, pf.dst_ip, pf.dst_port) : nullptr;
    out.port_entry[1] =
        from.core ? table_.port_entry_of(api::Side::core, pf.family, pf.dst_ip, pf.dst_port) : nullptr;
    if (!out.port_entry[0] && !out.port_entry[1]) [[unlikely]] {
        counters_.no_session.add();
        drop(m);
        return false;
    }
    out.m = m;
    // What the next pass reads.
    for (const auto* pe : out.port_entry)
        if (pe) rte_prefetch0(pe);
    return true;
}

// Phase 1b: the port entry holds the session (access side first, as lookup() would).
bool Worker::find_session(Classified& c) {
    c.hit = {};
    if (c.port_entry[0])
        c.hit = SessionTable::hit_of(api::Side::access, c.port_entry[0]->load(std::memory_order_acquire));
    if (!c.hit.session && c.port_entry[1])
        c.hit = SessionTable::hit_of(api::Side::core, c.port_entry[1]->load(std::memory_order_acquire));
    if (!c.hit.session) [[unlikely]] {
        counters_.no_session.add();
        drop(c.m);
        return false;
    }
    // What phase 1d will read: the session now, its flow and SRTP context after 1c. RTCP on its
    // own port reads one line more (multiplexed RTCP uses the RTP endpoints).
    const auto* session_lines = reinterpret_cast<const uint8_t*>(c.hit.session);
    rte_prefetch0(session_lines);
    rte_prefetch0(session_lines + RTE_CACHE_LINE_SIZE);
    if (flow_is_rtcp(c.hit.flow)) rte_prefetch0(session_lines + Session::kRtpLines * RTE_CACHE_LINE_SIZE);
    // The mbuf's second line, which phase 3 writes (tx_offload) for a NIC that fills checksums.
    rte_prefetch0(&c.m->tx_offload);
    return true;
}

// Phase 1d: source checks, RTP/RTCP demultiplexing, and one entry in the crypto lists.
void Worker::prepare(Classified& cl) {
    rte_mbuf* m = cl.m;
    const net::ParsedFrame& pf = cl.pf;
    const SessionTable::Hit& hit = cl.hit;
    uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
    Session& s = *hit.session;
    FlowState& fs = s.flow(hit.flow);
    const bool from_access = flow_side(hit.flow) == api::Side::access;
    uint8_t* payload = frame + pf.payload_offset;
    fs.packets_in.add();
    fs.bytes_in.add(pf.payload_len);

    bool rtcp = flow_is_rtcp(hit.flow);
    if (!rtcp && (from_access ? s.access_mux : s.core_mux)) rtcp = looks_like_rtcp(payload, pf.payload_len);

    // The entry is written in place, field by field: a Pending built on the stack and copied
    // would be read back with wide loads over narrow stores, a store-forwarding stall per packet.
    // The slot only counts once the checks below pass.
    const List list = from_access ? (rtcp ? unprotect_rtcp : unprotect_rtp)
                                  : (rtcp ? protect_rtcp : protect_rtp);
    PendingStore& ps = *pending_;
    const uint16_t k = ps.count[list];
    Pending& p = ps.items[list][k];
    p.relatch = false;
    if (from_access) {
        const net::Endpoint& configured = hit.flow == access_rtcp ? s.ue_configured_rtcp : s.ue_configured_rtp;
        if (!configured.empty()) {
            if (!endpoint_is(configured, pf.family, pf.src_ip, pf.src_port)) [[unlikely]] {
                fs.unknown_source.add();
                drop(m);
                return;
            }
        } else {
            // Latching: the source is learned, or moved, only by a packet that authenticates.
            p.relatch = true;
        }
    } else {
        const net::Endpoint& want = hit.flow == core_rtcp ? s.core_remote_rtcp : s.core_remote_rtp;
        if (!endpoint_is(want, pf.family, pf.src_ip, pf.src_port)) [[unlikely]] {
            fs.unknown_source.add();
            drop(m);
            return;
        }
        // Do not spend an SRTP index on a packet that has nowhere to go yet.
        const bool rtcp_port = rtcp && !s.access_mux;
        const net::Endpoint& configured = rtcp_port ? s.ue_configured_rtcp : s.ue_configured_rtp;
        if (!configured.empty()) {
            p.ue = configured;
        } else {
            const LatchedEndpoint& l = s.flow(rtcp_port ? access_rtcp : access_rtp).latched;
            const LatchedEndpoint& rtp_latch = s.flow(access_rtp).latched;
            if (!l.empty()) {
                p.ue = l.load();
            } else if (rtcp_port && !rtp_latch.empty() && rtp_latch.load().port != 65535) {
                // RFC 3550 §11: RTCP on RTP port + 1; there is none above 65535 (and port 0 is no
                // destination), so RTCP waits for the UE's own SRTCP then.
                p.ue = rtp_latch.load();
                ++p.ue.port;
            } else {
                counters_.no_ue_address.add();
                fs.other_drops.add();
                drop(m);
                return;
            }
        }
    }

    ps.count[list] = static_cast<uint16_t>(k + 1);
    p.m = m;
    p.session = &s;
    p.payload = payload;
    p.src_ip = pf.src_ip;
    p.src_port = pf.src_port;
    p.family = pf.family;
    p.flow = hit.flow;
    p.rtcp = rtcp;
    p.tos = pf.tos;
    uint8_t* const buf_end = static_cast<uint8_t*>(m->buf_addr) + m->buf_len;
    ps.packets[list][k] = {payload, pf.payload_len, static_cast<uint32_t>(buf_end - payload),
                           from_access ? s.from_ue_ctx : s.to_ue_ctx};
}

void Worker::finish(Pending& p, srtp::Status status, uint64_t now_ns, rte_mbuf* tx[2][kMaxBurst],
                    uint16_t tx_count[2], uint32_t len) {
    Session& s = *p.session;
    FlowState& fs = s.flow(p.flow);
    if (status != srtp::Status::ok) [[unlikely]] {
        switch (status) {
            case srtp::Status::auth_failed: fs.auth_failures.add(); break;
            case srtp::Status::replay: fs.replays.add(); break;
            case srtp::Status::malformed: fs.malformed.add(); break;
            default: fs.other_drops.add(); break;
        }
        counters_.crypto_failed.add();
        drop(p.m);
        return;
    }
    const bool from_access = flow_side(p.flow) == api::Side::access;
    // Judged against the latch as it is now, not as it was in phase 1: an earlier packet of
    // this burst may have moved it.
    if (p.relatch && (fs.latched.empty() || !endpoint_is(fs.latched.load(), p.family, p.src_ip, p.src_port)))
        fs.latched.store(endpoint_of(p.family, p.src_ip, p.src_port));
    fs.last_seen_ns.set(now_ns);

    const api::Side out = from_access ? api::Side::core : api::Side::access;
    const Egress& e = egress_[static_cast<int>(out)];
    const net::Endpoint* src;
    const net::IpAddr* dst;
    uint16_t dst_port;
    if (from_access) {
        const bool rtcp_port = p.rtcp && !s.core_mux;
        src = rtcp_port ? &s.core_local_rtcp : &s.core_local_rtp;
        const net::Endpoint& remote = rtcp_port ? s.core_remote_rtcp : s.core_remote_rtp;
        dst = &remote.addr;
        dst_port = remote.port;
        counters_.unprotected.add();
    } else {
        const bool rtcp_port = p.rtcp && !s.access_mux;
        src = rtcp_port ? &s.access_local_rtcp : &s.access_local_rtp;
        dst = &p.ue.addr;
        dst_port = p.ue.port;
        counters_.protected_.add();
    }
    int c = static_cast<int>(out);
    // The one-entry cache is keyed by the next hop: behind a gateway every UE shares it. Group
    // and other non-unicast destinations map to their own MACs (or none), so they are keyed by
    // themselves; that check is only needed when a gateway is in the way.
    const net::IpAddr& via = neigh::next_hop_of(e.gateway4, e.gateway6, *dst);
    const net::IpAddr& hop = &via != dst && !neigh::is_unicast_ip(*dst) ? *dst : via;
    if (!(hop_valid_[c] && net::same_ip(hop_dst_[c], hop.family, hop.bytes.data()))) {
        const auto mac = next_hop_(out, *dst);
        if (!mac) [[unlikely]] {
            counters_.no_neighbour.add();
            fs.other_drops.add();
            drop(p.m);
            return;
        }
        hop_valid_[c] = true;
        hop_dst_[c] = hop;
        hop_mac_[c] = *mac;
    }
    // The headers are written from where their parts live, not from a copy made here.
    const net::UdpFrameParts t{e.src_mac, hop_mac_[c], e.has_vlan, e.vlan_tci, src->addr,
                               *dst,      src->port,   dst_port,   net::kDefaultTtl, p.tos};

    rte_mbuf* m = p.m;
    const uint32_t room = net::udp_header_room(t);
    uint8_t* const buf = static_cast<uint8_t*>(m->buf_addr);
    uint8_t* frame = p.payload - room >= buf ? net::write_udp_headers(p.payload, len, t, e.checksum) : nullptr;
    if (!frame) [[unlikely]] {
        counters_.no_headroom.add();
        fs.other_drops.add();
        drop(m);
        return;
    }
    m->data_off = static_cast<uint16_t>(frame - buf);
    m->data_len = static_cast<uint16_t>(room + len);
    m->pkt_len = room + len;
    m->ol_flags = 0;
    if (e.checksum != net::ChecksumMode::software) {
        // One store of the whole word: the l2_len/l3_len bit-fields written one by one are each
        // a read-modify-write of a line the NIC path reads next.
        m->tx_offload = rte_mbuf_tx_offload(net::kEthernetHeaderLen + (t.has_vlan ? net::kVlanTagLen : 0),
                                            t.dst.is_v4() ? net::kIpv4HeaderLen : net::kIpv6HeaderLen,
                                            0, 0, 0, 0, 0);
        m->ol_flags = t.dst.is_v4() ? (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM) : RTE_MBUF_F_TX_IPV6;
        if (e.checksum == net::ChecksumMode::offload_ip_udp) m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
    }
    fs.packets_out.add();
    fs.bytes_out.add(len);
    tx[c][tx_count[c]++] = m;
}

void Worker::process(rte_mbuf** pkts, uint16_t n, const RxQueue& from, uint64_t now_ns,
                     rte_mbuf* tx[2][kMaxBurst], uint16_t tx_count[2]) {
    RTE_VERIFY(n <= kMaxBurst);  // the per-burst arrays hold kMaxBurst packets
    PendingStore& ps = *pending_;
    for (auto& c : ps.count) c = 0;
    tx_count[0] = tx_count[1] = 0;
    hop_valid_[0] = hop_valid_[1] = false;
    counters_.rx_packets.add(n);

    // Phase 1, in passes so that each dependent level of every packet's lookup (port entry,
    // session, then flow and context) is being fetched from memory while the other packets are
    // worked on (with many sessions, each level is a cache miss). Pass 1c prefetches the flow
    // and the context from the session's first line.
    uint16_t nc = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        if (classify(pkts[i], from, ps.classified[nc])) ++nc;
    }
    uint16_t kept = 0;
    for (uint16_t i = 0; i < nc; ++i)
        if (find_session(ps.classified[i])) ps.order[kept++] = static_cast<uint8_t>(i);
    nc = kept;
    for (uint16_t j = 0; j < nc; ++j) {
        const uint16_t i = ps.order[j];
        const SessionTable::Hit& hit = ps.classified[i].hit;
        const Session& s = *hit.session;
        rte_prefetch0(&s.flow(hit.flow));
        const bool to_core = flow_side(hit.flow) == api::Side::access;
        // The latch, only where the UE's address is learned (the RTCP one is configured exactly
        // when the RTP one is): an access flow's own, checked after authentication, or the one a
        // packet toward the UE goes to.
        if (s.ue_configured_rtp.empty()) rte_prefetch0(s.flow(to_core ? hit.flow : access_rtp).second_line());
        (to_core ? s.from_ue_ctx : s.to_ue_ctx)->prefetch(flow_is_rtcp(hit.flow));
    }
    for (uint16_t j = 0; j < nc; ++j) prepare(ps.classified[ps.order[j]]);
    // Phase 2: one engine call per operation.
    if (uint16_t k = ps.count[unprotect_rtp])
        engine_.unprotect_rtp({ps.packets[unprotect_rtp], k}, {ps.status[unprotect_rtp], k});
    if (uint16_t k = ps.count[unprotect_rtcp])
        engine_.unprotect_rtcp({ps.packets[unprotect_rtcp], k}, {ps.status[unprotect_rtcp], k});
    if (uint16_t k = ps.count[protect_rtp])
        engine_.protect_rtp({ps.packets[protect_rtp], k}, {ps.status[protect_rtp], k});
    if (uint16_t k = ps.count[protect_rtcp])
        engine_.protect_rtcp({ps.packets[protect_rtcp], k}, {ps.status[protect_rtcp], k});
    // Phase 3.
    for (int l = 0; l < kLists; ++l)
        for (uint16_t k = 0; k < ps.count[l]; ++k)
            finish(ps.items[l][k], ps.status[l][k], now_ns, tx, tx_count, ps.packets[l][k].len);
}

void Worker::run(const std::vector<RxQueue>& queues, const std::atomic<bool>& stop) {
    rte_rcu_qsbr* qsbr = table_.qsbr();
    rte_rcu_qsbr_thread_register(qsbr, id_);
    rte_rcu_qsbr_thread_online(qsbr, id_);
    rte_mbuf* rx[kMaxBurst];
    rte_mbuf* tx[2][kMaxBurst];
    uint16_t tx_count[2];
    while (!stop.load(std::memory_order_relaxed)) {
        for (const RxQueue& q : queues) {
            const uint16_t n = rte_eth_rx_burst(q.port_id, q.queue, rx, burst_);
            if (n == 0) {
                counters_.idle_polls.add();
                continue;
            }
            counters_.rx_bursts.add();
            process(rx, n, q, monotonic_ns(), tx, tx_count);
            for (int side = 0; side < 2; ++side) {
                if (tx_count[side] == 0) continue;
                const Egress& e = egress_[side];
                const uint16_t sent = rte_eth_tx_burst(e.port_id, e.tx_queue, tx[side], tx_count[side]);
                counters_.tx_packets.add(sent);
                if (sent < tx_count[side]) [[unlikely]] {
                    counters_.tx_full.add(tx_count[side] - sent);
                    rte_pktmbuf_free_bulk(tx[side] + sent, tx_count[side] - sent);
                }
            }
        }
        if (control_tx_) [[unlikely]] send_control_frames();
        rte_rcu_qsbr_quiescent(qsbr, id_);
    }
    rte_rcu_qsbr_thread_offline(qsbr, id_);
    rte_rcu_qsbr_thread_unregister(qsbr, id_);
}

void Worker::send_control_frames() {
    rte_mbuf* m[16];
    const unsigned n = rte_ring_sc_dequeue_burst(control_tx_, reinterpret_cast<void**>(m), 16, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        const Egress& e = egress_[m[i]->hash.usr == 0 ? 0 : 1];
        if (rte_eth_tx_burst(e.port_id, e.tx_queue, &m[i], 1) == 1) {
            counters_.control_tx.add();
        } else {
            counters_.tx_full.add();
            rte_pktmbuf_free(m[i]);
        }
    }
}

api::WorkerStats Worker::stats(uint32_t lcore) const {
    api::WorkerStats w;
    w.lcore = lcore;
    const WorkerCounters& c = counters_;
    w.rx_packets = c.rx_packets.get();
    w.tx_packets = c.tx_packets.get();
    w.rx_bursts = c.rx_bursts.get();
    w.idle_polls = c.idle_polls.get();
    w.drops_overload = c.tx_full.get() + c.slow_path_full.get();
    w.drops_no_session = c.no_session.get();
    w.drops_fragment = c.frame_errors[static_cast<int>(net::FrameError::fragment)].get();
    w.drops_checksum = c.frame_errors[static_cast<int>(net::FrameError::bad_ip_checksum)].get() +
                       c.frame_errors[static_cast<int>(net::FrameError::bad_udp_checksum)].get();
    uint64_t malformed = c.not_udp.get();
    for (int e = 1; e < net::kFrameErrorCount; ++e) malformed += c.frame_errors[e].get();
    w.drops_malformed = malformed - w.drops_fragment - w.drops_checksum;
    w.slow_path = c.slow_path.get();
    return w;
}

}  // namespace msf::dp
