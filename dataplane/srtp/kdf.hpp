// SRTP key derivation (RFC 3711 §4.3, key derivation rate 0; RFC 6188 §3 for AES-256;
// RFC 7714 §11 for the AEAD suites, whose 96-bit master salt is used as the leading octets
// of the 112-bit PRF salt).
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/srtp/suite.hpp"

namespace msf::srtp {

enum class KdfLabel : uint8_t {
    rtp_encryption = 0x00,
    rtp_auth = 0x01,
    rtp_salt = 0x02,
    rtcp_encryption = 0x03,
    rtcp_auth = 0x04,
    rtcp_salt = 0x05,
};

// Session keys of one direction of one protocol (SRTP or SRTCP).
struct SessionKeys {
    uint8_t enc_key[kMaxKeyLen] = {};
    uint8_t salt[kMaxSaltLen] = {};
    uint8_t auth_key[kAuthKeyLen] = {};
};

// AES-CM PRF (RFC 3711 §4.3.3): `out.size()` bytes of keystream for `label`, r = 0.
// master_key is 16 or 32 bytes, master_salt up to 14 bytes (shorter salts are zero-padded
// on the right). Returns false only if the AES primitive fails.
bool derive_key(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt,
                KdfLabel label, std::span<uint8_t> out);

// All session keys for SRTP (labels 0-2) or SRTCP (labels 3-5), sized for `suite`.
bool derive_session_keys(Suite suite, std::span<const uint8_t> master_key,
                         std::span<const uint8_t> master_salt, bool rtcp, SessionKeys& out);

// SRTP and SRTCP session keys at once, from one AES key schedule of the master key.
bool derive_session_keys(Suite suite, std::span<const uint8_t> master_key,
                         std::span<const uint8_t> master_salt, SessionKeys& rtp, SessionKeys& rtcp);

}  // namespace msf::srtp
