// SRTP protection profiles: the one table every other piece of the project looks up.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace msf::srtp {

enum class Suite : uint8_t {
    aes_cm_128_hmac_sha1_80,  // RFC 3711, RFC 4568
    aes_cm_128_hmac_sha1_32,  // RFC 3711, RFC 4568
    aes_256_cm_hmac_sha1_80,  // RFC 6188
    aes_256_cm_hmac_sha1_32,  // RFC 6188
    aead_aes_128_gcm,         // RFC 7714
    aead_aes_256_gcm,         // RFC 7714
};

enum class Cipher : uint8_t { aes_cm, aes_gcm };

struct SuiteInfo {
    Suite suite;
    std::string_view name;  // as written in RFC 4568 a=crypto and RFC 7714 §14.2
    Cipher cipher;
    uint8_t key_len;        // master and session encryption key, bytes
    uint8_t salt_len;       // master and session salt, bytes
    uint8_t auth_key_len;   // session authentication key (HMAC-SHA1), 0 for AEAD
    uint8_t rtp_tag_len;    // authentication tag appended to SRTP
    uint8_t rtcp_tag_len;   // authentication tag appended to SRTCP
};

inline constexpr size_t kSuiteCount = 6;

// RFC 4568 §6.2.1 and RFC 6188 §3: the _32 suites shorten only the SRTP tag; SRTCP keeps 80 bits.
// RFC 7714 §12: AEAD suites use a 96-bit salt and a 16-octet tag for both SRTP and SRTCP.
inline constexpr std::array<SuiteInfo, kSuiteCount> kSuites = {{
    {Suite::aes_cm_128_hmac_sha1_80, "AES_CM_128_HMAC_SHA1_80", Cipher::aes_cm, 16, 14, 20, 10, 10},
    {Suite::aes_cm_128_hmac_sha1_32, "AES_CM_128_HMAC_SHA1_32", Cipher::aes_cm, 16, 14, 20, 4, 10},
    {Suite::aes_256_cm_hmac_sha1_80, "AES_256_CM_HMAC_SHA1_80", Cipher::aes_cm, 32, 14, 20, 10, 10},
    {Suite::aes_256_cm_hmac_sha1_32, "AES_256_CM_HMAC_SHA1_32", Cipher::aes_cm, 32, 14, 20, 4, 10},
    {Suite::aead_aes_128_gcm, "AEAD_AES_128_GCM", Cipher::aes_gcm, 16, 12, 0, 16, 16},
    {Suite::aead_aes_256_gcm, "AEAD_AES_256_GCM", Cipher::aes_gcm, 32, 12, 0, 16, 16},
}};

inline constexpr size_t kMaxKeyLen = 32;
inline constexpr size_t kMaxSaltLen = 14;
inline constexpr size_t kAuthKeyLen = 20;
inline constexpr size_t kMaxTagLen = 16;
// RFC 4568 allows MKIs of up to 128 bytes; real endpoints use 1 to 4. We accept up to 16.
inline constexpr size_t kMaxMkiLen = 16;

constexpr const SuiteInfo& suite_info(Suite s) { return kSuites[static_cast<size_t>(s)]; }

// Case-sensitive, as RFC 4568 §9.2 registers the names.
std::optional<Suite> suite_from_name(std::string_view name);

}  // namespace msf::srtp
