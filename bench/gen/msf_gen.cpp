// msf-gen: the DPDK traffic generator and receiver of the end-to-end benchmark (issue 6). Its
// lcores send and receive on two ports: the access port faces the gateway's access side (we are
// the UEs), the core port its core side (we are the core peers). Modes, payload and the
// command line: gen_options.hpp, payload.hpp, bench/gen/README.md.
//
// The loop: pace the offered packets by TSC (a total rate, round-robin over the streams), poll
// both ports, answer ARP / ND for every address we impersonate, reflect (hairpin) or verify
// (protect) what the gateway sends toward the UEs, and check every RTP packet that leaves the
// gateway's core side byte for byte. After the counted window, sending stops and the receive
// side drains until the gateway has been quiet for a while.
//
// --serve: the set-up above happens once, then each JSON request line on stdin runs one trial
// (trial_request.hpp) and gets its report line. A benchmark runs all its trials over one
// process, so the gateway's memif peer never disconnects while the gateway polls (DPDK 22.11's
// memif_disconnect() unmaps the rings under a running rx burst: bench/README.md).
//
// --queues N: every port has N rx and N tx queues. Stream s always sends on queue s % N and a
// reflection leaves on the queue it arrived on, so each direction of each stream stays on one
// gateway worker (memif has no RSS: our queue i is its rx queue i).
//
// --lcores with K lcores (K <= N): each lcore is a lane (lane_plan.hpp) owning queues q with
// q % K == its index and the streams on them; it sends, polls, reflects and counts only those,
// into its own receiver, histogram and counters, so nothing is shared per packet. Set-up (ARP/ND,
// latching) runs on the main lcore alone before the lanes start; the main lcore is lane 0 and
// also reads --serve's stdin. A trial (trial_sync.hpp): the main lcore publishes the settings,
// every lane drains, meets the others at the start barrier, runs the trial and keeps a copy of
// its result; once all are done the main lcore merges them (report.hpp merge_lane_result).
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench/gen/calls_file.hpp"
#include "bench/gen/export_pcap.hpp"
#include "bench/gen/gen_options.hpp"
#include "bench/gen/lane_plan.hpp"
#include "bench/gen/payload.hpp"
#include "bench/gen/received_frame.hpp"
#include "bench/gen/receiver.hpp"
#include "bench/gen/reflector.hpp"
#include "bench/gen/report.hpp"
#include "bench/gen/sequence_state.hpp"
#include "bench/gen/srtp_stream.hpp"
#include "bench/gen/trial_request.hpp"
#include "bench/gen/trial_sync.hpp"
#include "dataplane/neigh/address_kinds.hpp"
#include "dataplane/neigh/arp.hpp"
#include "dataplane/neigh/ndisc.hpp"
#include "dataplane/net/frame.hpp"
#include "dataplane/net/udp_frame.hpp"
#include "drivers/eal.hpp"
#include "drivers/port.hpp"

namespace msf::gen {
namespace {

constexpr uint16_t kBurst = 32;
constexpr unsigned kPoolSize = 16383;
constexpr double kResolveTimeoutS = 10;
constexpr double kDrainQuietS = 0.1;  // the gateway said nothing for this long: all is back
constexpr double kDrainMaxS = 2;
constexpr int kServeIdlePollMs = 10;  // --serve between requests: answer ARP/ND this often
constexpr uint32_t kMaxSequenceJump = 1u << 15;  // RFC 3711 §3.3.1 index estimate

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// An exact (address, port) key for the receive lookups.
struct EndpointKey {
    std::array<uint8_t, 16> addr{};
    uint16_t port = 0;
    net::Family family = net::Family::none;
    bool operator==(const EndpointKey&) const = default;
};
EndpointKey key_of(const net::Endpoint& e) { return {e.addr.bytes, e.port, e.addr.family}; }
EndpointKey key_of(net::Family family, const uint8_t* ip, uint16_t port) {
    EndpointKey k;
    std::memcpy(k.addr.data(), ip, family == net::Family::ipv4 ? 4 : 16);
    k.port = port;
    k.family = family;
    return k;
}
struct EndpointHash {
    size_t operator()(const EndpointKey& k) const {
        uint64_t a, b;
        std::memcpy(&a, k.addr.data(), 8);
        std::memcpy(&b, k.addr.data() + 8, 8);
        uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + 0x632be59bd9b4e019ull) ^ (uint64_t{k.port} << 32);
        h ^= h >> 29;
        return static_cast<size_t>(h * 0xbf58476d1ce4e5b9ull);
    }
};
using EndpointMap = std::unordered_map<EndpointKey, uint32_t, EndpointHash>;

struct IpHash {
    size_t operator()(const net::IpAddr& a) const { return EndpointHash{}(key_of(net::Endpoint{a, 0})); }
};

// One side of the wire: the port, the addresses we answer for, the gateway's MACs by IP.
struct Side {
    const char* name = "";
    std::unique_ptr<drivers::Port> port;
    std::unordered_set<net::IpAddr, IpHash> ours;          // impersonated: we answer ARP / NS
    std::unordered_map<net::IpAddr, net::MacAddr, IpHash> gateway;  // resolved MSF addresses
    net::IpAddr any_v4, any_v6;  // a source for our ARP requests / NS
};

// One stream: what is sent, where it comes back, its sequence number. Written only by the lane
// that owns it; a cache line of its own so lanes do not share lines.
struct alignas(64) Stream {
    uint32_t flow = 0;              // the stamp's session field; its SSRC is session_ssrc(flow)
    net::UdpFrameTemplate tx;       // core leg (hairpin, protect) or access leg (unprotect)
    net::UdpFrameTemplate reflect;  // hairpin: B's UE to B's MSF access address
    uint32_t next_seq = 0;
    uint16_t queue = 0;             // the tx queue this stream always uses (index % --queues)
    uint16_t lane = 0;              // the lane owning that queue
    uint32_t local = 0;             // its index in the lane's streams and receiver
    uint32_t first_counted_seq = 0; // next_seq when the counted window began
    std::unique_ptr<SrtpStream> sender;    // unprotect: protects what we send
    std::unique_ptr<SrtpStream> verifier;  // protect: unprotects the samples (made on the first)
    uint32_t highest_srtp_seq = 0;     // protect: extended RTP sequence of the clear header
    bool any_srtp = false;
};

// What one lane (lcore) owns and counts. Only its lcore touches it during a trial; `report` is
// the copy the main lcore merges after the lane said it is done.
struct alignas(64) LaneState {
    Lane plan;
    unsigned lcore = 0;
    Receiver receiver{0};  // indexed by Stream::local
    RunResult result;      // this lane's part of the running trial
    RunResult report;      // its part of the last finished trial
    uint32_t next_stream = 0;  // round-robin position in plan.streams
    uint64_t protect_seen = 0;
    bool counting = false;
};

class Generator;
struct LaneLaunch {
    Generator* generator;
    size_t lane;
};

class Generator {
public:
    Generator(GenOptions options, std::vector<GenSession> sessions)
        : o_(std::move(options)), sessions_(std::move(sessions)) {}

