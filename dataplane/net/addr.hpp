// Addresses as the dataplane and its control API see them: IPv4 or IPv6 in network byte order,
// UDP endpoints, Ethernet MACs. Value types, no allocation except to_string().
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace msf::net {

enum class Family : uint8_t { none = 0, ipv4 = 4, ipv6 = 6 };

struct IpAddr {
    Family family = Family::none;
    std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4 bytes, rest zero

    static IpAddr v4(const uint8_t* network_order) {
        IpAddr a;
        a.family = Family::ipv4;
        std::memcpy(a.bytes.data(), network_order, 4);
        return a;
    }
    static IpAddr v6(const uint8_t* network_order) {
        IpAddr a;
        a.family = Family::ipv6;
        std::memcpy(a.bytes.data(), network_order, 16);
        return a;
    }
    // "192.0.2.1" or "2001:db8::1"; nullopt for anything else.
    static std::optional<IpAddr> parse(std::string_view text);
    std::string to_string() const;

    bool is_v4() const { return family == Family::ipv4; }
    bool is_v6() const { return family == Family::ipv6; }
    bool empty() const { return family == Family::none; }
    size_t size() const { return family == Family::ipv4 ? 4 : family == Family::ipv6 ? 16 : 0; }
    bool operator==(const IpAddr&) const = default;
};

// Compares an address with 4 or 16 network-order bytes; constant-size compares inline.
inline bool same_ip(const IpAddr& a, Family family, const uint8_t* bytes) {
    if (a.family != family) return false;
    return family == Family::ipv4 ? std::memcmp(a.bytes.data(), bytes, 4) == 0
                                  : std::memcmp(a.bytes.data(), bytes, 16) == 0;
}

struct Endpoint {
    IpAddr addr;
    uint16_t port = 0;  // host order

    // "192.0.2.1:5004" or "[2001:db8::1]:5004".
    static std::optional<Endpoint> parse(std::string_view text);
    std::string to_string() const;
    bool empty() const { return addr.empty(); }
    bool operator==(const Endpoint&) const = default;
};

struct MacAddr {
    std::array<uint8_t, 6> bytes{};

    static std::optional<MacAddr> parse(std::string_view text);  // "02:00:00:00:00:01"
    std::string to_string() const;
    bool is_zero() const { return bytes == std::array<uint8_t, 6>{}; }
    bool operator==(const MacAddr&) const = default;
};

}  // namespace msf::net
