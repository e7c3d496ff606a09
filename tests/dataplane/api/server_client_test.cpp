// ControlServer and ControlClient over a real Unix socket in a temporary directory. The server
// runs poll_once() on its own thread, behind a mutex the test takes to look at it; the handler is
// a std::map (the dataplane's handler is tested with the dataplane).
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "dataplane/api/client.hpp"
#include "dataplane/api/server.hpp"
#include "tests/dataplane/api/sample_messages.hpp"

namespace msf::api {

// Readable gtest output for expectations on results.
void PrintTo(const Result& r, std::ostream* os) { *os << to_string(r); }

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::sample_spec;
using Bytes = std::vector<uint8_t>;

class MapHandler : public RequestHandler {
public:
    std::map<uint64_t, SessionSpec> sessions;
    size_t capacity = 1'000'000;
    std::vector<WorkerStats> workers;
    std::vector<PortStatus> ports;
    bool throw_on_counters = false;

    Result add_session(const SessionSpec& spec) override {
        if (sessions.count(spec.id))
            return Result::failure(ResultCode::already_exists, "session " + std::to_string(spec.id) + " exists");
        if (sessions.size() >= capacity) return Result::failure(ResultCode::no_space, "table full");
        sessions[spec.id] = spec;
        return Result::success();
    }
    Result modify_session(const SessionSpec& spec) override {
        auto it = sessions.find(spec.id);
        if (it == sessions.end()) return Result::failure(ResultCode::not_found, "no session");
        it->second = spec;
        return Result::success();
    }
    Result remove_session(uint64_t id) override {
        if (sessions.erase(id) == 0)
            return Result::failure(ResultCode::not_found, "no session " + std::to_string(id));
        return Result::success();
    }
    // Returns the keys on purpose: the protocol must not carry them.
    std::optional<SessionInfo> get_session(uint64_t id) override {
        auto it = sessions.find(id);
        if (it == sessions.end()) return std::nullopt;
        return info_of(it->second);
    }
    std::vector<SessionInfo> list_sessions(uint64_t after_id, size_t max_count) override {
        std::vector<SessionInfo> out;
        for (auto it = sessions.upper_bound(after_id); it != sessions.end() && out.size() < max_count; ++it)
            out.push_back(info_of(it->second));
        return out;
    }
    std::vector<WorkerStats> worker_stats() override {
        if (throw_on_counters) throw std::runtime_error("worker stats unavailable");
        return workers;
    }
    std::vector<PortStatus> port_status() override { return ports; }
    uint64_t session_count() override { return sessions.size(); }

    static SessionInfo info_of(const SessionSpec& spec) {
        SessionInfo info;
        info.spec = spec;
        info.latched_ue = testing::endpoint("203.0.113.9:4000");
        info.access = testing::sample_counters(spec.id * 100);
        info.age_ms = 5;
        return info;
    }
};

SessionSpec spec_with_id(uint64_t id) {
    SessionSpec s = sample_spec(id);
    s.access.local.port = static_cast<uint16_t>(10000 + 2 * (id % 20000));
    return s;
}

SessionInfo without_keys(SessionInfo info) {
    for (KeySpec* k : {&info.spec.from_ue, &info.spec.to_ue}) {
        k->master_key.clear();
        k->master_salt.clear();
    }
    return info;
}

// A client that speaks raw bytes, for what ControlClient would never send.
class RawSocket {
public:
    explicit RawSocket(const std::string& path, int rcvbuf = 0) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
    ~RawSocket() { ::close(fd_); }

    bool connected() const { return connected_; }

    bool send(const Bytes& bytes) {
        size_t sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<size_t>(n);
        }
        return true;
    }
    bool send(const Message& m) { return send(encode(m)); }

    // The next message, or nullopt on end of stream or timeout.
    std::optional<Message> read(int timeout_ms = 3000) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            const FrameCheck c = check_frame(in_);
            if (c.state == FrameCheck::State::invalid) return std::nullopt;
            if (c.state == FrameCheck::State::complete) {
                auto d = decode(std::span<const uint8_t>(in_).first(c.length));
                in_.erase(in_.begin(), in_.begin() + static_cast<ptrdiff_t>(c.length));
                if (!d) {
                    ADD_FAILURE() << "server sent an undecodable message: " << d.error().message;
                    return std::nullopt;
                }
                return *d;
            }
            if (!fill(deadline)) return std::nullopt;
        }
    }

    // Reads and discards until the server closes the connection.
    bool closed_by_peer(int timeout_ms = 5000) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (fill(deadline)) in_.clear();
        return eof_;
    }

private:
    bool fill(std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        uint8_t buf[65536];
        const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        in_.insert(in_.end(), buf, buf + n);
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    Bytes in_;
};

Bytes frame_of(uint16_t type, uint32_t request_id, const Bytes& body, uint16_t flags = 0) {
    Bytes f;
    const auto total = static_cast<uint32_t>(kHeaderSize + body.size());
    for (int i = 3; i >= 0; --i) f.push_back(static_cast<uint8_t>(total >> (8 * i)));
    f.push_back(static_cast<uint8_t>(type >> 8));
    f.push_back(static_cast<uint8_t>(type));
    f.push_back(static_cast<uint8_t>(flags >> 8));
    f.push_back(static_cast<uint8_t>(flags));
    for (int i = 3; i >= 0; --i) f.push_back(static_cast<uint8_t>(request_id >> (8 * i)));
    f.insert(f.end(), body.begin(), body.end());
    return f;
}

