// SRTP protect/unprotect throughput on one core: the engine's burst API next to libsrtp2 and
// OpenSSL EVP (one packet per call) and next to raw ipsec-mb doing only the crypto of the same
// packets, the physical limit of this core.
//
// Names: <op>/<suite>/<RTP packet bytes>/<contender>, e.g.
// "protect/AES_CM_128_HMAC_SHA1_80/172/engine_b32". Each reports items_per_second (packets per
// second of CPU time), "ticks/pkt" (TSC ticks of wall time around the timed loop, per packet) and
// "ticks/pkt_p50" (the median over iterations of the TSC ticks of one iteration, per packet: on
// a shared core the iterations during which this thread was preempted fall out of it).
// "<op>/<suite>/<bytes>/paired/engine_b32/<other>" runs the engine and another contender
// alternately, kPool packets each, and reports their median ticks and the ratio of their rates.
// scripts/bench.sh runs it and bench/srtp_table.py turns the JSON into a table.
//
// How the packets are fed, identically for every contender:
// - A pool of kPool packet buffers, each in its own 64-byte aligned slot with tailroom; one
//   benchmark iteration processes the next kPerIter slots, in bursts of `batch` (per-packet
//   contenders take the same slots one call at a time).
// - protect works in place and is never undone: encrypting ciphertext again costs exactly what
//   encrypting plaintext costs, so only the sequence number of each packet is rewritten (2 bytes)
//   before each burst, with the index advancing by one per packet. The engine and libsrtp refuse
//   to encrypt an index twice and derive the ROC from the sequence numbers themselves; OpenSSL and
//   raw ipsec-mb are handed the index.
// - unprotect also works in place, and replay windows refuse an index twice. The pool holds
//   kPool packets protected by libsrtp2 (indices kFirstSeq..kFirstSeq+kPool-1). After every pass
//   over the pool the timer is paused once, the pool is copied back from a pristine master and
//   the contexts/sessions are created afresh (fresh replay windows), then the timer resumes. That
//   is one pause per kPool packets (negligible next to them, unlike a pause per iteration), no
//   copy inside the timed loop, and the context set-up cost stays out of the per-packet figure.
//   The TSC ticks spent paused are left out of both tick counters.
// - Before timing, every contender's output is checked byte for byte against libsrtp2 (protect)
//   or against the plaintext (unprotect); inside the loop every failed packet is counted and a
//   benchmark with failures reports an error instead of a rate.
#include "dataplane/srtp/engine.hpp"
#include "dataplane/srtp/ipsec_mb.hpp"
#include "dataplane/srtp/kdf.hpp"
#include "dataplane/srtp/suite.hpp"

#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <srtp2/srtp.h>
#include <x86intrin.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using msf::srtp::Cipher;
using msf::srtp::Context;
using msf::srtp::Engine;
using msf::srtp::Packet;
using msf::srtp::SessionKeys;
using msf::srtp::Status;
using msf::srtp::Suite;
using msf::srtp::SuiteInfo;
using msf::srtp::suite_info;

constexpr uint32_t kPool = 1024;    // packet slots; one pass = one pause for unprotect
constexpr uint32_t kPerIter = 64;   // packets per benchmark iteration; divides kPool
constexpr uint32_t kPerPacketSeqBatch = 32;  // per-packet contenders rewrite seq 32 at a time
constexpr size_t kMaxIterSamples = size_t{1} << 19;  // per-iteration tick samples kept
constexpr uint32_t kHeader = 12;    // RTP fixed header, no CSRC, no extension
constexpr uint32_t kSsrc = 0xCAFEBABE;
constexpr uint16_t kFirstSeq = 1000;
constexpr uint32_t kTimestamp = 0x00012345;
// libsrtp may write SRTP_MAX_TRAILER_LEN past the packet; the engine needs less.
constexpr uint32_t kTailroom = SRTP_MAX_TRAILER_LEN;

// RFC 3711 B.3 master key and salt (AEAD_AES_128_GCM uses the first 12 salt bytes).
constexpr std::array<uint8_t, 16> kMasterKey = {0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0,
                                                0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE, 0x41, 0x39};
constexpr std::array<uint8_t, 14> kMasterSalt = {0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE,
                                                 0xEB, 0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6};

enum class Op { protect, unprotect };

struct Case {
    Op op;
    Suite suite;
    uint32_t size;  // full RTP packet before protection: 12-byte header + payload

    const SuiteInfo& info() const { return suite_info(suite); }
    uint32_t tag_len() const { return info().rtp_tag_len; }
    // Bytes each contender is handed: RTP for protect, SRTP for unprotect.
    uint32_t in_len() const { return op == Op::protect ? size : size + tag_len(); }
    uint32_t stride() const { return (size + kTailroom + 63) / 64 * 64; }
};

std::vector<uint8_t> master_salt(Suite s) {
    return {kMasterSalt.begin(), kMasterSalt.begin() + suite_info(s).salt_len};
}

inline void store_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

