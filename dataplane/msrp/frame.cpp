#include "dataplane/msrp/frame.hpp"

#include <algorithm>
#include <charconv>

namespace msf::msrp {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kDashes = "-------";

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

// RFC 4975 §9: ident = ALPHANUM 3*31ident-char; ident-char = ALPHANUM / "." / "-" / "+" / "%" / "="
bool valid_transaction_id(std::string_view id) {
    if (id.size() < 4 || id.size() > 32 || !is_alnum(id.front())) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return is_alnum(c) || c == '.' || c == '-' || c == '+' || c == '%' || c == '=';
    });
}

// RFC 3261 §25.1 token characters (RFC 4975 §9 takes hname = ALPHA *token from it).
bool is_token_char(char c) {
    static constexpr std::string_view marks = "-.!%*_+`'~";
    return is_alnum(c) || marks.find(c) != std::string_view::npos;
}

// utf8text: no control characters but HTAB (UTF-8 itself is passed through unchecked: the relay
// copies it and the endpoints judge it).
bool valid_header_text(std::string_view text) {
    // Branch-free over the whole value (the compiler vectorises it): values are short and
    // almost always valid.
    unsigned bad = 0;
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        bad |= static_cast<unsigned>((b < 0x20 && b != '\t') || b == 0x7f);
    }
    return bad == 0;
}

bool equal_nocase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
               return fold(x) == fold(y);
           });
}

std::optional<uint64_t> to_number(std::string_view digits) {
    if (digits.empty() || digits.size() > 19 || !std::all_of(digits.begin(), digits.end(), is_digit))
        return std::nullopt;
    uint64_t value = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return value;
}

ParseResult make_invalid(FrameError error, std::string detail) {
    ParseResult result;
    result.state = ParseResult::State::invalid;
    result.error = error;
    result.detail = std::move(detail);
    return result;
}

bool is_flag(char c) { return c == '$' || c == '+' || c == '#'; }

}  // namespace

std::string_view frame_error_name(FrameError error) {
    for (const FrameErrorInfo& info : kFrameErrors)
        if (info.error == error) return info.name;
    return "unknown";
}

std::optional<ByteRange> parse_byte_range(std::string_view value) {
    const size_t dash = value.find('-');
    const size_t slash = value.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
        return std::nullopt;
    ByteRange range;
    const std::optional<uint64_t> start = to_number(value.substr(0, dash));
    if (!start || *start == 0) return std::nullopt;  // byte numbering starts at 1
    range.start = *start;
    const std::string_view end = value.substr(dash + 1, slash - dash - 1);
    if (end != "*") {
        range.end = to_number(end);
        if (!range.end || *range.end + 1 < range.start) return std::nullopt;
    }
    const std::string_view total = value.substr(slash + 1);
    if (total != "*") {
        range.total = to_number(total);
        if (!range.total) return std::nullopt;
        if (range.end && *range.end > *range.total) return std::nullopt;
        if (range.start > *range.total + 1) return std::nullopt;
    }
    return range;
}

