#include "controlplane/sessions/store_record.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>

namespace msf::sessions {

namespace {

constexpr std::string_view kAadLabel = "msf-sessions-store-1";
constexpr uint8_t kFlagToUeKeyGenerated = 0x01;
constexpr std::string_view kMessagesAadLabel = "msf-sessions-store-msrp-1";
constexpr uint8_t kMessagesFormat = 1;

// One insert per field, not one push_back per byte: every install writes a record.
template <size_t N>
void put_big_endian(std::vector<uint8_t>& out, uint64_t v) {
    uint8_t b[N];
    for (size_t i = 0; i < N; ++i) b[i] = static_cast<uint8_t>(v >> (8 * (N - 1 - i)));
    out.insert(out.end(), b, b + N);
}
void put_u8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }
void put_u16(std::vector<uint8_t>& out, uint16_t v) { put_big_endian<2>(out, v); }
void put_u32(std::vector<uint8_t>& out, uint32_t v) { put_big_endian<4>(out, v); }
void put_u64(std::vector<uint8_t>& out, uint64_t v) { put_big_endian<8>(out, v); }

// Reads big-endian fields; the first failure sticks and names the field.
class Reader {
public:
    explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    size_t left() const { return bytes_.size() - pos_; }
    bool fail(std::string message) {
        if (error_.empty()) error_ = std::move(message);
        return false;
    }
    bool need(size_t n, std::string_view field) {
        if (!ok()) return false;
        if (left() < n)
            return fail(std::string(field) + ": truncated (" + std::to_string(left()) + " bytes left, " +
                        std::to_string(n) + " needed)");
        return true;
    }
    template <class T>
    bool uint(std::string_view field, T& value) {
        if (!need(sizeof(T), field)) return false;
        uint64_t v = 0;
        for (size_t i = 0; i < sizeof(T); ++i) v = v << 8 | bytes_[pos_ + i];
        pos_ += sizeof(T);
        value = static_cast<T>(v);
        return true;
    }
    std::span<const uint8_t> take(size_t n, std::string_view field) {
        if (!need(n, field)) return {};
        std::span<const uint8_t> s = bytes_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    // u32 sealed_length in kSealOverhead..kMaxSealedLength, then that many bytes: one sealed
    // record of a column. `where` names it in errors ("stream #3").
    std::span<const uint8_t> sealed_record(const std::string& where) {
        uint32_t sealed_length = 0;
        uint(where + " sealed length", sealed_length);
        if (ok() && (sealed_length < kSealOverhead || sealed_length > kMaxSealedLength))
            fail(where + ": sealed length " + std::to_string(sealed_length) + " is outside " +
                 std::to_string(kSealOverhead) + ".." + std::to_string(kMaxSealedLength));
        return take(sealed_length, where + " sealed record");
    }
    std::span<const uint8_t> rest() {
        std::span<const uint8_t> s = bytes_.subspan(pos_);
        pos_ = bytes_.size();
        return s;
    }

private:
    std::span<const uint8_t> bytes_;
    size_t pos_ = 0;
    std::string error_;
};

api::DecodeError bad(std::string message) { return {api::ResultCode::bad_message, std::move(message)}; }

// A vector that wipes what it held when it goes out of scope.
struct WipedBytes {
    std::vector<uint8_t> bytes;
    ~WipedBytes() { OPENSSL_cleanse(bytes.data(), bytes.capacity()); }
};

// A scratch plaintext buffer in use: cleansed and emptied when done, whatever the outcome.
struct PlaintextInUse {
    std::vector<uint8_t>& bytes;
    explicit PlaintextInUse(std::vector<uint8_t>& scratch) : bytes(scratch) {}
    ~PlaintextInUse() {
        OPENSSL_cleanse(bytes.data(), bytes.size());
        bytes.clear();
    }
    PlaintextInUse(const PlaintextInUse&) = delete;
    PlaintextInUse& operator=(const PlaintextInUse&) = delete;
};

}  // namespace

// ---- RecordCipher ----

std::unique_ptr<RecordCipher> RecordCipher::create(std::span<const uint8_t, kStoreKeyLen> key, std::string* error) {
    std::unique_ptr<RecordCipher> cipher(new RecordCipher());
    cipher->encrypt_ = EVP_CIPHER_CTX_new();
    cipher->decrypt_ = EVP_CIPHER_CTX_new();
    // The key is set once; each record only sets its nonce, so the key schedule is not redone.
    if (!cipher->encrypt_ || !cipher->decrypt_ ||
        EVP_EncryptInit_ex(cipher->encrypt_, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(cipher->encrypt_, EVP_CTRL_GCM_SET_IVLEN, kNonceLen, nullptr) != 1 ||
        EVP_EncryptInit_ex(cipher->encrypt_, nullptr, nullptr, key.data(), nullptr) != 1 ||
        EVP_DecryptInit_ex(cipher->decrypt_, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(cipher->decrypt_, EVP_CTRL_GCM_SET_IVLEN, kNonceLen, nullptr) != 1 ||
        EVP_DecryptInit_ex(cipher->decrypt_, nullptr, nullptr, key.data(), nullptr) != 1) {
        *error = "OpenSSL could not set up AES-256-GCM";
        return nullptr;
    }
    return cipher;
}

RecordCipher::~RecordCipher() {
    EVP_CIPHER_CTX_free(encrypt_);  // frees and cleanses the key schedule
    EVP_CIPHER_CTX_free(decrypt_);
    OPENSSL_cleanse(scratch_.plaintext.data(), scratch_.plaintext.capacity());
}

const uint8_t* RecordCipher::next_nonce() {
    if (nonces_used_ == kNoncePool) {
        if (RAND_bytes(nonces_.data(), static_cast<int>(nonces_.size())) != 1) return nullptr;
        nonces_used_ = 0;
    }
    return nonces_.data() + kNonceLen * nonces_used_++;
}

bool RecordCipher::seal(std::span<const uint8_t> plaintext, std::span<const uint8_t> aad, std::vector<uint8_t>& out) {
    if (plaintext.size() > INT_MAX || aad.size() > INT_MAX) return false;
    const size_t start = out.size();
    out.resize(start + kNonceLen + plaintext.size() + kTagLen);
    uint8_t* nonce = out.data() + start;
    uint8_t* body = nonce + kNonceLen;
    uint8_t* tag = body + plaintext.size();
    const uint8_t* fresh = next_nonce();
    if (fresh != nullptr) std::memcpy(nonce, fresh, kNonceLen);
    int len = 0;
    const bool ok = fresh != nullptr &&
                    EVP_EncryptInit_ex(encrypt_, nullptr, nullptr, nullptr, nonce) == 1 &&
                    EVP_EncryptUpdate(encrypt_, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
                    EVP_EncryptUpdate(encrypt_, body, &len, plaintext.data(),
                                      static_cast<int>(plaintext.size())) == 1 &&
                    EVP_EncryptFinal_ex(encrypt_, body + len, &len) == 1 &&
                    EVP_CIPHER_CTX_ctrl(encrypt_, EVP_CTRL_GCM_GET_TAG, kTagLen, tag) == 1;
    if (!ok) out.resize(start);
    return ok;
}

bool RecordCipher::open(std::span<const uint8_t> sealed, std::span<const uint8_t> aad,
                        std::vector<uint8_t>& plaintext) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    plaintext.clear();
    if (sealed.size() < kSealOverhead || sealed.size() > INT_MAX || aad.size() > INT_MAX) return false;
    const uint8_t* nonce = sealed.data();
    const uint8_t* body = nonce + kNonceLen;
    const size_t body_len = sealed.size() - kSealOverhead;
    // OpenSSL takes the expected tag as a non-const pointer; it only reads it.
    uint8_t tag[kTagLen];
    std::copy_n(body + body_len, kTagLen, tag);
    plaintext.resize(body_len);
    int len = 0;
    const bool ok = EVP_DecryptInit_ex(decrypt_, nullptr, nullptr, nullptr, nonce) == 1 &&
                    EVP_DecryptUpdate(decrypt_, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
                    EVP_DecryptUpdate(decrypt_, plaintext.data(), &len, body, static_cast<int>(body_len)) == 1 &&
                    EVP_CIPHER_CTX_ctrl(decrypt_, EVP_CTRL_GCM_SET_TAG, kTagLen, tag) == 1 &&
                    EVP_DecryptFinal_ex(decrypt_, plaintext.data() + len, &len) == 1;
    if (!ok) {
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        plaintext.clear();
    }
    return ok;
}

// ---- Layout ----

namespace {

void write_aad(std::string_view session_id, uint64_t dataplane_id, std::vector<uint8_t>& aad) {
    aad.reserve(kAadLabel.size() + 4 + session_id.size() + 8);  // one allocation, not three
    aad.assign(kAadLabel.begin(), kAadLabel.end());
    put_u32(aad, static_cast<uint32_t>(session_id.size()));
    aad.insert(aad.end(), session_id.begin(), session_id.end());
    put_u64(aad, dataplane_id);
}

// u32 sealed_length, then the sealed record: what Reader::sealed_record reads back.
bool seal_framed(RecordCipher& cipher, std::span<const uint8_t> plaintext, std::span<const uint8_t> aad,
                 std::vector<uint8_t>& out) {
    const size_t length_at = out.size();
    put_u32(out, 0);
    if (!cipher.seal(plaintext, aad, out)) return false;
    const uint32_t sealed_length = static_cast<uint32_t>(out.size() - length_at - 4);
    for (int k = 0; k < 4; ++k) out[length_at + k] = static_cast<uint8_t>(sealed_length >> (24 - 8 * k));
    return true;
}

// Typical sizes, so that a put does not grow its buffers byte by byte.
constexpr size_t kTypicalPlaintext = 256;
constexpr size_t kTypicalSealedStream = 8 + 4 + kSealOverhead + kTypicalPlaintext;

}  // namespace

std::vector<uint8_t> record_aad(std::string_view session_id, uint64_t dataplane_id) {
    std::vector<uint8_t> aad;
    write_aad(session_id, dataplane_id, aad);
    return aad;
}

void encode_stream(const MediaStream& stream, std::vector<uint8_t>& out) {
    put_u32(out, stream.component_number);
    put_u8(out, stream.to_ue_key_generated ? kFlagToUeKeyGenerated : 0);
    const size_t type_len = std::min(stream.media_type.size(), kMaxMediaTypeLen);
    put_u8(out, static_cast<uint8_t>(type_len));
    out.insert(out.end(), stream.media_type.begin(), stream.media_type.begin() + static_cast<ptrdiff_t>(type_len));
    api::encode_session_add_body(stream.spec, out);
}

api::Decoded<MediaStream> decode_stream(std::span<const uint8_t> plaintext) {
    Reader r(plaintext);
    MediaStream stream;
    uint8_t flags = 0;
    uint8_t type_len = 0;
    r.uint("component_number", stream.component_number);
    r.uint("flags", flags);
    if (r.ok() && (flags & ~kFlagToUeKeyGenerated) != 0)
        r.fail("flags: unknown bits 0x" + std::to_string(flags & ~kFlagToUeKeyGenerated));
    r.uint("media_type length", type_len);
    if (r.ok() && type_len > kMaxMediaTypeLen)
        r.fail("media_type: length " + std::to_string(type_len) + " exceeds " + std::to_string(kMaxMediaTypeLen));
    const std::span<const uint8_t> type = r.take(type_len, "media_type");
    if (!r.ok()) return bad(r.error());
    stream.to_ue_key_generated = (flags & kFlagToUeKeyGenerated) != 0;
    stream.media_type.assign(type.begin(), type.end());
    api::Decoded<api::MessageBody> spec =
        api::decode_body(static_cast<uint16_t>(api::MessageType::session_add), r.rest());
    if (!spec) return bad("spec: " + spec.error().message);
    stream.spec = std::move(std::get<api::SessionAddRequest>(*spec).spec);  // moves the key buffers
    return stream;
}

bool encode_streams(const ControlSession& session, RecordCipher& cipher, std::vector<uint8_t>& out) {
    const size_t count = std::min(session.streams.size(), kMaxStreams);
    out.reserve(out.size() + 3 + count * kTypicalSealedStream);
    put_u8(out, kRecordFormat);
    put_u16(out, static_cast<uint16_t>(count));
    PlaintextInUse plaintext(cipher.scratch().plaintext);
    plaintext.bytes.reserve(kTypicalPlaintext);
    std::vector<uint8_t>& aad = cipher.scratch().aad;
    for (size_t i = 0; i < count; ++i) {
        const MediaStream& stream = session.streams[i];
        OPENSSL_cleanse(plaintext.bytes.data(), plaintext.bytes.size());
        plaintext.bytes.clear();
        encode_stream(stream, plaintext.bytes);
        put_u64(out, stream.spec.id);
        write_aad(session.session_id, stream.spec.id, aad);
        if (!seal_framed(cipher, plaintext.bytes, aad, out)) return false;
    }
    return true;
}

api::Decoded<std::vector<MediaStream>> decode_streams(std::string_view session_id, std::span<const uint8_t> column,
                                                      RecordCipher& cipher) {
    Reader r(column);
    uint8_t format = 0;
    uint16_t count = 0;
    r.uint("format", format);
    if (r.ok() && format != kRecordFormat)
        r.fail("format " + std::to_string(format) + " is not " + std::to_string(kRecordFormat));
    r.uint("stream count", count);
    if (r.ok() && count > kMaxStreams)
        r.fail("stream count " + std::to_string(count) + " exceeds " + std::to_string(kMaxStreams));
    if (!r.ok()) return bad(r.error());

    std::vector<MediaStream> streams;
    streams.reserve(count);
    WipedBytes plaintext;
    std::vector<uint8_t> aad;
    for (uint16_t i = 0; i < count; ++i) {
        uint64_t dataplane_id = 0;
        const std::string where = "stream #" + std::to_string(i);
        r.uint(where + " dataplane id", dataplane_id);
        const std::span<const uint8_t> sealed = r.sealed_record(where);
        if (!r.ok()) {
            for (MediaStream& s : streams) api::wipe_keys(s.spec);
            return bad(r.error());
        }
        const std::string name = "stream " + std::to_string(dataplane_id);
        std::string error;
        write_aad(session_id, dataplane_id, aad);
        if (!cipher.open(sealed, aad, plaintext.bytes)) {
            error = name + ": does not decrypt with the store key (wrong key file, or the record was altered)";
        } else if (api::Decoded<MediaStream> stream = decode_stream(plaintext.bytes); !stream) {
            error = name + ": " + stream.error().message;
        } else if (stream->spec.id != dataplane_id) {
            error = name + ": sealed spec has id " + std::to_string(stream->spec.id);
            api::wipe_keys(stream->spec);
        } else {
            streams.push_back(std::move(*stream));
        }
        if (!error.empty()) {
            for (MediaStream& s : streams) api::wipe_keys(s.spec);
            return bad(error);
        }
    }
    if (r.left() != 0) {
        for (MediaStream& s : streams) api::wipe_keys(s.spec);
        return bad(std::to_string(r.left()) + " trailing bytes after the last stream");
    }
    return streams;
}

// ---- MSRP messages ----

namespace {

void write_message_aad(std::string_view session_id, uint32_t component, std::vector<uint8_t>& aad) {
    aad.assign(kMessagesAadLabel.begin(), kMessagesAadLabel.end());
    put_u32(aad, static_cast<uint32_t>(session_id.size()));
    aad.insert(aad.end(), session_id.begin(), session_id.end());
    put_u32(aad, component);
}

template <class Bytes>
void put_field(std::vector<uint8_t>& out, const Bytes& field, size_t max_len) {
    const size_t n = std::min(field.size(), max_len);
    put_u16(out, static_cast<uint16_t>(n));
    out.insert(out.end(), field.begin(), field.begin() + static_cast<ptrdiff_t>(n));
}

void wipe_psks(std::vector<MessageStream>& messages) {
    for (MessageStream& m : messages) OPENSSL_cleanse(m.psk.data(), m.psk.size());
}

// One message's plaintext, every field within its bounds and nothing after the last.
api::Decoded<MessageStream> decode_message(std::span<const uint8_t> plaintext) {
    Reader r(plaintext);
    MessageStream m;
    r.uint("component_number", m.component_number);
    const auto field = [&r](std::string_view name, size_t min_len, size_t max_len) {
        uint16_t len = 0;
        r.uint(std::string(name) + " length", len);
        if (r.ok() && (len < min_len || len > max_len))
            r.fail(std::string(name) + ": length " + std::to_string(len) + " is outside " + std::to_string(min_len) +
                   ".." + std::to_string(max_len));
        return r.take(len, name);
    };
    const auto text = [&](std::string_view name, size_t min_len, size_t max_len, std::string& into) {
        const std::span<const uint8_t> b = field(name, min_len, max_len);
        into.assign(b.begin(), b.end());
    };
    text("psk_identity", 1, kMaxPskIdentityLen, m.psk_identity);
    const std::span<const uint8_t> psk = field("psk", kMinPskLen, kMaxPskLen);
    m.psk.assign(psk.begin(), psk.end());
    text("ue_path", 1, kMaxMsrpUriLen, m.ue_path);
    text("core_path", 1, kMaxMsrpUriLen, m.core_path);
    text("gw_access_path", 1, kMaxMsrpUriLen, m.gw_access_path);
    text("gw_core_path", 1, kMaxMsrpUriLen, m.gw_core_path);
    text("ue_allow", 0, kMaxAddressTextLen, m.ue_allow);
    if (r.ok() && r.left() != 0) r.fail(std::to_string(r.left()) + " trailing bytes after ue_allow");
    if (!r.ok()) {
        OPENSSL_cleanse(m.psk.data(), m.psk.size());
        return bad(r.error());
    }
    return m;
}

}  // namespace

bool encode_messages(const ControlSession& session, RecordCipher& cipher, std::vector<uint8_t>& out) {
    if (session.messages.empty()) return true;
    const size_t count = std::min(session.messages.size(), kMaxStreams);
    put_u8(out, kMessagesFormat);
    put_u16(out, static_cast<uint16_t>(count));
    PlaintextInUse plaintext(cipher.scratch().plaintext);
    std::vector<uint8_t>& aad = cipher.scratch().aad;
    for (size_t i = 0; i < count; ++i) {
        const MessageStream& m = session.messages[i];
        OPENSSL_cleanse(plaintext.bytes.data(), plaintext.bytes.size());
        plaintext.bytes.clear();
        put_u32(plaintext.bytes, m.component_number);
        put_field(plaintext.bytes, m.psk_identity, kMaxPskIdentityLen);
        put_field(plaintext.bytes, m.psk, kMaxPskLen);
        put_field(plaintext.bytes, m.ue_path, kMaxMsrpUriLen);
        put_field(plaintext.bytes, m.core_path, kMaxMsrpUriLen);
        put_field(plaintext.bytes, m.gw_access_path, kMaxMsrpUriLen);
        put_field(plaintext.bytes, m.gw_core_path, kMaxMsrpUriLen);
        put_field(plaintext.bytes, m.ue_allow, kMaxAddressTextLen);
        put_u32(out, m.component_number);
        write_message_aad(session.session_id, m.component_number, aad);
        if (!seal_framed(cipher, plaintext.bytes, aad, out)) return false;
    }
    return true;
}

api::Decoded<std::vector<MessageStream>> decode_messages(std::string_view session_id, std::span<const uint8_t> column,
                                                         RecordCipher& cipher) {
    std::vector<MessageStream> messages;
    if (column.empty()) return messages;
    Reader r(column);
    uint8_t format = 0;
    uint16_t count = 0;
    r.uint("messages format", format);
    if (r.ok() && format != kMessagesFormat)
        r.fail("messages format " + std::to_string(format) + " is not " + std::to_string(kMessagesFormat));
    r.uint("message count", count);
    if (r.ok() && (count == 0 || count > kMaxStreams))
        r.fail("message count " + std::to_string(count) + " is outside 1.." + std::to_string(kMaxStreams));
    if (!r.ok()) return bad(r.error());

    messages.reserve(count);
    WipedBytes plaintext;
    std::vector<uint8_t> aad;
    for (uint16_t i = 0; i < count; ++i) {
        uint32_t component = 0;
        const std::string where = "message #" + std::to_string(i);
        r.uint(where + " component number", component);
        const std::span<const uint8_t> sealed = r.sealed_record(where);
        if (!r.ok()) {
            wipe_psks(messages);
            return bad(r.error());
        }
        const std::string name = "message of component " + std::to_string(component);
        std::string error;
        write_message_aad(session_id, component, aad);
        if (!cipher.open(sealed, aad, plaintext.bytes)) {
            error = name + ": does not decrypt with the store key (wrong key file, or the record was altered)";
        } else if (api::Decoded<MessageStream> m = decode_message(plaintext.bytes); !m) {
            error = name + ": " + m.error().message;
        } else if (m->component_number != component) {
            error = name + ": sealed record is component " + std::to_string(m->component_number);
            OPENSSL_cleanse(m->psk.data(), m->psk.size());
        } else {
            messages.push_back(std::move(*m));
        }
        if (!error.empty()) {
            wipe_psks(messages);
            return bad(error);
        }
    }
    if (r.left() != 0) {
        wipe_psks(messages);
        return bad(std::to_string(r.left()) + " trailing bytes after the last message");
    }
    return messages;
}

}  // namespace msf::sessions
