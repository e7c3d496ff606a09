#include "dataplane/srtp/kdf.hpp"

#include "dataplane/srtp/ipsec_mb.hpp"

#include <openssl/evp.h>
#include <string.h>  // explicit_bzero

#include <algorithm>
#include <array>
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
// label (SRTP and SRTCP), only the counter block changes. AES-128 master keys (the common
// suites) go through ipsec-mb's AES-CTR job; AES-256 ones through OpenSSL's CTR mode.
class MasterKeyPrf {
public:
    MasterKeyPrf(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt)
        : salt_(master_salt) {
        if (master_key.size() == 16 && (mgr_ = thread_imb_mgr()) != nullptr) {
            aes_enc_schedule(mgr_, master_key.data(), 16, enc_);
            keyed_ = true;
            return;
        }
        ctx_.reset(EVP_CIPHER_CTX_new());
        const EVP_CIPHER* cipher = ctr_cipher(master_key.size());
        keyed_ = ctx_ && cipher &&
                 EVP_EncryptInit_ex2(ctx_.get(), cipher, master_key.data(), nullptr, nullptr) == 1;
    }
    ~MasterKeyPrf() { explicit_bzero(enc_, sizeof(enc_)); }
    MasterKeyPrf(const MasterKeyPrf&) = delete;
    MasterKeyPrf& operator=(const MasterKeyPrf&) = delete;

    bool derive(KdfLabel label, std::span<uint8_t> out) {
        if (!keyed_) return false;
        // x = key_id XOR master_salt, key_id = label || r (r = 0 at key derivation rate 0),
        // aligned to the right of the 112-bit salt; the PRF input block is x * 2^16.
        alignas(16) uint8_t iv[16] = {};
        std::memcpy(iv, salt_.data(), salt_.size());
        iv[7] ^= static_cast<uint8_t>(label);
        if (mgr_) {
            // AES-CTR over zeros from the counter block x * 2^16 (RFC 3711 §4.3.3), as ipsec-mb
            // jobs: the same CNTR code the engine runs on every packet. Block i of the keystream
            // is E(x * 2^16 + i); i sits in the two low octets, which are zero in x * 2^16.
            static constexpr uint8_t kZeros[kJobBytes] = {};
            for (size_t done = 0; done < out.size(); done += kJobBytes) {
                const size_t block = done / 16;
                if (block > 0xffff) return false;  // RFC 3711: at most 2^16 blocks per label
                iv[14] = static_cast<uint8_t>(block >> 8);
                iv[15] = static_cast<uint8_t>(block);
                if (!run_job(IMB_CIPHER_CNTR, kZeros, out.data() + done, std::min(kJobBytes, out.size() - done), iv))
                    return false;
            }
            return true;
        }
        std::memset(out.data(), 0, out.size());
        int produced = 0;
        const bool ok = EVP_EncryptInit_ex2(ctx_.get(), nullptr, nullptr, iv, nullptr) == 1 &&
                        EVP_EncryptUpdate(ctx_.get(), out.data(), &produced, out.data(),
                                          static_cast<int>(out.size())) == 1;
        return ok && static_cast<size_t>(produced) == out.size();
    }

