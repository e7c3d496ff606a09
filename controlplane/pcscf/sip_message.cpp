#include "controlplane/pcscf/sip_message.hpp"

#include <array>
#include <charconv>
#include <span>

namespace msf::pcscf {

using keying::ErrorCode;
using keying::Expected;
using keying::make_error;

namespace {

struct CompactForm {
    char letter;
    std::string_view name;
};

// RFC 3261 §7.3.3 and §20: the compact forms of the header fields that have one.
constexpr std::array<CompactForm, 10> kCompactForms = {{
    {'i', "Call-ID"},
    {'m', "Contact"},
    {'e', "Content-Encoding"},
    {'l', "Content-Length"},
    {'c', "Content-Type"},
    {'f', "From"},
    {'s', "Subject"},
    {'k', "Supported"},
    {'t', "To"},
    {'v', "Via"},
}};

constexpr std::array<std::string_view, 6> kRequiredInRequests = {"Via", "From", "To", "Call-ID", "CSeq",
                                                                 "Max-Forwards"};
constexpr std::array<std::string_view, 5> kRequiredInResponses = {"Via", "From", "To", "Call-ID", "CSeq"};

constexpr std::string_view kSipVersion = "SIP/2.0";

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool same_header(std::string_view a, std::string_view b) {
    return iequals(expand_compact_name(a), expand_compact_name(b));
}

// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
bool is_token_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text)
        if (!is_token_char(c)) return false;
    return true;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Quoted in error messages: cut short, control characters shown as '?', so hostile text cannot
// forge log lines.
std::string shown(std::string_view text) {
    constexpr size_t kMaxShown = 48;
    std::string out = "'";
    for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
    }
    if (text.size() > kMaxShown) out += "...";
    return out + "'";
}

keying::KeyingError malformed(std::string message) { return make_error(ErrorCode::malformed, "SIP: " + message); }

std::optional<uint64_t> decimal(std::string_view text, uint64_t max) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
    return value;
}

// One line of the header part, without its line ending.
struct Line {
    std::string_view text;
    size_t number;  // 1-based, for errors
};

Expected<void> check_line(const Line& line) {
    if (line.text.size() > kMaxSipLineLen)
        return make_error(ErrorCode::too_large, "SIP: line " + std::to_string(line.number) + " is longer than " +
                                                    std::to_string(kMaxSipLineLen) + " bytes");
    for (char c : line.text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return malformed("line " + std::to_string(line.number) + " has a control character");
    }
    return {};
}

Expected<void> parse_start_line(std::string_view line, SipMessage& out) {
    if (line.starts_with(kSipVersion) && line.size() > kSipVersion.size() && line[kSipVersion.size()] == ' ') {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2)
        const std::string_view rest = line.substr(kSipVersion.size() + 1);
        if (rest.size() < 4 || rest[3] != ' ')
            return malformed("status line " + shown(line) + " is not 'SIP/2.0 <code> <reason>'");
        const auto code = decimal(rest.substr(0, 3), 699);
        if (!code || *code < 100) return malformed("status code " + shown(rest.substr(0, 3)) + " is not 100..699");
        out = SipMessage::response(static_cast<uint16_t>(*code), std::string(rest.substr(4)));
        return {};
    }
    // Request-Line = Method SP Request-URI SP SIP-Version CRLF (§7.1)
    const size_t first = line.find(' ');
    const size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos)
        return malformed("start line " + shown(line) + " is neither a request line nor a status line");
    const std::string_view method = line.substr(0, first);
    const std::string_view uri = line.substr(first + 1, second - first - 1);
    const std::string_view version = line.substr(second + 1);
    if (!is_token(method)) return malformed("method " + shown(method) + " is not a token");
    if (uri.empty() || uri.find(':') == std::string_view::npos)
        return malformed("Request-URI " + shown(uri) + " has no scheme");
    if (version != kSipVersion) return malformed("version " + shown(version) + " is not SIP/2.0");
    out = SipMessage::request(std::string(method), std::string(uri));
    return {};
}

}  // namespace

std::string_view expand_compact_name(std::string_view name) {
    if (name.size() != 1) return name;
    for (const CompactForm& f : kCompactForms)
        if (lower(name[0]) == f.letter) return f.name;
    return name;
}