// RTP packet: V=2, PT 0 (G.711 PCMU), the given sequence number, payload byte j = (7j+3) mod 256.
void make_rtp(uint8_t* p, uint32_t size, uint16_t seq) {
    p[0] = 0x80;
    p[1] = 0x00;
    store_be16(p + 2, seq);
    store_be32(p + 4, kTimestamp);
    store_be32(p + 8, kSsrc);
    for (uint32_t j = 0; j < size - kHeader; ++j) p[kHeader + j] = static_cast<uint8_t>(7 * j + 3);
}

// kPool slots of `stride` bytes, 64-byte aligned.
class SlotBuffer {
public:
    explicit SlotBuffer(uint32_t stride)
        : stride_(stride),
          bytes_(static_cast<uint8_t*>(std::aligned_alloc(64, size_t{kPool} * stride))) {
        if (!bytes_) throw std::bad_alloc();
        std::memset(bytes_.get(), 0, size());
    }
    uint8_t* slot(uint32_t i) { return bytes_.get() + size_t{i} * stride_; }
    const uint8_t* slot(uint32_t i) const { return bytes_.get() + size_t{i} * stride_; }
    uint32_t stride() const { return stride_; }
    size_t size() const { return size_t{kPool} * stride_; }
    uint8_t* data() { return bytes_.get(); }
    const uint8_t* data() const { return bytes_.get(); }

private:
    struct Free {
        void operator()(uint8_t* p) const { std::free(p); }
    };
    uint32_t stride_;
    std::unique_ptr<uint8_t, Free> bytes_;
};

// ---- libsrtp2 -------------------------------------------------------------------------------

class LibsrtpSession {
public:
    LibsrtpSession(Suite suite, Op op) {
        std::memcpy(key_, kMasterKey.data(), kMasterKey.size());
        const std::vector<uint8_t> salt = master_salt(suite);
        std::memcpy(key_ + kMasterKey.size(), salt.data(), salt.size());
        srtp_policy_t policy;
        std::memset(&policy, 0, sizeof(policy));
        if (suite == Suite::aead_aes_128_gcm) {
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
        } else {
            srtp_crypto_policy_set_rtp_default(&policy.rtp);
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
        }
        policy.ssrc.type = op == Op::protect ? ssrc_any_outbound : ssrc_any_inbound;
        policy.key = key_;
        policy.window_size = 128;
        policy.allow_repeat_tx = 0;
        if (srtp_create(&session_, &policy) != srtp_err_status_ok)
            throw std::runtime_error("srtp_create failed");
    }
    ~LibsrtpSession() { srtp_dealloc(session_); }
    LibsrtpSession(const LibsrtpSession&) = delete;
    LibsrtpSession& operator=(const LibsrtpSession&) = delete;

    bool protect(uint8_t* p, uint32_t& len) {
        int l = static_cast<int>(len);
        const bool ok = srtp_protect(session_, p, &l) == srtp_err_status_ok;
        len = static_cast<uint32_t>(l);
        return ok;
    }
    bool unprotect(uint8_t* p, uint32_t& len) {
        int l = static_cast<int>(len);
        const bool ok = srtp_unprotect(session_, p, &l) == srtp_err_status_ok;
        len = static_cast<uint32_t>(l);
        return ok;
    }

private:
    srtp_t session_ = nullptr;
    uint8_t key_[30] = {};
};

// The unprotect input: kPool packets with consecutive indices, protected by libsrtp2 (the
// oracle), generated once per suite and size.
const SlotBuffer& protected_pool(const Case& c) {
    static std::map<std::pair<Suite, uint32_t>, std::unique_ptr<SlotBuffer>> cache;
    auto& entry = cache[{c.suite, c.size}];
    if (!entry) {
        auto pool = std::make_unique<SlotBuffer>(c.stride());
        LibsrtpSession sender(c.suite, Op::protect);
        for (uint32_t i = 0; i < kPool; ++i) {
            uint8_t* p = pool->slot(i);
            make_rtp(p, c.size, static_cast<uint16_t>(kFirstSeq + i));
            uint32_t len = c.size;
            if (!sender.protect(p, len) || len != c.size + c.tag_len())
                throw std::runtime_error("libsrtp2 could not protect the reference pool");
        }
        entry = std::move(pool);
    }
    return *entry;
}

// libsrtp2, one packet per srtp_protect / srtp_unprotect call.
class LibsrtpContender {
public:
    explicit LibsrtpContender(const Case& c) : case_(c) { rewind(); }

    uint32_t process(SlotBuffer& w, uint32_t first, uint32_t n, uint64_t /*index*/) {
        uint32_t bad = 0;
        for (uint32_t i = first; i < first + n; ++i) {
            uint32_t len = case_.in_len();
            uint8_t* p = w.slot(i);
            bad += !(case_.op == Op::protect ? session_->protect(p, len)
                                             : session_->unprotect(p, len));
        }
        return bad;
    }
    // A fresh session: a fresh replay window (unprotect) or send index (protect).
    void rewind() { session_ = std::make_unique<LibsrtpSession>(case_.suite, case_.op); }

private:
    Case case_;
    std::unique_ptr<LibsrtpSession> session_;
};

