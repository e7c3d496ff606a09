#include "controlplane/diameter/ip_filter_rule.hpp"

#include <algorithm>
#include <bit>
#include <cstring>


namespace msf::diameter {

namespace {

Error filter_error(std::string message) {
    return Error{ResultCode::invalid_avp_value, {}, "IPFilterRule: " + std::move(message)};
}

// keyword: lower-case letters only, so OR-ing 0x20 into a letter of text folds exactly its
// upper-case form onto it and nothing else.
bool equals_ignoring_case(std::string_view text, std::string_view keyword) {
    if (text.size() != keyword.size()) return false;
    for (size_t i = 0; i < text.size(); ++i)
        if (static_cast<char>(text[i] | 0x20) != keyword[i]) return false;
    return true;
}

// Short words: a plain loop beats a call to memchr.
size_t find_char(std::string_view text, char c, size_t from = 0) {
    for (size_t i = from; i < text.size(); ++i)
        if (text[i] == c) return i;
    return std::string_view::npos;
}

// Eight bytes at a time, for the two loops that see every character of each rule an AAR carries.
// The tests are the "has a byte less than / more than n" ones of Bit Twiddling Hacks: exact for
// whether some byte matches, and, loaded little-endian, for which byte matches first.
constexpr uint64_t kEachByte = 0x0101010101010101;
constexpr uint64_t kTopBits = 0x8080808080808080;
uint64_t load8(const char* p) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
    return x;
}
// Top bit of each byte below n (n <= 128): exact up to and including the first such byte.
uint64_t bytes_below(uint64_t x, uint8_t n) { return (x - kEachByte * n) & ~x & kTopBits; }
// Nonzero if some byte is above n (n <= 127).
uint64_t bytes_above(uint64_t x, uint8_t n) { return ((x + kEachByte * (127 - n)) | x) & kTopBits; }

bool printable_byte(unsigned char u) { return (u >= 0x20 && u < 0x7f) || u == '\t'; }

// Printable ASCII or tab (RFC 6733 §4.3.1 rules are text).
bool printable(std::string_view text) {
    const char* p = text.data();
    const char* const end = p + text.size();
    for (; end - p >= 8; p += 8) {
        const uint64_t x = load8(p);
        if (bytes_above(x, 0x7e) != 0) return false;
        if (bytes_below(x, 0x20) != 0)  // a tab, or a control character
            for (int i = 0; i < 8; ++i)
                if (!printable_byte(static_cast<unsigned char>(p[i]))) return false;
    }
    for (; p != end; ++p)
        if (!printable_byte(static_cast<unsigned char>(*p))) return false;
    return true;
}

// Splits on spaces and tabs, one word at a time. Runs after the printable-ASCII check, so the
// only characters at or below ' ' are the two blanks: one compare per character.
class Words {
public:
    explicit Words(std::string_view text) : text_(text) {}