ParseResult parse_header_block(std::string_view block) {
    ParseResult result;
    Frame& frame = result.frame;
    frame.headers.reserve(16);  // one allocation for the usual frame
    size_t line_start = 0;
    bool first = true;
    bool have_to = false;
    bool have_from = false;
    while (line_start < block.size()) {
        const size_t line_end = block.find(kCrlf, line_start);
        if (line_end == std::string_view::npos)
            return make_invalid(FrameError::bad_header, "header block does not end in CRLF");
        const std::string_view line = block.substr(line_start, line_end - line_start);
        line_start = line_end + kCrlf.size();
        // A bare CR or LF inside a line is a control character: the checks of the method, the
        // comment, header names and values below refuse it.
        if (first) {
            first = false;
            // "MSRP" SP transact-id SP (method / status-code [SP comment])
            if (line.substr(0, 5) != "MSRP ")
                return make_invalid(FrameError::bad_start_line, "does not start with \"MSRP \"");
            const std::string_view rest = line.substr(5);
            const size_t space = rest.find(' ');
            if (space == std::string_view::npos)
                return make_invalid(FrameError::bad_start_line, "no method or status");
            frame.transaction_id = rest.substr(0, space);
            if (!valid_transaction_id(frame.transaction_id))
                return make_invalid(FrameError::bad_transaction_id, "transaction id");
            const std::string_view what = rest.substr(space + 1);
            if (what.size() >= 3 && is_digit(what[0]) && is_digit(what[1]) && is_digit(what[2]) &&
                (what.size() == 3 || what[3] == ' ')) {
                frame.kind = FrameKind::response;
                frame.status = static_cast<uint16_t>((what[0] - '0') * 100 + (what[1] - '0') * 10 +
                                                     (what[2] - '0'));
                // RFC 4975 §10: codes 200..499 (and unknown ones of the same classes).
                if (frame.status < 100)
                    return make_invalid(FrameError::bad_status, "status code below 100");
                if (what.size() > 3) {
                    frame.comment = what.substr(4);
                    if (!valid_header_text(frame.comment))
                        return make_invalid(FrameError::bad_status, "control character in comment");
                }
            } else {
                // method = 1*UPALPHA
                if (what.empty() || !std::all_of(what.begin(), what.end(),
                                                 [](char c) { return c >= 'A' && c <= 'Z'; }))
                    return make_invalid(FrameError::bad_method, "method is not 1*UPALPHA");
                frame.kind = FrameKind::request;
                frame.method = what;
            }
            continue;
        }
        // hname ":" SP hval (leading white space of the value is not part of it)
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return make_invalid(FrameError::bad_header, "header line without a name");
        const std::string_view name = line.substr(0, colon);
        if (!is_alpha(name.front()) || !std::all_of(name.begin(), name.end(), is_token_char))
            return make_invalid(FrameError::bad_header, "bad header name");
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        if (!valid_header_text(value))
            return make_invalid(FrameError::bad_header, "control character in header value");
        if (frame.headers.size() == kMaxHeaderFields)
            return make_invalid(FrameError::too_many_headers, "more than 64 header fields");
        const size_t index = frame.headers.size();
        frame.headers.push_back({name, value});
        auto once = [&](bool& seen) {
            if (seen) return false;
            seen = true;
            return true;
        };
        bool have_message_id = !frame.message_id.empty();
        bool have_range = frame.byte_range.has_value();
        if (equal_nocase(name, "To-Path")) {
            if (!once(have_to)) return make_invalid(FrameError::duplicate_header, "To-Path twice");
            frame.to_path = index;
        } else if (equal_nocase(name, "From-Path")) {
            if (!once(have_from)) return make_invalid(FrameError::duplicate_header, "From-Path twice");
            frame.from_path = index;
        } else if (equal_nocase(name, "Message-ID")) {
            if (!once(have_message_id))
                return make_invalid(FrameError::duplicate_header, "Message-ID twice");
            // RFC 4975 §9: Message-ID = ident
            if (!valid_transaction_id(value))
                return make_invalid(FrameError::bad_header, "Message-ID is not an ident");
            frame.message_id = value;
        } else if (equal_nocase(name, "Byte-Range")) {
            if (!once(have_range)) return make_invalid(FrameError::duplicate_header, "Byte-Range twice");
            frame.byte_range = parse_byte_range(value);
            if (!frame.byte_range) return make_invalid(FrameError::bad_byte_range, std::string(value));
        }
    }
    if (first) return make_invalid(FrameError::bad_start_line, "empty frame");
    // RFC 4975 §7.1 and §7.2: every request and response carries To-Path and From-Path.
    if (!have_to || !have_from)
        return make_invalid(FrameError::missing_path, have_to ? "no From-Path" : "no To-Path");
    // RFC 4975 §7.1.1: a SEND request MUST carry a Message-ID.
    if (frame.kind == FrameKind::request && frame.method == "SEND" && frame.message_id.empty())
        return make_invalid(FrameError::missing_message_id, "SEND without Message-ID");
    result.state = ParseResult::State::complete;
    return result;
}

void FrameParser::reset() {
    line_start_ = 0;
    transaction_id_.clear();
    end_pattern_.clear();
    header_end_.reset();
    body_start_ = 0;
    has_body_ = false;
    search_from_ = 0;
}

