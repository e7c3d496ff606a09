// e2ae media keys from the security association the UE and the network already share
// ("no new credentials"): the 3GPP TS 33.220 Annex B.2 key derivation function, bound to the
// call, with Key taken from IMS AKA, TLS or SIP Digest.
//
// The FC values and P0 labels below are THIS PROJECT'S OWN, not standardised by 3GPP; the UE
// simulator and msf-pcscf both use this library, so they agree. docs/keying.md has the layout
// of S, the vectors and the reasons for the choices.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "controlplane/keying/expected.hpp"
#include "controlplane/keying/media_keys.hpp"
#include "controlplane/keying/secret.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::keying {

// ---- TS 33.220 Annex B.2 generic KDF ----

inline constexpr size_t kKdfOutputLen = 32;       // HMAC-SHA-256
inline constexpr size_t kKdfMaxParamLen = 65535;  // B.2.0: Li is two octets
inline constexpr size_t kKdfMaxParams = 16;       // this library's bound, not the spec's

// One KDF output, wiped when destroyed.
struct KdfBlock {
    std::array<uint8_t, kKdfOutputLen> bytes{};
    KdfBlock() = default;
    KdfBlock(const KdfBlock&) = default;
    KdfBlock& operator=(const KdfBlock&) = default;
    ~KdfBlock() { wipe(bytes); }
};

// S = FC || P0 || L0 || P1 || L1 || ... || Pn || Ln (B.2.0). FC is one octet, or two octets of
// the form 0xFF || FC2. Fails on another FC length, no parameter, more than kKdfMaxParams, or
// a parameter longer than kKdfMaxParamLen.
Expected<std::vector<uint8_t>> kdf_input(std::span<const uint8_t> fc,
                                         std::span<const std::span<const uint8_t>> params);

// derived key = HMAC-SHA-256(Key, S) (B.2.0). Fails as kdf_input does, and on an empty Key.
Expected<KdfBlock> kdf(std::span<const uint8_t> key, std::span<const uint8_t> fc,
                       std::span<const std::span<const uint8_t>> params);

// ---- The security association a media key is derived from ----

enum class DigestAlgorithm : uint8_t { md5, sha256 };

// RFC 7616 §3.3 names: "MD5", "SHA-256"; from_name is case-insensitive as the algorithm
// parameter is (RFC 7616 §3.3), and refuses the -sess variants (their H(A1) changes with every
// nonce, so the network cannot know it ahead of the call).
std::string_view digest_algorithm_name(DigestAlgorithm algorithm);
Expected<DigestAlgorithm> digest_algorithm_from_name(std::string_view name);
size_t digest_length(DigestAlgorithm algorithm);  // 16 or 32

// IMS AKA (TS 33.203): the cipher and integrity keys, 16 bytes each.
struct AkaKeys {
    SecretBytes ck;
    SecretBytes ik;
};

// RFC 5705 exporter output of the SIP TLS connection (tls_exporter() below); 16..255 bytes.
struct TlsExporter {
    SecretBytes secret;
};

// TLS 1.2 master secret of the SIP TLS session (tls_master_secret() below); 48 bytes.
struct TlsMasterSecret {
    SecretBytes secret;
};

// H(A1) of RFC 7616 §3.4.2 (RFC 2617 §3.2.2.2 for MD5), A1 = username ":" realm ":" password,
// as the raw digest (16 bytes MD5, 32 bytes SHA-256), not its hex text. This is what an HSS
// hands the network side; digest_ha1_from_hex() takes the hex form.
struct DigestHA1 {
    DigestAlgorithm algorithm = DigestAlgorithm::md5;
    SecretBytes ha1;
};

// The UE side of SIP Digest: H(A1) is computed from the password, so both sides derive the
// same key from the same KDF input.
struct DigestPassword {
    std::string username;  // as in the Authorization header, unquoted, no NFKC normalisation
    std::string realm;
    SecretBytes password;
    DigestAlgorithm algorithm = DigestAlgorithm::md5;
};

using SecurityAssociation =
    std::variant<AkaKeys, TlsExporter, TlsMasterSecret, DigestHA1, DigestPassword>;

Expected<DigestHA1> digest_ha1(const DigestPassword& password);
// 32 (MD5) or 64 (SHA-256) hex digits, either case.
Expected<DigestHA1> digest_ha1_from_hex(DigestAlgorithm algorithm, std::string_view hex);