    bool done() {
        skip_blanks();
        return pos_ == text_.size();
    }
    std::string_view next() {
        const char* const begin = text_.data();
        const char* const end = begin + text_.size();
        const char* p = begin + pos_;
        while (p != end && is_blank(*p)) ++p;
        const char* const word = p;
        for (; end - p >= 8; p += 8)
            if (const uint64_t blanks = bytes_below(load8(p), ' ' + 1); blanks != 0) {
                p += std::countr_zero(blanks) / 8;
                return take(begin, word, p);
            }
        while (p != end && !is_blank(*p)) ++p;
        return take(begin, word, p);
    }
    // Where the next word starts scanning; rewind() to it gives a word back.
    size_t position() const { return pos_; }
    void rewind(size_t position) { pos_ = position; }

private:
    static bool is_blank(char c) { return static_cast<unsigned char>(c) <= ' '; }
    std::string_view take(const char* begin, const char* word, const char* word_end) {
        pos_ = static_cast<size_t>(word_end - begin);
        return {word, static_cast<size_t>(word_end - word)};
    }
    void skip_blanks() {
        while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
    }
    std::string_view text_;
    size_t pos_ = 0;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// What std::from_chars accepts for an unsigned decimal (digits only, leading zeros allowed), at
// most five digits and at most max.
template <class T>
bool parse_decimal(std::string_view text, T& out, unsigned max) {
    if (text.empty() || text.size() > 5) return false;
    unsigned value = 0;
    for (const char c : text) {
        if (!is_digit(c)) return false;
        value = value * 10 + unsigned(c - '0');
    }
    if (value > max) return false;
    out = static_cast<T>(value);
    return true;
}

// Dotted-quad IPv4 without inet_pton's copy and NUL search: Flow-Descriptions are parsed for every
// AAR. Anything else (IPv6, odd forms) goes to IpAddr::parse.
std::optional<net::IpAddr> parse_address(std::string_view text) {
    uint8_t bytes[4];
    size_t pos = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (pos >= text.size() || text[pos] != '.') return net::IpAddr::parse(text);
            ++pos;
        }
        unsigned value = 0;
        const size_t start = pos;
        while (pos < text.size() && is_digit(text[pos]) && pos - start < 3)
            value = value * 10 + unsigned(text[pos++] - '0');
        if (pos == start || value > 255 || (text[start] == '0' && pos - start > 1))
            return net::IpAddr::parse(text);
        bytes[part] = static_cast<uint8_t>(value);
    }
    if (pos != text.size()) return net::IpAddr::parse(text);
    return net::IpAddr::v4(bytes);
}

// "{port|port-port}[,...]"
std::optional<Error> parse_ports(std::string_view text, FilterEndpoint& endpoint) {
    // One port, as Flow-Descriptions usually have: what the loop below would make of it.
    PortRange one;
    if (endpoint.port_count < kMaxFilterPortRanges && parse_decimal(text, one.first, 65535)) {
        one.last = one.first;
        endpoint.ports[endpoint.port_count++] = one;
        return std::nullopt;
    }
    size_t start = 0;
    while (true) {
        const size_t comma = find_char(text, ',', start);
        const std::string_view item = text.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (endpoint.port_count == kMaxFilterPortRanges)
            return filter_error("more than " + std::to_string(kMaxFilterPortRanges) +
                                " port ranges");
        PortRange range;
        const size_t dash = find_char(item, '-');
        const bool ok = dash == std::string_view::npos
                            ? parse_decimal(item, range.first, 65535)
                            : parse_decimal(item.substr(0, dash), range.first, 65535) &&
                                  parse_decimal(item.substr(dash + 1), range.last, 65535);
        if (!ok) return filter_error("bad port '" + std::string(item) + "'");
        if (dash == std::string_view::npos) range.last = range.first;
        if (range.first > range.last)
            return filter_error("port range '" + std::string(item) + "' runs backwards");
        endpoint.ports[endpoint.port_count++] = range;
        if (comma == std::string_view::npos) return std::nullopt;
        start = comma + 1;
    }
}

std::optional<Error> parse_endpoint(Words& words, std::string_view side, FilterEndpoint& endpoint) {
    std::string_view word = words.next();
    if (word == "!") {
        endpoint.negated = true;
        word = words.next();
    } else if (!word.empty() && word.front() == '!') {
        endpoint.negated = true;
        word.remove_prefix(1);
    }
    if (word.empty()) return filter_error("no " + std::string(side) + " address");
    if (equals_ignoring_case(word, "any")) {
        endpoint.kind = FilterEndpoint::Kind::any;
    } else if (equals_ignoring_case(word, "assigned")) {
        endpoint.kind = FilterEndpoint::Kind::assigned;
    } else {
        const size_t slash = find_char(word, '/');
        const auto address = parse_address(word.substr(0, slash));
        if (!address)
            return filter_error("bad " + std::string(side) + " address '" + std::string(word) +
                                "'");
        endpoint.kind = FilterEndpoint::Kind::address;
        endpoint.address = *address;
        if (slash != std::string_view::npos) {
            uint8_t bits = 0;
            if (!parse_decimal(word.substr(slash + 1), bits, address->is_v4() ? 32 : 128))
                return filter_error("bad mask in '" + std::string(word) + "'");
            endpoint.prefix_length = bits;
        }
    }
    const size_t before_ports = words.position();
    const std::string_view ports = words.next();
    if (!ports.empty() && is_digit(ports.front())) return parse_ports(ports, endpoint);
    words.rewind(before_ports);
    return std::nullopt;
}

