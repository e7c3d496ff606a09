#pragma once

#include "dataplane/gateway/gateway.hpp"

namespace msf::dp {

// Registers /msf/stats, /msf/ports and /msf/sessions with DPDK telemetry. The gateway must
// outlive the EAL's telemetry thread use of them.
void register_telemetry(const Gateway& gateway);

}  // namespace msf::dp
