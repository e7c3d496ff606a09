// Diameter nodes on one EventLoop over 127.0.0.1: capabilities exchange, the allow-list, election,
// watchdog, disconnection, reconnection, bad input from a raw-socket peer, request routing and
// hop-by-hop matching, deferred answers and the output bound.
#include "controlplane/diameter/node.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/controlplane/diameter/kamailio_frames.hpp"
#include "tests/controlplane/diameter/peer_harness.hpp"

namespace msf::diameter::testing {
namespace {

constexpr std::string_view kHostile = "hostile.ims.example.net";

// The MSF side: a node that knows the P-CSCF (a real node) and a raw peer.
struct Server {
    controld::EventLoop& loop;
    LogCapture logs;
    RecordingHandler handler;
    std::unique_ptr<Node> node;

    Server(controld::EventLoop& l, NodeSettings settings) : loop(l) {
        settings.log = logs.sink();
        node = std::make_unique<Node>(loop, std::move(settings), handler);
        handler.node = node.get();
    }
    uint16_t port() const { return node->listen_endpoints().at(0).port; }
};

NodeSettings server_settings(std::vector<PeerSettings> peers) {
    NodeSettings s = base_settings(std::string(kMsfHost));
    s.peers = std::move(peers);
    return s;
}

NodeSettings client_settings(net::Endpoint server) {
    NodeSettings s = base_settings(std::string(kPcscfHost), {});
    s.product_name = "test-pcscf";
    s.origin_state_id = 4242;
    s.peers = {peer(std::string(kMsfHost), server)};
    return s;
}

bool both_open(const Node& a, std::string_view a_peer, const Node& b, std::string_view b_peer) {
    return is_open(state_of(a, a_peer)) && is_open(state_of(b, b_peer));
}

// A raw peer that has exchanged capabilities with the server.
std::unique_ptr<RawPeer> open_raw_peer(Server& server, std::string_view identity) {
    auto raw = std::make_unique<RawPeer>(server.port());
    raw->send(cer_of(identity));
    std::optional<Message> cea = raw->await_message(server.loop);
    EXPECT_TRUE(cea.has_value());
    if (cea) {
        EXPECT_EQ(result_code(*cea), 2001u);
    }
    EXPECT_TRUE(run_until(server.loop, [&] { return is_open(state_of(*server.node, identity)); }));
    return raw;
}

TEST(DiameterPeer, CerCeaOpensThePeerAndEachSideSeesTheOthersCapabilities) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RecordingHandler client_handler;
    Node client(loop, client_settings({kLoopback, server.port()}), client_handler);

    ASSERT_TRUE(run_until(loop, [&] { return both_open(*server.node, kPcscfHost, client, kMsfHost); }));
    EXPECT_EQ(state_of(client, kMsfHost), PeerState::i_open);
    EXPECT_EQ(state_of(*server.node, kPcscfHost), PeerState::r_open);

    const std::optional<PeerStatus> seen_by_server = status_of(*server.node, kPcscfHost);
    ASSERT_TRUE(seen_by_server.has_value());
    EXPECT_EQ(seen_by_server->product_name, "test-pcscf");
    EXPECT_EQ(seen_by_server->origin_state_id, 4242u);
    EXPECT_EQ(seen_by_server->realm, kPcscfRealm);
    EXPECT_TRUE(seen_by_server->open_since_ms.has_value());
    EXPECT_EQ(seen_by_server->messages[command_slot(cmd::cer.code)].received, 1u);
    EXPECT_EQ(seen_by_server->messages[command_slot(cmd::cer.code)].sent, 1u);  // the CEA
    const std::optional<PeerStatus> seen_by_client = status_of(client, kMsfHost);
    ASSERT_TRUE(seen_by_client.has_value());
    EXPECT_EQ(seen_by_client->product_name, "msf-controld");
    EXPECT_EQ(seen_by_client->address, "127.0.0.1:" + std::to_string(server.port()));

    ASSERT_EQ(server.handler.state_changes.size(), 1u);
    EXPECT_EQ(server.handler.state_changes[0], std::make_pair(std::string(kPcscfHost), true));
    ASSERT_EQ(client_handler.state_changes.size(), 1u);
    EXPECT_EQ(server.node->connection_count(), 1u);
    EXPECT_EQ(client.connection_count(), 1u);
}

TEST(DiameterPeer, UnknownOriginHostGetsUnknownPeerAndIsClosed) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RawPeer raw(server.port());
    raw.send(cer_of("stranger.example.net"));
    std::optional<Message> cea = raw.await_message(loop);
    ASSERT_TRUE(cea.has_value());
    EXPECT_EQ(cea->command_code(), cmd::cer.code);
    EXPECT_EQ(result_code(*cea), 3010u);
    EXPECT_TRUE(cea->is_error());  // §7.2: 3xxx answers carry the E bit
    EXPECT_FALSE(validate(*cea).has_value());
    EXPECT_TRUE(raw.await_closed(loop));
    EXPECT_EQ(server.node->counters().cer_rejected, 1u);
    EXPECT_TRUE(server.logs.contains("stranger.example.net is not a configured peer")) << server.logs.all();
    EXPECT_TRUE(run_until(loop, [&] { return server.node->connection_count() == 0; }));
}