    int run() {
        std::string error;
        const bool ready = plan(&error) && start_ports(&error) && resolve_gateways(&error) && build_templates(&error) &&
                           latch_ues(&error);
        if (latched_) save_sequences();  // the latch spent UE->network indexes
        if (!ready) {
            std::fprintf(stderr, "msf-gen: %s\n", error.c_str());
            return 1;
        }
        learning_ = false;  // the templates are built: the lanes only answer ARP/ND from now on
        if (!start_lanes(&error)) {
            std::fprintf(stderr, "msf-gen: %s\n", error.c_str());
            return 1;
        }
        if (o_.serve) {
            serve();
            stop_lanes();
            return 0;
        }
        run_trial(false);
        stop_lanes();
        if (o_.json) std::printf("%s\n", format_result_json(result_).c_str());
        else std::printf("%s", format_result_text(result_).c_str());
        std::fflush(stdout);
        return 0;
    }

    // One trial per request line until EOF or a signal. Sessions continue their sequence
    // numbers (and so their SRTP indexes) from trial to trial in memory; FILE.seq is written
    // after each so a later one-shot run resumes too.
    int serve() {
        std::string pending;     // bytes of the line not yet complete
        bool over_long = false;  // discarding the rest of a line past kMaxRequestLine
        for (;;) {
            const size_t newline = pending.find('\n');
            if (newline == std::string::npos) {
                if (pending.size() > kMaxRequestLine) {
                    pending.clear();
                    if (!over_long) answer(format_trial_error("request longer than " +
                                                              std::to_string(kMaxRequestLine) + " bytes"));
                    over_long = true;
                }
                if (g_stop || !read_stdin(pending)) break;
                continue;
            }
            const std::string line = pending.substr(0, newline);
            pending.erase(0, newline + 1);
            if (over_long) {  // the tail of a refused line
                over_long = false;
                continue;
            }
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            const auto request = parse_trial_request(line, trial_settings(o_));
            if (!request) {
                answer(format_trial_error(request.error().message));
                continue;
            }
            apply_trial(*request);
            run_trial(true);
            if (g_stop) {
                answer(format_trial_error("interrupted"));
                break;
            }
            answer(format_result_json(result_));
        }
        return 0;
    }

    void answer(const std::string& line) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    }

    // Appends what stdin has; false at EOF or an error. While no request comes, the ports are
    // polled every kServeIdlePollMs so the gateway's ARP / ND questions about our addresses
    // are answered (a neighbour entry that went stale would cost the next trial packets).
    bool read_stdin(std::string& pending) {
        for (;;) {
            if (g_stop) return false;
            pollfd in{STDIN_FILENO, POLLIN, 0};
            const int ready = ::poll(&in, 1, kServeIdlePollMs);
            if (ready < 0 && errno != EINTR) return false;
            if (ready <= 0) {
                poll_lane(lanes_[0], rte_rdtsc());
                continue;
            }
            char buffer[4096];
            const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            pending.append(buffer, static_cast<size_t>(n));
            return true;
        }
    }

    void apply_trial(const TrialSettings& t) {
        o_.rate = t.rate;
        o_.size = t.size;
        o_.duration_s = t.duration_s;
        o_.warmup_s = t.warmup_s;
    }

    // One trial on every lane, this (main) lcore being lane 0; the lanes' results merged into
    // result_. drain_first (a server's trial): what is still in flight from the last trial is
    // received and discarded first.
    void run_trial(bool drain_first) {
        split_rate(plans_, streams_.size(), o_.rate);
        for (size_t i = 0; i < lanes_.size(); ++i) lanes_[i].plan.rate = plans_[i].rate;
        result_.size = o_.size;
        result_.offered_pps = o_.rate;
        result_.duration_s = 0;
        result_.totals = {};
        result_.latency.clear();
        result_.tx_ring_full = result_.reflect_dropped = result_.unexpected = result_.verified = 0;
        drain_first_ = drain_first;
        sync_->publish();  // the settings above go with it
        run_lane_trial(lanes_[0]);
        sync_->finish();
        sync_->wait_done();
        for (const LaneState& lane : lanes_) merge_lane_result(result_, lane.report);
        save_sequences();
    }

    // A worker lcore's life: a trial each time the generation moves, otherwise idle, polling its
    // queues every kServeIdlePollMs (ARP/ND answered, stragglers freed), until stop_lanes().
    void lane_loop(size_t index) {
        LaneState& lane = lanes_[index];
        uint32_t seen = 0;
        uint64_t next_poll = 0;
        while (!quit_.load(std::memory_order_acquire)) {
            const uint32_t generation = sync_->generation();
            if (generation != seen) {
                seen = generation;
                run_lane_trial(lane);
                sync_->finish();
                continue;
            }
            const uint64_t now = rte_rdtsc();
            if (now >= next_poll) {
                poll_lane(lane, now);
                next_poll = now + hz_ * kServeIdlePollMs / 1000;
            }
            rte_pause();
        }
    }

    static int lane_main(void* arg) {
        const auto* launch = static_cast<const LaneLaunch*>(arg);
        launch->generator->lane_loop(launch->lane);
        return 0;
    }

    bool start_lanes(std::string* error) {
        launches_.resize(lanes_.size());
        for (size_t i = 1; i < lanes_.size(); ++i) {
            launches_[i] = {this, i};
            if (rte_eal_remote_launch(lane_main, &launches_[i], lanes_[i].lcore) != 0) {
                *error = "cannot start lane " + std::to_string(i) + " on lcore " + std::to_string(lanes_[i].lcore);
                return false;  // the destructor stops the lanes already running
            }
            ++launched_;
        }
        return true;
    }

    void stop_lanes() {
        quit_.store(true, std::memory_order_release);
        if (launched_ > 0) rte_eal_mp_wait_lcore();
        launched_ = 0;
    }

    // One lane's part of a trial: drain (a server's trial), zero its counters, wait for every
    // lane at the barrier so the counted windows coincide, run, keep a copy for the merge.
    void run_lane_trial(LaneState& lane) {
        if (drain_first_) drain(lane);
        lane.receiver = Receiver(lane.plan.streams.size());
        lane.result.duration_s = 0;
        lane.result.totals = {};
        lane.result.latency.clear();
        lane.result.tx_ring_full = lane.result.reflect_dropped = lane.result.unexpected = lane.result.verified = 0;
        lane.counting = false;
        sync_->arrive_and_wait(g_stop);
        traffic(lane);
        lane.report = lane.result;
    }

