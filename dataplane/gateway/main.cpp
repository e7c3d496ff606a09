// msf-dataplane: the DPDK media relay. Configuration from a file and the command line
// (--help lists every option); sessions arrive over the control socket.
#include <csignal>
#include <cstdio>
#include <variant>

#include "dataplane/gateway/gateway.hpp"
#include "dataplane/gateway/telemetry.hpp"

namespace {

msf::dp::Gateway* g_gateway = nullptr;

void on_signal(int) {
    if (g_gateway) g_gateway->stop();
}

}  // namespace

int main(int argc, char** argv) {
    msf::config::ParseResult parsed = msf::config::parse_config(argc, argv);
    if (auto* info = std::get_if<msf::config::InfoRequest>(&parsed)) {
        std::fputs(info->text.c_str(), stdout);
        return 0;
    }
    if (auto* error = std::get_if<msf::config::ConfigError>(&parsed)) {
        std::fprintf(stderr, "msf-dataplane: %s\n", error->what());
        return 2;
    }
    const auto& config = std::get<msf::config::DataplaneConfig>(parsed);
    try {
        msf::dp::Gateway gateway(config);
        if (config.telemetry) msf::dp::register_telemetry(gateway);
        g_gateway = &gateway;
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        gateway.run();
        g_gateway = nullptr;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msf-dataplane: %s\n", e.what());
        return 1;
    }
    return 0;
}
