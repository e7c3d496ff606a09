#include "controlplane/keying/sdp.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <utility>

namespace msf::keying {

namespace {

constexpr std::string_view kCryptoPrefix = "a=crypto:";
constexpr std::string_view kRtcpPrefix = "a=rtcp:";
constexpr std::string_view kRtcpMux = "a=rtcp-mux";
constexpr std::string_view kE2aePrefix = "a=3ge2ae:";
constexpr std::string_view kPathPrefix = "a=path:";

struct ProtoName {
    MediaProto kind;
    std::string_view name;
    MediaProto plain;   // the kind without S
    MediaProto secure;  // the kind with S
};
// RFC 3551 RTP/AVP, RFC 3711 RTP/SAVP, RFC 4585 RTP/AVPF, RFC 5124 RTP/SAVPF.
constexpr std::array<ProtoName, 4> kProtos = {{
    {MediaProto::rtp_avp, "RTP/AVP", MediaProto::rtp_avp, MediaProto::rtp_savp},
    {MediaProto::rtp_savp, "RTP/SAVP", MediaProto::rtp_avp, MediaProto::rtp_savp},
    {MediaProto::rtp_avpf, "RTP/AVPF", MediaProto::rtp_avpf, MediaProto::rtp_savpf},
    {MediaProto::rtp_savpf, "RTP/SAVPF", MediaProto::rtp_avpf, MediaProto::rtp_savpf},
}};

const ProtoName* proto_by_name(std::string_view name) {
    for (const ProtoName& p : kProtos)
        if (p.name == name) return &p;
    return nullptr;
}

const ProtoName& proto_by_kind(MediaProto kind) {
    for (const ProtoName& p : kProtos)
        if (p.kind == kind) return p;
    return kProtos[0];  // not reached: callers pass one of kProtos' kinds
}

KeyingError sdp_error(ErrorCode code, std::string message) {
    return make_error(code, "sdp: " + std::move(message));
}

std::string quoted(std::string_view s) {
    constexpr size_t kMax = 64;
    // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "'" + std::string.
    std::string out;
    out.reserve(kMax + 5);
    out += '\'';
    out += s.substr(0, kMax);
    out += s.size() > kMax ? "...'" : "'";
    return out;
}

// The space-separated fields of a line: the first kKept of them, and how many there are in all.
// No line read here needs more than six (o=), so a fixed array does it without allocating.
struct Fields {
    static constexpr size_t kKept = 6;
    std::array<std::string_view, kKept> kept{};
    size_t count = 0;

