#include "controlplane/diameter/avp.hpp"

#include <algorithm>
#include <cstring>

#include "controlplane/diameter/ip_filter_rule.hpp"

namespace msf::diameter {

namespace {

constexpr int64_t kNtpToUnix = 2208988800;  // seconds from 1900-01-01 to 1970-01-01
constexpr int64_t kNtpEra = int64_t{1} << 32;

// Eight bytes at a time, the "has a byte less than / more than n" tests of Bit Twiddling Hacks
// (exact for whether some byte matches): Session-Id, Origin-Host and the other identities of
// every message pass through these checks.
constexpr uint64_t kEachByte = 0x0101010101010101;
constexpr uint64_t kTopBits = 0x8080808080808080;
uint64_t load8(const uint8_t* p) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    return x;
}
// Nonzero if some byte is below n (n <= 128).
uint64_t bytes_below(uint64_t x, uint8_t n) { return (x - kEachByte * n) & ~x & kTopBits; }
// Nonzero if some byte is above n (n <= 127).
uint64_t bytes_above(uint64_t x, uint8_t n) { return ((x + kEachByte * (127 - n)) | x) & kTopBits; }

bool printable_ascii(std::span<const uint8_t> bytes) {
    const uint8_t* p = bytes.data();
    const uint8_t* const end = p + bytes.size();
    for (; end - p >= 8; p += 8) {
        const uint64_t x = load8(p);
        if (bytes_below(x, 0x21) != 0 || bytes_above(x, 0x7e) != 0) return false;
    }
    return std::all_of(p, end, [](uint8_t c) { return c > 0x20 && c < 0x7f; });
}

bool starts_with_ignoring_case(std::span<const uint8_t> bytes, std::string_view prefix) {
    if (bytes.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        uint8_t c = bytes[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c - 'A' + 'a');
        if (c != static_cast<uint8_t>(prefix[i])) return false;
    }
    return true;
}

std::string size_error(DataType type, size_t got, std::string_view wanted) {
    return std::to_string(got) + " data bytes, " + std::string(data_type_name(type)) + " has " +
           std::string(wanted);
}

}  // namespace

AvpHeader read_short_avp_header(std::span<const uint8_t> bytes) {
    uint8_t raw[kAvpVendorHeaderSize] = {};
    std::memcpy(raw, bytes.data(), std::min(bytes.size(), sizeof raw));
    AvpHeader h;
    h.code = load_be32(raw);
    h.flags = raw[4];
    h.length = load_be24(raw + 5);
    if (h.vendor()) h.vendor_id = load_be32(raw + 8);
    return h;
}

void write_avp_header(uint8_t* out, const AvpHeader& header) {
    store_be32(out, header.code);
    out[4] = header.flags;
    store_be24(out + 5, header.length);
    if (header.vendor()) store_be32(out + 8, header.vendor_id);
}

std::vector<uint8_t> encode_avp(uint32_t code, uint8_t flags, uint32_t vendor_id,
                                std::span<const uint8_t> data) {
    const size_t header_size = avp_header_size(flags);
    std::vector<uint8_t> out(padded(header_size + data.size()), 0);
    write_avp_header(out.data(),
                     {code, flags, static_cast<uint32_t>(header_size + data.size()), vendor_id});
    if (!data.empty()) std::memcpy(out.data() + header_size, data.data(), data.size());
    return out;
}

size_t minimal_data_size(DataType type) {
    if (const auto size = fixed_size(type)) return *size;
    switch (type) {
        case DataType::address: return 6;      // family + IPv4
        case DataType::ipv6_prefix: return 2;  // reserved + prefix length
        default: return 0;                     // strings, Grouped
    }
}

std::string check_data_size(DataType type, std::span<const uint8_t> data) {
    if (const auto size = fixed_size(type)) {
        if (data.size() != *size) return size_error(type, data.size(), std::to_string(*size));
        return {};
    }
    switch (type) {
        case DataType::address: {
            if (data.size() < 2) return size_error(type, data.size(), "at least 2");
            const uint16_t family = static_cast<uint16_t>(data[0] << 8 | data[1]);
            if (family == kAddressFamilyIpv4 && data.size() != 6)
                return size_error(type, data.size(), "6 for IPv4");
            if (family == kAddressFamilyIpv6 && data.size() != 18)
                return size_error(type, data.size(), "18 for IPv6");
            return {};
        }
        case DataType::ipv6_prefix:
            if (data.size() < 2 || data.size() > 18)
                return size_error(type, data.size(), "2 to 18");
            return {};
        default: return {};
    }
}