SipMessage SipMessage::request(std::string method, std::string request_uri) {
    SipMessage m;
    m.method_ = std::move(method);
    m.request_uri_ = std::move(request_uri);
    return m;
}

SipMessage SipMessage::response(uint16_t status_code, std::string reason_phrase) {
    SipMessage m;
    m.status_code_ = status_code;
    m.reason_ = std::move(reason_phrase);
    return m;
}

SipMessage& SipMessage::add_header(std::string_view name, std::string_view value) {
    headers_.push_back({std::string(name), std::string(value)});
    return *this;
}

std::optional<std::string_view> SipMessage::header(std::string_view name) const {
    for (const SipHeader& h : headers_)
        if (same_header(h.name, name)) return std::string_view(h.value);
    return std::nullopt;
}

std::vector<std::string_view> SipMessage::headers(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const SipHeader& h : headers_)
        if (same_header(h.name, name)) out.emplace_back(h.value);
    return out;
}

SipMessage& SipMessage::set_body(std::string_view content_type, std::string body) {
    bool replaced = false;
    for (SipHeader& h : headers_) {
        if (same_header(h.name, "Content-Type")) {
            h.value = std::string(content_type);
            replaced = true;
        }
    }
    if (!replaced) add_header("Content-Type", content_type);
    body_ = std::move(body);
    return *this;
}

std::string_view SipMessage::call_id() const { return header("Call-ID").value_or(std::string_view()); }

CSeq SipMessage::cseq() const {
    const auto value = header("CSeq");
    if (!value) return {};
    auto parsed = parse_cseq(*value);
    return parsed ? parsed.value() : CSeq{};
}

std::string SipMessage::to_string() const {
    std::string out;
    out.reserve(256 + body_.size());
    if (is_request()) out += method_ + " " + request_uri_ + " " + std::string(kSipVersion) + "\r\n";
    else out += std::string(kSipVersion) + " " + std::to_string(status_code_) + " " + reason_ + "\r\n";
    for (const SipHeader& h : headers_) {
        if (same_header(h.name, "Content-Length")) continue;
        out += h.name + ": " + h.value + "\r\n";
    }
    out += "Content-Length: " + std::to_string(body_.size()) + "\r\n\r\n";
    out += body_;
    return out;
}

