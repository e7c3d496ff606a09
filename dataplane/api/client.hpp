// A blocking client of the control socket (msfctl, msf-controld, tests). One request at a time,
// or a pipelined batch (request_many: msf-controld's group installs and removals, or its two
// halves send_many and collect_many); each waits at most the client's timeout. Errors are
// values: a Result, or a Response whose status says why there is no value. Transport failures
// (not connected, timed out, connection lost) come back as ResultCode::unavailable; a reply that
// does not decode as bad_message.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/api/protocol.hpp"
#include "dataplane/api/types.hpp"

namespace msf::api {

template <class T>
struct Response {
    Result status;
    T value{};  // meaningful only when status.ok()
    bool ok() const { return status.ok(); }
};

class ControlClient {
public:
    static constexpr int kDefaultTimeoutMs = 5000;
    // Events received but not yet taken with next_event(); older ones are dropped beyond this.
    static constexpr size_t kMaxQueuedEvents = 65536;

    explicit ControlClient(int timeout_ms = kDefaultTimeoutMs) : timeout_ms_(timeout_ms) {}
    ~ControlClient();
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;

    Result connect(const std::string& path);
    void close();
    bool connected() const { return fd_ >= 0; }
    void set_timeout_ms(int timeout_ms) { timeout_ms_ = timeout_ms; }

    // Must come first on a connection. unsupported_version if the server speaks another version.
    Result hello(std::string_view client_name);
    const HelloReply& server() const { return server_; }  // valid after hello()

    Result add_session(const SessionSpec& spec);
    Result modify_session(const SessionSpec& spec);
    Result remove_session(uint64_t session_id);
    Response<SessionInfo> get_session(uint64_t session_id);  // not_found if there is none
    Response<SessionListReply> list_sessions(uint64_t after_id, uint32_t max_count = kMaxListPage);
    // Every session, page by page.
    Response<std::vector<SessionInfo>> list_all();
    Response<CountersReply> counters();
    Response<std::vector<PortStatus>> port_status();
    Result subscribe_events();
    // The next pushed event: a value, or nullopt if none came within timeout_ms.
    Response<std::optional<Event>> next_event(int timeout_ms);
    size_t events_dropped() const { return events_dropped_; }

    // Sends any message and waits for the reply with its request_id (events that arrive
    // meanwhile are queued). The reply may be an error message: see reply_status().
    Response<MessageBody> request(MessageBody body);

    // Pipelining: at most this many requests are in flight at once. The server answers every
    // whole frame it reads, in order, and closes a client with more than its max_output_bytes
    // (8 MiB) of answers queued; 1024 of the largest common answer (session_info, under 1 KiB)
    // stay far below that even when we are slow to read.
    static constexpr size_t kMaxPipelined = 1024;
    // Sends every request before reading any answer (kMaxPipelined at a time, few write()s)
    // and returns the replies in the order of `bodies`, each as request() would. The whole
    // exchange shares one deadline of timeout_ms: requests unanswered by then, or when the
    // connection is lost, are unavailable. Keys are wiped from the bodies once encoded.
    std::vector<Response<MessageBody>> request_many(std::vector<MessageBody> bodies);
    // request_many in two halves, so that the caller can work while the server answers (issue 4:
    // msf-controld plans the next AARs while msf-dataplane installs the last batch). send_many
    // sends the first window now, as request_many does, and returns without waiting for its
    // replies; collect_many waits for them (the deadline counts from the send), exchanges any
    // further windows, and returns what request_many would have. One exchange at a time:
    // send_many while one is in flight is invalid_argument and sends nothing (the bodies' keys
    // are wiped); per-request failures come from collect_many. Replies to the exchange that
    // arrive while the caller makes other requests on this client are kept for it; closing or
    // losing the connection fails what is unanswered as unavailable.
    Result send_many(std::vector<MessageBody> bodies);
    std::vector<Response<MessageBody>> collect_many();
    bool exchange_in_flight() const { return in_flight_.has_value(); }
    // Reads what the socket holds now, without waiting; true when collect_many() would not wait
    // for the server (every reply of the sent window is in, or the connection is gone).
    bool in_flight_answered();
    // The connected socket (-1 when not connected), for an event loop to wait on while an
    // exchange is in flight. Not to be read or written by anyone but this client.
    int fd() const { return fd_; }
    // session_add / session_remove for many streams: one Result per element, in order.
    std::vector<Result> add_sessions(std::span<const SessionSpec> specs);
    // add_sessions in two halves (send_many, collect_many).
    Result send_add_sessions(std::span<const SessionSpec> specs);
    std::vector<Result> collect_add_sessions();
    std::vector<Result> remove_sessions(std::span<const uint64_t> session_ids);
    std::vector<Response<SessionInfo>> get_sessions(std::span<const uint64_t> session_ids);
    // The status an error or result reply carries; ok for any other reply.
    static Result reply_status(const MessageBody& reply);

private:
    enum class Wait : uint8_t { message, timeout, failed };

