// libFuzzer target for msf-controld's configuration parser: hostile bytes as the config file and
// as command-line arguments go through parse_controld_config_text (Boost.Program_options for the
// command line, read_ini for the file, every converter, the peer option's keys and the
// cross-option checks).
//
// Input: FILE [ '\0' ARG ( '\n' ARG )* ]: the bytes before the first NUL are the config file,
// the lines after it are argv[1..] (at most kMaxArgs).
//
// Checked beyond "does not crash": an error is one non-empty line; a configuration that is
// accepted satisfies the invariants the daemon relies on, and format_controld_config() of it
// parses back to the same configuration.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/controld/config.hpp"

namespace {

using namespace msf::controld;

constexpr size_t kMaxArgs = 64;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "controld_config_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char* what, const ControldConfig& c) {
    if (!ok) fail(what, format_controld_config(c));
}

ParseResult parse(std::string_view file, const std::vector<std::string>& args) {
    std::vector<const char*> argv = {"msf-controld"};
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    return parse_controld_config_text(file, static_cast<int>(argv.size() - 1), argv.data());
}

void check_config(const ControldConfig& c) {
    check(!c.cli_socket.empty() && !c.dataplane_socket.empty() &&
              c.cli_socket != c.dataplane_socket,
          "bad sockets", c);
    check(!c.store.empty() && !c.store_key.empty(), "empty store path", c);

    const DiameterConfig& d = c.diameter;
    check(valid_diameter_identity(d.identity) && valid_diameter_identity(d.realm),
          "identity or realm is not an FQDN", c);
    for (const auto* list : {&d.listen, &d.tls_listen})
        for (const auto& e : *list) check(e.port != 0 && !e.addr.empty(), "bad listener", c);
    check(d.tls_cert.empty() == d.tls_key.empty(), "certificate without key", c);
    check(!d.uses_tls() || !d.tls_cert.empty(), "TLS without a certificate", c);
    check(d.vendor_id != 0, "vendor-id 0", c);
    check(!d.product_name.empty() && d.product_name.size() <= 255, "bad product name", c);
    check(d.watchdog_ms >= kMinWatchdogMs, "Tw below 6 s", c);
    check(d.max_message_bytes >= kMinMessageBytes && d.max_message_bytes <= kMaxMessageBytes,
          "max-message-bytes out of range", c);
    for (const auto& p : d.peers) {
        check(valid_diameter_identity(p.identity), "peer identity is not an FQDN", c);
        check(p.realm.empty() || valid_diameter_identity(p.realm), "peer realm is not an FQDN", c);
        check(!p.connect || p.connect->port != 0, "peer connect port 0", c);
        check(p.max_sessions <= c.policy.max_sessions, "peer max-sessions above the total", c);
        check(p.connect || !(p.tls ? d.tls_listen : d.listen).empty(), "unreachable peer", c);
    }

    const MediaConfig& m = c.media;
    check(!m.access_ipv4.empty() || !m.access_ipv6.empty(), "no access address", c);
    check(!m.core_ipv4.empty() || !m.core_ipv6.empty(), "no core address", c);
    for (const auto* list : {&m.access_ipv4, &m.core_ipv4})
        for (const auto& a : *list) check(a.is_v4(), "non-IPv4 address in an ipv4 list", c);
    for (const auto* list : {&m.access_ipv6, &m.core_ipv6})
        for (const auto& a : *list) check(a.is_v6(), "non-IPv6 address in an ipv6 list", c);
    check(m.port_min % 2 == 0 && m.port_min < m.port_max, "bad media port range", c);
    check(m.replay_window >= kMinReplayWindow && m.replay_window <= kMaxReplayWindow &&
              (m.replay_window & (m.replay_window - 1)) == 0,
          "replay window not a power of two in range", c);
    check(m.inactivity_timeout_ms == 0 || m.inactivity_timeout_ms >= kMinInactivityTimeoutMs,
          "inactivity timeout below 1 s", c);

    const PolicyConfig& p = c.policy;
    check(!p.suites.empty(), "no suites", c);
    check(std::find(p.suites.begin(), p.suites.end(), p.default_suite) != p.suites.end(),
          "default suite not accepted", c);
    check(p.max_sessions >= 1 && p.max_sessions <= kMaxSessions, "max-sessions out of range", c);
    check(p.max_sessions_per_peer <= p.max_sessions, "per-peer limit above the total", c);

    const std::string text = format_controld_config(c);
    const auto again = parse(text, {"--config=effective.conf"});
    if (const auto* e = std::get_if<ConfigError>(&again))
        fail("format_controld_config output does not parse", std::string(e->what()) + "\n" + text);
    ControldConfig expected = c;
    expected.config_file = "effective.conf";
    if (!(std::get<ControldConfig>(again) == expected))
        fail("format_controld_config output parses to another config", text);
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
    } else if (const auto* c = std::get_if<ControldConfig>(&result)) {
        check_config(*c);
    }
    return 0;
}