TEST(DiameterPeer, CerFromAnotherAddressThanConfiguredGetsUnknownPeer) {
    controld::EventLoop loop;
    PeerSettings p = peer(std::string(kPcscfHost));
    p.address = kLoopback;
    Server server(loop, server_settings({p}));
    RawPeer raw(server.port(), "127.0.0.2");
    raw.send(cer_of(kPcscfHost));
    std::optional<Message> cea = raw.await_message(loop);
    ASSERT_TRUE(cea.has_value());
    EXPECT_EQ(result_code(*cea), 3010u);
    EXPECT_TRUE(raw.await_closed(loop));
    EXPECT_EQ(state_of(*server.node, kPcscfHost), PeerState::closed);

    // From the configured address the same CER is accepted.
    RawPeer good(server.port(), "127.0.0.1");
    good.send(cer_of(kPcscfHost));
    std::optional<Message> ok = good.await_message(loop);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(result_code(*ok), 2001u);
}

TEST(DiameterPeer, CerWithAnotherRealmThanConfiguredGetsUnknownPeer) {
    controld::EventLoop loop;
    PeerSettings p = peer(std::string(kPcscfHost));
    p.realm = "other.example.net";
    Server server(loop, server_settings({p}));
    RawPeer raw(server.port());
    raw.send(cer_of(kPcscfHost));
    std::optional<Message> cea = raw.await_message(loop);
    ASSERT_TRUE(cea.has_value());
    EXPECT_EQ(result_code(*cea), 3010u);
    EXPECT_TRUE(raw.await_closed(loop));
}

TEST(DiameterPeer, CerWithoutCommonApplicationGetsNoCommonApplication) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RawPeer raw(server.port());
    raw.send(cer_of(kPcscfHost, true, 4));  // Diameter Credit-Control only
    std::optional<Message> cea = raw.await_message(loop);
    ASSERT_TRUE(cea.has_value());
    EXPECT_EQ(result_code(*cea), 5010u);
    EXPECT_FALSE(cea->is_error());
    EXPECT_FALSE(validate(*cea).has_value()) << to_string(*validate(*cea));  // a complete CEA
    EXPECT_TRUE(raw.await_closed(loop));
    EXPECT_TRUE(server.logs.contains("no common application")) << server.logs.all();
}

TEST(DiameterPeer, KamailioCerWithoutHostIpAddressIsAccepted) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RawPeer raw(server.port());
    raw.send(from_hex(kKamailioCerHex));
    std::optional<Message> cea = raw.await_message(loop);
    ASSERT_TRUE(cea.has_value());
    EXPECT_EQ(result_code(*cea), 2001u);
    EXPECT_EQ(cea->hop_by_hop(), 0x5a1e0001u);  // the CER's ids
    EXPECT_TRUE(cea->find(avp::host_ip_address).has_value());
    EXPECT_FALSE(validate(*cea).has_value());
    EXPECT_TRUE(run_until(loop, [&] { return state_of(*server.node, kPcscfHost) == PeerState::r_open; }));
    EXPECT_EQ(status_of(*server.node, kPcscfHost)->product_name, "Kamailio");
}

TEST(DiameterPeer, ConnectionSendingAnotherMessageBeforeCerIsClosed) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RawPeer raw(server.port());
    raw.send(dwr_of(kPcscfHost, 1));
    EXPECT_TRUE(raw.await_closed(loop));
    EXPECT_EQ(raw.received_bytes(), 0u);
    EXPECT_EQ(server.node->counters().not_cer_first, 1u);
    EXPECT_TRUE(server.logs.contains("sent DWR before CER")) << server.logs.all();
}

TEST(DiameterPeer, ConnectionWithoutCerIsClosedAfterTheTimeout) {
    controld::EventLoop loop;
    NodeSettings s = server_settings({peer(std::string(kPcscfHost))});
    s.cer_timeout_ms = 150;
    Server server(loop, s);
    RawPeer raw(server.port());
    const int64_t start = controld::EventLoop::now_ms();
    EXPECT_TRUE(raw.await_closed(loop, 3000));
    EXPECT_GE(controld::EventLoop::now_ms() - start, 140);
    EXPECT_EQ(server.node->counters().cer_timeouts, 1u);
    EXPECT_TRUE(server.logs.contains("no CER within 150 ms")) << server.logs.all();
}

TEST(DiameterPeer, ConnectionsWaitingForTheirCerAreBounded) {
    controld::EventLoop loop;
    NodeSettings s = server_settings({peer(std::string(kPcscfHost))});
    s.max_pending_connections = 2;
    Server server(loop, s);
    RawPeer first(server.port()), second(server.port());
    ASSERT_TRUE(run_until(loop, [&] { return server.node->counters().connections_accepted == 2; }));
    RawPeer third(server.port());
    EXPECT_TRUE(third.await_closed(loop));
    EXPECT_EQ(server.node->counters().connections_refused, 1u);
    EXPECT_FALSE(first.closed());
    // A pending connection that sends its CER frees its place.
    first.send(cer_of(kPcscfHost));
    ASSERT_TRUE(first.await_message(loop).has_value());
    RawPeer fourth(server.port());
    ASSERT_TRUE(run_until(loop, [&] { return server.node->counters().connections_accepted == 3; }));
    run_for(loop, 50);
    EXPECT_FALSE(fourth.closed());
}

