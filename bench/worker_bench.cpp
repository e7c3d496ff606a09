// The worker's burst path on prepared mbufs, no I/O: TSC ticks per packet for protect+relay
// (core RTP -> UE SRTP) and unprotect+relay (UE SRTP -> core RTP) of 172-byte G.711 packets with
// 1, 10,000 and 1,000,000 sessions, next to raw ipsec-mb doing only the crypto of the same
// packets.
//
// Each burst draws its sessions at random (uniformly), so with many sessions the session, its
// flow counters and its SRTP context are cache misses, as they are on a loaded gateway. Frames are
// written into the mbufs outside the timed region (a NIC would have written them); only
// Worker::process() is timed, with rdtsc, and reported through manual time.
//
// Unprotect needs valid SRTP with fresh indices: every iteration first runs protect+relay
// untimed, then swaps the output frames' addresses (an SRTP packet from the UE to the gateway)
// and times the access-side pass over them. Sessions use the same master key in both
// directions, so session i's to-UE output is valid input for its from-UE context.
//
// "<op>_relay_paired/..." alternates raw ipsec-mb and the worker within each iteration and
// reports x_raw, the ratio of their median ticks per packet: the figure to quote on a shared
// machine.
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/net/checksum.hpp"
#include "dataplane/srtp/ipsec_mb.hpp"
#include "dataplane/worker/worker.hpp"

namespace {

using namespace msf;

constexpr uint32_t kRtpSize = 172;  // 12-byte header + 160 bytes of G.711 (20 ms)
constexpr uint16_t kBurst = 32;
constexpr uint16_t kPairsPerAddress = 25000;  // even ports 10000..59998

rte_mempool* g_pool = nullptr;

net::IpAddr v4(uint32_t host) {
    const uint8_t b[4] = {uint8_t(host >> 24), uint8_t(host >> 16), uint8_t(host >> 8), uint8_t(host)};
    return net::IpAddr::v4(b);
}

struct Fixture {
    uint32_t sessions;
    srtp::Suite suite;
    bool unprotect;
    bool offload;
    std::unique_ptr<dp::SessionTable> table;
    std::unique_ptr<dp::Worker> worker;
    std::vector<uint16_t> next_seq;
    std::vector<api::SessionSpec> specs;
    uint64_t rng = 88172645463325252ull;

