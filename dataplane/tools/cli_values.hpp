// Values the operator and test tools take on their command lines: numbers, hex byte strings,
// UDP endpoints, SRTP suite names. Each parser returns the value or one line saying what is
// wrong with the text; none throws and none allocates more than the text's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::tools {

// A parsed value or why there is none ("'12x' is not a decimal number").
template <class T>
struct Parsed {
    std::variant<T, std::string> state;

    bool ok() const { return state.index() == 0; }
    const T& value() const { return std::get<0>(state); }
    const std::string& error() const { return std::get<1>(state); }
};

// Decimal, no sign, no leading '+', at most `max`.
Parsed<uint64_t> parse_unsigned(std::string_view text, uint64_t max);
// Hex digits in pairs (either case), at most max_bytes bytes; "" is an empty byte string.
Parsed<std::vector<uint8_t>> parse_hex(std::string_view text, size_t max_bytes);
// "192.0.2.1:5004" or "[2001:db8::1]:5004".
Parsed<net::Endpoint> parse_endpoint(std::string_view text);
// An RFC 4568 / RFC 7714 suite name as kSuites spells it ("AES_CM_128_HMAC_SHA1_80").
Parsed<srtp::Suite> parse_suite(std::string_view name);
// "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, ..." for help texts and errors.
std::string suite_names();

// A master key and salt given as one string, key || salt, the way RFC 4568 §6.1 inline keys
// concatenate them. Fails unless the length is the suite's key_len + salt_len.
struct MasterKey {
    std::vector<uint8_t> key;
    std::vector<uint8_t> salt;
};
Parsed<MasterKey> split_master_key(std::span<const uint8_t> key_and_salt, srtp::Suite suite);

std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace msf::tools
