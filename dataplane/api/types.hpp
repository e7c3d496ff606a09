// What the control plane and the dataplane exchange: a media session as installed, its counters,
// port status and events. The control-socket protocol (protocol.hpp) carries these; nothing else
// of the dataplane is visible to the control plane.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::api {

enum class Side : uint8_t { access = 0, core = 1 };

// Keys of one direction of the access leg (the core leg carries plain RTP).
struct KeySpec {
    srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    std::vector<uint8_t> master_key;
    std::vector<uint8_t> master_salt;
    std::vector<uint8_t> mki;        // empty: no MKI
    uint64_t lifetime = 0;           // SRTP packets; 0: the RFC 3711 maximum

    bool operator==(const KeySpec&) const = default;
};

struct LegSpec {
    net::Endpoint local;    // the gateway's address and RTP port on this side
    net::Endpoint remote;   // the peer's RTP endpoint; empty on the access side: latch the UE
    bool rtcp_mux = false;  // RFC 5761: RTCP on the RTP port; else RTCP on port + 1, both ends

    bool operator==(const LegSpec&) const = default;
};

// One media stream relayed between the UE (access leg, SRTP) and the core (core leg, RTP).
struct SessionSpec {
    uint64_t id = 0;                  // chosen by the control plane, unique, non-zero
    LegSpec access;
    LegSpec core;
    KeySpec from_ue;                  // unprotect: UE -> gateway
    KeySpec to_ue;                    // protect: gateway -> UE
    uint32_t replay_window = 128;     // packets, power of two 64..1024
    uint32_t inactivity_timeout_ms = 0;  // 0: never report inactivity

    bool operator==(const SessionSpec&) const = default;
};

// Counters of one direction of one leg. Each block has one writer: the worker that owns the
// direction.
struct LegCounters {
    uint64_t packets_in = 0;
    uint64_t bytes_in = 0;
    uint64_t packets_out = 0;
    uint64_t bytes_out = 0;
    uint64_t auth_failures = 0;
    uint64_t replays = 0;
    uint64_t unknown_source = 0;  // packets from an address that is neither configured nor latched
    uint64_t malformed = 0;
    uint64_t other_drops = 0;     // no neighbour, tx full, key expired, ...
    uint64_t last_seen_ns = 0;    // CLOCK_MONOTONIC of the last accepted packet, 0: never

    bool operator==(const LegCounters&) const = default;
};

struct SessionInfo {
    SessionSpec spec;             // keys are never returned: master_key/salt are empty
    net::Endpoint latched_ue;     // learned UE address, empty until the first good packet
    LegCounters access;           // UE -> gateway in, gateway -> UE out
    LegCounters core;             // core -> gateway in, gateway -> core out
    uint64_t age_ms = 0;

    bool operator==(const SessionInfo&) const = default;
};

struct PortStatus {
    uint16_t port_id = 0;
    std::string name;
    std::string driver;
    bool link_up = false;
    uint32_t speed_mbps = 0;
    uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
    uint64_t rx_missed = 0, rx_errors = 0, tx_errors = 0, rx_nombuf = 0;

    bool operator==(const PortStatus&) const = default;
};

struct WorkerStats {
    uint32_t lcore = 0;
    uint64_t rx_packets = 0, tx_packets = 0;
    uint64_t rx_bursts = 0, idle_polls = 0;
    uint64_t drops_overload = 0;  // offered more than the worker could take, dropped at receive
    uint64_t drops_no_session = 0, drops_malformed = 0, drops_fragment = 0, drops_checksum = 0;
    uint64_t slow_path = 0;       // ARP, ND, ICMP handed to the control lcore

    bool operator==(const WorkerStats&) const = default;
};

enum class EventType : uint8_t { inactivity = 1, auth_failure_storm = 2 };

struct Event {
    EventType type = EventType::inactivity;
    uint64_t session_id = 0;
    Side side = Side::access;
    uint64_t value = 0;           // idle ms, or auth failures in the last interval

    bool operator==(const Event&) const = default;
};

}  // namespace msf::api