// RFC 6733 §5.6.4: when both connect at once, the node with the higher Origin-Host closes the
// connection it initiated, so the survivor is the one the lower node initiated.
TEST(DiameterPeer, SimultaneousConnectsElectOneConnectionTheOneTheLowerOriginHostInitiated) {
    controld::EventLoop loop;
    ReservedPort port_a, port_b;
    LogCapture log_a, log_b;
    RecordingHandler handler_a, handler_b;
    NodeSettings a = base_settings("a.ims.example.net", {port_a.endpoint()});
    a.peers = {peer("b.ims.example.net", port_b.endpoint())};
    a.log = log_a.sink();
    NodeSettings b = base_settings("b.ims.example.net", {port_b.endpoint()});
    b.peers = {peer("a.ims.example.net", port_a.endpoint())};
    b.log = log_b.sink();
    Node node_a(loop, a, handler_a);
    Node node_b(loop, b, handler_b);

    ASSERT_TRUE(run_until(loop, [&] {
        return both_open(node_a, "b.ims.example.net", node_b, "a.ims.example.net") &&
               node_a.connection_count() == 1 && node_b.connection_count() == 1;
    })) << log_a.all() << log_b.all();
    run_for(loop, 100);  // nothing else changes
    EXPECT_EQ(state_of(node_a, "b.ims.example.net"), PeerState::i_open) << log_a.all();
    EXPECT_EQ(state_of(node_b, "a.ims.example.net"), PeerState::r_open) << log_b.all();
    EXPECT_EQ(node_a.connection_count(), 1u);
    EXPECT_EQ(node_b.connection_count(), 1u);
    // Both CERs crossed: each side went through an election state.
    auto elected = [](const LogCapture& l) { return l.contains("-> Wait-Returns") || l.contains("-> Wait-Conn-Ack/Elect"); };
    EXPECT_TRUE(elected(log_a)) << log_a.all();
    EXPECT_TRUE(elected(log_b)) << log_b.all();
    EXPECT_EQ(handler_a.state_changes.size(), 1u);
    EXPECT_EQ(handler_b.state_changes.size(), 1u);

    // And the survivor carries traffic.
    std::optional<RequestOutcome> outcome;
    handler_b.node = &node_b;
    ASSERT_EQ(node_a.send_request("b.ims.example.net", sample_aar(), [&](RequestOutcome&& o) { outcome = std::move(o); }),
              RequestFailure::none);
    ASSERT_TRUE(run_until(loop, [&] { return outcome.has_value(); }));
    EXPECT_TRUE(outcome->ok());
}

TEST(DiameterPeer, WatchdogSendsDwrOnSilenceAndTheOtherSideAnswers) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RecordingHandler client_handler;
    NodeSettings c = client_settings({kLoopback, server.port()});
    c.watchdog_ms = 100;
    Node client(loop, c, client_handler);
    ASSERT_TRUE(run_until(loop, [&] { return both_open(*server.node, kPcscfHost, client, kMsfHost); }));
    // Three DWAs back.
    ASSERT_TRUE(run_until(loop, [&] {
        return status_of(client, kMsfHost)->messages[command_slot(cmd::dwr.code)].received >= 3;
    }));
    const std::optional<PeerStatus> status = status_of(client, kMsfHost);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(status->last_watchdog_ms.has_value());
    EXPECT_GE(server.node->counters().messages[command_slot(cmd::dwr.code)].received, 3u);  // the DWRs
    EXPECT_GE(server.node->counters().messages[command_slot(cmd::dwr.code)].sent, 3u);      // the DWAs
    EXPECT_EQ(client.counters().watchdog_failures, 0u);
    EXPECT_EQ(state_of(client, kMsfHost), PeerState::i_open);
}

TEST(DiameterPeer, WatchdogSendsNoDwrWhileTrafficFlows) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RecordingHandler client_handler;
    NodeSettings c = client_settings({kLoopback, server.port()});
    c.watchdog_ms = 600;
    Node client(loop, c, client_handler);
    ASSERT_TRUE(run_until(loop, [&] { return both_open(*server.node, kPcscfHost, client, kMsfHost); }));
    // Answers arrive every 20 ms or so, for more than Tw, far inside Tw of each other.
    for (int i = 0; i < 50; ++i) {
        bool answered = false;
        ASSERT_EQ(client.send_request(kMsfHost, sample_str(), [&](RequestOutcome&&) { answered = true; }),
                  RequestFailure::none);
        run_until(loop, [&] { return answered; });
        run_for(loop, 20);
    }
    EXPECT_EQ(server.node->counters().messages[command_slot(cmd::dwr.code)].received, 0u);
}

TEST(DiameterPeer, PeerThatStopsAnsweringDwrIsClosed) {
    controld::EventLoop loop;
    NodeSettings s = server_settings({peer(std::string(kHostile))});
    s.watchdog_ms = 100;
    Server server(loop, s);
    auto raw = open_raw_peer(server, kHostile);
    std::optional<Message> dwr = raw->await_message(loop, 2000);
    ASSERT_TRUE(dwr.has_value());
    EXPECT_EQ(dwr->command_code(), cmd::dwr.code);
    EXPECT_TRUE(dwr->is_request());
    // No DWA: within the next Tw the connection is given up.
    EXPECT_TRUE(raw->await_closed(loop, 2000));
    EXPECT_EQ(server.node->counters().watchdog_failures, 1u);
    EXPECT_EQ(state_of(*server.node, kHostile), PeerState::closed);
    ASSERT_EQ(server.handler.state_changes.size(), 2u);
    EXPECT_FALSE(server.handler.state_changes[1].second);
}