    size_t size() const { return count; }
    std::string_view operator[](size_t i) const { return kept[i]; }
};

// Calls f(field) for each space-separated field of s, in order.
template <class F>
void for_each_field(std::string_view s, F&& f) {
    const char* p = s.data();
    const char* const end = p + s.size();
    while (p != end) {
        while (p != end && *p == ' ') ++p;
        const char* const start = p;
        while (p != end && *p != ' ') ++p;
        if (p != start) f(std::string_view(start, static_cast<size_t>(p - start)));
    }
}

Fields split_spaces(std::string_view s) {
    Fields fields;
    for_each_field(s, [&](std::string_view field) {
        if (fields.count < Fields::kKept) fields.kept[fields.count] = field;
        ++fields.count;
    });
    return fields;
}

std::optional<uint64_t> parse_decimal(std::string_view s, uint64_t max) {
    if (s.empty() || s.size() > 20 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value > max) return std::nullopt;
    return value;
}

std::optional<uint16_t> parse_port(std::string_view s) {
    const auto v = parse_decimal(s, 65535);
    if (!v) return std::nullopt;
    return static_cast<uint16_t>(*v);
}

std::string address_fields(const net::IpAddr& address) {
    return (address.is_v4() ? "IN IP4 " : "IN IP6 ") + address.to_string();
}

// ---- One line of each kind we understand ----

struct MLine {
    std::string_view media;
    uint16_t port = 0;
    std::optional<uint16_t> port_count;
    std::string_view proto;
    std::string_view formats;  // from the first <fmt> to the end of the line: for_each_field
};

// RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
Expected<MLine> parse_m_line(std::string_view line) {
    const auto f = split_spaces(line.substr(2));
    if (f.size() < 4)
        return sdp_error(ErrorCode::malformed, "m= line " + quoted(line) + " needs <media> <port> <proto> <fmt>");
    MLine m;
    m.media = f[0];
    const size_t slash = f[1].find('/');
    const auto port = parse_port(f[1].substr(0, slash));
    if (!port) return sdp_error(ErrorCode::malformed, "m= port " + quoted(f[1].substr(0, slash)) + " is not a number 0..65535");
    m.port = *port;
    if (slash != std::string_view::npos) {
        const auto count = parse_decimal(f[1].substr(slash + 1), 65535);
        if (!count || *count == 0)
            return sdp_error(ErrorCode::malformed, "m= port count " + quoted(f[1].substr(slash + 1)) + " is not 1..65535");
        m.port_count = static_cast<uint16_t>(*count);
    }
    m.proto = f[2];
    m.formats = line.substr(static_cast<size_t>(f[3].data() - line.data()));
    return m;
}

std::string format_m_line(const MLine& m, uint16_t port, std::string_view proto) {
    std::string out = "m=" + std::string(m.media) + ' ' + std::to_string(port);
    if (m.port_count) out += '/' + std::to_string(*m.port_count);
    out += ' ';
    out += proto;
    for_each_field(m.formats, [&](std::string_view fmt) {
        out += ' ';
        out += fmt;
    });
    return out;
}

// Dotted-quad IPv4 as inet_pton reads it (four decimal parts 0..255, no leading zeros), without
// IpAddr::parse's copy and library call: every Codec-Data of an AAR has c= lines. nullopt for
// anything else, which IpAddr::parse then decides.
std::optional<net::IpAddr> dotted_quad(std::string_view text) {
    uint8_t bytes[4];
    const char* p = text.data();
    const char* const end = p + text.size();
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
        const char* const start = p;
        unsigned value = 0;
        for (unsigned digit; p != end && p - start < 3 && (digit = unsigned(*p) - '0') <= 9; ++p)
            value = value * 10 + digit;
        if (p == start || value > 255 || (*start == '0' && p - start > 1)) return std::nullopt;
        bytes[part] = static_cast<uint8_t>(value);
    }
    if (p != end) return std::nullopt;
    return net::IpAddr::v4(bytes);
}

// "IN IP4 <address>" / "IN IP6 <address>", with a multicast /ttl[/n] or /n suffix allowed
// (RFC 8866 §5.7). Literal addresses only: a UE's media address is never an FQDN here.
Expected<net::IpAddr> parse_address_fields(std::string_view nettype, std::string_view addrtype,
                                           std::string_view address, std::string_view what) {
    if (nettype != "IN") return sdp_error(ErrorCode::malformed, std::string(what) + " network type " + quoted(nettype) + " is not IN");
    const bool v4 = addrtype == "IP4";
    if (!v4 && addrtype != "IP6")
        return sdp_error(ErrorCode::malformed, std::string(what) + " address type " + quoted(addrtype) + " is not IP4 or IP6");
    const std::string_view literal = address.substr(0, address.find('/'));
    std::optional<net::IpAddr> parsed = v4 ? dotted_quad(literal) : std::nullopt;
    if (!parsed) parsed = net::IpAddr::parse(literal);
    if (!parsed || parsed->is_v4() != v4)
        return sdp_error(ErrorCode::malformed, std::string(what) + " address " + quoted(literal) + " is not an " +
                                                   (v4 ? "IPv4" : "IPv6") + " address");
    return *parsed;
}

Expected<net::IpAddr> parse_c_line(std::string_view line) {
    const auto f = split_spaces(line.substr(2));
    if (f.size() != 3) return sdp_error(ErrorCode::malformed, "c= line " + quoted(line) + " is not 'IN IP4|IP6 <address>'");
    return parse_address_fields(f[0], f[1], f[2], "c=");
}

struct Rtcp {
    uint16_t port = 0;
    std::optional<net::IpAddr> address;
};

// RFC 3605 §2.1: a=rtcp:<port> [<nettype> <addrtype> <connection-address>]
Expected<Rtcp> parse_rtcp(std::string_view line) {
    const auto f = split_spaces(line.substr(kRtcpPrefix.size()));
    if (f.size() != 1 && f.size() != 4)
        return sdp_error(ErrorCode::malformed, "a=rtcp line " + quoted(line) + " is not '<port> [IN IP4|IP6 <address>]'");
    Rtcp r;
    const auto port = parse_port(f[0]);
    if (!port) return sdp_error(ErrorCode::malformed, "a=rtcp: port " + quoted(f[0]) + " is not a number 0..65535");
    r.port = *port;
    if (f.size() == 4) {
        auto address = parse_address_fields(f[1], f[2], f[3], "a=rtcp:");
        if (!address) return address.error();
        r.address = *address;
    }
    return r;
}

Expected<E2aeIndication> parse_e2ae(std::string_view line) {
    const std::string_view value = line.substr(kE2aePrefix.size());
    if (value == "requested") return E2aeIndication::requested;
    if (value == "applied") return E2aeIndication::applied;
    return sdp_error(ErrorCode::malformed, "a=3ge2ae value " + quoted(value) + " is neither requested nor applied");
}

std::string e2ae_line(E2aeIndication indication) {
    return std::string(kE2aePrefix) + (indication == E2aeIndication::requested ? "requested" : "applied");
}

struct Origin {
    size_t version_offset = 0;  // in the line
    size_t version_len = 0;
    uint64_t version = 0;
};

// RFC 8866 §5.2: o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
Expected<Origin> parse_origin(std::string_view line) {
    const auto f = split_spaces(line.substr(2));
    if (f.size() != 6) return sdp_error(ErrorCode::malformed, "o= line " + quoted(line) + " does not have 6 fields");
    const auto version = parse_decimal(f[2], UINT64_MAX);
    if (!version) return sdp_error(ErrorCode::malformed, "o= sess-version " + quoted(f[2]) + " is not a decimal number");
    return Origin{static_cast<size_t>(f[2].data() - line.data()), f[2].size(), *version};
}

bool starts_with(std::string_view line, std::string_view prefix) { return line.substr(0, prefix.size()) == prefix; }

struct Lines {
    std::vector<std::string_view> lines;
    LineEnding ending = LineEnding::crlf;
    // The first m= and c= lines as check_known_line parsed them (views into the text), so that
    // reading the lines afterwards need not parse them again.
    std::optional<MLine> first_m;
    std::optional<net::IpAddr> first_c;
};

// Checks a line of a kind we interpret; others only need to be "x=...".
Expected<void> check_known_line(std::string_view line, Lines& lines) {
    if (line[0] == 'm') {
        auto m = parse_m_line(line);
        if (!m) return m.error();
        if (!lines.first_m) lines.first_m = *m;
    } else if (line[0] == 'c') {
        auto c = parse_c_line(line);
        if (!c) return c.error();
        if (!lines.first_c) lines.first_c = *c;
    } else if (line[0] == 'o') {
        auto o = parse_origin(line);
        if (!o) return o.error();
    } else if (line[0] == 'a' && line.size() > 2 && (line[2] == 'r' || line[2] == '3')) {
        // The letter after "a=" first: most a= lines are neither of these two.
        if (starts_with(line, kRtcpPrefix)) {
            auto r = parse_rtcp(line);
            if (!r) return r.error();
        } else if (starts_with(line, kE2aePrefix)) {
            auto e = parse_e2ae(line);
            if (!e) return e.error();
        }
    }
    return {};
}

// Splits on LF or CRLF; every line "<letter>=<value>", at most kMaxSdpLineLen; empty lines
// only at the end (a trailing CRLF CRLF is common and harmless). Calls on_line(line) for each
// line that passed, in order; `out` gets the ending and the first m= and c= lines, not the lines.
template <class OnLine>
Expected<void> for_each_checked_line(std::string_view text, Lines& out, OnLine&& on_line) {
    if (text.size() > kMaxSdpLen)
        return sdp_error(ErrorCode::too_large, std::to_string(text.size()) + " bytes exceed " + std::to_string(kMaxSdpLen));
    bool ending_known = false;
    size_t pos = 0, number = 0;
    size_t empty_since = 0;  // number of the first of the trailing empty lines, 0: none pending
    while (pos < text.size()) {
        ++number;
        size_t end = text.find('\n', pos);
        const bool has_lf = end != std::string_view::npos;
        if (!has_lf) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = has_lf ? end + 1 : end;
        const bool crlf = !line.empty() && line.back() == '\r';
        if (crlf) line.remove_suffix(1);
        if (!ending_known && has_lf) {
            out.ending = crlf ? LineEnding::crlf : LineEnding::lf;
            ending_known = true;
        }
        if (line.empty()) {
            if (empty_since == 0) empty_since = number;
            continue;
        }
        if (empty_since != 0)
            return sdp_error(ErrorCode::malformed, "line " + std::to_string(empty_since) + " is empty");
        if (line.size() > kMaxSdpLineLen)
            return sdp_error(ErrorCode::too_large, "line " + std::to_string(number) + " is " + std::to_string(line.size()) +
                                                       " bytes, over " + std::to_string(kMaxSdpLineLen));
        // memchr runs a word or more at a time; the first of the two is the one to report.
        const void* const nul = std::memchr(line.data(), '\0', line.size());
        const void* const cr = std::memchr(line.data(), '\r', line.size());
        if (nul != nullptr || cr != nullptr) {
            const bool nul_first = nul != nullptr && (cr == nullptr || nul < cr);
            return sdp_error(ErrorCode::malformed, "line " + std::to_string(number) + " holds a " +
                                                       (nul_first ? "NUL" : "CR without LF"));
        }
        // RFC 8866 §5: <type>=<value>, type one lower-case letter.
        if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=')
            return sdp_error(ErrorCode::malformed, "line " + std::to_string(number) + " " + quoted(line) + " is not <type>=<value>");
        auto known = check_known_line(line, out);
        if (!known) return make_error(known.error().code, "sdp: line " + std::to_string(number) + ": " + known.error().message.substr(5));
        on_line(line);
    }
    return {};
}

// for_each_checked_line, keeping the lines.
Expected<Lines> split_lines(std::string_view text) {
    Lines out;
    out.lines.reserve(16);  // an m-section's usual size: one allocation, not four
    auto checked = for_each_checked_line(text, out, [&](std::string_view line) { out.lines.push_back(line); });
    if (!checked) return checked.error();
    return out;
}

std::string_view ending_text(LineEnding ending) { return ending == LineEnding::crlf ? "\r\n" : "\n"; }

// An m-section's shape, seen line by line: an m= line first and no other. The error, if any,
// counts only after every line passed split_lines' checks (their errors come first).
struct SectionShape {
    size_t lines = 0;
    bool m_first = false;
    size_t second_m = 0;  // number of the first m= line after the first line, 0: none

