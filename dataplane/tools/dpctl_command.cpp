#include "dataplane/tools/dpctl_command.hpp"

#include <array>
#include <limits>

#include "dataplane/api/protocol.hpp"
#include "dataplane/tools/cli_values.hpp"

namespace msf::tools {

// Everything the options write before the command is complete: keys wait for their suites.
struct DpctlParseState {
    DpctlCommand command;
    std::optional<std::string> socket;
    bool help = false;
    std::vector<uint8_t> from_ue_key_and_salt;
    std::vector<uint8_t> to_ue_key_and_salt;
};

namespace {

constexpr VerbMask kSessionWrite = verb_bit(DpctlVerb::session_add) | verb_bit(DpctlVerb::session_modify);
constexpr VerbMask kEvents = verb_bit(DpctlVerb::events);
constexpr VerbMask kAllVerbs = 0;
constexpr VerbMask kReads = verb_bit(DpctlVerb::hello) | verb_bit(DpctlVerb::session_get) |
                            verb_bit(DpctlVerb::sessions) | verb_bit(DpctlVerb::stats) |
                            verb_bit(DpctlVerb::ports) | verb_bit(DpctlVerb::events);

constexpr std::array<DpctlVerbInfo, 10> kVerbs = {{
    {DpctlVerb::help, "help", "help", false},
    {DpctlVerb::hello, "hello", "hello                 protocol version check; prints the server's name and build", true},
    {DpctlVerb::session_add, "session add", "session add OPTIONS   install a session (options below)", false},
    {DpctlVerb::session_modify, "session modify", "session modify OPTIONS  replace a session's spec, keys included", false},
    {DpctlVerb::session_remove, "session remove", "session remove ID     remove a session (its keys are zeroed)", false},
    {DpctlVerb::session_get, "session get", "session get ID        one session: spec without keys, latched UE, counters", true},
    {DpctlVerb::sessions, "sessions", "sessions              every session, all pages", true},
    {DpctlVerb::stats, "stats", "stats                 worker and port counters with their totals", true},
    {DpctlVerb::ports, "ports", "ports                 port link state and counters", true},
    {DpctlVerb::events, "events", "events                inactivity and auth-failure events as they come", true},
}};

// ---- option setters ----

using Result = std::optional<std::string>;

template <class T, class Setter>
Result store_unsigned(std::string_view value, uint64_t max, Setter setter) {
    const auto parsed = parse_unsigned(value, max);
    if (!parsed.ok()) return parsed.error();
    setter(static_cast<T>(parsed.value()));
    return std::nullopt;
}

Result store_endpoint(std::string_view value, net::Endpoint& out) {
    const auto parsed = parse_endpoint(value);
    if (!parsed.ok()) return parsed.error();
    out = parsed.value();
    return std::nullopt;
}

Result store_suite(std::string_view value, srtp::Suite& out) {
    const auto parsed = parse_suite(value);
    if (!parsed.ok()) return parsed.error();
    out = parsed.value();
    return std::nullopt;
}

Result store_hex(std::string_view value, size_t max_bytes, std::vector<uint8_t>& out) {
    auto parsed = parse_hex(value, max_bytes);
    if (!parsed.ok()) return parsed.error();
    out = parsed.value();
    return std::nullopt;
}

constexpr size_t kMaxKeyAndSalt = srtp::kMaxKeyLen + srtp::kMaxSaltLen;
constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kU64 = std::numeric_limits<uint64_t>::max();

// One row per option: the parser, the per-command checks and --help all read this table.
constexpr std::array<DpctlOption, 23> kOptions = {{
    {"socket", "PATH", kAllVerbs, false, "the dataplane's control socket",
     [](DpctlParseState& s, std::string_view v) -> Result {
         if (v.empty()) return "empty path";
         s.socket = std::string(v);
         return std::nullopt;
     }},
    {"json", "", kReads, false, "print JSON (one object; events: one object per line)",
     [](DpctlParseState& s, std::string_view) -> Result {
         s.command.json = true;
         return std::nullopt;
     }},
    {"help", "", kAllVerbs, false, "print this help and exit",
     [](DpctlParseState& s, std::string_view) -> Result {
         s.help = true;
         return std::nullopt;
     }},
    {"id", "N", kSessionWrite, true, "session id, non-zero, chosen by the caller",
     [](DpctlParseState& s, std::string_view v) {
         return store_unsigned<uint64_t>(v, kU64, [&](uint64_t x) { s.command.spec.id = x; });
     }},
    {"access-local", "IP:PORT", kSessionWrite, true,
     "the gateway's RTP address toward the UE (RTCP on PORT+1 unless muxed)",
     [](DpctlParseState& s, std::string_view v) { return store_endpoint(v, s.command.spec.access.local); }},
    {"access-remote", "IP:PORT", kSessionWrite, false,
     "the UE's RTP address; without it the UE is latched from its first authenticated packet",
     [](DpctlParseState& s, std::string_view v) { return store_endpoint(v, s.command.spec.access.remote); }},
    {"access-rtcp-mux", "", kSessionWrite, false, "RTCP on the access RTP port (RFC 5761)",
     [](DpctlParseState& s, std::string_view) -> Result {
         s.command.spec.access.rtcp_mux = true;
         return std::nullopt;
     }},
    {"core-local", "IP:PORT", kSessionWrite, true, "the gateway's RTP address toward the core",
     [](DpctlParseState& s, std::string_view v) { return store_endpoint(v, s.command.spec.core.local); }},
    {"core-remote", "IP:PORT", kSessionWrite, true, "the core peer's RTP address",
     [](DpctlParseState& s, std::string_view v) { return store_endpoint(v, s.command.spec.core.remote); }},
    {"core-rtcp-mux", "", kSessionWrite, false, "RTCP on the core RTP port (RFC 5761)",
     [](DpctlParseState& s, std::string_view) -> Result {
         s.command.spec.core.rtcp_mux = true;
         return std::nullopt;
     }},
    {"from-ue-suite", "NAME", kSessionWrite, false,
     "suite of UE -> gateway SRTP (default AES_CM_128_HMAC_SHA1_80)",
     [](DpctlParseState& s, std::string_view v) { return store_suite(v, s.command.spec.from_ue.suite); }},
    {"from-ue-key", "HEX", kSessionWrite, true,
     "master key || master salt of UE -> gateway, as RFC 4568 inline keys concatenate them",
     [](DpctlParseState& s, std::string_view v) { return store_hex(v, kMaxKeyAndSalt, s.from_ue_key_and_salt); }},
    {"from-ue-mki", "HEX", kSessionWrite, false, "MKI of UE -> gateway packets (default: none)",
     [](DpctlParseState& s, std::string_view v) { return store_hex(v, srtp::kMaxMkiLen, s.command.spec.from_ue.mki); }},
    {"from-ue-lifetime", "N", kSessionWrite, false, "packets under the UE's key (default 0: RFC 3711 maximum)",
     [](DpctlParseState& s, std::string_view v) {
         return store_unsigned<uint64_t>(v, kU64, [&](uint64_t x) { s.command.spec.from_ue.lifetime = x; });
     }},
    {"to-ue-suite", "NAME", kSessionWrite, false,
     "suite of gateway -> UE SRTP (default AES_CM_128_HMAC_SHA1_80)",
     [](DpctlParseState& s, std::string_view v) { return store_suite(v, s.command.spec.to_ue.suite); }},
    {"to-ue-key", "HEX", kSessionWrite, true, "master key || master salt of gateway -> UE",
     [](DpctlParseState& s, std::string_view v) { return store_hex(v, kMaxKeyAndSalt, s.to_ue_key_and_salt); }},
    {"to-ue-mki", "HEX", kSessionWrite, false, "MKI of gateway -> UE packets (default: none)",
     [](DpctlParseState& s, std::string_view v) { return store_hex(v, srtp::kMaxMkiLen, s.command.spec.to_ue.mki); }},
    {"to-ue-lifetime", "N", kSessionWrite, false, "packets under the gateway's key (default 0: RFC 3711 maximum)",
     [](DpctlParseState& s, std::string_view v) {
         return store_unsigned<uint64_t>(v, kU64, [&](uint64_t x) { s.command.spec.to_ue.lifetime = x; });
     }},
    {"replay-window", "N", kSessionWrite, false, "SRTP replay window, power of two 64..1024 (default 128)",
     [](DpctlParseState& s, std::string_view v) {
         return store_unsigned<uint32_t>(v, kU32, [&](uint32_t x) { s.command.spec.replay_window = x; });
     }},
    {"inactivity-ms", "MS", kSessionWrite, false, "report a leg idle this long (default 0: never)",
     [](DpctlParseState& s, std::string_view v) {
         return store_unsigned<uint32_t>(v, kU32, [&](uint32_t x) { s.command.spec.inactivity_timeout_ms = x; });
     }},
    {"count", "N", kEvents, false, "events: stop after N events (exit 1 if the timeout comes first)",
     [](DpctlParseState& s, std::string_view v) {
         return store_unsigned<uint64_t>(v, kU32, [&](uint64_t x) { s.command.event_count = x; });
     }},
    {"timeout-ms", "MS", kEvents, false, "events: stop after MS milliseconds (default: no limit)",
     [](DpctlParseState& s, std::string_view v) {
         return store_unsigned<uint64_t>(v, kU32, [&](uint64_t x) { s.command.event_timeout_ms = x; });
     }},
    {"h", "", kAllVerbs, false, "same as --help",
     [](DpctlParseState& s, std::string_view) -> Result {
         s.help = true;
         return std::nullopt;
     }},
}};

const DpctlOption* find_option(std::string_view name) {
    for (const DpctlOption& o : kOptions)
        if (o.name == name) return &o;
    return nullptr;
}

std::string shown(std::string_view text) {
    // Quoted in error lines, cut short and without control characters.
    std::string out = "'";
    for (size_t i = 0; i < text.size() && i < 64; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
    }
    if (text.size() > 64) out += "...";
    return out + "'";
}

DpctlUsageError usage(std::string message) { return {2, std::move(message)}; }
DpctlUsageError bad_value(std::string message) { return {1, std::move(message)}; }

struct GivenOption {
    const DpctlOption* option;
    std::string_view value;
};

// Splits "session add" into words and checks them against the positional arguments.
bool verb_matches(std::string_view words, std::span<const std::string_view> positional, size_t* used) {
    size_t n = 0;
    while (!words.empty()) {
        const size_t space = words.find(' ');
        const std::string_view word = words.substr(0, space);
        if (n >= positional.size() || positional[n] != word) return false;
        ++n;
        words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
    }
    *used = n;
    return true;
}

}  // namespace

std::span<const DpctlVerbInfo> dpctl_verbs() { return kVerbs; }
std::span<const DpctlOption> dpctl_options() { return kOptions; }

DpctlParse parse_dpctl_args(std::span<const std::string_view> args, std::string_view default_socket) {
    DpctlParseState state;
    std::vector<GivenOption> given;
    std::vector<std::string_view> positional;

    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        const bool long_option = arg.size() > 2 && arg.substr(0, 2) == "--";
        if (arg == "-h") {
            given.push_back({find_option("h"), {}});
            continue;
        }
        if (!long_option) {
            if (arg.size() > 1 && arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9'))
                return usage("unknown option " + shown(arg) + "; see msf-dpctl --help");
            positional.push_back(arg);
            continue;
        }
        const size_t eq = arg.find('=');
        const std::string_view name = arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
        const DpctlOption* option = name == "h" ? nullptr : find_option(name);
        if (!option) return usage("unknown option " + shown(arg.substr(0, eq)) + "; see msf-dpctl --help");
        for (const GivenOption& g : given)
            if (g.option == option) return usage("--" + std::string(name) + " given twice");
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
        given.push_back({option, value});
    }

    // The command: the verb whose words the positional arguments start with, longest first.
    const DpctlVerbInfo* verb = nullptr;
    size_t used = 0;
    for (const DpctlVerbInfo& v : kVerbs) {
        size_t n = 0;
        if (verb_matches(v.words, positional, &n) && n > used) {
            verb = &v;
            used = n;
        }
    }
    bool help = false;
    for (const GivenOption& g : given) help |= g.option->name == "help" || g.option->name == "h";
    if (!verb) {
        if (help) {
            state.command.verb = DpctlVerb::help;
            state.command.socket = std::string(default_socket);
            return state.command;
        }
        if (positional.empty()) return usage("no command given; see msf-dpctl --help");
        if (positional[0] == "session")
            return usage(positional.size() == 1 ? "session needs add, modify, remove or get"
                                                : "unknown command 'session " +
                                                      shown(positional[1]).substr(1));
        return usage("unknown command " + shown(positional[0]) + "; see msf-dpctl --help");
    }
    state.command.verb = verb->verb;
    if (help || verb->verb == DpctlVerb::help) {
        state.command.verb = DpctlVerb::help;
        state.command.socket = std::string(default_socket);
        return state.command;
    }

    // Positional arguments after the command words: the session id of remove and get.
    std::span<const std::string_view> rest = std::span(positional).subspan(used);
    const bool takes_id = verb->verb == DpctlVerb::session_remove || verb->verb == DpctlVerb::session_get;
    if (takes_id) {
        if (rest.empty()) return usage(std::string(verb->words) + " needs a session ID");
        const auto id = parse_unsigned(rest[0], std::numeric_limits<uint64_t>::max());
        if (!id.ok()) return bad_value("session ID: " + id.error());
        state.command.session_id = id.value();
        rest = rest.subspan(1);
    }
    if (!rest.empty())
        return usage("unexpected argument " + shown(rest[0]) + " after '" + std::string(verb->words) + "'");

    const VerbMask bit = verb_bit(verb->verb);
    for (const GivenOption& g : given) {
        if (g.option->verbs != kAllVerbs && !(g.option->verbs & bit))
            return usage("--" + std::string(g.option->name) + " does not apply to '" + std::string(verb->words) + "'");
        if (auto error = g.option->apply(state, g.value))
            return bad_value("--" + std::string(g.option->name) + ": " + *error);
    }
    for (const DpctlOption& o : kOptions) {
        if (!o.required || !(o.verbs & bit)) continue;
        bool present = false;
        for (const GivenOption& g : given) present |= g.option == &o;
        if (!present) return usage(std::string(verb->words) + " needs --" + std::string(o.name));
    }

    if (verb->verb == DpctlVerb::session_add || verb->verb == DpctlVerb::session_modify) {
        api::SessionSpec& spec = state.command.spec;
        const auto from = split_master_key(state.from_ue_key_and_salt, spec.from_ue.suite);
        if (!from.ok()) return bad_value("--from-ue-key: " + from.error());
        const auto to = split_master_key(state.to_ue_key_and_salt, spec.to_ue.suite);
        if (!to.ok()) return bad_value("--to-ue-key: " + to.error());
        spec.from_ue.master_key = from.value().key;
        spec.from_ue.master_salt = from.value().salt;
        spec.to_ue.master_key = to.value().key;
        spec.to_ue.master_salt = to.value().salt;
        api::wipe_bytes(state.from_ue_key_and_salt);
        api::wipe_bytes(state.to_ue_key_and_salt);
    }
    state.command.socket = state.socket ? *state.socket : std::string(default_socket);
    return state.command;
}

std::string dpctl_help(std::string_view default_socket) {
    std::string out =
        "usage: msf-dpctl [--socket PATH] [--json] COMMAND [ARGS] [OPTIONS]\n"
        "Talks to msf-dataplane over its control socket (default " +
        std::string(default_socket) +
        ").\n"
        "Exit status: 0 done, 1 failed (bad value, no connection, the dataplane said no), 2 usage.\n"
        "\nCommands:\n";
    for (const DpctlVerbInfo& v : kVerbs) {
        if (v.verb == DpctlVerb::help) continue;
        out += "  " + std::string(v.synopsis) + "\n";
    }
    out += "\nOptions:\n";
    for (const DpctlOption& o : kOptions) {
        if (o.name == "h") continue;
        std::string left = "  --";
        left += o.name;
        if (!o.value_name.empty()) {
            left += ' ';
            left += o.value_name;
        }
        if (left.size() < 28) left.resize(28, ' ');
        else left += "  ";
        std::string where;
        if (o.verbs == kSessionWrite) where = "session add/modify";
        else if (o.verbs == kEvents) where = "events";
        else if (o.verbs == kReads) where = "read commands";
        out += left + std::string(o.help);
        if (!where.empty()) out += " [" + where + (o.required ? ", required" : "") + "]";
        out += "\n";
    }
    out +=
        "\nSuites: " + suite_names() +
        "\n\nKeys on the command line are a test and benchmark convenience: they show in the process\n"
        "table and shell history. In production msf-controld installs sessions and keys.\n";
    return out;
}

}  // namespace msf::tools