// ---- the engine -----------------------------------------------------------------------------

class EngineContender {
public:
    explicit EngineContender(const Case& c) : case_(c) {
        policy_.suite = c.suite;
        policy_.master_key.assign(kMasterKey.begin(), kMasterKey.end());
        policy_.master_salt = master_salt(c.suite);
        rewind();
    }

    // One engine call for the n packets (n <= Engine::kMaxBurst: one ipsec-mb submission).
    uint32_t process(SlotBuffer& w, uint32_t first, uint32_t n, uint64_t /*index*/) {
        for (uint32_t j = 0; j < n; ++j)
            packets_[j] = Packet{w.slot(first + j), case_.in_len(), w.stride(), ctx_.get()};
        if (case_.op == Op::protect)
            engine_.protect_rtp(std::span(packets_.data(), n), std::span(status_.data(), n));
        else
            engine_.unprotect_rtp(std::span(packets_.data(), n), std::span(status_.data(), n));
        uint32_t bad = 0;
        for (uint32_t j = 0; j < n; ++j) bad += status_[j] != Status::ok;
        return bad;
    }
    void rewind() {
        std::string error;
        ctx_ = Context::create(policy_, &error);
        if (!ctx_) throw std::runtime_error("Context::create: " + error);
    }
    std::string_view arch() const { return engine_.arch(); }

private:
    Case case_;
    msf::srtp::Policy policy_;
    Engine engine_;
    std::unique_ptr<Context> ctx_;
    std::array<Packet, Engine::kMaxBurst> packets_{};
    std::array<Status, Engine::kMaxBurst> status_{};
};

// ---- session keys and IVs for the contenders without SRTP logic ------------------------------

SessionKeys rtp_session_keys(Suite suite) {
    SessionKeys keys;
    const std::vector<uint8_t> salt = master_salt(suite);
    if (!msf::srtp::derive_session_keys(suite, kMasterKey, salt, false, keys))
        throw std::runtime_error("derive_session_keys failed");
    return keys;
}

// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16); `base` holds the first
// two terms, this adds the index.
inline void cm_iv(uint8_t* iv, const uint8_t* base, uint64_t index) {
    std::memcpy(iv, base, 16);
    for (int b = 0; b < 6; ++b) iv[8 + b] ^= static_cast<uint8_t>(index >> (40 - 8 * b));
}
void cm_iv_base(uint8_t* base, const SessionKeys& k) {
    std::memset(base, 0, 16);
    std::memcpy(base, k.salt, 14);
    for (int b = 0; b < 4; ++b) base[4 + b] ^= static_cast<uint8_t>(kSsrc >> (24 - 8 * b));
}
// RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; `base` holds salt ^ SSRC.
inline void gcm_iv(uint8_t* iv, const uint8_t* base, uint64_t index) {
    std::memcpy(iv, base, 12);
    for (int b = 0; b < 6; ++b) iv[6 + b] ^= static_cast<uint8_t>(index >> (40 - 8 * b));
}
void gcm_iv_base(uint8_t* base, const SessionKeys& k) {
    std::memcpy(base, k.salt, 12);
    for (int b = 0; b < 4; ++b) base[2 + b] ^= static_cast<uint8_t>(kSsrc >> (24 - 8 * b));
}

// ---- OpenSSL EVP ----------------------------------------------------------------------------

// One packet per call, contexts keyed once: AES-128-CTR re-initialised with each packet's IV plus
// HMAC-SHA1 (EVP_MAC re-initialised without a key, which reuses the keyed inner and outer
// states), or AES-128-GCM re-initialised with each packet's IV, the RTP header as AAD.
class OpensslContender {
public:
    explicit OpensslContender(const Case& c) : case_(c), keys_(rtp_session_keys(c.suite)) {
        cipher_ = EVP_CIPHER_CTX_new();
        if (!cipher_) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
        if (c.info().cipher == Cipher::aes_cm) {
            cm_iv_base(iv_base_, keys_);
            if (EVP_EncryptInit_ex(cipher_, EVP_aes_128_ctr(), nullptr, keys_.enc_key, nullptr) != 1)
                throw std::runtime_error("EVP_EncryptInit_ex(aes-128-ctr) failed");
            mac_type_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
            mac_ = mac_type_ ? EVP_MAC_CTX_new(mac_type_) : nullptr;
            char digest[] = "SHA1";
            const OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_construct_end()};
            if (!mac_ || EVP_MAC_init(mac_, keys_.auth_key, sizeof(keys_.auth_key), params) != 1)
                throw std::runtime_error("EVP_MAC HMAC-SHA1 set-up failed");
        } else {
            gcm_iv_base(iv_base_, keys_);
            const bool ok =
                c.op == Op::protect
                    ? EVP_EncryptInit_ex(cipher_, EVP_aes_128_gcm(), nullptr, keys_.enc_key, nullptr)
                    : EVP_DecryptInit_ex(cipher_, EVP_aes_128_gcm(), nullptr, keys_.enc_key, nullptr);
            if (!ok) throw std::runtime_error("EVP_*Init_ex(aes-128-gcm) failed");
        }
    }
    ~OpensslContender() {
        EVP_MAC_CTX_free(mac_);
        EVP_MAC_free(mac_type_);
        EVP_CIPHER_CTX_free(cipher_);
        OPENSSL_cleanse(&keys_, sizeof(keys_));
    }
    OpensslContender(const OpensslContender&) = delete;
    OpensslContender& operator=(const OpensslContender&) = delete;

    uint32_t process(SlotBuffer& w, uint32_t first, uint32_t n, uint64_t index) {
        uint32_t bad = 0;
        const bool cm = case_.info().cipher == Cipher::aes_cm;
        for (uint32_t j = 0; j < n; ++j) {
            uint8_t* p = w.slot(first + j);
            if (case_.op == Op::protect)
                bad += !(cm ? protect_cm(p, index + j) : protect_gcm(p, index + j));
            else
                bad += !(cm ? unprotect_cm(p, index + j) : unprotect_gcm(p, index + j));
        }
        return bad;
    }
    void rewind() {}

