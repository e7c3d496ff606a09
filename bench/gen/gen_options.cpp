#include "bench/gen/gen_options.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

#include "bench/gen/payload.hpp"

namespace msf::gen {

namespace {

std::optional<double> to_double(std::string_view v) {
    if (v.empty() || v.size() > 32) return std::nullopt;
    const std::string text(v);
    size_t used = 0;
    try {
        const double d = std::stod(text, &used);
        if (used != text.size() || !std::isfinite(d)) return std::nullopt;
        return d;
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<uint64_t> to_unsigned(std::string_view v) {
    uint64_t out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || end != v.data() + v.size() || v.empty()) return std::nullopt;
    return out;
}

using Apply = std::optional<std::string> (*)(void* target, std::string_view value);

struct Option {
    std::string_view name;
    std::string_view value_name;  // empty: a flag
    bool for_run;                  // msf-gen [run]
    bool for_export;               // msf-gen export-pcap
    std::string_view help;
};

constexpr Option kOptions[] = {
    {"calls", "FILE", true, true, "msf-pcscf --calls-out file: the sessions, their addresses and keys"},
    {"access-port", "DEV", true, false, "DPDK devargs facing the gateway's access side (msf-gen is the UEs)"},
    {"core-port", "DEV", true, false, "DPDK devargs facing the gateway's core side (msf-gen is the core peers)"},
    {"eal", "'ARGS'", true, false, "extra EAL arguments, passed last"},
    {"lcores", "L", true, false, "EAL --lcores (default 0); K lcores: lcore k sends and receives queues q % K == k"},
    {"file-prefix", "P", true, false, "EAL --file-prefix (default msf-gen-<pid>)"},
    {"mode", "MODE", true, false, "hairpin (default), protect or unprotect"},
    {"rate", "PPS", true, false, "offered packets/s in total, 0: as fast as possible (default 1000)"},
    {"size", "BYTES", true, true, "UDP payload incl. the RTP header, 36..1400 (default 172)"},
    {"duration", "S", true, false, "seconds counted (default 5)"},
    {"warmup", "S", true, false, "seconds sent before counting starts (default 1)"},
    {"ipv6", "", true, false, "the sessions are IPv6 (checked against the calls file)"},
    {"json", "", true, false, "one JSON object on stdout at the end"},
    {"verify-every", "N", true, false, "protect: unprotect every Nth packet with libsrtp2 (default 1000)"},
    {"queues", "N", true, false, "rx and tx queues per port, 1..16, at least the lcores (default 1); stream s on queue s % N"},
    {"serve", "", true, false, "run one trial per JSON line on stdin, answer each with a JSON line (README)"},
    {"out", "FILE", false, true, "export-pcap: the pcap file to write"},
    {"packets-per-session", "N", false, true, "export-pcap: packets per session (default 1000)"},
    {"direction", "SIDE", false, true, "export-pcap: access (SRTP toward the gateway, default) or core (RTP)"},
};

// "--name", built piecewise (GCC 12 -Wrestrict false positive on "--" + std::string).
std::string dashed(std::string_view name) {
    std::string out = "--";
    out += name;
    return out;
}

std::string bad(std::string_view name, std::string_view why) {
    std::string out = dashed(name);
    out += ": ";
    out += why;
    return out;
}

std::optional<std::string> apply_run(GenOptions& o, std::string_view name, std::string_view v) {
    if (name == "calls") o.calls = v;
    else if (name == "access-port") o.access_port = v;
    else if (name == "core-port") o.core_port = v;
    else if (name == "eal") o.eal = v;
    else if (name == "lcores") o.lcores = v;
    else if (name == "file-prefix") o.file_prefix = v;
    else if (name == "mode") {
        if (v == "hairpin") o.mode = GenMode::hairpin;
        else if (v == "protect") o.mode = GenMode::protect;
        else if (v == "unprotect") o.mode = GenMode::unprotect;
        else return bad(name, "not hairpin, protect or unprotect");
    } else if (name == "rate") {
        const auto d = to_double(v);
        if (!d || *d < 0 || *d > kMaxRatePps) return bad(name, "not a rate 0..1e9 packets/s");
        o.rate = *d;
    } else if (name == "size") {
        const auto n = to_unsigned(v);
        if (!n || *n < kMinPayloadLen || *n > kMaxPayloadLen) return bad(name, "not 36..1400 bytes");
        o.size = static_cast<uint32_t>(*n);
    } else if (name == "duration" || name == "warmup") {
        const auto d = to_double(v);
        if (!d || *d < 0 || *d > kMaxTrialSeconds || (name == "duration" && *d == 0))
            return bad(name, "not a number of seconds");
        (name == "duration" ? o.duration_s : o.warmup_s) = *d;
    } else if (name == "ipv6") o.ipv6 = true;
    else if (name == "json") o.json = true;
    else if (name == "serve") o.serve = true;
    else if (name == "queues") {
        const auto n = to_unsigned(v);
        if (!n || *n == 0 || *n > kMaxQueues) return bad(name, "not 1..16 queues");
        o.queues = static_cast<uint16_t>(*n);
    } else if (name == "verify-every") {
        const auto n = to_unsigned(v);
        if (!n || *n == 0 || *n > UINT32_MAX) return bad(name, "not a whole number >= 1");
        o.verify_every = static_cast<uint32_t>(*n);
    }
    return std::nullopt;
}

std::optional<std::string> apply_export(ExportOptions& o, std::string_view name, std::string_view v) {
    if (name == "calls") o.calls = v;
    else if (name == "out") o.out = v;
    else if (name == "packets-per-session") {
        const auto n = to_unsigned(v);
        if (!n || *n == 0 || *n > 100'000'000) return bad(name, "not 1..100000000");
        o.packets_per_session = static_cast<uint32_t>(*n);
    } else if (name == "size") {
        const auto n = to_unsigned(v);
        if (!n || *n < kMinPayloadLen || *n > kMaxPayloadLen) return bad(name, "not 36..1400 bytes");
        o.size = static_cast<uint32_t>(*n);
    } else if (name == "direction") {
        if (v == "access") o.direction = PcapDirection::access;
        else if (v == "core") o.direction = PcapDirection::core;
        else return bad(name, "neither access nor core");
    }
    return std::nullopt;
}

}  // namespace

std::string_view gen_mode_name(GenMode mode) {
    switch (mode) {
        case GenMode::hairpin: return "hairpin";
        case GenMode::protect: return "protect";
        case GenMode::unprotect: return "unprotect";
    }
    return "?";
}

GenParse parse_gen_args(std::span<const std::string_view> args) {
    const bool exporting = !args.empty() && args[0] == "export-pcap";
    if (exporting) args = args.subspan(1);
    GenOptions run;
    ExportOptions out;
    std::vector<std::string_view> given;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "--help" || arg == "-h") return GenHelpRequest{};
        if (!arg.starts_with("--")) return GenUsageError{"unexpected argument '" + std::string(arg.substr(0, 64)) + "'"};
        const size_t eq = arg.find('=');
        const std::string_view name = arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
        const Option* option = nullptr;
        for (const Option& o : kOptions)
            if (o.name == name && (exporting ? o.for_export : o.for_run)) option = &o;
        if (option == nullptr)
            return GenUsageError{"unknown option " + dashed(name.substr(0, 64)) +
                                 (exporting ? " for export-pcap" : "") + "; see msf-gen --help"};
        for (const std::string_view g : given)
            if (g == name) return GenUsageError{dashed(name) + " given twice"};
        given.push_back(name);
        std::string_view value;
        if (option->value_name.empty()) {
            if (eq != std::string_view::npos) return GenUsageError{dashed(name) + " takes no value"};
        } else if (eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
        } else {
            if (i + 1 >= args.size()) return GenUsageError{dashed(name) + " needs a value"};
            value = args[++i];
        }
        if (auto error = exporting ? apply_export(out, name, value) : apply_run(run, name, value))
            return GenUsageError{*error};
    }
    if (exporting) {
        if (out.calls.empty()) return GenUsageError{"export-pcap needs --calls FILE"};
        if (out.out.empty()) return GenUsageError{"export-pcap needs --out FILE"};
        return out;
    }
    if (run.calls.empty()) return GenUsageError{"needs --calls FILE"};
    if (run.access_port.empty() || run.core_port.empty()) return GenUsageError{"needs --access-port DEV and --core-port DEV"};
    return run;
}

