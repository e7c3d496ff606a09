// The CLI protocol between msf-controld and msfctl: newline-delimited JSON (RFC 8259) over a
// Unix stream socket, one request line in, one response line out, in order. A connection may
// carry any number of requests; msfctl sends one.
//
// Request (a line at most kMaxRequestLine bytes, the newline not counted):
//   {"id": 7, "command": "sessions"|"session"|"keys"|"stats"|"peers"|"session_remove",
//    "session_id": "...", "reveal": false}
//   id          unsigned integer 0..2^53-1 (RFC 8259 §6: exact in every implementation); echoed
//   command     one of kCommands
//   session_id  required by session, keys and session_remove, refused elsewhere; 1..1024 bytes
//               of printable ASCII (the Diameter Session-Id of the session, RFC 6733 §8.8)
//   reveal      optional boolean, keys only: show master keys and salts (root only)
// Nothing else: an unknown or duplicated member, a value of the wrong type, or a request that
// is not one JSON object gets a bad_request response naming what is wrong.
//
// Response (one line):
//   {"id": 7, "ok": true, "result": {...}}
//   {"id": 7, "ok": false, "code": "bad_request"|"not_found"|"forbidden"|"unavailable"|"internal",
//    "error": "one clear line"}
// "id" is null when the request's id could not be read (not JSON, no valid id) and in the line a
// server sends before closing a connection it refuses (too many clients).
//
// Result objects, by command (msf-controld fills them, msfctl prints them; counters are
// unsigned integers, *_ms durations in milliseconds, addresses "ip:port" with IPv6 in brackets):
//
// sessions
//   {"sessions": [{"session_id", "peer", "streams": N, "media": ["audio", ...], "age_ms",
//     "packets_from_ue", "packets_to_ue", "auth_failures", "replays"}]}
// session
//   {"session_id", "peer", "realm", "created_unix_ms", "age_ms",
//    "streams": [{"component_number", "media_type", "dataplane_id", "rtcp_mux": bool,
//      "suite_from_ue", "suite_to_ue",
//      "access": {"local": "ip:port", "remote": "ip:port" or "", "latched": "ip:port" or ""},
//      "core": {"local", "remote"},
//      "counters": {"access": LEG, "core": LEG}}]}
//   LEG = {"packets_in", "bytes_in", "packets_out", "bytes_out", "auth_failures", "replays",
//          "unknown_source", "malformed", "other_drops", "last_seen_ms_ago" (null: never)}
// keys
//   {"session_id", "revealed": bool,
//    "streams": [{"component_number",
//      "from_ue": {"suite", "mki" (hex, "" for none), "lifetime" (packets, 0: RFC 3711 maximum),
//                  "fingerprint", "master_key", "master_salt"},
//      "to_ue": {the same members, "generated": bool (the MSF generated it, DESIGN.md)}}]}
//   "fingerprint" identifies a key without revealing it (the daemon's choice of digest, hex);
//   "master_key" and "master_salt" (hex) are present only when "revealed" is true. The server
//   removes them from any keys result the caller did not ask, and was not allowed, to reveal.
// stats
//   {"sessions": N,
//    "dataplane": {"connected": bool, "sessions": N,
//      "workers": [{"lcore", "rx_packets", "tx_packets", "drops_overload", "drops_no_session",
//                   "drops_malformed"}],
//      "ports": [{"port_id", "name", "link_up": bool, "rx_packets", "tx_packets", "rx_missed",
//                 "rx_errors", "tx_errors"}]},
//    "diameter": {"messages": [{"command": "AAR", "received", "sent", "errors"}]},
//    "store": {"path", "sessions"}}
// peers
//   {"peers": [{"identity", "realm", "address", "state", "connected_for_ms" (null: not
//     connected), "received", "sent", "last_watchdog_ms_ago" (null: none yet)}]}
// session_remove
//   {"session_id", "removed": true}
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

