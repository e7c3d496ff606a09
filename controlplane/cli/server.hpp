// msf-controld's CLI socket: a Unix stream socket (mode 0660, optionally group-owned) on the
// daemon's EventLoop that reads request lines (protocol.hpp), asks a CliHandler, and writes
// response lines. Everything runs in the loop's callbacks on the daemon's one thread.
//
// Bounds, so nothing a client does costs unbounded memory or another client's service:
// a request line longer than kMaxRequestLine gets an error line and the connection is closed
// (there is no next line to find); a client whose unread responses pass max_output_bytes is
// closed; at most max_clients connections, further ones get an "unavailable" line and are
// closed. A line that is not a valid request gets a bad_request response and the connection
// stays usable.
//
// Keys: reveal=true is refused (forbidden, "--reveal needs root") here, before the handler,
// for every caller whose SO_PEERCRED uid is not 0; each reveal that is answered is logged
// ("keys of session X revealed to uid 0 pid N"); and master keys and salts are removed from a
// keys result that was not asked to reveal, whatever the handler returned.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "controlplane/cli/protocol.hpp"
#include "controlplane/controld/event_loop.hpp"

namespace msf::cli {

// Who sent a request, from SO_PEERCRED at accept time.
struct Caller {
    uid_t uid = kUnknownUid;
    pid_t pid = 0;

    static constexpr uid_t kUnknownUid = static_cast<uid_t>(-1);  // SO_PEERCRED failed: never root
};

// What the daemon implements. Requests arrive parsed and checked (session_id valid, reveal only
// for keys and only from uid 0). Called on the loop's thread; the result of an ok response
// must be a JSON object of the command's shape (protocol.hpp). An exception becomes an
// internal error response; the connection and the server carry on.
class CliHandler {
public:
    virtual ~CliHandler() = default;
    virtual Response handle(const Request& request, const Caller& caller) = 0;
};

struct CliServerOptions {
    // Group that owns the socket, so its members may use msfctl. Empty: the daemon's group.
    // A group that does not exist, or a chown that fails, is logged and the socket kept.
    std::string group;
    size_t max_clients = 32;
    // Responses queued for one client. A response longer than this is replaced by an internal
    // error; a client that lets more pile up unread is disconnected.
    size_t max_output_bytes = kMaxResponseLine;
    // One line per event worth logging (reveals, refusals, abnormal closes). Default: stderr.
    std::function<void(std::string_view)> log;
};

struct CliServerStats {
    uint64_t requests = 0;                         // request lines answered, bad ones included
    std::array<uint64_t, kCommandCount> commands{};  // valid requests, by position in kCommands
    uint64_t bad_requests = 0;                     // lines that did not parse (bad_request sent)
    uint64_t error_responses = 0;                  // every ok:false line sent, refusals included
    uint64_t forbidden = 0;                        // reveals refused to a caller not root
    uint64_t reveals = 0;                          // keys results sent with keys revealed
    uint64_t handler_failures = 0;                 // handler threw or returned no object
    uint64_t oversize_lines = 0;                   // connections closed for a line too long
    uint64_t clients_accepted = 0;
    uint64_t clients_refused = 0;                  // over max_clients
    uint64_t disconnects = 0;                      // connections closed for any reason
    uint64_t slow_client_disconnects = 0;          // output passed max_output_bytes
};

// Start-up failure of the socket (exists and is not a socket, in use, bind refused): the
// daemon cannot offer its CLI and says why.
class CliServerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class CliServer {
public:
    // Creates, binds and listens on `path` and registers with the loop. A socket file nothing
    // answers on (a crashed daemon's) is replaced; a live one or a non-socket is left alone and
    // CliServerError thrown.
    CliServer(controld::EventLoop& loop, std::string path, CliHandler& handler, CliServerOptions options = {});
    // Closes every connection and removes the socket file if it is still the one it created.
    ~CliServer();
    CliServer(const CliServer&) = delete;
    CliServer& operator=(const CliServer&) = delete;

    size_t client_count() const { return connections_.size(); }
    const CliServerStats& stats() const { return stats_; }
    const std::string& path() const { return path_; }

private:
    struct Connection;

    void accept_clients();
    void on_connection_event(uint64_t connection_id, uint32_t events);
    void read_from(Connection& c);
    void handle_line(Connection& c, std::string_view line);
    Response answer(const Request& request, const Caller& caller);
    void send_response(Connection& c, std::optional<uint64_t> id, const Response& response);
    void flush(Connection& c);
    void update_interest(Connection& c);
    void close_connection(Connection& c, std::string_view why);
    void log(const std::string& line) const;

    controld::EventLoop& loop_;
    std::string path_;
    CliHandler& handler_;
    CliServerOptions options_;
    int listen_fd_ = -1;
    uint64_t socket_inode_ = 0;
    uint64_t next_connection_id_ = 1;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
    CliServerStats stats_;
};

}  // namespace msf::cli
