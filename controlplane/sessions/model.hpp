// What msf-controld keeps per Diameter session: the session as the Rx layer sees it (Session-Id,
// owning P-CSCF) and one dataplane session per media component. The session manager owns these,
// the store persists them, the Rx layer and msfctl read them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/api/protocol.hpp"  // wipe_keys
#include "dataplane/api/types.hpp"

namespace msf::sessions {

// One Rx media component (3GPP TS 29.214 §5.3.7 Media-Component-Description) = one dataplane
// session: the access leg carries SRTP to the UE, the core leg plain RTP.
struct MediaStream {
    uint32_t component_number = 0;     // Rx Media-Component-Number
    std::string media_type;            // "audio", "video", "application", ...
    bool to_ue_key_generated = false;  // the MSF generated the network->UE key (returned in AAA)
    api::SessionSpec spec;             // spec.id = dataplane session id (the manager assigns it);
                                       // spec.access.local / spec.core.local: port 0 = allocate

    bool operator==(const MediaStream&) const = default;
};

// Bounds of a MessageStream's fields, the same for the Rx layer, the store and msf-msrpd.
inline constexpr size_t kMaxPskIdentityLen = 128;  // RFC 4279 §5.3: up to 128 octets
inline constexpr size_t kMinPskLen = 16;           // 128 bits
inline constexpr size_t kMaxPskLen = 64;           // RFC 4279 §5.3
inline constexpr size_t kMaxMsrpUriLen = 512;
inline constexpr size_t kMaxAddressTextLen = 64;

// One MSRP media component (Media-Type MESSAGE; RFC 4975) = one msf-msrpd session: TLS with a
// pre-shared key toward the UE (RFC 4279, RFC 8446 §2.2), plain TCP toward the core. The gateway
// sits in the MSRP path under URIs of its own (the SDP a=path rewrite, RFC 4975 §8.2): the UE
// sends to gw_access_path, the core sees the UE as gw_core_path.
struct MessageStream {
    uint32_t component_number = 0;  // Rx Media-Component-Number
    std::string psk_identity;       // what the UE presents in its ClientHello
    std::vector<uint8_t> psk;       // wiped with the session
    std::string ue_path;            // the UE's own URI (last URI of its a=path)
    std::string core_path;          // the core endpoint's URI (last URI of the remote a=path)
    std::string gw_access_path;     // msrps://<msrpd access address>:<port>/<id>;tcp
    std::string gw_core_path;       // msrp://<msrpd core address>:<port>/<id>;tcp
    std::string ue_allow;           // the UE's address (Framed-IP-Address); "" = any source
    bool operator==(const MessageStream&) const = default;
};

struct ControlSession {
    std::string session_id;            // Diameter Session-Id, the key
    std::string peer;                  // Origin-Host of the P-CSCF that owns it
    std::string realm;                 // its Origin-Realm
    std::vector<MediaStream> streams;  // ordered by component_number, unique numbers
    std::vector<MessageStream> messages;  // likewise; no number is both a stream and a message
    int64_t created_unix_ms = 0;
    int64_t updated_unix_ms = 0;

    bool operator==(const ControlSession&) const = default;
};

// Final counters of one stream, as the dataplane reported them just before its removal.
struct StreamCounters {
    uint32_t component_number = 0;
    api::LegCounters access, core;
};

// What msf-msrpd counted for one MSRP component.
struct MessageCounters {
    uint32_t component_number = 0;
    uint64_t messages_from_ue = 0, bytes_from_ue = 0;
    uint64_t messages_to_ue = 0, bytes_to_ue = 0;
    uint64_t tls_handshake_failures = 0, parse_errors = 0, path_mismatch = 0;
    uint64_t connections = 0, refused_connections = 0;
};

// Overwrites every master key and salt of the session (before it is freed or replaced).
inline void wipe_keys(ControlSession& session) {
    for (MediaStream& stream : session.streams) api::wipe_keys(stream.spec);
    for (MessageStream& message : session.messages) {
        api::wipe_bytes(message.psk);
        message.psk.clear();
    }
}

}  // namespace msf::sessions