    ~Generator() {
        stop_lanes();
        access_.port.reset();
        core_.port.reset();
        if (eal_started_) drivers::stop_eal();  // after every port is closed
    }

private:
    GenOptions o_;
    std::vector<GenSession> sessions_;
    std::vector<HairpinPair> pairs_;
    std::vector<Stream> streams_;
    EndpointMap access_rx_;  // destination on the access side -> stream
    EndpointMap core_rx_;    // destination on the core side -> stream
    Side access_, core_;
    rte_mempool* pool_ = nullptr;
    RunResult result_;  // the merged trial
    uint64_t hz_ = 0;
    std::vector<Lane> plans_;
    std::vector<LaneState> lanes_;  // lane 0 is the main lcore
    std::vector<LaneLaunch> launches_;
    size_t launched_ = 0;
    bool learning_ = true;     // set-up: ARP/ND answers teach us the gateway's MACs
    bool drain_first_ = false; // the running trial drains first (written before the generation moves)
    std::unique_ptr<TrialSync> sync_;      // one per lane plan
    std::atomic<bool> quit_{false};
    SequenceState sequences_{0, 0};
    bool eal_started_ = false;
    bool latched_ = false;

    std::string sequence_path() const { return o_.calls + ".seq"; }

    // The gateway binds each SRTP direction to the first SSRC it sees (RFC 3711 §3.2.3: a crypto
    // context per SSRC), so every direction keeps one SSRC in every mode and run: the
    // network->UE direction of session s is flow 2s, the UE->network one 2s+1, except that a
    // hairpin B's UE->network direction carries its A's network->UE packets: flow 2a.
    std::vector<uint32_t> from_ue_flow_;
    static uint32_t to_ue_flow(size_t session) { return static_cast<uint32_t>(2 * session); }

    // Each direction resumes where this run left it (sequence_state.hpp).
    void save_sequences() {
        for (size_t i = 0; i < streams_.size(); ++i) {
            const uint32_t next = streams_[i].next_seq;
            if (o_.mode == GenMode::hairpin) {
                sequences_.to_ue(pairs_[i].a) = next;
                sequences_.from_ue(pairs_[i].b) = next;
            } else if (o_.mode == GenMode::protect) {
                sequences_.to_ue(i) = next;
            } else {
                sequences_.from_ue(i) = next;
            }
        }
        std::string error;
        if (!sequences_.save(sequence_path(), &error))
            std::fprintf(stderr, "msf-gen: warning: cannot keep the sequence numbers (%s): the next run over these "
                                 "sessions starts again at 0 and the gateway drops it as replays\n",
                         error.c_str());
    }

    // ---- set-up ----

    bool plan(std::string* error) {
        if (o_.mode == GenMode::hairpin) {
            auto pairs = hairpin_pairs(sessions_);
            if (!pairs) {
                *error = o_.calls + ": " + pairs.error().message;
                return false;
            }
            pairs_ = std::move(pairs.value());
        }
        for (const GenSession& s : sessions_) {
            if (s.ue.addr.is_v6() != o_.ipv6 || s.core.addr.is_v6() != o_.ipv6) {
                *error = o_.calls + ": the calls are " + (s.ue.addr.is_v6() ? "IPv6" : "IPv4") +
                         (o_.ipv6 ? ", --ipv6 says IPv6" : "; give --ipv6 for IPv6 calls");
                return false;
            }
            access_.ours.insert(s.ue.addr);
            core_.ours.insert(s.core.addr);
            access_.gateway.emplace(s.msf_access.addr, net::MacAddr{});
            core_.gateway.emplace(s.msf_core.addr, net::MacAddr{});
            (s.ue.addr.is_v4() ? access_.any_v4 : access_.any_v6) = s.ue.addr;
            (s.core.addr.is_v4() ? core_.any_v4 : core_.any_v6) = s.core.addr;
        }
        from_ue_flow_.resize(sessions_.size());
        for (size_t i = 0; i < sessions_.size(); ++i) from_ue_flow_[i] = static_cast<uint32_t>(2 * i + 1);
        if (auto paired = hairpin_pairs(sessions_); paired.ok())
            for (const HairpinPair& p : *paired) from_ue_flow_[p.b] = to_ue_flow(p.a);
        sequences_ = SequenceState::load(sequence_path(), calls_fingerprint(sessions_), sessions_.size());
        const size_t count = o_.mode == GenMode::hairpin ? pairs_.size() : sessions_.size();
        streams_.resize(count);
        result_.mode = std::string(gen_mode_name(o_.mode));
        result_.sessions = count;
        result_.size = o_.size;
        result_.offered_pps = o_.rate;
        result_.gateway_ops_per_packet = o_.mode == GenMode::hairpin ? 2 : 1;
        return true;
    }

    // Lane 0 on the main lcore, then one per worker lcore in EAL order; each stream learns its
    // lane and its index there.
    bool plan_lanes_over_lcores(std::string* error) {
        const size_t lcores = rte_lcore_count();
        if (const auto refused = lanes_error(o_.queues, lcores)) {
            *error = *refused + " (--lcores " + o_.lcores + ")";
            return false;
        }
        plans_ = plan_lanes(streams_.size(), o_.queues, lcores, o_.rate);
        lanes_ = std::vector<LaneState>(lcores);
        sync_ = std::make_unique<TrialSync>(lcores);
        lanes_[0].lcore = rte_get_main_lcore();
        size_t next = 1;
        unsigned lcore;
        RTE_LCORE_FOREACH_WORKER(lcore) {
            if (next < lanes_.size()) lanes_[next++].lcore = lcore;
        }
        for (size_t i = 0; i < lanes_.size(); ++i) {
            lanes_[i].plan = plans_[i];
            lanes_[i].receiver = Receiver(plans_[i].streams.size());
            for (size_t k = 0; k < plans_[i].streams.size(); ++k) {
                Stream& st = streams_[plans_[i].streams[k]];
                st.lane = static_cast<uint16_t>(i);
                st.local = static_cast<uint32_t>(k);
            }
        }
        return true;
    }