    void see(std::string_view line) {
        ++lines;
        if (lines == 1) m_first = line[0] == 'm';
        else if (line[0] == 'm' && second_m == 0) second_m = lines;
    }
    Expected<void> check() const {
        if (lines == 0 || !m_first) return sdp_error(ErrorCode::malformed, "a media section starts with an m= line");
        if (second_m != 0)
            return sdp_error(ErrorCode::malformed, "line " + std::to_string(second_m) + ": a second m= line in one media section");
        return {};
    }
};

// The lines of one m-section's text: split_lines' checks, then an m= line first and no other.
Expected<Lines> split_media_section(std::string_view text) {
    auto split = split_lines(text);
    if (!split) return split.error();
    SectionShape shape;
    for (const std::string_view line : split->lines) shape.see(line);
    if (auto ok = shape.check(); !ok) return ok.error();
    return split;
}

// What one line other than m= and c= adds to its section's MediaInfo.
void add_attribute(MediaInfo& info, std::string_view line) {
    // The attributes read here differ in their first letter after "a=" (rtcp-mux and rtcp: both
    // 'r'): look at that letter before comparing prefixes, which every a= line would pay.
    if (line.size() < 3 || line[0] != 'a' || line[1] != '=') return;
    const char letter = line[2];
    if (letter != 'r' && letter != 'c' && letter != '3' && letter != 'p') return;
    if (line == kRtcpMux) {
        info.rtcp_mux = true;
    } else if (starts_with(line, kRtcpPrefix) && !info.rtcp_port) {
        if (auto r = parse_rtcp(line)) {
            info.rtcp_port = r->port;
            info.rtcp_address = r->address;
        }
    } else if (starts_with(line, kCryptoPrefix)) {
        auto crypto = parse_crypto_attribute(line);
        if (crypto) info.crypto.push_back(std::move(*crypto));
        else info.crypto_errors.push_back(crypto.error());
    } else if (starts_with(line, kE2aePrefix) && !info.e2ae) {
        if (auto e = parse_e2ae(line)) info.e2ae = *e;
    } else if (starts_with(line, kPathPrefix) && info.msrp_path.empty()) {
        // path-attribute = "path" ":" MSRP-URI *(SP MSRP-URI) (RFC 4975 §9)
        std::string_view rest = line.substr(kPathPrefix.size());
        while (!rest.empty()) {
            const size_t space = rest.find(' ');
            const std::string_view uri = rest.substr(0, space);
            if (!uri.empty()) info.msrp_path.emplace_back(uri);
            rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        }
    }
}

// The m= line's part of a MediaInfo.
void set_media_line(MediaInfo& info, const MLine& m) {
    info.media = m.media;
    info.port = m.port;
    info.port_count = m.port_count;
    info.proto = m.proto;
    if (const ProtoName* p = proto_by_name(m.proto)) info.proto_kind = p->kind;
    size_t format_count = 0;
    for_each_field(m.formats, [&](std::string_view) { ++format_count; });
    info.formats.reserve(format_count);  // one allocation, not one per doubling
    for_each_field(m.formats, [&](std::string_view fmt) { info.formats.emplace_back(fmt); });
}

// MediaSection::info over lines held as std::string (a section) or std::string_view (text not
// copied); lines[0] is a well-formed m= line and the other lines passed split_lines' checks.
// checked: split_lines' result for these very lines, with their m= and c= already parsed.
template <class LineList>
MediaInfo media_info_of(const LineList& lines, const std::optional<net::IpAddr>& session_connection,
                        const Lines* checked = nullptr) {
    MediaInfo info;
    if (lines.empty()) return info;  // default-constructed: no m= line to describe
    // split_lines() and every operation keep lines well-formed, so these parses succeed.
    set_media_line(info, checked != nullptr ? *checked->first_m : *parse_m_line(lines[0]));
    if (checked != nullptr) info.connection = checked->first_c;
    for (const auto& line : lines) {
        if (line[0] == 'c') {
            if (!info.connection)
                if (auto c = parse_c_line(line)) info.connection = *c;
        } else {
            add_attribute(info, line);
        }
    }
    if (!info.connection && session_connection) {
        info.connection = session_connection;
        info.connection_from_session = true;
    }
    return info;
}

}  // namespace

