#include "dataplane/api/server.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>

#ifndef MSF_VERSION
#define MSF_VERSION "unknown"
#endif

namespace msf::api {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Bytes read from one client per poll_once pass, so one busy client cannot starve the others.
constexpr size_t kReadBudget = 4 * kReadChunk;
constexpr int kListenBacklog = 64;
constexpr size_t kAcceptsPerPass = 16;
// An output buffer that grew this big for one burst is given back to the allocator once empty.
constexpr size_t kKeepOutputCapacity = 256 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

bool fill_address(const std::string& path, sockaddr_un& addr, std::string* error) {
    std::memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (path.empty()) {
        if (error) *error = "control socket path is empty";
        return false;
    }
    if (path.size() >= sizeof(addr.sun_path)) {
        if (error)
            *error = "control socket path " + path + " is " + std::to_string(path.size()) +
                     " bytes, at most " + std::to_string(sizeof(addr.sun_path) - 1) + " fit";
        return false;
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    return true;
}

// Names and drivers come from the dataplane, not from the wire, but must still decode on the
// other side: clip to the limit and replace control characters.
void clip_name(std::string& name) {
    if (name.size() > kMaxNameLen) name.resize(kMaxNameLen);
    for (char& c : name)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
}

void clip_ports(std::vector<PortStatus>& ports) {
    if (ports.size() > kMaxPorts) ports.resize(kMaxPorts);
    for (auto& p : ports) {
        clip_name(p.name);
        clip_name(p.driver);
    }
}

}  // namespace

struct ControlServer::Connection {
    int fd = -1;
    uint64_t id = 0;
    int peer_pid = 0;
    std::vector<uint8_t> in;    // received bytes not yet a whole frame
    std::vector<uint8_t> out;   // encoded messages; out[0, out_sent) already written
    size_t out_sent = 0;
    bool greeted = false;       // a hello of our version was answered
    bool subscribed = false;
    bool closed = false;

    size_t pending() const { return out.size() - out_sent; }
};

ControlServer::ControlServer(std::string path, RequestHandler& handler, ControlServerOptions options)
    : path_(std::move(path)), handler_(handler), options_(std::move(options)) {
    if (options_.server_build.empty()) options_.server_build = "msf " MSF_VERSION;
    clip_name(options_.server_name);
    clip_name(options_.server_build);
}

ControlServer::~ControlServer() {
    for (auto& c : connections_)
        if (!c->closed) close_connection(*c, "server shutting down");
    if (listen_fd_ >= 0) ::close(listen_fd_);
    // Remove the socket only if it is still ours (not replaced by a newer server).
    struct stat st {};
    if (created_socket_ && ::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_ino == socket_inode_)
        ::unlink(path_.c_str());
}

void ControlServer::log(const std::string& line) const {
    if (options_.log) {
        options_.log(line);
    } else {
        std::fprintf(stderr, "msf-api: %s\n", line.c_str());
    }
}

bool ControlServer::open(std::string* error) {
    if (listen_fd_ >= 0) {
        if (error) *error = "control socket " + path_ + " is already open";
        return false;
    }
    sockaddr_un addr;
    if (!fill_address(path_, addr, error)) return false;

    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            if (error) *error = "control socket path " + path_ + " exists and is not a socket";
            return false;
        }
        // A socket file that accepts a connection belongs to a live server: leave it alone.
        // Non-blocking, so a live server with a full backlog (EAGAIN) cannot stall start-up.
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (probe >= 0) {
            const bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 ||
                              errno == EAGAIN;
            ::close(probe);
            if (live) {
                if (error) *error = "control socket " + path_ + " is in use by another server";
                return false;
            }
        }
        if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
            if (error) *error = "cannot remove stale control socket " + path_ + ": " + errno_text(errno);
            return false;
        }
    }

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        if (error) *error = "socket(AF_UNIX): " + errno_text(errno);
        return false;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        if (error) *error = "bind " + path_ + ": " + errno_text(errno);
        ::close(fd);
        return false;
    }
    // Owner and group only (DESIGN.md: control sockets are 0660).
    if (::chmod(path_.c_str(), 0660) != 0 || ::lstat(path_.c_str(), &st) != 0) {
        if (error) *error = "chmod 0660 " + path_ + ": " + errno_text(errno);
        ::close(fd);
        ::unlink(path_.c_str());
        return false;
    }
    if (::listen(fd, kListenBacklog) != 0) {
        if (error) *error = "listen " + path_ + ": " + errno_text(errno);
        ::close(fd);
        ::unlink(path_.c_str());
        return false;
    }
    listen_fd_ = fd;
    created_socket_ = true;
    socket_inode_ = st.st_ino;
    return true;
}