    bool start_ports(std::string* error) {
        const std::string prefix = o_.file_prefix.empty() ? "msf-gen-" + std::to_string(::getpid()) : o_.file_prefix;
        std::vector<std::string> args = {"msf-gen", "--lcores", o_.lcores, "--file-prefix", prefix};
        bool any_pci = false;
        for (const std::string* device : {&o_.access_port, &o_.core_port}) {
            if (device->starts_with("net_")) args.push_back("--vdev=" + *device);
            else {
                args.push_back("-a");
                args.push_back(*device);
                any_pci = true;
            }
        }
        if (!any_pci) args.push_back("--no-pci");
        for (size_t at = 0; at < o_.eal.size();) {
            const size_t space = o_.eal.find(' ', at);
            const std::string word = o_.eal.substr(at, space == std::string::npos ? std::string::npos : space - at);
            if (!word.empty()) args.push_back(word);
            if (space == std::string::npos) break;
            at = space + 1;
        }
        if (!drivers::start_eal(args, error)) return false;
        eal_started_ = true;
        hz_ = rte_get_tsc_hz();
        result_.tsc_hz = hz_;
        if (!plan_lanes_over_lcores(error)) return false;
        // Each queue's rx ring holds up to 1024 mbufs on each port.
        const unsigned pool_size = std::max(kPoolSize, 4096u * o_.queues + 8191u);
        pool_ = rte_pktmbuf_pool_create("msf_gen_pool", pool_size, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                        static_cast<int>(rte_socket_id()));
        if (pool_ == nullptr) {
            *error = "rte_pktmbuf_pool_create: " + std::string(rte_strerror(rte_errno));
            return false;
        }
        access_.name = "access";
        core_.name = "core";
        for (auto [side, device] : {std::pair{&access_, &o_.access_port}, std::pair{&core_, &o_.core_port}}) {
            drivers::PortConfig config;
            config.device = *device;
            config.pool = pool_;
            config.rx_queues = config.tx_queues = o_.queues;
            side->port = drivers::Port::open(config, error);
            if (!side->port) return false;
            // Port::open clamps to what the device offers; fewer queues would move streams
            // between gateway workers.
            if (side->port->rx_queues() != o_.queues || side->port->tx_queues() != o_.queues) {
                *error = *device + ": --queues " + std::to_string(o_.queues) + " but the port has " +
                         std::to_string(side->port->rx_queues()) + " rx and " +
                         std::to_string(side->port->tx_queues()) + " tx queues";
                return false;
            }
        }
        return true;
    }

    // ---- neighbours: we answer for our addresses, and learn the gateway's MACs ----