// ---- MediaSection ----

MediaSection& MediaSection::operator=(const MediaSection& other) {
    if (this != &other) {
        wipe_lines();
        lines_ = other.lines_;
    }
    return *this;
}

MediaSection& MediaSection::operator=(MediaSection&& other) noexcept {
    if (this != &other) {
        wipe_lines();
        lines_ = std::move(other.lines_);
    }
    return *this;
}

void MediaSection::wipe_lines() noexcept {
    for (std::string& line : lines_)
        if (starts_with(line, kCryptoPrefix)) wipe(line);
}

Expected<MediaSection> MediaSection::parse(std::string_view text, LineEnding* ending) {
    auto split = split_media_section(text);
    if (!split) return split.error();
    if (ending != nullptr) *ending = split->ending;
    MediaSection section;
    section.lines_.reserve(split->lines.size());
    for (const std::string_view line : split->lines) section.lines_.emplace_back(line);
    return section;
}

MediaInfo MediaSection::info(const std::optional<net::IpAddr>& session_connection) const {
    return media_info_of(lines_, session_connection);
}

size_t MediaSection::text_size(LineEnding ending) const {
    size_t n = 0;
    for (const std::string& line : lines_) n += line.size() + ending_text(ending).size();
    return n;
}

std::string MediaSection::to_string(LineEnding ending) const {
    std::string out;
    out.reserve(text_size(ending));
    for (const std::string& line : lines_) {
        out += line;
        out += ending_text(ending);
    }
    return out;
}

