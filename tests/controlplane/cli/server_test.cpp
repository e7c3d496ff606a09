// The CLI socket server on a real EventLoop (in its own thread) with real Unix-socket clients:
// requests and responses, the reveal rule (refused to non-root, logged for root), the bounds
// (line length, output queue, clients), and the socket file (stale replaced, live and
// non-socket refused, mode 0660, group).
#include "controlplane/cli/server.hpp"

#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <thread>

#include "server_harness.hpp"

namespace msf::cli::test {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

std::string request_line(uint64_t id, std::string_view command, std::string_view session_id = {}, bool reveal = false) {
    std::string line = "{\"id\":" + std::to_string(id) + ",\"command\":\"" + std::string(command) + "\"";
    if (!session_id.empty()) line += ",\"session_id\":\"" + std::string(session_id) + "\"";
    if (reveal) line += ",\"reveal\":true";
    return line + "}\n";
}

struct CliServerTest : ::testing::Test {
    TempDir dir;
    std::string path = dir.file("controld.sock");
    SampleHandler handler;
};

TEST_F(CliServerTest, AnswersEveryCommandWithTheHandlersResult) {
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.connected());
    uint64_t id = 100;
    for (const CommandInfo& info : kCommands) {
        ASSERT_TRUE(client.send(request_line(++id, info.name, info.takes_session_id ? kSession1 : "")));
        const nlohmann::json response = parse_line(client.read_line());
        EXPECT_EQ(response["id"], id) << info.name;
        EXPECT_EQ(response["ok"], true) << info.name;
        EXPECT_EQ(response["result"], sample_result(info.command)) << info.name;
    }
    server.stop();
    const CliServerStats& stats = server.server().stats();
    EXPECT_EQ(stats.requests, kCommandCount);
    for (uint64_t n : stats.commands) EXPECT_EQ(n, 1u);
    EXPECT_EQ(stats.error_responses, 0u);
    EXPECT_EQ(stats.clients_accepted, 1u);
}

TEST_F(CliServerTest, AnswersPipelinedRequestsInOrder) {
    ServerThread server(path, handler);
    RawClient client(path);
    // Three requests in one write, the last split across two.
    const std::string batch = request_line(1, "stats") + request_line(2, "peers") + request_line(3, "sessions");
    ASSERT_TRUE(client.send(batch.substr(0, batch.size() - 5)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(client.send(batch.substr(batch.size() - 5)));
    for (uint64_t id = 1; id <= 3; ++id) EXPECT_EQ(parse_line(client.read_line())["id"], id);
}

TEST_F(CliServerTest, PassesTheCallersUidAndPidToTheHandler) {
    {
        ServerThread server(path, handler);
        RawClient client(path);
        ASSERT_TRUE(client.send(request_line(1, "session", kSession2)));
        EXPECT_EQ(parse_line(client.read_line())["ok"], true);
    }
    const auto calls = handler.calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].caller.uid, getuid());
    EXPECT_EQ(calls[0].caller.pid, getpid());
    EXPECT_EQ(calls[0].request, (Request{1, Command::session, kSession2, false}));
}

TEST_F(CliServerTest, PassesTheHandlersErrorsThrough) {
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.send(request_line(5, "keys", "nope;1")));
    const nlohmann::json response = parse_line(client.read_line());
    EXPECT_EQ(response, nlohmann::json::parse(R"({"id":5,"ok":false,"code":"not_found","error":"no session nope;1"})"));
}