private:
    bool ctr(uint8_t* p, uint32_t len, uint64_t index) {
        alignas(16) uint8_t iv[16];
        cm_iv(iv, iv_base_, index);
        int out = 0;
        return EVP_EncryptInit_ex(cipher_, nullptr, nullptr, nullptr, iv) == 1 &&
               EVP_EncryptUpdate(cipher_, p + kHeader, &out, p + kHeader,
                                 static_cast<int>(len - kHeader)) == 1;
    }
    // RFC 3711 §4.2: HMAC-SHA1 over header || encrypted payload || ROC.
    bool hmac(const uint8_t* p, uint32_t len, uint64_t index, uint8_t* mac) {
        uint8_t roc[4];
        store_be32(roc, static_cast<uint32_t>(index >> 16));
        size_t out = 0;
        return EVP_MAC_init(mac_, nullptr, 0, nullptr) == 1 && EVP_MAC_update(mac_, p, len) == 1 &&
               EVP_MAC_update(mac_, roc, sizeof(roc)) == 1 && EVP_MAC_final(mac_, mac, &out, 20) == 1;
    }
    bool protect_cm(uint8_t* p, uint64_t index) {
        const uint32_t len = case_.size;
        uint8_t mac[20];
        if (!ctr(p, len, index) || !hmac(p, len, index, mac)) return false;
        std::memcpy(p + len, mac, 10);
        return true;
    }
    bool unprotect_cm(uint8_t* p, uint64_t index) {
        const uint32_t len = case_.size;  // without the tag
        uint8_t mac[20];
        if (!hmac(p, len, index, mac) || CRYPTO_memcmp(mac, p + len, 10) != 0) return false;
        return ctr(p, len, index);
    }
    bool protect_gcm(uint8_t* p, uint64_t index) {
        const uint32_t len = case_.size;
        uint8_t iv[12];
        gcm_iv(iv, iv_base_, index);
        int out = 0;
        uint8_t none[16];
        return EVP_EncryptInit_ex(cipher_, nullptr, nullptr, nullptr, iv) == 1 &&
               EVP_EncryptUpdate(cipher_, nullptr, &out, p, kHeader) == 1 &&
               EVP_EncryptUpdate(cipher_, p + kHeader, &out, p + kHeader,
                                 static_cast<int>(len - kHeader)) == 1 &&
               EVP_EncryptFinal_ex(cipher_, none, &out) == 1 &&
               EVP_CIPHER_CTX_ctrl(cipher_, EVP_CTRL_AEAD_GET_TAG, 16, p + len) == 1;
    }
    bool unprotect_gcm(uint8_t* p, uint64_t index) {
        const uint32_t len = case_.size;  // without the tag
        uint8_t iv[12];
        gcm_iv(iv, iv_base_, index);
        int out = 0;
        uint8_t none[16];
        return EVP_DecryptInit_ex(cipher_, nullptr, nullptr, nullptr, iv) == 1 &&
               EVP_DecryptUpdate(cipher_, nullptr, &out, p, kHeader) == 1 &&
               EVP_DecryptUpdate(cipher_, p + kHeader, &out, p + kHeader,
                                 static_cast<int>(len - kHeader)) == 1 &&
               EVP_CIPHER_CTX_ctrl(cipher_, EVP_CTRL_AEAD_SET_TAG, 16, p + len) == 1 &&
               EVP_DecryptFinal_ex(cipher_, none, &out) == 1;
    }

    Case case_;
    SessionKeys keys_;
    uint8_t iv_base_[16] = {};
    EVP_CIPHER_CTX* cipher_ = nullptr;
    EVP_MAC* mac_type_ = nullptr;
    EVP_MAC_CTX* mac_ = nullptr;
};

// ---- raw ipsec-mb ---------------------------------------------------------------------------

