// What a run of msf-gen measured, and its one JSON object (the contract with
// bench/throughput.py, bench/gen/README.md).
#pragma once

#include <cstdint>
#include <string>

#include "bench/gen/latency_histogram.hpp"
#include "bench/gen/receiver.hpp"

namespace msf::gen {

struct RunResult {
    std::string mode;
    uint64_t sessions = 0;      // streams driven: pairs in hairpin, sessions otherwise
    uint32_t size = 0;
    double offered_pps = 0;     // --rate (0: as fast as possible)
    double duration_s = 0;      // the counted window actually measured
    ReceiveTotals totals;
    LatencyHistogram latency;   // TSC ticks
    uint64_t tsc_hz = 0;
    // Diagnostics beyond the contract's fields.
    uint64_t tx_ring_full = 0;  // packets built but refused by the port (not counted as sent)
    uint64_t reflect_dropped = 0;
    uint64_t unexpected = 0;    // received frames that were none of ours
    uint64_t verified = 0;      // protect: samples unprotected with libsrtp2 and byte-checked
    uint64_t gateway_ops_per_packet = 1;  // hairpin: 2 (one protect, one unprotect)
};

// Adds one lcore's part of a trial (msf-gen --lcores with several lcores, each owning its
// streams) to `into`: receive totals merged (merge_totals), latency histograms merged (so the
// percentiles are those of all samples), diagnostics summed, the counted window the longest of
// the two. mode, sessions, size, offered_pps, tsc_hz and gateway_ops_per_packet stay `into`'s.
void merge_lane_result(RunResult& into, const RunResult& lane);

// One line of JSON: mode, sessions, size, offered_pps, duration_s, sent, received, lost,
// reordered, duplicates, corrupted, achieved_tx_pps, rx_pps, latency_ns {p50, p99, p999, max},
// sessions_receiving, min_session_share, tsc_hz, plus gateway_ops_per_packet, tx_ring_full,
// reflect_dropped, unexpected, verified.
std::string format_result_json(const RunResult& result);
// The same for people: a few lines.
std::string format_result_text(const RunResult& result);

// Ticks to nanoseconds at tsc_hz.
uint64_t ticks_to_ns(uint64_t ticks, uint64_t tsc_hz);

}  // namespace msf::gen