TEST_F(CliServerTest, AnswersMalformedLinesWithBadRequestAndStaysUsable) {
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.send("{bad\n"));
    nlohmann::json response = parse_line(client.read_line());
    EXPECT_TRUE(response["id"].is_null());
    EXPECT_EQ(response["ok"], false);
    EXPECT_EQ(response["code"], "bad_request");
    EXPECT_THAT(response["error"].get<std::string>(), HasSubstr("not JSON"));

    ASSERT_TRUE(client.send("{\"id\":8,\"command\":\"reboot\"}\n"));
    response = parse_line(client.read_line());
    EXPECT_EQ(response["id"], 8);
    EXPECT_EQ(response["code"], "bad_request");
    EXPECT_THAT(response["error"].get<std::string>(), HasSubstr("unknown command 'reboot'"));

    ASSERT_TRUE(client.send(std::string("\x00\xff\n", 3)));
    EXPECT_EQ(parse_line(client.read_line())["code"], "bad_request");

    ASSERT_TRUE(client.send(request_line(9, "stats")));
    response = parse_line(client.read_line());
    EXPECT_EQ(response["id"], 9);
    EXPECT_EQ(response["ok"], true);
    server.stop();
    EXPECT_EQ(server.server().stats().bad_requests, 3u);
    EXPECT_EQ(server.server().stats().error_responses, 3u);
    EXPECT_EQ(server.server().stats().disconnects, 0u);
    EXPECT_EQ(handler.calls().size(), 1u);  // only the valid request reached the handler
}

TEST_F(CliServerTest, SkipsEmptyLinesAndTakesCrLf) {
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.send("\n\r\n" + std::string("{\"id\":3,\"command\":\"stats\"}\r\n")));
    const nlohmann::json response = parse_line(client.read_line());
    EXPECT_EQ(response["id"], 3);
    EXPECT_EQ(response["ok"], true);
    EXPECT_FALSE(client.read_line(100)) << "an empty line got an answer";
}

TEST_F(CliServerTest, TurnsAHandlerExceptionIntoAnInternalError) {
    handler.throw_on_stats = true;
    handler.non_object_on_peers = true;
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.send(request_line(1, "stats") + request_line(2, "peers") + request_line(3, "sessions")));
    EXPECT_EQ(parse_line(client.read_line()),
              nlohmann::json::parse(R"({"id":1,"ok":false,"code":"internal","error":"stats: store is gone"})"));
    EXPECT_EQ(parse_line(client.read_line()),
              nlohmann::json::parse(
                  R"({"id":2,"ok":false,"code":"internal","error":"peers: handler returned no result object"})"));
    EXPECT_EQ(parse_line(client.read_line())["ok"], true);
    server.stop();
    EXPECT_EQ(server.server().stats().handler_failures, 2u);
}

// The part of the reveal test that runs as another user: system calls only (it is a forked
// child of a threaded process). Writes the response line to out_fd; exits 0 if it got one.
[[noreturn]] void reveal_as_nobody(const std::string& path, int out_fd) {
    if (getuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(kNogroup) != 0 || setuid(kNobody) != 0)) _exit(10);
    RawClient client(path);
    if (!client.connected()) _exit(11);
    if (!client.send(request_line(77, "keys", kSession1, true))) _exit(12);
    const auto line = client.read_line();
    if (!line) _exit(13);
    if (write(out_fd, line->data(), line->size()) != static_cast<ssize_t>(line->size())) _exit(14);
    _exit(0);
}

TEST_F(CliServerTest, RefusesRevealToACallerThatIsNotRoot) {
    // As root the client becomes nobody, who reaches the 0660 socket through its group.
    CliServerOptions options;
    if (getuid() == 0) options.group = "nogroup";
    ServerThread server(path, handler, options);
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) reveal_as_nobody(path, pipe_fds[1]);
    close(pipe_fds[1]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    std::string line(4096, '\0');
    const ssize_t n = read(pipe_fds[0], line.data(), line.size());
    close(pipe_fds[0]);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    line.resize(static_cast<size_t>(std::max<ssize_t>(n, 0)));

    EXPECT_EQ(parse_line(line),
              nlohmann::json::parse(R"({"id":77,"ok":false,"code":"forbidden","error":"--reveal needs root"})"));
    EXPECT_TRUE(handler.calls().empty()) << "the handler saw a refused reveal";
    const uid_t client_uid = getuid() == 0 ? kNobody : getuid();
    EXPECT_THAT(server.log(), Contains("refused to reveal keys of session " + kSession1 + " to uid " +
                                       std::to_string(client_uid) + " pid " + std::to_string(child)));
    server.stop();
    EXPECT_EQ(server.server().stats().forbidden, 1u);
    EXPECT_EQ(server.server().stats().reveals, 0u);
}