Expected<SipMessage> SipMessage::parse(std::string_view text) {
    if (text.size() > kMaxSipMessageLen)
        return make_error(ErrorCode::too_large, "SIP: message of " + std::to_string(text.size()) +
                                                    " bytes; at most " + std::to_string(kMaxSipMessageLen));
    // The header part ends at the first empty line (§7: CRLF CRLF; LF LF accepted).
    std::vector<Line> lines;
    size_t pos = 0;
    bool ended = false;
    while (pos < text.size()) {
        const size_t lf = text.find('\n', pos);
        if (lf == std::string_view::npos) break;
        std::string_view line = text.substr(pos, lf - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = lf + 1;
        if (line.empty()) {
            ended = true;
            break;
        }
        lines.push_back({line, lines.size() + 1});
    }
    if (!ended) return malformed("no empty line ends the header fields");
    if (lines.empty()) return malformed("no start line");
    const std::string_view body = text.substr(pos);

    SipMessage message;
    if (auto ok = check_line(lines[0]); !ok) return ok.error();
    if (auto ok = parse_start_line(lines[0].text, message); !ok) return ok.error();

    for (size_t i = 1; i < lines.size(); ++i) {
        const Line& line = lines[i];
        if (auto ok = check_line(line); !ok) return ok.error();
        if (line.text.front() == ' ' || line.text.front() == '\t') {
            // §7.3.1: a continuation of the previous field's value.
            if (message.headers_.empty())
                return malformed("line " + std::to_string(line.number) + " continues no header field");
            std::string& value = message.headers_.back().value;
            const std::string_view more = trim(line.text);
            if (value.size() + 1 + more.size() > kMaxSipLineLen)
                return make_error(ErrorCode::too_large, "SIP: header field " + shown(message.headers_.back().name) +
                                                            " is longer than " + std::to_string(kMaxSipLineLen) +
                                                            " bytes");
            if (!more.empty()) {
                if (!value.empty()) value += ' ';
                value += more;
            }
            continue;
        }
        const size_t colon = line.text.find(':');
        if (colon == std::string_view::npos)
            return malformed("header line " + std::to_string(line.number) + " has no ':'");
        const std::string_view name = trim(line.text.substr(0, colon));
        if (!is_token(name))
            return malformed("header name " + shown(name) + " on line " + std::to_string(line.number) +
                             " is not a token");
        if (message.headers_.size() == kMaxSipHeaders)
            return make_error(ErrorCode::too_large,
                              "SIP: more than " + std::to_string(kMaxSipHeaders) + " header fields");
        message.headers_.push_back({std::string(expand_compact_name(name)), std::string(trim(line.text.substr(colon + 1)))});
    }

    const auto lengths = message.headers("Content-Length");
    if (lengths.size() > 1) return malformed("Content-Length appears " + std::to_string(lengths.size()) + " times");
    if (!lengths.empty()) {
        const auto length = decimal(lengths[0], kMaxSipMessageLen);
        if (!length) return malformed("Content-Length " + shown(lengths[0]) + " is not a decimal byte count");
        if (*length != body.size())
            return malformed("Content-Length says " + std::to_string(*length) + " bytes, the body has " +
                             std::to_string(body.size()));
    }
    message.body_ = std::string(body);

    const auto& required = message.is_request() ? std::span<const std::string_view>(kRequiredInRequests)
                                                : std::span<const std::string_view>(kRequiredInResponses);
    for (std::string_view name : required) {
        const size_t count = message.headers(name).size();
        if (count == 0) return malformed(std::string(message.is_request() ? message.method_ : "response") +
                                         " lacks " + std::string(name));
        // One value each: these fields are not lists (§7.3.1), except Via.
        if (count > 1 && name != "Via") return malformed(std::string(name) + " appears " + std::to_string(count) + " times");
    }
    if (message.call_id().empty()) return malformed("Call-ID is empty");
    auto cseq = parse_cseq(*message.header("CSeq"));
    if (!cseq) return cseq.error();
    if (message.is_request() && cseq->method != message.method_)
        return malformed("CSeq method " + shown(cseq->method) + " is not the request's " + shown(message.method_));
    return message;
}

std::optional<std::string> header_parameter(std::string_view value, std::string_view name) {
    // Parameters follow the name-addr (after '>') when there is one: a URI's own ';' parameters
    // inside <...> belong to the URI, not to the field (§20.10).
    const size_t close = value.find('>');
    std::string_view params = close == std::string_view::npos ? value : value.substr(close + 1);
    const size_t semi = params.find(';');
    if (semi == std::string_view::npos) return std::nullopt;
    params.remove_prefix(semi + 1);
    while (!params.empty()) {
        const size_t end = params.find(';');
        const std::string_view item = trim(params.substr(0, end));
        const size_t eq = item.find('=');
        const std::string_view key = trim(item.substr(0, eq));
        if (iequals(key, name)) return eq == std::string_view::npos ? std::string() : std::string(trim(item.substr(eq + 1)));
        if (end == std::string_view::npos) break;
        params.remove_prefix(end + 1);
    }
    return std::nullopt;
}

Expected<CSeq> parse_cseq(std::string_view value) {
    // CSeq = "CSeq" HCOLON 1*DIGIT LWS Method (§25.1); the number is below 2^31 (§8.1.1.5).
    const std::string_view text = trim(value);
    const size_t space = text.find_first_of(" \t");
    if (space == std::string_view::npos) return malformed("CSeq " + shown(value) + " is not '<number> <method>'");
    const auto number = decimal(text.substr(0, space), 0x7fffffff);
    if (!number) return malformed("CSeq number " + shown(text.substr(0, space)) + " is not 0..2^31-1");
    const std::string_view method = trim(text.substr(space));
    if (!is_token(method)) return malformed("CSeq method " + shown(method) + " is not a token");
    return CSeq{static_cast<uint32_t>(*number), std::string(method)};
}

std::string name_addr(std::string_view uri) {
    // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "<" + std::string.
    std::string out;
    out.reserve(uri.size() + 2);
    out += '<';
    out += uri;
    out += '>';
    return out;
}

std::string_view reason_phrase_for(uint16_t status_code) {
    switch (status_code) {
        case 100: return "Trying";
        case 200: return "OK";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 488: return "Not Acceptable Here";
        case 500: return "Server Internal Error";
        case 503: return "Service Unavailable";
        default: return "Unknown";
    }
}

}  // namespace msf::pcscf
