#include "controlplane/cli/server.hpp"

#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

namespace msf::cli {

namespace {

constexpr int kListenBacklog = 64;
constexpr size_t kAcceptsPerEvent = 16;
constexpr size_t kReadChunk = 16 * 1024;
// Bytes read from one client per readiness event, so one busy client cannot starve the others
// (level-triggered epoll brings the loop back for the rest).
constexpr size_t kReadBudget = 256 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

sockaddr_un socket_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty()) throw CliServerError("CLI socket path is empty");
    if (path.size() >= sizeof(addr.sun_path))
        throw CliServerError("CLI socket path " + path + " is " + std::to_string(path.size()) + " bytes, at most " +
                             std::to_string(sizeof(addr.sun_path) - 1) + " fit");
    std::memcpy(addr.sun_path, path.data(), path.size());
    return addr;
}

// Removes every member named master_key or master_salt, wherever the handler put it.
bool strip_keys(nlohmann::json& value) {
    bool stripped = false;
    if (value.is_object()) {
        stripped |= value.erase("master_key") > 0;
        stripped |= value.erase("master_salt") > 0;
        for (auto& [name, member] : value.items()) stripped |= strip_keys(member);
    } else if (value.is_array()) {
        for (auto& element : value) stripped |= strip_keys(element);
    }
    return stripped;
}

// Overwrites the key strings of a revealed result before its memory is freed (DESIGN.md: keys
// are held only where needed).
void wipe_keys(nlohmann::json& value) {
    if (value.is_object()) {
        for (auto& [name, member] : value.items()) {
            if ((name == "master_key" || name == "master_salt") && member.is_string()) {
                std::string& text = member.get_ref<std::string&>();
                std::memset(text.data(), 0, text.size());
            } else {
                wipe_keys(member);
            }
        }
    } else if (value.is_array()) {
        for (auto& element : value) wipe_keys(element);
    }
}

}  // namespace

struct CliServer::Connection {
    int fd = -1;
    uint64_t id = 0;
    Caller caller;
    std::string in;          // bytes of the line being received
    std::string out;         // response bytes not yet sent, from out_sent on
    size_t out_sent = 0;
    uint32_t interest = 0;   // the epoll events registered
    bool read_closed = false;  // the client shut down its side: answer what came, then close
    bool closed = false;

    size_t pending() const { return out.size() - out_sent; }
    std::string who() const {
        return "client " + std::to_string(id) + " (uid " +
               (caller.uid == Caller::kUnknownUid ? std::string("unknown") : std::to_string(caller.uid)) + " pid " +
               std::to_string(caller.pid) + ")";
    }
};

