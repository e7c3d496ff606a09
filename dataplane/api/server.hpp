// The dataplane's side of the control socket: a Unix stream socket (mode 0660) that accepts
// several clients, decodes their requests (protocol.hpp), asks a RequestHandler, and answers.
// Single-threaded: the control lcore calls poll_once() in its loop and publish() for events,
// both from the same thread.
#pragma once

#include <poll.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/api/protocol.hpp"
#include "dataplane/api/types.hpp"

namespace msf::api {

// What the server asks the dataplane. Requests reach it already decoded; session specs of add
// and modify have passed validate_session_spec. Called on the thread that calls poll_once().
class RequestHandler {
public:
    virtual ~RequestHandler() = default;

    // ok, already_exists, no_space, invalid_argument (e.g. a local port not ours), internal.
    virtual Result add_session(const SessionSpec& spec) = 0;
    // ok, not_found, invalid_argument, internal.
    virtual Result modify_session(const SessionSpec& spec) = 0;
    // ok, not_found.
    virtual Result remove_session(uint64_t session_id) = 0;
    virtual std::optional<SessionInfo> get_session(uint64_t session_id) = 0;
    // Sessions with id > after_id, in increasing id order, at most max_count.
    virtual std::vector<SessionInfo> list_sessions(uint64_t after_id, size_t max_count) = 0;
    virtual std::vector<WorkerStats> worker_stats() = 0;
    virtual std::vector<PortStatus> port_status() = 0;
    virtual uint64_t session_count() = 0;
};

struct ControlServerOptions {
    std::string server_name = "msf-dataplane";
    std::string server_build;          // empty: the project version
    size_t max_clients = 64;           // further connections are accepted and closed at once
    // Replies and events queued for one client. A client that lets more pile up (it does not
    // read) is disconnected, so memory stays bounded whatever a client does.
    size_t max_output_bytes = 8u << 20;
    // One line per event worth a log line (connect, disconnect and why). Default: stderr.
    std::function<void(std::string_view)> log;
};

struct ControlServerStats {
    std::array<uint64_t, kMessageTypeCount> received{};  // by position in kMessageTypes
    uint64_t received_unknown_type = 0;
    uint64_t decode_errors = 0;          // messages that did not decode (error reply sent)
    uint64_t error_replies = 0;          // every error message sent, decode errors included
    uint64_t framing_errors = 0;         // connections closed for a bad total_length
    uint64_t clients_accepted = 0;
    uint64_t clients_refused = 0;        // over max_clients
    uint64_t disconnects = 0;            // connections closed for any reason
    uint64_t slow_client_disconnects = 0;  // output passed max_output_bytes
    uint64_t events_published = 0;       // publish() calls
    uint64_t events_queued = 0;          // events queued to subscribers (one per subscriber)
};

class ControlServer {
public:
    ControlServer(std::string path, RequestHandler& handler, ControlServerOptions options = {});
    ~ControlServer();  // closes every connection and removes the socket it created
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Removes a stale socket file (refuses if another server answers there or the path is not a
    // socket), binds, sets mode 0660, listens, non-blocking. False with *error set on failure.
    bool open(std::string* error);
    // One pass: waits up to timeout_ms (0: do not wait) for activity, accepts, reads and answers
    // requests, writes queued output.
    void poll_once(int timeout_ms);
    // Queues an event message (request_id 0) to every client that subscribed and tries to send
    // it at once. May be called from a RequestHandler method.
    void publish(const Event& event);

    size_t client_count() const;
    const ControlServerStats& stats() const { return stats_; }
    const std::string& path() const { return path_; }

private:
    struct Connection;

    void accept_clients();
    void read_from(Connection& c);
    void handle_frame(Connection& c, std::span<const uint8_t> frame);
    void dispatch(Connection& c, uint32_t request_id, MessageBody& body);
    void reply(Connection& c, uint32_t request_id, MessageBody body);
    void reply_error(Connection& c, uint32_t request_id, ResultCode code, std::string message);
    void flush(Connection& c);
    void enforce_output_bound(Connection& c);
    void close_connection(Connection& c, std::string_view why);
    void remove_closed();
    void log(const std::string& line) const;

    std::string path_;
    RequestHandler& handler_;
    ControlServerOptions options_;
    int listen_fd_ = -1;
    bool created_socket_ = false;
    uint64_t socket_inode_ = 0;
    uint64_t next_connection_id_ = 1;
    std::vector<std::unique_ptr<Connection>> connections_;
    std::vector<pollfd> poll_fds_;
    std::vector<uint8_t> event_frame_;
    bool polling_ = false;
    ControlServerStats stats_;
};

}  // namespace msf::api
