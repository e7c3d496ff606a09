// How a session's streams lie in its store row, and how they are sealed with the store key.
//
// The streams column of a session row (format 1, integers big-endian):
//
//   u8  format            1
//   u16 stream_count      0..kMaxStreams
//   per stream:
//     u64 dataplane_id    = spec.id, in clear so a record can be named without the key
//     u32 sealed_length   kSealOverhead..kMaxSealedLength
//     sealed              nonce(12) || AES-256-GCM ciphertext || tag(16)
//
// The sealed plaintext of a stream:
//
//   u32 component_number
//   u8  flags             bit 0: to_ue_key_generated; the other bits must be 0
//   u8  media_type_length 0..kMaxMediaTypeLen, then the bytes
//   ... the spec, encoded as the body of a control-socket session_add (dataplane/api/protocol.hpp),
//       keys included, to the end of the plaintext
//
// The messages column (MSRP components, RFC 4975), empty when the session has none, else:
//
//   u8  format            1
//   u16 message_count     1..kMaxStreams
//   per message:
//     u32 component_number  in clear
//     u32 sealed_length     kSealOverhead..kMaxSealedLength
//     sealed                nonce(12) || AES-256-GCM ciphertext || tag(16), AAD = the messages
//                           label || u32 length || Session-Id || u32 component_number
//
// The sealed plaintext of a message: u32 component_number, then psk_identity, psk, ue_path,
// core_path, gw_access_path, gw_core_path and ue_allow, each as u16 length + bytes, within the
// kMax*Len bounds below.
//
// The whole stream is sealed, not only its keys: every field is authenticated, and the AAD (a
// label, the Session-Id and the dataplane id) binds a record to its row, so a record moved to
// another session or stream does not open. NIST SP 800-38D §8.2.2: random 96-bit nonces are safe
// for up to 2^32 seals under one key, far more than a store writes in its lifetime.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sessions/model.hpp"
#include "dataplane/api/protocol.hpp"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace msf::sessions {

inline constexpr uint8_t kRecordFormat = 1;
inline constexpr size_t kStoreKeyLen = 32;    // AES-256
inline constexpr size_t kNonceLen = 12;
inline constexpr size_t kTagLen = 16;
inline constexpr size_t kSealOverhead = kNonceLen + kTagLen;
inline constexpr size_t kMaxStreams = 256;    // media components of one session
inline constexpr size_t kMaxMediaTypeLen = 64;
inline constexpr size_t kMaxSealedLength = 4096;


// AES-256-GCM with the store key. The key schedule lives in the OpenSSL contexts only; they are
// freed (and cleansed by OpenSSL) with the object.
class RecordCipher {
public:
    // The caller wipes its copy of the key afterwards.
    static std::unique_ptr<RecordCipher> create(std::span<const uint8_t, kStoreKeyLen> key, std::string* error);
    ~RecordCipher();
    RecordCipher(const RecordCipher&) = delete;
    RecordCipher& operator=(const RecordCipher&) = delete;

    // Appends nonce || ciphertext || tag to out. False only if OpenSSL fails.
    bool seal(std::span<const uint8_t> plaintext, std::span<const uint8_t> aad, std::vector<uint8_t>& out);
    // Replaces plaintext with the opened record. False if the tag does not verify (wrong key, or
    // altered bytes) or the record is shorter than nonce and tag; plaintext is then empty.
    bool open(std::span<const uint8_t> sealed, std::span<const uint8_t> aad, std::vector<uint8_t>& plaintext);

    // Where encode_streams and encode_messages build each record's plaintext and AAD: kept from
    // record to record so that sealing allocates nothing after the first. The plaintext (keys)
    // is cleansed after each use and with the object.
    struct Scratch {
        std::vector<uint8_t> plaintext;
        std::vector<uint8_t> aad;
    };
    Scratch& scratch() { return scratch_; }

private:
    RecordCipher() = default;
    // The next random nonce. Nonces are drawn from the DRBG kNoncePool at a time: one
    // RAND_bytes call per record cost more than the sealing itself on the install path.
    const uint8_t* next_nonce();

    static constexpr size_t kNoncePool = 64;
    EVP_CIPHER_CTX* encrypt_ = nullptr;
    EVP_CIPHER_CTX* decrypt_ = nullptr;
    std::array<uint8_t, kNoncePool * kNonceLen> nonces_{};
    size_t nonces_used_ = kNoncePool;  // empty until the first seal
    Scratch scratch_;
};

// The AAD of a stream record: label || u32 length || Session-Id || u64 dataplane id.
std::vector<uint8_t> record_aad(std::string_view session_id, uint64_t dataplane_id);

// The plaintext of one stream (keys included: the caller wipes `out` after sealing it).
void encode_stream(const MediaStream& stream, std::vector<uint8_t>& out);
// The reverse; checks every length and rejects trailing bytes, so a decoded stream re-encodes to
// the same bytes.
api::Decoded<MediaStream> decode_stream(std::span<const uint8_t> plaintext);

// The streams column of a session. False only if sealing fails (OpenSSL).
bool encode_streams(const ControlSession& session, RecordCipher& cipher, std::vector<uint8_t>& out);
// The streams of the session named session_id, opened and decoded. Errors name the stream
// ("stream 17: ...") and say whether it failed to decrypt or to decode.
api::Decoded<std::vector<MediaStream>> decode_streams(std::string_view session_id, std::span<const uint8_t> column,
                                                      RecordCipher& cipher);

// The messages column of a session: empty when it has none. False only if sealing fails.
bool encode_messages(const ControlSession& session, RecordCipher& cipher, std::vector<uint8_t>& out);
// The reverse, with the same checks as decode_streams; an empty column is no messages.
api::Decoded<std::vector<MessageStream>> decode_messages(std::string_view session_id, std::span<const uint8_t> column,
                                                         RecordCipher& cipher);

}  // namespace msf::sessions
