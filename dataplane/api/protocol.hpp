// The control-socket protocol between msf-dataplane and its clients (msf-controld, msfctl),
// version 1. A message is a 12-byte header followed by a body, everything big-endian:
//
//   u32 total_length   header included, kHeaderSize..kMaxMessageSize
//   u16 type           MessageType
//   u16 flags          none defined in version 1: must be 0
//   u32 request_id     copied into the reply; 0 in server-pushed events
//
// Bodies are encoded field by field (integers big-endian, byte strings and strings as u32 length
// + bytes, vectors as u32 count + elements, endpoints as u8 family + 0/4/16 address bytes + u16
// port). Each decoder checks every length against both the bytes left and the field's limit, so
// nothing is allocated from an unchecked length. Encoding is canonical: a decoded message
// re-encodes to the same bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dataplane/api/types.hpp"

namespace msf::api {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxMessageSize = 1 << 20;   // total_length, header included
inline constexpr size_t kMaxListPage = 1024;          // sessions per session_list_reply
inline constexpr size_t kMaxNameLen = 128;            // client/server names, port and driver names
inline constexpr size_t kMaxResultMessageLen = 1024;  // text of result and error
inline constexpr size_t kMaxWorkers = 1024;           // entries of counters_reply.workers
inline constexpr size_t kMaxPorts = 1024;             // entries of counters/port_status replies

// Result and error codes, on the wire as u16.
enum class ResultCode : uint16_t {
    ok = 0,
    bad_message = 1,          // does not decode: truncated, overlong, bad value, trailing bytes
    unsupported_version = 2,  // hello with a version this side does not speak
    unknown_type = 3,         // a message type this side does not know
    not_found = 4,            // no session with that id
    already_exists = 5,       // session_add of an id in use
    invalid_argument = 6,     // decodes, but the request makes no sense (validate_session_spec)
    no_space = 7,             // session table full
    internal = 8,             // the server failed to answer
    unavailable = 9,          // client side only: not connected, connection lost, timed out
};
inline constexpr size_t kResultCodeCount = 10;

std::string_view result_code_name(ResultCode code);

struct Result {
    ResultCode code = ResultCode::ok;
    std::string message;  // empty on success; says what was wrong otherwise

