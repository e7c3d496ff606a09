#include "controlplane/pcscf/pcscf_options.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "dataplane/tools/cli_values.hpp"

namespace msf::pcscf {

namespace {

using Result = std::optional<std::string>;

std::string shown(std::string_view text) {
    // Quoted in error lines, cut short and without control characters, so a hostile argument
    // cannot forge further output lines.
    constexpr size_t kMaxShown = 64;
    std::string out = "'";
    for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
    }
    if (text.size() > kMaxShown) out += "...";
    return out + "'";
}

// RFC 6733 §4.3.1 DiameterIdentity as this tool accepts it: an FQDN of letters, digits, '-' and
// '.', at most 255 characters, labels of 1..63.
bool is_diameter_identity(std::string_view text) {
    if (text.empty() || text.size() > 255) return false;
    size_t label = 0;
    for (const char c : text) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || ++label > 63) return false;
    }
    return label != 0;
}

Result store_identity(std::string_view value, std::string& out) {
    if (!is_diameter_identity(value))
        return shown(value) + " is not a DiameterIdentity (FQDN: letters, digits, '-', '.')";
    out = std::string(value);
    return std::nullopt;
}

template <class T>
Result store_unsigned(std::string_view value, uint64_t min, uint64_t max, T& out) {
    const auto parsed = tools::parse_unsigned(value, max);
    if (!parsed.ok()) return parsed.error();
    if (parsed.value() < min) return shown(value) + " is below the minimum " + std::to_string(min);
    out = static_cast<T>(parsed.value());
    return std::nullopt;
}

// An RTP base: IP literal and an even port (RFC 3550 §11) with room for RTCP on port + 1.
Result store_media_base(std::string_view value, net::Endpoint& out) {
    const auto parsed = tools::parse_endpoint(value);
    if (!parsed.ok()) return parsed.error();
    const net::Endpoint e = parsed.value();
    if (e.port < 1024 || e.port > 65532 || e.port % 2 != 0)
        return shown(value) + ": the port must be even and 1024..65532 (RTP even, RTCP on port + 1)";
    out = e;
    return std::nullopt;
}

// A non-negative decimal rate with an optional fraction: "250", "0.5".
Result store_rate(std::string_view value, double& out) {
    double rate = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), rate, std::chars_format::fixed);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || !std::isfinite(rate) || rate < 0 ||
        rate > 10'000'000)
        return shown(value) + " is not a rate 0..10000000 (per second, decimal)";
    out = rate;
    return std::nullopt;
}

struct ParseState {
    PcscfOptions options;
    bool help = false;
};

struct PcscfOption {
    std::string_view name;        // without the leading "--"
    std::string_view value_name;  // "" for a flag
    std::string_view help;
    Result (*apply)(ParseState& state, std::string_view value);
};

constexpr uint64_t kHourMs = 3600 * 1000;
constexpr uint32_t kMaxUes = 1'000'000;
constexpr uint64_t kMaxCalls = 100'000'000;

