#include "bench/gen/reflector.hpp"

namespace msf::gen {

ReflectedFrame reflect_frame(uint8_t* frame, uint32_t headroom, const net::ParsedFrame& parsed,
                             const net::UdpFrameTemplate& to, net::ChecksumMode mode) {
    if (parsed.kind != net::FrameKind::udp) return {};
    const uint32_t room = net::udp_header_room(to);
    if (room == 0 || room > headroom + parsed.payload_offset) return {};
    uint8_t* payload = frame + parsed.payload_offset;
    uint8_t* out = net::write_udp_headers(payload, parsed.payload_len, to, mode);
    if (out == nullptr) return {};
    return {out, room + parsed.payload_len};
}

}  // namespace msf::gen