// The jobs the engine submits for the same packets, with no SRTP logic around them: no parsing,
// no index estimation, no replay window, no status per packet. Fields that are the same for every
// packet are set once. AES-CM: one AES-128-CTR cipher burst and one HMAC-SHA1 hash burst
// (12-byte output over header || payload || ROC, the ROC written where the tag goes); protect
// encrypts then authenticates, unprotect authenticates, compares the tags, then decrypts.
// AES-GCM: one direct IMB_AES128_GCM_ENC/DEC call per packet, 12-byte IV, the RTP header as AAD.
class RawIpsecMbContender {
public:
    explicit RawIpsecMbContender(const Case& c) : case_(c) {
        mgr_ = alloc_mb_mgr(0);
        if (!mgr_) throw std::runtime_error("alloc_mb_mgr failed");
        init_mb_mgr_auto(mgr_, nullptr);
        if (imb_get_errno(mgr_) != 0) throw std::runtime_error("init_mb_mgr_auto failed");
        const SessionKeys keys = rtp_session_keys(c.suite);
        if (c.info().cipher == Cipher::aes_cm) {
            cm_iv_base(iv_base_, keys);
            alignas(16) uint8_t dec_unused[16 * 15];
            IMB_AES_KEYEXP_128(mgr_, keys.enc_key, aes_enc_, dec_unused);
            alignas(16) uint8_t block[64];
            std::memset(block, 0x36, sizeof(block));
            for (size_t i = 0; i < sizeof(keys.auth_key); ++i) block[i] ^= keys.auth_key[i];
            IMB_SHA1_ONE_BLOCK(mgr_, block, ipad_);
            std::memset(block, 0x5c, sizeof(block));
            for (size_t i = 0; i < sizeof(keys.auth_key); ++i) block[i] ^= keys.auth_key[i];
            IMB_SHA1_ONE_BLOCK(mgr_, block, opad_);
            for (uint32_t j = 0; j < Engine::kMaxBurst; ++j) {
                IMB_JOB& cj = cipher_jobs_[j];
                std::memset(&cj, 0, sizeof(cj));
                cj.cipher_mode = IMB_CIPHER_CNTR;
                cj.cipher_direction = IMB_DIR_ENCRYPT;
                cj.hash_alg = IMB_AUTH_NULL;
                cj.chain_order = IMB_ORDER_CIPHER_HASH;
                cj.key_len_in_bytes = IMB_KEY_128_BYTES;
                cj.enc_keys = aes_enc_;
                cj.dec_keys = aes_enc_;
                cj.iv = ivs_[j];
                cj.iv_len_in_bytes = 16;
                cj.cipher_start_src_offset_in_bytes = kHeader;
                IMB_JOB& hj = hash_jobs_[j];
                std::memset(&hj, 0, sizeof(hj));
                hj.cipher_mode = IMB_CIPHER_NULL;
                hj.hash_alg = IMB_AUTH_HMAC_SHA_1;
                hj.chain_order = IMB_ORDER_HASH_CIPHER;
                hj.auth_tag_output_len_in_bytes = 12;
                hj.u.HMAC._hashed_auth_key_xor_ipad = ipad_;
                hj.u.HMAC._hashed_auth_key_xor_opad = opad_;
            }
        } else {
            gcm_iv_base(iv_base_, keys);
            IMB_AES128_GCM_PRE(mgr_, keys.enc_key, &gcm_key_);
        }
    }
    ~RawIpsecMbContender() {
        OPENSSL_cleanse(aes_enc_, sizeof(aes_enc_));
        OPENSSL_cleanse(&gcm_key_, sizeof(gcm_key_));
        free_mb_mgr(mgr_);
    }
    RawIpsecMbContender(const RawIpsecMbContender&) = delete;
    RawIpsecMbContender& operator=(const RawIpsecMbContender&) = delete;

