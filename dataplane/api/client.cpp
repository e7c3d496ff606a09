#include "dataplane/api/client.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>
#include <unordered_map>

namespace msf::api {

namespace {

constexpr size_t kReadChunk = 64 * 1024;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

int remaining_ms(int64_t deadline_ms) {
    return static_cast<int>(std::clamp<int64_t>(deadline_ms - now_ms(), 0, 1 << 30));
}

Result unavailable(std::string message) {
    return Result::failure(ResultCode::unavailable, std::move(message));
}

}  // namespace

ControlClient::~ControlClient() { close(); }

void ControlClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    in_.clear();
    in_start_ = in_end_ = 0;
    // Request ids start again on the next connection: nothing unanswered here will be answered.
    if (in_flight_) fail_in_flight(unavailable("connection closed"));
}

Result ControlClient::lost(std::string why) {
    Result result = unavailable(std::move(why));
    if (in_flight_) fail_in_flight(result);
    close();
    return result;
}

Result ControlClient::connect(const std::string& path) {
    close();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        return Result::failure(ResultCode::invalid_argument,
                               "control socket path must be 1.." +
                                   std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
    std::memcpy(addr.sun_path, path.data(), path.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return unavailable(std::string("socket(AF_UNIX): ") + std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        const int err = errno;
        ::close(fd);
        return unavailable("connect " + path + ": " + std::strerror(err));
    }
    fd_ = fd;
    closing_error_.clear();
    next_request_id_ = 1;
    events_.clear();
    return Result::success();
}

Result ControlClient::send_frame(std::span<const uint8_t> frame, int64_t deadline_ms) {
    size_t sent = 0;
    while (sent < frame.size()) {
        const ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<size_t>(n);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EPIPE || errno == ECONNRESET) return lost(closed_by_server());
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return lost(std::string("send: ") + std::strerror(errno));
        pollfd p{fd_, POLLOUT, 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline_ms));
        if (ready < 0 && errno != EINTR) return lost(std::string("poll: ") + std::strerror(errno));
        // A partly sent frame leaves the stream unusable: close rather than resynchronise.
        if (ready == 0) return lost("send timed out after " + std::to_string(timeout_ms_) + " ms");
    }
    return Result::success();
}

ControlClient::Wait ControlClient::receive(int64_t deadline_ms, Message* message, Result* failure) {
    for (;;) {
        const FrameCheck check = check_frame(unread());
        if (check.state == FrameCheck::State::invalid) {
            *failure = lost("server sent a bad frame: " + check.error);
            return Wait::failed;
        }
        if (check.state == FrameCheck::State::complete) {
            auto decoded = decode(unread().first(check.length));
            consume(check.length);
            if (!decoded) {
                // The frame was whole, so the stream is still in step: the connection stays.
                *failure = Result::failure(decoded.error().code,
                                           "reply does not decode: " + decoded.error().message);
                return Wait::failed;
            }
            // An error answering no request says why the server is about to close (framing
            // error, too many clients): kept for the message when the connection ends.
            if (const auto* error = std::get_if<ErrorReply>(&decoded->body); error && decoded->request_id == 0)
                closing_error_ = to_string(error->error);
            *message = std::move(*decoded);
            return Wait::message;
        }
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline_ms));
        if (ready < 0) {
            if (errno == EINTR) continue;
            *failure = lost(std::string("poll: ") + std::strerror(errno));
            return Wait::failed;
        }
        if (ready == 0) return Wait::timeout;
        const ssize_t n = recv_more();
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
            // A server that closes with our request unread resets the connection (ECONNRESET).
            *failure = lost(n == 0 || errno == ECONNRESET ? closed_by_server()
                                                           : std::string("recv: ") + std::strerror(errno));
            return Wait::failed;
        }
    }
}

void ControlClient::consume(size_t length) {
    in_start_ += length;
    if (in_start_ == in_end_) in_start_ = in_end_ = 0;
}

ssize_t ControlClient::recv_more() {
    // Replies already taken leave the buffer here, once per read: erasing each as it was taken
    // moved the rest of a 64 KiB read per reply (5% of msf-controld's time per install).
    if (in_start_ > 0) {
        std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
        in_end_ -= in_start_;
        in_start_ = 0;
    }
    // in_ only grows, so the vector zero-fills new room once, not 64 KiB per read.
    if (in_.size() < in_end_ + kReadChunk) in_.resize(in_end_ + kReadChunk);
    const ssize_t n = ::recv(fd_, in_.data() + in_end_, kReadChunk, MSG_DONTWAIT);
    if (n > 0) in_end_ += static_cast<size_t>(n);
    return n;
}

