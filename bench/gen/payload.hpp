// The RTP packets msf-gen sends and checks: an RTP header (RFC 3550 §5.1) with an SSRC per
// session and sequence number and timestamp advancing, a 24-byte stamp that names the session,
// the full sequence number and the TSC send time, then filler bytes that are a pure function of
// (session, sequence). The receiver recomputes everything but the send time, so a packet that
// comes back through the gateway (protected and unprotected, or relayed) is checked byte for
// byte, and a packet with any byte changed is counted corrupted, not received.
//
//   0        12                                   36                      size
//   | RTP hdr | magic | session | seq | flags | tsc |  filler(session, seq) ... |
//              u32     u32       u32   u32     u64     (big-endian fields)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/net/checksum.hpp"

namespace msf::gen {

inline constexpr uint32_t kStampMagic = 0x4d534647;  // "MSFG"
inline constexpr size_t kRtpHeaderLen = 12;          // RFC 3550 §5.1, no CSRC, no extension
inline constexpr size_t kStampLen = 24;
inline constexpr size_t kMinPayloadLen = kRtpHeaderLen + kStampLen;  // smallest --size
inline constexpr size_t kMaxPayloadLen = 1400;                       // fits a 1500-byte MTU with IPv6
inline constexpr uint8_t kRtpPayloadType = 0;       // PCMU (RFC 3551 §6): what a G.711 call sends
inline constexpr uint32_t kTimestampStep = 160;     // 20 ms of 8 kHz audio per packet

// Stamp flags. Counted: sent after the warm-up, so the receiver counts it (loss, latency).
// Latch: one of the SRTP packets each UE sends first so the gateway learns (latches) its address
// (it forwards nothing toward a UE before that); never counted.
inline constexpr uint32_t kFlagCounted = 1;
inline constexpr uint32_t kFlagLatch = 2;
inline constexpr uint32_t kKnownFlags = kFlagCounted | kFlagLatch;

struct PayloadId {
    uint32_t session = 0;
    uint32_t seq = 0;  // the full sequence number; RTP carries its low 16 bits
    uint32_t flags = 0;
    uint64_t tsc = 0;  // the sender's TSC when the packet was built
};

// A session's SSRC: fixed per session index, never 0, different for neighbouring sessions.
uint32_t session_ssrc(uint32_t session);

// Writes `size` bytes (kMinPayloadLen..kMaxPayloadLen, the caller checks) at `out`. Returns their
// Internet checksum sum (net::checksum_add(0, out, size)), summed while writing, for a UDP
// checksum that then reads only the headers (net::write_udp_headers' payload_sum).
net::ChecksumSum write_payload(uint8_t* out, size_t size, const PayloadId& id);

enum class PayloadStatus : uint8_t {
    ok,
    not_ours,   // too short for a stamp, not RTP version 2, or no magic: not a packet we sent
    corrupted,  // stamped, but a header field, the length or a filler byte differs
};

std::string_view payload_status_name(PayloadStatus status);

struct PayloadCheck {
    PayloadStatus status = PayloadStatus::not_ours;
    PayloadId id;  // the stamp as received (valid unless not_ours)
};

// Checks a received RTP packet. expected_size 0: any length >= kMinPayloadLen.
PayloadCheck check_payload(std::span<const uint8_t> packet, size_t expected_size);

}  // namespace msf::gen