ParseResult FrameParser::invalid(FrameError error, std::string detail) {
    reset();
    return make_invalid(error, std::move(detail));
}

ParseResult FrameParser::parse(std::string_view stream) {
    // Phase 1: the start line and header lines, up to a blank line (a body follows) or the
    // end-line (no body).
    // The header lines checked in this call: their views are into `stream`, so they serve the
    // frame if it completes in this same call (the common case) without parsing them again.
    std::optional<ParseResult> checked;
    // The header lines may be followed directly by the end-line (no body): allow for it.
    const size_t header_bound = limits_.max_header_bytes + kDashes.size() + 32 + 1 + kCrlf.size();
    while (!header_end_) {
        const size_t line_end = stream.find(kCrlf, search_from_ > line_start_ ? search_from_ - 1 : line_start_);
        if (line_end == std::string_view::npos) {
            if (stream.size() > header_bound)
                return invalid(FrameError::header_too_long, "no end of the header lines");
            search_from_ = stream.size();
            return {};
        }
        if (line_end + kCrlf.size() > header_bound)
            return invalid(FrameError::header_too_long, "header lines too long");
        const std::string_view line = stream.substr(line_start_, line_end - line_start_);
        const size_t next = line_end + kCrlf.size();
        if (line_start_ == 0) {
            // The transaction id is needed to recognise the end-line.
            const std::string_view rest = line.substr(std::min<size_t>(5, line.size()));
            if (line.substr(0, 5) != "MSRP ")
                return invalid(FrameError::bad_start_line, "does not start with \"MSRP \"");
            const std::string_view id = rest.substr(0, rest.find(' '));
            if (!valid_transaction_id(id))
                return invalid(FrameError::bad_transaction_id, "transaction id");
            transaction_id_ = std::string(id);
            end_pattern_.assign(kCrlf).append(kDashes).append(transaction_id_);
        } else if (line.empty()) {
            header_end_ = line_start_;
            has_body_ = true;
            body_start_ = next;
        } else if (line.substr(0, kDashes.size()) == kDashes) {
            header_end_ = line_start_;
            // The end-line right after the headers: a frame without a body.
            const std::string_view tail = line.substr(kDashes.size());
            if (tail.size() != transaction_id_.size() + 1 ||
                tail.substr(0, transaction_id_.size()) != transaction_id_ || !is_flag(tail.back()))
                return invalid(FrameError::bad_end_line, "end-line does not match the transaction");
            if (line_start_ > limits_.max_header_bytes)
                return invalid(FrameError::header_too_long, "header lines too long");
            ParseResult block = parse_header_block(stream.substr(0, *header_end_));
            if (block.state == ParseResult::State::invalid) {
                reset();
                return block;
            }
            return finish(stream, std::move(block), line_start_, tail.back(), next);
        }
        line_start_ = next;
        search_from_ = next;
        if (header_end_) {
            if (*header_end_ > limits_.max_header_bytes)
                return invalid(FrameError::header_too_long, "header lines too long");
            // Check the headers now, so a bad frame is refused before its body arrives.
            checked = parse_header_block(stream.substr(0, *header_end_));
            if (checked->state == ParseResult::State::invalid) {
                reset();
                return std::move(*checked);
            }
            // RFC 4975 §7.2: responses carry no body.
            if (checked->frame.kind == FrameKind::response)
                return invalid(FrameError::bad_header, "response with a body");
            // The CRLF that precedes the end-line follows the data, which may be empty.
            search_from_ = body_start_;
        }
    }

    // Phase 2: the body, up to "\r\n-------<transact-id>" flag CRLF.
    const std::string_view pattern = end_pattern_;
    for (;;) {
        const size_t at = stream.find(pattern, search_from_);
        if (at == std::string_view::npos) {
            if (stream.size() >= pattern.size())
                search_from_ = std::max(body_start_, stream.size() - (pattern.size() - 1));
            if (search_from_ - body_start_ > limits_.max_chunk_size)
                return invalid(FrameError::chunk_too_large, "body longer than max-chunk-size");
            return {};
        }
        if (at - body_start_ > limits_.max_chunk_size)
            return invalid(FrameError::chunk_too_large, "body longer than max-chunk-size");
        const size_t flag_at = at + pattern.size();
        if (stream.size() < flag_at + 1 + kCrlf.size()) {
            search_from_ = at;
            return {};
        }
        if (is_flag(stream[flag_at]) && stream.substr(flag_at + 1, kCrlf.size()) == kCrlf) {
            if (!checked) checked = parse_header_block(stream.substr(0, *header_end_));
            return finish(stream, std::move(*checked), at, stream[flag_at], flag_at + 1 + kCrlf.size());
        }
        // The same characters inside the body, not followed by a flag and CRLF: keep looking.
        search_from_ = at + 1;
    }
}