std::string ControlClient::closed_by_server() {
    // The server may have said why before closing (too many clients, framing error): look for
    // an error answering no request among the bytes still unread.
    for (;;) {
        const ssize_t n = recv_more();
        if (n <= 0) break;
    }
    for (;;) {
        const FrameCheck check = check_frame(unread());
        if (check.state != FrameCheck::State::complete) break;
        auto decoded = decode(unread().first(check.length));
        consume(check.length);
        if (!decoded) continue;
        if (const auto* error = std::get_if<ErrorReply>(&decoded->body); error && decoded->request_id == 0)
            closing_error_ = to_string(error->error);
        else if (const auto* event = std::get_if<EventPush>(&decoded->body))
            queue_event(event->event);
    }
    std::string why = "connection closed by the server";
    if (!closing_error_.empty()) why += " (" + closing_error_ + ")";
    return why;
}

void ControlClient::queue_event(const Event& event) {
    if (events_.size() >= kMaxQueuedEvents) {
        events_.pop_front();
        ++events_dropped_;
    }
    events_.push_back(event);
}

Response<MessageBody> ControlClient::request(MessageBody body) {
    Response<MessageBody> out;
    const std::string_view name = kMessageTypes[body.index()].name;
    if (fd_ < 0) {
        out.status = unavailable(std::string(name) + ": not connected");
        return out;
    }
    const uint32_t id = next_request_id_++;
    if (next_request_id_ == 0) next_request_id_ = 1;  // 0 is for pushed events
    Message message{id, std::move(body)};
    std::vector<uint8_t> frame = encode(message);
    // Our copy of any keys is no longer needed once encoded.
    if (auto* add = std::get_if<SessionAddRequest>(&message.body)) wipe_keys(add->spec);
    if (auto* mod = std::get_if<SessionModifyRequest>(&message.body)) wipe_keys(mod->spec);
    if (frame.size() > kMaxMessageSize) {
        out.status = Result::failure(ResultCode::invalid_argument,
                                     std::string(name) + " of " + std::to_string(frame.size()) +
                                         " bytes exceeds the " + std::to_string(kMaxMessageSize) +
                                         "-byte message limit");
        wipe_bytes(frame);
        return out;
    }
    const int64_t deadline = now_ms() + timeout_ms_;
    out.status = send_frame(frame, deadline);
    wipe_bytes(frame);  // a session_add carries keys
    if (!out.ok()) return out;

    for (;;) {
        Message message;
        switch (receive(deadline, &message, &out.status)) {
        case Wait::failed:
            return out;
        case Wait::timeout:
            // The connection stays; a late reply is recognised by its request_id and skipped.
            out.status = unavailable("no reply to " + std::string(name) + " within " +
                                     std::to_string(timeout_ms_) + " ms");
            return out;
        case Wait::message:
            if (message.request_id == id) {
                out.value = std::move(message.body);
                return out;
            }
            if (take_in_flight_reply(message)) break;
            if (auto* event = std::get_if<EventPush>(&message.body); event && message.request_id == 0)
                queue_event(event->event);
            // Anything else answers an earlier request that timed out: skip it.
            break;
        }
    }
}

bool ControlClient::read_available(Result* failure) {
    for (;;) {
        const ssize_t n = recv_more();
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        *failure = lost(n == 0 || errno == ECONNRESET ? closed_by_server()
                                                       : std::string("recv: ") + std::strerror(errno));
        return false;
    }
}

std::vector<Response<MessageBody>> ControlClient::request_many(std::vector<MessageBody> bodies) {
    const size_t count = bodies.size();
    if (Result sent = send_many(std::move(bodies)); !sent.ok())
        return std::vector<Response<MessageBody>>(count, Response<MessageBody>{sent, {}});
    return collect_many();
}

Result ControlClient::send_many(std::vector<MessageBody> bodies) {
    if (in_flight_) {
        for (MessageBody& body : bodies) {
            if (auto* add = std::get_if<SessionAddRequest>(&body)) wipe_keys(add->spec);
            if (auto* mod = std::get_if<SessionModifyRequest>(&body)) wipe_keys(mod->spec);
        }
        return Result::failure(ResultCode::invalid_argument,
                               "an exchange of " + std::to_string(in_flight_->out.size()) +
                                   " pipelined requests is in flight on this connection");
    }
    in_flight_.emplace();
    in_flight_->out.resize(bodies.size());
    in_flight_->bodies = std::move(bodies);
    if (!in_flight_->bodies.empty()) send_window();
    return Result::success();
}