size_t ControlServer::client_count() const {
    return static_cast<size_t>(std::count_if(connections_.begin(), connections_.end(),
                                             [](const auto& c) { return !c->closed; }));
}

void ControlServer::poll_once(int timeout_ms) {
    if (listen_fd_ < 0) return;
    poll_fds_.clear();
    poll_fds_.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : connections_) {
        const short events = static_cast<short>(POLLIN | (c->pending() > 0 ? POLLOUT : 0));
        poll_fds_.push_back({c->fd, events, 0});
    }
    polling_ = true;
    const int ready = ::poll(poll_fds_.data(), poll_fds_.size(), timeout_ms);
    if (ready < 0) {
        polling_ = false;
        if (errno != EINTR) log("poll: " + errno_text(errno));
        return;
    }
    // poll_fds_[i + 1] is connections_[i]; accept only afterwards so the indices hold.
    const size_t polled = connections_.size();
    for (size_t i = 0; i < polled && ready > 0; ++i) {
        Connection& c = *connections_[i];
        const short revents = poll_fds_[i + 1].revents;
        if (c.closed || revents == 0) continue;
        if (revents & POLLOUT) flush(c);
        if (!c.closed && (revents & (POLLIN | POLLHUP | POLLERR))) read_from(c);
    }
    if (poll_fds_[0].revents & POLLIN) accept_clients();
    polling_ = false;
    remove_closed();
}

void ControlServer::accept_clients() {
    for (size_t n = 0; n < kAcceptsPerPass; ++n) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                log("accept: " + errno_text(errno));
            return;
        }
        ucred cred{};
        socklen_t cred_len = sizeof(cred);
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0) cred.pid = 0;
        if (client_count() >= options_.max_clients) {
            ++stats_.clients_refused;
            const std::string why = "already " + std::to_string(options_.max_clients) + " clients";
            log("refused client pid " + std::to_string(cred.pid) + ": " + why);
            // Tell the client why before closing; it has not read anything yet, so this fits.
            const auto frame = encode(Message{0, ErrorReply{Result::failure(ResultCode::no_space, why)}});
            (void)!::send(fd, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            ::close(fd);
            continue;
        }
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        c->id = next_connection_id_++;
        c->peer_pid = cred.pid;
        ++stats_.clients_accepted;
        log("client " + std::to_string(c->id) + " connected (pid " + std::to_string(cred.pid) + ")");
        connections_.push_back(std::move(c));
    }
}

void ControlServer::read_from(Connection& c) {
    size_t budget = kReadBudget;
    while (!c.closed && budget > 0) {
        const size_t old_size = c.in.size();
        c.in.resize(old_size + kReadChunk);
        const ssize_t n = ::recv(c.fd, c.in.data() + old_size, kReadChunk, MSG_DONTWAIT);
        c.in.resize(old_size + static_cast<size_t>(std::max<ssize_t>(n, 0)));
        if (n == 0) {
            close_connection(c, "closed by the client");
            return;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                close_connection(c, "recv: " + errno_text(errno));
            break;
        }
        budget -= std::min(budget, static_cast<size_t>(n));

        // Every whole frame in the buffer; the bytes of a partial one stay for the next read.
        size_t consumed = 0;
        while (!c.closed) {
            const auto stream = std::span<const uint8_t>(c.in).subspan(consumed);
            const FrameCheck check = check_frame(stream);
            if (check.state == FrameCheck::State::need_more) break;
            if (check.state == FrameCheck::State::invalid) {
                // Without a trustworthy length there is no next frame to find: say why, close.
                ++stats_.framing_errors;
                reply_error(c, 0, ResultCode::bad_message, check.error);
                flush(c);
                close_connection(c, "framing error: " + check.error);
                break;
            }
            handle_frame(c, stream.first(check.length));
            consumed += check.length;
        }
        if (c.closed) return;
        // Requests may hold keys: overwrite them before the bytes are moved or freed.
        wipe_bytes(std::span<uint8_t>(c.in).first(consumed));
        c.in.erase(c.in.begin(), c.in.begin() + static_cast<ptrdiff_t>(consumed));
        if (static_cast<size_t>(n) < kReadChunk) break;  // drained for now
    }
    if (!c.closed) flush(c);
}

