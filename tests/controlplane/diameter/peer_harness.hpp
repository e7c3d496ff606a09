// What the Diameter peer tests share: nodes on one EventLoop over 127.0.0.1, an application
// handler that records what it sees, a raw-socket "hostile peer" that writes arbitrary bytes and
// reads what comes back, and a way to run the loop until something has happened.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "controlplane/controld/event_loop.hpp"
#include "controlplane/diameter/node.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

namespace msf::diameter::testing {

inline const net::IpAddr kLoopback = *net::IpAddr::parse("127.0.0.1");

// Runs the loop until `done` holds or `timeout_ms` passes; returns `done()`.
inline bool run_until(controld::EventLoop& loop, const std::function<bool()>& done, int64_t timeout_ms = 5000) {
    const int64_t deadline = controld::EventLoop::now_ms() + timeout_ms;
    while (!done()) {
        const int64_t left = deadline - controld::EventLoop::now_ms();
        if (left <= 0) return done();
        loop.run_once(static_cast<int>(std::min<int64_t>(left, 20)));
    }
    return true;
}

// Runs the loop for `ms` whatever happens.
inline void run_for(controld::EventLoop& loop, int64_t ms) {
    const int64_t deadline = controld::EventLoop::now_ms() + ms;
    while (controld::EventLoop::now_ms() < deadline) loop.run_once(5);
}

// A TCP port on 127.0.0.1 nobody else gets while this lives: a bound, not listening socket with
// SO_REUSEADDR, which a node's listener (also SO_REUSEADDR) can still bind and listen on. Lets two
// nodes name each other's ports before either exists.
class ReservedPort {
public:
    ReservedPort() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0) << std::strerror(errno);
        socklen_t length = sizeof sin;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &length);
        port_ = ntohs(sin.sin_port);
    }
    ~ReservedPort() { ::close(fd_); }
    ReservedPort(const ReservedPort&) = delete;
    ReservedPort& operator=(const ReservedPort&) = delete;
    uint16_t port() const { return port_; }
    net::Endpoint endpoint() const { return {kLoopback, port_}; }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

// Records requests and peer state changes. By default answers each request at once with
// DIAMETER_SUCCESS; with `defer` set it keeps the responders for the test to answer later.
class RecordingHandler : public ApplicationHandler {
public:
    struct Received {
        std::string peer;
        Message request;
    };

    Node* node = nullptr;  // set once the node exists: answers come from it
    bool defer = false;
    std::vector<Received> requests;
    std::vector<Responder> deferred;
    std::vector<std::pair<std::string, bool>> state_changes;

    void on_request(PeerRef peer, Message&& request, Responder responder) override {
        if (!defer && node != nullptr) responder.answer(node->make_answer(request, ResultCode::success));
        else deferred.push_back(responder);
        requests.push_back({std::string(peer.identity()), std::move(request)});
    }
    void on_peer_state(PeerRef peer, bool open) override {
        state_changes.emplace_back(std::string(peer.identity()), open);
    }
};

// Log lines of one node, for tests that check something was said.
struct LogCapture {
    std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
    std::function<void(std::string_view)> sink() {
        auto target = lines;
        return [target](std::string_view line) { target->emplace_back(line); };
    }
    bool contains(std::string_view text) const {
        for (const std::string& line : *lines)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }
    std::string all() const {
        std::string text;
        for (const std::string& line : *lines) text += line + "\n";
        return text;
    }
};

inline NodeSettings base_settings(std::string identity, std::vector<net::Endpoint> listen = {{kLoopback, 0}}) {
    NodeSettings s;
    s.identity = std::move(identity);
    s.realm = std::string(kMsfRealm);
    s.listen = std::move(listen);
    s.watchdog_ms = 30000;
    s.reconnect_ms = 100;
    s.connect_timeout_ms = 2000;
    s.cea_timeout_ms = 2000;
    s.cer_timeout_ms = 2000;
    s.dpa_timeout_ms = 1000;
    return s;
}

inline PeerSettings peer(std::string identity, std::optional<net::Endpoint> connect = std::nullopt) {
    PeerSettings p;
    p.identity = std::move(identity);
    p.connect = connect;
    return p;
}

inline std::optional<PeerStatus> status_of(const Node& node, std::string_view identity) {
    for (PeerStatus& s : node.peer_status())
        if (s.identity == identity) return std::move(s);
    return std::nullopt;
}

inline PeerState state_of(const Node& node, std::string_view identity) {
    auto p = node.find_peer(identity);
    return p ? p->state() : PeerState::closed;
}