// RFC 5705 / RFC 8446 §7.5 exporter of an established connection, same value on both ends.
inline constexpr std::string_view kTlsExporterLabel = "EXPORTER-3GPP-e2ae-media";
inline constexpr size_t kTlsExporterLen = 64;
inline constexpr size_t kTlsMasterSecretLen = 48;  // RFC 5246 §8.1
Expected<TlsExporter> tls_exporter(SSL* ssl, std::string_view label = kTlsExporterLabel,
                                   size_t length = kTlsExporterLen);
// TLS 1.2 and earlier only: a TLS 1.3 session has no master secret (use the exporter).
Expected<TlsMasterSecret> tls_master_secret(const SSL_SESSION* session);

// ---- e2ae media key derivation (this project's own use of the KDF) ----

enum class KeySource : uint8_t { ims_aka, tls_exporter, tls_master_secret, sip_digest };

struct KeySourceInfo {
    KeySource source;
    uint8_t fc;               // this project's own FC value, not allocated by TS 33.220
    std::string_view label;   // P0, ASCII
    std::string_view key;     // what Key is, for docs and logs
};

inline constexpr size_t kKeySourceCount = 4;
inline constexpr std::array<KeySourceInfo, kKeySourceCount> kKeySources = {{
    {KeySource::ims_aka, 0xE0, "msf-e2ae-aka", "CK || IK"},
    {KeySource::tls_exporter, 0xE1, "msf-e2ae-tls-exporter", "TLS exporter output"},
    {KeySource::tls_master_secret, 0xE2, "msf-e2ae-tls-master", "TLS 1.2 master secret"},
    {KeySource::sip_digest, 0xE3, "msf-e2ae-digest", "SIP Digest H(A1), raw"},
}};

constexpr const KeySourceInfo& key_source_info(KeySource s) {
    return kKeySources[static_cast<size_t>(s)];
}
// DigestHA1 and DigestPassword both are sip_digest.
KeySource key_source(const SecurityAssociation& sa);

// Key of the KDF for this SA: CK || IK, the exporter output, the master secret, or raw H(A1).
// Fails on a wrong length (CK or IK not 16 bytes, master secret not 48, ...).
Expected<SecretBytes> kdf_key(const SecurityAssociation& sa);

enum class Direction : uint8_t { ue_to_network = 0, network_to_ue = 1 };

// The call and stream a key belongs to.
struct CallBinding {
    std::string call_id;       // SIP Call-ID header value, bytes as sent (RFC 3261 §20.8)
    uint16_t media_index = 0;  // 0-based m-line index in the SDP
};

// S = FC || P0 label || P1 Call-ID || P2 media index (2 octets, big-endian)
//       || P3 direction (1 octet) || P4 suite name (RFC 4568 spelling) || P5 block counter
//       (1 octet, 1, 2, ...), each followed by its 2-octet length.
// Blocks are concatenated until there are key_len + salt_len bytes of the suite: master key
// first, master salt next. One block for the 128-bit suites, two for the 256-bit ones.
Expected<MediaKeys> derive_media_keys(const SecurityAssociation& sa, const CallBinding& call,
                                      Direction direction, srtp::Suite suite);

// MSRP over TLS with a pre-shared key (seed requirement 3: PSK-TLS for MSRP, RFC 4975 §14 msrps):
// one PSK per MSRP media line, used in both directions, from the same S as derive_media_keys with
// P3 = 0x02 (both directions) and P4 = "MSRP-TLS-PSK" (this project's own label). Block 1 is the
// 32-byte PSK; the first 12 bytes of block 2 name it: identity = "e2ae-" + 24 lowercase hex digits.
// The identity travels in clear in the ClientHello (RFC 4279 §5.1, RFC 8446 §4.2.11), which is
// why it comes from a block of its own: HMAC blocks are independent, so it tells nothing of the PSK.
inline constexpr std::string_view kMsrpPskLabel = "MSRP-TLS-PSK";
inline constexpr uint8_t kMsrpPskDirection = 0x02;
inline constexpr size_t kMsrpPskLen = 32;

struct MsrpPsk {
    std::string identity;
    SecretBytes psk;
};

Expected<MsrpPsk> derive_msrp_psk(const SecurityAssociation& sa, const CallBinding& call);

}  // namespace msf::keying
