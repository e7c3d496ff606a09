// msf-controld assembled: the session manager (store + dataplane link), the Diameter node with the
// Rx application, and the CLI socket, all on one EventLoop. Start-up failures throw with one line
// saying what is wrong; after that nothing a peer, a client or the dataplane does stops the daemon.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/cli/server.hpp"
#include "controlplane/controld/cli_handler.hpp"
#include "controlplane/controld/config.hpp"
#include "controlplane/controld/event_loop.hpp"
#include "controlplane/controld/rx_application.hpp"
#include "controlplane/diameter/node.hpp"
#include "controlplane/sessions/manager.hpp"
#include "dataplane/api/client.hpp"

namespace msf::controld {

class StartupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Daemon {
public:
    explicit Daemon(ControldConfig config);  // StartupError
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Runs until SIGTERM or SIGINT, then sends DPR to every peer, commits the store and returns 0.
    int run();

private:
    void log(LogLevel level, std::string_view line) const;
    void connect_dataplane();
    void abandon_sessions(const std::vector<std::string>& session_ids);
    void drain_dataplane_events();
    void sync_msrp();
    void on_signal();

    ControldConfig config_;
    EventLoop loop_;
    std::unique_ptr<sessions::SessionManager> manager_;
    std::unique_ptr<RxApplication> rx_;
    std::unique_ptr<MsrpLink> msrp_;  // when [msrp] names msf-msrpd
    std::unique_ptr<diameter::Node> node_;
    std::unique_ptr<ControldCli> cli_handler_;
    std::unique_ptr<cli::CliHandler> cli_entry_;  // finishes the install batch in flight, then cli_handler_
    std::unique_ptr<cli::CliServer> cli_;
    // A second dataplane connection, subscribed to events (the manager's link is for requests).
    api::ControlClient events_{1000};
    int signal_fd_ = -1;
    bool stopping_ = false;
    std::string last_dataplane_error_;  // logged once, not on every retry
};

// DiameterIdentity -> the node's peer settings; connect names are resolved here, once (the node
// makes no blocking DNS calls). StartupError for a name that does not resolve.
diameter::NodeSettings node_settings(const ControldConfig& config);
sessions::ManagerOptions manager_options(const ControldConfig& config);

}  // namespace msf::controld
