// libFuzzer target for the worker's parser and classifier: hostile frames go through
// Worker::process() on the access side, the core side or one queue for both, against a table of
// six sessions (one per suite; see worker_fuzz_input.hpp for the input format and the sessions).
// The EAL starts once, in LLVMFuzzerInitialize; sessions, their SRTP state and latches persist
// between inputs unless an input asks for a reset.
//
// Checked beyond "does not crash": no burst hands out more frames than it took; every frame sent
// lies inside its mbuf, is one segment, parses back (dataplane/net's parser, checksums verified
// where the egress computed them) as UDP from one of the gateway's addresses on that side to the
// MAC the neighbour table gave for its destination, with the egress's VLAN tag; and after each
// burst every mbuf is back in the pool (what the worker sent is freed here, the slow-path ring is
// drained), so nothing leaked and nothing was freed twice. MSF_FUZZ_STATS=1 prints the workers'
// counters at exit, to see which paths a corpus reaches.
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/net/frame.hpp"
#include "dataplane/worker/worker.hpp"
#include "tests/fuzz/worker_fuzz_input.hpp"

namespace {

using namespace msf;
using namespace msf::dp;
using namespace msf::dp::fuzz;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "worker_fuzz: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok) fail(what);
}

// The verdicts a NIC with RX checksum offload writes, in the order of the input's flag bits.
constexpr std::array<uint64_t, 4> kRxIpVerdicts = {RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_IP_CKSUM_BAD,
                                                   RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_NONE};
constexpr std::array<uint64_t, 4> kRxL4Verdicts = {RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_BAD,
                                                   RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_NONE};

constexpr unsigned kPoolSize = 511;  // a burst, the ring, and room to spare
constexpr unsigned kRingSize = 8;    // small, so inputs with many ARP frames fill it

struct Gateway {
    rte_mempool* pool = nullptr;
    rte_ring* slow_path = nullptr;
    std::unique_ptr<SessionTable> table;
    std::array<std::array<Egress, 2>, 2> egress{};  // [offload][side]
    std::unique_ptr<Worker> workers[2];             // software egress, offload egress
    std::vector<api::SessionSpec> sessions;

    void add_sessions() {
        for (const api::SessionSpec& s : sessions) {
            const TableResult r = table->add(s, 0);
            if (!r.ok()) {
                std::fprintf(stderr, "worker_fuzz: session %llu: %s\n",
                             static_cast<unsigned long long>(s.id), r.message.c_str());
                std::abort();
            }
        }
    }
    void reset_sessions() {
        for (const api::SessionSpec& s : sessions) check(table->remove(s.id).ok(), "remove failed");
        // No reader is registered with the table's QSBR: everything retired is free at once.
        table->reclaim();
        check(table->pending_reclaim() == 0, "retired sessions were not reclaimed");
        add_sessions();
    }
};

Gateway* g_gateway = nullptr;

void print_stats() {
    if (!g_gateway || !std::getenv("MSF_FUZZ_STATS")) return;
    for (const auto& w : g_gateway->workers) {
        const WorkerCounters& c = w->counters();
        std::fprintf(stderr, "worker %u: rx %llu unprotected %llu protected %llu crypto_failed %llu no_session %llu "
                     "not_udp %llu slow_path %llu slow_path_full %llu no_neighbour %llu no_ue_address %llu "
                     "no_headroom %llu\n  frame errors:", w->id(),
                     static_cast<unsigned long long>(c.rx_packets.get()), static_cast<unsigned long long>(c.unprotected.get()),
                     static_cast<unsigned long long>(c.protected_.get()), static_cast<unsigned long long>(c.crypto_failed.get()),
                     static_cast<unsigned long long>(c.no_session.get()), static_cast<unsigned long long>(c.not_udp.get()),
                     static_cast<unsigned long long>(c.slow_path.get()), static_cast<unsigned long long>(c.slow_path_full.get()),
                     static_cast<unsigned long long>(c.no_neighbour.get()), static_cast<unsigned long long>(c.no_ue_address.get()),
                     static_cast<unsigned long long>(c.no_headroom.get()));
        for (int e = 1; e < net::kFrameErrorCount; ++e)
            std::fprintf(stderr, " %s=%llu", std::string(net::frame_error_name(static_cast<net::FrameError>(e))).c_str(),
                         static_cast<unsigned long long>(c.frame_errors[e].get()));
        std::fprintf(stderr, "\n");
    }
}

std::optional<net::MacAddr> next_hop(api::Side side, const net::IpAddr& dst) {
    if (dst == kUnresolved) return std::nullopt;
    return next_hop_mac(side, dst);
}

unsigned in_use(const Gateway& g) { return kPoolSize - rte_mempool_avail_count(g.pool); }

bool is_local(const Gateway& g, api::Side side, const net::IpAddr& a) {
    (void)g;
    return side == api::Side::access ? (a == kAccessV4 || a == kAccessV6) : (a == kCoreV4 || a == kCoreV6);
}

void check_sent(const Gateway& g, rte_mbuf* m, api::Side side, bool offload) {
    check(m->nb_segs == 1 && m->next == nullptr, "sent a chained mbuf");
    check(m->pkt_len == m->data_len, "pkt_len differs from data_len");
    check(uint32_t{m->data_off} + m->data_len <= m->buf_len, "frame beyond its mbuf");
    const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    // Offloaded sums are the NIC's to finish: only software sums are verified.
    const net::ParseOptions opt{!offload, !offload};
    net::ParsedFrame pf;
    check(net::parse_frame(frame, m->data_len, opt, pf) == net::FrameError::none, "a sent frame does not parse");
    check(pf.kind == net::FrameKind::udp, "a sent frame is not UDP");
    check(pf.payload_offset + pf.payload_len == m->data_len, "UDP length is not the frame's");
    check(is_local(g, side, pf.src_addr()), "sent from an address that is not the gateway's on that side");
    const Egress& e = g.egress[offload][static_cast<int>(side)];
    check(std::memcmp(frame + 6, e.src_mac.bytes.data(), 6) == 0, "wrong source MAC");
    check(std::memcmp(frame, next_hop_mac(side, pf.dst_addr()).bytes.data(), 6) == 0,
          "destination MAC is not the next hop of the destination address");
    check(pf.has_vlan == e.has_vlan && (!e.has_vlan || pf.vlan_tci == e.vlan_tci), "wrong VLAN tag");
    check(pf.ttl == 64, "TTL is not 64");
}

