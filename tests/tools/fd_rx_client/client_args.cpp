#include "tests/tools/fd_rx_client/client_args.hpp"

#include <array>
#include <limits>

namespace msf::fdrx {

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

// ---- the --aar session spec ----

struct SpecKey {
    std::string_view name;
    std::string_view value_name;
    std::string_view help;
    Result (*apply)(SessionSpec& spec, std::string_view value);
};

struct MediaTypeName {
    MediaType type;
    std::string_view name;
};

constexpr std::array<MediaTypeName, 8> kMediaTypes = {{
    {MediaType::audio, "audio"},
    {MediaType::video, "video"},
    {MediaType::data, "data"},
    {MediaType::application, "application"},
    {MediaType::control, "control"},
    {MediaType::text, "text"},
    {MediaType::message, "message"},
    {MediaType::other, "other"},
}};

Result store_endpoint(std::string_view value, net::Endpoint& out) {
    const auto parsed = tools::parse_endpoint(value);
    if (!parsed.ok()) return parsed.error();
    if (parsed.value().port == 0) return shown(value) + " has port 0";
    out = parsed.value();
    return std::nullopt;
}

// "SUITE:HEX", HEX being master key || master salt of exactly the suite's lengths.
Result store_keys(std::string_view value, std::optional<DirectionKeys>& out) {
    const size_t colon = value.find(':');
    if (colon == std::string_view::npos) return shown(value) + " is not SUITE:HEX";
    const auto suite = tools::parse_suite(value.substr(0, colon));
    if (!suite.ok()) return suite.error();
    const auto bytes = tools::parse_hex(value.substr(colon + 1), srtp::kMaxKeyLen + srtp::kMaxSaltLen);
    if (!bytes.ok()) return bytes.error();
    const auto split = tools::split_master_key(bytes.value(), suite.value());
    if (!split.ok()) return split.error();
    out = DirectionKeys{suite.value(), split.value().key, split.value().salt};
    return std::nullopt;
}

Result store_yes_no(std::string_view value, bool& out) {
    if (value == "yes") out = true;
    else if (value == "no") out = false;
    else return shown(value) + " is neither yes nor no";
    return std::nullopt;
}

constexpr std::array<SpecKey, 9> kSpecKeys = {{
    {"ue", "IP:PORT", "the UE's RTP address (its SDP offer); required",
     [](SessionSpec& s, std::string_view v) { return store_endpoint(v, s.ue); }},
    {"core", "IP:PORT", "the core side's RTP address (the SDP answer); required",
     [](SessionSpec& s, std::string_view v) { return store_endpoint(v, s.core); }},
    {"mcn", "N", "Media-Component-Number (default 1)",
     [](SessionSpec& s, std::string_view v) -> Result {
         const auto n = tools::parse_unsigned(v, std::numeric_limits<uint32_t>::max());
         if (!n.ok()) return n.error();
         s.media_component_number = static_cast<uint32_t>(n.value());
         return std::nullopt;
     }},
    {"media", "TYPE", "Media-Type: audio (default), video, data, application, control, text, message, other",
     [](SessionSpec& s, std::string_view v) -> Result {
         for (const MediaTypeName& m : kMediaTypes)
             if (m.name == v) {
                 s.media_type = m.type;
                 return std::nullopt;
             }
         return shown(v) + " is not a media type";
     }},
    {"rtcp", "MODE", "separate (default: RTCP on port+1, its own sub-component), mux (a=rtcp-mux), none",
     [](SessionSpec& s, std::string_view v) -> Result {
         if (v == "separate") s.rtcp = RtcpMode::separate;
         else if (v == "mux") s.rtcp = RtcpMode::mux;
         else if (v == "none") s.rtcp = RtcpMode::none;
         else return shown(v) + " is not separate, mux or none";
         return std::nullopt;
     }},
    {"crypto", "SUITE:HEX", "an a=crypto line in the offer's Codec-Data with this key||salt (the UE's)",
     [](SessionSpec& s, std::string_view v) { return store_keys(v, s.sdes); }},
    {"from-ue", "SUITE:HEX", "MSF-Media-Protection UE_TO_NETWORK with this key||salt",
     [](SessionSpec& s, std::string_view v) { return store_keys(v, s.from_ue); }},
    {"to-ue", "SUITE:HEX", "MSF-Media-Protection NETWORK_TO_UE with this key||salt",
     [](SessionSpec& s, std::string_view v) { return store_keys(v, s.to_ue); }},
    {"framed-ip", "yes|no", "send the UE's Framed-IP-Address / Framed-IPv6-Prefix (default yes)",
     [](SessionSpec& s, std::string_view v) { return store_yes_no(v, s.framed_ip); }},
}};

// ---- the command line ----

struct ParseState {
    ClientOptions options;
    bool help = false;
};

enum class OptionRole : uint8_t { setting, required_setting, action };

struct ClientOption {
    std::string_view name;        // without the leading "--"
    std::string_view value_name;  // "" for a flag
    OptionRole role;
    std::string_view help;
    Result (*apply)(ParseState& state, std::string_view value);
};

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

Result add_action(ParseState& s, ActionKind kind) {
    s.options.actions.push_back(Action{kind, {}, 0});
    return std::nullopt;
}

Result add_aar(ParseState& s, ActionKind kind, std::string_view value) {
    auto spec = parse_session_spec(value);
    if (!spec.ok()) return spec.error();
    s.options.actions.push_back(Action{kind, spec.value(), 0});
    return std::nullopt;
}

constexpr uint64_t kHour = 3600;

constexpr std::array<ClientOption, 25> kOptions = {{
    {"identity", "ID", OptionRole::required_setting, "our DiameterIdentity (Origin-Host), e.g. pcscf.test",
     [](ParseState& s, std::string_view v) { return store_identity(v, s.options.identity); }},
    {"realm", "REALM", OptionRole::required_setting, "our Origin-Realm",
     [](ParseState& s, std::string_view v) { return store_identity(v, s.options.realm); }},
    {"peer", "ID", OptionRole::required_setting, "the peer's DiameterIdentity (its CEA's Origin-Host)",
     [](ParseState& s, std::string_view v) { return store_identity(v, s.options.peer); }},
    {"peer-host", "IP", OptionRole::required_setting, "the peer's IP address (freeDiameter's ConnectTo)",
     [](ParseState& s, std::string_view v) -> Result {
         const auto ip = net::IpAddr::parse(v);
         if (!ip) return shown(v) + " is not an IPv4 or IPv6 address";
         s.options.peer_host = *ip;
         return std::nullopt;
     }},
    {"peer-port", "N", OptionRole::setting, "the peer's TCP port (default 3868)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 1, 65535, s.options.peer_port); }},
    {"peer-realm", "REALM", OptionRole::setting, "Destination-Realm (default: --realm)",
     [](ParseState& s, std::string_view v) { return store_identity(v, s.options.peer_realm); }},
    {"tw", "S", OptionRole::setting, "watchdog interval Tw, 6..3600 s (default 6; freeDiameter's minimum)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 6, kHour, s.options.tw_s); }},
    {"tc", "S", OptionRole::setting, "reconnect interval Tc, 1..3600 s (default 5)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 1, kHour, s.options.tc_s); }},
    {"timeout-ms", "MS", OptionRole::setting, "longest wait of each action and of the connection (default 15000)",
     [](ParseState& s, std::string_view v) { return store_unsigned(v, 1, kHour * 1000, s.options.timeout_ms); }},
    {"msf-vendor-id", "N", OptionRole::setting, "Vendor-Id of the MSF-* AVPs (default 32473)",
     [](ParseState& s, std::string_view v) {
         return store_unsigned(v, 1, std::numeric_limits<uint32_t>::max(), s.options.msf_vendor_id);
     }},
    {"cer-application", "FORM", OptionRole::setting,
     "vendor-specific (default: Vendor-Specific-Application-Id {10415, 16777236}) or plain",
     [](ParseState& s, std::string_view v) -> Result {
         if (v == "vendor-specific") s.options.cer_application = CerApplication::vendor_specific;
         else if (v == "plain") s.options.cer_application = CerApplication::plain;
         else return shown(v) + " is neither vendor-specific nor plain";
         return std::nullopt;
     }},
    {"work-dir", "DIR", OptionRole::setting,
     "where freeDiameter's config file goes, kept (default: a fresh /tmp directory, removed)",
     [](ParseState& s, std::string_view v) -> Result {
         if (v.empty()) return std::string("empty path");
         for (const char c : v)
             if (static_cast<unsigned char>(c) < 0x20 || c == '"')
                 return shown(v) + " has a quote or control character";
         s.options.work_dir = std::string(v);
         return std::nullopt;
     }},
    {"verbose", "", OptionRole::setting, "freeDiameter's notices on stderr",
     [](ParseState& s, std::string_view) -> Result {
         if (s.options.log < LogLevel::verbose) s.options.log = LogLevel::verbose;
         return std::nullopt;
     }},
    {"debug", "", OptionRole::setting, "freeDiameter's debug log on stderr",
     [](ParseState& s, std::string_view) -> Result {
         s.options.log = LogLevel::debug;
         return std::nullopt;
     }},
    {"help", "", OptionRole::setting, "print this help and exit",
     [](ParseState& s, std::string_view) -> Result {
         s.help = true;
         return std::nullopt;
     }},
    {"aar", "SPEC", OptionRole::action, "open a new Rx session: AAR, wait for the AAA",
     [](ParseState& s, std::string_view v) { return add_aar(s, ActionKind::aar, v); }},
    {"aar-update", "SPEC", OptionRole::action, "AAR on the newest open session (modification), wait for the AAA",
     [](ParseState& s, std::string_view v) { return add_aar(s, ActionKind::aar_update, v); }},
    {"str", "", OptionRole::action, "STR (DIAMETER_LOGOUT) for the newest open session, wait for the STA",
     [](ParseState& s, std::string_view) { return add_action(s, ActionKind::str); }},
    {"str-aborted", "", OptionRole::action,
     "STR (DIAMETER_ADMINISTRATIVE) for the session the last ASR aborted, wait for the STA",
     [](ParseState& s, std::string_view) { return add_action(s, ActionKind::str_aborted); }},
    {"wait-dwa", "", OptionRole::action, "wait until a DWR/DWA exchange completes (ours after Tw idle, or the peer's)",
     [](ParseState& s, std::string_view) { return add_action(s, ActionKind::wait_dwa); }},
    {"wait-rar", "", OptionRole::action,
     "wait for the peer's next RAR and its RAA (ours, or freeDiameter's error answer)",
     [](ParseState& s, std::string_view) { return add_action(s, ActionKind::wait_rar); }},
    {"wait-asr", "", OptionRole::action, "wait for the peer's next ASR and its ASA",
     [](ParseState& s, std::string_view) { return add_action(s, ActionKind::wait_asr); }},
    {"sleep-ms", "MS", OptionRole::action, "pause",
     [](ParseState& s, std::string_view v) -> Result {
         uint64_t ms = 0;
         if (auto error = store_unsigned(v, 0, kHour * 1000, ms)) return error;
         s.options.actions.push_back(Action{ActionKind::sleep, {}, ms});
         return std::nullopt;
     }},
    {"dpr", "", OptionRole::action, "shut down: DPR, wait for the DPA (the last action)",
     [](ParseState& s, std::string_view) { return add_action(s, ActionKind::dpr); }},
    {"h", "", OptionRole::setting, "same as --help",
     [](ParseState& s, std::string_view) -> Result {
         s.help = true;
         return std::nullopt;
     }},
}};

const ClientOption* find_option(std::string_view name) {
    for (const ClientOption& o : kOptions)
        if (o.name == name) return &o;
    return nullptr;
}

UsageError usage(std::string message) { return {2, std::move(message)}; }
UsageError bad_value(std::string message) { return {1, std::move(message)}; }

// The script must make sense before anything connects: sessions exist before they are updated
// or ended, an ASR is awaited before its session is ended, nothing follows the DPR.
std::optional<UsageError> check_script(const std::vector<Action>& actions) {
    size_t open = 0;
    size_t asr_awaited = 0;
    for (size_t i = 0; i < actions.size(); ++i) {
        const std::string name(action_name(actions[i].kind));
        switch (actions[i].kind) {
            case ActionKind::aar: ++open; break;
            case ActionKind::aar_update:
                if (open == 0) return usage(name + " needs an --aar before it");
                break;
            case ActionKind::str:
                if (open == 0) return usage(name + " has no open session (every --aar already ended)");
                --open;
                break;
            case ActionKind::str_aborted:
                if (asr_awaited == 0) return usage(name + " needs a --wait-asr before it");
                --asr_awaited;
                break;
            case ActionKind::wait_asr: ++asr_awaited; break;
            case ActionKind::dpr:
                if (i + 1 != actions.size()) return usage("--dpr must be the last action");
                break;
            case ActionKind::wait_dwa:
            case ActionKind::wait_rar:
            case ActionKind::sleep: break;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view action_name(ActionKind kind) {
    switch (kind) {
        case ActionKind::aar: return "--aar";
        case ActionKind::aar_update: return "--aar-update";
        case ActionKind::str: return "--str";
        case ActionKind::str_aborted: return "--str-aborted";
        case ActionKind::wait_dwa: return "--wait-dwa";
        case ActionKind::wait_rar: return "--wait-rar";
        case ActionKind::wait_asr: return "--wait-asr";
        case ActionKind::sleep: return "--sleep-ms";
        case ActionKind::dpr: return "--dpr";
    }
    return "?";
}

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

tools::Parsed<SessionSpec> parse_session_spec(std::string_view text) {
    SessionSpec spec;
    std::vector<std::string_view> seen;
    while (true) {
        const size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        const size_t eq = item.find('=');
        if (eq == std::string_view::npos) return {shown(item) + " is not key=value"};
        const std::string_view name = item.substr(0, eq);
        const SpecKey* key = nullptr;
        for (const SpecKey& k : kSpecKeys)
            if (k.name == name) key = &k;
        if (!key) return {"unknown key " + shown(name) + " (see --help)"};
        for (const std::string_view s : seen)
            if (s == name) return {std::string(name) + " given twice"};
        seen.push_back(name);
        if (auto error = key->apply(spec, item.substr(eq + 1))) return {std::string(name) + ": " + *error};
        if (comma == std::string_view::npos) break;
        text = text.substr(comma + 1);
    }
    if (spec.ue.empty()) return {"ue=IP:PORT is required"};
    if (spec.core.empty()) return {"core=IP:PORT is required"};
    // One IPFilterRule names one family on both sides (RFC 6733 §4.3.1).
    if (spec.ue.addr.family != spec.core.addr.family) return {"ue and core are not of the same IP family"};
    if (spec.rtcp == RtcpMode::separate && (spec.ue.port == 65535 || spec.core.port == 65535))
        return {"rtcp=separate needs RTP ports below 65535 (RTCP goes on port + 1)"};
    return {std::move(spec)};
}

ClientParse parse_client_args(std::span<const std::string_view> args) {
    ParseState state;
    std::vector<const ClientOption*> settings_given;

    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "-h") {
            state.help = true;
            continue;
        }
        if (arg.size() <= 2 || arg.substr(0, 2) != "--")
            return usage("unexpected argument " + shown(arg) + "; see msf-fd-rx-client --help");
        const size_t eq = arg.find('=');
        const std::string_view name = arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
        const ClientOption* option = name == "h" ? nullptr : find_option(name);
        if (!option) return usage("unknown option " + shown(arg.substr(0, eq)) + "; see msf-fd-rx-client --help");
        if (option->role != OptionRole::action) {
            for (const ClientOption* g : settings_given)
                if (g == option) return usage("--" + std::string(name) + " given twice");
            settings_given.push_back(option);
        }
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
    if (state.help) return HelpRequest{};

    for (const ClientOption& o : kOptions) {
        if (o.role != OptionRole::required_setting) continue;
        bool present = false;
        for (const ClientOption* g : settings_given) present |= g == &o;
        if (!present) return usage("--" + std::string(o.name) + " is required; see msf-fd-rx-client --help");
    }
    if (auto error = check_script(state.options.actions)) return *error;
    if (state.options.peer_realm.empty()) state.options.peer_realm = state.options.realm;
    if (state.options.peer == state.options.identity) return bad_value("--peer is our own --identity");
    return std::move(state.options);
}

std::string client_help() {
    std::string out =
        "usage: msf-fd-rx-client --identity ID --realm REALM --peer ID --peer-host IP [--peer-port N]\n"
        "                        [OPTIONS] [ACTIONS...]\n"
        "A freeDiameter 1.2.1 Rx client (the P-CSCF side, TS 29.214) for testing a Diameter server.\n"
        "It connects (CER/CEA), runs the actions in order, answers the peer's RAR and ASR with 2001,\n"
        "and shuts down (DPR/DPA). stdout: one JSON object per line, one per Diameter message sent\n"
        "or received ({\"direction\":\"sent\"|\"received\",\"command\":\"AAA\",\"result_code\":2001,...})\n"
        "and one per event ({\"event\":\"connected\"|\"timeout\"|\"dropped\"|...,...}); the last line is\n"
        "{\"event\":\"done\",\"ok\":true|false}. Exit status: 0 every action completed, 1 one did not\n"
        "(no connection, timeout, an answer freeDiameter dropped), 2 usage.\n"
        "\nOptions:\n";
    auto line = [&](const ClientOption& o) {
        std::string left = "  --";
        left += o.name;
        if (!o.value_name.empty()) {
            left += ' ';
            left += o.value_name;
        }
        if (left.size() < 26) left.resize(26, ' ');
        else left += "  ";
        out += left + std::string(o.help);
        if (o.role == OptionRole::required_setting) out += " [required]";
        out += "\n";
    };
    for (const ClientOption& o : kOptions)
        if (o.role != OptionRole::action && o.name != "h") line(o);
    out += "\nActions (any number, in order):\n";
    for (const ClientOption& o : kOptions)
        if (o.role == OptionRole::action) line(o);
    out += "\nSPEC: comma-separated key=value:\n";
    for (const SpecKey& k : kSpecKeys) {
        std::string left = "  " + std::string(k.name) + "=" + std::string(k.value_name);
        if (left.size() < 26) left.resize(26, ' ');
        else left += "  ";
        out += left + std::string(k.help) + "\n";
    }
    out += "\nSuites: " + tools::suite_names() +
           "\nExample: --aar ue=192.0.2.2:49170,core=198.51.100.20:30000,crypto=AES_CM_128_HMAC_SHA1_80:<60 hex>"
           " --wait-dwa --str --dpr\n";
    return out;
}

}  // namespace msf::fdrx