// A TCP client that writes whatever a test gives it and collects what comes back, without
// blocking the loop the node runs on.
class RawPeer {
public:
    // Connects to 127.0.0.1:port, from `source` (another 127/8 address) when given.
    explicit RawPeer(uint16_t port, const char* source = nullptr, int receive_buffer = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (receive_buffer > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        if (source != nullptr) {
            sockaddr_in from{};
            from.sin_family = AF_INET;
            inet_pton(AF_INET, source, &from.sin_addr);
            EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from), 0) << std::strerror(errno);
        }
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // Loopback: the kernel completes the handshake without the node's accept().
        EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
        fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
    // A connection accepted by RawListener.
    struct Accepted {
        int fd;
    };
    explicit RawPeer(Accepted accepted) : fd_(accepted.fd) { fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK); }
    ~RawPeer() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawPeer(const RawPeer&) = delete;
    RawPeer& operator=(const RawPeer&) = delete;

    // Writes all of `bytes` (small amounts: the socket buffer takes them).
    void send(std::span<const uint8_t> bytes) {
        size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n > 0) {
                done += static_cast<size_t>(n);
                continue;
            }
            ASSERT_TRUE(n < 0 && (errno == EAGAIN || errno == EINTR)) << std::strerror(errno);
            pollable_wait();
        }
    }
    void send(const Message& m) { send(m.encode()); }
    // As much as the socket takes now; returns the bytes written.
    size_t send_some(std::span<const uint8_t> bytes) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        return n > 0 ? static_cast<size_t>(n) : 0;
    }

    // Reads what is there; true when the node closed the connection (or reset it).
    bool poll() {
        uint8_t buf[65536];
        for (;;) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                received_.insert(received_.end(), buf, buf + n);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) closed_ = true;
            return closed_;
        }
    }
    bool closed() {
        poll();
        return closed_;
    }
    // The next whole message received, decoded, or nullopt.
    std::optional<Message> next_message() {
        poll();
        const FrameCheck check = check_frame(std::span<const uint8_t>(received_).subspan(consumed_), 1 << 24);
        if (check.state != FrameCheck::State::complete) return std::nullopt;
        Decoded<Message> m = decode(std::span<const uint8_t>(received_).subspan(consumed_, check.length));
        consumed_ += check.length;
        if (!m) {
            ADD_FAILURE() << "the node sent an undecodable message: " << to_string(m.error());
            return std::nullopt;
        }
        return std::move(*m);
    }
    // Runs the loop until a message arrives.
    std::optional<Message> await_message(controld::EventLoop& loop, int64_t timeout_ms = 3000) {
        std::optional<Message> m;
        run_until(loop, [&] { return (m = next_message()).has_value() || closed_; }, timeout_ms);
        if (!m) m = next_message();
        return m;
    }
    bool await_closed(controld::EventLoop& loop, int64_t timeout_ms = 3000) {
        return run_until(loop, [&] { return closed(); }, timeout_ms);
    }
    size_t received_bytes() const { return received_.size(); }

private:
    void pollable_wait() { usleep(1000); }
    int fd_ = -1;
    std::vector<uint8_t> received_;
    size_t consumed_ = 0;
    bool closed_ = false;
};

// A listening socket on 127.0.0.1 that a node connects to, for tests where the other side of our
// connection misbehaves.
class RawListener {
public:
    RawListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        const int one = 1;
        setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
        EXPECT_EQ(::listen(fd_, 16), 0);
        socklen_t length = sizeof sin;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &length);
        port_ = ntohs(sin.sin_port);
    }
    ~RawListener() { ::close(fd_); }
    RawListener(const RawListener&) = delete;
    RawListener& operator=(const RawListener&) = delete;
    net::Endpoint endpoint() const { return {kLoopback, port_}; }

    // Runs the loop until a connection comes, and returns it.
    std::unique_ptr<RawPeer> await_connection(controld::EventLoop& loop, int64_t timeout_ms = 3000) {
        int fd = -1;
        run_until(loop, [&] { return (fd = ::accept(fd_, nullptr, nullptr)) >= 0; }, timeout_ms);
        if (fd < 0) return nullptr;
        ++accepted_;
        return std::make_unique<RawPeer>(RawPeer::Accepted{fd});
    }
    size_t accepted() const { return accepted_; }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
    size_t accepted_ = 0;
};

// A CER of `identity` that our node accepts (Rx advertised), optionally without Host-IP-Address.
inline Message cer_of(std::string_view identity, bool with_host_ip = true, uint32_t application = app::rx) {
    Message m = Message::request(cmd::cer);
    m.set_hop_by_hop(0x1000).set_end_to_end(0x2000);
    m.add(avp::origin_host, identity).add(avp::origin_realm, kPcscfRealm);
    if (with_host_ip) m.add(avp::host_ip_address, kLoopback);
    m.add(avp::vendor_id, 0u).add(avp::product_name, "raw-test-peer").add(avp::auth_application_id, application);
    return m;
}

inline uint32_t result_code(const Message& m) {
    auto a = m.find(avp::result_code);
    return a ? a->unsigned32().value_or(0) : 0;
}

// A DWR a raw peer sends.
inline Message dwr_of(std::string_view identity, uint32_t hop_by_hop) {
    Message m = Message::request(cmd::dwr);
    m.set_hop_by_hop(hop_by_hop).set_end_to_end(hop_by_hop);
    m.add(avp::origin_host, identity).add(avp::origin_realm, kPcscfRealm);
    return m;
}

}  // namespace msf::diameter::testing
