#include "controlplane/diameter/ip_filter_rule.hpp"

#include <charconv>

namespace msf::diameter {

namespace {

Error filter_error(std::string message) {
    return Error{ResultCode::invalid_avp_value, {}, "IPFilterRule: " + std::move(message)};
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != b[i]) return false;
    }
    return true;
}

// Splits on spaces and tabs, one word at a time.
class Words {
public:
    explicit Words(std::string_view text) : text_(text) {}

    bool done() {
        skip_blanks();
        return pos_ == text_.size();
    }
    std::string_view next() {
        skip_blanks();
        const size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != '\t') ++pos_;
        return text_.substr(start, pos_ - start);
    }
    std::string_view peek() {
        const size_t saved = pos_;
        const std::string_view word = next();
        pos_ = saved;
        return word;
    }

private:
    void skip_blanks() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    }
    std::string_view text_;
    size_t pos_ = 0;
};

template <class T>
bool parse_decimal(std::string_view text, T& out, unsigned max) {
    unsigned value = 0;
    if (text.empty() || text.size() > 5) return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > max) return false;
    out = static_cast<T>(value);
    return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

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
    size_t start = 0;
    while (true) {
        const size_t comma = text.find(',', start);
        const std::string_view item = text.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (endpoint.port_count == kMaxFilterPortRanges)
            return filter_error("more than " + std::to_string(kMaxFilterPortRanges) +
                                " port ranges");
        PortRange range;
        const size_t dash = item.find('-');
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
        const size_t slash = word.find('/');
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
    const std::string_view ports = words.peek();
    if (!ports.empty() && is_digit(ports.front())) return parse_ports(words.next(), endpoint);
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

Decoded<IpFilterRule> parse_ip_filter_rule(std::string_view text) {
    if (text.size() > kMaxFilterRuleLength)
        return filter_error(std::to_string(text.size()) + " characters, more than " +
                            std::to_string(kMaxFilterRuleLength));
    // Branch-free over the whole text (it vectorises); the loop below only runs to report.
    bool printable = true;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        printable &= static_cast<unsigned char>(u - 0x20) < 0x5f || u == '\t';
    }
    if (!printable)
        for (const char c : text)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') ||
                static_cast<unsigned char>(c) >= 0x7f)
                return filter_error("character " + std::to_string(static_cast<unsigned char>(c)) +
                                    " is not printable ASCII");
    IpFilterRule rule;
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
    if (auto e = parse_endpoint(words, "source", rule.source)) return *e;
    if (!equals_ignoring_case(words.next(), "to")) return filter_error("'to' missing");
    if (auto e = parse_endpoint(words, "destination", rule.destination)) return *e;
    if (auto e = parse_options(words, rule.options)) return *e;
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
