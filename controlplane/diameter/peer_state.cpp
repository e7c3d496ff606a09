#include "controlplane/diameter/peer_state.hpp"

#include <algorithm>
#include <array>

namespace msf::diameter {

namespace {

using S = PeerState;
using E = PeerEvent;
using namespace peer_action;

struct Row {
    PeerState state;
    PeerEvent event;
    uint16_t actions;
    PeerState next;
};

// RFC 6733 §5.6, row by row. The I- and R- variants of Rcv-DPR, Rcv-DPA and Peer-Disc on an open
// connection collapse into one event each: an open peer has exactly one connection. Rows marked
// "not in the RFC" cover what the RFC leaves open.
constexpr Row kRows[] = {
    {S::closed, E::start, i_snd_conn_req, S::wait_conn_ack},
    {S::closed, E::r_conn_cer, r_accept | process_cer | r_snd_cea, S::r_open},

    {S::wait_conn_ack, E::i_rcv_conn_ack, i_snd_cer, S::wait_i_cea},
    {S::wait_conn_ack, E::i_rcv_conn_nack, error, S::closed},  // Cleanup
    {S::wait_conn_ack, E::r_conn_cer, r_accept | process_cer, S::wait_conn_ack_elect},
    {S::wait_conn_ack, E::timeout, error, S::closed},
    {S::wait_conn_ack, E::stop, error, S::closed},  // not in the RFC: give up connecting

    {S::wait_i_cea, E::i_rcv_cea, process_cea, S::i_open},
    {S::wait_i_cea, E::r_conn_cer, r_accept | process_cer | elect, S::wait_returns},
    {S::wait_i_cea, E::i_peer_disc, i_disc, S::closed},
    {S::wait_i_cea, E::i_rcv_non_cea, error, S::closed},
    {S::wait_i_cea, E::timeout, error, S::closed},
    {S::wait_i_cea, E::stop, error, S::closed},  // not in the RFC

    {S::wait_conn_ack_elect, E::i_rcv_conn_ack, i_snd_cer | elect, S::wait_returns},
    {S::wait_conn_ack_elect, E::i_rcv_conn_nack, i_disc | r_snd_cea, S::r_open},
    {S::wait_conn_ack_elect, E::r_peer_disc, r_disc, S::wait_conn_ack},
    {S::wait_conn_ack_elect, E::r_conn_cer, r_reject, S::wait_conn_ack_elect},
    {S::wait_conn_ack_elect, E::timeout, error, S::closed},
    {S::wait_conn_ack_elect, E::stop, error, S::closed},  // not in the RFC

    {S::wait_returns, E::win_election, i_disc | r_snd_cea, S::r_open},
    {S::wait_returns, E::i_peer_disc, i_disc | r_snd_cea, S::r_open},
    // Not in the RFC: a CEA refusing us is no better than a lost connection.
    {S::wait_returns, E::i_rcv_non_cea, i_disc | r_snd_cea, S::r_open},
    {S::wait_returns, E::i_rcv_cea, r_disc | process_cea, S::i_open},
    {S::wait_returns, E::r_peer_disc, r_disc, S::wait_i_cea},
    {S::wait_returns, E::r_conn_cer, r_reject, S::wait_returns},
    {S::wait_returns, E::timeout, error, S::closed},
    {S::wait_returns, E::stop, error, S::closed},  // not in the RFC

    {S::r_open, E::r_conn_cer, r_reject, S::r_open},
    {S::r_open, E::stop, snd_dpr, S::closing},
    {S::r_open, E::rcv_dpr, snd_dpa, S::closed},
    {S::r_open, E::r_peer_disc, r_disc, S::closed},

    {S::i_open, E::r_conn_cer, r_reject, S::i_open},
    {S::i_open, E::stop, snd_dpr, S::closing},
    {S::i_open, E::rcv_dpr, snd_dpa, S::closed},
    {S::i_open, E::i_peer_disc, i_disc, S::closed},

    {S::closing, E::rcv_dpa, error, S::closed},  // I-Disc / R-Disc: the one connection
    {S::closing, E::timeout, error, S::closed},
    {S::closing, E::i_peer_disc, i_disc, S::closed},
    {S::closing, E::r_peer_disc, r_disc, S::closed},
    {S::closing, E::r_conn_cer, r_reject, S::closing},  // not in the RFC: we are leaving
    {S::closing, E::rcv_dpr, snd_dpa, S::closed},       // not in the RFC: both sides stopping
};

constexpr std::array<std::string_view, kPeerStateCount> kStateNames = {
    "Closed", "Wait-Conn-Ack", "Wait-I-CEA", "Wait-Conn-Ack/Elect",
    "Wait-Returns", "R-Open", "I-Open", "Closing"};

constexpr std::string_view kEventNames[] = {
    "Start", "R-Conn-CER", "I-Rcv-Conn-Ack", "I-Rcv-Conn-Nack", "Timeout", "I-Rcv-CEA",
    "I-Rcv-Non-CEA", "Win-Election", "I-Peer-Disc", "R-Peer-Disc", "Stop", "Rcv-DPR", "Rcv-DPA"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view peer_state_name(PeerState state) {
    const auto i = static_cast<size_t>(state);
    return i < kStateNames.size() ? kStateNames[i] : "?";
}

std::string_view peer_event_name(PeerEvent event) {
    const auto i = static_cast<size_t>(event);
    return i < std::size(kEventNames) ? kEventNames[i] : "?";
}

std::optional<PeerTransition> peer_transition(PeerState state, PeerEvent event) {
    for (const Row& row : kRows)
        if (row.state == state && row.event == event) return PeerTransition{row.next, row.actions};
    return std::nullopt;
}

bool wins_election(std::string_view local_origin_host, std::string_view peer_origin_host) {
    return std::lexicographical_compare(
        peer_origin_host.begin(), peer_origin_host.end(), local_origin_host.begin(), local_origin_host.end(),
        [](char a, char b) { return static_cast<unsigned char>(lower(a)) < static_cast<unsigned char>(lower(b)); });
}

bool same_identity(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace msf::diameter
