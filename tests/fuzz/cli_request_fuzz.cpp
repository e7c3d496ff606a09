// libFuzzer target for the CLI protocol's two parsers: request lines (what msf-controld's CLI
// socket reads from any local user) and response lines (what msfctl reads from the daemon).
//
// Checked beyond "does not crash": every error is one line, and an error's id is a valid id; a
// parsed request encodes to one line that parses back to the same request; a parsed response
// encodes to one line that parses back to the same response (and encodes to the same line).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "controlplane/cli/protocol.hpp"

namespace {

using namespace msf::cli;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "cli_request_fuzz: %s\n", what);
        std::abort();
    }
}

bool one_line(const std::string& s) { return s.find('\n') == std::string::npos; }

std::string_view without_newline(const std::string& line) {
    check(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1, "encoded line is not one line");
    return std::string_view(line).substr(0, line.size() - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const auto request = parse_request(input);
    if (!request) {
        check(one_line(request.error().message) && !request.error().message.empty(), "request error is not one line");
        check(!request.error().id || *request.error().id <= kMaxRequestId, "error id out of range");
    } else {
        check(request->id <= kMaxRequestId, "id out of range");
        check(!session_id_error(request->session_id) == command_info(request->command).takes_session_id,
              "session id where the command takes none, or a bad one");
        check(!request->reveal || command_info(request->command).may_reveal, "reveal on a command without it");
        const auto again = parse_request(without_newline(encode_request(*request)));
        check(again.ok() && *again == *request, "request does not round-trip");
    }

    const auto response = parse_response(input);
    if (!response) {
        check(one_line(response.error().message), "response error is not one line");
    } else {
        const std::string line = encode_response(response->id, response->response);
        const auto again = parse_response(without_newline(line));
        check(again.ok(), "encoded response does not parse");
        check(again->id == response->id && again->response.code == response->response.code, "response id or code changed");
        if (response->response.ok()) {
            // Compared as text: a number beyond double range parses as infinity and prints as null.
            check(encode_response(again->id, again->response) == line, "result changed");
        } else {
            check(again->response.error == printable_line(response->response.error, kMaxErrorLen), "error text changed");
        }
    }
    return 0;
}
