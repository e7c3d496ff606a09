#include "dataplane/msrp/session.hpp"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace msf::msrp {

Session::~Session() {
    // DESIGN.md: keys are zeroed on removal.
    if (!psk.empty()) OPENSSL_cleanse(psk.data(), psk.size());
}

std::optional<in6_addr> parse_ip(std::string_view text) {
    const std::string copy(text);
    in6_addr v6{};
    if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) return v6;
    in_addr v4{};
    if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
        v6 = in6_addr{};
        v6.s6_addr[10] = 0xff;
        v6.s6_addr[11] = 0xff;
        std::memcpy(&v6.s6_addr[12], &v4, 4);
        return v6;
    }
    return std::nullopt;
}

in6_addr to_ipv6(const sockaddr_storage& address) {
    in6_addr v6{};
    if (address.ss_family == AF_INET6) {
        v6 = reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
    } else if (address.ss_family == AF_INET) {
        v6.s6_addr[10] = 0xff;
        v6.s6_addr[11] = 0xff;
        std::memcpy(&v6.s6_addr[12], &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, 4);
    }
    return v6;
}

std::string address_text(const sockaddr_storage& address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(v4->sin_port));
    }
    if (address.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
        inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        std::string out("[");  // appended piece by piece: GCC 12 -Wrestrict misfires on "[" + s
        out.append(text).append("]:").append(std::to_string(ntohs(v6->sin6_port)));
        return out;
    }
    return "?";
}

std::string random_session_id() {
    // 120 bits as 20 base-64url characters, all "unreserved" in the RFC 4975 §9 session-id.
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char random[20];
    if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("RAND_bytes failed");
    std::string id;
    for (const unsigned char b : random) id += alphabet[b % 64];
    return id;
}

}  // namespace msf::msrp