void ControlServer::handle_frame(Connection& c, std::span<const uint8_t> frame) {
    // The frame holds at least a header (check_frame), so its request_id can always be echoed.
    const uint32_t request_id = uint32_t{frame[8]} << 24 | uint32_t{frame[9]} << 16 |
                                uint32_t{frame[10]} << 8 | frame[11];
    const uint16_t raw_type = static_cast<uint16_t>(frame[4] << 8 | frame[5]);
    if (const auto index = message_type_index(raw_type)) {
        ++stats_.received[*index];
    } else {
        ++stats_.received_unknown_type;
    }
    auto message = decode(frame);
    if (!message) {
        ++stats_.decode_errors;
        reply_error(c, request_id, message.error().code, message.error().message);
        return;
    }
    try {
        dispatch(c, request_id, message->body);
    } catch (const std::exception& e) {
        // The handler failed; the connection and the server carry on.
        reply_error(c, request_id, ResultCode::internal,
                    message_type_name(raw_type) + ": " + e.what());
    }
    if (auto* add = std::get_if<SessionAddRequest>(&message->body)) wipe_keys(add->spec);
    if (auto* mod = std::get_if<SessionModifyRequest>(&message->body)) wipe_keys(mod->spec);
}

void ControlServer::dispatch(Connection& c, uint32_t request_id, MessageBody& body) {
    const MessageTypeInfo& info = kMessageTypes[body.index()];
    if (info.role != MessageRole::request) {
        reply_error(c, request_id, ResultCode::bad_message,
                    std::string(info.name) + ": not a request");
        return;
    }
    if (auto* hello = std::get_if<HelloRequest>(&body)) {
        // The decoder has refused other versions with unsupported_version already.
        c.greeted = true;
        log("client " + std::to_string(c.id) + " is " + hello->client_name);
        reply(c, request_id,
              HelloReply{kProtocolVersion, options_.server_name, options_.server_build,
                         static_cast<uint32_t>(kMaxMessageSize)});
        return;
    }
    if (!c.greeted) {
        reply_error(c, request_id, ResultCode::bad_message,
                    std::string(info.name) + ": hello must come first");
        return;
    }

    if (auto* add = std::get_if<SessionAddRequest>(&body)) {
        Result r = validate_session_spec(add->spec);
        if (r.ok()) r = handler_.add_session(add->spec);
        reply(c, request_id, ResultReply{std::move(r)});
    } else if (auto* mod = std::get_if<SessionModifyRequest>(&body)) {
        Result r = validate_session_spec(mod->spec);
        if (r.ok()) r = handler_.modify_session(mod->spec);
        reply(c, request_id, ResultReply{std::move(r)});
    } else if (auto* rm = std::get_if<SessionRemoveRequest>(&body)) {
        reply(c, request_id, ResultReply{handler_.remove_session(rm->session_id)});
    } else if (auto* get = std::get_if<SessionGetRequest>(&body)) {
        auto info_of = handler_.get_session(get->session_id);
        if (!info_of) {
            reply_error(c, request_id, ResultCode::not_found,
                        "no session " + std::to_string(get->session_id));
            return;
        }
        reply(c, request_id, SessionInfoReply{std::move(*info_of)});
    } else if (auto* list = std::get_if<SessionListRequest>(&body)) {
        if (list->max_count == 0) {
            reply_error(c, request_id, ResultCode::invalid_argument, "session_list: max_count 0");
            return;
        }
        const size_t page = std::min<size_t>(list->max_count, kMaxListPage);
        // One more than the page tells whether another page follows.
        auto sessions = handler_.list_sessions(list->after_id, page + 1);
        std::erase_if(sessions, [&](const SessionInfo& s) { return s.spec.id <= list->after_id; });
        auto by_id = [](const SessionInfo& a, const SessionInfo& b) { return a.spec.id < b.spec.id; };
        if (!std::is_sorted(sessions.begin(), sessions.end(), by_id))
            std::sort(sessions.begin(), sessions.end(), by_id);
        SessionListReply out;
        if (sessions.size() > page) {
            sessions.resize(page);
            out.next_after_id = sessions.back().spec.id;
        }
        out.sessions = std::move(sessions);
        reply(c, request_id, std::move(out));
    } else if (std::holds_alternative<CountersRequest>(body)) {
        CountersReply out;
        out.workers = handler_.worker_stats();
        if (out.workers.size() > kMaxWorkers) out.workers.resize(kMaxWorkers);
        out.ports = handler_.port_status();
        clip_ports(out.ports);
        out.session_count = handler_.session_count();
        out.totals = sum_counters(out.workers, out.ports);
        reply(c, request_id, std::move(out));
    } else if (std::holds_alternative<PortStatusRequest>(body)) {
        PortStatusReply out;
        out.ports = handler_.port_status();
        clip_ports(out.ports);
        reply(c, request_id, std::move(out));
    } else if (std::holds_alternative<SubscribeEventsRequest>(body)) {
        c.subscribed = true;
        reply(c, request_id, ResultReply{Result::success()});
    } else {
        reply_error(c, request_id, ResultCode::internal,
                    std::string(info.name) + ": request without a handler");
    }
}

