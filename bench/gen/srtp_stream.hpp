// One direction of one session's SRTP through libsrtp2: msf-gen's independent implementation
// for the modes where the gateway's output or input must be SRTP made elsewhere (protect:
// verifying a sample of the gateway's SRTP; unprotect and export-pcap: making the SRTP the
// gateway unprotects). libsrtp2 is slow (DESIGN.md: ~0.5 Mpps AES-CM), never the gateway's path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "controlplane/keying/media_keys.hpp"

namespace msf::gen {

class SrtpStream {
public:
    enum class Role { sender, receiver };

    // One SSRC's stream; nullptr and *error when libsrtp2 refuses the suite or keys. A sender
    // may protect an index again (a packet the port refused is rebuilt with its index).
    static std::unique_ptr<SrtpStream> create(const keying::MediaKeys& keys, Role role, uint32_t ssrc,
                                              std::string* error);
    ~SrtpStream();
    SrtpStream(const SrtpStream&) = delete;
    SrtpStream& operator=(const SrtpStream&) = delete;

    // RTP packet of *len bytes at `packet` (32-bit aligned, with kMaxTrailer bytes of room
    // after it) becomes SRTP in place; false when libsrtp2 fails.
    bool protect(uint8_t* packet, size_t* len);
    // SRTP packet becomes RTP in place; false on an authentication or replay failure.
    bool unprotect(uint8_t* packet, size_t* len);
    // RFC 3711 §3.3.1: the rollover counter, for a stream that does not start at index 0 (msf-gen
    // resumes each session's sequence where the last run left it) or a receiver that sees only
    // a sample of the packets.
    bool set_roc(uint32_t roc);

    static constexpr size_t kMaxTrailer = 144;  // SRTP_MAX_TRAILER_LEN in libsrtp 2.5

private:
    SrtpStream() = default;
    struct Session;
    Session* session_ = nullptr;
    uint32_t ssrc_ = 0;
};

}  // namespace msf::gen