    uint32_t pick() {
        if (sessions == 1) return 0;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return static_cast<uint32_t>(rng % sessions);
    }
};

// One fixture per (sessions, suite, direction), built on first use: a million sessions take a
// while. Directions do not share one: the from-UE contexts must see every index the to-UE
// contexts produced, or the ROC they estimate would lag (RFC 3711 §3.3.1 has no way to learn a
// ROC it missed).
Fixture& fixture(uint32_t sessions, srtp::Suite suite, bool unprotect, bool offload) {
    static std::vector<std::unique_ptr<Fixture>> all;
    for (auto& f : all)
        if (f->sessions == sessions && f->suite == suite && f->unprotect == unprotect &&
            f->offload == offload)
            return *f;
    // Keep at most one large fixture alive.
    if (sessions >= 100000)
        std::erase_if(all, [](const auto& f) { return f->sessions >= 100000; });
    auto f = std::make_unique<Fixture>();
    f->sessions = sessions;
    f->suite = suite;
    f->unprotect = unprotect;
    f->offload = offload;
    dp::TableConfig tc;
    tc.max_sessions = sessions;
    tc.max_workers = 2;
    tc.port_min = 10000;
    tc.port_max = 60000;
    const uint32_t addresses = (sessions + kPairsPerAddress - 1) / kPairsPerAddress;
    for (uint32_t a = 0; a < addresses; ++a) {
        tc.access_addresses.push_back(v4(0xC6120000u + a));  // 198.18.0.0/15 (RFC 2544)
        tc.core_addresses.push_back(v4(0xC6130000u + a));
    }
    f->table = std::make_unique<dp::SessionTable>(tc);
    const auto& info = srtp::suite_info(suite);
    for (uint32_t i = 0; i < sessions; ++i) {
        api::SessionSpec s;
        s.id = i + 1;
        const uint16_t port = static_cast<uint16_t>(10000 + 2 * (i % kPairsPerAddress));
        s.access.local = {tc.access_addresses[i / kPairsPerAddress], port};
        s.access.remote = {v4(0xC612F000u + (i % 4000)), static_cast<uint16_t>(30000 + 2 * (i % 10000))};
        s.core.local = {tc.core_addresses[i / kPairsPerAddress], port};
        s.core.remote = {v4(0xC613F001u), static_cast<uint16_t>(20000 + 2 * (i % 20000))};
        s.to_ue.suite = suite;
        s.to_ue.master_key.assign(info.key_len, static_cast<uint8_t>(i));
        s.to_ue.master_salt.assign(info.salt_len, static_cast<uint8_t>(i >> 8));
        s.from_ue = s.to_ue;
        auto r = f->table->add(s, 0);
        if (!r.ok()) {
            std::fprintf(stderr, "session %u: %s\n", i, r.message.c_str());
            std::abort();
        }
        s.to_ue.master_key.clear();
        s.from_ue.master_key.clear();
        f->specs.push_back(std::move(s));
    }
    f->next_seq.assign(sessions, 1);
    const net::MacAddr peer{{0x02, 0, 0, 0, 0, 0x99}};
    std::array<dp::Egress, 2> egress{};
    egress[0].src_mac = net::MacAddr{{0x02, 0, 0, 0, 0, 0x01}};
    egress[1].src_mac = net::MacAddr{{0x02, 0, 0, 0, 0, 0x02}};
    if (offload) egress[0].checksum = egress[1].checksum = net::ChecksumMode::offload_ip_udp;
    // Both sides reach their peers through a router, as a deployed gateway does (the UEs sit
    // behind the mobile core's user plane): the worker resolves the router once per burst.
    egress[0].gateway4 = v4(0xC612FFFEu);
    egress[1].gateway4 = v4(0xC613FFFEu);
    f->worker = std::make_unique<dp::Worker>(
        0, *f->table, [peer](api::Side, const net::IpAddr&) { return std::optional<net::MacAddr>(peer); },
        nullptr, egress, kBurst);
    all.push_back(std::move(f));
    return *all.back();
}

// A core-side RTP frame of session i: core peer -> gateway core address, checksums in software.
void write_core_frame(rte_mbuf* m, const api::SessionSpec& s, uint16_t seq, uint32_t ssrc, bool offload) {
    static uint8_t payload[kRtpSize];
    payload[0] = 0x80;
    payload[1] = 0;  // PCMU
    payload[2] = uint8_t(seq >> 8);
    payload[3] = uint8_t(seq);
    std::memset(payload + 4, 0, 4);
    payload[8] = uint8_t(ssrc >> 24);
    payload[9] = uint8_t(ssrc >> 16);
    payload[10] = uint8_t(ssrc >> 8);
    payload[11] = uint8_t(ssrc);
    for (uint32_t j = 12; j < kRtpSize; ++j) payload[j] = uint8_t(j);

    net::UdpFrameTemplate t;
    t.src_mac = net::MacAddr{{0x02, 0, 0, 0, 0, 0x99}};
    t.dst_mac = net::MacAddr{{0x02, 0, 0, 0, 0, 0x02}};
    t.src = s.core.remote.addr;
    t.src_port = s.core.remote.port;
    t.dst = s.core.local.addr;
    t.dst_port = s.core.local.port;
    m->data_off = RTE_PKTMBUF_HEADROOM;
    uint8_t* dst = rte_pktmbuf_mtod(m, uint8_t*) + net::udp_header_room(t);
    std::memcpy(dst, payload, kRtpSize);
    uint8_t* frame = net::write_udp_headers(dst, kRtpSize, t, net::ChecksumMode::software);
    m->data_off = static_cast<uint16_t>(frame - static_cast<uint8_t*>(m->buf_addr));
    m->data_len = static_cast<uint16_t>(net::udp_header_room(t) + kRtpSize);
    m->pkt_len = m->data_len;
    m->nb_segs = 1;
    // A NIC with receive checksum offload has verified both sums and says so in the flags.
    m->ol_flags = offload ? (RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD) : 0;
}

// Turns an SRTP frame the gateway sent to a UE into that UE's packet to the gateway.
void swap_addresses(rte_mbuf* m, bool offload) {
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    uint8_t tmp[16];
    std::memcpy(tmp, f, 6);
    std::memcpy(f, f + 6, 6);
    std::memcpy(f + 6, tmp, 6);
    uint8_t* ip = f + net::kEthernetHeaderLen;
    std::memcpy(tmp, ip + 12, 4);
    std::memcpy(ip + 12, ip + 16, 4);
    std::memcpy(ip + 16, tmp, 4);
    uint8_t* udp = ip + net::kIpv4HeaderLen;
    std::memcpy(tmp, udp, 2);
    std::memcpy(udp, udp + 2, 2);
    std::memcpy(udp + 2, tmp, 2);
    if (offload) {
        // What the egress NIC would have done with the offloaded sums, then the ingress NIC's
        // verdict: the frame as it would arrive from the UE.
        const uint32_t ip_hdr = net::kIpv4HeaderLen;
        const uint16_t ip_sum = net::ipv4_header_checksum(ip, ip_hdr);
        net::store_be16(ip + 10, ip_sum);
        const uint32_t udp_len = net::load_be16(udp + 4);
        net::store_be16(udp + 6, 0);
        const uint16_t udp_sum = net::udp_checksum(
            net::ipv4_pseudo_header_sum(ip + 12, ip + 16, net::kIpProtoUdp, static_cast<uint16_t>(udp_len)),
            udp, udp_len);
        net::store_be16(udp + 6, udp_sum);
    }
    m->ol_flags = offload ? (RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD) : 0;
}

dp::RxQueue core_queue(bool offload) { return {0, 0, false, true, offload}; }
dp::RxQueue access_queue(bool offload) { return {0, 0, true, false, offload}; }

// Runs protect+relay for one burst of core frames; leaves the SRTP frames in out[side 0].
uint16_t protect_burst(Fixture& f, rte_mbuf* (&out)[2][dp::kMaxBurst], uint16_t (&count)[2],
                       uint64_t* ticks) {
    rte_mbuf* in[kBurst];
    if (rte_pktmbuf_alloc_bulk(g_pool, in, kBurst) != 0) std::abort();
    for (uint16_t k = 0; k < kBurst; ++k) {
        const uint32_t i = f.pick();
        write_core_frame(in[k], f.specs[i], f.next_seq[i]++, i + 1, f.offload);
    }
    const uint64_t t0 = __rdtsc();
    f.worker->process(in, kBurst, core_queue(f.offload), 1, out, count);
    if (ticks) *ticks += __rdtsc() - t0;
    if (count[0] != kBurst || count[1] != 0) {
        std::fprintf(stderr, "protect+relay forwarded %u of %u\n", count[0], kBurst);
        std::abort();
    }
    return count[0];
}

// One protect+relay burst; returns its ticks.
uint64_t timed_protect(Fixture& f) {
    rte_mbuf* out[2][dp::kMaxBurst];
    uint16_t count[2];
    uint64_t t = 0;
    protect_burst(f, out, count, &t);
    rte_pktmbuf_free_bulk(out[0], count[0]);
    return t;
}

// One unprotect+relay burst over SRTP made by an untimed protect+relay burst; returns its ticks,
// or nothing when the worker dropped a packet.
std::optional<uint64_t> timed_unprotect(Fixture& f) {
    rte_mbuf* srtp[2][dp::kMaxBurst];
    rte_mbuf* out[2][dp::kMaxBurst];
    uint16_t scount[2], count[2];
    const uint16_t n = protect_burst(f, srtp, scount, nullptr);
    for (uint16_t k = 0; k < n; ++k) swap_addresses(srtp[0][k], f.offload);
    const uint64_t t0 = __rdtsc();
    f.worker->process(srtp[0], n, access_queue(f.offload), 1, out, count);
    const uint64_t t = __rdtsc() - t0;
    rte_pktmbuf_free_bulk(out[1], count[1]);
    if (count[1] != n) return std::nullopt;
    return t;
}

void BM_protect_relay(benchmark::State& state, srtp::Suite suite) {
    Fixture& f = fixture(static_cast<uint32_t>(state.range(0)), suite, false, state.range(1) != 0);
    uint64_t ticks = 0, packets = 0;
    for (auto _ : state) {
        const auto begin = std::chrono::steady_clock::now();
        ticks += timed_protect(f);
        const auto end = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(end - begin).count());
        packets += kBurst;
    }
    state.SetItemsProcessed(int64_t(packets));
    state.counters["ticks/pkt"] = double(ticks) / double(packets);
}

