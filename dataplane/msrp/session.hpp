// An MSRP session of the relay: the PSK the UE proves, the paths each side uses, and its
// counters. msf-controld installs and removes sessions over the control socket (control.hpp).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/msrp/uri.hpp"

namespace msf::msrp {

inline constexpr size_t kMinPskBytes = 16;
inline constexpr size_t kMaxPskBytes = 64;
inline constexpr size_t kMaxPskIdentity = 128;  // OpenSSL PSK_MAX_IDENTITY_LEN
inline constexpr size_t kMaxSessionId = 2048;  // a Diameter Session-Id and a suffix

// What the controller asks for (add_session).
struct SessionSpec {
    std::string id;
    std::string psk_identity;
    std::vector<uint8_t> psk;
    std::string ue_path;    // the UE's own URI, from its SDP a=path (msrps://...;tcp)
    std::string core_path;  // the core endpoint's URI (msrp://ip:port/id;tcp); we connect there
    std::optional<std::string> ue_allow;  // the only UE source address accepted, when set
    // The relay's own URIs, when the controller already chose them (it wrote them into the SDP
    // and reinstalls the same after a restart of msf-msrpd); empty: the relay makes them up.
    std::string gw_access_path;  // msrps://...;tcp, what the UE uses as To-Path
    std::string gw_core_path;    // msrp://...;tcp, what the core sees as the UE
};

struct SessionCounters {
    uint64_t messages_from_ue = 0;  // frames (requests and responses, each chunk counts)
    uint64_t bytes_from_ue = 0;     // MSRP bytes as received from the UE
    uint64_t messages_to_ue = 0;
    uint64_t bytes_to_ue = 0;       // MSRP bytes as received from the core
    uint64_t tls_handshake_failures = 0;
    uint64_t parse_errors = 0;
    uint64_t path_mismatch = 0;
    uint64_t connections = 0;         // UE connections that completed the handshake
    uint64_t active_connections = 0;
    uint64_t refused_connections = 0; // wrong source address or over the per-session limit
    uint64_t core_connect_failures = 0;
};

// The one table of per-session counters: the control socket's JSON reads it.
inline constexpr std::array<std::pair<std::string_view, uint64_t SessionCounters::*>, 11>
    kSessionCounters = {{
        {"messages_from_ue", &SessionCounters::messages_from_ue},
        {"bytes_from_ue", &SessionCounters::bytes_from_ue},
        {"messages_to_ue", &SessionCounters::messages_to_ue},
        {"bytes_to_ue", &SessionCounters::bytes_to_ue},
        {"tls_handshake_failures", &SessionCounters::tls_handshake_failures},
        {"parse_errors", &SessionCounters::parse_errors},
        {"path_mismatch", &SessionCounters::path_mismatch},
        {"connections", &SessionCounters::connections},
        {"active_connections", &SessionCounters::active_connections},
        {"refused_connections", &SessionCounters::refused_connections},
        {"core_connect_failures", &SessionCounters::core_connect_failures},
    }};

struct Session {
    std::string id;
    std::string psk_identity;
    std::vector<uint8_t> psk;  // zeroed before it is freed
    std::string ue_path, core_path, gw_access_path, gw_core_path;  // as sent on the wire
    Uri ue_uri, core_uri, gw_access_uri, gw_core_uri;              // for comparison
    sockaddr_storage core_address{};
    socklen_t core_address_len = 0;
    std::optional<in6_addr> ue_allow;  // IPv4 kept as IPv4-mapped IPv6
    std::string ue_allow_text;         // as the controller wrote it
    SessionCounters counters;

    Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session();
};

// The address as IPv6 (IPv4 mapped), so one comparison serves both families.
std::optional<in6_addr> parse_ip(std::string_view text);
in6_addr to_ipv6(const sockaddr_storage& address);
std::string address_text(const sockaddr_storage& address);

// A random session-id for a gateway URI (RFC 4975 §14.1: unguessable, 80 bits or more).
std::string random_session_id();

}  // namespace msf::msrp
