// msf-dpctl's command line: which request to send to the dataplane's control socket and with
// what. One option table (dpctl_options()) gives the parser, the per-command checks and --help.
//
//   msf-dpctl [--socket PATH] [--json] COMMAND [ARGS] [OPTIONS]
//
// Options may come before or after the command words; "--name value" and "--name=value" both
// work. Keys on the command line are a test and benchmark convenience: they are visible in the
// process table and shell history; the control plane (msf-controld) is how keys arrive in
// production.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dataplane/api/types.hpp"

namespace msf::tools {

enum class DpctlVerb : uint8_t {
    help,
    hello,
    session_add,
    session_modify,
    session_remove,
    session_get,
    sessions,
    stats,
    ports,
    events,
};

struct DpctlVerbInfo {
    DpctlVerb verb;
    std::string_view words;     // "session add"
    std::string_view synopsis;  // for --help
    bool reads = false;         // prints data, so --json applies
};

std::span<const DpctlVerbInfo> dpctl_verbs();

struct DpctlCommand {
    DpctlVerb verb = DpctlVerb::help;
    std::string socket;           // the dataplane's default when not given
    bool json = false;
    api::SessionSpec spec;        // session add / modify
    uint64_t session_id = 0;      // session remove / get
    uint64_t event_count = 0;     // events: stop after this many; 0: no limit
    uint64_t event_timeout_ms = 0;  // events: stop after this long; 0: no limit
};

// What is wrong with a command line. exit_code 2: usage (unknown command or option, missing
// value or required option, option that does not fit the command); 1: a value that does not
// parse or makes no sense.
struct DpctlUsageError {
    int exit_code = 2;
    std::string message;
};

using DpctlParse = std::variant<DpctlCommand, DpctlUsageError>;

// args excludes the program name. default_socket is what --socket falls back to.
DpctlParse parse_dpctl_args(std::span<const std::string_view> args, std::string_view default_socket);

// The --help text, generated from the verb and option tables.
std::string dpctl_help(std::string_view default_socket);

struct DpctlParseState;  // the command being built (dpctl_command.cpp)

// Bit mask of the verbs an option applies to.
using VerbMask = uint32_t;
constexpr VerbMask verb_bit(DpctlVerb v) { return VerbMask{1} << static_cast<unsigned>(v); }

struct DpctlOption {
    std::string_view name;        // without the leading "--"
    std::string_view value_name;  // "" for a flag
    VerbMask verbs;               // where it may be given; 0: every command
    bool required;                // for every verb in `verbs`
    std::string_view help;
    // Stores the value (flags get ""); returns why the value is wrong, nullopt when it is fine.
    std::optional<std::string> (*apply)(DpctlParseState& state, std::string_view value);
};

std::span<const DpctlOption> dpctl_options();

}  // namespace msf::tools
