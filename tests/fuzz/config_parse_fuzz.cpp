// libFuzzer target for the configuration parser: hostile bytes as the config file and as
// command-line arguments go through parse_config_text (Boost.Program_options for the command
// line, read_ini for the file, every converter and cross-option check of the table).
//
// Input: FILE [ '\0' ARG ( '\n' ARG )* ]: the bytes before the first NUL are the config file,
// the lines after it are argv[1..] (at most kMaxArgs).
//
// Checked beyond "does not crash": an error is one non-empty line; a configuration that is
// accepted satisfies the invariants the dataplane relies on, and format_config() of it parses
// back to the same configuration.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/config/config.hpp"

namespace {

using namespace msf::config;

constexpr size_t kMaxArgs = 64;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "config_parse_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char* what, const DataplaneConfig& c) {
    if (!ok) fail(what, format_config(c));
}

ParseResult parse(std::string_view file, const std::vector<std::string>& args) {
    std::vector<const char*> argv = {"msf-dataplane"};
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    return parse_config_text(file, static_cast<int>(argv.size() - 1), argv.data());
}

void check_side(const SideConfig& side, const DataplaneConfig& c) {
    check(!side.port.name.empty(), "a side without a port", c);
    const auto again = DeviceSpec::parse(side.port.devargs);
    check(again && *again == side.port, "port devargs do not parse back to the port", c);
    check(!side.ipv4.empty() || !side.ipv6.empty(), "a side without an address", c);
    for (const auto& a : side.ipv4) check(a.is_v4(), "a non-IPv4 address in ipv4", c);
    for (const auto& a : side.ipv6) check(a.is_v6(), "a non-IPv6 address in ipv6", c);
    check(!side.gateway_v4 || side.gateway_v4->is_v4(), "gateway_v4 is not IPv4", c);
    check(!side.gateway_v6 || side.gateway_v6->is_v6(), "gateway_v6 is not IPv6", c);
    check(!side.vlan || (*side.vlan >= 1 && *side.vlan <= 4094), "VLAN id out of range", c);
}

void check_config(const DataplaneConfig& c) {
    check_side(c.access, c);
    check_side(c.core, c);
    check(c.workers >= 1 && c.lcores.size() == c.workers + 1, "lcores do not match workers", c);
    check(c.burst >= 1 && c.burst <= kMaxBurst, "burst out of range", c);
    check(c.replay_window >= kMinReplayWindow && c.replay_window <= kMaxReplayWindow &&
              (c.replay_window & (c.replay_window - 1)) == 0,
          "replay window not a power of two in range", c);
    check(c.port_min % 2 == 0 && c.port_min < c.port_max, "bad media port range", c);
    check(c.max_sessions >= 1 && c.max_sessions <= kMaxSessions, "max-sessions out of range", c);
    check(!c.file_prefix.empty() && c.file_prefix.find('<') == std::string::npos,
          "file prefix unresolved", c);
    check(!c.control_socket.empty(), "empty control socket", c);

    const std::string text = format_config(c);
    const auto again = parse(text, {"--config=effective.conf"});
    if (const auto* e = std::get_if<ConfigError>(&again))
        fail("format_config output does not parse", std::string(e->what()) + "\n" + text);
    DataplaneConfig expected = c;
    expected.config_file = "effective.conf";
    if (!(std::get<DataplaneConfig>(again) == expected))
        fail("format_config output parses to another config", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const size_t nul = input.find('\0');
    const std::string_view file = input.substr(0, nul);
    std::vector<std::string> args;
    if (nul != std::string_view::npos) {
        std::string_view rest = input.substr(nul + 1);
        while (args.size() < kMaxArgs) {
            const size_t eol = rest.find('\n');
            args.emplace_back(rest.substr(0, eol));
            if (eol == std::string_view::npos) break;
            rest.remove_prefix(eol + 1);
        }
    }

    const ParseResult result = parse(file, args);
    if (const auto* e = std::get_if<ConfigError>(&result)) {
        const std::string message = e->what();
        if (message.empty() || message.find('\n') != std::string::npos)
            fail("error is not one non-empty line", message);
    } else if (const auto* c = std::get_if<DataplaneConfig>(&result)) {
        check_config(*c);
    }
    return 0;
}
