// EAL start-up from the dataplane configuration: the argument vector (a pure function, so it
// can be tested without an EAL) and a thin wrapper around rte_eal_init.
#pragma once

#include <string>
#include <vector>

#include "dataplane/config/config.hpp"

namespace msf::drivers {

// The whole EAL argv, argv[0] included: lcores and main lcore, file prefix, memory mode
// (--in-memory with hugepages; --no-huge --no-shconf without), -m, one -a per PCI port or
// --no-pci, one --vdev per virtual port (a device both sides share appears once), telemetry,
// log level, then the user's `eal` arguments.
std::vector<std::string> eal_arguments(const config::DataplaneConfig& config);

// rte_eal_init(arguments). DPDK allows one successful call per process. On failure returns
// false and sets *error to one line naming rte_eal_init, rte_errno's text and the arguments.
bool start_eal(const std::vector<std::string>& arguments, std::string* error);
inline bool start_eal(const config::DataplaneConfig& config, std::string* error) {
    return start_eal(eal_arguments(config), error);
}

// rte_eal_cleanup(): after every port is closed and every lcore has returned.
void stop_eal();

}  // namespace msf::drivers