    uint32_t process(SlotBuffer& w, uint32_t first, uint32_t n, uint64_t index) {
        if (case_.info().cipher == Cipher::aes_cm)
            return case_.op == Op::protect ? protect_cm(w, first, n, index)
                                           : unprotect_cm(w, first, n, index);
        return case_.op == Op::protect ? protect_gcm(w, first, n, index)
                                       : unprotect_gcm(w, first, n, index);
    }
    void rewind() {}

private:
    uint32_t protect_cm(SlotBuffer& w, uint32_t first, uint32_t n, uint64_t index) {
        const uint32_t len = case_.size;
        for (uint32_t j = 0; j < n; ++j) {
            uint8_t* p = w.slot(first + j);
            cm_iv(ivs_[j], iv_base_, index + j);
            IMB_JOB& cj = cipher_jobs_[j];
            cj.src = p;
            cj.dst = p + kHeader;  // ipsec-mb does not add the start offset to dst
            cj.msg_len_to_cipher_in_bytes = len - kHeader;
            store_be32(p + len, static_cast<uint32_t>((index + j) >> 16));
            IMB_JOB& hj = hash_jobs_[j];
            hj.src = p;
            hj.msg_len_to_hash_in_bytes = len + 4;
            hj.auth_tag_output = p + len;
        }
        const uint32_t done =
            IMB_SUBMIT_CIPHER_BURST_NOCHECK(mgr_, cipher_jobs_, n, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
                                            IMB_KEY_128_BYTES) +
            IMB_SUBMIT_HASH_BURST_NOCHECK(mgr_, hash_jobs_, n, IMB_AUTH_HMAC_SHA_1);
        return 2 * n - done;
    }
    uint32_t unprotect_cm(SlotBuffer& w, uint32_t first, uint32_t n, uint64_t index) {
        const uint32_t len = case_.size;  // without the tag
        for (uint32_t j = 0; j < n; ++j) {
            uint8_t* p = w.slot(first + j);
            std::memcpy(received_[j], p + len, 10);
            store_be32(p + len, static_cast<uint32_t>((index + j) >> 16));
            IMB_JOB& hj = hash_jobs_[j];
            hj.src = p;
            hj.msg_len_to_hash_in_bytes = len + 4;
            hj.auth_tag_output = computed_[j];
        }
        uint32_t bad = n - IMB_SUBMIT_HASH_BURST_NOCHECK(mgr_, hash_jobs_, n, IMB_AUTH_HMAC_SHA_1);
        for (uint32_t j = 0; j < n; ++j) {
            bad += CRYPTO_memcmp(computed_[j], received_[j], 10) != 0;
            uint8_t* p = w.slot(first + j);
            cm_iv(ivs_[j], iv_base_, index + j);
            IMB_JOB& cj = cipher_jobs_[j];
            cj.src = p;
            cj.dst = p + kHeader;
            cj.msg_len_to_cipher_in_bytes = len - kHeader;
        }
        bad += n - IMB_SUBMIT_CIPHER_BURST_NOCHECK(mgr_, cipher_jobs_, n, IMB_CIPHER_CNTR,
                                                   IMB_DIR_ENCRYPT, IMB_KEY_128_BYTES);
        return bad;
    }
    // IVs first, then the GCM calls: an IV built byte by byte and read back at once by a
    // vector load would stall on store forwarding (the engine also builds them in phase 1).
    uint32_t protect_gcm(SlotBuffer& w, uint32_t first, uint32_t n, uint64_t index) {
        const uint32_t len = case_.size;
        for (uint32_t j = 0; j < n; ++j) gcm_iv(ivs_[j], iv_base_, index + j);
        for (uint32_t j = 0; j < n; ++j) {
            uint8_t* p = w.slot(first + j);
            IMB_AES128_GCM_ENC(mgr_, &gcm_key_, &gcm_ctx_, p + kHeader, p + kHeader, len - kHeader,
                               ivs_[j], p, kHeader, p + len, 16);
        }
        return 0;
    }
    uint32_t unprotect_gcm(SlotBuffer& w, uint32_t first, uint32_t n, uint64_t index) {
        const uint32_t len = case_.size;  // without the tag
        for (uint32_t j = 0; j < n; ++j) gcm_iv(ivs_[j], iv_base_, index + j);
        for (uint32_t j = 0; j < n; ++j) {
            uint8_t* p = w.slot(first + j);
            IMB_AES128_GCM_DEC(mgr_, &gcm_key_, &gcm_ctx_, p + kHeader, p + kHeader, len - kHeader,
                               ivs_[j], p, kHeader, computed_[j], 16);
        }
        uint32_t bad = 0;
        for (uint32_t j = 0; j < n; ++j)
            bad += CRYPTO_memcmp(computed_[j], w.slot(first + j) + len, 16) != 0;
        return bad;
    }

    Case case_;
    IMB_MGR* mgr_ = nullptr;
    uint8_t iv_base_[16] = {};
    alignas(16) uint8_t aes_enc_[16 * 15] = {};
    alignas(16) uint8_t ipad_[32] = {};
    alignas(16) uint8_t opad_[32] = {};
    alignas(64) gcm_key_data gcm_key_{};  // the header aligns it on Windows only
    alignas(64) gcm_context_data gcm_ctx_{};
    IMB_JOB cipher_jobs_[Engine::kMaxBurst];
    IMB_JOB hash_jobs_[Engine::kMaxBurst];
    alignas(16) uint8_t ivs_[Engine::kMaxBurst][16] = {};
    alignas(16) uint8_t computed_[Engine::kMaxBurst][16] = {};
    alignas(16) uint8_t received_[Engine::kMaxBurst][16] = {};
};

// ---- the benchmark loop ---------------------------------------------------------------------

// The contender's output for its first `batch` packets must be what libsrtp2 produces
// (protect) or the original RTP packet (unprotect). Returns an empty string when it is.
template <class Contender>
std::string verify(Contender& k, SlotBuffer& w, const Case& c, uint32_t batch) {
    const SlotBuffer& reference = protected_pool(c);
    if (k.process(w, 0, batch, kFirstSeq) != 0) return "a packet failed in the correctness check";
    std::vector<uint8_t> rtp(c.size);
    for (uint32_t j = 0; j < batch; ++j) {
        const uint8_t* want = reference.slot(j);
        const uint32_t want_len = c.size + c.tag_len();
        if (c.op == Op::unprotect) {
            make_rtp(rtp.data(), c.size, static_cast<uint16_t>(kFirstSeq + j));
            want = rtp.data();
        }
        if (std::memcmp(w.slot(j), want, c.op == Op::protect ? want_len : c.size) != 0)
            return "output differs from libsrtp2 in the correctness check";
    }
    return {};
}