Bytes body_of(const MessageBody& body) {
    Bytes out;
    encode_body(body, out);
    return out;
}

// The error a reply carries, with a check that it answers `request_id`.
Result error_of(const std::optional<Message>& m, uint32_t request_id) {
    if (!m) return Result::failure(ResultCode::unavailable, "no reply");
    EXPECT_EQ(m->request_id, request_id);
    if (const auto* e = std::get_if<ErrorReply>(&m->body)) return e->error;
    return Result::failure(ResultCode::ok, "not an error: " + std::string(message_type_name(type_of(m->body))));
}

class ControlSocketTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/msf-api-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/control.sock";
    }

    void TearDown() override {
        stop();
        server_.reset();
        std::filesystem::remove_all(dir_);
    }

    ControlServerOptions options() {
        ControlServerOptions o;
        o.log = [this](std::string_view line) {
            std::lock_guard<std::mutex> g(log_mutex_);
            log_.emplace_back(line);
        };
        return o;
    }

    void start(ControlServerOptions o) {
        server_ = std::make_unique<ControlServer>(path_, handler_, std::move(o));
        std::string error;
        ASSERT_TRUE(server_->open(&error)) << error;
        thread_ = std::thread([this] {
            while (!stopping_) {
                if (waiting_ > 0) {
                    std::this_thread::sleep_for(1ms);
                    continue;
                }
                std::lock_guard<std::mutex> g(server_mutex_);
                server_->poll_once(5);
            }
        });
    }
    void start() { start(options()); }

    void stop() {
        stopping_ = true;
        if (thread_.joinable()) thread_.join();
    }

    // Runs f while the server thread is held off: the server is single-threaded.
    template <class F>
    auto on_server(F f) {
        ++waiting_;
        std::lock_guard<std::mutex> g(server_mutex_);
        struct Release {
            std::atomic<int>& w;
            ~Release() { --w; }
        } release{waiting_};
        return f();
    }

    ControlServerStats stats() {
        return on_server([this] { return server_->stats(); });
    }

    // Waits up to 5 s for a condition the server thread brings about.
    template <class F>
    bool eventually(F condition) {
        for (int i = 0; i < 500; ++i) {
            if (on_server(condition)) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }

    bool logged(std::string_view text) {
        std::lock_guard<std::mutex> g(log_mutex_);
        for (const auto& line : log_)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }

    void connect_and_hello(ControlClient& c, std::string_view name = "test") {
        ASSERT_TRUE(c.connect(path_).ok());
        const Result r = c.hello(name);
        ASSERT_TRUE(r.ok()) << to_string(r);
    }

    std::string dir_;
    std::string path_;
    MapHandler handler_;
    std::unique_ptr<ControlServer> server_;
    std::thread thread_;
    std::mutex server_mutex_;
    std::atomic<int> waiting_{0};
    std::atomic<bool> stopping_{false};
    std::mutex log_mutex_;
    std::vector<std::string> log_;
};