void BM_unprotect_relay(benchmark::State& state, srtp::Suite suite) {
    Fixture& f = fixture(static_cast<uint32_t>(state.range(0)), suite, true, state.range(1) != 0);
    uint64_t ticks = 0, packets = 0;
    for (auto _ : state) {
        const auto begin = std::chrono::steady_clock::now();
        const std::optional<uint64_t> t = timed_unprotect(f);
        const auto end = std::chrono::steady_clock::now();
        if (!t) {
            state.SkipWithError("unprotect+relay dropped packets");
            break;
        }
        state.SetIterationTime(std::chrono::duration<double>(end - begin).count());
        ticks += *t;
        packets += kBurst;
    }
    state.SetItemsProcessed(int64_t(packets));
    state.counters["ticks/pkt"] = packets ? double(ticks) / double(packets) : 0;
}

// The physical limit: only ipsec-mb's crypto for a burst of the same 172-byte packets, one key
// (hot in the caches however many sessions the worker has).
class RawCrypto {
public:
    explicit RawCrypto(srtp::Suite suite)
        : mgr_(alloc_mb_mgr(0)), gcm_suite_(srtp::suite_info(suite).cipher == srtp::Cipher::aes_gcm) {
        init_mb_mgr_auto(mgr_, nullptr);
        uint8_t key[32] = {1, 2, 3};
        IMB_AES_KEYEXP_128(mgr_, key, enc_, dec_);
        IMB_AES128_GCM_PRE(mgr_, key, &gcm_);
        std::memset(ipad_, 0x36, sizeof(ipad_));
        std::memset(opad_, 0x5c, sizeof(opad_));
        for (uint16_t k = 0; k < kBurst; ++k) {
            IMB_JOB& c = cjobs_[k];
            c.enc_keys = c.dec_keys = enc_;
            c.key_len_in_bytes = 16;
            c.src = pkts_[k];
            c.dst = pkts_[k] + 12;
            c.cipher_start_src_offset_in_bytes = 12;
            c.msg_len_to_cipher_in_bytes = kRtpSize - 12;
            c.iv = iv_[k];
            c.iv_len_in_bytes = 16;
            c.cipher_mode = IMB_CIPHER_CNTR;
            c.cipher_direction = IMB_DIR_ENCRYPT;
            c.hash_alg = IMB_AUTH_NULL;
            c.chain_order = IMB_ORDER_CIPHER_HASH;
            IMB_JOB& h = hjobs_[k];
            h.src = pkts_[k];
            h.hash_start_src_offset_in_bytes = 0;
            h.msg_len_to_hash_in_bytes = kRtpSize + 4;
            h.auth_tag_output = pkts_[k] + kRtpSize;
            h.auth_tag_output_len_in_bytes = 12;
            h.u.HMAC._hashed_auth_key_xor_ipad = ipad_;
            h.u.HMAC._hashed_auth_key_xor_opad = opad_;
            h.hash_alg = IMB_AUTH_HMAC_SHA_1;
            h.cipher_mode = IMB_CIPHER_NULL;
            h.chain_order = IMB_ORDER_HASH_CIPHER;
        }
    }
    ~RawCrypto() { free_mb_mgr(mgr_); }
    RawCrypto(const RawCrypto&) = delete;
    RawCrypto& operator=(const RawCrypto&) = delete;

