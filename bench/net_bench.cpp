// Header parsing and building per packet, the part of the worker's cost that is not crypto:
// parse_frame on a received 172-byte RTP payload (G.711, 20 ms) and write_udp_headers toward
// the other leg, IPv4 and IPv6, in each checksum mode. The budget is the whole relay at
// 1.5x raw ipsec-mb (about 12-16 Mpps for AES-CM, i.e. 60-80 ns/packet), so these numbers are
// the headroom left for lookup and rewrite.
//
// Each iteration handles kBurst packets laid out like mbufs (own buffer, 128 bytes headroom),
// the way a worker's burst does. Counters: items_per_second (packets per second of CPU time),
// "ns/pkt" and "ticks/pkt" (wall time around the timed loop per packet, in ns and TSC ticks).
//
// Names: parse/<shape>/<checks>, write/<family>/<mode>, relay/<from>_to_<to> (parse, then write
// the other leg's headers in place, in software checksum mode), generate/<family>/paired: what
// msf-gen does per plain RTP packet (its payload, then the headers with a software UDP
// checksum), summing the payload again in write_udp_headers ("sum_after") and taking the sum
// write_payload made while writing ("sum_while_writing"), burst by burst in turn.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/gen/payload.hpp"
#include "dataplane/net/frame.hpp"
#include "dataplane/net/udp_frame.hpp"

namespace {

using namespace msf::net;

constexpr uint32_t kPayloadLen = 172;  // RTP header + 160 bytes of G.711
constexpr uint32_t kHeadroom = 128;
constexpr uint32_t kBufferLen = 512;
constexpr int kBurst = 32;

UdpFrameTemplate make_template(bool ipv6, bool vlan, uint16_t src_port) {
    UdpFrameTemplate t;
    t.src_mac = *MacAddr::parse("02:00:00:00:00:01");
    t.dst_mac = *MacAddr::parse("02:00:00:00:00:02");
    t.has_vlan = vlan;
    t.vlan_tci = 100;
    t.src = *IpAddr::parse(ipv6 ? "2001:db8::1" : "192.0.2.1");
    t.dst = *IpAddr::parse(ipv6 ? "2001:db8:1::2" : "198.51.100.2");
    t.src_port = src_port;
    t.dst_port = 6000;
    t.tos = 0xb8;
    return t;
}

// kBurst packet buffers, each with headroom, a payload at kHeadroom and its frame written there.
struct Burst {
    std::vector<uint8_t> memory = std::vector<uint8_t>(size_t{kBurst} * kBufferLen);
    std::array<uint8_t*, kBurst> frame{};
    std::array<uint32_t, kBurst> len{};

    uint8_t* payload(int i) { return memory.data() + size_t(i) * kBufferLen + kHeadroom; }

    explicit Burst(bool ipv6, bool vlan) {
        for (int i = 0; i < kBurst; ++i) {
            for (uint32_t j = 0; j < kPayloadLen; ++j) payload(i)[j] = static_cast<uint8_t>(7 * j + 3 + i);
            const UdpFrameTemplate t = make_template(ipv6, vlan, static_cast<uint16_t>(5004 + 2 * i));
            frame[i] = write_udp_headers(payload(i), kPayloadLen, t, ChecksumMode::software);
            len[i] = udp_header_room(t) + kPayloadLen;
        }
    }
};

// Wall time around the timed loop, in nanoseconds and TSC ticks per packet.
class PacketTimer {
public:
    explicit PacketTimer(benchmark::State& state)
        : state_(state), start_(std::chrono::steady_clock::now()), start_ticks_(__rdtsc()) {}
    void finish(uint64_t packets) {
        const uint64_t ticks = __rdtsc() - start_ticks_;
        const auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start_);
        const auto n = static_cast<double>(packets);
        state_.SetItemsProcessed(static_cast<int64_t>(packets));
        state_.counters["ns/pkt"] = packets ? ns.count() / n : 0;
        state_.counters["ticks/pkt"] = packets ? static_cast<double>(ticks) / n : 0;
    }

private:
    benchmark::State& state_;
    std::chrono::steady_clock::time_point start_;
    uint64_t start_ticks_;
};

void parse(benchmark::State& state, bool ipv6, bool vlan, ParseOptions opt) {
    Burst burst(ipv6, vlan);
    uint64_t packets = 0, accepted = 0;
    PacketTimer timer(state);
    for (auto _ : state) {
        for (int i = 0; i < kBurst; ++i) {
            ParsedFrame p;
            accepted += parse_frame(burst.frame[i], burst.len[i], opt, p) == FrameError::none;
            benchmark::DoNotOptimize(p);
        }
        packets += kBurst;
    }
    timer.finish(packets);
    if (accepted != packets) state.SkipWithError("a benchmark frame did not parse");
}

void write(benchmark::State& state, bool ipv6, ChecksumMode mode) {
    Burst burst(ipv6, false);
    const UdpFrameTemplate t = make_template(ipv6, false, 7000);
    uint64_t packets = 0;
    PacketTimer timer(state);
    for (auto _ : state) {
        for (int i = 0; i < kBurst; ++i) {
            uint8_t* frame = write_udp_headers(burst.payload(i), kPayloadLen, t, mode);
            benchmark::DoNotOptimize(frame);
        }
        benchmark::ClobberMemory();
        packets += kBurst;
    }
    timer.finish(packets);
}

