// libFuzzer target for msfctl's command line. The input is argv: arguments separated by NUL
// bytes.
//
// Checked beyond "does not crash": an error is one line with exit code 1 or 2; a parsed command
// has a socket, a timeout in range, a valid session id exactly where its command takes one, and
// sends a request that the daemon's parser accepts as the same request.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/cli/msfctl_command.hpp"

namespace {

using namespace msf::cli;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "msfctl_args_fuzz: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> args;
    for (size_t start = 0; start <= input.size() && args.size() < 64;) {
        const size_t end = input.find('\0', start);
        args.push_back(input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }

    const auto parsed = parse_msfctl_args(args);
    if (const auto* e = std::get_if<MsfctlUsageError>(&parsed)) {
        check(e->exit_code == 1 || e->exit_code == 2, "exit code is neither 1 nor 2");
        check(!e->message.empty() && e->message.find('\n') == std::string::npos, "usage error is not one line");
        return 0;
    }
    const MsfctlCommand& c = std::get<MsfctlCommand>(parsed);
    check(!c.socket.empty(), "no socket path");
    if (c.help) return 0;
    check(c.timeout_ms >= 1 && c.timeout_ms <= kMaxTimeoutMs, "timeout out of range");
    const CommandInfo& info = command_info(c.command);
    check(!session_id_error(c.session_id) == info.takes_session_id, "session id where none belongs, or a bad one");
    check(!c.reveal || info.may_reveal, "reveal on a command without it");
    const Request request = to_request(c, 1);
    const std::string line = encode_request(request);
    const auto again = parse_request(std::string_view(line).substr(0, line.size() - 1));
    check(again.ok() && *again == request, "the request msfctl sends does not parse as itself");
    return 0;
}
