// The RFC 6733 §5.6 peer state machine table, row by row, and the §5.6.4 election.
#include "controlplane/diameter/peer_state.hpp"

#include <gtest/gtest.h>

namespace msf::diameter {
namespace {

using S = PeerState;
using E = PeerEvent;
using namespace peer_action;

struct Expected {
    PeerState state;
    PeerEvent event;
    uint16_t actions;
    PeerState next;
};

// Transcribed from the table in RFC 6733 §5.6 (Cleanup and Error both close every connection).
constexpr Expected kRfcRows[] = {
    {S::closed, E::start, i_snd_conn_req, S::wait_conn_ack},
    {S::closed, E::r_conn_cer, r_accept | process_cer | r_snd_cea, S::r_open},
    {S::wait_conn_ack, E::i_rcv_conn_ack, i_snd_cer, S::wait_i_cea},
    {S::wait_conn_ack, E::i_rcv_conn_nack, error, S::closed},
    {S::wait_conn_ack, E::r_conn_cer, r_accept | process_cer, S::wait_conn_ack_elect},
    {S::wait_conn_ack, E::timeout, error, S::closed},
    {S::wait_i_cea, E::i_rcv_cea, process_cea, S::i_open},
    {S::wait_i_cea, E::r_conn_cer, r_accept | process_cer | elect, S::wait_returns},
    {S::wait_i_cea, E::i_peer_disc, i_disc, S::closed},
    {S::wait_i_cea, E::i_rcv_non_cea, error, S::closed},
    {S::wait_i_cea, E::timeout, error, S::closed},
    {S::wait_conn_ack_elect, E::i_rcv_conn_ack, i_snd_cer | elect, S::wait_returns},
    {S::wait_conn_ack_elect, E::r_peer_disc, r_disc, S::wait_conn_ack},
    {S::wait_conn_ack_elect, E::r_conn_cer, r_reject, S::wait_conn_ack_elect},
    {S::wait_conn_ack_elect, E::timeout, error, S::closed},
    {S::wait_returns, E::win_election, i_disc | r_snd_cea, S::r_open},
    {S::wait_returns, E::i_peer_disc, i_disc | r_snd_cea, S::r_open},
    {S::wait_returns, E::i_rcv_cea, r_disc | process_cea, S::i_open},
    {S::wait_returns, E::r_peer_disc, r_disc, S::wait_i_cea},
    {S::wait_returns, E::r_conn_cer, r_reject, S::wait_returns},
    {S::wait_returns, E::timeout, error, S::closed},
    {S::r_open, E::r_conn_cer, r_reject, S::r_open},
    {S::r_open, E::stop, snd_dpr, S::closing},
    {S::r_open, E::rcv_dpr, snd_dpa, S::closed},
    {S::r_open, E::r_peer_disc, r_disc, S::closed},
    {S::i_open, E::r_conn_cer, r_reject, S::i_open},
    {S::i_open, E::stop, snd_dpr, S::closing},
    {S::i_open, E::rcv_dpr, snd_dpa, S::closed},
    {S::i_open, E::i_peer_disc, i_disc, S::closed},
    {S::closing, E::timeout, error, S::closed},
    {S::closing, E::i_peer_disc, i_disc, S::closed},
    {S::closing, E::r_peer_disc, r_disc, S::closed},
};

TEST(PeerStateMachine, EveryRowOfTheRfcTableIsThere) {
    for (const Expected& row : kRfcRows) {
        SCOPED_TRACE(std::string(peer_state_name(row.state)) + " + " + std::string(peer_event_name(row.event)));
        const auto t = peer_transition(row.state, row.event);
        ASSERT_TRUE(t.has_value());
        EXPECT_EQ(t->next, row.next);
        EXPECT_EQ(t->actions, row.actions);
    }
}

TEST(PeerStateMachine, ConnectFailureWhileElectingAnswersThePeersCer) {
    // §5.6: Wait-Conn-Ack/Elect + I-Rcv-Conn-Nack -> R-Snd-CEA, R-Open (and our failed
    // connection goes).
    const auto t = peer_transition(S::wait_conn_ack_elect, E::i_rcv_conn_nack);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->next, S::r_open);
    EXPECT_NE(t->actions & r_snd_cea, 0);
}

TEST(PeerStateMachine, ClosingEndsWithTheDpa) {
    const auto t = peer_transition(S::closing, E::rcv_dpa);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->next, S::closed);
}

