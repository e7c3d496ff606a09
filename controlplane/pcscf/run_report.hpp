// What one msf-pcscf run did: per-step counts, latencies and rates, as text for people and as
// JSON for scripts (--json). RunReport::ok() decides the exit status.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace msf::pcscf {

// Nearest-rank percentiles (the smallest sample with at least p% of the samples at or below
// it), in microseconds. count 0: every field 0.
struct LatencySummary {
    uint64_t count = 0;
    uint64_t min_us = 0;
    uint64_t median_us = 0;
    uint64_t p99_us = 0;
    uint64_t max_us = 0;
};

LatencySummary summarize_latencies(std::vector<uint64_t> samples_us);

struct RunReport {
    // What was asked for.
    std::string msf;          // "msf.localdomain at 127.0.0.1:3868"
    uint32_t ues = 0;
    uint64_t calls = 0;
    std::string key_source;   // aka | tls | digest | mixed
    std::string keys_in;      // avp | sdes
    std::string to_ue_key;    // derived | generated
    std::string suite;
    bool keep = false;
    bool rx_only = false;     // Diameter only: no registration, SIP or SDP (--rx-only)

    // Registration.
    uint64_t registered = 0;         // 200 OK read by the UE
    uint64_t e2ae_acknowledged = 0;  // ... with Security-Server msf-e2ae
    // Calls.
    uint64_t invites = 0;
    uint64_t invites_e2ae = 0;       // a=3ge2ae:requested: through the MSF
    uint64_t invites_plain = 0;      // e2ae not acknowledged: no MSF, answered as is
    uint64_t aar_sent = 0;
    std::map<std::string, uint64_t> aaa_results;   // result_label() -> count
    std::map<std::string, uint64_t> aar_failures;  // no answer: request_failure_name() -> count
    uint64_t aaa_ok = 0;
    uint64_t sdp_rewritten = 0;      // offer for the core and answer for the UE, both
    uint64_t ue_keys_agree = 0;      // the UE's own derivation matched what the MSF was given
    uint64_t bye = 0;
    uint64_t str_sent = 0;
    std::map<std::string, uint64_t> sta_results;
    std::map<std::string, uint64_t> str_failures;
    uint64_t sta_ok = 0;
    uint64_t calls_ok = 0;           // every step of the call succeeded
    uint64_t call_errors = 0;        // steps that failed: SIP, SDP, keys, unreadable answers
    uint64_t rar_received = 0;
    uint64_t asr_received = 0;
    uint64_t calls_out_written = 0;

    LatencySummary aar_latency;  // AAR sent -> AAA received
    LatencySummary str_latency;  // STR sent -> STA received
    double install_window_s = 0;   // first AAR sent -> last AAA 2001 received
    double removal_window_s = 0;   // first STR sent -> last STA 2001 received
    double installs_per_s = 0;     // aaa_ok / install_window_s
    double removals_per_s = 0;     // sta_ok / removal_window_s
    double wall_s = 0;

    std::string fatal;                // why the run could not go on ("" when it could)
    std::vector<std::string> errors;  // the first few step errors, for people

    bool ok() const;
};

std::string format_report_text(const RunReport& report);
// One JSON object (indented), the same facts as the text:
//   {"msf": "...", "ok": true, "fatal": "", "errors": [...], "wall_s": 1.2,
//    "settings": {"ues", "calls", "key_source", "keys_in", "to_ue_key", "suite", "keep",
//                 "rx_only"},
//    "counts": {"registered", "e2ae_acknowledged", "invites", "invites_e2ae", "invites_plain",
//               "aar_sent", "aaa": {"2001": n, "3GPP 5061": n}, "aar_failures": {"timeout": n},
//               "aaa_ok", "sdp_rewritten", "ue_keys_agree", "bye", "str_sent",
//               "sta": {"2001": n}, "str_failures": {...}, "sta_ok", "calls_ok", "call_errors",
//               "rar_received", "asr_received", "calls_out_written"},
//    "latency_us": {"aar_aaa": {"count", "min", "median", "p99", "max"}, "str_sta": {...}},
//    "rates": {"installs_per_s", "removals_per_s", "install_window_s", "removal_window_s"}}
std::string format_report_json(const RunReport& report);

}  // namespace msf::pcscf
