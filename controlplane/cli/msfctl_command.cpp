#include "controlplane/cli/msfctl_command.hpp"

#include <array>
#include <charconv>
#include <vector>

namespace msf::cli {

namespace {

constexpr std::array<MsfctlVerbInfo, 7> kVerbs = {{
    {"help", std::nullopt, "help"},
    {"sessions", Command::sessions, "sessions              every session: peer, media, age, packets from and to the UE"},
    {"session", Command::session, "session ID            one session: streams, addresses, counters of both legs"},
    {"keys", Command::keys, "keys ID [--reveal]    suites, MKIs, lifetimes and key fingerprints of a session"},
    {"stats", Command::stats, "stats                 daemon, dataplane, Diameter and store counters"},
    {"peers", Command::peers, "peers                 Diameter peers and their state"},
    {"session remove", Command::session_remove, "session remove ID     end a session (the dataplane drops it, its keys are zeroed)"},
}};

// Bit mask of the commands an option applies to; 0: every command.
using CommandMask = uint32_t;
constexpr CommandMask command_bit(Command c) { return CommandMask{1} << static_cast<unsigned>(c); }
constexpr CommandMask kEveryCommand = 0;

// Quoted in error lines, cut short and without control characters.
std::string shown(std::string_view text) {
    std::string out = "'";
    out += printable_line(text, 64);
    return out + "'";
}

struct ParseState {
    MsfctlCommand command;
    std::optional<std::string> socket;
};

using Result = std::optional<std::string>;  // why a value is wrong

struct Option {
    std::string_view name;        // without "--"
    std::string_view value_name;  // "" for a flag
    CommandMask commands;
    std::string_view help;
    Result (*apply)(ParseState& state, std::string_view value);
};

constexpr std::array<Option, 6> kOptions = {{
    {"socket", "PATH", kEveryCommand, "msf-controld's CLI socket",
     [](ParseState& s, std::string_view v) -> Result {
         if (v.empty()) return "empty path";
         s.socket = std::string(v);
         return std::nullopt;
     }},
    {"json", "", kEveryCommand, "print the result object as JSON (one line)",
     [](ParseState& s, std::string_view) -> Result {
         s.command.json = true;
         return std::nullopt;
     }},
    {"timeout-ms", "MS", kEveryCommand, "give up after MS milliseconds (default 5000)",
     [](ParseState& s, std::string_view v) -> Result {
         uint64_t ms = 0;
         const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), ms);
         if (v.empty() || err != std::errc() || end != v.data() + v.size())
             return shown(v) + " is not a number of milliseconds";
         if (ms == 0 || ms > kMaxTimeoutMs) return "must be 1.." + std::to_string(kMaxTimeoutMs);
         s.command.timeout_ms = static_cast<uint32_t>(ms);
         return std::nullopt;
     }},
    {"reveal", "", command_bit(Command::keys), "show master keys and salts (root only; msf-controld logs it)",
     [](ParseState& s, std::string_view) -> Result {
         s.command.reveal = true;
         return std::nullopt;
     }},
    {"help", "", kEveryCommand, "print this help and exit",
     [](ParseState& s, std::string_view) -> Result {
         s.command.help = true;
         return std::nullopt;
     }},
    {"h", "", kEveryCommand, "same as --help",
     [](ParseState& s, std::string_view) -> Result {
         s.command.help = true;
         return std::nullopt;
     }},
}};

const Option* find_option(std::string_view name) {
    for (const Option& o : kOptions)
        if (o.name == name) return &o;
    return nullptr;
}


MsfctlUsageError usage(std::string message) { return {2, std::move(message)}; }
MsfctlUsageError bad_value(std::string message) { return {1, std::move(message)}; }

// Whether `words` ("session remove") are the first positional arguments; *used: how many.
bool verb_matches(std::string_view words, std::span<const std::string_view> positional, size_t* used) {
    size_t n = 0;
    while (!words.empty()) {
        const size_t space = words.find(' ');
        if (n >= positional.size() || positional[n] != words.substr(0, space)) return false;
        ++n;
        words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
    }
    *used = n;
    return true;
}

struct GivenOption {
    const Option* option;
    std::string_view value;
};

}  // namespace

std::span<const MsfctlVerbInfo> msfctl_verbs() { return kVerbs; }

