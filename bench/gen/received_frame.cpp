#include "bench/gen/received_frame.hpp"

#include <span>

namespace msf::gen {

ReceivedFrame classify_received(const uint8_t* frame, uint32_t len, bool check_udp_payload, size_t expected_size) {
    ReceivedFrame r;
    r.error = net::parse_frame(frame, len, net::ParseOptions{}, r.parsed);
    if (r.error != net::FrameError::none) return r;
    switch (r.parsed.kind) {
        case net::FrameKind::arp:
        case net::FrameKind::icmp4:
        case net::FrameKind::icmp6: r.kind = ReceivedKind::neighbour; return r;
        case net::FrameKind::other: r.kind = ReceivedKind::other; return r;
        case net::FrameKind::udp: break;
    }
    r.kind = ReceivedKind::udp;
    if (check_udp_payload)
        r.payload = check_payload(std::span<const uint8_t>(frame + r.parsed.payload_offset, r.parsed.payload_len),
                                  expected_size);
    return r;
}

}  // namespace msf::gen