Expected<void> MediaSection::set_address(const net::IpAddr& address, uint16_t port) {
    if (lines_.empty()) return sdp_error(ErrorCode::invalid_argument, "empty media section");
    if (address.empty()) return sdp_error(ErrorCode::invalid_argument, "no address to set");
    const auto m = parse_m_line(lines_[0]);
    const uint16_t old_port = m->port;

    // a=rtcp first: it is the only step that can fail.
    std::optional<size_t> rtcp_index;
    std::string rtcp_line;
    for (size_t i = 1; i < lines_.size(); ++i) {
        if (!starts_with(lines_[i], kRtcpPrefix)) continue;
        const auto r = parse_rtcp(lines_[i]);
        // RFC 3605 names the RTCP port; RFC 5761 §5.1.3 lets it equal the RTP port when muxed.
        const uint32_t rtcp_port = r->port == old_port ? port : uint32_t{port} + 1;
        if (rtcp_port > 65535)
            return sdp_error(ErrorCode::invalid_argument, "RTP port 65535 leaves no port for a=rtcp");
        rtcp_index = i;
        rtcp_line = std::string(kRtcpPrefix) + std::to_string(rtcp_port);
        if (r->address) rtcp_line += ' ' + address_fields(address);
        break;
    }
    if (rtcp_index) lines_[*rtcp_index] = std::move(rtcp_line);
    lines_[0] = format_m_line(*m, port, m->proto);

    // One c= for the section, in its RFC 8866 §5 place: after m= and i=.
    std::erase_if(lines_, [](const std::string& line) { return line[0] == 'c'; });  // never m=
    size_t at = 1;
    while (at < lines_.size() && lines_[at][0] == 'i') ++at;
    lines_.insert(lines_.begin() + static_cast<ptrdiff_t>(at), "c=" + address_fields(address));
    return {};
}

