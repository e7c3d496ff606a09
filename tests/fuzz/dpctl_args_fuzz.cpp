// libFuzzer target for msf-dpctl's command line and the value parsers it shares with
// msf-rtp-peer. The input is argv: arguments separated by NUL bytes.
//
// Checked beyond "does not crash": an error is one line with exit code 1 or 2; a parsed session
// add/modify holds keys and salts of exactly its suites' lengths; every value parser either
// returns a value or a one-line error; JSON strings never carry a raw control character.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/tools/cli_values.hpp"
#include "dataplane/tools/dpctl_command.hpp"
#include "dataplane/tools/json_writer.hpp"

namespace {

using namespace msf;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "dpctl_args_fuzz: %s\n", what);
        std::abort();
    }
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

void check_keys(const api::KeySpec& k) {
    const srtp::SuiteInfo& info = srtp::suite_info(k.suite);
    check(k.master_key.size() == info.key_len, "master key length is not the suite's");
    check(k.master_salt.size() == info.salt_len, "master salt length is not the suite's");
    check(k.mki.size() <= srtp::kMaxMkiLen, "MKI longer than the limit");
}

template <class T>
void check_parsed(const tools::Parsed<T>& p) {
    if (!p.ok()) check(one_line(p.error()), "value error is not one line");
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
    const auto parsed = tools::parse_dpctl_args(args, "/run/msf/dataplane.sock");
    if (const auto* e = std::get_if<tools::DpctlUsageError>(&parsed)) {
        check(e->exit_code == 1 || e->exit_code == 2, "exit code is neither 1 nor 2");
        check(one_line(e->message), "usage error is not one line");
    } else {
        const tools::DpctlCommand& c = std::get<tools::DpctlCommand>(parsed);
        check(!c.socket.empty(), "no socket path");
        if (c.verb == tools::DpctlVerb::session_add || c.verb == tools::DpctlVerb::session_modify) {
            check_keys(c.spec.from_ue);
            check_keys(c.spec.to_ue);
        }
    }

    // The whole input through each value parser.
    check_parsed(tools::parse_unsigned(input, UINT64_MAX));
    check_parsed(tools::parse_hex(input, 64));
    check_parsed(tools::parse_endpoint(input));
    check_parsed(tools::parse_suite(input));
    const auto hex = tools::parse_hex(input, 64);
    if (hex.ok()) {
        check(tools::to_hex(hex.value()).size() == input.size(), "hex does not round-trip in length");
        for (const srtp::SuiteInfo& info : srtp::kSuites) check_parsed(tools::split_master_key(hex.value(), info.suite));
    }
    const auto endpoint = tools::parse_endpoint(input);
    if (endpoint.ok()) check(tools::parse_endpoint(endpoint.value().to_string()).ok(), "endpoint does not round-trip");

    std::string json;
    tools::append_json_string(json, input);
    for (const char ch : json) check(static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f, "raw control character in JSON");
    return 0;
}