    // Protects kBurst packets; returns the ticks it took.
    uint64_t burst() {
        const uint64_t t0 = __rdtsc();
        if (gcm_suite_) {
            for (uint16_t k = 0; k < kBurst; ++k)
                IMB_AES128_GCM_ENC(mgr_, &gcm_, &ctx_, pkts_[k] + 12, pkts_[k] + 12, kRtpSize - 12, iv_[k],
                                   pkts_[k], 12, pkts_[k] + kRtpSize, 16);
        } else {
            IMB_SUBMIT_CIPHER_BURST_NOCHECK(mgr_, cjobs_, kBurst, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
                                            IMB_KEY_128_BYTES);
            IMB_SUBMIT_HASH_BURST_NOCHECK(mgr_, hjobs_, kBurst, IMB_AUTH_HMAC_SHA_1);
        }
        const uint64_t t = __rdtsc() - t0;
        benchmark::DoNotOptimize(pkts_);
        return t;
    }

private:
    IMB_MGR* mgr_;
    bool gcm_suite_;
    alignas(16) uint8_t enc_[16 * 15], dec_[16 * 15], ipad_[32], opad_[32];
    alignas(64) gcm_key_data gcm_;
    gcm_context_data ctx_;
    uint8_t pkts_[kBurst][256] = {};
    alignas(16) uint8_t iv_[kBurst][16] = {};
    IMB_JOB cjobs_[kBurst] = {}, hjobs_[kBurst] = {};
};