TEST_F(CliServerTest, RevealsKeysToRootAndLogsIt) {
    if (getuid() != 0) GTEST_SKIP() << "needs root";
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.send(request_line(4, "keys", kSession1, true)));
    const nlohmann::json response = parse_line(client.read_line());
    EXPECT_EQ(response["ok"], true);
    EXPECT_EQ(response["result"], sample_revealed_keys());
    EXPECT_THAT(server.log(), Contains("keys of session " + kSession1 + " revealed to uid 0 pid " + std::to_string(getpid())));
    const auto calls = handler.calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_TRUE(calls[0].request.reveal);
    server.stop();
    EXPECT_EQ(server.server().stats().reveals, 1u);
}

TEST_F(CliServerTest, RemovesKeysAHandlerReturnedWithoutReveal) {
    handler.leak_keys = true;
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.send(request_line(4, "keys", kSession1)));
    const std::optional<std::string> line = client.read_line();
    ASSERT_TRUE(line);
    EXPECT_THAT(*line, Not(HasSubstr("master")));
    EXPECT_THAT(*line, Not(HasSubstr(kFromUeKey)));
    EXPECT_EQ(parse_line(line)["result"], sample_keys());
    EXPECT_THAT(server.log(), Contains("keys result of session " + kSession1 + " held keys without reveal; removed"));
}

TEST_F(CliServerTest, AcceptsALineOfExactly64KiB) {
    ServerThread server(path, handler);
    RawClient client(path);
    std::string line = request_line(6, "stats");
    line.insert(1, kMaxRequestLine + 1 - line.size(), ' ');  // + 1: the newline does not count
    ASSERT_EQ(line.size(), kMaxRequestLine + 1);
    ASSERT_TRUE(client.send(line));
    EXPECT_EQ(parse_line(client.read_line())["ok"], true);
}

TEST_F(CliServerTest, ClosesTheConnectionAfterALineOver64KiB) {
    ServerThread server(path, handler);
    RawClient other(path);
    for (const bool with_newline : {false, true}) {
        RawClient client(path);
        std::string line = std::string(kMaxRequestLine + 1, ' ');
        if (with_newline) line += request_line(1, "stats");
        client.send(line);  // the server may close before taking it all
        const nlohmann::json response = parse_line(client.read_line());
        EXPECT_TRUE(response["id"].is_null());
        EXPECT_EQ(response["code"], "bad_request");
        EXPECT_EQ(response["error"], "request line longer than 65536 bytes");
        EXPECT_TRUE(client.closed_by_server()) << "with newline: " << with_newline;
    }
    // Other clients are served as before.
    ASSERT_TRUE(other.send(request_line(2, "peers")));
    EXPECT_EQ(parse_line(other.read_line())["ok"], true);
    server.stop();
    EXPECT_EQ(server.server().stats().oversize_lines, 2u);
    EXPECT_TRUE(handler.calls().size() == 1u);
}

TEST_F(CliServerTest, AnswersAClientThatShutDownItsSideThenCloses) {
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.send(request_line(1, "peers") + request_line(2, "stats") + "{\"id\":3,\"comm"));
    ASSERT_EQ(shutdown(client.fd(), SHUT_WR), 0);
    EXPECT_EQ(parse_line(client.read_line())["id"], 1);
    EXPECT_EQ(parse_line(client.read_line())["id"], 2);
    EXPECT_TRUE(client.closed_by_server());  // the partial third line is dropped
    server.stop();
    EXPECT_EQ(server.server().client_count(), 0u);
}

