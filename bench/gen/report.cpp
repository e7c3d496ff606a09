#include "bench/gen/report.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace msf::gen {

uint64_t ticks_to_ns(uint64_t ticks, uint64_t tsc_hz) {
    if (tsc_hz == 0) return 0;
    return static_cast<uint64_t>(static_cast<long double>(ticks) * 1e9L / static_cast<long double>(tsc_hz));
}

namespace {

double per_second(uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }

}  // namespace

void merge_lane_result(RunResult& into, const RunResult& lane) {
    into.duration_s = std::max(into.duration_s, lane.duration_s);
    into.totals = merge_totals(into.totals, lane.totals);
    into.latency.merge(lane.latency);
    into.tx_ring_full += lane.tx_ring_full;
    into.reflect_dropped += lane.reflect_dropped;
    into.unexpected += lane.unexpected;
    into.verified += lane.verified;
}

std::string format_result_json(const RunResult& r) {
    const auto ns = [&](double q) { return ticks_to_ns(r.latency.percentile(q), r.tsc_hz); };
    const nlohmann::json j = {
        {"mode", r.mode},
        {"sessions", r.sessions},
        {"size", r.size},
        {"offered_pps", r.offered_pps},
        {"duration_s", r.duration_s},
        {"sent", r.totals.sent},
        {"received", r.totals.received},
        {"lost", r.totals.lost},
        {"reordered", r.totals.reordered},
        {"duplicates", r.totals.duplicates},
        {"corrupted", r.totals.corrupted},
        {"achieved_tx_pps", per_second(r.totals.sent, r.duration_s)},
        {"rx_pps", per_second(r.totals.received, r.duration_s)},
        {"latency_ns",
         {{"p50", ns(0.5)}, {"p99", ns(0.99)}, {"p999", ns(0.999)}, {"max", ticks_to_ns(r.latency.max(), r.tsc_hz)}}},
        {"sessions_receiving", r.totals.streams_receiving},
        {"min_session_share", r.totals.min_stream_share},
        {"tsc_hz", r.tsc_hz},
        {"gateway_ops_per_packet", r.gateway_ops_per_packet},
        {"tx_ring_full", r.tx_ring_full},
        {"reflect_dropped", r.reflect_dropped},
        {"unexpected", r.unexpected},
        {"verified", r.verified},
    };
    return j.dump();
}

std::string format_result_text(const RunResult& r) {
    char text[1024];
    const auto us = [&](double q) { return static_cast<double>(ticks_to_ns(r.latency.percentile(q), r.tsc_hz)) / 1000.0; };
    std::snprintf(text, sizeof text,
                  "msf-gen %s: %llu sessions, %u bytes, offered %.0f pps, %.2f s counted\n"
                  "  sent %llu (%.0f pps), received %llu (%.0f pps), lost %llu, reordered %llu, duplicates %llu, "
                  "corrupted %llu\n"
                  "  latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us; sessions receiving %llu, "
                  "min share %.3f\n",
                  r.mode.c_str(), static_cast<unsigned long long>(r.sessions), r.size, r.offered_pps, r.duration_s,
                  static_cast<unsigned long long>(r.totals.sent), per_second(r.totals.sent, r.duration_s),
                  static_cast<unsigned long long>(r.totals.received), per_second(r.totals.received, r.duration_s),
                  static_cast<unsigned long long>(r.totals.lost), static_cast<unsigned long long>(r.totals.reordered),
                  static_cast<unsigned long long>(r.totals.duplicates),
                  static_cast<unsigned long long>(r.totals.corrupted), us(0.5), us(0.99), us(0.999),
                  static_cast<double>(ticks_to_ns(r.latency.max(), r.tsc_hz)) / 1000.0,
                  static_cast<unsigned long long>(r.totals.streams_receiving), r.totals.min_stream_share);
    return text;
}

}  // namespace msf::gen