    // The exchange of send_many, until collect_many returns it. No member initialisers:
    // std::optional<InFlight> in this class would not be default-constructible to clang
    // (value-initialised by emplace(), so the numbers start at 0).
    struct InFlight {
        std::vector<MessageBody> bodies;  // those from `next` on are not sent yet
        size_t next;
        size_t window;  // requests in the window being answered
        std::vector<Response<MessageBody>> out;
        std::unordered_map<uint32_t, size_t> waiting;  // request_id -> index into out
        int64_t deadline_ms;
    };

    Result send_frame(std::span<const uint8_t> frame, int64_t deadline_ms);
    // Encodes and sends the next window (at most kMaxPipelined bodies) of the exchange in flight,
    // reading answers meanwhile; its replies are then awaited in in_flight_->waiting.
    void send_window();
    // Waits for the replies of the window sent last (until its deadline).
    void collect_window();
    // A reply or event read while an exchange is in flight: true if it answered the exchange.
    bool take_in_flight_reply(Message& message);
    // Every request of the exchange still waiting gets `why`.
    void fail_in_flight(const Result& why);
    // A whole reply that did not decode: the server answers in order, so it belongs to the
    // oldest request still waiting.
    void fail_oldest_in_flight(const Result& why);
    // The bytes read and not yet taken as messages; consume() takes the first `length`.
    std::span<const uint8_t> unread() const {
        return std::span<const uint8_t>(in_).subspan(in_start_, in_end_ - in_start_);
    }
    void consume(size_t length);
    // One recv (MSG_DONTWAIT) of up to kReadChunk bytes appended to the unread bytes: recv's
    // return value.
    ssize_t recv_more();
    // Reads whatever is readable now into in_ without waiting; false if the link was lost.
    bool read_available(Result* failure);
    // Reads until one whole message is buffered; the message is left in *message.
    Wait receive(int64_t deadline_ms, Message* message, Result* failure);
    Result lost(std::string why);
    std::string closed_by_server();
    void queue_event(const Event& event);
    // The reply as the body type a request expects, or the status of an error reply.
    template <class Body>
    Response<Body> expect_body(Response<MessageBody> reply, std::string_view request_name);
    Result expect_result(Response<MessageBody> reply, std::string_view request_name);

    int fd_ = -1;
    int timeout_ms_;
    uint32_t next_request_id_ = 1;
    std::vector<uint8_t> in_;  // room for reads; in_[in_start_, in_end_) is read and not yet taken
    size_t in_start_ = 0;
    size_t in_end_ = 0;
    std::deque<Event> events_;
    size_t events_dropped_ = 0;
    std::string closing_error_;  // an unsolicited error from the server, for the close message
    HelloReply server_;
    std::optional<InFlight> in_flight_;
};

}  // namespace msf::api
