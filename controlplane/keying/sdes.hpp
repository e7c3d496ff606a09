// SDES: the RFC 4568 a=crypto attribute for SRTP, parsed and formatted.
//
//   a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]
//   key-params  = key-param *(";" key-param)
//   key-param   = "inline:" <base64(master key || master salt)> ["|" lifetime] ["|" MKI ":" length]
//
// Suites are those of dataplane/srtp/suite.hpp (kSuites); a suite not there is a distinct error
// (ErrorCode::unknown_suite) so a caller can skip that line and try the next one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/keying/expected.hpp"
#include "controlplane/keying/media_keys.hpp"
#include "controlplane/keying/secret.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::keying {

inline constexpr size_t kMaxCryptoLineLen = 4096;  // same bound as an SDP line (sdp.hpp)
inline constexpr size_t kMaxKeyParams = 16;        // inline keys in one a=crypto line
inline constexpr size_t kMaxSessionParams = 32;
inline constexpr uint32_t kMaxCryptoTag = 999999999;  // RFC 4568 §9.1: tag = 1*9DIGIT
inline constexpr unsigned kMaxLifetimeLog2 = 48;      // RFC 3711 §9.2: at most 2^48 SRTP packets
inline constexpr size_t kMaxSdesMkiLen = 128;         // RFC 4568 §9.1: mki-length 1..128

// RFC 4568 §6.1 lifetime: "2^N" or a decimal count of packets.
struct Lifetime {
    uint64_t packets = 0;
    bool power_of_two = false;  // written "2^N"; then packets == 1 << N
    bool operator==(const Lifetime&) const = default;
};

// RFC 4568 §6.1 MKI: a decimal value sent in `length` bytes (1..128). Values are held in 64
// bits: a longer MKI is accepted only with a value below 2^64 (its leading bytes zero).
struct Mki {
    uint64_t value = 0;
    uint8_t length = 0;
    // The bytes on the wire: the value, big-endian, in `length` bytes.
    std::vector<uint8_t> bytes() const;
    bool operator==(const Mki&) const = default;
};

// One inline key. The key and salt are wiped when this is destroyed.
struct SdesKey {
    SecretBytes master_key;   // suite_info(suite).key_len bytes
    SecretBytes master_salt;  // suite_info(suite).salt_len bytes
    std::optional<Lifetime> lifetime;
    std::optional<Mki> mki;
    bool operator==(const SdesKey&) const = default;
};

enum class FecOrder : uint8_t { fec_srtp, srtp_fec };

// RFC 4568 §6.3. Formatted in this order, extensions last in their order of appearance.
struct SdesSessionParams {
    std::optional<uint8_t> kdr;     // KDR=n: key derivation rate 2^n, n 0..24 (§6.3.1)
    bool unencrypted_srtp = false;  // §6.3.2
    bool unencrypted_srtcp = false;
    bool unauthenticated_srtp = false;
    std::optional<FecOrder> fec_order;  // §6.3.3
    std::optional<uint32_t> wsh;        // WSH=n: replay window, n >= 64 (§6.3.6)
    std::vector<std::string> extensions;  // FEC_KEY=... and anything unknown, verbatim
    bool operator==(const SdesSessionParams&) const = default;
};

struct CryptoAttribute {
    uint32_t tag = 1;
    srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    std::vector<SdesKey> keys;  // at least one
    SdesSessionParams session;
    bool operator==(const CryptoAttribute&) const = default;
};

// Accepts the attribute value or the whole line ("a=crypto:..."), with a trailing CRLF or LF.
// Fails with unknown_suite for a suite not in kSuites, too_large past the limits above, and
// malformed for anything else that breaks RFC 4568 (§9.1 grammar, a key that is not the
// suite's length, several keys without MKIs of one length, ...).
Expected<CryptoAttribute> parse_crypto_attribute(std::string_view text);

// "1 AES_CM_128_HMAC_SHA1_80 inline:...|2^20|1:4 KDR=1": the value, without "a=crypto:".
// parse_crypto_attribute(format_crypto_value(a)) == a for every valid attribute.
std::string format_crypto_value(const CryptoAttribute& attribute);
// "a=crypto:" + format_crypto_value(attribute), no line ending.
std::string format_crypto_line(const CryptoAttribute& attribute);

// Checks what the parser checks, for an attribute built in code (invalid_argument): key and
// salt lengths of the suite, at least one key, distinct MKIs of one length on every key when
// there are several, lifetime, MKI and session parameter ranges.
Expected<void> validate_crypto_attribute(const CryptoAttribute& attribute);

// The master key and salt of key `index` (0: the first inline key).
Expected<MediaKeys> media_keys(const CryptoAttribute& attribute, size_t index = 0);

// An attribute with one key (no lifetime, no MKI) holding `keys`, for an offer or answer.
CryptoAttribute crypto_attribute_for(uint32_t tag, const MediaKeys& keys);

// RFC 4648 §4 base64 with padding; decode is strict: only the alphabet, padding only at the
// end and to a multiple of 4, no whitespace, unused bits zero (one text per byte string).
std::string base64_encode(std::span<const uint8_t> bytes);
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace msf::keying