// RFC 6733 §4.3.1 options: accepted and kept, not interpreted.
std::optional<Error> parse_options(Words& words, std::string& options) {
    while (!words.done()) {
        const std::string_view word = words.next();
        const bool bare = word == "frag" || word == "established" || word == "setup";
        const bool with_spec = word == "ipoptions" || word == "tcpoptions" || word == "tcpflags" ||
                               word == "icmptypes";
        if (!bare && !with_spec) return filter_error("unknown option '" + std::string(word) + "'");
        if (!options.empty()) options.push_back(' ');
        options.append(word);
        if (with_spec) {
            if (words.done())
                return filter_error("option '" + std::string(word) + "' lacks its spec");
            options.push_back(' ');
            options.append(words.next());
        }
    }
    return std::nullopt;
}

// The form nearly every Flow-Description has (TS 29.214 §5.3.8 as Kamailio ims_qos and msf-pcscf
// write it): "permit in|out <proto>|ip from <IPv4> [<port>] to <IPv4> [<port>]", lower case, one
// space between words, no mask, no "!", no options. Read in one pass over the characters, without
// splitting words; false for anything else, and then the general parser below decides (for this
// form it gives the same rule, so which of the two reads a rule is not visible).
class CommonForm {
public:
    explicit CommonForm(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

    bool parse(IpFilterRule& rule) {
        if (!literal("permit ")) return false;
        rule.action = FilterAction::permit;
        if (literal("in "))
            rule.direction = FilterDirection::in;
        else if (literal("out "))
            rule.direction = FilterDirection::out;
        else
            return false;
        if (!literal("ip ")) {
            unsigned protocol = 0;
            if (!decimal(3, 255, protocol) || !literal(" ")) return false;
            rule.protocol = static_cast<uint8_t>(protocol);
        }
        if (!literal("from ") || !endpoint(rule.source) || !literal(" to ") ||
            !endpoint(rule.destination))
            return false;
        return p_ == end_;
    }

private:
    bool literal(std::string_view word) {
        if (static_cast<size_t>(end_ - p_) < word.size() ||
            std::memcmp(p_, word.data(), word.size()) != 0)
            return false;
        p_ += word.size();
        return true;
    }
    // 1..max_digits decimal digits (leading zeros as parse_decimal takes them), at most max.
    bool decimal(size_t max_digits, unsigned max, unsigned& out) {
        const char* const start = p_;
        const char* const limit = p_ + std::min(max_digits, static_cast<size_t>(end_ - p_));
        const char* p = start;
        unsigned value = 0;
        for (unsigned digit; p != limit && (digit = unsigned(*p) - '0') <= 9; ++p)
            value = value * 10 + digit;
        p_ = p;
        if (p == start || value > max) return false;
        out = value;
        return true;
    }
    // Dotted-quad IPv4 as parse_address reads it (no leading zeros), then " <port>" if a digit
    // follows the blank.
    bool endpoint(FilterEndpoint& endpoint) {
        uint8_t bytes[4];
        for (int part = 0; part < 4; ++part) {
            if (part > 0 && !literal(".")) return false;
            const char* const start = p_;
            unsigned value = 0;
            if (!decimal(3, 255, value) || (*start == '0' && p_ - start > 1)) return false;
            bytes[part] = static_cast<uint8_t>(value);
        }
        endpoint.kind = FilterEndpoint::Kind::address;
        endpoint.address = net::IpAddr::v4(bytes);
        if (end_ - p_ < 2 || *p_ != ' ' || !is_digit(p_[1])) return true;
        ++p_;
        unsigned port = 0;
        // Five digits at most, as parse_decimal; a sixth digit is not this form.
        if (!decimal(5, 65535, port) || (p_ != end_ && *p_ != ' ')) return false;
        endpoint.ports[0] = PortRange{static_cast<uint16_t>(port), static_cast<uint16_t>(port)};
        endpoint.port_count = 1;
        return true;
    }

    const char* p_;
    const char* const end_;
};

void append_endpoint(std::string& out, const FilterEndpoint& endpoint) {
    if (endpoint.negated) out.push_back('!');
    switch (endpoint.kind) {
        case FilterEndpoint::Kind::any: out.append("any"); break;
        case FilterEndpoint::Kind::assigned: out.append("assigned"); break;
        case FilterEndpoint::Kind::address:
            out.append(endpoint.address.to_string());
            if (endpoint.prefix_length) {
                out.push_back('/');
                out.append(std::to_string(*endpoint.prefix_length));
            }
            break;
    }
    for (size_t i = 0; i < endpoint.port_count; ++i) {
        out.push_back(i == 0 ? ' ' : ',');
        out.append(std::to_string(endpoint.ports[i].first));
        if (endpoint.ports[i].last != endpoint.ports[i].first) {
            out.push_back('-');
            out.append(std::to_string(endpoint.ports[i].last));
        }
    }
}

}  // namespace

