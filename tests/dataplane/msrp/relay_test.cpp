// The relay with real sockets in this process: an OpenSSL TLS-PSK UE on one side, a plain TCP
// MSRP endpoint on the other, sessions installed over the real control socket.
#include "dataplane/msrp/relay.hpp"

#include <gtest/gtest.h>

#include "msrp_peers.hpp"

namespace msf::msrp {
namespace {

using testing::CorePeer;
using testing::RelayUnderTest;
using testing::TlsUe;
using testing::TlsVersion;
using testing::msrp_ok;
using testing::numbered;
using testing::msrp_send;
using testing::random_bytes;
using testing::random_text;
using testing::with_paths;

const std::string kUePath = "msrps://10.1.2.3:40000/uepath01;tcp";

struct Installed {
    std::string id;
    std::string identity;
    std::vector<uint8_t> psk;
    AddedSession paths;
};

Installed install(ControlClient& control, const CorePeer& core, std::string id,
                  std::optional<std::string> ue_allow = std::nullopt) {
    Installed session{id, "ue-" + id, random_bytes(32), {}};
    SessionSpec spec{session.id, session.identity, session.psk, kUePath, core.path(), ue_allow, {}, {}};
    const Outcome<AddedSession> added = control.add_session(spec);
    EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error());
    if (added) session.paths = added.value();
    return session;
}

uint64_t counter(ControlClient& control, const std::string& id, const char* name) {
    const Outcome<nlohmann::json> session = control.get_session(id);
    EXPECT_TRUE(session.ok());
    return session ? session.value()["counters"][name].get<uint64_t>() : 0;
}

uint64_t stat(ControlClient& control, const char* name) {
    const Outcome<nlohmann::json> stats = control.stats();
    EXPECT_TRUE(stats.ok());
    return stats ? stats.value()[name].get<uint64_t>() : 0;
}

// Until `done` holds or 5 s pass: for counters the relay thread updates a moment later.
template <class F>
bool eventually(F&& done) {
    for (int i = 0; i < 500; ++i) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

class MsrpRelayBothWays : public ::testing::TestWithParam<std::tuple<TlsVersion, size_t>> {};

TEST_P(MsrpRelayBothWays, MessagesArriveByteExactWithPathsRewritten) {
    const auto [version, size] = GetParam();
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "both-ways");
    TlsUe ue(relay.port(), session.identity, session.psk, version);
    ASSERT_TRUE(ue.handshake_ok());
    ASSERT_TRUE(core.accept());

    // UE -> core, written from a thread so a large message cannot deadlock the test.
    const std::string body = random_text(size);
    const std::string sent = msrp_send("uetid0001", session.paths.gw_access_path, kUePath, body);
    std::thread writer([&] { EXPECT_TRUE(ue.write(sent)); });
    const std::optional<std::string> at_core = core.read_frame();
    writer.join();
    ASSERT_TRUE(at_core.has_value());
    EXPECT_EQ(*at_core, with_paths(sent, core.path(), session.paths.gw_core_path));

    // The core answers 200 and sends its own message; the UE sees its own paths.
    const std::string ok = msrp_ok("uetid0001", session.paths.gw_core_path, core.path());
    const std::string back_body = random_text(size);
    const std::string back = msrp_send("coretid01", session.paths.gw_core_path, core.path(), back_body, "coremsg01");
    std::thread core_writer([&] { EXPECT_TRUE(core.write(ok + back)); });
    const std::optional<std::string> ok_at_ue = ue.read_frame();
    const std::optional<std::string> back_at_ue = ue.read_frame();
    core_writer.join();
    ASSERT_TRUE(ok_at_ue && back_at_ue);
    EXPECT_EQ(*ok_at_ue, with_paths(ok, kUePath, session.paths.gw_access_path));
    EXPECT_EQ(*back_at_ue, with_paths(back, kUePath, session.paths.gw_access_path));

    EXPECT_EQ(counter(control, session.id, "messages_from_ue"), 1u);
    EXPECT_EQ(counter(control, session.id, "bytes_from_ue"), sent.size());
    EXPECT_EQ(counter(control, session.id, "messages_to_ue"), 2u);
    EXPECT_EQ(counter(control, session.id, "bytes_to_ue"), ok.size() + back.size());
}

INSTANTIATE_TEST_SUITE_P(Sizes, MsrpRelayBothWays,
                         ::testing::Combine(::testing::Values(TlsVersion::tls12, TlsVersion::tls13),
                                            ::testing::Values(size_t{1}, size_t{1024}, size_t{70000},
                                                              size_t{1} << 20)));

TEST(MsrpRelay, PathsGivenByTheControllerAreTheOnesRewritten) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const std::vector<uint8_t> psk = random_bytes(16);
    const std::string gw_access = "msrps://192.0.2.20:2855/sdpAccess1;tcp";
    const std::string gw_core = "msrp://198.51.100.20:2855/sdpCore1;tcp";
    ASSERT_TRUE(control.add_session({"given", "ue-given", psk, kUePath, core.path(), std::nullopt, gw_access, gw_core}).ok());
    TlsUe ue(relay.port(), "ue-given", psk, TlsVersion::tls13);
    ASSERT_TRUE(ue.handshake_ok());
    ASSERT_TRUE(core.accept());
    const std::string sent = msrp_send("given001", gw_access, kUePath, "via the SDP's URIs");
    ASSERT_TRUE(ue.write(sent));
    const std::optional<std::string> got = core.read_frame();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, with_paths(sent, core.path(), gw_core));
}

