// msfctl: the operator's view of msf-controld (sessions, keys, counters, Diameter peers) through
// its CLI socket. `msfctl --help` lists the commands and options (msfctl_command.cpp).
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/cli/client.hpp"
#include "controlplane/cli/msfctl_command.hpp"
#include "controlplane/cli/msfctl_output.hpp"

namespace {

using namespace msf::cli;

int fail(const std::string& line) {
    std::fprintf(stderr, "msfctl: %s\n", printable_line(line, kMaxErrorLen).c_str());
    return 1;
}

void print(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

int run(const MsfctlCommand& cmd) {
    CliClient client;
    if (auto error = client.connect(cmd.socket, static_cast<int>(cmd.timeout_ms))) return fail(*error);
    const Response response = client.call(to_request(cmd, 1), static_cast<int>(cmd.timeout_ms));
    if (!response.ok()) {
        // The session id is what the operator typed; say it the same way whatever the daemon's wording.
        if (response.code == ResultCode::not_found && !cmd.session_id.empty())
            return fail("session '" + cmd.session_id + "' not found");
        return fail(response.error);
    }
    print(cmd.json ? result_json(response.result) : result_text(cmd.command, response.result));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    const auto parsed = parse_msfctl_args(args, kDefaultSocketPath);
    if (const auto* error = std::get_if<MsfctlUsageError>(&parsed)) {
        std::fprintf(stderr, "msfctl: %s\n", error->message.c_str());
        return error->exit_code;
    }
    const auto& cmd = std::get<MsfctlCommand>(parsed);
    if (cmd.help) {
        print(msfctl_help(kDefaultSocketPath));
        return 0;
    }
    return run(cmd);
}