TEST_F(ControlSocketTest, SocketIsCreatedWithMode0660) {
    start();
    struct stat st {};
    ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(ControlSocketTest, OpenReplacesAStaleSocketAndRemovesItsOwnOnDestruction) {
    {  // A socket file nobody listens on, as a crashed dataplane leaves it.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        ::close(fd);
    }
    ControlServer server(path_, handler_, options());
    std::string error;
    ASSERT_TRUE(server.open(&error)) << error;
    ControlClient c;
    EXPECT_TRUE(c.connect(path_).ok());
    std::string again;
    EXPECT_FALSE(server.open(&again));
    EXPECT_THAT(again, HasSubstr("already open"));
    {
        ControlServer second(path_, handler_, options());
        std::string in_use;
        EXPECT_FALSE(second.open(&in_use));
        EXPECT_EQ(in_use, "control socket " + path_ + " is in use by another server");
    }
    EXPECT_TRUE(std::filesystem::exists(path_));  // the refused server left it alone
}

TEST_F(ControlSocketTest, DestructorRemovesTheSocket) {
    {
        ControlServer server(path_, handler_, options());
        std::string error;
        ASSERT_TRUE(server.open(&error)) << error;
        EXPECT_TRUE(std::filesystem::exists(path_));
    }
    EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(ControlSocketTest, OpenRefusesARegularFileAndAnOverlongPath) {
    std::ofstream(path_) << "not a socket";
    ControlServer server(path_, handler_, options());
    std::string error;
    EXPECT_FALSE(server.open(&error));
    EXPECT_EQ(error, "control socket path " + path_ + " exists and is not a socket");
    EXPECT_TRUE(std::filesystem::exists(path_));

    ControlServer overlong(dir_ + "/" + std::string(200, 'x'), handler_, options());
    EXPECT_FALSE(overlong.open(&error));
    EXPECT_THAT(error, HasSubstr("at most 107 fit"));
}

TEST_F(ControlSocketTest, AddGetListInPagesAndRemove) {
    start();
    ControlClient c;
    connect_and_hello(c);
    EXPECT_EQ(c.server().server_name, "msf-dataplane");
    EXPECT_EQ(c.server().max_message_size, kMaxMessageSize);

    // 2048 sessions: exactly two full pages, ids spaced so after_id is not an index.
    for (uint64_t i = 1; i <= 2048; ++i) {
        const Result r = c.add_session(spec_with_id(i * 3));
        ASSERT_TRUE(r.ok()) << i << ": " << to_string(r);
    }

    auto got = c.get_session(300);
    ASSERT_TRUE(got.ok()) << to_string(got.status);
    EXPECT_EQ(got.value, without_keys(MapHandler::info_of(spec_with_id(300))));
    EXPECT_TRUE(got.value.spec.to_ue.master_key.empty());

    auto page = c.list_sessions(0, 100);
    ASSERT_TRUE(page.ok()) << to_string(page.status);
    ASSERT_EQ(page.value.sessions.size(), 100u);
    EXPECT_EQ(page.value.sessions.front().spec.id, 3u);
    EXPECT_EQ(page.value.sessions.back().spec.id, 300u);
    EXPECT_EQ(page.value.next_after_id, 300u);
    page = c.list_sessions(300, 2);
    ASSERT_EQ(page.value.sessions.size(), 2u);
    EXPECT_EQ(page.value.sessions[0].spec.id, 303u);

    page = c.list_sessions(0, 50000);  // clamped to one page of 1024
    ASSERT_EQ(page.value.sessions.size(), kMaxListPage);
    EXPECT_EQ(page.value.next_after_id, 1024u * 3);
    page = c.list_sessions(page.value.next_after_id, kMaxListPage);
    ASSERT_EQ(page.value.sessions.size(), kMaxListPage);
    EXPECT_EQ(page.value.next_after_id, 0u) << "the second page is the last: no empty third page";

    auto all = c.list_all();
    ASSERT_TRUE(all.ok()) << to_string(all.status);
    ASSERT_EQ(all.value.size(), 2048u);
    for (size_t i = 0; i < all.value.size(); ++i) ASSERT_EQ(all.value[i].spec.id, (i + 1) * 3);

    EXPECT_TRUE(c.remove_session(300).ok());
    got = c.get_session(300);
    EXPECT_EQ(got.status, Result::failure(ResultCode::not_found, "no session 300"));
    EXPECT_EQ(c.remove_session(300).code, ResultCode::not_found);
    all = c.list_all();
    EXPECT_EQ(all.value.size(), 2047u);
}

TEST_F(ControlSocketTest, HandlerAndValidationFailuresComeBackAsResults) {
    handler_.capacity = 2;
    start();
    ControlClient c;
    connect_and_hello(c);
    ASSERT_TRUE(c.add_session(spec_with_id(1)).ok());
    EXPECT_EQ(c.add_session(spec_with_id(1)),
              Result::failure(ResultCode::already_exists, "session 1 exists"));
    SessionSpec bad = spec_with_id(2);
    bad.replay_window = 100;
    EXPECT_EQ(c.add_session(bad), Result::failure(ResultCode::invalid_argument,
                                                  "replay_window: 100 is not a power of two in 64..1024"));
    bad = spec_with_id(1);
    bad.from_ue.master_key.resize(15);
    EXPECT_EQ(c.modify_session(bad).code, ResultCode::invalid_argument);
    EXPECT_EQ(c.modify_session(spec_with_id(9)).code, ResultCode::not_found);
    ASSERT_TRUE(c.add_session(spec_with_id(2)).ok());
    EXPECT_EQ(c.add_session(spec_with_id(3)).code, ResultCode::no_space);
    EXPECT_EQ(c.list_sessions(0, 0).status,
              Result::failure(ResultCode::invalid_argument, "session_list: max_count 0"));
    SessionSpec changed = spec_with_id(1);
    changed.inactivity_timeout_ms = 777;
    EXPECT_TRUE(c.modify_session(changed).ok());
    EXPECT_EQ(c.get_session(1).value.spec.inactivity_timeout_ms, 777u);
}

TEST_F(ControlSocketTest, MalformedMessagesGetAnErrorNamingTheProblemAndTheConnectionStaysUsable) {
    start();
    RawSocket s(path_);
    ASSERT_TRUE(s.connected());
    ASSERT_TRUE(s.send(Message{1, HelloRequest{1, "raw"}}));
    ASSERT_TRUE(s.read().has_value());

    ASSERT_TRUE(s.send(frame_of(999, 21, {1, 2, 3})));
    EXPECT_EQ(error_of(s.read(), 21), Result::failure(ResultCode::unknown_type, "unknown message type 999"));

    SessionSpec spec = spec_with_id(5);
    spec.from_ue.master_key.assign(300, 0x55);
    ASSERT_TRUE(s.send(Message{22, SessionAddRequest{spec}}));
    EXPECT_EQ(error_of(s.read(), 22),
              Result::failure(ResultCode::bad_message, "session_add: from_ue.master_key: length 300 exceeds 32"));

    ASSERT_TRUE(s.send(frame_of(static_cast<uint16_t>(MessageType::session_remove), 23, {0, 0, 0, 1})));
    EXPECT_EQ(error_of(s.read(), 23),
              Result::failure(ResultCode::bad_message,
                              "session_remove: session_id: truncated (needs 8 bytes, 4 left)"));

    Bytes trailing = body_of(SessionGetRequest{5});
    trailing.push_back(0);
    ASSERT_TRUE(s.send(frame_of(static_cast<uint16_t>(MessageType::session_get), 24, trailing)));
    EXPECT_EQ(error_of(s.read(), 24).message, "session_get: 1 trailing bytes after the body");

    ASSERT_TRUE(s.send(frame_of(static_cast<uint16_t>(MessageType::counters), 25, {}, 0x8000)));
    EXPECT_EQ(error_of(s.read(), 25).message, "header: flags 0x8000 not defined in version 1");

    ASSERT_TRUE(s.send(Message{26, HelloReply{}}));
    EXPECT_EQ(error_of(s.read(), 26), Result::failure(ResultCode::bad_message, "hello_reply: not a request"));

    // Still in step: a good request right after gets its normal answer.
    ASSERT_TRUE(s.send(Message{27, SessionAddRequest{spec_with_id(5)}}));
    auto reply = s.read();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->request_id, 27u);
    ASSERT_TRUE(std::holds_alternative<ResultReply>(reply->body));
    EXPECT_TRUE(std::get<ResultReply>(reply->body).result.ok());

    const auto st = stats();
    EXPECT_EQ(st.decode_errors, 5u);
    EXPECT_EQ(st.error_replies, 6u);
    EXPECT_EQ(st.received_unknown_type, 1u);
    EXPECT_EQ(st.received[*message_type_index(static_cast<uint16_t>(MessageType::session_add))], 2u);
    EXPECT_EQ(st.disconnects, 0u);
    EXPECT_EQ(on_server([this] { return handler_.sessions.count(5); }), 1u);
}

TEST_F(ControlSocketTest, HelloMustComeFirstAndAnotherVersionIsRefused) {
    start();
    RawSocket s(path_);
    ASSERT_TRUE(s.send(Message{1, CountersRequest{}}));
    EXPECT_EQ(error_of(s.read(), 1),
              Result::failure(ResultCode::bad_message, "counters: hello must come first"));
    ASSERT_TRUE(s.send(Message{2, HelloRequest{2, "future"}}));
    EXPECT_EQ(error_of(s.read(), 2), Result::failure(ResultCode::unsupported_version,
                                                     "hello: version 2 not supported (this side speaks 1)"));
    ASSERT_TRUE(s.send(Message{3, SessionGetRequest{1}}));
    EXPECT_EQ(error_of(s.read(), 3).message, "session_get: hello must come first");
    ASSERT_TRUE(s.send(Message{4, HelloRequest{1, "now"}}));
    auto hello = s.read();
    ASSERT_TRUE(hello && std::holds_alternative<HelloReply>(hello->body));
    EXPECT_EQ(std::get<HelloReply>(hello->body).version, kProtocolVersion);
    ASSERT_TRUE(s.send(Message{5, CountersRequest{}}));
    auto counters = s.read();
    ASSERT_TRUE(counters && std::holds_alternative<CountersReply>(counters->body));
}

TEST_F(ControlSocketTest, FramingErrorClosesOnlyThatConnection) {
    start();
    ControlClient good;
    connect_and_hello(good);
    for (const uint32_t bad_length : {5u, static_cast<uint32_t>(kMaxMessageSize + 1)}) {
        RawSocket s(path_);
        ASSERT_TRUE(s.send(Message{1, HelloRequest{1, "raw"}}));
        ASSERT_TRUE(s.read().has_value());
        Bytes frame = frame_of(static_cast<uint16_t>(MessageType::counters), 9, {});
        frame[0] = static_cast<uint8_t>(bad_length >> 24);
        frame[1] = static_cast<uint8_t>(bad_length >> 16);
        frame[2] = static_cast<uint8_t>(bad_length >> 8);
        frame[3] = static_cast<uint8_t>(bad_length);
        ASSERT_TRUE(s.send(frame));
        const Result last = error_of(s.read(), 0);
        EXPECT_EQ(last.code, ResultCode::bad_message);
        EXPECT_EQ(last.message, "frame length " + std::to_string(bad_length) + " outside 12..1048576");
        EXPECT_TRUE(s.closed_by_peer());
    }
    EXPECT_TRUE(good.add_session(spec_with_id(1)).ok());
    EXPECT_EQ(stats().framing_errors, 2u);
    EXPECT_TRUE(logged("framing error"));
}

TEST_F(ControlSocketTest, TwoClientsAtOnce) {
    start();
    ControlClient a, b;
    connect_and_hello(a, "a");
    connect_and_hello(b, "b");
    EXPECT_EQ(on_server([this] { return server_->client_count(); }), 2u);
    for (uint64_t i = 1; i <= 50; ++i) {
        ASSERT_TRUE(a.add_session(spec_with_id(2 * i)).ok());
        ASSERT_TRUE(b.add_session(spec_with_id(2 * i + 1)).ok());
    }
    EXPECT_EQ(a.list_all().value.size(), 100u);
    EXPECT_TRUE(b.remove_session(2).ok());
    EXPECT_EQ(a.get_session(2).status.code, ResultCode::not_found);
    EXPECT_EQ(b.counters().value.session_count, 99u);
}

TEST_F(ControlSocketTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    RawSocket s(path_);
    Bytes burst = encode(Message{1, HelloRequest{1, "pipeline"}});
    for (uint32_t id = 2; id <= 200; ++id) encode(Message{id, SessionAddRequest{spec_with_id(id)}}, burst);
    ASSERT_TRUE(s.send(burst));
    for (uint32_t id = 1; id <= 200; ++id) {
        auto m = s.read();
        ASSERT_TRUE(m.has_value()) << id;
        EXPECT_EQ(m->request_id, id);
        if (id > 1) {
            EXPECT_TRUE(ControlClient::reply_status(m->body).ok());
        }
    }
    EXPECT_EQ(on_server([this] { return handler_.sessions.size(); }), 199u);
}

TEST_F(ControlSocketTest, PipelinedBatchGetsOneResultPerRequestInOrderWithFailuresInTheMiddle) {
    start();
    ControlClient c;
    connect_and_hello(c);
    // Ids that exist already fail in the middle; more than kMaxPipelined goes in several windows.
    ASSERT_TRUE(c.add_session(spec_with_id(5)).ok());
    ASSERT_TRUE(c.add_session(spec_with_id(1500)).ok());
    constexpr uint64_t kCount = 2 * ControlClient::kMaxPipelined + 7;
    std::vector<SessionSpec> specs;
    std::vector<uint64_t> ids;
    for (uint64_t id = 1; id <= kCount; ++id) {
        specs.push_back(spec_with_id(id));
        ids.push_back(id);
    }
    const std::vector<Result> added = c.add_sessions(specs);
    ASSERT_EQ(added.size(), kCount);
    for (uint64_t id = 1; id <= kCount; ++id) {
        if (id == 5 || id == 1500)
            EXPECT_EQ(added[id - 1].code, ResultCode::already_exists) << id;
        else
            EXPECT_TRUE(added[id - 1].ok()) << id << ": " << to_string(added[id - 1]);
    }
    EXPECT_EQ(on_server([this] { return handler_.sessions.size(); }), kCount);

    // Gets answer with each stream's own info, an unknown id with not_found, in order.
    std::vector<uint64_t> lookups = {3, kCount + 1, 1500, 1};
    const auto infos = c.get_sessions(lookups);
    ASSERT_EQ(infos.size(), 4u);
    EXPECT_EQ(infos[0].value.spec.id, 3u);
    EXPECT_EQ(infos[1].status.code, ResultCode::not_found);
    EXPECT_EQ(infos[2].value.spec.id, 1500u);
    EXPECT_EQ(infos[2].value.access, testing::sample_counters(1500 * 100));
    EXPECT_EQ(infos[3].value.spec.id, 1u);
    EXPECT_TRUE(infos[3].value.spec.from_ue.master_key.empty());

    ids.push_back(kCount + 1);  // unknown: not_found at the end
    const std::vector<Result> removed = c.remove_sessions(ids);
    ASSERT_EQ(removed.size(), kCount + 1);
    for (size_t i = 0; i < kCount; ++i) EXPECT_TRUE(removed[i].ok()) << i;
    EXPECT_EQ(removed[kCount].code, ResultCode::not_found);
    EXPECT_TRUE(on_server([this] { return handler_.sessions.empty(); }));
    EXPECT_EQ(stats().slow_client_disconnects, 0u);
    // The connection is still in step for single requests.
    EXPECT_TRUE(c.add_session(spec_with_id(9)).ok());
}

TEST_F(ControlSocketTest, PipelinedBatchQueuesEventsAndRefusesAnOversizedRequestAlone) {
    start();
    ControlClient c;
    connect_and_hello(c);
    ASSERT_TRUE(c.subscribe_events().ok());
    const Event event{EventType::inactivity, 7, Side::access, 30000};
    on_server([&] {
        server_->publish(event);
        return 0;
    });
    SessionSpec huge = spec_with_id(2);
    huge.from_ue.master_key.assign(kMaxMessageSize, 1);
    std::vector<MessageBody> bodies = {SessionAddRequest{spec_with_id(1)}, SessionAddRequest{huge},
                                       SessionAddRequest{spec_with_id(3)}};
    const auto replies = c.request_many(std::move(bodies));
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_TRUE(replies[0].ok() && ControlClient::reply_status(replies[0].value).ok());
    EXPECT_EQ(replies[1].status.code, ResultCode::invalid_argument);
    EXPECT_TRUE(replies[2].ok() && ControlClient::reply_status(replies[2].value).ok());
    auto e = c.next_event(0);
    ASSERT_TRUE(e.ok() && e.value.has_value());
    EXPECT_EQ(*e.value, event);
}

TEST_F(ControlSocketTest, ConnectionLostMidBatchLeavesTheUnansweredRequestsUnavailable) {
    // A server that answers the first three requests of a batch and then closes.
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    std::thread server([listener] {
        const int fd = ::accept(listener, nullptr, nullptr);
        Bytes in;
        size_t answered = 0;
        while (answered < 3) {
            uint8_t buf[4096];
            const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
            if (n <= 0) break;
            in.insert(in.end(), buf, buf + n);
            for (;;) {
                const FrameCheck check = check_frame(in);
                if (check.state != FrameCheck::State::complete || answered == 3) break;
                auto request = decode(std::span<const uint8_t>(in).first(check.length));
                in.erase(in.begin(), in.begin() + static_cast<ptrdiff_t>(check.length));
                const Result result = answered == 1 ? Result::failure(ResultCode::no_space, "table full")
                                                    : Result::success();
                const Bytes reply = encode(Message{request ? request->request_id : 0, ResultReply{result}});
                ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
                ++answered;
            }
        }
        ::close(fd);
    });
    ControlClient c(3000);
    ASSERT_TRUE(c.connect(path_).ok());
    std::vector<SessionSpec> specs;
    for (uint64_t id = 1; id <= 10; ++id) specs.push_back(spec_with_id(id));
    const std::vector<Result> results = c.add_sessions(specs);
    server.join();
    ::close(listener);
    ASSERT_EQ(results.size(), 10u);
    EXPECT_TRUE(results[0].ok());
    EXPECT_EQ(results[1].code, ResultCode::no_space);
    EXPECT_TRUE(results[2].ok());
    for (size_t i = 3; i < 10; ++i) {
        EXPECT_EQ(results[i].code, ResultCode::unavailable) << i;
        EXPECT_THAT(results[i].message, HasSubstr("connection closed by the server")) << i;
    }
    EXPECT_FALSE(c.connected());
    // Nothing more is sent on a lost link.
    const std::vector<Result> after = c.add_sessions(std::vector<SessionSpec>{spec_with_id(11)});
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0].code, ResultCode::unavailable);
}