CliServer::CliServer(controld::EventLoop& loop, std::string path, CliHandler& handler, CliServerOptions options)
    : loop_(loop), path_(std::move(path)), handler_(handler), options_(std::move(options)) {
    const sockaddr_un addr = socket_address(path_);

    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw CliServerError("CLI socket path " + path_ + " exists and is not a socket");
        // A socket that accepts a connection belongs to a live daemon: leave it alone. The probe
        // is non-blocking, so a live daemon with a full backlog (EAGAIN) cannot stall start-up.
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (probe >= 0) {
            const bool live =
                ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 || errno == EAGAIN;
            ::close(probe);
            if (live) throw CliServerError("CLI socket " + path_ + " is in use by another server");
        }
        if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
            throw CliServerError("cannot remove stale CLI socket " + path_ + ": " + errno_text(errno));
    }

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw CliServerError("socket(AF_UNIX): " + errno_text(errno));
    auto fail = [&](const std::string& what) {
        const int err = errno;
        ::close(fd);
        throw CliServerError(what + " " + path_ + ": " + errno_text(err));
    };
    // Linux creates the socket file with the socket inode's mode (less the umask): set it first,
    // so the file is never more open than 0660, not even between bind and chmod.
    if (::fchmod(fd, 0660) != 0) fail("fchmod 0660");
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) fail("bind");
    // Owner and group only (DESIGN.md: control sockets are 0660), whatever the umask took away.
    if (::chmod(path_.c_str(), 0660) != 0 || ::lstat(path_.c_str(), &st) != 0) {
        ::unlink(path_.c_str());
        fail("chmod 0660");
    }
    socket_inode_ = st.st_ino;
    if (!options_.group.empty()) {
        group entry{};
        group* found = nullptr;
        std::vector<char> buffer(16 * 1024);
        const int err = ::getgrnam_r(options_.group.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (!found) {
            log("group '" + options_.group + "' " + (err ? "lookup failed: " + errno_text(err) : std::string("does not exist")) +
                "; " + path_ + " keeps group " + std::to_string(st.st_gid));
        } else if (::chown(path_.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0) {
            log("chown " + path_ + " to group '" + options_.group + "': " + errno_text(errno));
        }
    }
    if (::listen(fd, kListenBacklog) != 0) {
        ::unlink(path_.c_str());
        fail("listen");
    }
    if (!loop_.add(fd, EPOLLIN, [this](uint32_t) { accept_clients(); })) {
        ::unlink(path_.c_str());
        fail("epoll add of");
    }
    listen_fd_ = fd;
}

CliServer::~CliServer() {
    for (auto& [id, c] : connections_) {
        loop_.remove(c->fd);
        ::close(c->fd);
    }
    connections_.clear();
    loop_.remove(listen_fd_);
    ::close(listen_fd_);
    // Only if it is still ours, not a newer daemon's.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == socket_inode_) ::unlink(path_.c_str());
}

void CliServer::log(const std::string& line) const {
    if (options_.log) {
        options_.log(line);
    } else {
        std::fprintf(stderr, "msf-controld: cli: %s\n", line.c_str());
    }
}

void CliServer::accept_clients() {
    for (size_t n = 0; n < kAcceptsPerEvent; ++n) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                log("accept: " + errno_text(errno));
            return;
        }
        ucred cred{};
        socklen_t cred_len = sizeof(cred);
        Caller caller;
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) == 0) caller = {cred.uid, cred.pid};
        if (connections_.size() >= options_.max_clients) {
            ++stats_.clients_refused;
            ++stats_.error_responses;
            const std::string why = "too many clients (limit " + std::to_string(options_.max_clients) + ")";
            log("refused a client (pid " + std::to_string(caller.pid) + "): " + why);
            // The client has read nothing yet, so one short line fits its socket buffer.
            const std::string line = encode_response(std::nullopt, Response::failure(ResultCode::unavailable, why));
            (void)!::send(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            ::close(fd);
            continue;
        }
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        c->id = next_connection_id_++;
        c->caller = caller;
        c->interest = EPOLLIN;
        const uint64_t id = c->id;
        if (!loop_.add(fd, EPOLLIN, [this, id](uint32_t events) { on_connection_event(id, events); })) {
            log("epoll add of a client: " + errno_text(errno));
            ::close(fd);
            continue;
        }
        ++stats_.clients_accepted;
        connections_.emplace(id, std::move(c));
    }
}

void CliServer::on_connection_event(uint64_t connection_id, uint32_t events) {
    const auto it = connections_.find(connection_id);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    // A hang-up or error with responses queued: the send fails and closes the connection, so a
    // level-triggered EPOLLHUP cannot bring the loop back here for ever.
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) flush(c);
    if (!c.closed && !c.read_closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_from(c);
    if (!c.closed) update_interest(c);
    if (c.closed) connections_.erase(it);  // the registration was removed in close_connection
}

void CliServer::read_from(Connection& c) {
    size_t budget = kReadBudget;
    while (!c.closed && budget > 0) {
        const size_t old_size = c.in.size();
        c.in.resize(old_size + kReadChunk);
        const ssize_t n = ::recv(c.fd, c.in.data() + old_size, kReadChunk, MSG_DONTWAIT);
        c.in.resize(old_size + static_cast<size_t>(std::max<ssize_t>(n, 0)));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) close_connection(c, "recv: " + errno_text(errno));
            return;
        }
        if (n == 0) {
            // Half-close: the lines that came complete are answered below; a partial one is
            // dropped, and the connection closes once its responses are out (update_interest).
            c.read_closed = true;
        }
        budget -= std::min(budget, static_cast<size_t>(n));

        // Every complete line; the partial one waits for more bytes.
        size_t consumed = 0;
        for (size_t newline; !c.closed && (newline = c.in.find('\n', consumed)) != std::string::npos;) {
            const std::string_view line = std::string_view(c.in).substr(consumed, newline - consumed);
            if (line.size() > kMaxRequestLine) break;  // refused below like any overlong line
            handle_line(c, line);
            consumed = newline + 1;
        }
        if (c.closed) return;
        c.in.erase(0, consumed);
        const size_t line_so_far = std::min(c.in.find('\n'), c.in.size());
        if (line_so_far > kMaxRequestLine) {
            // Without a newline in reach there is no next request to find: say why and close.
            ++stats_.oversize_lines;
            send_response(c, std::nullopt,
                          Response::failure(ResultCode::bad_request, "request line longer than " +
                                                                         std::to_string(kMaxRequestLine) + " bytes"));
            flush(c);
            close_connection(c, "request line longer than " + std::to_string(kMaxRequestLine) + " bytes");
            return;
        }
        if (c.read_closed) {
            c.in.clear();
            return;
        }
        if (static_cast<size_t>(n) < kReadChunk) return;  // drained for now
    }
}