TEST(DiameterPeer, WatchdogFailureOnAConnectionWeMadeReconnects) {
    controld::EventLoop loop;
    RawListener silent_server;
    RecordingHandler handler;
    NodeSettings c = client_settings(silent_server.endpoint());
    c.watchdog_ms = 100;
    c.reconnect_ms = 50;
    Node client(loop, c, handler);
    for (int round = 1; round <= 2; ++round) {
        auto conn = silent_server.await_connection(loop);
        ASSERT_NE(conn, nullptr) << "round " << round;
        std::optional<Message> cer = conn->await_message(loop);
        ASSERT_TRUE(cer.has_value());
        LocalCapabilities msf;
        msf.origin_host = std::string(kMsfHost);
        msf.origin_realm = std::string(kMsfRealm);
        msf.product_name = "silent";
        msf.auth_applications = {{app::rx, kVendor3gpp}};
        conn->send(make_cea(*cer, ResultCode::success, msf, kLoopback));
        ASSERT_TRUE(run_until(loop, [&] { return state_of(client, kMsfHost) == PeerState::i_open; }));
        // The DWR goes unanswered.
        EXPECT_TRUE(conn->await_closed(loop, 2000));
    }
    EXPECT_EQ(client.counters().watchdog_failures, 2u);
    EXPECT_EQ(silent_server.accepted(), 2u);
}

TEST(DiameterPeer, DprFromThePeerIsAnsweredAndTheConnectionClosed) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kHostile))}));
    auto raw = open_raw_peer(server, kHostile);
    Message dpr = Message::request(cmd::dpr);
    dpr.set_hop_by_hop(77).set_end_to_end(78);
    dpr.add(avp::origin_host, kHostile).add(avp::origin_realm, kPcscfRealm).add(avp::disconnect_cause, 0u);
    raw->send(dpr);
    std::optional<Message> dpa = raw->await_message(loop);
    ASSERT_TRUE(dpa.has_value());
    EXPECT_EQ(dpa->command_code(), cmd::dpr.code);
    EXPECT_FALSE(dpa->is_request());
    EXPECT_EQ(dpa->hop_by_hop(), 77u);
    EXPECT_EQ(result_code(*dpa), 2001u);
    EXPECT_TRUE(raw->await_closed(loop));
    EXPECT_EQ(state_of(*server.node, kHostile), PeerState::closed);
    EXPECT_TRUE(server.logs.contains("Disconnect-Cause REBOOTING")) << server.logs.all();
}

TEST(DiameterPeer, ShutdownSendsDprAndClosesAfterTheDpa) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RecordingHandler client_handler;
    LogCapture client_log;
    NodeSettings c = client_settings({kLoopback, server.port()});
    c.log = client_log.sink();
    Node client(loop, c, client_handler);
    ASSERT_TRUE(run_until(loop, [&] { return both_open(*server.node, kPcscfHost, client, kMsfHost); }));

    bool done = false;
    server.node->shutdown([&] { done = true; });
    EXPECT_EQ(state_of(*server.node, kPcscfHost), PeerState::closing);
    ASSERT_TRUE(run_until(loop, [&] { return done; }));
    EXPECT_EQ(state_of(*server.node, kPcscfHost), PeerState::closed);
    EXPECT_EQ(server.node->connection_count(), 0u);
    EXPECT_EQ(server.node->counters().messages[command_slot(cmd::dpr.code)].received, 1u);  // the DPA
    EXPECT_TRUE(client_log.contains("Disconnect-Cause REBOOTING")) << client_log.all();
    EXPECT_TRUE(run_until(loop, [&] { return state_of(client, kMsfHost) == PeerState::closed; }));
    // The node no longer listens: the client's reconnects fail.
    run_for(loop, 300);
    EXPECT_NE(state_of(client, kMsfHost), PeerState::i_open);
}

TEST(DiameterPeer, ShutdownWithoutAnswerToTheDprClosesAfterTheTimeout) {
    controld::EventLoop loop;
    NodeSettings s = server_settings({peer(std::string(kHostile))});
    s.dpa_timeout_ms = 100;
    Server server(loop, s);
    auto raw = open_raw_peer(server, kHostile);
    bool done = false;
    server.node->shutdown([&] { done = true; });
    std::optional<Message> dpr = raw->await_message(loop);
    ASSERT_TRUE(dpr.has_value());
    EXPECT_EQ(dpr->command_code(), cmd::dpr.code);
    EXPECT_EQ(dpr->find(avp::disconnect_cause)->enumerated(), 0u);  // REBOOTING
    ASSERT_TRUE(run_until(loop, [&] { return done; }));
    EXPECT_TRUE(raw->closed());
}

TEST(DiameterPeer, DprDoNotWantToTalkToYouDelaysTheReconnect) {
    controld::EventLoop loop;
    RawListener server;
    RecordingHandler handler;
    NodeSettings c = client_settings(server.endpoint());
    c.reconnect_ms = 50;
    Node client(loop, c, handler);
    auto conn = server.await_connection(loop);
    ASSERT_NE(conn, nullptr);
    std::optional<Message> cer = conn->await_message(loop);
    ASSERT_TRUE(cer.has_value());
    LocalCapabilities msf;
    msf.origin_host = std::string(kMsfHost);
    msf.origin_realm = std::string(kMsfRealm);
    msf.product_name = "raw";
    msf.auth_applications = {{app::rx, kVendor3gpp}};
    conn->send(make_cea(*cer, ResultCode::success, msf, kLoopback));
    ASSERT_TRUE(run_until(loop, [&] { return state_of(client, kMsfHost) == PeerState::i_open; }));
    Message dpr = Message::request(cmd::dpr);
    dpr.set_hop_by_hop(5).set_end_to_end(5);
    dpr.add(avp::origin_host, kMsfHost).add(avp::origin_realm, kMsfRealm).add(avp::disconnect_cause, 2u);
    conn->send(dpr);
    std::optional<Message> dpa = conn->await_message(loop);
    ASSERT_TRUE(dpa.has_value());
    EXPECT_EQ(result_code(*dpa), 2001u);
    EXPECT_TRUE(conn->await_closed(loop));
    const int64_t closed_at = controld::EventLoop::now_ms();
    // Tc is 50 ms; after DO_NOT_WANT_TO_TALK_TO_YOU the node waits 10 Tc.
    auto again = server.await_connection(loop, 3000);
    ASSERT_NE(again, nullptr);
    EXPECT_GE(controld::EventLoop::now_ms() - closed_at, 450);
}

