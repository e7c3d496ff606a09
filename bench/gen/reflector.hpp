// The hairpin's reflection: SRTP the gateway sent to UE A goes back into the gateway as if UE B
// had sent it. Only Ethernet, IP and UDP change (B's UE address to B's MSF access address); the
// SRTP packet, tag included, stays byte for byte where it was received, so B's unprotect
// checks exactly what A's protect produced.
#pragma once

#include <cstdint>

#include "dataplane/net/frame.hpp"
#include "dataplane/net/udp_frame.hpp"

namespace msf::gen {

struct ReflectedFrame {
    uint8_t* frame = nullptr;  // nullptr: not reflected (family mismatch, too long, no headroom)
    uint32_t len = 0;
};

// `frame` holds a parsed UDP frame (`parsed` from net::parse_frame) inside a buffer that begins
// `headroom` bytes before it. Writes `to`'s headers in front of the UDP payload and returns the
// new frame, which may start earlier or later than the old one when the header sizes differ.
ReflectedFrame reflect_frame(uint8_t* frame, uint32_t headroom, const net::ParsedFrame& parsed,
                             const net::UdpFrameTemplate& to, net::ChecksumMode mode);

}  // namespace msf::gen