TEST(PeerStateMachine, StopLeavesEveryStateForClosedOrClosing) {
    for (size_t i = 0; i < kPeerStateCount; ++i) {
        const auto state = static_cast<PeerState>(i);
        if (state == S::closed || state == S::closing) continue;
        const auto t = peer_transition(state, E::stop);
        ASSERT_TRUE(t.has_value()) << peer_state_name(state);
        EXPECT_EQ(t->next, is_open(state) ? S::closing : S::closed) << peer_state_name(state);
    }
}

TEST(PeerStateMachine, EventsTheRfcDoesNotExpectHaveNoRow) {
    EXPECT_FALSE(peer_transition(S::closed, E::i_rcv_cea).has_value());
    EXPECT_FALSE(peer_transition(S::r_open, E::start).has_value());
    EXPECT_FALSE(peer_transition(S::closed, E::win_election).has_value());
    EXPECT_FALSE(peer_transition(S::i_open, E::rcv_dpa).has_value());
}

TEST(PeerStateMachine, AStateAcceptsANewConnectionOnlyWhenItHasNoResponder) {
    // R-Accept appears only where no R connection exists yet; elsewhere R-Reject.
    for (size_t i = 0; i < kPeerStateCount; ++i) {
        const auto state = static_cast<PeerState>(i);
        const auto t = peer_transition(state, E::r_conn_cer);
        ASSERT_TRUE(t.has_value()) << peer_state_name(state);
        const bool accepts = state == S::closed || state == S::wait_conn_ack || state == S::wait_i_cea;
        EXPECT_EQ((t->actions & r_accept) != 0, accepts) << peer_state_name(state);
        EXPECT_EQ((t->actions & r_reject) != 0, !accepts) << peer_state_name(state);
    }
}

TEST(PeerStateMachine, NamesAreTheRfcs) {
    EXPECT_EQ(peer_state_name(S::wait_conn_ack_elect), "Wait-Conn-Ack/Elect");
    EXPECT_EQ(peer_state_name(S::r_open), "R-Open");
    EXPECT_EQ(peer_event_name(E::r_conn_cer), "R-Conn-CER");
}

TEST(PeerElection, TheGreaterOriginHostWins) {
    EXPECT_TRUE(wins_election("b.example.net", "a.example.net"));
    EXPECT_FALSE(wins_election("a.example.net", "b.example.net"));
    // A longer name with the same start is the greater.
    EXPECT_TRUE(wins_election("msf.example.net.", "msf.example.net"));
    EXPECT_FALSE(wins_election("same.example.net", "same.example.net"));
}

TEST(PeerElection, CaseDoesNotCount) {
    // §5.6.4: 'a'..'z' compare equal to 'A'..'Z'. Without that, "B" < "a" in ASCII.
    EXPECT_TRUE(wins_election("B.example.net", "a.example.net"));
    EXPECT_FALSE(wins_election("a.example.net", "B.example.net"));
    EXPECT_FALSE(wins_election("MSF.example.net", "msf.EXAMPLE.net"));
}

TEST(PeerIdentity, ComparesAsciiCaseInsensitively) {
    EXPECT_TRUE(same_identity("PCSCF.ims.Example.NET", "pcscf.ims.example.net"));
    EXPECT_FALSE(same_identity("pcscf.ims.example.net", "pcscf.ims.example.ne"));
    EXPECT_FALSE(same_identity("pcscf1", "pcscf2"));
}

}  // namespace
}  // namespace msf::diameter