namespace msf::cli {

inline constexpr std::string_view kDefaultSocketPath = "/run/msf/controld.sock";
inline constexpr size_t kMaxRequestLine = 64 * 1024;        // bytes, the newline not counted
inline constexpr size_t kMaxResponseLine = 64u * 1024 * 1024;  // bytes, what a client accepts
inline constexpr size_t kMaxSessionIdLen = 1024;
inline constexpr uint64_t kMaxRequestId = (uint64_t{1} << 53) - 1;  // RFC 8259 §6
inline constexpr size_t kMaxErrorLen = 1024;  // text of "error", longer is cut
inline constexpr size_t kMaxResponseDepth = 32;  // nesting a client accepts in a response

enum class Command : uint8_t { sessions, session, keys, stats, peers, session_remove };

struct CommandInfo {
    Command command;
    std::string_view name;    // on the wire
    bool takes_session_id;    // "session_id" required (and refused by the other commands)
    bool may_reveal;          // "reveal" allowed
};

// The one table of commands: the parser, the server's statistics and msfctl read it.
inline constexpr std::array<CommandInfo, 6> kCommands = {{
    {Command::sessions, "sessions", false, false},
    {Command::session, "session", true, false},
    {Command::keys, "keys", true, true},
    {Command::stats, "stats", false, false},
    {Command::peers, "peers", false, false},
    {Command::session_remove, "session_remove", true, false},
}};
inline constexpr size_t kCommandCount = kCommands.size();

const CommandInfo& command_info(Command command);
std::optional<Command> command_by_name(std::string_view name);

enum class ResultCode : uint8_t { ok, bad_request, not_found, forbidden, unavailable, internal };

struct ResultCodeInfo {
    ResultCode code;
    std::string_view name;  // "code" on the wire; ok is "ok": true instead
};

inline constexpr std::array<ResultCodeInfo, 6> kResultCodes = {{
    {ResultCode::ok, "ok"},
    {ResultCode::bad_request, "bad_request"},  // the request does not parse or makes no sense
    {ResultCode::not_found, "not_found"},      // no session with that id
    {ResultCode::forbidden, "forbidden"},      // reveal from a caller that is not root
    {ResultCode::unavailable, "unavailable"},  // busy, shutting down, or (client side) no answer
    {ResultCode::internal, "internal"},        // the daemon failed to answer
}};

std::string_view result_code_name(ResultCode code);
std::optional<ResultCode> result_code_by_name(std::string_view name);

struct Request {
    uint64_t id = 0;
    Command command = Command::sessions;
    std::string session_id;  // empty unless the command takes one
    bool reveal = false;
    bool operator==(const Request&) const = default;
};

struct Response {
    ResultCode code = ResultCode::ok;
    nlohmann::json result = nlohmann::json::object();  // ok: the command's result object
    std::string error;                                 // otherwise: what went wrong, one line

    static Response success(nlohmann::json result) { return {ResultCode::ok, std::move(result), {}}; }
    static Response failure(ResultCode code, std::string error) {
        return {code, nlohmann::json::object(), std::move(error)};
    }
    bool ok() const { return code == ResultCode::ok; }
};

// A line that did not parse: what was wrong, and the request id when it could be read (so the
// error response can carry it).
struct ProtocolError {
    std::optional<uint64_t> id;
    std::string message;
    bool operator==(const ProtocolError&) const = default;
};

// A parsed value or the reason there is none.
template <class T>
class Parsed {
public:
    Parsed(T value) : state_(std::move(value)) {}                // NOLINT: implicit by design
    Parsed(ProtocolError error) : state_(std::move(error)) {}    // NOLINT: implicit by design

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const ProtocolError& error() const { return std::get<1>(state_); }

private:
    std::variant<T, ProtocolError> state_;
};

// One request line, without its newline. Never throws.
Parsed<Request> parse_request(std::string_view line);
// One line, newline included. The request must be valid (parse_request accepts the result).
std::string encode_request(const Request& request);

// Why a session id is not acceptable, or nullopt. The one rule for the server and msfctl.
std::optional<std::string> session_id_error(std::string_view session_id);

struct ResponseLine {
    std::optional<uint64_t> id;
    Response response;
};

// One response line, without its newline (client side). A result must be an object nested at
// most kMaxResponseDepth deep; an error needs a known code and a string. Never throws.
Parsed<ResponseLine> parse_response(std::string_view line);
// One line, newline included. Bytes that are not UTF-8 in strings become U+FFFD, so this never
// throws whatever a handler put in the result; "error" is cut to kMaxErrorLen.
std::string encode_response(std::optional<uint64_t> id, const Response& response);

// Text from outside (names, error lines) made safe for one line of a terminal or log: control
// characters become '?', and text longer than max_len is cut and ends in "...".
std::string printable_line(std::string_view text, size_t max_len);

}  // namespace msf::cli