Expected<void> MediaSection::set_secure(bool secure) {
    if (lines_.empty()) return sdp_error(ErrorCode::invalid_argument, "empty media section");
    const auto m = parse_m_line(lines_[0]);
    const ProtoName* p = proto_by_name(m->proto);
    if (p == nullptr)
        return sdp_error(ErrorCode::invalid_argument, "proto " + quoted(m->proto) + " has no RTP/AVP <-> RTP/SAVP counterpart");
    const ProtoName& target = proto_by_kind(secure ? p->secure : p->plain);
    if (target.kind != p->kind) lines_[0] = format_m_line(*m, m->port, target.name);
    return {};
}

Expected<void> MediaSection::add_crypto(const CryptoAttribute& attribute) {
    if (lines_.empty()) return sdp_error(ErrorCode::invalid_argument, "empty media section");
    auto valid = validate_crypto_attribute(attribute);
    if (!valid) return valid.error();
    std::string line = format_crypto_line(attribute);
    if (line.size() > kMaxSdpLineLen) {
        wipe(line);
        return sdp_error(ErrorCode::too_large, "a=crypto line would exceed " + std::to_string(kMaxSdpLineLen) + " bytes");
    }
    size_t insert_at = lines_.size();
    for (size_t i = 1; i < lines_.size(); ++i) {
        if (!starts_with(lines_[i], kCryptoPrefix)) continue;
        insert_at = i + 1;
        // RFC 4568 §9.1: the tag is unique among the media section's a=crypto lines.
        const std::string_view rest = std::string_view(lines_[i]).substr(kCryptoPrefix.size());
        const std::string_view tag = rest.substr(0, rest.find(' '));
        if (tag == std::to_string(attribute.tag)) {
            wipe(line);
            return sdp_error(ErrorCode::invalid_argument, "a=crypto tag " + std::to_string(attribute.tag) + " is already in use");
        }
    }
    lines_.insert(lines_.begin() + static_cast<ptrdiff_t>(insert_at), std::move(line));
    return {};
}

size_t MediaSection::remove_crypto(std::optional<uint32_t> tag) {
    const std::string tag_text = tag ? std::to_string(*tag) : std::string();
    return std::erase_if(lines_, [&](std::string& line) {
        if (!starts_with(line, kCryptoPrefix)) return false;
        const std::string_view rest = std::string_view(line).substr(kCryptoPrefix.size());
        const bool match = !tag || rest.substr(0, rest.find(' ')) == tag_text;
        if (match) wipe(line);  // the line holds a key
        return match;
    });
}

void MediaSection::set_e2ae(E2aeIndication indication) {
    if (lines_.empty()) return;  // no m= line to attach it to
    remove_e2ae();
    lines_.push_back(e2ae_line(indication));
}

bool MediaSection::remove_e2ae() {
    return std::erase_if(lines_, [](const std::string& line) { return starts_with(line, kE2aePrefix); }) > 0;
}

Expected<void> MediaSection::set_msrp_path(std::string_view uri) {
    if (lines_.empty()) return sdp_error(ErrorCode::invalid_argument, "no m= line to give an a=path");
    if (uri.empty() || uri.find_first_of(" \r\n") != std::string_view::npos)
        return sdp_error(ErrorCode::invalid_argument, "a=path URI " + quoted(uri) + " is empty or has a space or line break");
    const std::string line = std::string(kPathPrefix) + std::string(uri);
    const auto it = std::find_if(lines_.begin(), lines_.end(),
                                 [](const std::string& l) { return starts_with(l, kPathPrefix); });
    if (it != lines_.end()) *it = line;
    else lines_.push_back(line);
    return {};
}

// ---- SessionDescription ----

Expected<SessionDescription> SessionDescription::parse(std::string_view text) {
    auto split = split_lines(text);
    if (!split) return split.error();
    if (split->lines.empty() || split->lines[0] != "v=0")
        return sdp_error(ErrorCode::malformed, "an SDP starts with v=0 (RFC 8866 §5.1)");
    SessionDescription sdp;
    sdp.ending_ = split->ending;
    size_t origins = 0;
    for (std::string_view line : split->lines) {
        if (line[0] == 'm') {
            if (sdp.media_.size() == kMaxMediaSections)
                return sdp_error(ErrorCode::too_large, "more than " + std::to_string(kMaxMediaSections) + " m-sections");
            sdp.media_.emplace_back();
        }
        if (sdp.media_.empty()) {
            if (line[0] == 'o') ++origins;
            sdp.session_.emplace_back(line);
        } else {
            sdp.media_.back().lines_.emplace_back(line);
        }
    }
    if (origins != 1)
        return sdp_error(ErrorCode::malformed, origins == 0 ? "no o= line (RFC 8866 §5.2)" : "more than one o= line");
    return sdp;
}

