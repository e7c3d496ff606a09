// What msfctl sees: the CLI requests (cli/protocol.hpp) answered from the session manager, the
// dataplane's counters, the Diameter node and the Rx application.
#pragma once

#include <functional>
#include <string>

#include "controlplane/cli/server.hpp"
#include "controlplane/controld/rx_application.hpp"
#include "controlplane/diameter/node.hpp"
#include "controlplane/sessions/manager.hpp"

namespace msf::controld {

class ControldCli final : public cli::CliHandler {
public:
    ControldCli(sessions::SessionManager& manager, diameter::Node& node, RxApplication& rx, std::string store_path)
        : manager_(manager), node_(node), rx_(rx), store_path_(std::move(store_path)) {}

    cli::Response handle(const cli::Request& request, const cli::Caller& caller) override;

private:
    cli::Response sessions();
    cli::Response session(const std::string& id);
    cli::Response keys(const std::string& id, bool reveal);
    cli::Response stats();
    cli::Response peers();
    cli::Response remove(const std::string& id);

    sessions::SessionManager& manager_;
    diameter::Node& node_;
    RxApplication& rx_;
    std::string store_path_;
};

// A key's fingerprint: the first 8 bytes of SHA-256(master key || master salt), hex. Identifies
// a key in logs and the CLI without revealing it.
std::string key_fingerprint(const api::KeySpec& key);

}  // namespace msf::controld