TEST(DiameterPeer, ReconnectsAfterTheOtherNodeRestarts) {
    controld::EventLoop loop;
    ReservedPort port;
    RecordingHandler server_handler, client_handler;
    NodeSettings s = server_settings({peer(std::string(kPcscfHost))});
    s.listen = {port.endpoint()};
    s.log = [](std::string_view) {};
    auto server = std::make_unique<Node>(loop, s, server_handler);
    NodeSettings c = client_settings(port.endpoint());
    c.reconnect_ms = 50;
    Node client(loop, c, client_handler);
    ASSERT_TRUE(run_until(loop, [&] { return is_open(state_of(client, kMsfHost)); }));

    server.reset();  // a crash: no DPR
    ASSERT_TRUE(run_until(loop, [&] { return !is_open(state_of(client, kMsfHost)); }));
    run_for(loop, 200);  // a few failed attempts
    server = std::make_unique<Node>(loop, s, server_handler);
    ASSERT_TRUE(run_until(loop, [&] { return both_open(*server, kPcscfHost, client, kMsfHost); }));
    EXPECT_EQ(status_of(client, kMsfHost)->connections, 2u);
    ASSERT_EQ(client_handler.state_changes.size(), 3u);  // open, closed, open
    EXPECT_TRUE(client_handler.state_changes[2].second);
}

TEST(DiameterPeer, MalformedFramesCloseOnlyThatConnection) {
    struct Case {
        const char* what;
        std::vector<uint8_t> bytes;
        const char* logged;
    };
    std::vector<uint8_t> version2 = sample_dwr().encode();
    version2[0] = 2;
    std::vector<uint8_t> odd_length = sample_dwr().encode();
    store_be24(odd_length.data() + 1, static_cast<uint32_t>(odd_length.size() - 2));
    std::vector<uint8_t> huge = sample_dwr().encode();
    store_be24(huge.data() + 1, 0xfffffc);
    const Case cases[] = {{"version 2", version2, "version"},
                          {"length not a multiple of 4", odd_length, "multiple of 4"},
                          {"length over the maximum", huge, "invalid frame"}};

    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost)), peer(std::string(kHostile))}));
    RecordingHandler client_handler;
    Node client(loop, client_settings({kLoopback, server.port()}), client_handler);
    ASSERT_TRUE(run_until(loop, [&] { return both_open(*server.node, kPcscfHost, client, kMsfHost); }));

    uint64_t answered = 0;
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        auto raw = open_raw_peer(server, kHostile);
        const uint64_t invalid_before = server.node->counters().invalid_frames;
        raw->send(c.bytes);
        ASSERT_EQ(client.send_request(kMsfHost, sample_aar(), [&](RequestOutcome&& o) { answered += o.ok(); }),
                  RequestFailure::none);
        EXPECT_TRUE(raw->await_closed(loop));
        EXPECT_EQ(server.node->counters().invalid_frames, invalid_before + 1);
        EXPECT_TRUE(server.logs.contains(c.logged)) << server.logs.all();
        EXPECT_EQ(state_of(*server.node, kHostile), PeerState::closed);
        EXPECT_EQ(state_of(*server.node, kPcscfHost), PeerState::r_open);
    }
    ASSERT_TRUE(run_until(loop, [&] { return answered == 3; }));
    EXPECT_EQ(server.handler.requests.size(), 3u);
}