ParseResult FrameParser::finish(std::string_view stream, ParseResult result, size_t body_end, char flag,
                                size_t length) {
    if (result.state == ParseResult::State::invalid) {
        reset();
        return result;
    }
    Frame& frame = result.frame;
    frame.has_body = has_body_;
    if (has_body_) frame.body = stream.substr(body_start_, body_end - body_start_);
    frame.continuation = flag;
    frame.length = length;
    reset();
    if (frame.byte_range) {
        const ByteRange& range = *frame.byte_range;
        // RFC 4975 §7.1.1: a chunk that is not interrupted ('#') holds exactly its range.
        if (range.end && flag != '#' && *range.end + 1 - range.start != frame.body.size())
            return make_invalid(FrameError::bad_byte_range, "body length differs from Byte-Range");
        if (range.total && range.start - 1 + frame.body.size() > *range.total)
            return make_invalid(FrameError::bad_byte_range, "body goes past the Byte-Range total");
    }
    return result;
}

std::optional<FrameError> MessageTracker::add(const Frame& frame) {
    if (frame.kind != FrameKind::request || frame.method != "SEND") return std::nullopt;
    if (frame.byte_range && frame.byte_range->total && *frame.byte_range->total > limits_.max_message_size)
        return FrameError::message_too_large;
    const bool last = frame.continuation != '+';
    if (last && open_.empty()) {
        // The common case, a message in one chunk: nothing to look up or remember.
        if (frame.body.size() > limits_.max_message_size) return FrameError::message_too_large;
        return std::nullopt;
    }
    const std::string id(frame.message_id);
    auto it = open_.find(id);
    if (it == open_.end()) {
        if (last) {
            // A whole message in one chunk: nothing to remember.
            if (frame.body.size() > limits_.max_message_size) return FrameError::message_too_large;
            return std::nullopt;
        }
        if (open_.size() >= limits_.max_open_messages) return FrameError::too_many_open_messages;
        it = open_.emplace(id, Progress{}).first;
    }
    it->second.bytes += frame.body.size();
    it->second.chunks += 1;
    std::optional<FrameError> error;
    if (it->second.bytes > limits_.max_message_size) error = FrameError::message_too_large;
    else if (it->second.chunks > limits_.max_chunks_per_message) error = FrameError::too_many_chunks;
    if (last || error) open_.erase(it);
    return error;
}

void append_with_paths(std::string& out, std::string_view bytes, const Frame& frame,
                       std::string_view to_path, std::string_view from_path) {
    struct Replacement {
        size_t offset;
        size_t length;
        std::string_view text;
    };
    const std::string_view to_value = frame.headers[frame.to_path].value;
    const std::string_view from_value = frame.headers[frame.from_path].value;
    std::array<Replacement, 2> replacements = {{
        {static_cast<size_t>(to_value.data() - bytes.data()), to_value.size(), to_path},
        {static_cast<size_t>(from_value.data() - bytes.data()), from_value.size(), from_path},
    }};
    if (replacements[1].offset < replacements[0].offset) std::swap(replacements[0], replacements[1]);
    out.reserve(out.size() + bytes.size() + to_path.size() + from_path.size());
    size_t copied = 0;
    for (const Replacement& r : replacements) {
        out.append(bytes.substr(copied, r.offset - copied));
        out.append(r.text);
        copied = r.offset + r.length;
    }
    out.append(bytes.substr(copied, frame.length - copied));
}

}  // namespace msf::msrp