TEST_F(ControlSocketTest, ClientThatNeverReadsIsDisconnectedAtTheBound) {
    for (uint64_t i = 1; i <= kMaxListPage; ++i) handler_.add_session(spec_with_id(i));
    ControlServerOptions o = options();
    o.max_output_bytes = 2u << 20;
    start(std::move(o));
    ControlClient other;
    connect_and_hello(other, "other");

    RawSocket s(path_, 4096);
    Bytes burst = encode(Message{1, HelloRequest{1, "never reads"}});
    // Each reply is a full page (about 280 kB); 40 of them pass any socket buffer and the bound.
    for (uint32_t id = 2; id <= 40; ++id) encode(Message{id, SessionListRequest{0, kMaxListPage}}, burst);
    ASSERT_TRUE(s.send(burst));
    EXPECT_TRUE(eventually([this] { return server_->stats().slow_client_disconnects == 1; }));
    EXPECT_TRUE(logged("does not read"));
    EXPECT_TRUE(s.closed_by_peer());
    EXPECT_EQ(on_server([this] { return server_->client_count(); }), 1u);
    EXPECT_TRUE(other.list_sessions(0, 10).ok()) << "the other client is not affected";
}

TEST_F(ControlSocketTest, SubscriberThatNeverReadsIsDisconnectedAtTheBound) {
    ControlServerOptions o = options();
    o.max_output_bytes = 1u << 20;
    start(std::move(o));
    RawSocket s(path_, 4096);
    ASSERT_TRUE(s.send(Message{1, HelloRequest{1, "lazy subscriber"}}));
    ASSERT_TRUE(s.read().has_value());
    ASSERT_TRUE(s.send(Message{2, SubscribeEventsRequest{}}));
    ASSERT_TRUE(s.read().has_value());
    // 30-byte event messages: 100k of them are 3 MB, past the bound and any socket buffer.
    on_server([this] {
        for (uint64_t i = 0; i < 100000 && server_->client_count() > 0; ++i)
            server_->publish(Event{EventType::inactivity, i, Side::access, 1000});
        return 0;
    });
    const auto st = stats();
    EXPECT_EQ(st.slow_client_disconnects, 1u);
    EXPECT_LT(st.events_published, 100000u) << "publishing stopped once the client was gone";
    EXPECT_TRUE(s.closed_by_peer());
}