TEST(DiameterPeer, RequestsThatFailValidationGetTheErrorAnswerAndTheConnectionStays) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kHostile))}));
    auto raw = open_raw_peer(server, kHostile);

    // A required AVP missing: DIAMETER_MISSING_AVP, the command's answer (no E bit).
    Message no_realm = Message::request(cmd::aar);
    no_realm.set_hop_by_hop(101).set_end_to_end(101);
    no_realm.add(avp::session_id, "s;1").add(avp::auth_application_id, app::rx)
        .add(avp::origin_host, kHostile).add(avp::origin_realm, kPcscfRealm);
    raw->send(no_realm);
    std::optional<Message> a1 = raw->await_message(loop);
    ASSERT_TRUE(a1.has_value());
    EXPECT_EQ(a1->hop_by_hop(), 101u);
    EXPECT_EQ(result_code(*a1), 5005u);
    EXPECT_FALSE(a1->is_error());
    EXPECT_EQ(a1->session_id(), "s;1");
    EXPECT_TRUE(a1->find(avp::failed_avp).has_value());

    // An unknown AVP with the M bit: DIAMETER_AVP_UNSUPPORTED.
    Message unknown = sample_aar();
    unknown.set_hop_by_hop(102);
    const uint8_t data[4] = {0, 0, 0, 1};
    unknown.add_raw(9999, kAvpFlagMandatory, 0, data);
    raw->send(unknown);
    std::optional<Message> a2 = raw->await_message(loop);
    ASSERT_TRUE(a2.has_value());
    EXPECT_EQ(a2->hop_by_hop(), 102u);
    EXPECT_EQ(result_code(*a2), 5001u);

    // The P bit cleared on an AAR: DIAMETER_INVALID_HDR_BITS, a protocol error with the E bit.
    Message no_p = sample_aar();
    no_p.set_hop_by_hop(103).set_flags(kFlagRequest);
    raw->send(no_p);
    std::optional<Message> a3 = raw->await_message(loop);
    ASSERT_TRUE(a3.has_value());
    EXPECT_EQ(result_code(*a3), 3008u);
    EXPECT_TRUE(a3->is_error());

    // A command nobody knows: DIAMETER_COMMAND_UNSUPPORTED.
    std::vector<uint8_t> odd = sample_dwr().encode();
    store_be24(odd.data() + 5, 12345);
    raw->send(odd);
    std::optional<Message> a4 = raw->await_message(loop);
    ASSERT_TRUE(a4.has_value());
    EXPECT_EQ(result_code(*a4), 3001u);

    // Still up: a DWR gets its DWA, and the application saw none of them.
    raw->send(dwr_of(kHostile, 104));
    std::optional<Message> dwa = raw->await_message(loop);
    ASSERT_TRUE(dwa.has_value());
    EXPECT_EQ(dwa->hop_by_hop(), 104u);
    EXPECT_EQ(result_code(*dwa), 2001u);
    EXPECT_FALSE(raw->closed());
    EXPECT_TRUE(server.handler.requests.empty());
    EXPECT_EQ(server.node->counters().requests_rejected, 4u);
    EXPECT_EQ(state_of(*server.node, kHostile), PeerState::r_open);
}

TEST(DiameterPeer, AnswersAreMatchedByHopByHopAndUnansweredRequestsTimeOut) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kHostile)), peer(std::string(kPcscfHost))}));
    Node& node = *server.node;
    // Unknown and closed peers fail at once.
    EXPECT_EQ(node.send_request("nobody.example.net", sample_rar(), [](RequestOutcome&&) { FAIL(); }),
              RequestFailure::unknown_peer);
    EXPECT_EQ(node.send_request(kPcscfHost, sample_rar(), [](RequestOutcome&&) { FAIL(); }),
              RequestFailure::peer_not_open);

    auto raw = open_raw_peer(server, kHostile);
    EXPECT_EQ(node.send_request(kHostile, sample_raa(), [](RequestOutcome&&) { FAIL(); }),
              RequestFailure::not_a_request);
    std::optional<RequestOutcome> first, second;
    ASSERT_EQ(node.send_request(kHostile, sample_rar(), [&](RequestOutcome&& o) { first = std::move(o); }, 3000),
              RequestFailure::none);
    ASSERT_EQ(node.send_request(kHostile, sample_asr(), [&](RequestOutcome&& o) { second = std::move(o); }, 150),
              RequestFailure::none);
    std::optional<Message> rar = raw->await_message(loop);
    std::optional<Message> asr = raw->await_message(loop);
    ASSERT_TRUE(rar && asr);
    EXPECT_EQ(rar->command_code(), cmd::rar.code);
    EXPECT_NE(rar->hop_by_hop(), asr->hop_by_hop());
    EXPECT_EQ(asr->end_to_end(), rar->end_to_end() + 1);

    // An answer that matches nothing is dropped; the RAR's answer completes the first request.
    Message stray = Message::answer_to(*rar);
    stray.set_hop_by_hop(rar->hop_by_hop() ^ 0x5555);
    stray.add(avp::origin_host, kHostile).add(avp::origin_realm, kPcscfRealm).add(avp::result_code, 2001u);
    raw->send(stray);
    Message raa = Message::answer_to(*rar);
    raa.add(avp::origin_host, kHostile).add(avp::origin_realm, kPcscfRealm).add(avp::result_code, 2001u);
    raw->send(raa);
    ASSERT_TRUE(run_until(loop, [&] { return first.has_value(); }));
    ASSERT_TRUE(first->ok());
    EXPECT_EQ(first->answer->session_id(), rar->session_id());
    EXPECT_EQ(first->answer->hop_by_hop(), rar->hop_by_hop());
    EXPECT_EQ(node.counters().answers_dropped, 1u);

    // The ASR is never answered.
    EXPECT_FALSE(second.has_value());
    ASSERT_TRUE(run_until(loop, [&] { return second.has_value(); }, 2000));
    EXPECT_EQ(second->failure, RequestFailure::timeout);
    EXPECT_EQ(node.counters().requests_timed_out, 1u);
    EXPECT_EQ(node.pending_request_count(), 0u);
    // A late answer to it is one more dropped answer.
    Message late = Message::answer_to(*asr);
    late.add(avp::origin_host, kHostile).add(avp::origin_realm, kPcscfRealm).add(avp::result_code, 2001u);
    raw->send(late);
    ASSERT_TRUE(run_until(loop, [&] { return node.counters().answers_dropped == 2; }));
}

TEST(DiameterPeer, PendingRequestsFailWhenTheConnectionCloses) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kHostile))}));
    auto raw = open_raw_peer(server, kHostile);
    std::optional<RequestOutcome> outcome;
    ASSERT_EQ(server.node->send_request(kHostile, sample_rar(), [&](RequestOutcome&& o) { outcome = std::move(o); }),
              RequestFailure::none);
    ASSERT_TRUE(raw->await_message(loop).has_value());
    raw.reset();
    ASSERT_TRUE(run_until(loop, [&] { return outcome.has_value(); }));
    EXPECT_EQ(outcome->failure, RequestFailure::connection_lost);
}

