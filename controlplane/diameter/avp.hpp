// The AVP codec of RFC 6733 §4: the header, padding, and the data formats of §4.2-§4.3 (sizes,
// values, conversions). Message (message.hpp) builds on these; they touch no message state.
//
//    0                   1                   2                   3
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                           AVP Code                            |
//   |V M P r r r r r|                  AVP Length                   |
//   |                        Vendor-ID (opt)                        |
//   |    Data ...  (padded with zero bytes to 4, padding not in AVP Length)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/diameter/dictionary.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::diameter {

inline constexpr size_t kAvpHeaderSize = 8;
inline constexpr size_t kAvpVendorHeaderSize = 12;
inline constexpr uint32_t kMaxAvpLength = 0xffffff;  // 24-bit AVP Length

inline constexpr size_t padded(size_t length) { return (length + 3) & ~size_t{3}; }
inline constexpr size_t avp_header_size(uint8_t flags) {
    return (flags & kAvpFlagVendor) != 0 ? kAvpVendorHeaderSize : kAvpHeaderSize;
}

// ---- Big-endian loads and stores ----

inline uint32_t load_be24(const uint8_t* p) {
    return uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
}
inline uint32_t load_be32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint64_t load_be64(const uint8_t* p) {
    return uint64_t{load_be32(p)} << 32 | load_be32(p + 4);
}
inline void store_be24(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 16);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    store_be24(p + 1, v);
}
inline void store_be64(uint8_t* p, uint64_t v) {
    store_be32(p, static_cast<uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<uint32_t>(v));
}

// ---- The header ----

struct AvpHeader {
    uint32_t code = 0;
    uint8_t flags = 0;
    uint32_t length = 0;  // AVP Length: header and data, no padding
    uint32_t vendor_id = 0;

    size_t header_size() const { return avp_header_size(flags); }
    bool vendor() const { return (flags & kAvpFlagVendor) != 0; }
    bool mandatory() const { return (flags & kAvpFlagMandatory) != 0; }
};

// The header at the start of `bytes`, as far as it is there: a short buffer yields the fields it
// has and zeros for the rest (RFC 6733 §7.1.5 pads an incomplete header with zeros to report it).
AvpHeader read_short_avp_header(std::span<const uint8_t> bytes);
inline AvpHeader read_avp_header(std::span<const uint8_t> bytes) {
    if (bytes.size() < kAvpVendorHeaderSize) [[unlikely]]
        return read_short_avp_header(bytes);
    const uint8_t* p = bytes.data();
    AvpHeader h;
    h.code = load_be32(p);
    h.flags = p[4];
    h.length = load_be24(p + 5);
    if (h.vendor()) h.vendor_id = load_be32(p + 8);
    return h;
}
// Writes header_size() bytes.
void write_avp_header(uint8_t* out, const AvpHeader& header);

// One whole AVP with padding: `data` is the payload as is.
std::vector<uint8_t> encode_avp(uint32_t code, uint8_t flags, uint32_t vendor_id,
                                std::span<const uint8_t> data);

// ---- Data formats ----

inline constexpr uint16_t kAddressFamilyIpv4 = 1;  // RFC 6733 §4.3.1 Address, IANA family numbers
inline constexpr uint16_t kAddressFamilyIpv6 = 2;

// RFC 6733 §7.5 and §7.1.5 (DIAMETER_MISSING_AVP, DIAMETER_INVALID_AVP_LENGTH): the example AVP in
// a Failed-AVP carries a zero-filled payload of "the minimum required length for the payload's
// data type".
size_t minimal_data_size(DataType type);

// Whether `data` has a size this type allows; check_data_size says why not.
inline bool data_size_ok(DataType type, std::span<const uint8_t> data) {
    if (const auto size = fixed_size(type)) return data.size() == *size;
    if (type == DataType::address) {
        if (data.size() < 2 || data[0] != 0) return data.size() >= 2;
        if (data[1] == kAddressFamilyIpv4) return data.size() == 6;
        if (data[1] == kAddressFamilyIpv6) return data.size() == 18;
        return true;
    }
    if (type == DataType::ipv6_prefix) return data.size() >= 2 && data.size() <= 18;
    return true;
}

// Why `data` cannot be an AVP of this type for its size (DIAMETER_INVALID_AVP_LENGTH), or empty:
// fixed-size types need their size, an Address needs 2 + 4 bytes for IPv4 and 2 + 16 for IPv6 (at
// least 2 for other families), an IPv6 prefix 2..18 bytes.
std::string check_data_size(DataType type, std::span<const uint8_t> data);

// Why `data` is not a valid value of `def` (DIAMETER_INVALID_AVP_VALUE), or empty: invalid UTF-8,
// a DiameterIdentity or DiameterURI that is not printable ASCII (and for a URI not aaa:// or
// aaas://), an Address family other than IPv4 or IPv6, an IPv6 prefix longer than 128 bits or than
// its bytes, an IPFilterRule that does not parse, a value outside a closed enumeration.
// The size must already have passed check_data_size.
std::string check_data_value(const AvpDef& def, std::span<const uint8_t> data);
// Whether check_data_value has anything to check for this AVP (integers and opaque data do not).
inline bool has_value_rules(const AvpDef& def) {
    switch (def.type) {
        case DataType::utf8_string:
        case DataType::diameter_identity:
        case DataType::diameter_uri:
        case DataType::address:
        case DataType::ipv6_prefix:
        case DataType::ip_filter_rule: return true;
        case DataType::enumerated: return def.closed_values;
        default: return false;
    }
}

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::span<const uint8_t> bytes);

// RFC 6733 §4.3.1 Address: family 1 (IPv4) or 2 (IPv6) and the address.
std::optional<net::IpAddr> decode_address(std::span<const uint8_t> data);
// 6 or 18 bytes into `out`; returns the size (0 for an empty IpAddr).
size_t encode_address(const net::IpAddr& address, uint8_t out[18]);

// RFC 3162 §2.3 Framed-IPv6-Prefix.
struct Ipv6Prefix {
    net::IpAddr prefix;  // IPv6, bits past prefix_length zero
    uint8_t prefix_length = 0;
    bool operator==(const Ipv6Prefix&) const = default;
};
std::optional<Ipv6Prefix> decode_ipv6_prefix(std::span<const uint8_t> data);
// Always 18 bytes (the whole 16-byte prefix field, as Kamailio sends it) into `out`.
size_t encode_ipv6_prefix(const Ipv6Prefix& prefix, uint8_t out[18]);

// RFC 6733 §4.3.1 Time: seconds since 1900-01-01 UTC (NTP), with the RFC 4330 §3 rule that a
// value with the top bit clear is in the era after 2036-02-07.
uint32_t ntp_from_unix(int64_t unix_seconds);
int64_t unix_from_ntp(uint32_t ntp_seconds);

}  // namespace msf::diameter
