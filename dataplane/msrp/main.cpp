// msf-msrpd: terminates TLS-PSK from the UEs and relays MSRP (RFC 4975) over plain TCP to the
// core, both ways, with To-Path / From-Path rewritten. Sessions come over the control socket.
#include <sys/resource.h>

#include <csignal>
#include <iostream>

#include "dataplane/msrp/config.hpp"
#include "dataplane/msrp/control.hpp"
#include "dataplane/msrp/relay.hpp"

namespace {
msf::msrp::Relay* g_relay = nullptr;
void on_signal(int) {
    if (g_relay != nullptr) g_relay->stop();
}
}  // namespace

int main(int argc, char** argv) {
    try {
        const msf::msrp::DaemonConfig config = msf::msrp::parse_config(argc, argv);
        if (config.help) {
            std::cout << config.usage;
            return 0;
        }
        std::signal(SIGPIPE, SIG_IGN);
        // Two descriptors per UE connection: take the hard limit, the soft default (1024) is
        // far below max-connections.
        rlimit files{};
        if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
            files.rlim_cur = files.rlim_max;
            setrlimit(RLIMIT_NOFILE, &files);
        }
        msf::msrp::Relay relay(config.relay);
        msf::msrp::ControlServer control(relay, config.control_socket);
        g_relay = &relay;
        struct sigaction action {};
        action.sa_handler = on_signal;
        sigaction(SIGINT, &action, nullptr);
        sigaction(SIGTERM, &action, nullptr);
        std::cerr << "msf-msrpd: listening on " << config.relay.listen_address << ":" << relay.listen_port()
                  << ", control socket " << config.control_socket << std::endl;
        relay.run();
        g_relay = nullptr;
        std::cerr << "msf-msrpd: stopped" << std::endl;
        return 0;
    } catch (const msf::msrp::ConfigError& e) {
        std::cerr << "msf-msrpd: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "msf-msrpd: " << e.what() << "\n";
        return 1;
    }
}
