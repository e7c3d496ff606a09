// msf-gen export-pcap: N sessions' traffic toward the gateway as a pcap for pktgen-dpdk and
// TRex users: SRTP from each UE to the gateway's access address (--direction access, protected
// with the session's UE->network key by libsrtp2) or plain RTP from each core peer to the
// gateway's core address (--direction core). Packets are the msf-gen payload (payload.hpp),
// sequence numbers 0..N-1 per session, sessions interleaved, 20 ms apart per session.
// Replaying the file more than once repeats SRTP indexes: see bench/gen/README.md.
#pragma once

#include <string>
#include <vector>

#include "bench/gen/calls_file.hpp"
#include "bench/gen/gen_options.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::gen {

// The MACs written into the file: locally administered placeholders the replaying tool
// rewrites for its NIC (pktgen-dpdk and TRex both can).
inline const net::MacAddr kExportSourceMac{{0x02, 0x00, 0x00, 0x00, 0x6e, 0x01}};
inline const net::MacAddr kExportGatewayMac{{0x02, 0x00, 0x00, 0x00, 0x6e, 0x02}};

// Writes the file; false and *error (one line) when a session cannot be keyed or the file
// cannot be written. *packets gets the number of packets written.
bool export_pcap(const ExportOptions& options, const std::vector<GenSession>& sessions, uint64_t* packets,
                 std::string* error);

}  // namespace msf::gen