TEST_F(CliServerTest, ServesManyClientsAtOnce) {
    constexpr int kClients = 16;
    constexpr int kRequests = 25;
    ServerThread server(path, handler);
    std::atomic<int> good{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            RawClient client(path);
            for (int r = 0; r < kRequests; ++r) {
                const uint64_t id = static_cast<uint64_t>(c * 1000 + r);
                const Command command = kCommands[static_cast<size_t>(r) % kCommandCount].command;
                const CommandInfo& info = command_info(command);
                if (!client.send(request_line(id, info.name, info.takes_session_id ? kSession2 : ""))) return;
                const auto line = client.read_line();
                if (!line) return;
                const auto response = nlohmann::json::parse(*line, nullptr, false);
                if (response.is_object() && response.value("id", uint64_t{0}) == id && response.value("ok", false) &&
                    response["result"] == sample_result(command))
                    ++good;
            }
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(good.load(), kClients * kRequests);
    server.stop();
    EXPECT_EQ(server.server().stats().requests, uint64_t{kClients * kRequests});
    EXPECT_EQ(server.server().stats().clients_accepted, uint64_t{kClients});
}

TEST_F(CliServerTest, RefusesClientsOverTheLimitWithALine) {
    CliServerOptions options;
    options.max_clients = 3;
    ServerThread server(path, handler, options);
    std::vector<std::unique_ptr<RawClient>> held;
    for (uint64_t i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<RawClient>(path));
        ASSERT_TRUE(held.back()->send(request_line(i, "stats")));
        ASSERT_EQ(parse_line(held.back()->read_line())["ok"], true);  // accepted and served
    }
    RawClient extra(path);
    EXPECT_EQ(parse_line(extra.read_line()),
              nlohmann::json::parse(R"j({"id":null,"ok":false,"code":"unavailable","error":"too many clients (limit 3)"})j"));
    EXPECT_TRUE(extra.closed_by_server());
    // When one leaves, a new client gets its place.
    held.pop_back();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    RawClient next(path);
    ASSERT_TRUE(next.send(request_line(9, "peers")));
    EXPECT_EQ(parse_line(next.read_line())["id"], 9);
    server.stop();
    EXPECT_EQ(server.server().stats().clients_refused, 1u);
}

TEST_F(CliServerTest, DisconnectsAClientThatDoesNotReadItsResponses) {
    CliServerOptions options;
    options.max_output_bytes = 64 * 1024;
    handler.big_sessions_bytes = 20 * 1024;
    ServerThread server(path, handler, options);
    RawClient slow(path);
    std::string requests;
    for (uint64_t i = 0; i < 200; ++i) requests += request_line(i, "sessions");
    slow.send(requests);  // 200 responses of 20 KiB: far more than the socket buffer and the bound
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    size_t responses = 0;
    while (slow.read_line(2000)) ++responses;
    EXPECT_LT(responses, 200u);
    EXPECT_TRUE(slow.closed_by_server());
    // Others are served as before.
    RawClient other(path);
    ASSERT_TRUE(other.send(request_line(1, "stats")));
    EXPECT_EQ(parse_line(other.read_line())["ok"], true);
    server.stop();
    EXPECT_EQ(server.server().stats().slow_client_disconnects, 1u);
    EXPECT_THAT(server.log(), Contains(HasSubstr("does not read its responses")));
}

