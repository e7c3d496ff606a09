#include "dataplane/tools/cli_values.hpp"

#include <charconv>

namespace msf::tools {

namespace {

std::string quoted(std::string_view text) {
    // Error lines quote what was given, cut short and without control characters, so a hostile
    // argument cannot forge further output lines.
    constexpr size_t kMaxShown = 64;
    std::string out = "'";
    for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
    }
    if (text.size() > kMaxShown) out += "...";
    out += "'";
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Parsed<uint64_t> parse_unsigned(std::string_view text, uint64_t max) {
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec == std::errc::invalid_argument || ptr != end)
        return {quoted(text) + " is not a decimal number"};
    if (ec == std::errc::result_out_of_range || value > max)
        return {quoted(text) + " is out of range (at most " + std::to_string(max) + ")"};
    return {value};
}

Parsed<std::vector<uint8_t>> parse_hex(std::string_view text, size_t max_bytes) {
    if (text.size() % 2 != 0) return {quoted(text) + " has an odd number of hex digits"};
    if (text.size() / 2 > max_bytes)
        return {"hex string of " + std::to_string(text.size() / 2) + " bytes is longer than " +
                std::to_string(max_bytes)};
    std::vector<uint8_t> out(text.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_digit(text[2 * i]);
        const int lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return {quoted(text) + " is not hex (bad digit at position " +
                    std::to_string(2 * i + (hi < 0 ? 0 : 1)) + ")"};
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return {std::move(out)};
}

Parsed<net::Endpoint> parse_endpoint(std::string_view text) {
    auto endpoint = net::Endpoint::parse(text);
    if (!endpoint)
        return {quoted(text) + " is not IP:PORT (192.0.2.1:5004 or [2001:db8::1]:5004)"};
    return {*endpoint};
}

std::string suite_names() {
    std::string out;
    for (const srtp::SuiteInfo& info : srtp::kSuites) {
        if (!out.empty()) out += ", ";
        out += info.name;
    }
    return out;
}

Parsed<srtp::Suite> parse_suite(std::string_view name) {
    // RFC 4568 §9.2 registers the names case-sensitively; the table is the one spelling.
    for (const srtp::SuiteInfo& info : srtp::kSuites)
        if (info.name == name) return {info.suite};
    return {quoted(name) + " is not a suite (" + suite_names() + ")"};
}

Parsed<MasterKey> split_master_key(std::span<const uint8_t> key_and_salt, srtp::Suite suite) {
    const srtp::SuiteInfo& info = srtp::suite_info(suite);
    const size_t want = size_t{info.key_len} + info.salt_len;
    if (key_and_salt.size() != want)
        return {std::to_string(key_and_salt.size()) + " bytes, " + std::string(info.name) +
                " needs " + std::to_string(want) + " (" + std::to_string(info.key_len) +
                "-byte key || " + std::to_string(info.salt_len) + "-byte salt)"};
    MasterKey out;
    out.key.assign(key_and_salt.begin(), key_and_salt.begin() + info.key_len);
    out.salt.assign(key_and_salt.begin() + info.key_len, key_and_salt.end());
    return {std::move(out)};
}

std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 15]);
    }
    return out;
}

}  // namespace msf::tools