void run_burst(Gateway& g, const std::vector<std::pair<const uint8_t*, uint32_t>>& frames,
               const RxQueue& queue, uint64_t rx_flags, bool offload) {
    if (frames.empty()) return;
    rte_mbuf* in[kMaxBurst];
    const auto n = static_cast<uint16_t>(frames.size());
    if (rte_pktmbuf_alloc_bulk(g.pool, in, n) != 0) fail("mbuf pool exhausted: an earlier burst leaked");
    for (uint16_t i = 0; i < n; ++i) {
        char* dst = rte_pktmbuf_append(in[i], static_cast<uint16_t>(frames[i].second));
        check(dst != nullptr || frames[i].second == 0, "frame does not fit an mbuf");
        if (frames[i].second) std::memcpy(dst, frames[i].first, frames[i].second);
        in[i]->ol_flags = rx_flags;
    }
    rte_mbuf* tx[2][kMaxBurst];
    uint16_t count[2] = {0xffff, 0xffff};
    static uint64_t now = 1'000'000'000;
    now += 20'000'000;
    g.workers[offload]->process(in, n, queue, now, tx, count);
    check(count[0] <= n && count[1] <= n && count[0] + count[1] <= n, "more frames out than in");
    for (int side = 0; side < 2; ++side) {
        for (uint16_t i = 0; i < count[side]; ++i) {
            check_sent(g, tx[side][i], static_cast<api::Side>(side), offload);
            rte_pktmbuf_free(tx[side][i]);
        }
    }
    void* m;
    while (rte_ring_dequeue(g.slow_path, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    check(in_use(g) == 0, "an mbuf was leaked or freed twice");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    const char* eal[] = {"worker_fuzz", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
                         "-m", "128", "--log-level=error"};
    if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) fail("rte_eal_init failed");
    auto* g = new Gateway();
    // No per-lcore cache: the pool's count is exact, so a leak or a double free shows at once.
    g->pool = rte_pktmbuf_pool_create("worker_fuzz", kPoolSize, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    g->slow_path = rte_ring_create("worker_fuzz_slow", kRingSize, SOCKET_ID_ANY, RING_F_SC_DEQ);
    check(g->pool && g->slow_path, "mempool or ring creation failed");

    TableConfig tc;
    tc.max_sessions = 16;
    tc.max_workers = 2;
    tc.access_addresses = {kAccessV4, kAccessV6};
    tc.core_addresses = {kCoreV4, kCoreV6};
    tc.port_min = 10000;
    tc.port_max = 60000;
    g->table = std::make_unique<SessionTable>(tc);
    g->sessions = fuzz_sessions();
    g->add_sessions();

    for (int offload = 0; offload < 2; ++offload) {
        auto& e = g->egress[offload];
        e[0].port_id = 0;
        e[0].src_mac = kAccessMac;
        e[1].port_id = 1;
        e[1].src_mac = kCoreMac;
        if (offload) {
            e[0].checksum = net::ChecksumMode::offload_ip_udp;
            e[1].checksum = net::ChecksumMode::offload_ip;
            for (Egress& side : e) {
                side.has_vlan = true;
                side.vlan_tci = kEgressVlanTci;
            }
        }
        g->workers[offload] = std::make_unique<Worker>(static_cast<uint32_t>(offload), *g->table, next_hop,
                                                       g->slow_path, e, kMaxBurst);
    }
    g_gateway = g;
    std::atexit(print_stats);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    Gateway& g = *g_gateway;
    const uint8_t flags = data[0];
    if (flags & kFlagReset) g.reset_sessions();

    RxQueue queue;
    switch (flags & kQueueMask) {
        case kQueueAccess: queue = {0, 0, true, false, false}; break;
        case kQueueCore: queue = {1, 0, false, true, false}; break;
        case kQueueShared: queue = {0, 0, true, true, false}; break;
        default: queue = {0, 0, true, true, true}; break;
    }
    const uint64_t rx_flags = queue.rx_checksum_offload
                                  ? kRxIpVerdicts[(flags >> kRxIpShift) & 3] | kRxL4Verdicts[(flags >> kRxL4Shift) & 3]
                                  : 0;
    const bool offload = flags & kFlagOffloadEgress;

    std::vector<std::pair<const uint8_t*, uint32_t>> burst;
    burst.reserve(kMaxBurst);
    size_t at = 1;
    while (at + kFrameHeader <= size) {
        uint32_t len = (uint32_t{data[at]} << 8 | data[at + 1]) % (kMaxFrameLen + 1);
        at += kFrameHeader;
        if (len > size - at) len = static_cast<uint32_t>(size - at);
        if (len == 0) {
            run_burst(g, burst, queue, rx_flags, offload);
            burst.clear();
            continue;
        }
        burst.emplace_back(data + at, len);
        at += len;
        if (burst.size() == kMaxBurst) {
            run_burst(g, burst, queue, rx_flags, offload);
            burst.clear();
        }
    }
    run_burst(g, burst, queue, rx_flags, offload);
    return 0;
}
