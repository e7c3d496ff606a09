// msfctl's command line: which request to send to msf-controld's CLI socket and how to print
// the answer. One verb table and one option table give the parser, the checks and --help.
//
//   msfctl [--socket PATH] [--json] [--timeout-ms MS] sessions | session ID | keys ID [--reveal]
//          | stats | peers | session remove ID
//
// Options may come before or after the command words; "--name value" and "--name=value" both
// work; "--" ends the options, so a session ID that starts with '-' or is a command word
// ("msfctl session -- remove") still gets through.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "controlplane/cli/protocol.hpp"

namespace msf::cli {

inline constexpr uint32_t kDefaultTimeoutMs = 5000;
inline constexpr uint32_t kMaxTimeoutMs = 3600 * 1000;

struct MsfctlVerbInfo {
    std::string_view words;          // "session remove"
    std::optional<Command> command;  // nullopt: help
    std::string_view synopsis;       // for --help
};

std::span<const MsfctlVerbInfo> msfctl_verbs();

struct MsfctlCommand {
    bool help = false;  // print msfctl_help() and exit 0; nothing else is set
    Command command = Command::sessions;
    std::string socket;  // kDefaultSocketPath (or the caller's default) when not given
    bool json = false;
    uint32_t timeout_ms = kDefaultTimeoutMs;
    std::string session_id;  // session, keys, session remove
    bool reveal = false;     // keys
};

// What is wrong with a command line: exit_code 2 for usage (unknown command or option, missing
// argument, option that does not fit the command), 1 for a value that does not parse.
struct MsfctlUsageError {
    int exit_code = 2;
    std::string message;  // one line, without the "msfctl: " prefix
};

using MsfctlParse = std::variant<MsfctlCommand, MsfctlUsageError>;

// args excludes the program name.
MsfctlParse parse_msfctl_args(std::span<const std::string_view> args,
                              std::string_view default_socket = kDefaultSocketPath);

// The --help text, generated from the verb and option tables.
std::string msfctl_help(std::string_view default_socket = kDefaultSocketPath);

// The request a parsed (non-help) command sends.
Request to_request(const MsfctlCommand& command, uint64_t id);

}  // namespace msf::cli