TEST(MsrpRelay, ChunkedMessageArrivesAsItsChunks) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "chunked");
    TlsUe ue(relay.port(), session.identity, session.psk, TlsVersion::tls13);
    ASSERT_TRUE(ue.handshake_ok());
    ASSERT_TRUE(core.accept());
    const std::string body = random_text(30000);
    std::string all;
    std::vector<std::string> chunks;
    for (size_t start = 0; start < body.size(); start += 10000) {
        const std::string range = std::to_string(start + 1) + "-" + std::to_string(start + 10000) + "/30000";
        chunks.push_back(msrp_send(numbered("chunk", start), session.paths.gw_access_path, kUePath,
                                   body.substr(start, 10000), "bigmsg01", range,
                                   start + 10000 == body.size() ? '$' : '+'));
        all += chunks.back();
    }
    ASSERT_TRUE(ue.write(all));
    for (const std::string& chunk : chunks) {
        const std::optional<std::string> got = core.read_frame();
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, with_paths(chunk, core.path(), session.paths.gw_core_path));
    }
}

TEST(MsrpRelay, FrameSentOneByteAtATimeArrivesWhole) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "bytewise");
    TlsUe ue(relay.port(), session.identity, session.psk, TlsVersion::tls12);
    ASSERT_TRUE(ue.handshake_ok());
    ASSERT_TRUE(core.accept());
    const std::string sent = msrp_send("bytes001", session.paths.gw_access_path, kUePath, "one TLS record per byte");
    for (const char byte : sent) ASSERT_TRUE(ue.write(std::string_view(&byte, 1)));
    const std::optional<std::string> got = core.read_frame();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, with_paths(sent, core.path(), session.paths.gw_core_path));
}

TEST(MsrpRelay, WrongPskFailsTheHandshakeAndIsCountedForTheSession) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "wrong-psk");
    for (const TlsVersion version : {TlsVersion::tls12, TlsVersion::tls13}) {
        TlsUe ue(relay.port(), session.identity, random_bytes(32), version);
        EXPECT_FALSE(ue.handshake_ok());
    }
    EXPECT_TRUE(eventually([&] { return counter(control, session.id, "tls_handshake_failures") == 2; }));
    EXPECT_EQ(counter(control, session.id, "connections"), 0u);
    EXPECT_TRUE(relay.logged("TLS handshake failed"));
}

TEST(MsrpRelay, UnknownIdentityFailsAndIsCountedGlobally) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    for (const TlsVersion version : {TlsVersion::tls12, TlsVersion::tls13}) {
        TlsUe ue(relay.port(), "nobody", random_bytes(32), version);
        EXPECT_FALSE(ue.handshake_ok());
    }
    EXPECT_TRUE(eventually([&] { return stat(control, "tls_handshake_failures") == 2; }));
    EXPECT_TRUE(relay.logged("no such session"));
}

TEST(MsrpRelay, MalformedFrameClosesOnlyThatConnection) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core_bad, core_good;
    const Installed bad = install(control, core_bad, "bad");
    const Installed good = install(control, core_good, "good");
    TlsUe ue_bad(relay.port(), bad.identity, bad.psk, TlsVersion::tls12);
    TlsUe ue_good(relay.port(), good.identity, good.psk, TlsVersion::tls12);
    ASSERT_TRUE(ue_bad.handshake_ok() && ue_good.handshake_ok());
    ASSERT_TRUE(core_bad.accept() && core_good.accept());

    ASSERT_TRUE(ue_bad.write("MSRP x SEND\r\n\r\n"));
    EXPECT_TRUE(ue_bad.closed_by_peer());
    EXPECT_TRUE(core_bad.closed_by_peer());
    EXPECT_TRUE(eventually([&] { return counter(control, bad.id, "parse_errors") == 1; }));
    EXPECT_TRUE(relay.logged("bad MSRP from UE: bad_transaction_id"));

    const std::string sent = msrp_send("goodtid01", good.paths.gw_access_path, kUePath, "still here");
    ASSERT_TRUE(ue_good.write(sent));
    const std::optional<std::string> got = core_good.read_frame();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, with_paths(sent, core_good.path(), good.paths.gw_core_path));
    EXPECT_EQ(counter(control, good.id, "parse_errors"), 0u);
}

