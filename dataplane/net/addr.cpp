#include "dataplane/net/addr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace msf::net {

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
    // inet_pton stops at a NUL: "192.0.2.1\0junk" must not pass as 192.0.2.1.
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
        text.find('\0') != std::string_view::npos)
        return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    uint8_t raw[16];
    if (inet_pton(AF_INET, buf, raw) == 1) return v4(raw);
    if (inet_pton(AF_INET6, buf, raw) == 1) return v6(raw);
    return std::nullopt;
}

std::string IpAddr::to_string() const {
    char buf[INET6_ADDRSTRLEN] = "-";
    if (is_v4()) {
        // Dotted quad by hand: inet_ntop formats IPv4 through sprintf, which was an eighth of
        // the load client's time per call (every IPFilterRule names two addresses).
        std::string out;
        out.reserve(15);
        for (size_t i = 0; i < 4; ++i) {
            if (i > 0) out.push_back('.');
            char digits[3];
            out.append(digits, std::to_chars(digits, digits + sizeof digits, bytes[i]).ptr);
        }
        return out;
    }
    if (is_v6()) inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
    return buf;
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        const auto addr = IpAddr::parse(host);
        if (!addr || !addr->is_v6()) return std::nullopt;
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    const auto addr = IpAddr::parse(host);
    if (!addr || (addr->is_v6() && text.front() != '[')) return std::nullopt;
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value > 65535) return std::nullopt;
    return Endpoint{*addr, static_cast<uint16_t>(value)};
}

std::string Endpoint::to_string() const {
    std::string out;
    out.reserve(INET6_ADDRSTRLEN + 8);
    if (addr.is_v6()) out.push_back('[');
    out.append(addr.to_string());
    if (addr.is_v6()) out.push_back(']');
    out.push_back(':');
    out.append(std::to_string(port));
    return out;
}

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
    MacAddr mac;
    if (text.size() != 17) return std::nullopt;
    for (size_t i = 0; i < 6; ++i) {
        if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
        unsigned v = 0;
        const char* first = text.data() + i * 3;
        const auto [end, ec] = std::from_chars(first, first + 2, v, 16);
        if (ec != std::errc() || end != first + 2) return std::nullopt;
        mac.bytes[i] = static_cast<uint8_t>(v);
    }
    return mac;
}

std::string MacAddr::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                  bytes[3], bytes[4], bytes[5]);
    return buf;
}

}  // namespace msf::net