TEST_F(ControlSocketTest, EventsReachSubscribersOnly) {
    start();
    ControlClient subscriber, bystander;
    connect_and_hello(subscriber, "subscriber");
    connect_and_hello(bystander, "bystander");
    ASSERT_TRUE(subscriber.subscribe_events().ok());
    const Event first{EventType::inactivity, 7, Side::access, 30000};
    const Event second{EventType::auth_failure_storm, 8, Side::core, 512};
    on_server([&] {
        server_->publish(first);
        server_->publish(second);
        return 0;
    });
    // An event that arrives while the client waits for a reply is kept for next_event().
    ASSERT_TRUE(subscriber.counters().ok());
    auto e = subscriber.next_event(2000);
    ASSERT_TRUE(e.ok()) << to_string(e.status);
    ASSERT_TRUE(e.value.has_value());
    EXPECT_EQ(*e.value, first);
    e = subscriber.next_event(2000);
    ASSERT_TRUE(e.ok() && e.value.has_value());
    EXPECT_EQ(*e.value, second);
    e = subscriber.next_event(50);
    EXPECT_TRUE(e.ok());
    EXPECT_FALSE(e.value.has_value());
    auto none = bystander.next_event(100);
    EXPECT_TRUE(none.ok());
    EXPECT_FALSE(none.value.has_value());
    EXPECT_EQ(stats().events_queued, 2u);
}