    // On `queue`: the queue the question came in on (its lane owns it), 0 during set-up.
    void send_frame(Side& side, const uint8_t* bytes, size_t len, uint16_t queue = 0) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        if (m == nullptr) return;
        uint8_t* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
        if (out == nullptr) {
            rte_pktmbuf_free(m);
            return;
        }
        std::memcpy(out, bytes, len);
        if (rte_eth_tx_burst(side.port->id(), queue, &m, 1) != 1) rte_pktmbuf_free(m);
    }

    static size_t write_ethernet(uint8_t* out, const net::MacAddr& dst, const net::MacAddr& src, uint16_t type) {
        std::memcpy(out, dst.bytes.data(), 6);
        std::memcpy(out + 6, src.bytes.data(), 6);
        net::store_be16(out + 12, type);
        return net::kEthernetHeaderLen;
    }

    // RFC 4861 §7.2.2 / §7.2.4: NS and NA in an IPv6 header with hop limit 255.
    void send_icmp6(Side& side, const net::MacAddr& dst_mac, const net::IpAddr& src, const net::IpAddr& dst,
                    const uint8_t* message, size_t len, uint16_t queue = 0) {
        uint8_t frame[128] = {};
        size_t at = write_ethernet(frame, dst_mac, side.port->mac(), net::kEtherTypeIpv6);
        net::store_be32(frame + at, 0x60000000u);
        net::store_be16(frame + at + 4, static_cast<uint16_t>(len));
        frame[at + 6] = net::kIpProtoIcmpv6;
        frame[at + 7] = neigh::kNdHopLimit;
        std::memcpy(frame + at + 8, src.bytes.data(), 16);
        std::memcpy(frame + at + 24, dst.bytes.data(), 16);
        at += net::kIpv6HeaderLen;
        std::memcpy(frame + at, message, len);
        send_frame(side, frame, at + len, queue);
    }

    void solicit(Side& side, const net::IpAddr& target) {
        if (target.is_v4()) {
            uint8_t frame[64] = {};  // padded to the 60-byte Ethernet minimum
            const net::MacAddr broadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
            const size_t at = write_ethernet(frame, broadcast, side.port->mac(), net::kEtherTypeArp);
            neigh::write_arp(frame + at, {neigh::ArpOp::request, side.port->mac(), side.any_v4, net::MacAddr{}, target});
            send_frame(side, frame, 60);
        } else {
            uint8_t message[neigh::kNdMessageWithOptionLen];
            const net::IpAddr group = neigh::solicited_node_address(target);
            neigh::write_neighbor_solicitation(message, side.any_v6, group, target, side.port->mac());
            send_icmp6(side, neigh::multicast_mac(group), side.any_v6, group, message, sizeof message);
        }
    }

    // Only during set-up (one lcore): the templates hold the MACs once the lanes run.
    void learn(Side& side, const net::IpAddr& ip, const net::MacAddr& mac) {
        if (!learning_) return;
        const auto it = side.gateway.find(ip);
        if (it != side.gateway.end() && neigh::is_unicast_mac(mac)) it->second = mac;
    }

    // ARP and ND frames: answer a question about an address we impersonate, learn the gateway.
    void on_neighbour_frame(Side& side, const uint8_t* frame, uint32_t len, const net::ParsedFrame& parsed,
                            uint16_t queue) {
        if (parsed.kind == net::FrameKind::arp) {
            const auto arp = neigh::parse_arp(std::span<const uint8_t>(frame + parsed.l3_offset, len - parsed.l3_offset));
            if (!arp.ok()) return;
            learn(side, arp.value.sender_ip, arp.value.sender_mac);
            if (arp.value.op != neigh::ArpOp::request || !side.ours.contains(arp.value.target_ip)) return;
            uint8_t reply[64] = {};
            const size_t at = write_ethernet(reply, arp.value.sender_mac, side.port->mac(), net::kEtherTypeArp);
            neigh::write_arp(reply + at, {neigh::ArpOp::reply, side.port->mac(), arp.value.target_ip, arp.value.sender_mac,
                                          arp.value.sender_ip});
            send_frame(side, reply, 60, queue);
            return;
        }
        if (parsed.kind != net::FrameKind::icmp6) return;
        const neigh::Ipv6Envelope ip{parsed.src_addr(), parsed.dst_addr(), parsed.ttl};
        const std::span<const uint8_t> message(frame + parsed.l4_offset, parsed.l3_len - net::kIpv6HeaderLen);
        if (message.empty()) return;
        if (message[0] == 136) {  // RFC 4861 §4.4 Neighbor Advertisement
            const auto na = neigh::parse_neighbor_advertisement(ip, message);
            if (na.ok() && na.value.target_link_addr) learn(side, na.value.target, *na.value.target_link_addr);
            return;
        }
        if (message[0] != 135) return;  // §4.3 Neighbor Solicitation
        const auto ns = neigh::parse_neighbor_solicitation(ip, message);
        if (!ns.ok() || !side.ours.contains(ns.value.target)) return;
        if (ns.value.source_link_addr) learn(side, ip.src, *ns.value.source_link_addr);
        neigh::NeighborAdvertisement na;
        na.target = ns.value.target;
        na.override_entry = true;
        na.target_link_addr = side.port->mac();
        // §7.2.4: to the soliciting address, or all-nodes when it was unspecified (DAD).
        const bool dad = neigh::is_unspecified_ip(ip.src);
        na.solicited = !dad;
        const net::IpAddr dst = dad ? neigh::all_nodes_address() : ip.src;
        uint8_t out[neigh::kNdMessageWithOptionLen];
        neigh::write_neighbor_advertisement(out, ns.value.target, dst, na);
        const net::MacAddr dst_mac = dad ? neigh::multicast_mac(dst)
                                         : (ns.value.source_link_addr ? *ns.value.source_link_addr
                                                                      : net::MacAddr{{frame[6], frame[7], frame[8], frame[9],
                                                                                      frame[10], frame[11]}});
        send_icmp6(side, dst_mac, ns.value.target, dst, out, sizeof out, queue);
    }

    static bool resolved(const Side& side) {
        return std::all_of(side.gateway.begin(), side.gateway.end(), [](const auto& e) { return !e.second.is_zero(); });
    }

    bool resolve_gateways(std::string* error) {
        const uint64_t start = rte_rdtsc();
        uint64_t next_ask = start;
        while (!(resolved(access_) && resolved(core_))) {
            const uint64_t now = rte_rdtsc();
            if (g_stop || now - start > static_cast<uint64_t>(kResolveTimeoutS * static_cast<double>(hz_))) {
                std::string missing;
                for (const Side* side : {&access_, &core_})
                    for (const auto& [ip, mac] : side->gateway)
                        if (mac.is_zero()) {
                            missing += ' ';
                            missing += ip.to_string();
                            missing += " (";
                            missing += side->name;
                            missing += ')';
                        }
                *error = "no ARP/ND answer from the gateway for" + missing + " within " +
                         std::to_string(static_cast<int>(kResolveTimeoutS)) + " s (link down, or wrong --calls?)";
                return false;
            }
            if (now >= next_ask) {
                for (Side* side : {&access_, &core_})
                    for (const auto& [ip, mac] : side->gateway)
                        if (mac.is_zero()) solicit(*side, ip);
                next_ask = now + hz_ / 5;
            }
            poll_neighbours_only(access_);
            poll_neighbours_only(core_);
        }
        return true;
    }

    void poll_neighbours_only(Side& side) {
        for (uint16_t q = 0; q < o_.queues; ++q) {
            rte_mbuf* rx[kBurst];
            const uint16_t n = rte_eth_rx_burst(side.port->id(), q, rx, kBurst);
            for (uint16_t i = 0; i < n; ++i) {
                const auto* frame = rte_pktmbuf_mtod(rx[i], const uint8_t*);
                net::ParsedFrame parsed;
                if (net::parse_frame(frame, rte_pktmbuf_data_len(rx[i]), {}, parsed) == net::FrameError::none)
                    on_neighbour_frame(side, frame, rte_pktmbuf_data_len(rx[i]), parsed, q);
            }
            rte_pktmbuf_free_bulk(rx, n);
        }
    }

    net::UdpFrameTemplate leg(const Side& side, const net::Endpoint& from, const net::Endpoint& to) const {
        net::UdpFrameTemplate t;
        t.src_mac = side.port->mac();
        t.dst_mac = side.gateway.at(to.addr);
        t.src = from.addr;
        t.dst = to.addr;
        t.src_port = from.port;
        t.dst_port = to.port;
        return t;
    }

    bool build_templates(std::string* error) {
        for (size_t i = 0; i < streams_.size(); ++i) {
            Stream& st = streams_[i];
            const auto index = static_cast<uint32_t>(i);
            st.queue = static_cast<uint16_t>(i % o_.queues);
            if (o_.mode == GenMode::hairpin) {
                const GenSession& a = sessions_[pairs_[i].a];
                const GenSession& b = sessions_[pairs_[i].b];
                st.flow = to_ue_flow(pairs_[i].a);
                st.tx = leg(core_, a.core, a.msf_core);
                st.reflect = leg(access_, b.ue, b.msf_access);
                // The gateway estimates the rollover counter from the last index it saw (RFC 3711
                // §3.3.1): both directions the pair's packets cross must be less than 2^15 behind.
                const uint32_t to_a = sequences_.to_ue(pairs_[i].a), from_b = sequences_.from_ue(pairs_[i].b);
                st.next_seq = static_cast<int32_t>(to_a - from_b) > 0 ? to_a : from_b;
                if (st.next_seq - std::min(to_a, from_b) >= kMaxSequenceJump) {
                    *error = "calls " + std::to_string(a.call_index) + " and " + std::to_string(b.call_index) +
                             ": A's network->UE and B's UE->network sequence numbers are " +
                             std::to_string(st.next_seq - std::min(to_a, from_b)) +
                             " apart (another mode ran over these sessions); the gateway would lose the rollover "
                             "counter. Install the sessions again (msf-pcscf) for hairpin runs";
                    return false;
                }
                access_rx_[key_of(a.ue)] = index;
                core_rx_[key_of(b.core)] = index;
            } else if (o_.mode == GenMode::protect) {
                const GenSession& s = sessions_[i];
                st.flow = to_ue_flow(i);
                st.tx = leg(core_, s.core, s.msf_core);
                st.next_seq = sequences_.to_ue(i);
                // The clear RTP header's sequence is extended from where this run starts.
                st.highest_srtp_seq = st.next_seq;
                st.any_srtp = true;
                access_rx_[key_of(s.ue)] = index;
            } else {
                const GenSession& s = sessions_[i];
                st.tx = leg(access_, s.ue, s.msf_access);
                st.flow = from_ue_flow_[i];
                st.next_seq = sequences_.from_ue(i);
                st.sender = SrtpStream::create(s.from_ue, SrtpStream::Role::sender, session_ssrc(st.flow), error);
                if (!st.sender || !st.sender->set_roc(st.next_seq >> 16)) {
                    if (error->empty()) *error = "libsrtp2: cannot set the rollover counter";
                    return false;
                }
                core_rx_[key_of(s.core)] = index;
            }
        }
        return true;
    }

    // ---- latching: the gateway sends toward a UE only after an authenticated packet from it ----

    // Every UE whose access leg must receive (hairpin: each pair's A; protect: all) sends SRTP
    // with its UE->network key until the gateway has forwarded one to the core side, which
    // proves the keys agree and the UE is latched. Unprotect mode latches as it goes.
    bool latch_ues(std::string* error) {
        if (o_.mode == GenMode::unprotect) return true;
        std::vector<size_t> need;  // session indexes
        if (o_.mode == GenMode::hairpin) {
            for (const HairpinPair& p : pairs_) need.push_back(p.a);
        } else {
            for (size_t i = 0; i < sessions_.size(); ++i) need.push_back(i);
        }
        EndpointMap back_at;  // the core peer address the latch packet comes back to
        for (size_t i = 0; i < need.size(); ++i) back_at[key_of(sessions_[need[i]].core)] = static_cast<uint32_t>(i);
        std::vector<bool> back(need.size(), false);
        size_t pending = need.size();
        const uint64_t start = rte_rdtsc();
        const double timeout_s = std::max(kResolveTimeoutS, 100e-6 * static_cast<double>(need.size()));
        latched_ = true;
        uint32_t attempt = 0;
        for (; pending > 0; ++attempt) {
            if (g_stop || rte_rdtsc() - start > static_cast<uint64_t>(timeout_s * static_cast<double>(hz_))) {
                for (const size_t s : need) sequences_.from_ue(s) += attempt;
                size_t first = 0;
                while (back[first]) ++first;
                *error = std::to_string(pending) + " of " + std::to_string(need.size()) +
                         " UEs never got an SRTP packet through the gateway (first: UE " +
                         sessions_[need[first]].ue.to_string() + " to " + sessions_[need[first]].msf_access.to_string() +
                         "); wrong keys, or sessions not installed?";
                return false;
            }
            for (size_t i = 0; i < need.size(); ++i) {
                if (back[i]) continue;
                // need[i] is stream i's UE: its latch takes the stream's queue, as its traffic will.
                send_latch(sessions_[need[i]], from_ue_flow_[need[i]], sequences_.from_ue(need[i]) + attempt,
                           static_cast<uint16_t>(i % o_.queues), error);
                if (i % kBurst == kBurst - 1) poll_latch(need, back_at, back, &pending);
            }
            const uint64_t wait_until = rte_rdtsc() + hz_ / 5;
            while (pending > 0 && rte_rdtsc() < wait_until && !g_stop) poll_latch(need, back_at, back, &pending);
        }
        for (const size_t s : need) sequences_.from_ue(s) += attempt;
        return true;
    }

    void send_latch(const GenSession& s, uint32_t flow, uint32_t seq, uint16_t queue, std::string* error) {
        auto srtp = SrtpStream::create(s.from_ue, SrtpStream::Role::sender, session_ssrc(flow), error);
        rte_mbuf* m = srtp && srtp->set_roc(seq >> 16) ? rte_pktmbuf_alloc(pool_) : nullptr;
        if (m == nullptr) return;
        uint8_t* payload = rte_pktmbuf_mtod(m, uint8_t*);
        // The sequence number advances per attempt: the gateway's replay window would drop a repeat.
        write_payload(payload, o_.size, PayloadId{flow, seq, kFlagLatch, 0});
        size_t len = o_.size;
        const net::UdpFrameTemplate t = leg(access_, s.ue, s.msf_access);
        uint8_t* frame = srtp->protect(payload, &len)
                             ? net::write_udp_headers(payload, static_cast<uint32_t>(len), t, net::ChecksumMode::software)
                             : nullptr;
        if (frame == nullptr) {
            rte_pktmbuf_free(m);
            return;
        }
        m->data_off = static_cast<uint16_t>(frame - static_cast<uint8_t*>(m->buf_addr));
        m->data_len = static_cast<uint16_t>(static_cast<size_t>(payload - frame) + len);
        m->pkt_len = m->data_len;
        if (rte_eth_tx_burst(access_.port->id(), queue, &m, 1) != 1) rte_pktmbuf_free(m);
    }

    void poll_latch(const std::vector<size_t>& need, const EndpointMap& back_at, std::vector<bool>& back, size_t* pending) {
        for (uint16_t q = 0; q < o_.queues; ++q) {
            for (Side* side : {&access_, &core_}) {
                rte_mbuf* rx[kBurst];
                const uint16_t n = rte_eth_rx_burst(side->port->id(), q, rx, kBurst);
                for (uint16_t i = 0; i < n; ++i) {
                    uint8_t* frame = rte_pktmbuf_mtod(rx[i], uint8_t*);
                    const ReceivedFrame r = classify_received(frame, rte_pktmbuf_data_len(rx[i]), side == &core_, o_.size);
                    if (r.kind == ReceivedKind::neighbour)
                        on_neighbour_frame(*side, frame, rte_pktmbuf_data_len(rx[i]), r.parsed, q);
                    if (r.kind == ReceivedKind::udp && side == &core_ && r.payload.status == PayloadStatus::ok &&
                        (r.payload.id.flags & kFlagLatch)) {
                        const auto it = back_at.find(key_of(r.parsed.family, r.parsed.dst_ip, r.parsed.dst_port));
                        if (it != back_at.end() && r.payload.id.session == from_ue_flow_[need[it->second]] &&
                            !back[it->second]) {
                            back[it->second] = true;
                            --*pending;
                        }
                    }
                }
                rte_pktmbuf_free_bulk(rx, n);
            }
        }
    }

    // ---- traffic: everything below runs on a lane's lcore and touches only what it owns ----

    Side& tx_side() { return o_.mode == GenMode::unprotect ? access_ : core_; }

    // Builds up to `count` packets round-robin over the lane's streams, sends each on its
    // stream's queue, returns how many the port took.
    uint32_t send_burst(LaneState& lane, uint32_t count, bool counted) {
        rte_mbuf* tx[kBurst];
        if (rte_pktmbuf_alloc_bulk(pool_, tx, count) != 0) return 0;
        const std::vector<uint32_t>& mine = lane.plan.streams;
        // Per queue, in build order: the packets and the build position of each.
        std::array<std::array<rte_mbuf*, kBurst>, kMaxQueues> on_queue;
        std::array<std::array<uint32_t, kBurst>, kMaxQueues> position;
        std::array<uint16_t, kMaxQueues> queued{};
        uint32_t stream_at[kBurst];
        const uint64_t now = rte_rdtsc();
        uint32_t built = 0;
        for (uint32_t i = 0; i < count; ++i) {
            const uint32_t s = mine[lane.next_stream];
            lane.next_stream = lane.next_stream + 1 == mine.size() ? 0 : lane.next_stream + 1;
            Stream& st = streams_[s];
            rte_mbuf* m = tx[built];
            uint8_t* payload = rte_pktmbuf_mtod(m, uint8_t*);  // at the default headroom
            const net::ChecksumSum payload_sum =
                write_payload(payload, o_.size, PayloadId{st.flow, st.next_seq, counted ? kFlagCounted : 0u, now});
            size_t len = o_.size;
            if (st.sender && !st.sender->protect(payload, &len)) continue;  // cannot happen with valid keys
            // Plain RTP: the UDP checksum takes the sum write_payload made, so the payload is not
            // read again. SRTP: protect rewrote it, and the checksum sums the ciphertext.
            uint8_t* frame = net::write_udp_headers(payload, static_cast<uint32_t>(len), st.tx, net::ChecksumMode::software,
                                                    st.sender ? nullptr : &payload_sum);
            if (frame == nullptr) continue;
            const auto frame_len = static_cast<uint16_t>(static_cast<size_t>(payload - frame) + len);
            m->data_off = static_cast<uint16_t>(frame - static_cast<uint8_t*>(m->buf_addr));
            m->data_len = frame_len;
            m->pkt_len = frame_len;
            ++st.next_seq;
            stream_at[built] = s;
            on_queue[st.queue][queued[st.queue]] = m;
            position[st.queue][queued[st.queue]++] = built;
            ++built;
        }
        for (uint32_t i = built; i < count; ++i) rte_pktmbuf_free(tx[i]);
        uint32_t sent = 0;
        uint32_t first_refused = built;  // build position
        for (const uint16_t q : lane.plan.queues) {
            if (queued[q] == 0) continue;
            const uint16_t took = rte_eth_tx_burst(tx_side().port->id(), q, on_queue[q].data(), queued[q]);
            sent += took;
            if (counted)
                for (uint16_t i = 0; i < took; ++i) lane.receiver.count_sent(streams_[stream_at[position[q][i]]].local);
            if (took == queued[q]) continue;
            // The queue is full: those packets were never offered; their sequence numbers are
            // reused (a stream's packets are all on its queue, the refused ones its last) so the
            // receiver sees no gap that is ours.
            for (uint16_t i = queued[q]; i-- > took;) --streams_[stream_at[position[q][i]]].next_seq;
            first_refused = std::min(first_refused, position[q][took]);
            rte_pktmbuf_free_bulk(on_queue[q].data() + took, queued[q] - took);
            lane.result.tx_ring_full += queued[q] - took;
        }
        if (first_refused < built) lane.next_stream = streams_[stream_at[first_refused]].local;  // they go first next time
        return sent;
    }

    // The stream a received packet belongs to, when this lane owns it. A stream's packets come
    // back on its own queue (one gateway worker per queue); one on another lane's queue would
    // mean the gateway moved the stream between workers: counted as unexpected, not touched.
    Stream* owned(const LaneState& lane, const EndpointMap& map, const net::ParsedFrame& parsed) {
        const auto it = map.find(key_of(parsed.family, parsed.dst_ip, parsed.dst_port));
        if (it == map.end()) return nullptr;
        Stream& st = streams_[it->second];
        return &lanes_[st.lane] == &lane ? &st : nullptr;
    }

    // RTP out of the gateway's core side: the end of every mode but protect.
    void on_core_udp(LaneState& lane, const ReceivedFrame& r, uint64_t now) {
        const net::ParsedFrame& parsed = r.parsed;
        if (r.payload.status == PayloadStatus::ok && (r.payload.id.flags & kFlagLatch)) return;  // a late latch repeat
        const Stream* st = owned(lane, core_rx_, parsed);
        if (st == nullptr || r.payload.status == PayloadStatus::not_ours) {
            ++lane.result.unexpected;
            return;
        }
        if (!(r.payload.id.flags & kFlagCounted)) return;  // warm-up traffic
        if (r.payload.status != PayloadStatus::ok || r.payload.id.session != st->flow) {
            lane.receiver.count_corrupted(st->local);
            return;
        }
        if (lane.receiver.on_packet(st->local, r.payload.id.seq) != Arrival::duplicate)
            lane.result.latency.record(now - r.payload.id.tsc);
    }

    // SRTP toward a UE in protect mode: counted by its clear RTP header (RFC 3711 §3.1), every
    // Nth one unprotected with libsrtp2 and byte-checked.
    void on_access_srtp(LaneState& lane, rte_mbuf* m, const net::ParsedFrame& parsed, uint64_t now) {
        uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
        Stream* found = owned(lane, access_rx_, parsed);
        if (found == nullptr || parsed.payload_len < kRtpHeaderLen) {
            ++lane.result.unexpected;
            return;
        }
        Stream& st = *found;
        const auto s = static_cast<size_t>(found - streams_.data());  // protect: stream s is session s
        uint8_t* packet = frame + parsed.payload_offset;
        // RFC 3711 Appendix A: the 16-bit sequence number extended around the highest seen.
        const uint16_t seq16 = net::load_be16(packet + 2);
        const uint32_t seq = st.any_srtp ? st.highest_srtp_seq + static_cast<uint32_t>(static_cast<int16_t>(
                                                                       seq16 - static_cast<uint16_t>(st.highest_srtp_seq)))
                                         : seq16;
        if (!st.any_srtp || static_cast<int32_t>(seq - st.highest_srtp_seq) > 0) st.highest_srtp_seq = seq;
        st.any_srtp = true;
        if (++lane.protect_seen % o_.verify_every != 0) {
            // Warm-up packets cannot be told apart without decrypting; the sender counts from
            // the first counted sequence, so the receiver counts from there too.
            if (counted_seq(lane, st, seq)) lane.receiver.on_packet(st.local, seq);
            return;
        }
        if (!st.verifier) {
            std::string error;
            st.verifier = SrtpStream::create(sessions_[s].to_ue, SrtpStream::Role::receiver, session_ssrc(st.flow), &error);
        }
        size_t len = parsed.payload_len;
        // A sample skips packets: tell libsrtp2 the rollover counter rather than let it guess.
        const PayloadCheck check = st.verifier && st.verifier->set_roc(seq >> 16) && st.verifier->unprotect(packet, &len)
                                       ? check_payload(std::span<const uint8_t>(packet, len), o_.size)
                                       : PayloadCheck{PayloadStatus::corrupted, {}};
        if (check.status != PayloadStatus::ok || check.id.session != st.flow) {
            if (counted_seq(lane, st, seq)) lane.receiver.count_corrupted(st.local);
            return;
        }
        ++lane.result.verified;
        if (!(check.id.flags & kFlagCounted)) return;
        if (lane.receiver.on_packet(st.local, seq) != Arrival::duplicate) lane.result.latency.record(now - check.id.tsc);
    }

    // Every rx queue of the lane on both ports once; returns the number of frames received.
    uint32_t poll_lane(LaneState& lane, uint64_t now) {
        uint32_t n = 0;
        for (const uint16_t q : lane.plan.queues) n += poll(lane, access_, q, now) + poll(lane, core_, q, now);
        return n;
    }

    // One rx queue; a hairpin reflection leaves on the same queue number of the access port, so
    // B's UE->network direction stays on the worker that sent A's network->UE packets.
    uint32_t poll(LaneState& lane, Side& side, uint16_t queue, uint64_t now) {
        rte_mbuf* rx[kBurst];
        rte_mbuf* reflect[kBurst];
        uint16_t reflected = 0;
        const uint16_t n = rte_eth_rx_burst(side.port->id(), queue, rx, kBurst);
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = rx[i];
            uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
            const bool core_side = &side == &core_;
            const ReceivedFrame r = m->nb_segs == 1 ? classify_received(frame, rte_pktmbuf_data_len(m), core_side, o_.size)
                                                    : ReceivedFrame{};
            const net::ParsedFrame& parsed = r.parsed;
            if (r.kind != ReceivedKind::udp) {
                if (r.kind == ReceivedKind::neighbour)
                    on_neighbour_frame(side, frame, rte_pktmbuf_data_len(m), parsed, queue);
                else ++lane.result.unexpected;
                rte_pktmbuf_free(m);
                continue;
            }
            if (core_side) {
                on_core_udp(lane, r, now);
            } else if (o_.mode == GenMode::protect) {
                on_access_srtp(lane, m, parsed, now);
            } else if (o_.mode == GenMode::hairpin) {
                // Only the stream's read-only reflection template is used: any lane may reflect.
                const auto it = access_rx_.find(key_of(parsed.family, parsed.dst_ip, parsed.dst_port));
                if (it != access_rx_.end()) {
                    const ReflectedFrame out =
                        reflect_frame(frame, m->data_off, parsed, streams_[it->second].reflect, net::ChecksumMode::software);
                    if (out.frame != nullptr) {
                        m->data_off = static_cast<uint16_t>(out.frame - static_cast<uint8_t*>(m->buf_addr));
                        m->data_len = static_cast<uint16_t>(out.len);
                        m->pkt_len = out.len;
                        reflect[reflected++] = m;
                        continue;
                    }
                }
                ++lane.result.unexpected;
            } else {
                ++lane.result.unexpected;
            }
            rte_pktmbuf_free(m);
        }
        if (reflected > 0) {
            const uint16_t sent = rte_eth_tx_burst(access_.port->id(), queue, reflect, reflected);
            if (sent < reflected) {
                rte_pktmbuf_free_bulk(reflect + sent, reflected - sent);
                lane.result.reflect_dropped += reflected - sent;
            }
        }
        return n;
    }

    // The lane paces its share of the rate (lane_plan.hpp) by TSC from the common start.
    void traffic(LaneState& lane) {
        const auto ticks = [&](double s) { return static_cast<uint64_t>(s * static_cast<double>(hz_)); };
        const uint64_t start = rte_rdtsc();
        const uint64_t counted_from = start + ticks(o_.warmup_s);
        const uint64_t counted_until = counted_from + ticks(o_.duration_s);
        const bool sends = !lane.plan.streams.empty();
        const double rate = lane.plan.rate;
        for (const uint32_t s : lane.plan.streams) streams_[s].first_counted_seq = 0;
        uint64_t offered = 0;  // all phases, for the pacing
        uint64_t now = start;
        bool counting = false;
        while (now < counted_until && !g_stop) {
            if (!counting && now >= counted_from) {
                counting = true;
                for (const uint32_t s : lane.plan.streams) streams_[s].first_counted_seq = streams_[s].next_seq;
                lane.counting = true;
            }
            uint64_t want = sends ? kBurst : 0;
            if (sends && rate > 0) {
                const auto due = static_cast<uint64_t>(static_cast<double>(now - start) * rate / static_cast<double>(hz_));
                want = due > offered ? std::min<uint64_t>(due - offered, kBurst) : 0;
            }
            if (want > 0) offered += send_burst(lane, static_cast<uint32_t>(want), counting);
            now = rte_rdtsc();
            poll_lane(lane, now);
            now = rte_rdtsc();
        }
        lane.result.duration_s = static_cast<double>(std::min(now, counted_until) - std::min(now, counted_from)) /
                                 static_cast<double>(hz_);
        drain(lane);
        lane.result.totals = lane.receiver.totals();
    }

    // Stop sending, receive until the gateway has been quiet for kDrainQuietS (at most kDrainMaxS).
    void drain(LaneState& lane) {
        const auto ticks = [&](double s) { return static_cast<uint64_t>(s * static_cast<double>(hz_)); };
        const uint64_t drain_start = rte_rdtsc();
        uint64_t last_rx = drain_start;
        while (!g_stop) {
            const uint64_t now = rte_rdtsc();
            if (poll_lane(lane, now) > 0) last_rx = now;
            if (now - last_rx > ticks(kDrainQuietS) || now - drain_start > ticks(kDrainMaxS)) break;
        }
    }

    // Protect mode cannot read the counted flag before decrypting: a sequence number at or after
    // the stream's first counted one is counted (RFC 1982 comparison).
    static bool counted_seq(const LaneState& lane, const Stream& st, uint32_t seq) {
        return lane.counting && static_cast<int32_t>(seq - st.first_counted_seq) >= 0;
    }
};

