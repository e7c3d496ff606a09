#include "dataplane/srtp/kdf.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>

namespace msf::srtp {

bool derive_key(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt,
                KdfLabel label, std::span<uint8_t> out) {
    if ((master_key.size() != 16 && master_key.size() != 32) || master_salt.size() > kMaxSaltLen)
        return false;
    // x = key_id XOR master_salt, key_id = label || r (r = 0 at key derivation rate 0), aligned
    // to the right of the 112-bit salt; the PRF input block is x * 2^16.
    uint8_t iv[16] = {};
    std::memcpy(iv, master_salt.data(), master_salt.size());
    iv[7] ^= static_cast<uint8_t>(label);

    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                       EVP_CIPHER_CTX_free);
    const EVP_CIPHER* cipher = master_key.size() == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, master_key.data(), iv) != 1)
        return false;
    std::memset(out.data(), 0, out.size());
    int produced = 0;
    const bool ok = EVP_EncryptUpdate(ctx.get(), out.data(), &produced, out.data(),
                                      static_cast<int>(out.size())) == 1;
    return ok && static_cast<size_t>(produced) == out.size();
}

bool derive_session_keys(Suite suite, std::span<const uint8_t> master_key,
                         std::span<const uint8_t> master_salt, bool rtcp, SessionKeys& out) {
    const SuiteInfo& info = suite_info(suite);
    if (master_key.size() != info.key_len || master_salt.size() != info.salt_len) return false;
    const auto enc = rtcp ? KdfLabel::rtcp_encryption : KdfLabel::rtp_encryption;
    const auto auth = rtcp ? KdfLabel::rtcp_auth : KdfLabel::rtp_auth;
    const auto salt = rtcp ? KdfLabel::rtcp_salt : KdfLabel::rtp_salt;
    out = SessionKeys{};
    bool ok = derive_key(master_key, master_salt, enc, std::span(out.enc_key, info.key_len)) &&
              derive_key(master_key, master_salt, salt, std::span(out.salt, info.salt_len));
    if (ok && info.auth_key_len != 0)
        ok = derive_key(master_key, master_salt, auth, std::span(out.auth_key, info.auth_key_len));
    if (!ok) OPENSSL_cleanse(&out, sizeof(out));
    return ok;
}

}  // namespace msf::srtp