TEST(MsrpRelay, MalformedFrameFromTheCoreClosesTheConnection) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "core-bad");
    TlsUe ue(relay.port(), session.identity, session.psk, TlsVersion::tls13);
    ASSERT_TRUE(ue.handshake_ok());
    ASSERT_TRUE(core.accept());
    ASSERT_TRUE(core.write("GET / HTTP/1.1\r\n\r\n"));
    EXPECT_TRUE(ue.closed_by_peer());
    EXPECT_TRUE(eventually([&] { return counter(control, session.id, "parse_errors") == 1; }));
}

TEST(MsrpRelay, PathsOfAnotherSessionAreRefused) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "paths");
    TlsUe ue(relay.port(), session.identity, session.psk, TlsVersion::tls13);
    ASSERT_TRUE(ue.handshake_ok());
    ASSERT_TRUE(core.accept());
    ASSERT_TRUE(ue.write(msrp_send("tid00001", "msrps://127.0.0.1:2855/someoneelse;tcp", kUePath, "x")));
    EXPECT_TRUE(ue.closed_by_peer());
    EXPECT_TRUE(eventually([&] { return counter(control, session.id, "path_mismatch") == 1; }));
    EXPECT_TRUE(relay.logged("paths not of this session"));
}

TEST(MsrpRelay, FiftyConcurrentSessionsEachRelayTheirOwnMessages) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    constexpr int kSessions = 50;
    std::vector<std::unique_ptr<CorePeer>> cores;
    std::vector<Installed> sessions;
    std::vector<std::unique_ptr<TlsUe>> ues;
    for (int i = 0; i < kSessions; ++i) {
        cores.push_back(std::make_unique<CorePeer>());
        sessions.push_back(install(control, *cores.back(), numbered("s", i)));
    }
    for (int i = 0; i < kSessions; ++i) {
        ues.push_back(std::make_unique<TlsUe>(relay.port(), sessions[i].identity, sessions[i].psk,
                                              i % 2 == 0 ? TlsVersion::tls12 : TlsVersion::tls13));
        ASSERT_TRUE(ues.back()->handshake_ok()) << i;
        ASSERT_TRUE(cores[i]->accept()) << i;
    }
    std::vector<std::string> sent(kSessions);
    for (int i = 0; i < kSessions; ++i) {
        sent[i] = msrp_send(numbered("tid", 1000 + i), sessions[i].paths.gw_access_path, kUePath,
                            numbered("message of session ", i) + random_text(1000));
        ASSERT_TRUE(ues[i]->write(sent[i]));
    }
    for (int i = 0; i < kSessions; ++i) {
        const std::optional<std::string> got = cores[i]->read_frame();
        ASSERT_TRUE(got) << i;
        EXPECT_EQ(*got, with_paths(sent[i], cores[i]->path(), sessions[i].paths.gw_core_path)) << i;
    }
    EXPECT_EQ(stat(control, "connections"), static_cast<uint64_t>(kSessions));
}

