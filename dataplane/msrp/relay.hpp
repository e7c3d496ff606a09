// The MSRP relay of msf-msrpd: one TLS-PSK listener toward the UEs, one plain TCP connection to
// the core endpoint per UE connection, MSRP frames relayed both ways with To-Path / From-Path
// rewritten. One thread, epoll, non-blocking sockets; all state belongs to that thread (the
// control socket is served by the same loop).
//
// Back-pressure: a side is read only while the other side's output buffer is below
// out_buffer_limit, so a slow reader holds at most about out_buffer_limit + one frame
// (max_header_bytes + max_chunk_size) per direction, plus one input buffer of the same bound.
#pragma once

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "dataplane/msrp/frame.hpp"
#include "dataplane/msrp/session.hpp"

namespace msf::msrp {

struct RelayConfig {
    std::string listen_address = "0.0.0.0";  // TLS listener toward the UEs
    uint16_t listen_port = kDefaultPort;      // 0: any free port (tests)
    std::string access_host = "127.0.0.1";    // host the UEs reach us at (gw_access_path)
    std::string core_host = "127.0.0.1";      // host the core sees us as (gw_core_path)
    uint16_t core_port = kDefaultPort;        // port written into gw_core_path
    Limits limits;
    size_t out_buffer_limit = 256 * 1024;     // bytes queued toward one side before its
                                              // source stops being read
    uint32_t max_connections_per_session = 4;
    uint32_t max_connections = 10000;         // all UE connections, handshakes included
    uint32_t handshake_timeout_ms = 10000;
};

struct GlobalCounters {
    uint64_t accepted = 0;
    uint64_t tls_handshake_failures = 0;  // no session could be named (unknown identity, ...)
    uint64_t handshake_timeouts = 0;
    uint64_t refused_connections = 0;     // over max_connections
    uint64_t parse_errors = 0;            // all sessions together
    uint64_t path_mismatch = 0;           // all sessions together
    uint64_t sessions_added = 0;
    uint64_t sessions_removed = 0;
};

inline constexpr std::array<std::pair<std::string_view, uint64_t GlobalCounters::*>, 8>
    kGlobalCounters = {{
        {"accepted", &GlobalCounters::accepted},
        {"tls_handshake_failures", &GlobalCounters::tls_handshake_failures},
        {"handshake_timeouts", &GlobalCounters::handshake_timeouts},
        {"refused_connections", &GlobalCounters::refused_connections},
        {"parse_errors", &GlobalCounters::parse_errors},
        {"path_mismatch", &GlobalCounters::path_mismatch},
        {"sessions_added", &GlobalCounters::sessions_added},
        {"sessions_removed", &GlobalCounters::sessions_removed},
    }};

struct AddedSession {
    std::string gw_access_path;  // what the UE must use as To-Path (its SDP a=path for us)
    std::string gw_core_path;    // what the core sees as the UE's path
};

// A value or the one line saying why there is none.
template <class T>
class Outcome {
public:
    Outcome(T value) : state_(std::move(value)) {}                   // NOLINT: implicit by design
    static Outcome failure(std::string error) { return Outcome(Error{std::move(error)}); }
    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T& value() const { return std::get<0>(state_); }
    const T* operator->() const { return &value(); }
    const std::string& error() const { return std::get<1>(state_).text; }

private:
    struct Error {
        std::string text;
    };
    explicit Outcome(Error error) : state_(std::move(error)) {}
    std::variant<T, Error> state_;
};

class Relay {
public:
    using LogSink = std::function<void(std::string_view line)>;

    // Opens the listener; throws std::runtime_error when it cannot (start-up).
    explicit Relay(RelayConfig config, LogSink log = {});
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    uint16_t listen_port() const { return listen_port_; }
    const RelayConfig& config() const { return config_; }

    // ---- sessions (the control socket calls these, on the loop's thread) ----
    Outcome<AddedSession> add_session(SessionSpec spec);
    // Closes the session's connections and forgets (and zeroes) its PSK. False if unknown.
    bool remove_session(std::string_view id);
    const Session* find_session(std::string_view id) const;
    template <class F>
    void for_each_session(F&& f) const {
        for (const auto& [id, session] : sessions_) f(*session);
    }
    const GlobalCounters& counters() const { return counters_; }
    size_t connection_count() const { return connections_.size(); }
    // Bytes held in the buffers of all connections (for tests of back-pressure and stats).
    size_t buffered_bytes() const;

    // ---- event loop ----
    // Another file descriptor served by this loop (the control socket). The handler gets the
    // epoll events; it may call unwatch for its own fd.
    void watch(int fd, uint32_t events, std::function<void(uint32_t events)> handler);
    void modify_watch(int fd, uint32_t events);
    void unwatch(int fd);
    // Waits up to timeout_ms for events and handles them.
    void run_once(int timeout_ms);
    // Runs until stop() (callable from any thread or a signal handler).
    void run();
    void stop();

private:
    struct Connection;
    enum class Side : uint8_t { ue, core };

    void log(const std::string& line) const;
    void accept_connections();
    void handle_connection_event(uint64_t id, Side side, uint32_t events);
    void continue_handshake(Connection& conn);
    void on_handshake_done(Connection& conn);
    void connect_core(Connection& conn);
    void service(Connection& conn);
    bool read_ue(Connection& conn);
    bool read_core(Connection& conn);
    bool write_ue(Connection& conn);
    bool write_core(Connection& conn);
    bool relay_frames(Connection& conn, Side from);
    void update_interest(Connection& conn);
    void close_connection(Connection& conn, const std::string& why);
    void reap_closed();
    void expire_handshakes();

    // OpenSSL callbacks (the PSK of a session, found by the identity the UE presents).
    static unsigned int psk_server_callback(SSL* ssl, const char* identity, unsigned char* psk,
                                            unsigned int max_psk_len);
    static int psk_find_session_callback(SSL* ssl, const unsigned char* identity,
                                         size_t identity_len, SSL_SESSION** session);
    Session* session_for_identity(SSL* ssl, std::string_view identity);

    RelayConfig config_;
    LogSink log_sink_;
    SSL_CTX* tls_ = nullptr;
    int epoll_fd_ = -1;
    int listen_fd_ = -1;
    int stop_fd_ = -1;  // eventfd
    uint16_t listen_port_ = 0;
    bool stopping_ = false;
    GlobalCounters counters_;
    std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;
    std::unordered_map<std::string, Session*> by_identity_;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
    std::vector<uint64_t> closed_;  // freed after the current batch of events
    std::vector<uint64_t> pending_service_;  // stopped at the work bound with work left
    uint64_t next_connection_id_ = 1;
    std::unordered_map<int, std::function<void(uint32_t)>> watched_;
    std::chrono::steady_clock::time_point last_expiry_check_{};
};

}  // namespace msf::msrp