TEST_F(ControlSocketTest, CountersAndPortStatus) {
    handler_.workers = {testing::sample_worker(1), testing::sample_worker(3)};
    handler_.ports = {testing::sample_port(0), testing::sample_port(1)};
    handler_.ports[1].name = std::string(300, 'n');
    handler_.ports[1].driver = "net\x1b[0m";
    handler_.add_session(spec_with_id(1));
    start();
    ControlClient c;
    connect_and_hello(c);
    auto counters = c.counters();
    ASSERT_TRUE(counters.ok()) << to_string(counters.status);
    EXPECT_EQ(counters.value.workers, handler_.workers);
    EXPECT_EQ(counters.value.session_count, 1u);
    EXPECT_EQ(counters.value.totals, sum_counters(handler_.workers, handler_.ports));
    ASSERT_EQ(counters.value.ports.size(), 2u);
    EXPECT_EQ(counters.value.ports[0], handler_.ports[0]);
    EXPECT_EQ(counters.value.ports[1].name, std::string(kMaxNameLen, 'n'));
    EXPECT_EQ(counters.value.ports[1].driver, "net?[0m");
    auto ports = c.port_status();
    ASSERT_TRUE(ports.ok());
    EXPECT_EQ(ports.value, counters.value.ports);
}

TEST_F(ControlSocketTest, HandlerExceptionBecomesAnInternalError) {
    handler_.throw_on_counters = true;
    start();
    ControlClient c;
    connect_and_hello(c);
    EXPECT_EQ(c.counters().status,
              Result::failure(ResultCode::internal, "counters: worker stats unavailable"));
    EXPECT_TRUE(c.add_session(spec_with_id(1)).ok());
}