TEST_F(CliServerTest, ForgetsAClientThatLeavesWithResponsesQueued) {
    handler.big_sessions_bytes = 100 * 1024;
    ServerThread server(path, handler);
    {
        RawClient leaving(path);
        std::string requests;
        for (uint64_t i = 0; i < 20; ++i) requests += request_line(i, "sessions");
        ASSERT_TRUE(leaving.send(requests));
        ASSERT_TRUE(leaving.read_line());  // the server is answering; 2 MB cannot all fit the socket
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    RawClient other(path);
    ASSERT_TRUE(other.send(request_line(1, "stats")));
    EXPECT_EQ(parse_line(other.read_line())["ok"], true);
    server.stop();
    EXPECT_EQ(server.server().client_count(), 1u);  // only `other`
    EXPECT_EQ(server.server().stats().disconnects, 1u);
}

TEST_F(CliServerTest, ReplacesAResponseOverTheOutputLimitWithAnError) {
    CliServerOptions options;
    options.max_output_bytes = 16 * 1024;
    handler.big_sessions_bytes = 20 * 1024;
    ServerThread server(path, handler, options);
    RawClient client(path);
    ASSERT_TRUE(client.send(request_line(1, "sessions") + request_line(2, "stats")));
    const nlohmann::json response = parse_line(client.read_line());
    EXPECT_EQ(response["code"], "internal");
    EXPECT_THAT(response["error"].get<std::string>(), HasSubstr("exceeds the limit of 16384"));
    EXPECT_EQ(parse_line(client.read_line())["ok"], true);  // the connection carries on
}

TEST_F(CliServerTest, ReplacesAStaleSocketFile) {
    {
        // A socket file nothing listens on any more: a crashed daemon's.
        const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
        ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        close(fd);
    }
    struct stat before {};
    ASSERT_EQ(lstat(path.c_str(), &before), 0);
    ASSERT_TRUE(S_ISSOCK(before.st_mode));
    ServerThread server(path, handler);
    RawClient client(path);
    ASSERT_TRUE(client.send(request_line(1, "stats")));
    EXPECT_EQ(parse_line(client.read_line())["ok"], true);
}

TEST_F(CliServerTest, RefusesToReplaceALiveSocket) {
    ServerThread first(path, handler);
    controld::EventLoop loop;
    try {
        CliServer second(loop, path, handler);
        ADD_FAILURE() << "a second server took over a live socket";
    } catch (const CliServerError& e) {
        EXPECT_EQ(std::string(e.what()), "CLI socket " + path + " is in use by another server");
    }
    RawClient client(path);
    ASSERT_TRUE(client.send(request_line(1, "stats")));
    EXPECT_EQ(parse_line(client.read_line())["ok"], true);
}

TEST_F(CliServerTest, RefusesToReplaceAFileThatIsNotASocket) {
    std::ofstream(path) << "precious";
    controld::EventLoop loop;
    EXPECT_THROW(
        {
            try {
                CliServer server(loop, path, handler);
            } catch (const CliServerError& e) {
                EXPECT_EQ(std::string(e.what()), "CLI socket path " + path + " exists and is not a socket");
                throw;
            }
        },
        CliServerError);
    std::string content;
    std::ifstream(path) >> content;
    EXPECT_EQ(content, "precious");
}

TEST_F(CliServerTest, RefusesAPathThatDoesNotFitASocketAddress) {
    controld::EventLoop loop;
    EXPECT_THROW(CliServer(loop, dir.file(std::string(120, 'x')), handler), CliServerError);
    EXPECT_THROW(CliServer(loop, "", handler), CliServerError);
}

TEST_F(CliServerTest, CreatesTheSocketWithMode0660WhateverTheUmask) {
    const mode_t old_umask = umask(0);
    {
        controld::EventLoop loop;
        CliServer server(loop, path, handler);
        struct stat st {};
        ASSERT_EQ(lstat(path.c_str(), &st), 0);
        EXPECT_TRUE(S_ISSOCK(st.st_mode));
        EXPECT_EQ(st.st_mode & 07777, 0660u);
    }
    umask(old_umask);
    // And removes it when it goes.
    struct stat st {};
    EXPECT_NE(lstat(path.c_str(), &st), 0);
}

TEST_F(CliServerTest, GivesTheSocketToTheConfiguredGroup) {
    if (getuid() != 0) GTEST_SKIP() << "chown to another group needs root";
    CliServerOptions options;
    options.group = "nogroup";
    {
        ServerThread server(path, handler, options);
        struct stat st {};
        ASSERT_EQ(lstat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_gid, kNogroup);
    }
    options.group = "no-such-group-msf";
    ServerThread server(path, handler, options);
    struct stat st {};
    ASSERT_EQ(lstat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_gid, getgid());
    EXPECT_THAT(server.log(), Contains("group 'no-such-group-msf' does not exist; " + path + " keeps group " +
                                       std::to_string(getgid())));
}

}  // namespace
}  // namespace msf::cli::test
