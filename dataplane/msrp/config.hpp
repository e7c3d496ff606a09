// msf-msrpd's configuration: an INI file (--config) and command-line options of the same names,
// read with Boost.Program_options. `msf-msrpd --help` lists every option with its default.
#pragma once

#include <stdexcept>
#include <string>

#include "dataplane/msrp/relay.hpp"

namespace msf::msrp {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct DaemonConfig {
    RelayConfig relay;
    std::string control_socket;
    bool help = false;       // --help was given: usage is in `usage`
    std::string usage;
};

// Throws ConfigError naming the option and what is wrong with it (start-up).
DaemonConfig parse_config(int argc, const char* const* argv);

}  // namespace msf::msrp
