// The receive side's first look at a frame from the gateway: Ethernet/IP/UDP parsed (every
// checksum verified: the gateway rewrote the headers) and, for UDP, the payload checked as an
// msf-gen packet. Shared by msf-gen's loop and the gen_payload_fuzz target.
#pragma once

#include <cstdint>

#include "bench/gen/payload.hpp"
#include "dataplane/net/frame.hpp"

namespace msf::gen {

enum class ReceivedKind : uint8_t {
    bad_frame,   // parse_frame refused it (truncated, bad checksum, ...)
    neighbour,   // ARP or ICMP/ICMPv6 (ND): for the neighbour code
    other,       // IP but not UDP
    udp,         // UDP: `payload` says what the payload is
};

struct ReceivedFrame {
    ReceivedKind kind = ReceivedKind::bad_frame;
    net::FrameError error = net::FrameError::none;
    net::ParsedFrame parsed;
    PayloadCheck payload;  // kind == udp and check_payload asked
};

// check_udp_payload false: the payload is SRTP (not checkable before unprotecting).
ReceivedFrame classify_received(const uint8_t* frame, uint32_t len, bool check_udp_payload, size_t expected_size);

}  // namespace msf::gen
