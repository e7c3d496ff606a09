// The freeDiameter 1.2.1 configuration file of one msf-fd-rx-client run, generated from its
// command line so the caller passes arguments only.
#pragma once

#include <string>

#include "tests/tools/fd_rx_client/client_args.hpp"

namespace msf::fdrx {

// The client listens nowhere (Port = 0, SecPort = 0): it only connects to its one ConnectPeer.
// With no TLS port and no TLS_Cred freeDiameter runs with TLS disabled and asks for no
// certificate; the peer is No_TLS (plain TCP, as Kamailio's cdp speaks). NoRelay: a P-CSCF is no
// relay agent, so the CER advertises Rx alone, not the relay application 0xffffffff. No extension
// is loaded: the Rx dictionary is defined at run time (rx_dictionary.hpp).
std::string fd_config_text(const ClientOptions& options);

}  // namespace msf::fdrx