size_t SessionDescription::text_size() const {
    size_t n = 0;
    for (const std::string& line : session_) n += line.size() + ending_text(ending_).size();
    for (const MediaSection& m : media_) n += m.text_size(ending_);
    return n;
}

std::string SessionDescription::to_string() const {
    std::string out;
    out.reserve(text_size());
    for (const std::string& line : session_) {
        out += line;
        out += ending_text(ending_);
    }
    for (const MediaSection& m : media_) out += m.to_string(ending_);
    return out;
}

std::optional<net::IpAddr> SessionDescription::session_connection() const {
    for (const std::string& line : session_)
        if (line[0] == 'c')
            if (auto c = parse_c_line(line)) return *c;
    return std::nullopt;
}

uint64_t SessionDescription::origin_version() const {
    for (const std::string& line : session_)
        if (line[0] == 'o')
            if (auto o = parse_origin(line)) return o->version;
    return 0;
}

Expected<MediaInfo> SessionDescription::media_info(size_t index) const {
    if (index >= media_.size())
        return sdp_error(ErrorCode::invalid_argument, "no m-section " + std::to_string(index) + " (there are " +
                                                          std::to_string(media_.size()) + ")");
    return media_[index].info(session_connection());
}

template <class Op>
Expected<void> SessionDescription::change_media(size_t index, Op&& op) {
    if (index >= media_.size())
        return sdp_error(ErrorCode::invalid_argument, "no m-section " + std::to_string(index) + " (there are " +
                                                          std::to_string(media_.size()) + ")");
    MediaSection changed = media_[index];
    auto r = op(changed);
    if (!r) return r.error();
    const size_t size = text_size() - media_[index].text_size(ending_) + changed.text_size(ending_);
    if (size > kMaxSdpLen)
        return sdp_error(ErrorCode::too_large, "the SDP would grow to " + std::to_string(size) + " bytes, over " +
                                                   std::to_string(kMaxSdpLen));
    media_[index] = std::move(changed);
    return {};
}

Expected<void> SessionDescription::set_media_address(size_t index, const net::IpAddr& address, uint16_t port) {
    return change_media(index, [&](MediaSection& m) { return m.set_address(address, port); });
}

Expected<void> SessionDescription::set_media_secure(size_t index, bool secure) {
    return change_media(index, [&](MediaSection& m) { return m.set_secure(secure); });
}

Expected<void> SessionDescription::add_crypto(size_t index, const CryptoAttribute& attribute) {
    return change_media(index, [&](MediaSection& m) { return m.add_crypto(attribute); });
}

Expected<size_t> SessionDescription::remove_crypto(size_t index, std::optional<uint32_t> tag) {
    size_t removed = 0;
    auto r = change_media(index, [&](MediaSection& m) {
        removed = m.remove_crypto(tag);
        return Expected<void>();
    });
    if (!r) return r.error();
    return removed;
}

Expected<void> SessionDescription::set_e2ae(size_t index, E2aeIndication indication) {
    return change_media(index, [&](MediaSection& m) {
        m.set_e2ae(indication);
        return Expected<void>();
    });
}

Expected<void> SessionDescription::set_msrp_path(size_t index, std::string_view uri) {
    return change_media(index, [&](MediaSection& m) { return m.set_msrp_path(uri); });
}

Expected<bool> SessionDescription::remove_e2ae(size_t index) {
    bool removed = false;
    auto r = change_media(index, [&](MediaSection& m) {
        removed = m.remove_e2ae();
        return Expected<void>();
    });
    if (!r) return r.error();
    return removed;
}

Expected<void> SessionDescription::set_session_connection(const net::IpAddr& address) {
    if (address.empty()) return sdp_error(ErrorCode::invalid_argument, "no address to set");
    // One session-level c= (RFC 8866 §5: at most one per level), where the first one was, or
    // in its §5 place (v o s i u e p c b t r z k a) before the first b= or later field.
    const auto first_c = std::find_if(session_.begin(), session_.end(), [](const std::string& l) { return l[0] == 'c'; });
    const auto place = first_c != session_.end()
                           ? first_c
                           : std::find_if(session_.begin(), session_.end(), [](const std::string& l) {
                                 return std::string_view("btrzka").find(l[0]) != std::string_view::npos;
                             });
    std::vector<std::string> changed;
    changed.reserve(session_.size() + 1);
    for (auto it = session_.begin(); it != session_.end(); ++it) {
        if (it == place) changed.push_back("c=" + address_fields(address));
        if ((*it)[0] != 'c') changed.push_back(*it);
    }
    if (place == session_.end()) changed.push_back("c=" + address_fields(address));
    size_t size = text_size();
    for (const std::string& l : session_) size -= l.size() + ending_text(ending_).size();
    for (const std::string& l : changed) size += l.size() + ending_text(ending_).size();
    if (size > kMaxSdpLen)
        return sdp_error(ErrorCode::too_large, "the SDP would grow to " + std::to_string(size) + " bytes");
    session_ = std::move(changed);
    return {};
}