TEST_F(ControlSocketTest, TooManyClientsAreRefused) {
    ControlServerOptions o = options();
    o.max_clients = 2;
    start(std::move(o));
    ControlClient a, b, c;
    connect_and_hello(a);
    connect_and_hello(b);
    ASSERT_TRUE(c.connect(path_).ok());  // the kernel accepts; the server closes it at once
    EXPECT_EQ(c.hello("third"), Result::failure(ResultCode::unavailable,
                                                "connection closed by the server (no_space: already 2 clients)"));
    RawSocket refused(path_);
    EXPECT_EQ(error_of(refused.read(), 0), Result::failure(ResultCode::no_space, "already 2 clients"));
    EXPECT_TRUE(refused.closed_by_peer());
    EXPECT_EQ(stats().clients_refused, 2u);
    EXPECT_TRUE(a.counters().ok());
    a.close();
    EXPECT_TRUE(eventually([this] { return server_->client_count() == 1; }));
    ControlClient d;
    connect_and_hello(d);
}

TEST_F(ControlSocketTest, ClientReportsUnavailableServerAndTimeouts) {
    ControlClient c(200);
    const Result missing = c.connect(path_);
    EXPECT_EQ(missing.code, ResultCode::unavailable);
    EXPECT_THAT(missing.message, HasSubstr("connect " + path_));
    EXPECT_EQ(c.hello("x"), Result::failure(ResultCode::unavailable, "hello: not connected"));

    // Open but never polled: the kernel accepts, nobody answers.
    ControlServer silent(path_, handler_, options());
    std::string error;
    ASSERT_TRUE(silent.open(&error)) << error;
    ASSERT_TRUE(c.connect(path_).ok());
    EXPECT_EQ(c.hello("x"), Result::failure(ResultCode::unavailable, "no reply to hello within 200 ms"));
    // The late reply is recognised by its request_id and skipped.
    silent.poll_once(100);
    silent.poll_once(100);
    c.set_timeout_ms(2000);
    std::thread poller([&] {
        for (int i = 0; i < 20; ++i) silent.poll_once(20);
    });
    const Result r = c.hello("again");
    poller.join();
    EXPECT_TRUE(r.ok()) << to_string(r);
}

TEST_F(ControlSocketTest, ClientRefusesARequestOverTheMessageLimit) {
    start();
    ControlClient c;
    connect_and_hello(c);
    SessionSpec huge = spec_with_id(1);
    huge.from_ue.master_key.assign(kMaxMessageSize, 1);
    const Result r = c.add_session(huge);
    EXPECT_EQ(r.code, ResultCode::invalid_argument);
    EXPECT_THAT(r.message, HasSubstr("exceeds the 1048576-byte message limit"));
    EXPECT_TRUE(c.add_session(spec_with_id(1)).ok());
}

TEST_F(ControlSocketTest, ServerCountsMessagesByTypeAndDisconnects) {
    start();
    {
        ControlClient c;
        connect_and_hello(c);
        c.counters();
        c.counters();
        c.port_status();
    }
    EXPECT_TRUE(eventually([this] { return server_->stats().disconnects == 1; }));
    const auto st = stats();
    auto received = [&](MessageType t) { return st.received[*message_type_index(static_cast<uint16_t>(t))]; };
    EXPECT_EQ(received(MessageType::hello), 1u);
    EXPECT_EQ(received(MessageType::counters), 2u);
    EXPECT_EQ(received(MessageType::port_status), 1u);
    EXPECT_EQ(st.clients_accepted, 1u);
    EXPECT_TRUE(logged("closed by the client"));
}