std::vector<Response<MessageBody>> ControlClient::collect_many() {
    if (!in_flight_) return {};
    for (;;) {
        collect_window();
        if (in_flight_->next >= in_flight_->bodies.size()) break;
        send_window();
    }
    std::vector<Response<MessageBody>> out = std::move(in_flight_->out);
    in_flight_.reset();
    return out;
}

bool ControlClient::in_flight_answered() {
    if (!in_flight_) return true;
    InFlight& f = *in_flight_;
    Result failure;
    while (!f.waiting.empty() && fd_ >= 0) {
        Message message;
        const Wait wait = receive(now_ms(), &message, &failure);  // a deadline of now: no waiting
        if (wait == Wait::timeout) break;
        if (wait == Wait::failed) {
            if (fd_ >= 0) fail_oldest_in_flight(failure);
            continue;
        }
        if (take_in_flight_reply(message)) continue;
        if (auto* event = std::get_if<EventPush>(&message.body); event && message.request_id == 0)
            queue_event(event->event);
    }
    // Unsent windows go out (or fail at once, without a connection) in collect_many.
    return f.waiting.empty() && (f.next >= f.bodies.size() || fd_ < 0);
}

bool ControlClient::take_in_flight_reply(Message& message) {
    if (!in_flight_ || message.request_id == 0) return false;
    const auto it = in_flight_->waiting.find(message.request_id);
    if (it == in_flight_->waiting.end()) return false;
    in_flight_->out[it->second].value = std::move(message.body);
    in_flight_->waiting.erase(it);
    return true;
}

void ControlClient::fail_in_flight(const Result& why) {
    for (const auto& [id, index] : in_flight_->waiting) in_flight_->out[index].status = why;
    in_flight_->waiting.clear();
}

