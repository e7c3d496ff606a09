// The outcome of protecting or unprotecting one packet.
#pragma once

#include <cstdint>
#include <string_view>

namespace msf::srtp {

enum class Status : uint8_t {
    ok,
    auth_failed,    // tag mismatch (RFC 3711 §3.4): dropped, state untouched
    replay,         // index already seen or older than the window (RFC 3711 §3.3.2)
    malformed,      // too short, wrong version, lengths that overrun the packet
    no_context,     // the caller passed no context
    no_room,        // protect: the buffer has too little tailroom for tag and MKI
    mki_mismatch,   // the MKI names no key of this context
    ssrc_mismatch,  // the stream is bound to another SSRC
    key_expired,    // the master key's packet lifetime is used up (RFC 3711 §9.2)
};

inline constexpr int kStatusCount = 9;

constexpr std::string_view status_name(Status s) {
    switch (s) {
        case Status::ok: return "ok";
        case Status::auth_failed: return "auth_failed";
        case Status::replay: return "replay";
        case Status::malformed: return "malformed";
        case Status::no_context: return "no_context";
        case Status::no_room: return "no_room";
        case Status::mki_mismatch: return "mki_mismatch";
        case Status::ssrc_mismatch: return "ssrc_mismatch";
        case Status::key_expired: return "key_expired";
    }
    return "unknown";
}

}  // namespace msf::srtp