TEST(DiameterPeer, AnInvalidAnswerCompletesItsRequestWithTheReason) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kHostile))}));
    auto raw = open_raw_peer(server, kHostile);
    std::optional<RequestOutcome> outcome;
    ASSERT_EQ(server.node->send_request(kHostile, sample_rar(), [&](RequestOutcome&& o) { outcome = std::move(o); }),
              RequestFailure::none);
    std::optional<Message> rar = raw->await_message(loop);
    ASSERT_TRUE(rar.has_value());
    Message raa = Message::answer_to(*rar);  // no Origin-Host: DIAMETER_MISSING_AVP
    raa.add(avp::origin_realm, kPcscfRealm).add(avp::result_code, 2001u);
    raw->send(raa);
    ASSERT_TRUE(run_until(loop, [&] { return outcome.has_value(); }));
    EXPECT_EQ(outcome->failure, RequestFailure::invalid_answer);
    EXPECT_NE(outcome->detail.find("Origin-Host"), std::string::npos) << outcome->detail;
    EXPECT_FALSE(raw->closed());
}

TEST(DiameterPeer, HandlerAnswersInALaterIterationAndAfterTheNodesHook) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    server.handler.defer = true;
    RecordingHandler client_handler;
    Node client(loop, client_settings({kLoopback, server.port()}), client_handler);
    ASSERT_TRUE(run_until(loop, [&] { return both_open(*server.node, kPcscfHost, client, kMsfHost); }));

    std::vector<RequestOutcome> outcomes;
    for (int i = 0; i < 2; ++i)
        ASSERT_EQ(client.send_request(kMsfHost, sample_aar(), [&](RequestOutcome&& o) { outcomes.push_back(std::move(o)); }),
                  RequestFailure::none);
    ASSERT_TRUE(run_until(loop, [&] { return server.handler.deferred.size() == 2; }));
    run_for(loop, 50);
    EXPECT_TRUE(outcomes.empty());

    // Answered between iterations, from outside any callback.
    Responder first = server.handler.deferred[0];
    EXPECT_TRUE(first.answer(server.node->make_answer(server.handler.requests[0].request, ResultCode::success)));
    EXPECT_FALSE(first.answer(server.node->make_answer(server.handler.requests[0].request, ResultCode::success)));
    ASSERT_TRUE(run_until(loop, [&] { return outcomes.size() == 1; }));
    EXPECT_TRUE(outcomes[0].ok());

    // Answered in an end-of-iteration hook added after the node's (the daemon's group commit):
    // it goes out without waiting for another event.
    bool answered_in_hook = false;
    loop.add_end_of_iteration_hook([&] {
        if (answered_in_hook) return;
        answered_in_hook = true;
        server.handler.deferred[1].answer(server.node->make_answer(server.handler.requests[1].request, ResultCode::success));
    });
    loop.run_once(0);
    ASSERT_TRUE(answered_in_hook);
    const int64_t start = controld::EventLoop::now_ms();
    ASSERT_TRUE(run_until(loop, [&] { return outcomes.size() == 2; }, 2000));
    EXPECT_LT(controld::EventLoop::now_ms() - start, 500);
    EXPECT_EQ(outcomes[1].answer->hop_by_hop() != outcomes[0].answer->hop_by_hop(), true);
}

TEST(DiameterPeer, AnswerAfterTheConnectionClosedIsDroppedAndCounted) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kHostile))}));
    server.handler.defer = true;
    auto raw = open_raw_peer(server, kHostile);
    raw->send(sample_aar());
    ASSERT_TRUE(run_until(loop, [&] { return server.handler.deferred.size() == 1; }));
    raw.reset();
    ASSERT_TRUE(run_until(loop, [&] { return state_of(*server.node, kHostile) == PeerState::closed; }));
    EXPECT_FALSE(server.handler.deferred[0].answer(
        server.node->make_answer(server.handler.requests[0].request, ResultCode::success)));
    EXPECT_EQ(server.node->counters().late_answers_dropped, 1u);
}

TEST(DiameterPeer, HandlerThatThrowsGetsItsRequestAnsweredWithUnableToComply) {
    struct Throwing : ApplicationHandler {
        void on_request(PeerRef, Message&&, Responder) override { throw std::runtime_error("boom"); }
        void on_peer_state(PeerRef, bool) override {}
    } throwing;
    controld::EventLoop loop;
    LogCapture logs;
    NodeSettings s = server_settings({peer(std::string(kHostile))});
    s.log = logs.sink();
    Node node(loop, s, throwing);
    RawPeer raw(node.listen_endpoints().at(0).port);
    raw.send(cer_of(kHostile));
    ASSERT_TRUE(raw.await_message(loop).has_value());
    raw.send(sample_aar());
    std::optional<Message> aaa = raw.await_message(loop);
    ASSERT_TRUE(aaa.has_value());
    EXPECT_EQ(result_code(*aaa), 5012u);
    EXPECT_EQ(aaa->hop_by_hop(), sample_aar().hop_by_hop());
    EXPECT_TRUE(logs.contains("boom")) << logs.all();
    EXPECT_EQ(state_of(node, kHostile), PeerState::r_open);
}

