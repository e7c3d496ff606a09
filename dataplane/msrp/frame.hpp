// MSRP framing (RFC 4975 §7.1, ABNF in §9), read incrementally from a byte stream.
//
//   msrp-request  = req-start headers [content-stuff] end-line
//   msrp-response = "MSRP" SP transact-id SP status-code [SP comment] CRLF headers end-line
//   req-start     = "MSRP" SP transact-id SP method CRLF
//   content-stuff = *(Other-Mime-header CRLF) CRLF data CRLF
//   end-line      = "-------" transact-id continuation-flag CRLF      ; flag "$" / "+" / "#"
//
// The body is opaque: it ends at the first "\r\n-------<transact-id>" followed by a flag and
// CRLF (RFC 4975 §6: the sender picks a transaction id that does not occur in the body), so body
// bytes that merely look like an end-line of another transaction never end it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace msf::msrp {

// Bounds on what one connection may make the relay hold (configurable, msf-msrpd --help).
struct Limits {
    size_t max_header_bytes = 16 * 1024;            // start line + header lines
    size_t max_chunk_size = 2 * 1024 * 1024;        // body bytes of one request
    uint64_t max_message_size = 16 * 1024 * 1024;   // body bytes of all chunks of one Message-ID
    uint32_t max_chunks_per_message = 4096;
    uint32_t max_open_messages = 32;                // chunked messages in progress per direction
};

inline constexpr size_t kMaxHeaderFields = 64;
inline constexpr size_t kEndLineDashes = 7;

enum class FrameError : uint8_t {
    bad_start_line,
    bad_transaction_id,
    bad_method,
    bad_status,
    header_too_long,
    bad_header,
    too_many_headers,
    missing_path,
    duplicate_header,
    missing_message_id,
    bad_byte_range,
    chunk_too_large,
    bad_end_line,
    message_too_large,
    too_many_chunks,
    too_many_open_messages,
};

struct FrameErrorInfo {
    FrameError error;
    std::string_view name;  // in logs and tests
};

// The one table of frame errors.
inline constexpr std::array<FrameErrorInfo, 16> kFrameErrors = {{
    {FrameError::bad_start_line, "bad_start_line"},
    {FrameError::bad_transaction_id, "bad_transaction_id"},
    {FrameError::bad_method, "bad_method"},
    {FrameError::bad_status, "bad_status"},
    {FrameError::header_too_long, "header_too_long"},
    {FrameError::bad_header, "bad_header"},
    {FrameError::too_many_headers, "too_many_headers"},
    {FrameError::missing_path, "missing_path"},
    {FrameError::duplicate_header, "duplicate_header"},
    {FrameError::missing_message_id, "missing_message_id"},
    {FrameError::bad_byte_range, "bad_byte_range"},
    {FrameError::chunk_too_large, "chunk_too_large"},
    {FrameError::bad_end_line, "bad_end_line"},
    {FrameError::message_too_large, "message_too_large"},
    {FrameError::too_many_chunks, "too_many_chunks"},
    {FrameError::too_many_open_messages, "too_many_open_messages"},
}};

std::string_view frame_error_name(FrameError error);

enum class FrameKind : uint8_t { request, response };

// RFC 4975 §7.1.1: Byte-Range = range-start "-" range-end "/" total; "*" for an unknown end
// or total.
struct ByteRange {
    uint64_t start = 1;
    std::optional<uint64_t> end;
    std::optional<uint64_t> total;
    bool operator==(const ByteRange&) const = default;
};

struct HeaderField {
    std::string_view name;
    std::string_view value;  // without the SP after the colon and without the CRLF
};

// A complete frame. Every view points into the stream given to FrameParser::parse and is valid
// as long as those bytes are.
struct Frame {
    FrameKind kind = FrameKind::request;
    std::string_view transaction_id;
    std::string_view method;     // request
    uint16_t status = 0;         // response
    std::string_view comment;    // response, may be empty
    std::vector<HeaderField> headers;  // in order, the start line and any MIME headers excluded
    size_t to_path = 0;                // index into headers
    size_t from_path = 0;              // index into headers
    std::string_view message_id;       // empty when absent
    std::optional<ByteRange> byte_range;
    std::string_view body;             // the data, without the CRLF before the end-line
    bool has_body = false;             // content-stuff present (the body may still be empty)
    char continuation = '$';           // '$' complete, '+' more chunks follow, '#' aborted
    size_t length = 0;                 // bytes of the whole frame, end-line CRLF included
};

struct ParseResult {
    enum class State : uint8_t { need_more, complete, invalid } state = State::need_more;
    Frame frame;                  // complete
    FrameError error{};           // invalid
    std::string detail;           // invalid: what was wrong, for the log line
};

// Reads one frame after another from a byte stream. Call parse() with the bytes received so far
// that start at the first byte of the next frame; after `complete`, drop frame.length bytes from
// the front of the stream and call parse() again for the next frame. Work already done on a
// partial frame is remembered, so feeding a stream one byte at a time costs linear time.
// After `invalid` the stream cannot be resynchronised: close the connection.
class FrameParser {
public:
    explicit FrameParser(const Limits& limits) : limits_(limits) {}

    ParseResult parse(std::string_view stream);
    void reset();

private:
    ParseResult invalid(FrameError error, std::string detail);
    ParseResult finish(std::string_view stream, ParseResult header_block, size_t body_end, char flag,
                       size_t length);

    Limits limits_;
    // Progress through the current frame.
    size_t line_start_ = 0;        // next header line to look at
    std::string transaction_id_;   // known once the start line is complete
    std::string end_pattern_;      // "\r\n-------" transaction-id
    std::optional<size_t> header_end_;  // first byte after the header lines
    size_t body_start_ = 0;        // when has_body_
    bool has_body_ = false;
    size_t search_from_ = 0;       // body bytes before this hold no end-line
};

// Parses the start line and header lines (`block` ends with the CRLF of the last header line).
// Exposed for tests and the fuzz target; FrameParser uses it.
ParseResult parse_header_block(std::string_view block);

// Parses a Byte-Range value; nullopt when it does not follow RFC 4975 §9.
std::optional<ByteRange> parse_byte_range(std::string_view value);

// Follows the chunks of SEND requests per Message-ID in one direction of one connection, and
// enforces the message-size, chunk-count and open-message limits (RFC 4975 §7.1.1 chunking).
class MessageTracker {
public:
    explicit MessageTracker(const Limits& limits) : limits_(limits) {}

    // nullopt when the frame is within the limits, otherwise the error (close the connection).
    std::optional<FrameError> add(const Frame& frame);
    size_t open_messages() const { return open_.size(); }

private:
    struct Progress {
        uint64_t bytes = 0;
        uint32_t chunks = 0;
    };
    Limits limits_;
    std::unordered_map<std::string, Progress> open_;
};

// Appends `frame` (whose bytes are `bytes`) to `out` with the values of To-Path and From-Path
// replaced; every other byte is copied as it is.
void append_with_paths(std::string& out, std::string_view bytes, const Frame& frame,
                       std::string_view to_path, std::string_view from_path);

}  // namespace msf::msrp
