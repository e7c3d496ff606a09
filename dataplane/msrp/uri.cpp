#include "dataplane/msrp/uri.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace msf::msrp {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

// RFC 3986 §2.3 unreserved.
bool is_unreserved(char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

// RFC 3986 §3.2.2 reg-name characters (unreserved / pct-encoded / sub-delims); pct-encoded is
// checked by the caller.
bool is_reg_name_char(char c) {
    static constexpr std::string_view sub_delims = "!$&'()*+,;=";
    return is_unreserved(c) || sub_delims.find(c) != std::string_view::npos;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
    return out;
}

bool equal_nocase(std::string_view a, std::string_view b) {
    auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return fold(x) == fold(y); });
}

std::optional<Uri> fail(std::string* error, std::string message) {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
}

}  // namespace

std::optional<Uri> parse_uri(std::string_view text, std::string* error) {
    Uri uri;
    const size_t colon = text.find("://");
    if (colon == std::string_view::npos) return fail(error, "no \"://\"");
    const std::string scheme = lower(text.substr(0, colon));
    if (scheme == "msrps") uri.secure = true;
    else if (scheme != "msrp") return fail(error, "scheme is not msrp or msrps");
    std::string_view rest = text.substr(colon + 3);

    // The authority ends at "/" (session-id) or ";" (transport).
    const size_t authority_end = rest.find_first_of("/;");
    if (authority_end == std::string_view::npos) return fail(error, "no \";transport\"");
    std::string_view authority = rest.substr(0, authority_end);
    rest = rest.substr(authority_end);
    if (const size_t at = authority.rfind('@'); at != std::string_view::npos)
        authority = authority.substr(at + 1);  // userinfo is not used
    std::optional<std::string_view> port_text;  // set when the authority has ":port"
    if (!authority.empty() && authority.front() == '[') {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos) return fail(error, "unterminated IPv6 address");
        uri.host = std::string(authority.substr(1, close - 1));
        in6_addr addr{};
        if (inet_pton(AF_INET6, uri.host.c_str(), &addr) != 1)
            return fail(error, "bad IPv6 address");
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail(error, "junk after IPv6 address");
            port_text = after.substr(1);
        }
    } else {
        const size_t port_colon = authority.find(':');
        const std::string_view host = authority.substr(0, port_colon);
        if (port_colon != std::string_view::npos) port_text = authority.substr(port_colon + 1);
        if (host.empty()) return fail(error, "empty host");
        for (size_t i = 0; i < host.size(); ++i) {
            if (host[i] == '%') {
                if (i + 2 >= host.size() || !std::isxdigit(static_cast<unsigned char>(host[i + 1])) ||
                    !std::isxdigit(static_cast<unsigned char>(host[i + 2])))
                    return fail(error, "bad percent-encoding in host");
                i += 2;
            } else if (!is_reg_name_char(host[i])) {
                return fail(error, "bad character in host");
            }
        }
        uri.host = std::string(host);
    }
    if (port_text) {
        uint32_t port = 0;
        const std::string_view digits = *port_text;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
            port == 0 || port > 65535)
            return fail(error, "bad port");
        uri.port = static_cast<uint16_t>(port);
    }

    if (rest.front() == '/') {
        // session-id = 1*( unreserved / "+" / "=" / "/" )
        const size_t semi = rest.find(';');
        if (semi == std::string_view::npos) return fail(error, "no \";transport\"");
        const std::string_view id = rest.substr(1, semi - 1);
        if (id.empty()) return fail(error, "empty session-id");
        for (const char c : id) {
            if (!is_unreserved(c) && c != '+' && c != '=' && c != '/')
                return fail(error, "bad character in session-id");
        }
        uri.session_id = std::string(id);
        rest = rest.substr(semi);
    }
    // rest starts with ';': transport, then URI parameters.
    rest.remove_prefix(1);
    const size_t param = rest.find(';');
    const std::string_view transport = rest.substr(0, param);
    if (transport.empty() || !std::all_of(transport.begin(), transport.end(), is_alnum))
        return fail(error, "bad transport");
    uri.transport = lower(transport);
    if (param != std::string_view::npos) {
        for (const char c : rest.substr(param)) {
            if (!is_reg_name_char(c) && c != '%' && c != ':' && c != '@' && c != '[' && c != ']')
                return fail(error, "bad character in URI parameter");
        }
    }
    return uri;
}

std::string format_uri(const Uri& uri) {
    // Appended piece by piece: GCC 12 misreports "literal" + std::string (-Wrestrict).
    std::string out(uri.secure ? "msrps://" : "msrp://");
    const bool ipv6 = uri.host.find(':') != std::string::npos;
    if (ipv6) out.push_back('[');
    out.append(uri.host);
    if (ipv6) out.push_back(']');
    if (uri.port) out.append(":").append(std::to_string(*uri.port));
    if (!uri.session_id.empty()) out.append("/").append(uri.session_id);
    out.append(";").append(uri.transport);
    return out;
}

bool same_uri(const Uri& a, const Uri& b) {
    return a.secure == b.secure && equal_nocase(a.host, b.host) && a.port == b.port &&
           a.session_id == b.session_id && equal_nocase(a.transport, b.transport);
}

bool path_is(std::string_view path_value, const Uri& expected, std::string_view expected_text) {
    // Endpoints copy the URI they were given, so the bytes usually match and no parse is needed.
    if (!expected_text.empty() && path_value == expected_text) return true;
    if (path_value.empty() || path_value.find(' ') != std::string_view::npos) return false;
    const std::optional<Uri> uri = parse_uri(path_value);
    return uri && same_uri(*uri, expected);
}

}  // namespace msf::msrp