// Builds one burst of generator packets; returns the TSC ticks it took.
uint64_t generate_burst(Burst& burst, const UdpFrameTemplate& t, uint32_t& seq, bool sum_while_writing) {
    const uint64_t t0 = __rdtsc();
    for (int i = 0; i < kBurst; ++i) {
        ++seq;
        const ChecksumSum sum = msf::gen::write_payload(burst.payload(i), kPayloadLen,
                                                        msf::gen::PayloadId{static_cast<uint32_t>(i), seq, 0, seq});
        uint8_t* frame = write_udp_headers(burst.payload(i), kPayloadLen, t, ChecksumMode::software,
                                           sum_while_writing ? &sum : nullptr);
        benchmark::DoNotOptimize(frame);
    }
    benchmark::ClobberMemory();
    return __rdtsc() - t0;
}

// The two ways alternate burst by burst on the same buffers, so both see the same machine; on a
// shared VM separate benchmarks of them moved by more than their difference. Reports each way's
// median TSC ticks per packet over the iterations and their ratio.
void generate(benchmark::State& state, bool ipv6) {
    Burst burst(ipv6, false);
    const UdpFrameTemplate t = make_template(ipv6, false, 7000);
    uint32_t seq = 0;
    std::vector<uint64_t> after, while_writing;
    for (auto _ : state) {
        after.push_back(generate_burst(burst, t, seq, false));
        while_writing.push_back(generate_burst(burst, t, seq, true));
    }
    const auto median_per_packet = [](std::vector<uint64_t>& v) {
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        return static_cast<double>(v[v.size() / 2]) / kBurst;
    };
    const double a = median_per_packet(after), w = median_per_packet(while_writing);
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 2 * kBurst);
    state.counters["sum_after_ticks/pkt"] = a;
    state.counters["sum_while_writing_ticks/pkt"] = w;
    state.counters["while_writing/after"] = a > 0 ? w / a : 0;
}

// What a worker does per packet around the crypto: parse the received frame, rewrite toward the
// other leg in place. The next iteration parses what this one wrote (alternating legs), so every
// parse sees a fresh, valid frame and the checksums are verified each time.
void relay(benchmark::State& state, bool from_ipv6, bool to_ipv6) {
    Burst burst(from_ipv6, false);
    const std::array<UdpFrameTemplate, 2> legs{make_template(to_ipv6, false, 7000),
                                               make_template(from_ipv6, false, 5004)};
    uint64_t packets = 0, accepted = 0;
    int leg = 0;
    PacketTimer timer(state);
    for (auto _ : state) {
        for (int i = 0; i < kBurst; ++i) {
            ParsedFrame p;
            if (parse_frame(burst.frame[i], burst.len[i], ParseOptions{}, p) != FrameError::none) continue;
            ++accepted;
            uint8_t* payload = burst.frame[i] + p.payload_offset;
            burst.frame[i] = write_udp_headers(payload, p.payload_len, legs[leg], ChecksumMode::software);
            burst.len[i] = udp_header_room(legs[leg]) + p.payload_len;
        }
        leg ^= 1;
        packets += kBurst;
    }
    timer.finish(packets);
    if (accepted != packets) state.SkipWithError("a relayed frame did not parse");
}

void register_all() {
    const ParseOptions all{}, none{false, false};
    for (bool ipv6 : {false, true}) {
        const std::string family = ipv6 ? "ipv6" : "ipv4";
        benchmark::RegisterBenchmark(("parse/" + family + "/verify_all").c_str(), parse, ipv6, false, all);
        benchmark::RegisterBenchmark(("parse/" + family + "/verify_none").c_str(), parse, ipv6, false, none);
        benchmark::RegisterBenchmark(("parse/vlan_" + family + "/verify_all").c_str(), parse, ipv6, true, all);
        benchmark::RegisterBenchmark(("write/" + family + "/software").c_str(), write, ipv6, ChecksumMode::software);
        benchmark::RegisterBenchmark(("write/" + family + "/offload_ip").c_str(), write, ipv6, ChecksumMode::offload_ip);
        benchmark::RegisterBenchmark(("write/" + family + "/offload_ip_udp").c_str(), write, ipv6,
                                     ChecksumMode::offload_ip_udp);
    }
    benchmark::RegisterBenchmark("generate/ipv4/paired", generate, false);
    benchmark::RegisterBenchmark("generate/ipv6/paired", generate, true);
    benchmark::RegisterBenchmark("relay/ipv4_to_ipv4", relay, false, false);
    benchmark::RegisterBenchmark("relay/ipv6_to_ipv6", relay, true, true);
    benchmark::RegisterBenchmark("relay/ipv6_to_ipv4", relay, true, false);
    benchmark::RegisterBenchmark("relay/ipv4_to_ipv6", relay, false, true);
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