constexpr std::array<PcscfOption, 27> kOptions = {{
    {"msf", "IP:PORT", "the MSF's Diameter address (default 127.0.0.1:3868)",
     [](ParseState& s, std::string_view v) -> Result {
         const auto e = tools::parse_endpoint(v);
         if (!e.ok()) return e.error();
         if (e.value().port == 0) return shown(v) + " has port 0";
         s.options.msf = e.value();
         return std::nullopt;
     }},
    {"identity", "FQDN", "our DiameterIdentity, Origin-Host (default pcscf.localdomain)",
     [](ParseState& s, std::string_view v) { return store_identity(v, s.options.identity); }},
    {"realm", "REALM", "our Origin-Realm and the UEs' home domain (default localdomain)",
     [](ParseState& s, std::string_view v) { return store_identity(v, s.options.realm); }},
    {"msf-identity", "FQDN", "the MSF's DiameterIdentity, Destination-Host (default msf.localdomain)",
     [](ParseState& s, std::string_view v) { return store_identity(v, s.options.msf_identity); }},
    {"msf-realm", "REALM", "Destination-Realm (default: the Origin-Realm of the MSF's CEA)",
     [](ParseState& s, std::string_view v) { return store_identity(v, s.options.msf_realm); }},
    {"msf-vendor-id", "N", "Vendor-Id of the MSF-* AVPs (default 32473)",
     [](ParseState& s, std::string_view v) {
         return store_unsigned(v, 1, std::numeric_limits<uint32_t>::max(), s.options.msf_vendor_id);
     }},
    {"ues", "N", "simulated UEs, each registered once (default 10)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 1, kMaxUes, s.options.ues); }},
    {"calls", "N", "calls in total, round-robin over the UEs (default 100)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 0, kMaxCalls, s.options.calls); }},
    {"rate", "R", "AARs per second (decimal); 0: as fast as --concurrency allows (default 0)",
     [](ParseState& s, std::string_view v) { return store_rate(v, s.options.rate); }},
    {"concurrency", "M", "Diameter requests (AAR and STR) in flight at most (default 64)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 1, 65536, s.options.concurrency); }},
    {"hold-ms", "MS", "how long a call stays up before its BYE; 0: at once (default 0)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 0, kHourMs, s.options.hold_ms); }},
    {"keep", "", "send no BYE: leave every session installed in the MSF (for the demo)",
     [](ParseState& s, std::string_view) -> Result {
         s.options.keep = true;
         return std::nullopt;
     }},
    {"rx-only", "", "Diameter only, to measure the MSF: no SIP, SDP rewriting or SA; random keys in the same AAR",
     [](ParseState& s, std::string_view) -> Result {
         s.options.rx_only = true;
         return std::nullopt;
     }},
    {"hairpin-pairs", "", "call 2k+1's UE->network key = call 2k's network->UE key, for msf-gen's hairpin",
     [](ParseState& s, std::string_view) -> Result {
         s.options.hairpin_pairs = true;
         return std::nullopt;
     }},
    {"msrp", "IP:PORT", "each call also gets an MSRP component (TLS-PSK from the UE's SA) to a core endpoint at IP:PORT",
     [](ParseState& s, std::string_view v) -> Result {
         const auto parsed = tools::parse_endpoint(v);
         if (!parsed.ok()) return parsed.error();
         if (parsed.value().port == 0) return shown(v) + ": the port must be 1..65535";
         s.options.msrp_core = parsed.value();
         return std::nullopt;
     }},
    {"key-source", "KIND", "the UEs' SA: aka, tls, digest, or mixed (round-robin by UE, default)",
     [](ParseState& s, std::string_view v) -> Result {
         if (v == "aka") s.options.key_source = KeySourceChoice::aka;
         else if (v == "tls") s.options.key_source = KeySourceChoice::tls;
         else if (v == "digest") s.options.key_source = KeySourceChoice::digest;
         else if (v == "mixed") s.options.key_source = KeySourceChoice::mixed;
         else return shown(v) + " is not aka, tls, digest or mixed";
         return std::nullopt;
     }},
    {"keys-in", "WHERE", "avp (MSF-Media-Protection, default) or sdes (a=crypto in Codec-Data)",
     [](ParseState& s, std::string_view v) -> Result {
         if (v == "avp") s.options.keys_in = KeysIn::avp;
         else if (v == "sdes") s.options.keys_in = KeysIn::sdes;
         else return shown(v) + " is neither avp nor sdes";
         return std::nullopt;
     }},
    {"to-ue-key", "HOW", "derived (from the SA, default) or generated (by the MSF, returned in the AAA)",
     [](ParseState& s, std::string_view v) -> Result {
         if (v == "derived") s.options.to_ue_key = ToUeKey::derived;
         else if (v == "generated") s.options.to_ue_key = ToUeKey::generated;
         else return shown(v) + " is neither derived nor generated";
         return std::nullopt;
     }},
    {"suite", "NAME", "SRTP suite of the derived keys (default AES_CM_128_HMAC_SHA1_80)",
     [](ParseState& s, std::string_view v) -> Result {
         const auto suite = tools::parse_suite(v);
         if (!suite.ok()) return suite.error();
         s.options.suite = suite.value();
         return std::nullopt;
     }},
    {"e2ae-policy", "POLICY", "acknowledge (default) or refuse the UEs' e2ae capability at registration",
     [](ParseState& s, std::string_view v) -> Result {
         if (v == "acknowledge") s.options.acknowledge_e2ae = true;
         else if (v == "refuse") s.options.acknowledge_e2ae = false;
         else return shown(v) + " is neither acknowledge nor refuse";
         return std::nullopt;
     }},
    {"ue-base", "IP:PORT", "the UEs' media address; the port steps by 2 per call (default 192.0.2.10:40000)",
     [](ParseState& s, std::string_view v) { return store_media_base(v, s.options.ue_base); }},
    {"core-base", "IP:PORT", "the core peer's media address; steps likewise (default 198.51.100.20:30000)",
     [](ParseState& s, std::string_view v) { return store_media_base(v, s.options.core_base); }},
    {"json", "", "print the final report as JSON",
     [](ParseState& s, std::string_view) -> Result {
         s.options.json = true;
         return std::nullopt;
     }},
    {"calls-out", "FILE", "write one JSON line per installed call (holds the UEs' SAs; created 0600; with --hold-ms at once)",
     [](ParseState& s, std::string_view v) -> Result {
         if (v.empty()) return std::string("empty path");
         for (const char c : v)
             if (static_cast<unsigned char>(c) < 0x20) return shown(v) + " has a control character";
         s.options.calls_out = std::string(v);
         return std::nullopt;
     }},
    {"timeout-ms", "MS", "longest wait for each answer and for the connection (default 5000)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 1, kHourMs, s.options.timeout_ms); }},
    {"verbose", "", "the Diameter node's log lines on stderr",
     [](ParseState& s, std::string_view) -> Result {
         s.options.verbose = true;
         return std::nullopt;
     }},
    {"help", "", "print this help and exit",
     [](ParseState& s, std::string_view) -> Result {
         s.help = true;
         return std::nullopt;
     }},
}};

const PcscfOption* find_option(std::string_view name) {
    for (const PcscfOption& o : kOptions)
        if (o.name == name) return &o;
    return nullptr;
}

PcscfUsageError usage(std::string message) { return {2, std::move(message)}; }
PcscfUsageError bad_value(std::string message) { return {1, std::move(message)}; }

}  // namespace

PcscfParse parse_pcscf_args(std::span<const std::string_view> args) {
    ParseState state;
    std::vector<const PcscfOption*> given;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "-h") {
            state.help = true;
            continue;
        }
        if (arg.size() <= 2 || arg.substr(0, 2) != "--")
            return usage("unexpected argument " + shown(arg) + "; see msf-pcscf --help");
        const size_t eq = arg.find('=');
        const std::string_view name = arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
        const PcscfOption* option = find_option(name);
        if (!option) return usage("unknown option " + shown(arg.substr(0, eq)) + "; see msf-pcscf --help");
        for (const PcscfOption* g : given)
            if (g == option) return usage("--" + std::string(name) + " given twice");
        given.push_back(option);
        std::string_view value;
        if (option->value_name.empty()) {
            if (eq != std::string_view::npos) return usage("--" + std::string(name) + " takes no value");
        } else if (eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
        } else {
            if (i + 1 >= args.size())
                return usage("--" + std::string(name) + " needs a value (" + std::string(option->value_name) + ")");
            value = args[++i];
        }
        if (auto error = option->apply(state, value)) return bad_value("--" + std::string(name) + ": " + *error);
    }
    if (state.help) return PcscfHelpRequest{};
    const PcscfOptions& o = state.options;
    if (o.ue_base.addr.family != o.core_base.addr.family)
        return bad_value("--ue-base and --core-base are not of the same IP family (one IPFilterRule names both)");
    if (o.hairpin_pairs && o.to_ue_key != ToUeKey::derived)
        return bad_value("--hairpin-pairs needs --to-ue-key derived (call 2k+1's AAR carries call 2k's key)");
    if (o.rx_only && (o.hairpin_pairs || o.msrp_core || !o.calls_out.empty()))
        return bad_value("--rx-only has no UE security associations, which --hairpin-pairs, --msrp and --calls-out need");
    if (o.identity == o.msf_identity)
        return bad_value("--identity and --msf-identity are the same");
    if (o.msrp_core && o.msrp_core->addr.family != o.ue_base.addr.family)
        return bad_value("--msrp and --ue-base are not of the same IP family (one IPFilterRule names both)");
    return state.options;
}

std::string pcscf_help() {
    std::string text =
        "usage: msf-pcscf [OPTIONS]\n"
        "\n"
        "A reference P-CSCF and load generator for msf-controld: registers N simulated UEs with the\n"
        "e2ae capability, runs calls (SIP INVITE with a=3ge2ae:requested, media keys derived from\n"
        "each UE's SA, AAR to the MSF, SDP rewritten with the MSF's addresses, BYE, STR) and\n"
        "reports counts, AAR->AAA and STR->STA latencies and install/removal rates. Exit status 0\n"
        "when every step succeeded, 1 when any failed, 2 on a usage error.\n"
        "\n"
        "options:\n";
    for (const PcscfOption& o : kOptions) {
        std::string left = "  --" + std::string(o.name);
        if (!o.value_name.empty()) {
            left += ' ';
            left += o.value_name;
        }
        if (left.size() < 26) left.resize(26, ' ');
        else left += "\n" + std::string(26, ' ');
        text += left + std::string(o.help) + "\n";
    }
    text += "\nSuites: " + tools::suite_names() + "\n";
    return text;
}

SaKind sa_kind_for_ue(KeySourceChoice choice, uint32_t ue_index) {
    switch (choice) {
        case KeySourceChoice::aka: return SaKind::aka;
        case KeySourceChoice::tls: return SaKind::tls;
        case KeySourceChoice::digest: return SaKind::digest;
        case KeySourceChoice::mixed: break;
    }
    static constexpr std::array<SaKind, 3> kRoundRobin = {SaKind::aka, SaKind::tls, SaKind::digest};
    return kRoundRobin[ue_index % kRoundRobin.size()];
}

std::string_view key_source_choice_name(KeySourceChoice choice) {
    switch (choice) {
        case KeySourceChoice::aka: return "aka";
        case KeySourceChoice::tls: return "tls";
        case KeySourceChoice::digest: return "digest";
        case KeySourceChoice::mixed: return "mixed";
    }
    return "?";
}

net::Endpoint stepped_endpoint(const net::Endpoint& base, uint64_t call_index) {
    // Even ports base, base + 2, ... up to 65532 (RTCP 65533), then back to base.
    const uint64_t slots = base.port > 65532 ? 1 : (65532 - base.port) / 2 + 1;
    net::Endpoint e = base;
    e.port = static_cast<uint16_t>(base.port + 2 * (call_index % slots));
    return e;
}

}  // namespace msf::pcscf
