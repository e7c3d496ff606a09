#include "dataplane/srtp/context.hpp"

#include <string.h>  // explicit_bzero

#include "dataplane/srtp/hugepage_slab.hpp"
#include "dataplane/srtp/sha1_block.hpp"

#include <bit>
#include <cstddef>
#include <cstring>

namespace msf::srtp {

// Key schedules and HMAC states are computed with ipsec-mb's own primitives; one manager per
// thread serves every context created on that thread (and the KDF, kdf.cpp).
IMB_MGR* thread_imb_mgr() {
    struct Holder {
        IMB_MGR* mgr = alloc_mb_mgr(0);
        Holder() {
            if (mgr) init_mb_mgr_auto(mgr, nullptr);
        }
        ~Holder() { free_mb_mgr(mgr); }
    };
    thread_local Holder holder;
    return holder.mgr;
}

void aes_enc_schedule(IMB_MGR* mgr, const uint8_t* key, size_t key_len, void* enc) {
    const bool k128 = key_len == 16;
    switch (mgr->used_arch) {
        case IMB_ARCH_AVX512:
            return k128 ? aes_keyexp_128_enc_avx512(key, enc) : aes_keyexp_256_enc_avx512(key, enc);
        case IMB_ARCH_AVX2:
            return k128 ? aes_keyexp_128_enc_avx2(key, enc) : aes_keyexp_256_enc_avx2(key, enc);
        case IMB_ARCH_AVX:
            return k128 ? aes_keyexp_128_enc_avx(key, enc) : aes_keyexp_256_enc_avx(key, enc);
        case IMB_ARCH_SSE:
            return k128 ? aes_keyexp_128_enc_sse(key, enc) : aes_keyexp_256_enc_sse(key, enc);
        default:  // no AES-NI: the manager's own expansion, both schedules
            break;
    }
    alignas(16) uint8_t dec[16 * 15];
    if (k128) IMB_AES_KEYEXP_128(mgr, key, enc, dec);
    else IMB_AES_KEYEXP_256(mgr, key, enc, dec);
    explicit_bzero(dec, sizeof(dec));
}

namespace {

// RFC 2104: the SHA-1 states after absorbing (key ^ ipad) and (key ^ opad), so that each
// packet's HMAC starts from them instead of hashing the padded key again.
void hmac_sha1_states(const uint8_t* key, size_t key_len, uint8_t* ipad_state, uint8_t* opad_state) {
    alignas(16) uint8_t block[64];
    std::memset(block, 0x36, sizeof(block));
    for (size_t i = 0; i < key_len; ++i) block[i] ^= key[i];
    sha1_block_state(block, ipad_state);
    std::memset(block, 0x5c, sizeof(block));
    for (size_t i = 0; i < key_len; ++i) block[i] ^= key[i];
    sha1_block_state(block, opad_state);
    explicit_bzero(block, sizeof(block));
}

bool fail(std::string* error, std::string message) {
    if (error) *error = std::move(message);
    return false;
}

}  // namespace

namespace {
HugePageSlab& context_slab() {
    // Never destroyed: a context held by a static object may be freed after static destructors ran.
    static HugePageSlab* const slab = new HugePageSlab(sizeof(Context));
    return *slab;
}
}  // namespace

void* Context::operator new(std::size_t size, std::align_val_t align) {
    return context_slab().allocate(size, align);
}

void Context::operator delete(void* p, std::align_val_t) noexcept { context_slab().deallocate(p); }

std::unique_ptr<Context> Context::create(const Policy& policy, std::string* error) {
    if (static_cast<size_t>(policy.suite) >= kSuiteCount) {
        fail(error, "unknown suite");
        return nullptr;
    }
    const SuiteInfo& info = suite_info(policy.suite);
    if (policy.master_key.size() != info.key_len) {
        fail(error, std::string(info.name) + " needs a " + std::to_string(info.key_len) +
                        "-byte master key, got " + std::to_string(policy.master_key.size()));
        return nullptr;
    }
    if (policy.master_salt.size() != info.salt_len) {
        fail(error, std::string(info.name) + " needs a " + std::to_string(info.salt_len) +
                        "-byte master salt, got " + std::to_string(policy.master_salt.size()));
        return nullptr;
    }
    SessionKeys rtp, rtcp;
    const bool derived = derive_session_keys(policy.suite, policy.master_key, policy.master_salt, rtp, rtcp);
    std::unique_ptr<Context> ctx;
    if (!derived) {
        fail(error, "key derivation failed");
    } else {
        ctx = create_with_session_keys(policy, rtp, rtcp, error);
    }
    explicit_bzero(&rtp, sizeof(rtp));
    explicit_bzero(&rtcp, sizeof(rtcp));
    return ctx;
}

std::unique_ptr<Context> Context::create_with_session_keys(const Policy& policy,
                                                           const SessionKeys& rtp,
                                                           const SessionKeys& rtcp,
                                                           std::string* error) {
    std::unique_ptr<Context> ctx(new Context());
    if (!ctx->init(policy, rtp, rtcp, error)) return nullptr;
    return ctx;
}

void Context::set_key_lines(const IMB_MGR* mgr) {
    key_tail_first_ = key_tail_lines_ = 0;
    if (info().cipher == Cipher::aes_cm) {
        key_lines_ = static_cast<uint8_t>(
            (offsetof(CmKeys, aes_enc) + 16u * (info().key_len == 16 ? 11u : 15u) + 63u) / 64u);
        return;
    }
    constexpr uint32_t kAllLines = (sizeof(gcm_key_data) + 63u) / 64u;
    const bool vaes = mgr->used_arch == IMB_ARCH_AVX512 && (mgr->features & IMB_FEATURE_VAES) != 0;
    if (!vaes) {
        // The other code paths keep H^1 first and use more of the table: all of it.
        key_lines_ = kAllLines;
        return;
    }
    // VAES: the round keys, then the hash-key powers a packet of up to kGcmPrefetchBlocks
    // blocks uses, H^n..H^1, which are the LAST entries of the 48-entry table. A longer packet
    // reads more of the table on demand; it has more crypto to hide the misses behind.
    constexpr size_t kPowersEnd = offsetof(gcm_key_data, ghash_keys) + 16u * 48u;
    static_assert(kPowersEnd <= sizeof(gcm_key_data));
    constexpr size_t kFirstUsed = kPowersEnd - 16u * kGcmPrefetchBlocks;
    key_lines_ = static_cast<uint8_t>((offsetof(gcm_key_data, ghash_keys) + 63u) / 64u);
    key_tail_first_ = static_cast<uint8_t>(kFirstUsed / 64u);
    key_tail_lines_ = static_cast<uint8_t>((kPowersEnd - 1u) / 64u - kFirstUsed / 64u + 1u);
}

bool Context::init(const Policy& policy, const SessionKeys& rtp, const SessionKeys& rtcp,
                   std::string* error) {
    if (static_cast<size_t>(policy.suite) >= kSuiteCount) return fail(error, "unknown suite");
    if (policy.mki.size() > kMaxMkiLen)
        return fail(error, "MKI of " + std::to_string(policy.mki.size()) +
                               " bytes is longer than the supported " + std::to_string(kMaxMkiLen));
    const uint32_t w = policy.replay_window;
    if (w < ReplayWindow::kMinSize || w > ReplayWindow::kMaxSize || !std::has_single_bit(w))
        return fail(error, "replay window " + std::to_string(w) + " is not a power of two in [" +
                               std::to_string(ReplayWindow::kMinSize) + ", " +
                               std::to_string(ReplayWindow::kMaxSize) + "]");
    if (policy.rtp_lifetime == 0 || policy.rtp_lifetime > kMaxRtpLifetime)
        return fail(error, "SRTP key lifetime must be 1..2^48 packets");
    if (policy.rtcp_lifetime == 0 || policy.rtcp_lifetime > kMaxRtcpLifetime)
        return fail(error, "SRTCP key lifetime must be 1..2^31 packets");
    IMB_MGR* mgr = thread_imb_mgr();
    if (!mgr) return fail(error, "ipsec-mb manager allocation failed");

    suite_ = policy.suite;
    set_key_lines(mgr);
    mki_len_ = static_cast<uint8_t>(policy.mki.size());
    if (!policy.mki.empty()) std::memcpy(mki_, policy.mki.data(), policy.mki.size());
    rtp_tailroom_ = static_cast<uint8_t>(mki_len_ + hmac_room(suite_info(suite_).rtp_tag_len));
    rtp_.window = ReplayWindow(w);
    rtcp_.window = ReplayWindow(w);
    rtp_.lifetime = policy.rtp_lifetime;
    rtcp_.lifetime = policy.rtcp_lifetime;

    const SuiteInfo& info = suite_info(suite_);
    std::memcpy(rtp_.salt, rtp.salt, info.salt_len);
    std::memcpy(rtcp_.salt, rtcp.salt, info.salt_len);
    for (auto [keys, session] : {std::pair{&rtp_keys_, &rtp}, std::pair{&rtcp_keys_, &rtcp}}) {
        if (info.cipher == Cipher::aes_cm) {
            aes_enc_schedule(mgr, session->enc_key, info.key_len, keys->cm.aes_enc);
            hmac_sha1_states(session->auth_key, info.auth_key_len, keys->cm.hmac_ipad, keys->cm.hmac_opad);
        } else if (info.key_len == 16) {
            IMB_AES128_GCM_PRE(mgr, session->enc_key, &keys->gcm);
        } else {
            IMB_AES256_GCM_PRE(mgr, session->enc_key, &keys->gcm);
        }
    }
    return true;
}

Context::~Context() {
    // explicit_bzero, not OPENSSL_cleanse: both survive dead-store elimination, but OpenSSL's
    // stores 8 bytes at a time, and the two key unions are kilobytes (GCM's hash-key table),
    // which made wiping a tenth of a session's install and removal.
    explicit_bzero(&rtp_keys_, sizeof(rtp_keys_));
    explicit_bzero(&rtcp_keys_, sizeof(rtcp_keys_));
    explicit_bzero(rtp_.salt, sizeof(rtp_.salt));
    explicit_bzero(rtcp_.salt, sizeof(rtcp_.salt));
    explicit_bzero(mki_, sizeof(mki_));
}

}  // namespace msf::srtp