Expected<void> SessionDescription::bump_origin_version() {
    for (std::string& line : session_) {
        if (line[0] != 'o') continue;
        const auto o = parse_origin(line);
        if (o->version == UINT64_MAX) return sdp_error(ErrorCode::invalid_argument, "o= sess-version cannot grow past 2^64-1");
        const std::string next = std::to_string(o->version + 1);
        if (line.size() - o->version_len + next.size() > kMaxSdpLineLen || text_size() + 1 > kMaxSdpLen)
            return sdp_error(ErrorCode::too_large, "o= line would grow past the limits");
        line.replace(o->version_offset, o->version_len, next);
        return {};
    }
    return sdp_error(ErrorCode::malformed, "no o= line");
}

// ---- Codec-Data ----

namespace {

struct CodecDataHeader {
    LinkDirection direction = LinkDirection::uplink;
    SdpRole role = SdpRole::offer;
    std::string_view section;  // the m-section text after the two words
};

Expected<CodecDataHeader> read_codec_data_header(std::string_view avp_value) {
    // ims_qos appends one NUL (rx_create_codec_data_avp: "0 Terminated").
    if (!avp_value.empty() && avp_value.back() == '\0') avp_value.remove_suffix(1);
    auto word = [&](std::string_view& rest) -> std::optional<std::string_view> {
        const size_t lf = rest.find('\n');
        if (lf == std::string_view::npos) return std::nullopt;
        std::string_view w = rest.substr(0, lf);
        if (!w.empty() && w.back() == '\r') w.remove_suffix(1);
        rest.remove_prefix(lf + 1);
        return w;
    };
    std::string_view rest = avp_value;
    const auto direction = word(rest);
    const auto role = word(rest);
    if (!direction || !role)
        return make_error(ErrorCode::malformed, "codec-data: missing the direction and offer/answer lines");
    CodecDataHeader header;
    // TS 29.214 §5.3.7: first line uplink|downlink, second offer|answer|description.
    if (*direction == "uplink") header.direction = LinkDirection::uplink;
    else if (*direction == "downlink") header.direction = LinkDirection::downlink;
    else return make_error(ErrorCode::malformed, "codec-data: direction " + quoted(*direction) + " is neither uplink nor downlink");
    if (*role == "offer") header.role = SdpRole::offer;
    else if (*role == "answer") header.role = SdpRole::answer;
    else if (*role == "description") header.role = SdpRole::description;
    else return make_error(ErrorCode::malformed, "codec-data: " + quoted(*role) + " is not offer, answer or description");
    header.section = rest;
    return header;
}

}  // namespace

Expected<CodecData> parse_codec_data(std::string_view avp_value) {
    auto header = read_codec_data_header(avp_value);
    if (!header) return header.error();
    CodecData data;
    data.direction = header->direction;
    data.role = header->role;
    auto section = MediaSection::parse(header->section, &data.ending);
    if (!section) return make_error(section.error().code, "codec-data: " + section.error().message);
    data.section = std::move(*section);
    return data;
}

Expected<CodecDataInfo> codec_data_info(std::string_view avp_value) {
    auto header = read_codec_data_header(avp_value);
    if (!header) return header.error();
    // split_media_section and media_info_of in one walk over the lines, keeping none of them.
    CodecDataInfo data;
    Lines checked;
    SectionShape shape;
    auto walked = for_each_checked_line(header->section, checked, [&](std::string_view line) {
        shape.see(line);
        if (line[0] != 'm' && line[0] != 'c') add_attribute(data.media, line);
    });
    if (walked) walked = shape.check();
    if (!walked) return make_error(walked.error().code, "codec-data: " + walked.error().message);
    data.direction = header->direction;
    data.role = header->role;
    data.ending = checked.ending;
    set_media_line(data.media, *checked.first_m);
    data.media.connection = checked.first_c;
    return data;
}

std::string format_codec_data(LinkDirection direction, SdpRole role, std::string_view m_section) {
    std::string out = direction == LinkDirection::uplink ? "uplink\n" : "downlink\n";
    out += role == SdpRole::offer ? "offer\n" : role == SdpRole::answer ? "answer\n" : "description\n";
    out += m_section;
    out += '\0';
    return out;
}

}  // namespace msf::keying
