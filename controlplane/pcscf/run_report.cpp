#include "controlplane/pcscf/run_report.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace msf::pcscf {

using Json = nlohmann::ordered_json;

namespace {

// Nearest rank (smallest value with at least p% at or below it) of sorted, non-empty samples.
uint64_t nearest_rank(const std::vector<uint64_t>& sorted, unsigned percent) {
    const size_t n = sorted.size();
    size_t rank = (n * percent + 99) / 100;  // ceil(p/100 * n)
    if (rank == 0) rank = 1;
    return sorted[rank - 1];
}

std::string fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string counts(const std::map<std::string, uint64_t>& by_label) {
    if (by_label.empty()) return "none";
    std::string out;
    for (const auto& [label, count] : by_label) {
        if (!out.empty()) out += ", ";
        out += label + ": " + std::to_string(count);
    }
    return out;
}

std::string latency_line(const LatencySummary& l) {
    if (l.count == 0) return "no samples";
    return "min " + std::to_string(l.min_us) + ", median " + std::to_string(l.median_us) + ", p99 " +
           std::to_string(l.p99_us) + ", max " + std::to_string(l.max_us) + " us (" + std::to_string(l.count) +
           " samples)";
}

std::string rate_line(double per_s, uint64_t n, double window_s) {
    if (n == 0) return "none";
    return fixed(per_s, 1) + "/s (" + std::to_string(n) + " in " + fixed(window_s, 3) + " s)";
}

Json latency_json(const LatencySummary& l) {
    return {{"count", l.count}, {"min", l.min_us}, {"median", l.median_us}, {"p99", l.p99_us}, {"max", l.max_us}};
}

Json map_json(const std::map<std::string, uint64_t>& m) {
    Json j = Json::object();
    for (const auto& [label, count] : m) j[label] = count;
    return j;
}

}  // namespace

LatencySummary summarize_latencies(std::vector<uint64_t> samples_us) {
    LatencySummary s;
    if (samples_us.empty()) return s;
    std::sort(samples_us.begin(), samples_us.end());
    s.count = samples_us.size();
    s.min_us = samples_us.front();
    s.max_us = samples_us.back();
    s.median_us = nearest_rank(samples_us, 50);
    s.p99_us = nearest_rank(samples_us, 99);
    return s;
}

bool RunReport::ok() const {
    return fatal.empty() && registered == ues && calls_ok == calls && call_errors == 0 && aar_failures.empty() &&
           str_failures.empty() && aaa_ok == aar_sent && sta_ok == str_sent;
}

std::string format_report_text(const RunReport& r) {
    std::string t;
    const auto line = [&t](std::string_view name, const std::string& value) {
        std::string left(name);
        left.resize(std::max<size_t>(left.size() + 1, 20), ' ');
        t += left + value + "\n";
    };
    line("msf", r.msf);
    line("settings", std::to_string(r.ues) + " UEs, " + std::to_string(r.calls) + " calls, key source " +
                         r.key_source + ", keys in " + r.keys_in + ", network->UE key " + r.to_ue_key + ", " +
                         r.suite + (r.keep ? ", sessions kept" : "") + (r.rx_only ? ", Diameter only" : ""));
    line("registered", std::to_string(r.registered) + " (e2ae acknowledged " + std::to_string(r.e2ae_acknowledged) + ")");
    line("invites", std::to_string(r.invites) + " (e2ae " + std::to_string(r.invites_e2ae) + ", plain " +
                        std::to_string(r.invites_plain) + ")");
    line("aar sent", std::to_string(r.aar_sent));
    line("aaa", counts(r.aaa_results));
    line("aar no answer", counts(r.aar_failures));
    line("sdp rewritten", std::to_string(r.sdp_rewritten));
    line("ue keys agree", std::to_string(r.ue_keys_agree));
    line("bye", std::to_string(r.bye));
    line("str sent", std::to_string(r.str_sent));
    line("sta", counts(r.sta_results));
    line("str no answer", counts(r.str_failures));
    line("rar/asr received", std::to_string(r.rar_received) + "/" + std::to_string(r.asr_received));
    line("calls ok", std::to_string(r.calls_ok) + " of " + std::to_string(r.calls) + " (step errors " +
                         std::to_string(r.call_errors) + ")");
    if (r.calls_out_written > 0) line("calls-out records", std::to_string(r.calls_out_written));
    line("AAR->AAA latency", latency_line(r.aar_latency));
    line("STR->STA latency", latency_line(r.str_latency));
    line("installs", rate_line(r.installs_per_s, r.aaa_ok, r.install_window_s));
    line("removals", rate_line(r.removals_per_s, r.sta_ok, r.removal_window_s));
    line("wall time", fixed(r.wall_s, 3) + " s");
    if (!r.fatal.empty()) line("fatal", r.fatal);
    for (const std::string& e : r.errors) line("error", e);
    line("result", r.ok() ? "ok" : "FAILED");
    return t;
}

std::string format_report_json(const RunReport& r) {
    Json j;
    j["msf"] = r.msf;
    j["ok"] = r.ok();
    j["fatal"] = r.fatal;
    j["errors"] = r.errors;
    j["wall_s"] = r.wall_s;
    j["settings"] = {{"ues", r.ues},           {"calls", r.calls},         {"key_source", r.key_source},
                     {"keys_in", r.keys_in},   {"to_ue_key", r.to_ue_key}, {"suite", r.suite},
                     {"keep", r.keep},         {"rx_only", r.rx_only}};
    Json c;
    c["registered"] = r.registered;
    c["e2ae_acknowledged"] = r.e2ae_acknowledged;
    c["invites"] = r.invites;
    c["invites_e2ae"] = r.invites_e2ae;
    c["invites_plain"] = r.invites_plain;
    c["aar_sent"] = r.aar_sent;
    c["aaa"] = map_json(r.aaa_results);
    c["aar_failures"] = map_json(r.aar_failures);
    c["aaa_ok"] = r.aaa_ok;
    c["sdp_rewritten"] = r.sdp_rewritten;
    c["ue_keys_agree"] = r.ue_keys_agree;
    c["bye"] = r.bye;
    c["str_sent"] = r.str_sent;
    c["sta"] = map_json(r.sta_results);
    c["str_failures"] = map_json(r.str_failures);
    c["sta_ok"] = r.sta_ok;
    c["calls_ok"] = r.calls_ok;
    c["call_errors"] = r.call_errors;
    c["rar_received"] = r.rar_received;
    c["asr_received"] = r.asr_received;
    c["calls_out_written"] = r.calls_out_written;
    j["counts"] = c;
    j["latency_us"] = {{"aar_aaa", latency_json(r.aar_latency)}, {"str_sta", latency_json(r.str_latency)}};
    j["rates"] = {{"installs_per_s", r.installs_per_s},
                  {"removals_per_s", r.removals_per_s},
                  {"install_window_s", r.install_window_s},
                  {"removal_window_s", r.removal_window_s}};
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace msf::pcscf
