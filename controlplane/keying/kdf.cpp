#include "controlplane/keying/kdf.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>

namespace msf::keying {

// ---- secret.hpp ----

void wipe(std::span<uint8_t> bytes) noexcept {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

void wipe(std::vector<uint8_t>& bytes) noexcept {
    wipe(std::span<uint8_t>(bytes));
    bytes.clear();
}

void wipe(std::string& text) noexcept {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
    text.clear();
}

namespace {

static_assert(kKeySources.size() == kKeySourceCount);
constexpr bool key_sources_in_enum_order_with_distinct_fc() {
    for (size_t i = 0; i < kKeySourceCount; ++i) {
        if (static_cast<size_t>(kKeySources[i].source) != i) return false;
        // TS 33.220 B.2.0: 0xFF starts a two-octet FC, so it cannot be a one-octet FC.
        if (kKeySources[i].fc == 0xFF) return false;
        for (size_t j = i + 1; j < kKeySourceCount; ++j)
            if (kKeySources[i].fc == kKeySources[j].fc || kKeySources[i].label == kKeySources[j].label)
                return false;
    }
    return true;
}
static_assert(key_sources_in_enum_order_with_distinct_fc());

std::span<const uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

KeyingError kdf_error(std::string message) {
    return make_error(ErrorCode::invalid_argument, "kdf: " + std::move(message));
}

const EVP_MD* digest_md(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::md5 ? EVP_md5() : EVP_sha256();
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

// ---- TS 33.220 Annex B.2 ----

Expected<std::vector<uint8_t>> kdf_input(std::span<const uint8_t> fc,
                                         std::span<const std::span<const uint8_t>> params) {
    // B.2.0: FC is a single octet, or FC1 || FC2 with FC1 = 0xFF.
    if (fc.size() == 1 ? fc[0] == 0xFF : !(fc.size() == 2 && fc[0] == 0xFF))
        return kdf_error("FC must be one octet other than 0xFF, or 0xFF followed by one octet");
    if (params.empty()) return kdf_error("S needs at least P0");
    if (params.size() > kKdfMaxParams)
        return kdf_error(std::to_string(params.size()) + " parameters exceed " +
                         std::to_string(kKdfMaxParams));
    size_t total = fc.size();
    for (size_t i = 0; i < params.size(); ++i) {
        if (params[i].size() > kKdfMaxParamLen)
            return kdf_error(std::string("P") + std::to_string(i) + " is " + std::to_string(params[i].size()) +
                             " bytes, longer than a 2-octet length allows");
        total += params[i].size() + 2;
    }
    std::vector<uint8_t> s;
    s.reserve(total);
    s.insert(s.end(), fc.begin(), fc.end());
    for (const auto& p : params) {
        s.insert(s.end(), p.begin(), p.end());
        // B.2.1.3: Li is the length in octets, two octets, most significant first.
        s.push_back(static_cast<uint8_t>(p.size() >> 8));
        s.push_back(static_cast<uint8_t>(p.size()));
    }
    return s;
}

Expected<KdfBlock> kdf(std::span<const uint8_t> key, std::span<const uint8_t> fc,
                       std::span<const std::span<const uint8_t>> params) {
    if (key.empty()) return kdf_error("Key is empty");
    auto s = kdf_input(fc, params);
    if (!s) return s.error();
    KdfBlock out;
    unsigned int out_len = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), s->data(), s->size(),
             out.bytes.data(), &out_len) == nullptr ||
        out_len != kKdfOutputLen)
        return make_error(ErrorCode::crypto_failure, "kdf: HMAC-SHA-256 failed");
    return out;
}

// ---- SIP Digest ----

std::string_view digest_algorithm_name(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::md5 ? "MD5" : "SHA-256";
}

Expected<DigestAlgorithm> digest_algorithm_from_name(std::string_view name) {
    auto equals = [&](std::string_view want) {
        return name.size() == want.size() &&
               std::equal(name.begin(), name.end(), want.begin(), [](char a, char b) {
                   return std::toupper(static_cast<unsigned char>(a)) == b;
               });
    };
    if (equals("MD5")) return DigestAlgorithm::md5;
    if (equals("SHA-256")) return DigestAlgorithm::sha256;
    return make_error(ErrorCode::invalid_argument,
                      "digest algorithm '" + std::string(name) + "' is not MD5 or SHA-256");
}

size_t digest_length(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::md5 ? 16 : 32;
}

Expected<DigestHA1> digest_ha1(const DigestPassword& password) {
    // RFC 7616 §3.4.2: A1 = unq(username) ":" unq(realm) ":" passwd.
    std::vector<uint8_t> a1;
    a1.reserve(password.username.size() + password.realm.size() + password.password.size() + 2);
    a1.insert(a1.end(), password.username.begin(), password.username.end());
    a1.push_back(':');
    a1.insert(a1.end(), password.realm.begin(), password.realm.end());
    a1.push_back(':');
    a1.insert(a1.end(), password.password.bytes().begin(), password.password.bytes().end());
    std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    const int ok = EVP_Digest(a1.data(), a1.size(), md.data(), &md_len,
                              digest_md(password.algorithm), nullptr);
    wipe(a1);
    if (ok != 1 || md_len != digest_length(password.algorithm)) {
        wipe(md);
        return make_error(ErrorCode::crypto_failure,
                          "digest: " + std::string(digest_algorithm_name(password.algorithm)) +
                              " failed");
    }
    DigestHA1 out{password.algorithm, SecretBytes(std::span<const uint8_t>(md.data(), md_len))};
    wipe(md);
    return out;
}

Expected<DigestHA1> digest_ha1_from_hex(DigestAlgorithm algorithm, std::string_view hex) {
    const size_t want = digest_length(algorithm);
    if (hex.size() != 2 * want)
        return make_error(ErrorCode::invalid_argument,
                          "digest: H(A1) for " + std::string(digest_algorithm_name(algorithm)) +
                              " is " + std::to_string(2 * want) + " hex digits, got " +
                              std::to_string(hex.size()));
    std::vector<uint8_t> raw(want);
    for (size_t i = 0; i < want; ++i) {
        const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            wipe(raw);
            return make_error(ErrorCode::invalid_argument,
                              "digest: H(A1) has a non-hex character at offset " +
                                  std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
        }
        raw[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    DigestHA1 out{algorithm, SecretBytes(std::span<const uint8_t>(raw))};
    wipe(raw);
    return out;
}

// ---- TLS ----

Expected<TlsExporter> tls_exporter(SSL* ssl, std::string_view label, size_t length) {
    if (ssl == nullptr) return make_error(ErrorCode::invalid_argument, "tls: no connection");
    // RFC 5705 §4: labels start with "EXPORTER"; 16 bytes is the least worth keying from.
    if (label.substr(0, 8) != "EXPORTER")
        return make_error(ErrorCode::invalid_argument,
                          "tls: exporter label '" + std::string(label) +
                              "' does not start with EXPORTER (RFC 5705 §4)");
    if (length < 16 || length > 255)
        return make_error(ErrorCode::invalid_argument,
                          "tls: exporter length " + std::to_string(length) + " is not 16..255");
    if (SSL_is_init_finished(ssl) != 1)
        return make_error(ErrorCode::crypto_failure, "tls: handshake not finished");
    std::vector<uint8_t> out(length);
    // No context: RFC 8446 §7.5 makes "no context" and "empty context" the same in TLS 1.3;
    // the call binding goes into the KDF instead.
    const std::string label_text(label);
    if (SSL_export_keying_material(ssl, out.data(), out.size(), label_text.data(),
                                   label_text.size(), nullptr, 0, 0) != 1) {
        wipe(out);
        return make_error(ErrorCode::crypto_failure, "tls: SSL_export_keying_material failed");
    }
    TlsExporter exporter{SecretBytes(std::span<const uint8_t>(out))};
    wipe(out);
    return exporter;
}

Expected<TlsMasterSecret> tls_master_secret(const SSL_SESSION* session) {
    if (session == nullptr) return make_error(ErrorCode::invalid_argument, "tls: no session");
    if (SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION)
        return make_error(ErrorCode::invalid_argument,
                          "tls: a TLS 1.3 session has no master secret; use the exporter");
    std::array<uint8_t, kTlsMasterSecretLen> buf{};
    const size_t n = SSL_SESSION_get_master_key(session, buf.data(), buf.size());
    if (n != kTlsMasterSecretLen) {
        wipe(buf);
        return make_error(ErrorCode::crypto_failure,
                          "tls: master secret is " + std::to_string(n) + " bytes, not 48");
    }
    TlsMasterSecret secret{SecretBytes(std::span<const uint8_t>(buf))};
    wipe(buf);
    return secret;
}

// ---- e2ae derivation ----

KeySource key_source(const SecurityAssociation& sa) {
    struct Visitor {
        KeySource operator()(const AkaKeys&) const { return KeySource::ims_aka; }
        KeySource operator()(const TlsExporter&) const { return KeySource::tls_exporter; }
        KeySource operator()(const TlsMasterSecret&) const { return KeySource::tls_master_secret; }
        KeySource operator()(const DigestHA1&) const { return KeySource::sip_digest; }
        KeySource operator()(const DigestPassword&) const { return KeySource::sip_digest; }
    };
    return std::visit(Visitor{}, sa);
}

namespace {

Expected<SecretBytes> aka_key(const AkaKeys& aka) {
    // TS 33.203 §6.1: CK and IK are 128 bits each.
    if (aka.ck.size() != 16 || aka.ik.size() != 16)
        return kdf_error("IMS AKA CK and IK must be 16 bytes each, got " +
                         std::to_string(aka.ck.size()) + " and " + std::to_string(aka.ik.size()));
    std::array<uint8_t, 32> key{};
    std::copy(aka.ck.bytes().begin(), aka.ck.bytes().end(), key.begin());
    std::copy(aka.ik.bytes().begin(), aka.ik.bytes().end(), key.begin() + 16);
    SecretBytes out{std::span<const uint8_t>(key)};
    wipe(key);
    return out;
}

Expected<SecretBytes> ha1_key(const DigestHA1& ha1) {
    const size_t want = digest_length(ha1.algorithm);
    if (ha1.ha1.size() != want)
        return kdf_error("H(A1) for " + std::string(digest_algorithm_name(ha1.algorithm)) +
                         " must be " + std::to_string(want) + " raw bytes, got " +
                         std::to_string(ha1.ha1.size()));
    return ha1.ha1;
}

}  // namespace

Expected<SecretBytes> kdf_key(const SecurityAssociation& sa) {
    struct Visitor {
        Expected<SecretBytes> operator()(const AkaKeys& aka) const { return aka_key(aka); }
        Expected<SecretBytes> operator()(const TlsExporter& e) const {
            if (e.secret.size() < 16 || e.secret.size() > 255)
                return kdf_error("TLS exporter output must be 16..255 bytes, got " +
                                 std::to_string(e.secret.size()));
            return e.secret;
        }
        Expected<SecretBytes> operator()(const TlsMasterSecret& m) const {
            if (m.secret.size() != kTlsMasterSecretLen)
                return kdf_error("TLS master secret must be 48 bytes, got " +
                                 std::to_string(m.secret.size()));
            return m.secret;
        }
        Expected<SecretBytes> operator()(const DigestHA1& h) const { return ha1_key(h); }
        Expected<SecretBytes> operator()(const DigestPassword& p) const {
            auto h = digest_ha1(p);
            if (!h) return h.error();
            return ha1_key(*h);
        }
    };
    return std::visit(Visitor{}, sa);
}

Expected<MediaKeys> derive_media_keys(const SecurityAssociation& sa, const CallBinding& call,
                                      Direction direction, srtp::Suite suite) {
    if (static_cast<size_t>(suite) >= srtp::kSuiteCount)
        return kdf_error("suite " + std::to_string(static_cast<unsigned>(suite)) + " is unknown");
    if (call.call_id.empty()) return kdf_error("Call-ID is empty");
    if (direction != Direction::ue_to_network && direction != Direction::network_to_ue)
        return kdf_error("direction " + std::to_string(static_cast<unsigned>(direction)) +
                         " is neither 0 nor 1");
    auto key = kdf_key(sa);
    if (!key) return key.error();

    const srtp::SuiteInfo& info = srtp::suite_info(suite);
    const KeySourceInfo& source = key_source_info(key_source(sa));
    const uint8_t fc[1] = {source.fc};
    const uint8_t media_index[2] = {static_cast<uint8_t>(call.media_index >> 8),
                                    static_cast<uint8_t>(call.media_index)};
    const uint8_t dir[1] = {static_cast<uint8_t>(direction)};
    uint8_t counter[1] = {0};
    const std::array<std::span<const uint8_t>, 6> params = {
        as_bytes(source.label), as_bytes(call.call_id), std::span<const uint8_t>(media_index),
        std::span<const uint8_t>(dir), as_bytes(info.name), std::span<const uint8_t>(counter)};

    const size_t need = size_t{info.key_len} + info.salt_len;
    std::array<uint8_t, 2 * kKdfOutputLen> material{};
    static_assert(srtp::kMaxKeyLen + srtp::kMaxSaltLen <= 2 * kKdfOutputLen);
    for (size_t done = 0; done < need; done += kKdfOutputLen) {
        ++counter[0];
        auto block = kdf(key->bytes(), fc, params);
        if (!block) {
            wipe(material);
            return block.error();
        }
        std::copy(block->bytes.begin(), block->bytes.end(), material.begin() + static_cast<ptrdiff_t>(done));
    }
    MediaKeys keys(suite, std::vector<uint8_t>(material.begin(), material.begin() + info.key_len),
                   std::vector<uint8_t>(material.begin() + info.key_len,
                                        material.begin() + info.key_len + info.salt_len));
    wipe(material);
    return keys;
}

Expected<MsrpPsk> derive_msrp_psk(const SecurityAssociation& sa, const CallBinding& call) {
    if (call.call_id.empty()) return kdf_error("Call-ID is empty");
    auto key = kdf_key(sa);
    if (!key) return key.error();

    const KeySourceInfo& source = key_source_info(key_source(sa));
    const uint8_t fc[1] = {source.fc};
    const uint8_t media_index[2] = {static_cast<uint8_t>(call.media_index >> 8),
                                    static_cast<uint8_t>(call.media_index)};
    const uint8_t dir[1] = {kMsrpPskDirection};
    uint8_t counter[1] = {1};
    const std::array<std::span<const uint8_t>, 6> params = {
        as_bytes(source.label), as_bytes(call.call_id), std::span<const uint8_t>(media_index),
        std::span<const uint8_t>(dir), as_bytes(kMsrpPskLabel), std::span<const uint8_t>(counter)};

    auto psk_block = kdf(key->bytes(), fc, params);
    if (!psk_block) return psk_block.error();
    counter[0] = 2;
    auto name_block = kdf(key->bytes(), fc, params);
    if (!name_block) return name_block.error();

    static constexpr char kHex[] = "0123456789abcdef";
    MsrpPsk out;
    out.identity = "e2ae-";
    for (size_t i = 0; i < 12; ++i) {
        out.identity += kHex[name_block->bytes[i] >> 4];
        out.identity += kHex[name_block->bytes[i] & 0x0f];
    }
    static_assert(kMsrpPskLen == kKdfOutputLen);
    out.psk = SecretBytes(std::span<const uint8_t>(psk_block->bytes));
    return out;
}

}  // namespace msf::keying