MsfctlParse parse_msfctl_args(std::span<const std::string_view> args, std::string_view default_socket) {
    ParseState state;
    std::vector<GivenOption> given;
    std::vector<std::string_view> positional;
    size_t words_end = SIZE_MAX;  // positional arguments from here on came after "--"

    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (words_end != SIZE_MAX || arg == "-" || arg.empty() || arg[0] != '-') {
            positional.push_back(arg);
            continue;
        }
        if (arg == "--") {
            words_end = positional.size();
            continue;
        }
        if (arg == "-h") {
            given.push_back({find_option("h"), {}});
            continue;
        }
        if (arg.substr(0, 2) != "--") return usage("unknown option " + shown(arg) + "; see msfctl --help");
        const size_t eq = arg.find('=');
        const std::string_view name = arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
        const Option* option = name == "h" ? nullptr : find_option(name);
        if (!option) return usage("unknown option " + shown(arg.substr(0, eq)) + "; see msfctl --help");
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

    bool help = false;
    for (const GivenOption& g : given) help |= g.option->name == "help" || g.option->name == "h";

    // The command: the verb whose words the positional arguments (before "--") start with,
    // longest first, so "session remove X" is not "session" of "remove".
    const std::span<const std::string_view> words =
        std::span<const std::string_view>(positional).first(std::min(words_end, positional.size()));
    const MsfctlVerbInfo* verb = nullptr;
    size_t used = 0;
    for (const MsfctlVerbInfo& v : kVerbs) {
        size_t n = 0;
        if (verb_matches(v.words, words, &n) && n > used) {
            verb = &v;
            used = n;
        }
    }
    if (help || (verb && !verb->command)) {
        MsfctlCommand out;
        out.help = true;
        out.socket = std::string(default_socket);
        return out;
    }
    if (!verb) {
        if (positional.empty()) return usage("no command given; see msfctl --help");
        if (words.empty()) return usage("the command goes before \"--\"; see msfctl --help");
        return usage("unknown command " + shown(positional[0]) + "; see msfctl --help");
    }
    const CommandInfo& info = command_info(*verb->command);
    state.command.command = info.command;

    std::span<const std::string_view> rest = std::span<const std::string_view>(positional).subspan(used);
    if (info.takes_session_id) {
        if (rest.empty())
            return usage(info.command == Command::session ? "session needs a session ID (or: session remove ID)"
                                                          : std::string(verb->words) + " needs a session ID");
        if (auto error = session_id_error(rest[0])) return bad_value("session ID " + shown(rest[0]) + ": " + *error);
        state.command.session_id = std::string(rest[0]);
        rest = rest.subspan(1);
    }
    if (!rest.empty())
        return usage("unexpected argument " + shown(rest[0]) + " after '" + std::string(verb->words) + "'");

    const CommandMask bit = command_bit(info.command);
    for (const GivenOption& g : given) {
        if (g.option->commands != kEveryCommand && !(g.option->commands & bit))
            return usage("--" + std::string(g.option->name) + " does not apply to '" + std::string(verb->words) + "'");
        if (auto error = g.option->apply(state, g.value))
            return bad_value("--" + std::string(g.option->name) + ": " + *error);
    }
    state.command.socket = state.socket ? *state.socket : std::string(default_socket);
    return state.command;
}

std::string msfctl_help(std::string_view default_socket) {
    std::string out =
        "usage: msfctl [--socket PATH] [--json] [--timeout-ms MS] COMMAND [ARGS]\n"
        "Asks msf-controld over its CLI socket (default " +
        std::string(default_socket) +
        ").\n"
        "Exit status: 0 done, 1 failed (bad value, no connection, msf-controld said no), 2 usage.\n"
        "\nCommands:\n";
    for (const MsfctlVerbInfo& v : kVerbs)
        if (v.command) out += "  " + std::string(v.synopsis) + "\n";
    out += "\nOptions:\n";
    for (const Option& o : kOptions) {
        if (o.name == "h") continue;
        std::string left = "  --";
        left += o.name;
        if (o.name == "help") left += ", -h";
        if (!o.value_name.empty()) {
            left += ' ';
            left += o.value_name;
        }
        if (left.size() < 22) left.resize(22, ' ');
        else left += "  ";
        out += left + std::string(o.help);
        if (o.commands == command_bit(Command::keys)) out += " [keys]";
        out += "\n";
    }
    out +=
        "\nA session ID that starts with '-' or is a command word goes after \"--\":\n"
        "  msfctl session -- remove\n"
        "Keys are shown as fingerprints; --reveal needs root, and msf-controld logs every reveal.\n";
    return out;
}

Request to_request(const MsfctlCommand& command, uint64_t id) {
    Request request;
    request.id = id;
    request.command = command.command;
    request.session_id = command_info(command.command).takes_session_id ? command.session_id : std::string();
    request.reveal = command.command == Command::keys && command.reveal;
    return request;
}

}  // namespace msf::cli