void CliServer::handle_line(Connection& c, std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // from a terminal via socat
    if (line.empty()) return;
    ++stats_.requests;
    auto parsed = parse_request(line);
    if (!parsed) {
        ++stats_.bad_requests;
        send_response(c, parsed.error().id, Response::failure(ResultCode::bad_request, parsed.error().message));
        return;
    }
    const Request& request = *parsed;
    ++stats_.commands[static_cast<size_t>(request.command)];
    Response response = answer(request, c.caller);
    send_response(c, request.id, response);
    if (request.command == Command::keys && request.reveal && response.ok()) wipe_keys(response.result);
}

Response CliServer::answer(const Request& request, const Caller& caller) {
    if (request.reveal && caller.uid != 0) {
        ++stats_.forbidden;
        log("refused to reveal keys of session " + request.session_id + " to uid " + std::to_string(caller.uid) +
            " pid " + std::to_string(caller.pid));
        return Response::failure(ResultCode::forbidden, "--reveal needs root");
    }
    Response response;
    try {
        response = handler_.handle(request, caller);
    } catch (const std::exception& e) {
        ++stats_.handler_failures;
        return Response::failure(ResultCode::internal, std::string(command_info(request.command).name) + ": " + e.what());
    }
    if (!response.ok()) return response;
    if (!response.result.is_object()) {
        ++stats_.handler_failures;
        return Response::failure(ResultCode::internal,
                                 std::string(command_info(request.command).name) + ": handler returned no result object");
    }
    if (request.command == Command::keys) {
        if (request.reveal) {
            ++stats_.reveals;
            log("keys of session " + request.session_id + " revealed to uid " + std::to_string(caller.uid) + " pid " +
                std::to_string(caller.pid));
        } else {
            // The handler should not have put keys in; they do not leave the daemon regardless.
            if (strip_keys(response.result))
                log("keys result of session " + request.session_id + " held keys without reveal; removed");
            response.result["revealed"] = false;
        }
    }
    return response;
}

void CliServer::send_response(Connection& c, std::optional<uint64_t> id, const Response& response) {
    if (c.closed) return;
    std::string line = encode_response(id, response);
    bool error = !response.ok();
    if (line.size() > options_.max_output_bytes) {
        error = true;
        ++stats_.handler_failures;
        const std::string why = "result of " + std::to_string(line.size()) + " bytes exceeds the limit of " +
                                std::to_string(options_.max_output_bytes);
        log(c.who() + ": " + why);
        std::memset(line.data(), 0, line.size());
        line = encode_response(id, Response::failure(ResultCode::internal, why));
    }
    if (error) ++stats_.error_responses;
    c.out += line;
    std::memset(line.data(), 0, line.size());  // it may hold revealed keys
    if (c.pending() <= options_.max_output_bytes) return;
    flush(c);  // the client may be reading: give it the chance before judging
    if (c.closed || c.pending() <= options_.max_output_bytes) return;
    ++stats_.slow_client_disconnects;
    close_connection(c, "does not read its responses: " + std::to_string(c.pending()) + " bytes queued, limit " +
                            std::to_string(options_.max_output_bytes));
}

void CliServer::flush(Connection& c) {
    while (!c.closed && c.pending() > 0) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.pending(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) close_connection(c, "send: " + errno_text(errno));
            break;
        }
        c.out_sent += static_cast<size_t>(n);
    }
    if (c.closed) return;
    // Sent bytes may be revealed keys: overwrite them before the buffer moves or frees them.
    if (c.pending() == 0 || c.out_sent > c.out.size() / 2) {
        std::memset(c.out.data(), 0, c.out_sent);
        c.out.erase(0, c.out_sent);
        c.out_sent = 0;
        if (c.out.empty() && c.out.capacity() > kReadBudget) c.out.shrink_to_fit();
    }
}

void CliServer::update_interest(Connection& c) {
    if (c.read_closed && c.pending() == 0) {
        close_connection(c, {});
        return;
    }
    const uint32_t wanted = (c.read_closed ? 0u : uint32_t{EPOLLIN}) | (c.pending() > 0 ? uint32_t{EPOLLOUT} : 0u);
    if (wanted == c.interest) return;
    if (!loop_.modify(c.fd, wanted)) {
        close_connection(c, "epoll modify: " + errno_text(errno));
        return;
    }
    c.interest = wanted;
}

void CliServer::close_connection(Connection& c, std::string_view why) {
    if (c.closed) return;
    c.closed = true;
    ++stats_.disconnects;
    if (!why.empty()) log(c.who() + " closed: " + std::string(why));
    loop_.remove(c.fd);
    ::close(c.fd);
    c.fd = -1;
    std::memset(c.out.data(), 0, c.out.size());
}

}  // namespace msf::cli