void ControlServer::reply(Connection& c, uint32_t request_id, MessageBody body) {
    if (c.closed) return;
    const size_t start = c.out.size();
    encode(Message{request_id, std::move(body)}, c.out);
    const size_t size = c.out.size() - start;
    if (size > kMaxMessageSize) {
        c.out.resize(start);
        reply_error(c, request_id, ResultCode::internal,
                    "reply of " + std::to_string(size) + " bytes exceeds the message limit");
        return;
    }
    enforce_output_bound(c);
}

void ControlServer::reply_error(Connection& c, uint32_t request_id, ResultCode code,
                                std::string message) {
    if (c.closed) return;
    if (message.size() > kMaxResultMessageLen) message.resize(kMaxResultMessageLen);
    ++stats_.error_replies;
    encode(Message{request_id, ErrorReply{Result::failure(code, std::move(message))}}, c.out);
    enforce_output_bound(c);
}

void ControlServer::enforce_output_bound(Connection& c) {
    if (c.pending() <= options_.max_output_bytes) return;
    flush(c);  // the client may be reading: give it the chance before judging
    if (c.closed || c.pending() <= options_.max_output_bytes) return;
    ++stats_.slow_client_disconnects;
    close_connection(c, "does not read: " + std::to_string(c.pending()) +
                            " bytes queued, limit " + std::to_string(options_.max_output_bytes));
}

void ControlServer::flush(Connection& c) {
    while (!c.closed && c.pending() > 0) {
        const ssize_t n =
            ::send(c.fd, c.out.data() + c.out_sent, c.pending(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) close_connection(c, "send: " + errno_text(errno));
            break;
        }
        c.out_sent += static_cast<size_t>(n);
    }
    if (c.closed) return;
    if (c.pending() == 0) {
        c.out.clear();
        c.out_sent = 0;
        if (c.out.capacity() > kKeepOutputCapacity) c.out.shrink_to_fit();
    } else if (c.out_sent > c.out.size() / 2) {
        // Keep appends cheap: drop the written half instead of growing forever.
        c.out.erase(c.out.begin(), c.out.begin() + static_cast<ptrdiff_t>(c.out_sent));
        c.out_sent = 0;
    }
}

void ControlServer::publish(const Event& event) {
    ++stats_.events_published;
    event_frame_.clear();
    encode(Message{0, EventPush{event}}, event_frame_);
    for (auto& c : connections_) {
        if (c->closed || !c->subscribed) continue;
        c->out.insert(c->out.end(), event_frame_.begin(), event_frame_.end());
        ++stats_.events_queued;
        enforce_output_bound(*c);
        if (!c->closed) flush(*c);
    }
    // A handler may publish from inside poll_once, where connections must stay in place.
    if (!polling_) remove_closed();
}

void ControlServer::close_connection(Connection& c, std::string_view why) {
    if (c.closed) return;
    c.closed = true;
    ::close(c.fd);
    c.fd = -1;
    wipe_bytes(c.in);
    ++stats_.disconnects;
    log("client " + std::to_string(c.id) + " (pid " + std::to_string(c.peer_pid) +
        ") disconnected: " + std::string(why));
}

void ControlServer::remove_closed() {
    std::erase_if(connections_, [](const auto& c) { return c->closed; });
}

}  // namespace msf::api
