// A classic pcap file (libpcap format, LINKTYPE_ETHERNET, microsecond timestamps): what
// pktgen-dpdk (-s port:file.pcap) and TRex replay. Plain stdio, no libpcap dependency.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

namespace msf::gen {

class PcapWriter {
public:
    // Creates (truncates) `path` and writes the global header; false and *error otherwise.
    bool open(const std::string& path, std::string* error);
    ~PcapWriter();
    // One record with the given capture time; false once a write failed.
    bool write(std::span<const uint8_t> frame, uint64_t time_us);
    // Flushes and closes; false when anything failed to reach the file.
    bool close();

private:
    std::FILE* file_ = nullptr;
    bool ok_ = true;
};

}  // namespace msf::gen