int export_main(const ExportOptions& options) {
    auto sessions = load_calls(options.calls);
    if (!sessions) {
        std::fprintf(stderr, "msf-gen: %s\n", sessions.error().message.c_str());
        return 1;
    }
    uint64_t packets = 0;
    std::string error;
    if (!export_pcap(options, *sessions, &packets, &error)) {
        std::fprintf(stderr, "msf-gen: export-pcap: %s\n", error.c_str());
        return 1;
    }
    std::fprintf(stderr, "msf-gen: wrote %llu packets (%zu sessions x %u) to %s\n", static_cast<unsigned long long>(packets),
                 sessions->size(), options.packets_per_session, options.out.c_str());
    return 0;
}

}  // namespace
}  // namespace msf::gen

int main(int argc, char** argv) {
    using namespace msf::gen;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    const GenParse parsed = parse_gen_args(args);
    if (std::holds_alternative<GenHelpRequest>(parsed)) {
        std::printf("%s", gen_help().c_str());
        return 0;
    }
    if (const auto* usage = std::get_if<GenUsageError>(&parsed)) {
        std::fprintf(stderr, "msf-gen: %s\n", usage->message.c_str());
        return 2;
    }
    if (const auto* exporting = std::get_if<ExportOptions>(&parsed)) return export_main(*exporting);
    const GenOptions& options = std::get<GenOptions>(parsed);
    auto sessions = load_calls(options.calls);
    if (!sessions) {
        std::fprintf(stderr, "msf-gen: %s\n", sessions.error().message.c_str());
        return 1;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    Generator generator(options, std::move(sessions.value()));
    return generator.run();
}