std::string check_data_value(const AvpDef& def, std::span<const uint8_t> data) {
    switch (def.type) {
        case DataType::utf8_string:
            if (!is_valid_utf8(data)) return "not valid UTF-8";
            return {};
        case DataType::diameter_identity:
            // RFC 6733 §4.3.1: an FQDN or realm; internationalised names travel as punycode.
            if (data.empty()) return "empty DiameterIdentity";
            if (!printable_ascii(data)) return "DiameterIdentity is not printable ASCII";
            return {};
        case DataType::diameter_uri:
            if (!printable_ascii(data) || !(starts_with_ignoring_case(data, "aaa://") ||
                                            starts_with_ignoring_case(data, "aaas://")))
                return "DiameterURI is not aaa:// or aaas:// in printable ASCII";
            return {};
        case DataType::address: {
            const uint16_t family = static_cast<uint16_t>(data[0] << 8 | data[1]);
            if (family != kAddressFamilyIpv4 && family != kAddressFamilyIpv6)
                return "address family " + std::to_string(family) +
                       " is neither IPv4 (1) nor IPv6 (2)";
            return {};
        }
        case DataType::ipv6_prefix: {
            const unsigned length = data[1];
            if (length > 128) return "prefix length " + std::to_string(length) + " exceeds 128";
            if ((length + 7) / 8 > data.size() - 2)
                return "prefix length " + std::to_string(length) + " needs more than " +
                       std::to_string(data.size() - 2) + " prefix bytes";
            return {};
        }
        case DataType::ip_filter_rule: {
            const auto rule = parse_ip_filter_rule(
                std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
            if (!rule) return rule.error().message;
            return {};
        }
        case DataType::enumerated:
            if (def.closed_values && def.value_name(load_be32(data.data())).empty())
                return "value " + std::to_string(load_be32(data.data())) + " is not defined";
            return {};
        default: return {};
    }
}

bool is_valid_utf8(std::span<const uint8_t> bytes) {
    size_t i = 0;
    const size_t n = bytes.size();
    while (i < n) {
        // ASCII, the usual content, eight bytes at a time.
        if (n - i >= 8 && (load8(bytes.data() + i) & kTopBits) == 0) {
            i += 8;
            continue;
        }
        const uint8_t c = bytes[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t extra;
        uint32_t cp;
        uint32_t min;
        if ((c & 0xe0) == 0xc0) {
            extra = 1, cp = c & 0x1fu, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, cp = c & 0x0fu, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            return false;  // a continuation byte first, or 0xf8..0xff
        }
        if (n - i <= extra) return false;
        for (size_t k = 1; k <= extra; ++k) {
            const uint8_t cc = bytes[i + k];
            if ((cc & 0xc0) != 0x80) return false;
            cp = cp << 6 | (cc & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += extra + 1;
    }
    return true;
}

std::optional<net::IpAddr> decode_address(std::span<const uint8_t> data) {
    if (data.size() == 6 && data[0] == 0 && data[1] == kAddressFamilyIpv4)
        return net::IpAddr::v4(data.data() + 2);
    if (data.size() == 18 && data[0] == 0 && data[1] == kAddressFamilyIpv6)
        return net::IpAddr::v6(data.data() + 2);
    return std::nullopt;
}

size_t encode_address(const net::IpAddr& address, uint8_t out[18]) {
    if (address.empty()) return 0;
    out[0] = 0;
    out[1] = address.is_v4() ? kAddressFamilyIpv4 : kAddressFamilyIpv6;
    std::memcpy(out + 2, address.bytes.data(), address.size());
    return 2 + address.size();
}

std::optional<Ipv6Prefix> decode_ipv6_prefix(std::span<const uint8_t> data) {
    if (data.size() < 2 || data.size() > 18 || data[1] > 128) return std::nullopt;
    const size_t needed = (data[1] + 7u) / 8u;
    if (data.size() - 2 < needed) return std::nullopt;
    uint8_t bytes[16] = {};
    std::memcpy(bytes, data.data() + 2, needed);
    if (data[1] % 8 != 0) bytes[needed - 1] &= static_cast<uint8_t>(0xff00u >> (data[1] % 8));
    return Ipv6Prefix{net::IpAddr::v6(bytes), data[1]};
}

size_t encode_ipv6_prefix(const Ipv6Prefix& prefix, uint8_t out[18]) {
    out[0] = 0;
    out[1] = std::min<uint8_t>(prefix.prefix_length, 128);
    std::memcpy(out + 2, prefix.prefix.bytes.data(), 16);
    return 18;
}

uint32_t ntp_from_unix(int64_t unix_seconds) {
    return static_cast<uint32_t>(static_cast<uint64_t>(unix_seconds + kNtpToUnix));
}

int64_t unix_from_ntp(uint32_t ntp_seconds) {
    // RFC 4330 §3: with the most significant bit clear, the time is in era 1 (from 2036).
    const int64_t seconds =
        (ntp_seconds & 0x80000000u) != 0 ? int64_t{ntp_seconds} : int64_t{ntp_seconds} + kNtpEra;
    return seconds - kNtpToUnix;
}

}  // namespace msf::diameter
