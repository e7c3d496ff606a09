// The peer state machine of RFC 6733 §5.6 as one table: states, the events that move a peer
// between them, and the actions each transition takes. The node (node.hpp) owns the sockets and
// carries the actions out; this file decides nothing about I/O, so the table can be read side by
// side with the RFC and tested on its own.
//
// One peer has at most two transport connections while capabilities are exchanged: the one it
// initiated ("I", we connected) and the one it accepted ("R", the peer connected to us). When both
// exist at once, the election of §5.6.4 picks the survivor, so that in the end one connection is
// open per peer: R-Open (the peer's connection) or I-Open (ours).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace msf::diameter {

// RFC 6733 §5.6.
enum class PeerState : uint8_t {
    closed,
    wait_conn_ack,        // we connect (TCP, and TLS from the first byte)
    wait_i_cea,           // our CER is out
    wait_conn_ack_elect,  // we connect and the peer's CER arrived meanwhile
    wait_returns,         // both CERs are out: the election decides
    r_open,               // open on the peer's connection
    i_open,               // open on ours
    closing,              // our DPR is out
};
inline constexpr size_t kPeerStateCount = 8;

// "Closed", "Wait-Conn-Ack", ... as the RFC writes them.
std::string_view peer_state_name(PeerState state);
inline bool is_open(PeerState state) { return state == PeerState::r_open || state == PeerState::i_open; }

// The events of §5.6 that change the state (messages exchanged while open do not).
enum class PeerEvent : uint8_t {
    start,            // Start: reconnect time (Tc) reached for a peer we connect to
    r_conn_cer,       // R-Conn-CER: an acceptable CER arrived on a new connection of the peer
    i_rcv_conn_ack,   // I-Rcv-Conn-Ack: our connection is up (TLS handshake done)
    i_rcv_conn_nack,  // I-Rcv-Conn-Nack: our connection failed
    timeout,          // Timeout: a wait state lasted too long
    i_rcv_cea,        // I-Rcv-CEA: a successful CEA on our connection
    i_rcv_non_cea,    // I-Rcv-Non-CEA: anything else first, or a CEA refusing us
    win_election,     // Win-Election: Elect found our Origin-Host higher (§5.6.4)
    i_peer_disc,      // I-Peer-Disc: our connection closed, failed, or its watchdog expired
    r_peer_disc,      // R-Peer-Disc: the same for the peer's connection
    stop,             // Stop: we shut down
    rcv_dpr,          // I-Rcv-DPR / R-Rcv-DPR on the open connection
    rcv_dpa,          // I-Rcv-DPA / R-Rcv-DPA while closing
};

std::string_view peer_event_name(PeerEvent event);

// Actions, one bit each, carried out in the order of the bits: a connection is attached before a
// CEA goes out on it, the loser of an election is disconnected before the winner's CEA is sent,
// and Elect comes last because it may raise Win-Election.
namespace peer_action {
inline constexpr uint16_t r_accept = 1u << 0;        // attach the event's connection as R
inline constexpr uint16_t process_cer = 1u << 1;     // keep the capabilities of the peer's CER
inline constexpr uint16_t process_cea = 1u << 2;     // keep the capabilities of its CEA
inline constexpr uint16_t i_snd_conn_req = 1u << 3;  // connect
inline constexpr uint16_t i_snd_cer = 1u << 4;       // send our CER on I
inline constexpr uint16_t r_reject = 1u << 5;        // close the event's connection, keep the rest
inline constexpr uint16_t i_disc = 1u << 6;          // close I
inline constexpr uint16_t r_disc = 1u << 7;          // close R
inline constexpr uint16_t r_snd_cea = 1u << 8;       // answer the CER held on R with success
inline constexpr uint16_t snd_dpr = 1u << 9;         // send DPR on the open connection
inline constexpr uint16_t snd_dpa = 1u << 10;        // answer the DPR, close after it is sent
inline constexpr uint16_t error = 1u << 11;          // Error / Cleanup: close every connection
inline constexpr uint16_t elect = 1u << 12;          // §5.6.4, may raise win_election
}  // namespace peer_action

struct PeerTransition {
    PeerState next;
    uint16_t actions;  // peer_action bits
};

// The row of the table for (state, event), or nullopt when the RFC has none: the event is then
// ignored by the state machine (its connection, if any, is the node's to close).
std::optional<PeerTransition> peer_transition(PeerState state, PeerEvent event);

// RFC 6733 §5.6.4: the local node wins when its Origin-Host is the greater of the two, compared
// as octet strings with ASCII letters case-insensitive (DNS names).
bool wins_election(std::string_view local_origin_host, std::string_view peer_origin_host);

// DiameterIdentity equality: ASCII case-insensitive (RFC 6733 §4.3.1, FQDNs).
bool same_identity(std::string_view a, std::string_view b);

}  // namespace msf::diameter