void ControlClient::fail_oldest_in_flight(const Result& why) {
    auto& waiting = in_flight_->waiting;
    if (waiting.empty()) return;
    const auto oldest = std::min_element(waiting.begin(), waiting.end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
    in_flight_->out[oldest->second].status = why;
    waiting.erase(oldest);
}

void ControlClient::send_window() {
    InFlight& f = *in_flight_;
    const size_t first = f.next;
    const size_t count = std::min(kMaxPipelined, f.bodies.size() - first);
    f.next = first + count;
    f.window = count;
    // Every request of the window goes into one buffer, sent with as few write()s as the socket
    // allows; request_id -> index of the reply in `out`.
    std::vector<uint8_t> frames;
    f.waiting.clear();
    f.waiting.reserve(count);
    for (size_t i = first; i < first + count; ++i) {
        const std::string_view name = kMessageTypes[f.bodies[i].index()].name;
        if (fd_ < 0) {
            f.out[i].status = unavailable(std::string(name) + ": not connected");
            // Never sent: the keys go all the same.
            if (auto* add = std::get_if<SessionAddRequest>(&f.bodies[i])) wipe_keys(add->spec);
            if (auto* mod = std::get_if<SessionModifyRequest>(&f.bodies[i])) wipe_keys(mod->spec);
            continue;
        }
        const uint32_t id = next_request_id_++;
        if (next_request_id_ == 0) next_request_id_ = 1;  // 0 is for pushed events
        Message message{id, std::move(f.bodies[i])};
        const size_t start = frames.size();
        encode(message, frames);
        // Our copy of any keys is no longer needed once encoded.
        if (auto* add = std::get_if<SessionAddRequest>(&message.body)) wipe_keys(add->spec);
        if (auto* mod = std::get_if<SessionModifyRequest>(&message.body)) wipe_keys(mod->spec);
        const size_t size = frames.size() - start;
        if (size > kMaxMessageSize) {
            wipe_bytes(std::span<uint8_t>(frames).subspan(start));
            frames.resize(start);
            f.out[i].status = Result::failure(ResultCode::invalid_argument,
                                              std::string(name) + " of " + std::to_string(size) +
                                                  " bytes exceeds the " + std::to_string(kMaxMessageSize) +
                                                  "-byte message limit");
            continue;
        }
        f.waiting.emplace(id, i);
    }
    if (f.waiting.empty()) return;

    f.deadline_ms = now_ms() + timeout_ms_;
    // Send, reading answers meanwhile so that neither side can stall on a full socket buffer.
    // A lost connection fails every waiting request (lost()).
    size_t sent = 0;
    Result failure;
    while (sent < frames.size()) {
        const ssize_t n = ::send(fd_, frames.data() + sent, frames.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<size_t>(n);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EPIPE || errno == ECONNRESET) {
            lost(closed_by_server());
            break;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            lost(std::string("send: ") + std::strerror(errno));
            break;
        }
        pollfd p{fd_, POLLIN | POLLOUT, 0};
        const int ready = ::poll(&p, 1, remaining_ms(f.deadline_ms));
        if (ready < 0 && errno != EINTR) {
            lost(std::string("poll: ") + std::strerror(errno));
            break;
        }
        // A partly sent frame leaves the stream unusable: close rather than resynchronise.
        if (ready == 0) {
            lost("send timed out after " + std::to_string(timeout_ms_) + " ms");
            break;
        }
        if (ready > 0 && (p.revents & POLLIN) && !read_available(&failure)) break;
    }
    wipe_bytes(frames);  // session_add carries keys
    // Lost while sending: what was not answered yet (lost() drops unread input) never will be.
    if (fd_ < 0) fail_in_flight(unavailable("connection lost"));
}

void ControlClient::collect_window() {
    InFlight& f = *in_flight_;
    Result failure;
    while (!f.waiting.empty()) {
        if (fd_ < 0) {
            fail_in_flight(unavailable("connection lost"));
            return;
        }
        Message message;
        switch (receive(f.deadline_ms, &message, &failure)) {
        case Wait::failed:
            // Lost: lost() failed every waiting request. Else a whole reply that does not decode.
            if (fd_ >= 0) fail_oldest_in_flight(failure);
            break;
        case Wait::timeout:
            // The connection stays; late replies are recognised by their request_id and skipped.
            fail_in_flight(unavailable("no reply to " + std::to_string(f.waiting.size()) + " of " +
                                       std::to_string(f.window) + " pipelined requests within " +
                                       std::to_string(timeout_ms_) + " ms"));
            return;
        case Wait::message:
            if (take_in_flight_reply(message)) break;
            if (auto* event = std::get_if<EventPush>(&message.body); event && message.request_id == 0)
                queue_event(event->event);
            // Anything else answers an earlier request that timed out: skip it.
            break;
        }
    }
}

std::vector<Result> ControlClient::add_sessions(std::span<const SessionSpec> specs) {
    if (Result sent = send_add_sessions(specs); !sent.ok()) return std::vector<Result>(specs.size(), sent);
    return collect_add_sessions();
}

Result ControlClient::send_add_sessions(std::span<const SessionSpec> specs) {
    std::vector<MessageBody> bodies;
    bodies.reserve(specs.size());
    for (const SessionSpec& spec : specs) bodies.emplace_back(SessionAddRequest{spec});
    return send_many(std::move(bodies));
}

std::vector<Result> ControlClient::collect_add_sessions() {
    std::vector<Response<MessageBody>> replies = collect_many();
    std::vector<Result> out;
    out.reserve(replies.size());
    for (Response<MessageBody>& reply : replies) out.push_back(expect_result(std::move(reply), "session_add"));
    return out;
}

std::vector<Result> ControlClient::remove_sessions(std::span<const uint64_t> session_ids) {
    std::vector<MessageBody> bodies;
    bodies.reserve(session_ids.size());
    for (uint64_t id : session_ids) bodies.emplace_back(SessionRemoveRequest{id});
    std::vector<Response<MessageBody>> replies = request_many(std::move(bodies));
    std::vector<Result> out;
    out.reserve(replies.size());
    for (Response<MessageBody>& reply : replies) out.push_back(expect_result(std::move(reply), "session_remove"));
    return out;
}

std::vector<Response<SessionInfo>> ControlClient::get_sessions(std::span<const uint64_t> session_ids) {
    std::vector<MessageBody> bodies;
    bodies.reserve(session_ids.size());
    for (uint64_t id : session_ids) bodies.emplace_back(SessionGetRequest{id});
    std::vector<Response<MessageBody>> replies = request_many(std::move(bodies));
    std::vector<Response<SessionInfo>> out;
    out.reserve(replies.size());
    for (Response<MessageBody>& reply : replies) {
        auto info = expect_body<SessionInfoReply>(std::move(reply), "session_get");
        out.push_back({std::move(info.status), std::move(info.value.info)});
    }
    return out;
}

Result ControlClient::reply_status(const MessageBody& reply) {
    if (const auto* error = std::get_if<ErrorReply>(&reply)) return error->error;
    if (const auto* result = std::get_if<ResultReply>(&reply)) return result->result;
    return Result::success();
}

template <class Body>
Response<Body> ControlClient::expect_body(Response<MessageBody> reply, std::string_view request_name) {
    Response<Body> out;
    if (!reply.ok()) {
        out.status = std::move(reply.status);
        return out;
    }
    if (auto* body = std::get_if<Body>(&reply.value)) {
        out.value = std::move(*body);
        return out;
    }
    out.status = reply_status(reply.value);
    if (out.ok())
        out.status = Result::failure(ResultCode::bad_message,
                                     std::string(kMessageTypes[reply.value.index()].name) +
                                         " is no answer to " + std::string(request_name));
    return out;
}

Result ControlClient::expect_result(Response<MessageBody> reply, std::string_view request_name) {
    if (!reply.ok()) return std::move(reply.status);
    if (std::holds_alternative<ResultReply>(reply.value) ||
        std::holds_alternative<ErrorReply>(reply.value))
        return reply_status(reply.value);
    return Result::failure(ResultCode::bad_message,
                           std::string(kMessageTypes[reply.value.index()].name) +
                               " is no answer to " + std::string(request_name));
}

Result ControlClient::hello(std::string_view client_name) {
    auto reply = expect_body<HelloReply>(
        request(HelloRequest{kProtocolVersion, std::string(client_name)}), "hello");
    if (reply.ok()) server_ = std::move(reply.value);
    return reply.status;
}

Result ControlClient::add_session(const SessionSpec& spec) {
    return expect_result(request(SessionAddRequest{spec}), "session_add");
}

Result ControlClient::modify_session(const SessionSpec& spec) {
    return expect_result(request(SessionModifyRequest{spec}), "session_modify");
}

Result ControlClient::remove_session(uint64_t session_id) {
    return expect_result(request(SessionRemoveRequest{session_id}), "session_remove");
}

Response<SessionInfo> ControlClient::get_session(uint64_t session_id) {
    auto reply = expect_body<SessionInfoReply>(request(SessionGetRequest{session_id}), "session_get");
    return {std::move(reply.status), std::move(reply.value.info)};
}

Response<SessionListReply> ControlClient::list_sessions(uint64_t after_id, uint32_t max_count) {
    return expect_body<SessionListReply>(request(SessionListRequest{after_id, max_count}),
                                         "session_list");
}

Response<std::vector<SessionInfo>> ControlClient::list_all() {
    Response<std::vector<SessionInfo>> out;
    uint64_t after = 0;
    for (;;) {
        auto page = list_sessions(after, kMaxListPage);
        if (!page.ok()) {
            out.status = std::move(page.status);
            out.value.clear();
            return out;
        }
        std::move(page.value.sessions.begin(), page.value.sessions.end(),
                  std::back_inserter(out.value));
        if (page.value.next_after_id == 0) return out;
        // A server that does not move forward would keep us here for ever.
        if (page.value.next_after_id <= after) {
            out.status = Result::failure(ResultCode::bad_message,
                                         "session_list_reply: next_after_id " +
                                             std::to_string(page.value.next_after_id) +
                                             " does not advance past " + std::to_string(after));
            out.value.clear();
            return out;
        }
        after = page.value.next_after_id;
    }
}

Response<CountersReply> ControlClient::counters() {
    return expect_body<CountersReply>(request(CountersRequest{}), "counters");
}

Response<std::vector<PortStatus>> ControlClient::port_status() {
    auto reply = expect_body<PortStatusReply>(request(PortStatusRequest{}), "port_status");
    return {std::move(reply.status), std::move(reply.value.ports)};
}

Result ControlClient::subscribe_events() {
    return expect_result(request(SubscribeEventsRequest{}), "subscribe_events");
}

Response<std::optional<Event>> ControlClient::next_event(int timeout_ms) {
    Response<std::optional<Event>> out;
    if (!events_.empty()) {
        out.value = events_.front();
        events_.pop_front();
        return out;
    }
    if (fd_ < 0) {
        out.status = unavailable("next_event: not connected");
        return out;
    }
    const int64_t deadline = now_ms() + std::max(timeout_ms, 0);
    for (;;) {
        Message message;
        switch (receive(deadline, &message, &out.status)) {
        case Wait::failed:
            return out;
        case Wait::timeout:
            return out;  // ok, no event
        case Wait::message:
            if (auto* event = std::get_if<EventPush>(&message.body)) {
                out.value = event->event;
                return out;
            }
            take_in_flight_reply(message);  // else a late reply to a request that timed out
            break;
        }
    }
}

}  // namespace msf::api
