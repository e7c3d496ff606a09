// The Diameter codec per message, the part of msf-controld's cost that is not session work. The
// budget is 50,000 AAR->AAA per second on one core, 20 us per exchange for everything; the codec
// should take a few of them.
//
// Inputs: the AAR Kamailio 5.6 sends (1136 bytes: one media component, four flows, two Codec-Data
// with SDP) and our own sample AAR (tests/controlplane/diameter/sample_messages.hpp).
// Counters: items_per_second (messages per second of CPU time), "ns/msg" and "ticks/msg" (wall
// time around the timed loop per message, in ns and TSC ticks).
//
// Names: frame (check_frame), decode, decode+validate, encode (a decoded AAR into a reused
// buffer), build+encode (an AAA through the builder), aar_to_aaa (decode and validate the AAR,
// read its media components and flows, parse each Flow-Description, build and encode the AAA
// with media addresses and a generated key: one exchange), pretty (for logs, off the hot path),
// ip_filter_rule (one Flow-Description).
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "controlplane/diameter/ip_filter_rule.hpp"
#include "controlplane/diameter/message.hpp"
#include "controlplane/diameter/pretty.hpp"
#include "tests/controlplane/diameter/kamailio_frames.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

namespace {

using namespace msf::diameter;
using namespace msf::diameter::testing;

// Wall time and TSC ticks over the timed loop, reported per message.
class MessageTimer {
public:
    explicit MessageTimer(benchmark::State& state)
        : state_(state), start_(std::chrono::steady_clock::now()), start_ticks_(__rdtsc()) {}
    ~MessageTimer() {
        const uint64_t ticks = __rdtsc() - start_ticks_;
        const std::chrono::duration<double, std::nano> ns =
            std::chrono::steady_clock::now() - start_;
        const auto n = static_cast<double>(state_.iterations());
        state_.counters["ns/msg"] = n > 0 ? ns.count() / n : 0;
        state_.counters["ticks/msg"] = n > 0 ? static_cast<double>(ticks) / n : 0;
        state_.SetItemsProcessed(state_.iterations());
    }

private:
    benchmark::State& state_;
    std::chrono::steady_clock::time_point start_;
    uint64_t start_ticks_;
};

const std::vector<uint8_t>& kamailio_aar() {
    static const std::vector<uint8_t> wire = from_hex(kKamailioAarHex);
    return wire;
}

void BM_Frame(benchmark::State& state) {
    const auto& wire = kamailio_aar();
    MessageTimer timer(state);
    for (auto _ : state) benchmark::DoNotOptimize(check_frame(wire));
}
BENCHMARK(BM_Frame)->Name("frame/kamailio_aar");

void BM_Decode(benchmark::State& state, bool validate_too) {
    const auto& wire = kamailio_aar();
    MessageTimer timer(state);
    for (auto _ : state) {
        auto m = decode(wire);
        if (!m) std::abort();
        if (validate_too && validate(*m)) std::abort();
        benchmark::DoNotOptimize(m);
    }
}
BENCHMARK_CAPTURE(BM_Decode, kamailio_aar, false)->Name("decode/kamailio_aar");
BENCHMARK_CAPTURE(BM_Decode, kamailio_aar, true)->Name("decode+validate/kamailio_aar");

void BM_Encode(benchmark::State& state) {
    const auto m = decode(kamailio_aar());
    std::vector<uint8_t> out;
    out.reserve(4096);
    MessageTimer timer(state);
    for (auto _ : state) {
        out.clear();
        m->encode(out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_Encode)->Name("encode/kamailio_aar");

void BM_BuildEncode(benchmark::State& state) {
    const Message request = sample_aar();
    std::vector<uint8_t> out;
    out.reserve(4096);
    MessageTimer timer(state);
    for (auto _ : state) {
        Message aaa = Message::answer_to(request);
        aaa.add(avp::auth_application_id, app::rx)
            .add(avp::origin_host, kMsfHost)
            .add(avp::origin_realm, kMsfRealm)
            .add(avp::result_code, 2001u);
        out.clear();
        aaa.encode(out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_BuildEncode)->Name("build+encode/aaa");

// One exchange as msf-controld does it, minus the session table and the dataplane call.
void BM_AarToAaa(benchmark::State& state) {
    const auto& wire = kamailio_aar();
    const msf::net::IpAddr access = ip("203.0.113.5");
    const msf::net::IpAddr core = ip("198.51.100.5");
    const uint8_t key[30] = {1, 2, 3};
    std::vector<uint8_t> out;
    out.reserve(4096);
    MessageTimer timer(state);
    for (auto _ : state) {
        auto aar = decode(wire);
        if (!aar || validate(*aar)) std::abort();
        Message aaa = Message::answer_to(*aar);
        aaa.add(avp::auth_application_id, app::rx)
            .add(avp::origin_host, kMsfHost)
            .add(avp::origin_realm, kMsfRealm)
            .add(avp::result_code, 2001u);
        uint32_t port = 40000;
        for (Avp mcd : aar->find_all(avp::media_component_description)) {
            const uint32_t number = mcd.find(avp::media_component_number)->unsigned32().value_or(0);
            for (Avp sub : mcd.find_all(avp::media_sub_component))
                for (Avp flow : sub.find_all(avp::flow_description)) {
                    auto rule = parse_ip_filter_rule(flow.text());
                    if (!rule) std::abort();
                    benchmark::DoNotOptimize(rule);
                }
            aaa.add_group(avp::msf_media_address)
                .add(avp::media_component_number, number)
                .add(avp::msf_access_address, access)
                .add(avp::msf_access_port, port)
                .add(avp::msf_core_address, core)
                .add(avp::msf_core_port, port + 10000);
            aaa.add_group(avp::msf_media_protection)
                .add(avp::msf_direction, 1u)
                .add(avp::media_component_number, number)
                .add(avp::msf_crypto_suite, "AES_CM_128_HMAC_SHA1_80")
                .add(avp::msf_master_key, std::span<const uint8_t>(key, 16))
                .add(avp::msf_master_salt, std::span<const uint8_t>(key + 16, 14));
            port += 2;
        }
        out.clear();
        aaa.encode(out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_AarToAaa)->Name("aar_to_aaa/kamailio_aar");

void BM_Pretty(benchmark::State& state) {
    const auto m = decode(kamailio_aar());
    MessageTimer timer(state);
    for (auto _ : state) benchmark::DoNotOptimize(pretty(*m));
}
BENCHMARK(BM_Pretty)->Name("pretty/kamailio_aar");

void BM_IpFilterRule(benchmark::State& state) {
    MessageTimer timer(state);
    for (auto _ : state)
        benchmark::DoNotOptimize(
            parse_ip_filter_rule("permit out 17 from 198.51.100.7 30000 to 192.0.2.2 49170"));
}
BENCHMARK(BM_IpFilterRule)->Name("ip_filter_rule/parse");

}  // namespace

BENCHMARK_MAIN();