void BM_raw_ipsec_mb(benchmark::State& state, srtp::Suite suite) {
    auto raw = std::make_unique<RawCrypto>(suite);
    uint64_t ticks = 0, packets = 0;
    for (auto _ : state) {
        const auto begin = std::chrono::steady_clock::now();
        ticks += raw->burst();
        const auto end = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(end - begin).count());
        packets += kBurst;
    }
    state.SetItemsProcessed(int64_t(packets));
    state.counters["ticks/pkt"] = double(ticks) / double(packets);
}

double median(std::vector<double>& v) {
    if (v.empty()) return 0;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
}

// Raw ipsec-mb and the worker in turn, kPairedBursts bursts each per iteration, so that both see
// the same machine: on a shared VM raw ipsec-mb alone moved by a third between runs minutes
// apart (AES-CM 212-317 ticks per packet), more than the code changes being measured. Reports
// each one's median ticks per packet over the iterations and x_raw, worker / raw: the figure the
// targets are set in.
template <class TimedBurst>
void run_paired(benchmark::State& state, srtp::Suite suite, TimedBurst timed_burst) {
    constexpr int kPairedBursts = 4;
    auto raw = std::make_unique<RawCrypto>(suite);
    std::vector<double> raw_ticks, worker_ticks;
    for (auto _ : state) {
        uint64_t r = 0, w = 0;
        for (int b = 0; b < kPairedBursts; ++b) r += raw->burst();
        for (int b = 0; b < kPairedBursts; ++b) {
            const std::optional<uint64_t> t = timed_burst();
            if (!t) {
                state.SkipWithError("the worker dropped packets");
                return;
            }
            w += *t;
        }
        raw_ticks.push_back(double(r) / (kPairedBursts * kBurst));
        worker_ticks.push_back(double(w) / (kPairedBursts * kBurst));
    }
    const double r = median(raw_ticks), w = median(worker_ticks);
    state.counters["raw_ticks/pkt"] = r;
    state.counters["ticks/pkt"] = w;
    state.counters["x_raw"] = r > 0 ? w / r : 0;
}

void BM_protect_relay_paired(benchmark::State& state, srtp::Suite suite) {
    Fixture& f = fixture(static_cast<uint32_t>(state.range(0)), suite, false, state.range(1) != 0);
    run_paired(state, suite, [&f]() -> std::optional<uint64_t> { return timed_protect(f); });
}

void BM_unprotect_relay_paired(benchmark::State& state, srtp::Suite suite) {
    Fixture& f = fixture(static_cast<uint32_t>(state.range(0)), suite, true, state.range(1) != 0);
    run_paired(state, suite, [&f] { return timed_unprotect(f); });
}

