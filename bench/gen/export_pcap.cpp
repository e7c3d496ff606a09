#include "bench/gen/export_pcap.hpp"

#include <memory>

#include "bench/gen/payload.hpp"
#include "bench/gen/pcap_writer.hpp"
#include "bench/gen/srtp_stream.hpp"
#include "dataplane/net/udp_frame.hpp"

namespace msf::gen {

bool export_pcap(const ExportOptions& options, const std::vector<GenSession>& sessions, uint64_t* packets,
                 std::string* error) {
    *packets = 0;
    const bool access = options.direction == PcapDirection::access;
    std::vector<std::unique_ptr<SrtpStream>> srtp;
    std::vector<net::UdpFrameTemplate> templates;
    for (const GenSession& s : sessions) {
        net::UdpFrameTemplate t;
        t.src_mac = kExportSourceMac;
        t.dst_mac = kExportGatewayMac;
        const net::Endpoint& from = access ? s.ue : s.core;
        const net::Endpoint& to = access ? s.msf_access : s.msf_core;
        t.src = from.addr;
        t.dst = to.addr;
        t.src_port = from.port;
        t.dst_port = to.port;
        templates.push_back(t);
        if (access) {
            auto stream = SrtpStream::create(s.from_ue, SrtpStream::Role::sender,
                                             session_ssrc(static_cast<uint32_t>(templates.size() - 1)), error);
            if (!stream) return false;
            srtp.push_back(std::move(stream));
        }
    }
    PcapWriter writer;
    if (!writer.open(options.out, error)) return false;
    // Headroom for the headers, the packet, and libsrtp's trailer; 4-byte aligned for libsrtp.
    constexpr size_t kHeadroom = 64;
    alignas(8) uint8_t buffer[kHeadroom + kMaxPayloadLen + SrtpStream::kMaxTrailer];
    const uint64_t step_us = sessions.empty() ? 0 : 20'000 / sessions.size();
    uint64_t time_us = 0;
    for (uint32_t seq = 0; seq < options.packets_per_session; ++seq) {
        for (size_t i = 0; i < sessions.size(); ++i) {
            uint8_t* payload = buffer + kHeadroom;
            write_payload(payload, options.size, PayloadId{static_cast<uint32_t>(i), seq, kFlagCounted, 0});
            size_t len = options.size;
            if (access && !srtp[i]->protect(payload, &len)) {
                *error = "libsrtp2 refused to protect a packet of session " + std::to_string(i);
                return false;
            }
            uint8_t* frame = net::write_udp_headers(payload, static_cast<uint32_t>(len), templates[i],
                                                    net::ChecksumMode::software);
            if (frame == nullptr) {
                *error = "session " + std::to_string(i) + ": cannot build its headers";
                return false;
            }
            const size_t frame_len = static_cast<size_t>(payload - frame) + len;
            if (!writer.write(std::span<const uint8_t>(frame, frame_len), time_us)) {
                *error = options.out + ": write failed";
                return false;
            }
            time_us += step_us;
            ++*packets;
        }
    }
    if (!writer.close()) {
        *error = options.out + ": write failed";
        return false;
    }
    return true;
}

}  // namespace msf::gen