TEST(MsrpRelay, SlowCoreReaderKeepsRelayMemoryBounded) {
    RelayConfig config = RelayUnderTest::defaults();
    config.out_buffer_limit = 128 * 1024;
    config.limits.max_chunk_size = 256 * 1024;
    RelayUnderTest relay(config);
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "slow");
    TlsUe ue(relay.port(), session.identity, session.psk, TlsVersion::tls13);
    ASSERT_TRUE(ue.handshake_ok());
    ASSERT_TRUE(core.accept());

    // 32 MiB toward a core that does not read: the UE must be pushed back, not buffered.
    constexpr int kMessages = 512;
    const std::string body = random_text(64 * 1024);
    std::atomic<int> written{0};
    std::thread writer([&] {
        for (int i = 0; i < kMessages; ++i) {
            if (!ue.write(msrp_send(numbered("tid", 10000 + i), session.paths.gw_access_path, kUePath,
                                    body, numbered("m", 10000 + i))))
                return;
            ++written;
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const uint64_t held = stat(control, "buffered_bytes");
    // Bound: out buffer + one frame, and one input buffer (max header + max chunk), each
    // side, with std::string growth slack; far below the 32 MiB offered.
    const uint64_t bound = 4 * (config.out_buffer_limit + 2 * (config.limits.max_header_bytes +
                                                               config.limits.max_chunk_size));
    EXPECT_LT(held, bound);
    EXPECT_LT(written.load(), kMessages);  // the UE was stopped by back-pressure

    // Now read everything: nothing lost, nothing reordered.
    for (int i = 0; i < kMessages; ++i) {
        const std::optional<std::string> got = core.read_frame();
        ASSERT_TRUE(got) << i;
        ASSERT_NE(got->find(numbered("-------tid", 10000 + i).append("$")), std::string::npos) << i;
        ASSERT_NE(got->find(body), std::string::npos) << i;
    }
    writer.join();
    EXPECT_EQ(written.load(), kMessages);
}

TEST(MsrpRelay, RemovedSessionClosesItsConnectionAndRefusesNewOnes) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "removed");
    TlsUe ue(relay.port(), session.identity, session.psk, TlsVersion::tls12);
    ASSERT_TRUE(ue.handshake_ok());
    ASSERT_TRUE(core.accept());
    const Outcome<bool> removed = control.remove_session(session.id);
    ASSERT_TRUE(removed.ok());
    EXPECT_TRUE(removed.value());
    EXPECT_TRUE(ue.closed_by_peer());
    EXPECT_TRUE(core.closed_by_peer());
    TlsUe again(relay.port(), session.identity, session.psk, TlsVersion::tls13);
    EXPECT_FALSE(again.handshake_ok());
    EXPECT_FALSE(control.get_session(session.id).ok());
    const Outcome<bool> twice = control.remove_session(session.id);
    ASSERT_TRUE(twice.ok());
    EXPECT_FALSE(twice.value());
}

TEST(MsrpRelay, ConnectionFromAnAddressTheSessionDoesNotAllowIsRefused) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "allow", "127.0.0.2");
    {
        TlsUe ue(relay.port(), session.identity, session.psk, TlsVersion::tls13, "127.0.0.1");
        EXPECT_TRUE(ue.closed_by_peer());
    }
    EXPECT_TRUE(eventually([&] { return counter(control, session.id, "refused_connections") == 1; }));
    TlsUe allowed(relay.port(), session.identity, session.psk, TlsVersion::tls13, "127.0.0.2");
    ASSERT_TRUE(allowed.handshake_ok());
    EXPECT_TRUE(core.accept());
    EXPECT_EQ(counter(control, session.id, "connections"), 1u);
}

TEST(MsrpRelay, ConnectionsPerSessionAreLimited) {
    RelayConfig config = RelayUnderTest::defaults();
    config.max_connections_per_session = 1;
    RelayUnderTest relay(config);
    ControlClient control(relay.socket_path());
    CorePeer core;
    const Installed session = install(control, core, "limit");
    TlsUe first(relay.port(), session.identity, session.psk, TlsVersion::tls12);
    ASSERT_TRUE(first.handshake_ok());
    ASSERT_TRUE(core.accept());
    TlsUe second(relay.port(), session.identity, session.psk, TlsVersion::tls12);
    EXPECT_TRUE(second.closed_by_peer());
    EXPECT_TRUE(eventually([&] { return counter(control, session.id, "refused_connections") == 1; }));
    EXPECT_EQ(counter(control, session.id, "active_connections"), 1u);
}

TEST(MsrpRelay, UnreachableCoreClosesTheUeConnectionAndCounts) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    std::optional<CorePeer> gone(std::in_place);
    const Installed session = install(control, *gone, "nocore");
    gone.reset();  // nothing listens on the core port any more
    TlsUe ue(relay.port(), session.identity, session.psk, TlsVersion::tls13);
    ASSERT_TRUE(ue.handshake_ok());
    EXPECT_TRUE(ue.closed_by_peer());
    EXPECT_TRUE(eventually([&] { return counter(control, session.id, "core_connect_failures") == 1; }));
}

TEST(MsrpRelay, SilentClientIsDroppedAfterTheHandshakeTimeout) {
    RelayConfig config = RelayUnderTest::defaults();
    config.handshake_timeout_ms = 200;
    RelayUnderTest relay(config);
    ControlClient control(relay.socket_path());
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(relay.port());
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    testing::set_timeouts(fd, 5000);
    char byte;
    EXPECT_LE(recv(fd, &byte, 1, 0), 0);
    close(fd);
    EXPECT_EQ(stat(control, "handshake_timeouts"), 1u);
}

}  // namespace
}  // namespace msf::msrp
