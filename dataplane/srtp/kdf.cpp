#include "dataplane/srtp/kdf.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>

namespace msf::srtp {

namespace {

// The AES-CTR implementation, fetched from the provider once per process: an implicit fetch
// (EVP_aes_128_ctr() handed to EncryptInit) looks the algorithm up under the provider store's
// lock on every call, which dominated session installs.
const EVP_CIPHER* ctr_cipher(size_t key_len) {
    static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
    static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
    return key_len == 16 ? aes128 : aes256;
}

// The PRF keyed with one master key: the AES key schedule is computed once and serves every
// label (SRTP and SRTCP), only the counter block changes.
class MasterKeyPrf {
public:
    MasterKeyPrf(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt)
        : salt_(master_salt) {
        const EVP_CIPHER* cipher = ctr_cipher(master_key.size());
        keyed_ = ctx_ && cipher &&
                 EVP_EncryptInit_ex2(ctx_.get(), cipher, master_key.data(), nullptr, nullptr) == 1;
    }

    bool derive(KdfLabel label, std::span<uint8_t> out) {
        if (!keyed_) return false;
        // x = key_id XOR master_salt, key_id = label || r (r = 0 at key derivation rate 0),
        // aligned to the right of the 112-bit salt; the PRF input block is x * 2^16.
        uint8_t iv[16] = {};
        std::memcpy(iv, salt_.data(), salt_.size());
        iv[7] ^= static_cast<uint8_t>(label);
        std::memset(out.data(), 0, out.size());
        int produced = 0;
        const bool ok = EVP_EncryptInit_ex2(ctx_.get(), nullptr, nullptr, iv, nullptr) == 1 &&
                        EVP_EncryptUpdate(ctx_.get(), out.data(), &produced, out.data(),
                                          static_cast<int>(out.size())) == 1;
        return ok && static_cast<size_t>(produced) == out.size();
    }

private:
    std::span<const uint8_t> salt_;
    // EVP_CIPHER_CTX_free cleanses the key schedule.
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx_{EVP_CIPHER_CTX_new(),
                                                                        EVP_CIPHER_CTX_free};
    bool keyed_ = false;
};

bool valid_master(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt) {
    return (master_key.size() == 16 || master_key.size() == 32) && master_salt.size() <= kMaxSaltLen;
}

bool derive_with(MasterKeyPrf& prf, const SuiteInfo& info, bool rtcp, SessionKeys& out) {
    const auto enc = rtcp ? KdfLabel::rtcp_encryption : KdfLabel::rtp_encryption;
    const auto auth = rtcp ? KdfLabel::rtcp_auth : KdfLabel::rtp_auth;
    const auto salt = rtcp ? KdfLabel::rtcp_salt : KdfLabel::rtp_salt;
    out = SessionKeys{};
    bool ok = prf.derive(enc, std::span(out.enc_key, info.key_len)) &&
              prf.derive(salt, std::span(out.salt, info.salt_len));
    if (ok && info.auth_key_len != 0) ok = prf.derive(auth, std::span(out.auth_key, info.auth_key_len));
    if (!ok) OPENSSL_cleanse(&out, sizeof(out));
    return ok;
}

}  // namespace

bool derive_key(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt,
                KdfLabel label, std::span<uint8_t> out) {
    if (!valid_master(master_key, master_salt)) return false;
    MasterKeyPrf prf(master_key, master_salt);
    return prf.derive(label, out);
}

bool derive_session_keys(Suite suite, std::span<const uint8_t> master_key,
                         std::span<const uint8_t> master_salt, bool rtcp, SessionKeys& out) {
    const SuiteInfo& info = suite_info(suite);
    if (master_key.size() != info.key_len || master_salt.size() != info.salt_len) return false;
    MasterKeyPrf prf(master_key, master_salt);
    return derive_with(prf, info, rtcp, out);
}

bool derive_session_keys(Suite suite, std::span<const uint8_t> master_key,
                         std::span<const uint8_t> master_salt, SessionKeys& rtp, SessionKeys& rtcp) {
    const SuiteInfo& info = suite_info(suite);
    if (master_key.size() != info.key_len || master_salt.size() != info.salt_len) return false;
    MasterKeyPrf prf(master_key, master_salt);
    if (derive_with(prf, info, false, rtp) && derive_with(prf, info, true, rtcp)) return true;
    OPENSSL_cleanse(&rtp, sizeof(rtp));
    return false;
}

}  // namespace msf::srtp