// ---- An exchange sent now and collected later (send_many / collect_many) ----

TEST_F(ControlSocketTest, BatchSentNowAndCollectedLaterGetsWhatAddSessionsWouldAndSendsOnlyTheFirstWindow) {
    start();
    ControlClient c;
    connect_and_hello(c);
    ASSERT_TRUE(c.add_session(spec_with_id(7)).ok());
    constexpr uint64_t kCount = ControlClient::kMaxPipelined + 5;
    std::vector<SessionSpec> specs;
    for (uint64_t id = 1; id <= kCount; ++id) specs.push_back(spec_with_id(id));
    ASSERT_TRUE(c.send_add_sessions(specs).ok());
    EXPECT_TRUE(c.exchange_in_flight());
    // The server installs the first window while nobody waits for it; the rest waits for collect.
    EXPECT_TRUE(eventually([this] { return handler_.sessions.size() == ControlClient::kMaxPipelined; }));
    // Its replies come in, but collect would still send the second window and wait for it.
    for (int i = 0; i < 20; ++i) {
        EXPECT_FALSE(c.in_flight_answered());
        std::this_thread::sleep_for(5ms);
    }
    const std::vector<Result> added = c.collect_add_sessions();
    EXPECT_FALSE(c.exchange_in_flight());
    ASSERT_EQ(added.size(), kCount);
    for (uint64_t id = 1; id <= kCount; ++id) {
        if (id == 7)
            EXPECT_EQ(added[id - 1].code, ResultCode::already_exists);
        else
            EXPECT_TRUE(added[id - 1].ok()) << id << ": " << to_string(added[id - 1]);
    }
    EXPECT_EQ(on_server([this] { return handler_.sessions.size(); }), kCount);
    EXPECT_TRUE(c.collect_many().empty());  // nothing in flight any more
}

TEST_F(ControlSocketTest, RequestsMadeWhileAnExchangeIsInFlightLeaveItsRepliesToIt) {
    start();
    ControlClient c;
    connect_and_hello(c);
    ASSERT_TRUE(c.send_add_sessions(std::vector<SessionSpec>{spec_with_id(1), spec_with_id(2)}).ok());
    // A single request meanwhile reads past the exchange's replies and keeps them.
    const Response<SessionInfo> got = c.get_session(1);
    ASSERT_TRUE(got.ok()) << to_string(got.status);
    EXPECT_EQ(got.value.spec.id, 1u);
    // A second exchange is refused and sends nothing.
    const Result again = c.send_add_sessions(std::vector<SessionSpec>{spec_with_id(3)});
    EXPECT_EQ(again.code, ResultCode::invalid_argument);
    EXPECT_THAT(again.message, HasSubstr("in flight"));
    EXPECT_TRUE(c.in_flight_answered());  // the get read both replies
    const std::vector<Result> added = c.collect_add_sessions();
    ASSERT_EQ(added.size(), 2u);
    EXPECT_TRUE(added[0].ok()) << to_string(added[0]);
    EXPECT_TRUE(added[1].ok()) << to_string(added[1]);
    EXPECT_EQ(on_server([this] { return handler_.sessions.count(3); }), 0u);
    // request_many on the same connection works again.
    EXPECT_TRUE(c.add_sessions(std::vector<SessionSpec>{spec_with_id(3)}).front().ok());
}

TEST_F(ControlSocketTest, ExchangeInFlightIsUnavailableWhenTheConnectionGoesOrTheServerIsSilent) {
    // Open but never polled: the kernel accepts, nobody answers.
    ControlServer silent(path_, handler_, options());
    std::string error;
    ASSERT_TRUE(silent.open(&error)) << error;
    ControlClient c(200);
    ASSERT_TRUE(c.connect(path_).ok());
    ASSERT_TRUE(c.send_add_sessions(std::vector<SessionSpec>{spec_with_id(1), spec_with_id(2)}).ok());
    EXPECT_FALSE(c.in_flight_answered());
    const std::vector<Result> late = c.collect_add_sessions();
    ASSERT_EQ(late.size(), 2u);
    for (const Result& r : late) EXPECT_EQ(r, Result::failure(ResultCode::unavailable,
                                                              "no reply to 2 of 2 pipelined requests within 200 ms"));
    EXPECT_TRUE(c.connected());  // a timeout keeps the connection, as request_many does

    // Closed between send and collect: nothing unanswered will ever be, and collect does not wait.
    ASSERT_TRUE(c.send_add_sessions(std::vector<SessionSpec>{spec_with_id(3)}).ok());
    c.close();
    EXPECT_TRUE(c.in_flight_answered());
    const std::vector<Result> closed = c.collect_add_sessions();
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0], Result::failure(ResultCode::unavailable, "connection closed"));

    // Without a connection every request fails at once.
    ASSERT_TRUE(c.send_add_sessions(std::vector<SessionSpec>{spec_with_id(4)}).ok());
    EXPECT_TRUE(c.in_flight_answered());
    EXPECT_EQ(c.collect_add_sessions().front(), Result::failure(ResultCode::unavailable, "session_add: not connected"));
}

}  // namespace
}  // namespace msf::api