// The dataplane control thread's share of one install and one removal, no socket and no
// worker: SessionTable::add (KDF, key schedules, key fingerprints, port and id indexes), then
// remove and reclaim (keys wiped, contexts freed).
void BM_session_add_remove(benchmark::State& state, srtp::Suite suite) {
    dp::TableConfig tc;
    tc.max_sessions = 1024;
    tc.max_workers = 1;
    tc.port_min = 10000;
    tc.port_max = 60000;
    tc.access_addresses.push_back(v4(0xC6120000u));
    tc.core_addresses.push_back(v4(0xC6130000u));
    dp::SessionTable table(tc);
    const auto& info = srtp::suite_info(suite);
    api::SessionSpec s;
    s.access.local = {tc.access_addresses[0], 10000};
    s.access.remote = {v4(0xC612F000u), 30000};
    s.core.local = {tc.core_addresses[0], 10000};
    s.core.remote = {v4(0xC613F001u), 20000};
    uint64_t id = 0;
    for (auto _ : state) {
        s.id = ++id;
        s.to_ue.suite = s.from_ue.suite = suite;
        s.to_ue.master_key.assign(info.key_len, static_cast<uint8_t>(id));
        s.to_ue.master_salt.assign(info.salt_len, static_cast<uint8_t>(id >> 8));
        s.from_ue.master_key.assign(info.key_len, static_cast<uint8_t>(id + 1));
        s.from_ue.master_salt.assign(info.salt_len, static_cast<uint8_t>(id >> 16));
        if (!table.add(s, 0).ok() || !table.remove(s.id).ok()) {
            state.SkipWithError("session add or remove failed");
            break;
        }
        table.reclaim();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
    // Hugepages when the machine has them (packet memory then costs fewer TLB misses).
    std::vector<std::string> eal = {"msf-worker-bench", "--no-pci", "--no-shconf", "--log-level=error"};
    FILE* hp = std::fopen("/proc/sys/vm/nr_hugepages", "r");
    long pages = 0;
    if (hp) {
        if (std::fscanf(hp, "%ld", &pages) != 1) pages = 0;
        std::fclose(hp);
    }
    if (pages >= 128) {
        eal.push_back("--in-memory");
    } else {
        eal.insert(eal.end(), {"--no-huge", "-m", "256"});
    }
    std::vector<char*> eal_argv;
    for (auto& a : eal) eal_argv.push_back(a.data());
    if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) {
        std::fprintf(stderr, "rte_eal_init failed\n");
        return 1;
    }
    std::fprintf(stderr, "worker bench: %s\n", pages >= 128 ? "hugepages" : "no hugepages");
    g_pool = rte_pktmbuf_pool_create("bench", 4096, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!g_pool) return 1;

    for (auto [suite, name] : {std::pair{srtp::Suite::aes_cm_128_hmac_sha1_80, "AES_CM_128_HMAC_SHA1_80"},
                               std::pair{srtp::Suite::aead_aes_128_gcm, "AEAD_AES_128_GCM"}}) {
        const std::string n = name;
        benchmark::RegisterBenchmark(("raw_ipsec_mb/" + n + "/172").c_str(), BM_raw_ipsec_mb, suite)
            ->UseManualTime();
        benchmark::RegisterBenchmark(("session_add_remove/" + n).c_str(), BM_session_add_remove, suite);
        // offload 0: checksums in software (vdevs); 1: the NIC verifies and fills them.
        for (int64_t offload : {0, 1}) {
            for (int64_t sessions : {1, 10000, 1000000}) {
                benchmark::RegisterBenchmark(("protect_relay/" + n + "/172").c_str(), BM_protect_relay, suite)
                    ->Args({sessions, offload})->ArgNames({"sessions", "offload"})->UseManualTime();
                benchmark::RegisterBenchmark(("unprotect_relay/" + n + "/172").c_str(), BM_unprotect_relay, suite)
                    ->Args({sessions, offload})->ArgNames({"sessions", "offload"})->UseManualTime();
            }
        }
        // The targets' figure: worker / raw ipsec-mb measured in turn (NIC checksum offload).
        for (int64_t sessions : {1, 10000, 1000000}) {
            benchmark::RegisterBenchmark(("protect_relay_paired/" + n + "/172").c_str(), BM_protect_relay_paired, suite)
                ->Args({sessions, 1})->ArgNames({"sessions", "offload"});
            benchmark::RegisterBenchmark(("unprotect_relay_paired/" + n + "/172").c_str(), BM_unprotect_relay_paired, suite)
                ->Args({sessions, 1})->ArgNames({"sessions", "offload"});
        }
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    rte_eal_cleanup();
    return 0;
}