TEST(DiameterPeer, PeerThatDoesNotReadIsDisconnected) {
    controld::EventLoop loop;
    NodeSettings s = server_settings({peer(std::string(kHostile)), peer(std::string(kPcscfHost))});
    s.max_output_bytes = 64 * 1024;
    Server server(loop, s);
    RecordingHandler client_handler;
    Node client(loop, client_settings({kLoopback, server.port()}), client_handler);
    auto raw = std::make_unique<RawPeer>(server.port(), nullptr, 4096);
    raw->send(cer_of(kHostile));
    ASSERT_TRUE(run_until(loop, [&] { return is_open(state_of(*server.node, kHostile)); }));

    // DWRs, never reading the DWAs.
    std::vector<uint8_t> burst;
    for (uint32_t i = 0; i < 1000; ++i) dwr_of(kHostile, i).encode(burst);
    size_t offset = 0;
    const bool disconnected = run_until(loop, [&] {
        offset = (offset + raw->send_some(std::span<const uint8_t>(burst).subspan(offset))) % burst.size();
        return server.node->counters().slow_reader_disconnects == 1;
    }, 20000);
    ASSERT_TRUE(disconnected);
    EXPECT_EQ(state_of(*server.node, kHostile), PeerState::closed);
    EXPECT_TRUE(server.logs.contains("does not read")) << server.logs.all();
    // The other peer is served meanwhile.
    ASSERT_TRUE(run_until(loop, [&] { return is_open(state_of(client, kMsfHost)); }));
    bool answered = false;
    ASSERT_EQ(client.send_request(kMsfHost, sample_aar(), [&](RequestOutcome&& o) { answered = o.ok(); }),
              RequestFailure::none);
    EXPECT_TRUE(run_until(loop, [&] { return answered; }));
}

TEST(DiameterPeer, ManyPipelinedRequestsAreAnsweredInOrderWithFewWrites) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kPcscfHost))}));
    RecordingHandler client_handler;
    Node client(loop, client_settings({kLoopback, server.port()}), client_handler);
    ASSERT_TRUE(run_until(loop, [&] { return both_open(*server.node, kPcscfHost, client, kMsfHost); }));
    constexpr int kRequests = 2000;
    std::vector<std::string> answered;
    for (int i = 0; i < kRequests; ++i) {
        Message aar = sample_aar();
        Message rebuilt = Message::request(cmd::aar);
        rebuilt.add(avp::session_id, "pcscf;" + std::to_string(i));
        for (const Avp a : aar.avps())
            if (!a.is(avp::session_id)) rebuilt.root().add_copy(a);
        ASSERT_EQ(client.send_request(kMsfHost, std::move(rebuilt),
                                      [&](RequestOutcome&& o) { answered.emplace_back(o.answer->session_id()); }),
                  RequestFailure::none);
    }
    ASSERT_TRUE(run_until(loop, [&] { return answered.size() == kRequests; }, 20000));
    for (int i = 0; i < kRequests; ++i) ASSERT_EQ(answered[i], "pcscf;" + std::to_string(i));
    EXPECT_EQ(server.handler.requests.size(), static_cast<size_t>(kRequests));
}

TEST(DiameterPeer, CerOnAnOpenConnectionIsRefusedAndTheConnectionStays) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kHostile))}));
    auto raw = open_raw_peer(server, kHostile);
    raw->send(cer_of(kHostile));
    std::optional<Message> cea = raw->await_message(loop);
    ASSERT_TRUE(cea.has_value());
    EXPECT_EQ(result_code(*cea), 5012u);
    raw->send(dwr_of(kHostile, 9));
    std::optional<Message> dwa = raw->await_message(loop);
    ASSERT_TRUE(dwa.has_value());
    EXPECT_EQ(result_code(*dwa), 2001u);
}

TEST(DiameterPeer, SecondConnectionOfAnOpenPeerIsRejected) {
    controld::EventLoop loop;
    Server server(loop, server_settings({peer(std::string(kHostile))}));
    auto raw = open_raw_peer(server, kHostile);
    RawPeer second(server.port());
    second.send(cer_of(kHostile));
    std::optional<Message> cea = second.await_message(loop);
    ASSERT_TRUE(cea.has_value());
    EXPECT_NE(result_code(*cea), 2001u);
    EXPECT_TRUE(second.await_closed(loop));
    EXPECT_EQ(state_of(*server.node, kHostile), PeerState::r_open);
    EXPECT_FALSE(raw->closed());
}

TEST(DiameterPeer, SettingsThatCannotWorkAreRefusedAtStartUp) {
    controld::EventLoop loop;
    RecordingHandler handler;
    auto refused = [&](NodeSettings s) {
        s.log = [](std::string_view) {};
        try {
            Node node(loop, s, handler);
        } catch (const NodeError&) {
            return true;
        }
        return false;
    };
    EXPECT_TRUE(refused(server_settings({peer("p.example.net"), peer("P.example.net")})));  // twice
    EXPECT_TRUE(refused(server_settings({peer(std::string(kMsfHost))})));                   // ourselves
    PeerSettings tls_peer = peer("p.example.net");
    tls_peer.tls = true;
    EXPECT_TRUE(refused(server_settings({tls_peer})));  // TLS without certificate
    NodeSettings no_identity = server_settings({});
    no_identity.identity.clear();
    EXPECT_TRUE(refused(no_identity));
    NodeSettings bad_codec = server_settings({});
    bad_codec.codec.max_message_size = 10;
    EXPECT_TRUE(refused(bad_codec));
    ReservedPort taken;
    NodeSettings first = server_settings({});
    first.listen = {taken.endpoint()};
    Node listening(loop, first, handler);
    EXPECT_TRUE(refused(first));  // the port is in use
    EXPECT_FALSE(refused(server_settings({peer("p.example.net")})));
}

}  // namespace
}  // namespace msf::diameter::testing