std::string gen_help() {
    std::string text =
        "usage: msf-gen --calls FILE --access-port DEV --core-port DEV [OPTIONS]\n"
        "       msf-gen export-pcap --calls FILE --out FILE [--packets-per-session N] [--size BYTES]\n"
        "                           [--direction access|core]\n"
        "\n"
        "A DPDK traffic generator and receiver for msf-dataplane: sends RTP (stamped: session, sequence,\n"
        "TSC send time, filler checked byte for byte) into the gateway and measures what comes back:\n"
        "loss, reordering, duplicates, corruption and latency (p50/p99/p99.9/max).\n"
        "  hairpin    RTP into A's core leg, the SRTP A's UE gets is reflected (Ethernet/IP/UDP only)\n"
        "             into B's access leg, the RTP out of B's core leg is checked; calls from\n"
        "             msf-pcscf --hairpin-pairs; each packet is one protect and one unprotect\n"
        "  protect    RTP into every core leg; the SRTP out of the access side is counted and every\n"
        "             Nth packet unprotected with libsrtp2 and checked\n"
        "  unprotect  SRTP (libsrtp2) into every access leg; the RTP out of the core side is checked\n"
        "Exit status 0 when it ran (loss is a result), 1 when it could not set up, 2 on a usage error.\n"
        "\noptions:\n";
    for (const Option& o : kOptions) {
        std::string left = "  ";
        left += dashed(o.name);
        if (!o.value_name.empty()) {
            left += ' ';
            left += o.value_name;
        }
        if (left.size() < 28) {
            left.resize(28, ' ');
        } else {
            left += '\n';
            left.append(28, ' ');
        }
        text += left;
        text += o.help;
        text += '\n';
    }
    return text;
}

}  // namespace msf::gen