// One contender with its own packet pool, fed as described at the top of this file.
template <class Contender>
class Lane {
public:
    Lane(const Case& c, uint32_t batch) : case_(c), batch_(batch), w_(c.stride()) {}

    // Creates the contender, fills the pool and checks the contender's output. Returns an error
    // message, or an empty string when the lane is ready.
    std::string setup() {
        try {
            k_ = std::make_unique<Contender>(case_);
            if (case_.op == Op::protect) {
                for (uint32_t i = 0; i < kPool; ++i)
                    make_rtp(w_.slot(i), case_.size, static_cast<uint16_t>(kFirstSeq + i));
            } else {
                std::memcpy(w_.data(), protected_pool(case_).data(), w_.size());
            }
            std::string error = verify(*k_, w_, case_, batch_);
            if (case_.op == Op::protect) {
                index_ = kFirstSeq + batch_;  // the check used the indices before
            } else {
                refill();
            }
            // Touched before timing, so no page fault lands in the loop.
            ticks_.assign(kMaxIterSamples, 0);
            return error;
        } catch (const std::exception& e) {
            return e.what();
        }
    }

    // Processes the next kPerIter packets. Returns true when an unprotect pool has just been used
    // up; the caller then pauses the timer and calls refill().
    bool step() {
        for (uint32_t off = 0; off < kPerIter; off += batch_) {
            if (case_.op == Op::protect) {
                for (uint32_t j = 0; j < batch_; ++j)
                    store_be16(w_.slot(pos_ + off + j) + 2, static_cast<uint16_t>(index_ + j));
            }
            bad_ += k_->process(w_, pos_ + off, batch_, index_);
            index_ += batch_;
        }
        pos_ += kPerIter;
        if (pos_ < kPool) return false;
        pos_ = 0;
        return case_.op == Op::unprotect;
    }
    // The pool as libsrtp2 protected it and fresh replay state, so the indices can come again.
    void refill() {
        std::memcpy(w_.data(), protected_pool(case_).data(), w_.size());
        k_->rewind();
        index_ = kFirstSeq;
    }

    // Ticks of one step, for a median that a preempted step cannot move (the cores are shared).
    void record(uint64_t ticks) {
        if (samples_ < ticks_.size())
            ticks_[samples_++] = static_cast<uint32_t>(std::min<uint64_t>(ticks, UINT32_MAX));
    }
    double median_ticks_per_packet() {
        if (samples_ == 0) return 0;
        const auto mid = ticks_.begin() + static_cast<std::ptrdiff_t>(samples_ / 2);
        std::nth_element(ticks_.begin(), mid, ticks_.begin() + static_cast<std::ptrdiff_t>(samples_));
        return static_cast<double>(*mid) / kPerIter;
    }
    uint64_t failed_packets() const { return bad_; }

private:
    Case case_;
    uint32_t batch_;
    SlotBuffer w_;
    std::unique_ptr<Contender> k_;
    uint64_t index_ = kFirstSeq;
    uint32_t pos_ = 0;
    uint64_t bad_ = 0;
    std::vector<uint32_t> ticks_;
    size_t samples_ = 0;
};

// One contender alone: items_per_second, ticks/pkt around the timed loop, ticks/pkt_p50.
template <class Contender>
void run(benchmark::State& state, Case c, uint32_t batch) {
    Lane<Contender> lane(c, batch);
    if (const std::string error = lane.setup(); !error.empty()) {
        state.SkipWithError(error.c_str());
        return;
    }
    uint64_t paused_ticks = 0;
    const uint64_t t0 = __rdtsc();
    uint64_t last = t0;
    for (auto _ : state) {
        const bool used_up = lane.step();
        const uint64_t now = __rdtsc();
        lane.record(now - last);
        last = now;
        if (used_up) {
            state.PauseTiming();
            lane.refill();
            state.ResumeTiming();
            last = __rdtsc();
            paused_ticks += last - now;
        }
    }
    const uint64_t ticks = __rdtsc() - t0 - paused_ticks;

    if (lane.failed_packets() != 0) {
        state.SkipWithError((std::to_string(lane.failed_packets()) + " packets failed").c_str());
        return;
    }
    const int64_t packets = static_cast<int64_t>(state.iterations()) * kPerIter;
    state.SetItemsProcessed(packets);
    state.counters["ticks/pkt"] =
        benchmark::Counter(packets ? static_cast<double>(ticks) / static_cast<double>(packets) : 0);
    state.counters["ticks/pkt_p50"] = benchmark::Counter(lane.median_ticks_per_packet());
}