    static Result success() { return {}; }
    static Result failure(ResultCode code, std::string message) { return {code, std::move(message)}; }
    bool ok() const { return code == ResultCode::ok; }
    bool operator==(const Result&) const = default;
};

// "not_found: no session 42", for logs and the CLI.
std::string to_string(const Result& result);

enum class MessageType : uint16_t {
    hello = 1,
    hello_reply = 2,
    result = 3,
    error = 4,
    session_add = 16,
    session_modify = 17,
    session_remove = 18,
    session_get = 19,
    session_info = 20,
    session_list = 21,
    session_list_reply = 22,
    counters = 32,
    counters_reply = 33,
    port_status = 34,
    port_status_reply = 35,
    subscribe_events = 48,
    event = 49,
};

// Who sends a message: a client request, the server's reply, or a server push.
enum class MessageRole : uint8_t { request, reply, push };

// ---- Bodies, one struct per message type ----

struct HelloRequest {
    static constexpr MessageType kType = MessageType::hello;
    uint32_t version = kProtocolVersion;
    std::string client_name;
    bool operator==(const HelloRequest&) const = default;
};

struct HelloReply {
    static constexpr MessageType kType = MessageType::hello_reply;
    uint32_t version = kProtocolVersion;
    std::string server_name;
    std::string server_build;
    uint32_t max_message_size = kMaxMessageSize;
    bool operator==(const HelloReply&) const = default;
};

// Answer to session_add/modify/remove and subscribe_events.
struct ResultReply {
    static constexpr MessageType kType = MessageType::result;
    Result result;
    bool operator==(const ResultReply&) const = default;
};

// Answer to anything the server could not answer as asked: undecodable, unknown, out of order.
struct ErrorReply {
    static constexpr MessageType kType = MessageType::error;
    Result error;
    bool operator==(const ErrorReply&) const = default;
};

struct SessionAddRequest {
    static constexpr MessageType kType = MessageType::session_add;
    SessionSpec spec;
    bool operator==(const SessionAddRequest&) const = default;
};

// Replaces the whole session spec, keys included (the control plane keeps them in its store).
struct SessionModifyRequest {
    static constexpr MessageType kType = MessageType::session_modify;
    SessionSpec spec;
    bool operator==(const SessionModifyRequest&) const = default;
};

struct SessionRemoveRequest {
    static constexpr MessageType kType = MessageType::session_remove;
    uint64_t session_id = 0;
    bool operator==(const SessionRemoveRequest&) const = default;
};

struct SessionGetRequest {
    static constexpr MessageType kType = MessageType::session_get;
    uint64_t session_id = 0;
    bool operator==(const SessionGetRequest&) const = default;
};

// Master key and salt are never on the wire in a session_info: the encoder leaves them out and
// the decoder leaves them empty. Suite, MKI and lifetime are carried.
struct SessionInfoReply {
    static constexpr MessageType kType = MessageType::session_info;
    SessionInfo info;
    bool operator==(const SessionInfoReply&) const = default;
};

// Sessions with id > after_id in id order, at most max_count (1..kMaxListPage) of them.
struct SessionListRequest {
    static constexpr MessageType kType = MessageType::session_list;
    uint64_t after_id = 0;
    uint32_t max_count = kMaxListPage;
    bool operator==(const SessionListRequest&) const = default;
};

struct SessionListReply {
    static constexpr MessageType kType = MessageType::session_list_reply;
    std::vector<SessionInfo> sessions;  // same rule on keys as session_info
    uint64_t next_after_id = 0;         // after_id of the next page; 0: this was the last page
    bool operator==(const SessionListReply&) const = default;
};

struct CountersRequest {
    static constexpr MessageType kType = MessageType::counters;
    bool operator==(const CountersRequest&) const = default;
};

// Sums over all workers and ports, so a client need not add them up.
struct CounterTotals {
    uint64_t rx_packets = 0, tx_packets = 0;
    uint64_t drops_overload = 0, drops_no_session = 0, drops_malformed = 0;
    uint64_t drops_fragment = 0, drops_checksum = 0, slow_path = 0;
    uint64_t port_rx_missed = 0, port_rx_errors = 0, port_tx_errors = 0, port_rx_nombuf = 0;
    bool operator==(const CounterTotals&) const = default;
};

CounterTotals sum_counters(std::span<const WorkerStats> workers, std::span<const PortStatus> ports);

struct CountersReply {
    static constexpr MessageType kType = MessageType::counters_reply;
    std::vector<WorkerStats> workers;
    std::vector<PortStatus> ports;
    uint64_t session_count = 0;
    CounterTotals totals;
    bool operator==(const CountersReply&) const = default;
};

struct PortStatusRequest {
    static constexpr MessageType kType = MessageType::port_status;
    bool operator==(const PortStatusRequest&) const = default;
};

struct PortStatusReply {
    static constexpr MessageType kType = MessageType::port_status_reply;
    std::vector<PortStatus> ports;
    bool operator==(const PortStatusReply&) const = default;
};

// Answered with a result; from then on the server pushes event messages (request_id 0).
struct SubscribeEventsRequest {
    static constexpr MessageType kType = MessageType::subscribe_events;
    bool operator==(const SubscribeEventsRequest&) const = default;
};

struct EventPush {
    static constexpr MessageType kType = MessageType::event;
    Event event;
    bool operator==(const EventPush&) const = default;
};

// ---- The message table: the one place that lists message types ----

struct MessageTypeInfo {
    MessageType type;
    std::string_view name;
    MessageRole role;
};

// Same order as the alternatives of MessageBody (checked in protocol.cpp).
inline constexpr std::array<MessageTypeInfo, 17> kMessageTypes = {{
    {MessageType::hello, "hello", MessageRole::request},
    {MessageType::hello_reply, "hello_reply", MessageRole::reply},
    {MessageType::result, "result", MessageRole::reply},
    {MessageType::error, "error", MessageRole::reply},
    {MessageType::session_add, "session_add", MessageRole::request},
    {MessageType::session_modify, "session_modify", MessageRole::request},
    {MessageType::session_remove, "session_remove", MessageRole::request},
    {MessageType::session_get, "session_get", MessageRole::request},
    {MessageType::session_info, "session_info", MessageRole::reply},
    {MessageType::session_list, "session_list", MessageRole::request},
    {MessageType::session_list_reply, "session_list_reply", MessageRole::reply},
    {MessageType::counters, "counters", MessageRole::request},
    {MessageType::counters_reply, "counters_reply", MessageRole::reply},
    {MessageType::port_status, "port_status", MessageRole::request},
    {MessageType::port_status_reply, "port_status_reply", MessageRole::reply},
    {MessageType::subscribe_events, "subscribe_events", MessageRole::request},
    {MessageType::event, "event", MessageRole::push},
}};
inline constexpr size_t kMessageTypeCount = kMessageTypes.size();

using MessageBody =
    std::variant<HelloRequest, HelloReply, ResultReply, ErrorReply, SessionAddRequest,
                 SessionModifyRequest, SessionRemoveRequest, SessionGetRequest, SessionInfoReply,
                 SessionListRequest, SessionListReply, CountersRequest, CountersReply,
                 PortStatusRequest, PortStatusReply, SubscribeEventsRequest, EventPush>;

// Position of a type in kMessageTypes (and in MessageBody); nullopt for an unknown raw value.
std::optional<size_t> message_type_index(uint16_t raw_type);
// "session_add", or "type 999" for an unknown raw value.
std::string message_type_name(uint16_t raw_type);
inline std::string_view message_type_name(MessageType type) {
    return kMessageTypes[*message_type_index(static_cast<uint16_t>(type))].name;
}

MessageType type_of(const MessageBody& body);

struct Message {
    uint32_t request_id = 0;
    MessageBody body;
    bool operator==(const Message&) const = default;
};

struct Header {
    uint32_t total_length = 0;
    uint16_t type = 0;  // raw: may be a type this side does not know
    uint16_t flags = 0;
    uint32_t request_id = 0;
    bool operator==(const Header&) const = default;
};

// ---- Encoding ----

// Appends header and body to `out`. Never fails; the caller checks the size against
// kMaxMessageSize before sending (the peer would reject the frame and close the connection).
void encode(const Message& message, std::vector<uint8_t>& out);
std::vector<uint8_t> encode(const Message& message);
// The body alone, without a header.
void encode_body(const MessageBody& body, std::vector<uint8_t>& out);
// encode_body(SessionAddRequest{spec}, out) without copying the spec and its keys.
void encode_session_add_body(const SessionSpec& spec, std::vector<uint8_t>& out);

// ---- Decoding ----

struct DecodeError {
    ResultCode code = ResultCode::bad_message;  // bad_message, unknown_type, unsupported_version
    std::string message;  // "session_add: from_ue.master_key: length 300 exceeds 32"
    bool operator==(const DecodeError&) const = default;
};

// A decoded value or the reason there is none.
template <class T>
class Decoded {
public:
    Decoded(T value) : state_(std::move(value)) {}             // NOLINT: implicit by design
    Decoded(DecodeError error) : state_(std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const DecodeError& error() const { return std::get<1>(state_); }

private:
    std::variant<T, DecodeError> state_;
};

// Where the next frame of a byte stream stands.
struct FrameCheck {
    enum class State : uint8_t { need_more, complete, invalid } state = State::need_more;
    size_t length = 0;   // complete: bytes of the frame
    std::string error;   // invalid: why the stream cannot be resynchronised
};

// Looks only at total_length: a frame is invalid when it is shorter than the header or longer
// than kMaxMessageSize; that is the one error after which a connection must close.
FrameCheck check_frame(std::span<const uint8_t> stream);

// The header of a frame (at least kHeaderSize bytes). Fails on a total_length that does not
// match the frame's size and on flags other than 0.
Decoded<Header> decode_header(std::span<const uint8_t> frame);
// The body of a message of `raw_type`: unknown_type for a type not in kMessageTypes,
// unsupported_version for a hello or hello_reply of another version, bad_message otherwise.
Decoded<MessageBody> decode_body(uint16_t raw_type, std::span<const uint8_t> body);
// A whole frame: header and body.
Decoded<Message> decode(std::span<const uint8_t> frame);

// ---- Meaning of a session spec (beyond what decoding checks) ----

// ok, or invalid_argument naming the first field that is wrong: id 0, missing local address,
// address families that differ within a leg, a port of 0 (or 65535 without rtcp_mux, which
// needs port + 1), a key or salt whose length is not the suite's, a replay window that is not a
// power of two in 64..1024, a missing core peer.
Result validate_session_spec(const SessionSpec& spec);

// Overwrites master keys and salts before they are freed.
void wipe_keys(SessionSpec& spec);
void wipe_bytes(std::span<uint8_t> bytes);

}  // namespace msf::api
