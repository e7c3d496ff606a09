// Classic pcap files of Ethernet frames, written and read with libpcap: the input of a net_pcap
// port and what its tx side dumped. Errors throw std::runtime_error naming the file.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace msf::test::pcap_file {

using Bytes = std::vector<uint8_t>;

inline constexpr int kSnapLen = 65535;

// One frame per record, 1 ms apart, caplen == len (nothing truncated by the writer).
inline void write_pcap(const std::string& path, const std::vector<Bytes>& frames) {
    const std::unique_ptr<pcap_t, decltype(&pcap_close)> dead(pcap_open_dead(DLT_EN10MB, kSnapLen), pcap_close);
    if (!dead) throw std::runtime_error(path + ": pcap_open_dead failed");
    pcap_dumper_t* dumper = pcap_dump_open(dead.get(), path.c_str());
    if (!dumper) throw std::runtime_error(path + ": pcap_dump_open: " + pcap_geterr(dead.get()));
    for (size_t i = 0; i < frames.size(); ++i) {
        if (frames[i].size() > static_cast<size_t>(kSnapLen)) {
            pcap_dump_close(dumper);
            throw std::runtime_error(path + ": frame " + std::to_string(i) + " is longer than the snap length");
        }
        pcap_pkthdr header{};
        header.ts.tv_sec = static_cast<time_t>(1'700'000'000 + i / 1000);
        header.ts.tv_usec = static_cast<suseconds_t>(i % 1000 * 1000);
        header.caplen = header.len = static_cast<bpf_u_int32>(frames[i].size());
        pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frames[i].data());
    }
    const bool flushed = pcap_dump_flush(dumper) == 0;
    pcap_dump_close(dumper);
    if (!flushed) throw std::runtime_error(path + ": pcap_dump_flush failed");
}

// Every record in file order. A record cut short by the writer (caplen < len) is an error:
// the dataplane must never emit one.
inline std::vector<Bytes> read_pcap(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    const std::unique_ptr<pcap_t, decltype(&pcap_close)> in(pcap_open_offline(path.c_str(), errbuf), pcap_close);
    if (!in) throw std::runtime_error(path + ": pcap_open_offline: " + errbuf);
    if (pcap_datalink(in.get()) != DLT_EN10MB)
        throw std::runtime_error(path + ": link type " + std::to_string(pcap_datalink(in.get())) + " is not Ethernet");
    std::vector<Bytes> frames;
    for (;;) {
        pcap_pkthdr* header = nullptr;
        const u_char* data = nullptr;
        const int rc = pcap_next_ex(in.get(), &header, &data);
        if (rc == PCAP_ERROR_BREAK) break;  // end of file
        if (rc != 1) throw std::runtime_error(path + ": pcap_next_ex: " + pcap_geterr(in.get()));
        if (header->caplen != header->len)
            throw std::runtime_error(path + ": record " + std::to_string(frames.size()) + " has caplen " +
                                     std::to_string(header->caplen) + " < len " + std::to_string(header->len));
        frames.emplace_back(data, data + header->caplen);
    }
    return frames;
}

}  // namespace msf::test::pcap_file