// Two contenders side by side: each iteration runs a whole pool (kPool packets) through A, then
// the same packets through B, so both see the same load on a shared machine and the ratio of
// their median ticks is not moved by what other processes did between two separate benchmarks.
// (A whole pool, not one step: switching every 64 packets would start each contender with the
// other's code and data in the L1 caches.) Reports ticks_a/pkt and ticks_b/pkt, the medians over
// iterations, and rate_a/rate_b = ticks_b / ticks_a.
template <class A, class B>
void run_paired(benchmark::State& state, Case c, uint32_t batch_a, uint32_t batch_b) {
    Lane<A> a(c, batch_a);
    Lane<B> b(c, batch_b);
    std::string error = a.setup();
    if (error.empty()) error = b.setup();
    if (!error.empty()) {
        state.SkipWithError(error.c_str());
        return;
    }
    constexpr uint32_t kSteps = kPool / kPerIter;
    for (auto _ : state) {
        const uint64_t t0 = __rdtsc();
        for (uint32_t i = 0; i < kSteps; ++i) a.step();
        const uint64_t t1 = __rdtsc();
        for (uint32_t i = 0; i < kSteps; ++i) b.step();
        const uint64_t t2 = __rdtsc();
        a.record((t1 - t0) / kSteps);
        b.record((t2 - t1) / kSteps);
        if (c.op == Op::unprotect) {
            state.PauseTiming();
            a.refill();
            b.refill();
            state.ResumeTiming();
        }
    }
    if (a.failed_packets() + b.failed_packets() != 0) {
        state.SkipWithError("packets failed");
        return;
    }
    const double ta = a.median_ticks_per_packet(), tb = b.median_ticks_per_packet();
    state.counters["ticks_a/pkt"] = benchmark::Counter(ta);
    state.counters["ticks_b/pkt"] = benchmark::Counter(tb);
    state.counters["rate_a/rate_b"] = benchmark::Counter(ta > 0 ? tb / ta : 0);
}

constexpr std::array<Suite, 2> kBenchSuites = {Suite::aes_cm_128_hmac_sha1_80,
                                               Suite::aead_aes_128_gcm};
constexpr std::array<uint32_t, 4> kSizes = {64, 172, 512, 1200};
constexpr std::array<uint32_t, 3> kBatches = {16, 32, 64};

void register_all() {
    for (Op op : {Op::protect, Op::unprotect}) {
        for (Suite suite : kBenchSuites) {
            for (uint32_t size : kSizes) {
                const Case c{op, suite, size};
                const std::string prefix = std::string(op == Op::protect ? "protect/" : "unprotect/") +
                                           std::string(suite_info(suite).name) + "/" +
                                           std::to_string(size) + "/";
                for (uint32_t b : kBatches) {
                    benchmark::RegisterBenchmark(
                        (prefix + "engine_b" + std::to_string(b)).c_str(),
                        [c, b](benchmark::State& s) { run<EngineContender>(s, c, b); });
                }
                // Raw ipsec-mb at the same batch sizes (GCM makes one call per packet anyway).
                for (uint32_t b : kBatches) {
                    benchmark::RegisterBenchmark(
                        (prefix + "ipsec_mb_b" + std::to_string(b)).c_str(),
                        [c, b](benchmark::State& s) { run<RawIpsecMbContender>(s, c, b); });
                }
                benchmark::RegisterBenchmark((prefix + "openssl_evp").c_str(), [c](benchmark::State& s) {
                    run<OpensslContender>(s, c, kPerPacketSeqBatch);
                });
                benchmark::RegisterBenchmark((prefix + "libsrtp2").c_str(), [c](benchmark::State& s) {
                    run<LibsrtpContender>(s, c, kPerPacketSeqBatch);
                });
                // The ratios the targets are stated in, measured side by side.
                benchmark::RegisterBenchmark(
                    (prefix + "paired/engine_b32/ipsec_mb_b32").c_str(), [c](benchmark::State& s) {
                        run_paired<EngineContender, RawIpsecMbContender>(s, c, 32, 32);
                    });
                benchmark::RegisterBenchmark(
                    (prefix + "paired/engine_b32/openssl_evp").c_str(), [c](benchmark::State& s) {
                        run_paired<EngineContender, OpensslContender>(s, c, 32, kPerPacketSeqBatch);
                    });
            }
        }
    }
}

// TSC ticks per second, against the steady clock over 50 ms.
double tsc_hz() {
    const auto c0 = std::chrono::steady_clock::now();
    const uint64_t t0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto c1 = std::chrono::steady_clock::now();
    const uint64_t t1 = __rdtsc();
    return static_cast<double>(t1 - t0) / std::chrono::duration<double>(c1 - c0).count();
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    if (srtp_init() != srtp_err_status_ok) {
        std::fprintf(stderr, "srtp_init failed\n");
        return 1;
    }
    char ghz[32];
    std::snprintf(ghz, sizeof(ghz), "%.3f", tsc_hz() / 1e9);
    benchmark::AddCustomContext("tsc_ghz", ghz);
    benchmark::AddCustomContext("ipsec_mb", std::string(imb_get_version_str()) + " " +
                                                std::string(Engine().arch()));
    benchmark::AddCustomContext("openssl", OpenSSL_version(OPENSSL_VERSION));
    benchmark::AddCustomContext("libsrtp2", srtp_get_version_string());
    benchmark::AddCustomContext("pool_packets", std::to_string(kPool));
    register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    srtp_shutdown();
    return 0;
}