    // The session keys of SRTP into *rtp and of SRTCP into *rtcp from ONE ipsec-mb AES-ECB job
    // over the counter blocks: CTR keystream block i of a label is E(x * 2^16 + i), so the ECB
    // encryption of those blocks is the same keystream. A CNTR job per label (six per
    // context) cost a quarter of a session's install and removal in job overhead.
    // Either may be null. Only with an ipsec-mb AES-128 schedule (ecb()); false otherwise.
    bool ecb() const { return keyed_ && mgr_ != nullptr; }
    bool derive_all(const SuiteInfo& info, SessionKeys* rtp, SessionKeys* rtcp) {
        if (!ecb()) return false;
        struct Part {
            KdfLabel label;
            uint8_t* out;
            size_t len;
        };
        std::array<Part, 6> parts;
        size_t count = 0;
        for (auto [keys, c] : {std::pair{rtp, false}, std::pair{rtcp, true}}) {
            if (keys == nullptr) continue;
            parts[count++] = {c ? KdfLabel::rtcp_encryption : KdfLabel::rtp_encryption, keys->enc_key, info.key_len};
            parts[count++] = {c ? KdfLabel::rtcp_salt : KdfLabel::rtp_salt, keys->salt, info.salt_len};
            if (info.auth_key_len != 0)
                parts[count++] = {c ? KdfLabel::rtcp_auth : KdfLabel::rtp_auth, keys->auth_key, info.auth_key_len};
        }
        alignas(16) uint8_t counters[kMaxBlocks * 16] = {};
        alignas(16) uint8_t stream[kMaxBlocks * 16];
        size_t blocks = 0;
        for (size_t p = 0; p < count; ++p) {
            for (size_t b = 0; b * 16 < parts[p].len; ++b, ++blocks) {
                if (blocks == kMaxBlocks) return false;
                uint8_t* block = counters + 16 * blocks;
                std::memcpy(block, salt_.data(), salt_.size());
                block[7] ^= static_cast<uint8_t>(parts[p].label);
                block[15] = static_cast<uint8_t>(b);
            }
        }
        const bool ok = run_job(IMB_CIPHER_ECB, counters, stream, 16 * blocks, nullptr);
        for (size_t p = 0, at = 0; ok && p < count; at += (parts[p].len + 15) / 16 * 16, ++p)
            std::memcpy(parts[p].out, stream + at, parts[p].len);
        explicit_bzero(stream, sizeof(stream));
        return ok;
    }

private:
    // One ipsec-mb AES-128 encryption job under the master key's schedule, run to completion;
    // iv: CNTR's 16-byte counter block, nullptr for ECB.
    bool run_job(IMB_CIPHER_MODE mode, const uint8_t* src, uint8_t* dst, size_t len, const uint8_t* iv) {
        IMB_JOB* job = IMB_GET_NEXT_JOB(mgr_);
        job->cipher_mode = mode;
        job->cipher_direction = IMB_DIR_ENCRYPT;
        job->chain_order = IMB_ORDER_CIPHER_HASH;
        job->hash_alg = IMB_AUTH_NULL;
        job->key_len_in_bytes = IMB_KEY_128_BYTES;
        job->enc_keys = enc_;
        job->dec_keys = enc_;
        job->src = src;
        job->dst = dst;
        job->cipher_start_src_offset_in_bytes = 0;
        job->msg_len_to_cipher_in_bytes = len;
        job->iv = iv;
        job->iv_len_in_bytes = iv ? 16 : 0;
        job = IMB_SUBMIT_JOB(mgr_);
        while (job == nullptr) job = IMB_FLUSH_JOB(mgr_);
        return job->status == IMB_STATUS_COMPLETED;
    }

    // derive_all's counter blocks: SRTP and SRTCP with an AES-128 master key need 4 each (key,
    // salt, two for the 20-byte auth key); room for more.
    static constexpr size_t kMaxBlocks = 10;
    static constexpr size_t kJobBytes = 256;  // keystream per job; session keys need at most 32
    std::span<const uint8_t> salt_;
    IMB_MGR* mgr_ = nullptr;
    alignas(16) uint8_t enc_[16 * 11] = {};  // ipsec-mb's AES-128 schedule
    // EVP_CIPHER_CTX_free cleanses the key schedule.
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx_{nullptr, EVP_CIPHER_CTX_free};
    bool keyed_ = false;
};

bool valid_master(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt) {
    return (master_key.size() == 16 || master_key.size() == 32) && master_salt.size() <= kMaxSaltLen;
}

bool derive_with(MasterKeyPrf& prf, const SuiteInfo& info, bool rtcp, SessionKeys& out) {
    if (prf.ecb()) {
        out = SessionKeys{};
        if (prf.derive_all(info, rtcp ? nullptr : &out, rtcp ? &out : nullptr)) return true;
        explicit_bzero(&out, sizeof(out));
        return false;
    }
    const auto enc = rtcp ? KdfLabel::rtcp_encryption : KdfLabel::rtp_encryption;
    const auto auth = rtcp ? KdfLabel::rtcp_auth : KdfLabel::rtp_auth;
    const auto salt = rtcp ? KdfLabel::rtcp_salt : KdfLabel::rtp_salt;
    out = SessionKeys{};
    bool ok = prf.derive(enc, std::span(out.enc_key, info.key_len)) &&
              prf.derive(salt, std::span(out.salt, info.salt_len));
    if (ok && info.auth_key_len != 0) ok = prf.derive(auth, std::span(out.auth_key, info.auth_key_len));
    if (!ok) explicit_bzero(&out, sizeof(out));
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
    if (prf.ecb()) {  // both label sets in one job
        rtp = SessionKeys{};
        rtcp = SessionKeys{};
        if (prf.derive_all(info, &rtp, &rtcp)) return true;
        explicit_bzero(&rtcp, sizeof(rtcp));
    } else if (derive_with(prf, info, false, rtp) && derive_with(prf, info, true, rtcp)) {
        return true;
    }
    explicit_bzero(&rtp, sizeof(rtp));
    return false;
}

}  // namespace msf::srtp
