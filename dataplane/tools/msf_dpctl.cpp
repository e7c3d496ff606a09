// msf-dpctl: the operator's and the tests' view of one msf-dataplane through its control socket.
// `msf-dpctl --help` lists the commands and options (dpctl_command.cpp).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/api/client.hpp"
#include "dataplane/config/config.hpp"
#include "dataplane/tools/dpctl_command.hpp"
#include "dataplane/tools/dpctl_output.hpp"

namespace {

using namespace msf;

// The dataplane's own default, from its option table: one definition of the path.
std::string default_socket() {
    for (const config::OptionSpec& o : config::option_table())
        if (o.name == "control-socket") return std::string(o.default_value);
    return "/run/msf/dataplane.sock";
}

int fail(const std::string& line) {
    std::fprintf(stderr, "msf-dpctl: %s\n", line.c_str());
    return 1;
}

int fail(std::string_view what, const api::Result& result) {
    return fail(std::string(what) + ": " + api::to_string(result));
}

void print(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

volatile std::sig_atomic_t g_interrupted = 0;

int run_events(api::ControlClient& client, const tools::DpctlCommand& cmd) {
    if (auto r = client.subscribe_events(); !r.ok()) return fail("events", r);
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    uint64_t received = 0;
    while (!g_interrupted && (cmd.event_count == 0 || received < cmd.event_count)) {
        int wait_ms = 200;  // short waits so a signal or the deadline ends the loop promptly
        if (cmd.event_timeout_ms) {
            const auto elapsed =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
            if (uint64_t(elapsed) >= cmd.event_timeout_ms) break;
            wait_ms = int(std::min<uint64_t>(uint64_t(wait_ms), cmd.event_timeout_ms - uint64_t(elapsed)));
        }
        auto next = client.next_event(wait_ms);
        if (!next.ok()) return fail("events", next.status);
        if (!next.value) continue;
        ++received;
        print(cmd.json ? tools::event_json(*next.value) : tools::event_text(*next.value));
    }
    if (client.events_dropped())
        std::fprintf(stderr, "msf-dpctl: events: %zu events dropped (not read fast enough)\n", client.events_dropped());
    if (cmd.event_count && received < cmd.event_count && !g_interrupted)
        return fail("events: " + std::to_string(received) + " of " + std::to_string(cmd.event_count) +
                    " events within " + std::to_string(cmd.event_timeout_ms) + " ms");
    return 0;
}

int run(tools::DpctlCommand& cmd) {
    api::ControlClient client;
    if (auto r = client.connect(cmd.socket); !r.ok()) return fail(api::to_string(r));
    if (auto r = client.hello("msf-dpctl"); !r.ok()) return fail("hello", r);

    switch (cmd.verb) {
        case tools::DpctlVerb::help: return 0;
        case tools::DpctlVerb::hello:
            print(cmd.json ? tools::hello_json(client.server()) : tools::hello_text(client.server()));
            return 0;
        case tools::DpctlVerb::session_add:
        case tools::DpctlVerb::session_modify: {
            const bool add = cmd.verb == tools::DpctlVerb::session_add;
            const api::Result r = add ? client.add_session(cmd.spec) : client.modify_session(cmd.spec);
            api::wipe_keys(cmd.spec);
            if (!r.ok()) return fail(add ? "session add" : "session modify", r);
            print("session " + std::to_string(cmd.spec.id) + (add ? " added\n" : " modified\n"));
            return 0;
        }
        case tools::DpctlVerb::session_remove:
            if (auto r = client.remove_session(cmd.session_id); !r.ok()) return fail("session remove", r);
            print("session " + std::to_string(cmd.session_id) + " removed\n");
            return 0;
        case tools::DpctlVerb::session_get: {
            auto r = client.get_session(cmd.session_id);
            if (!r.ok()) return fail("session get", r.status);
            print(cmd.json ? tools::session_json(r.value) : tools::session_text(r.value));
            return 0;
        }
        case tools::DpctlVerb::sessions: {
            auto r = client.list_all();
            if (!r.ok()) return fail("sessions", r.status);
            print(cmd.json ? tools::sessions_json(r.value) : tools::sessions_text(r.value));
            return 0;
        }
        case tools::DpctlVerb::stats: {
            auto r = client.counters();
            if (!r.ok()) return fail("stats", r.status);
            print(cmd.json ? tools::stats_json(r.value) : tools::stats_text(r.value));
            return 0;
        }
        case tools::DpctlVerb::ports: {
            auto r = client.port_status();
            if (!r.ok()) return fail("ports", r.status);
            print(cmd.json ? tools::ports_json(r.value) : tools::ports_text(r.value));
            return 0;
        }
        case tools::DpctlVerb::events: return run_events(client, cmd);
    }
    return fail("unhandled command");
}

}  // namespace

int main(int argc, char** argv) {
    const std::string socket = default_socket();
    std::vector<std::string_view> args(argv + 1, argv + argc);
    auto parsed = tools::parse_dpctl_args(args, socket);
    if (auto* error = std::get_if<tools::DpctlUsageError>(&parsed)) {
        std::fprintf(stderr, "msf-dpctl: %s\n", error->message.c_str());
        return error->exit_code;
    }
    auto& cmd = std::get<tools::DpctlCommand>(parsed);
    if (cmd.verb == tools::DpctlVerb::help) {
        print(tools::dpctl_help(socket));
        return 0;
    }
    return run(cmd);
}