std::optional<Error> parse_ip_filter_rule(std::string_view text, IpFilterRule& rule) {
    if (text.size() > kMaxFilterRuleLength)
        return filter_error(std::to_string(text.size()) + " characters, more than " +
                            std::to_string(kMaxFilterRuleLength));
    if (CommonForm(text).parse(rule)) return std::nullopt;
    rule = IpFilterRule{};  // the common form may have filled part of it before it gave up
    if (!printable(text))
        for (const char c : text)
            if (!printable_byte(static_cast<unsigned char>(c)))
                return filter_error("character " + std::to_string(static_cast<unsigned char>(c)) +
                                    " is not printable ASCII");
    Words words(text);

    const std::string_view action = words.next();
    if (equals_ignoring_case(action, "permit"))
        rule.action = FilterAction::permit;
    else if (equals_ignoring_case(action, "deny"))
        rule.action = FilterAction::deny;
    else
        return filter_error("action '" + std::string(action) + "' is neither permit nor deny");

    const std::string_view direction = words.next();
    if (equals_ignoring_case(direction, "in"))
        rule.direction = FilterDirection::in;
    else if (equals_ignoring_case(direction, "out"))
        rule.direction = FilterDirection::out;
    else
        return filter_error("direction '" + std::string(direction) + "' is neither in nor out");

    const std::string_view protocol = words.next();
    if (!equals_ignoring_case(protocol, "ip")) {
        uint8_t number = 0;
        if (!parse_decimal(protocol, number, 255))
            return filter_error("protocol '" + std::string(protocol) +
                                "' is neither ip nor 0..255");
        rule.protocol = number;
    }

    if (!equals_ignoring_case(words.next(), "from")) return filter_error("'from' missing");
    if (auto e = parse_endpoint(words, "source", rule.source)) return e;
    if (!equals_ignoring_case(words.next(), "to")) return filter_error("'to' missing");
    if (auto e = parse_endpoint(words, "destination", rule.destination)) return e;
    return parse_options(words, rule.options);
}

Decoded<IpFilterRule> parse_ip_filter_rule(std::string_view text) {
    IpFilterRule rule;
    if (auto e = parse_ip_filter_rule(text, rule)) return std::move(*e);
    return rule;
}

std::string to_string(const IpFilterRule& rule) {
    std::string out;
    out.reserve(96);
    out.append(rule.action == FilterAction::permit ? "permit " : "deny ");
    out.append(rule.direction == FilterDirection::in ? "in " : "out ");
    out.append(rule.protocol ? std::to_string(*rule.protocol) : std::string("ip"));
    out.append(" from ");
    append_endpoint(out, rule.source);
    out.append(" to ");
    append_endpoint(out, rule.destination);
    if (!rule.options.empty()) {
        out.push_back(' ');
        out.append(rule.options);
    }
    return out;
}

}  // namespace msf::diameter
