#include "dataplane/srtp/engine.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <stdexcept>

#include "dataplane/net/byte_order.hpp"

namespace msf::srtp {

namespace {

#define MSF_UNLIKELY(x) __builtin_expect(!!(x), 0)

using net::load_be16;
using net::load_be32;
using net::store_be32;

// Constant time, so a forger learns nothing from how long a rejection takes: the work depends
// only on the tag length, which is public. Eight bytes at a time (tags are 4, 10 or 16 bytes).
inline bool tags_equal(const uint8_t* a, const uint8_t* b, uint32_t n) {
    uint64_t diff = 0;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        diff |= x ^ y;
    }
    if (i + 4 <= n) {
        uint32_t x, y;
        std::memcpy(&x, a + i, 4);
        std::memcpy(&y, b + i, 4);
        diff |= x ^ y;
        i += 4;
    }
    for (; i < n; ++i) diff |= a[i] ^ b[i];
    return diff == 0;
}

constexpr uint32_t kRtpHeader = 12;
constexpr uint32_t kRtcpHeader = 8;
constexpr uint32_t kSrtcpIndexLen = 4;
constexpr uint32_t kEBit = 0x80000000u;
constexpr uint32_t kHmacOutput = 12;  // ipsec-mb 1.3 refuses a 10-byte HMAC-SHA1 output
constexpr uint32_t kGcmTag = 16;
constexpr uint64_t kMaxRtpIndex = (uint64_t{1} << 48) - 1;
constexpr uint32_t kMaxRtcpIndex = 0x7fffffffu;

// RFC 3550 §5.1: fixed header, CSRC list, optional extension. Returns the header length, or 0
// when the version is not 2 or the header does not fit in `len` bytes.
inline uint32_t rtp_header_len(const uint8_t* d, uint32_t len) {
    if (MSF_UNLIKELY(len < kRtpHeader || (d[0] >> 6) != 2)) return 0;
    uint32_t hl = kRtpHeader + 4u * (d[0] & 0x0f);
    if (d[0] & 0x10) {
        if (MSF_UNLIKELY(len < hl + 4)) return 0;
        hl += 4 + 4u * load_be16(d + hl + 2);
    }
    return hl <= len ? hl : 0;
}

// Copies of a few bytes whose length is one of a handful of values: a constant-size copy each,
// where a variable-size memcpy would be a library call per packet.
inline void copy_small(uint8_t* dst, const uint8_t* src, uint32_t len) {
    switch (len) {
        case 0: return;
        case 4: std::memcpy(dst, src, 4); return;
        case 10: std::memcpy(dst, src, 10); return;
        case 16: std::memcpy(dst, src, 16); return;
        default:
            for (uint32_t i = 0; i < len; ++i) dst[i] = src[i];
    }
}

static_assert(std::endian::native == std::endian::little, "ipsec-mb and these IV builders are x86");

// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), built in two 64-bit
// halves (memory order) and stored at once, so the cipher's 16-byte load forwards from one store.
// The SSRC comes as the packet's own 4 network-order bytes, which are IV bytes 4..7 as they
// stand: no byte swap, and no 32-bit value for the compiler to spill and reload as 64 bits (a
// load wider than its store does not forward: a stall per packet).
inline void cm_iv(uint8_t* iv, const uint8_t* salt, const uint8_t* ssrc_be, uint64_t index) {
    uint64_t hi, lo;
    uint32_t ssrc_bytes;
    std::memcpy(&hi, salt, 8);
    std::memcpy(&lo, salt + 6, 8);  // bytes 6..13 in one load: no 6-byte copy through the stack
    std::memcpy(&ssrc_bytes, ssrc_be, 4);
    lo >>= 16;                      // bytes 8..13, then two zero bytes (little-endian)
    hi ^= uint64_t{ssrc_bytes} << 32;
    lo ^= __builtin_bswap64(index << 16);
    const uint64_t words[2] = {hi, lo};
    std::memcpy(iv, words, 16);
}

// RFC 7714 §8.1 (SRTP: 00 00 | SSRC | ROC | SEQ) and §9.1 (SRTCP: 00 00 | SSRC | 00 00 |
// 0 | index), each XORed with the 12-byte salt.
// Built in two 64-bit halves and stored at once, as cm_iv: ipsec-mb reads the 12-byte IV with
// wide loads, which byte-wise stores could not forward. The SSRC is the packet's own bytes; ROC
// and SEQ are the 48-bit index, big-endian.
inline void gcm_iv(uint8_t* iv, const uint8_t* salt, const uint8_t* ssrc_be, uint64_t index) {
    uint64_t lo;
    uint32_t hi, ssrc_bytes;
    std::memcpy(&lo, salt, 8);
    std::memcpy(&hi, salt + 8, 4);
    std::memcpy(&ssrc_bytes, ssrc_be, 4);
    const uint64_t roc_seq = __builtin_bswap64(index << 16);  // memory order: ROC, SEQ, 00 00
    lo ^= uint64_t{ssrc_bytes} << 16 ^ roc_seq << 48;         // bytes 2..5 SSRC, 6..7 ROC high
    const uint64_t words[2] = {lo, uint64_t{hi} ^ ((roc_seq >> 16) & 0xffffffffu)};  // ROC low, SEQ
    std::memcpy(iv, words, 16);
}

inline void gcm_rtcp_iv(uint8_t* iv, const uint8_t* salt, uint32_t ssrc, uint32_t index) {
    std::memcpy(iv, salt, 12);
    store_be32(iv + 2, ssrc ^ load_be32(salt + 2));
    store_be32(iv + 8, index ^ load_be32(salt + 8));
}

}  // namespace

// Per-burst arrays, allocated once per Engine. Jobs are grouped by what one ipsec-mb call can
// take: a cipher burst needs one key size, a hash burst one algorithm.
struct Engine::Scratch {
    IMB_JOB hash_jobs[kMaxBurst];
    IMB_JOB cipher_jobs[2][kMaxBurst];  // [0]: AES-128-CTR, [1]: AES-256-CTR
    uint8_t hash_pkt[kMaxBurst];        // hash job -> packet
    uint8_t cipher_pkt[2][kMaxBurst];   // cipher job -> packet
    uint8_t gcm_pkt[kMaxBurst];         // AEAD packets, in burst order
    uint8_t mki_pkt[kMaxBurst];         // AES-CM packets with an MKI (protect), in burst order

    alignas(16) uint8_t iv[kMaxBurst][16];
    alignas(16) uint8_t computed_tag[kMaxBurst][16];
    alignas(16) uint8_t received_tag[kMaxBurst][16];
    alignas(16) uint8_t aad[kMaxBurst][12];  // SRTCP AEAD: header || E-flag and index
    uint64_t index[kMaxBurst];
    uint32_t hdr_len[kMaxBurst];
    uint32_t auth_end[kMaxBurst];  // end of the authenticated (unprotect) or plain (protect) part
    uint32_t ssrc[kMaxBurst];
    gcm_context_data gcm_ctx;
};

Engine::Engine() {
    mgr_ = alloc_mb_mgr(0);
    if (!mgr_) throw std::runtime_error("ipsec-mb: cannot allocate a multi-buffer manager");
    init_mb_mgr_auto(mgr_, &arch_);
    if (imb_get_errno(mgr_) != 0) {
        free_mb_mgr(mgr_);
        throw std::runtime_error("ipsec-mb: manager initialisation failed");
    }
    scratch_ = new Scratch();
    // Fields that never change for a job slot are set once here.
    for (uint32_t i = 0; i < kMaxBurst; ++i) {
        IMB_JOB& h = scratch_->hash_jobs[i];
        h.cipher_mode = IMB_CIPHER_NULL;
        h.hash_alg = IMB_AUTH_HMAC_SHA_1;
        h.chain_order = IMB_ORDER_HASH_CIPHER;
        h.hash_start_src_offset_in_bytes = 0;
        h.auth_tag_output_len_in_bytes = kHmacOutput;
        for (int k = 0; k < 2; ++k) {
            IMB_JOB& c = scratch_->cipher_jobs[k][i];
            c.cipher_mode = IMB_CIPHER_CNTR;
            c.cipher_direction = IMB_DIR_ENCRYPT;  // CTR is its own inverse
            c.hash_alg = IMB_AUTH_NULL;
            c.chain_order = IMB_ORDER_CIPHER_HASH;
            c.key_len_in_bytes = k == 0 ? IMB_KEY_128_BYTES : IMB_KEY_256_BYTES;
            c.iv_len_in_bytes = 16;  // the whole RFC 3711 counter block
        }
    }
}

Engine::~Engine() {
    if (scratch_) {
        // IVs and tags are derived from keys; do not leave them behind.
        std::memset(scratch_, 0, sizeof(Scratch));
        __asm__ __volatile__("" : : "r"(scratch_) : "memory");
    }
    delete scratch_;
    free_mb_mgr(mgr_);
}

std::string_view Engine::arch() const {
    switch (arch_) {
        case IMB_ARCH_NOAESNI: return "noaesni";
        case IMB_ARCH_SSE: return "sse";
        case IMB_ARCH_AVX: return "avx";
        case IMB_ARCH_AVX2: return "avx2";
        case IMB_ARCH_AVX512: return "avx512";
        default: return "unknown";
    }
}

namespace {

template <typename Fn>
void in_bursts(std::span<Packet> packets, std::span<Status> status, Fn&& fn) {
    if (status.size() < packets.size())
        throw std::invalid_argument("srtp::Engine: status span shorter than packet span");
    for (size_t off = 0; off < packets.size(); off += Engine::kMaxBurst) {
        const auto n = static_cast<uint32_t>(std::min<size_t>(Engine::kMaxBurst, packets.size() - off));
        fn(packets.data() + off, status.data() + off, n);
    }
}

}  // namespace

void Engine::protect_rtp(std::span<Packet> p, std::span<Status> s) {
    in_bursts(p, s, [this](Packet* pp, Status* ss, uint32_t n) { protect_rtp_burst(pp, ss, n); });
}
void Engine::unprotect_rtp(std::span<Packet> p, std::span<Status> s) {
    in_bursts(p, s, [this](Packet* pp, Status* ss, uint32_t n) { unprotect_rtp_burst(pp, ss, n); });
}
void Engine::protect_rtcp(std::span<Packet> p, std::span<Status> s) {
    in_bursts(p, s, [this](Packet* pp, Status* ss, uint32_t n) { protect_rtcp_burst(pp, ss, n); });
}
void Engine::unprotect_rtcp(std::span<Packet> p, std::span<Status> s) {
    in_bursts(p, s, [this](Packet* pp, Status* ss, uint32_t n) { unprotect_rtcp_burst(pp, ss, n); });
}

Status Engine::protect_rtp(Packet& p) {
    Status s;
    protect_rtp_burst(&p, &s, 1);
    return s;
}
Status Engine::unprotect_rtp(Packet& p) {
    Status s;
    unprotect_rtp_burst(&p, &s, 1);
    return s;
}
Status Engine::protect_rtcp(Packet& p) {
    Status s;
    protect_rtcp_burst(&p, &s, 1);
    return s;
}
Status Engine::unprotect_rtcp(Packet& p) {
    Status s;
    unprotect_rtcp_burst(&p, &s, 1);
    return s;
}

namespace {

inline int cipher_slot(const SuiteInfo& info) { return info.key_len == 16 ? 0 : 1; }

inline void fill_cipher_job(IMB_JOB& job, const void* schedule, uint8_t* data, uint32_t start,
                            uint32_t len, const uint8_t* iv) {
    job.enc_keys = schedule;  // CTR reads the encryption schedule both ways; dec_keys is unused
    job.src = data;
    job.dst = data + start;  // ipsec-mb does not add the start offset to dst
    job.cipher_start_src_offset_in_bytes = start;
    job.msg_len_to_cipher_in_bytes = len;
    job.iv = iv;
}

inline void fill_hash_job(IMB_JOB& job, const uint8_t* ipad, const uint8_t* opad,
                          const uint8_t* data, uint32_t len, uint8_t* tag_out) {
    job.src = data;
    job.msg_len_to_hash_in_bytes = len;
    job.auth_tag_output = tag_out;
    job.u.HMAC._hashed_auth_key_xor_ipad = ipad;
    job.u.HMAC._hashed_auth_key_xor_opad = opad;
}

// CTR jobs queued per AES key size, one cipher burst each. Two named counters, not an array
// indexed by the key size: the compiler keeps these in registers, while an indexed counter lived
// on the stack and every packet's job waited for the previous packet's store to it.
struct CipherCounts {
    uint32_t aes128 = 0;
    uint32_t aes256 = 0;
    uint32_t of(int k) const { return k == 0 ? aes128 : aes256; }
};

// Queues packet i's CTR job (its IV is already in sc.iv[i]) in the burst of its key size.
template <class Scratch>
inline void queue_cipher_job(Scratch& sc, CipherCounts& counts, const SuiteInfo& info, uint32_t i,
                             const void* schedule, uint8_t* data, uint32_t start, uint32_t len) {
    const int k = cipher_slot(info);
    const uint32_t j = k == 0 ? counts.aes128++ : counts.aes256++;
    fill_cipher_job(sc.cipher_jobs[k][j], schedule, data, start, len, sc.iv[i]);
    sc.cipher_pkt[k][j] = static_cast<uint8_t>(i);
}

}  // namespace

// Runs the cipher bursts and the hash burst prepared in the scratch arrays. A burst returns how
// many jobs completed; only when some did not are the statuses read, and such packets get
// `failure`.
#define MSF_RUN_CIPHER_BURSTS(sc, ncipher, st, failure)                                          \
    for (int k = 0; k < 2; ++k) {                                                                \
        if (ncipher.of(k) == 0) continue;                                                        \
        if (IMB_SUBMIT_CIPHER_BURST_NOCHECK(mgr_, sc.cipher_jobs[k], ncipher.of(k), IMB_CIPHER_CNTR, \
                                            IMB_DIR_ENCRYPT,                                     \
                                            k == 0 ? IMB_KEY_128_BYTES : IMB_KEY_256_BYTES) ==   \
            ncipher.of(k))                                                                       \
            continue;                                                                            \
        for (uint32_t j = 0; j < ncipher.of(k); ++j)                                             \
            if (MSF_UNLIKELY(sc.cipher_jobs[k][j].status != IMB_STATUS_COMPLETED))               \
                st[sc.cipher_pkt[k][j]] = failure;                                               \
    }

#define MSF_RUN_HASH_BURST(sc, nhash, st, failure)                                               \
    if (nhash != 0) {                                                                            \
        if (IMB_SUBMIT_HASH_BURST_NOCHECK(mgr_, sc.hash_jobs, nhash, IMB_AUTH_HMAC_SHA_1) != nhash) \
            for (uint32_t j = 0; j < nhash; ++j)                                                 \
                if (MSF_UNLIKELY(sc.hash_jobs[j].status != IMB_STATUS_COMPLETED))                \
                    st[sc.hash_pkt[j]] = failure;                                                \
    }

void Engine::protect_rtp_burst(Packet* p, Status* st, uint32_t n) {
    Scratch& sc = *scratch_;
    CipherCounts ncipher;
    uint32_t nhash = 0, ngcm = 0, nmki = 0;

    // Phase 1: validate, claim the index (protect cannot fail after this point, so the send
    // state is committed here, in burst order), and prepare the crypto jobs.
    for (uint32_t i = 0; i < n; ++i) {
        Packet& pk = p[i];
        Context* c = pk.ctx;
        if (MSF_UNLIKELY(!c)) { st[i] = Status::no_context; continue; }
        uint8_t* d = pk.data;
        // In a local: every store through a uint8_t* (the IV, the ROC) may alias pk.len, so the
        // compiler would load it again after each.
        const uint32_t len = pk.len;
        const uint32_t hl = rtp_header_len(d, len);
        if (MSF_UNLIKELY(hl == 0)) { st[i] = Status::malformed; continue; }
        if (MSF_UNLIKELY(uint64_t{len} + c->rtp_tailroom() > pk.capacity)) {
            st[i] = Status::no_room;
            continue;
        }
        const uint32_t ssrc = load_be32(d + 8);
        Context::Stream& s = c->rtp_;
        if (MSF_UNLIKELY(s.bound && s.ssrc != ssrc)) { st[i] = Status::ssrc_mismatch; continue; }
        const uint64_t index = estimate_index(s.window.highest(), load_be16(d + 2));
        if (MSF_UNLIKELY(s.packets >= s.lifetime || index > kMaxRtpIndex)) {
            st[i] = Status::key_expired;
            continue;
        }
        // Refuse to encrypt an index twice: it would reuse keystream (libsrtp does the same).
        if (MSF_UNLIKELY(!s.window.claim(index))) { st[i] = Status::replay; continue; }
        s.bind(ssrc);
        ++s.packets;
        st[i] = Status::ok;

        const SuiteInfo& info = c->info();
        const Context::Keys& keys = c->rtp_keys_;
        if (info.cipher == Cipher::aes_cm) {
            cm_iv(sc.iv[i], s.salt, d + 8, index);
            if (len > hl) queue_cipher_job(sc, ncipher, info, i, keys.cm.aes_enc, d, hl, len - hl);
            // RFC 3711 §4.2: the tag covers header || encrypted payload || ROC. The ROC goes
            // where the tag will be so the input is contiguous; the tag overwrites it.
            const uint32_t mki_len = c->mki_len_;
            store_be32(d + len, static_cast<uint32_t>(index >> 16));
            fill_hash_job(sc.hash_jobs[nhash], keys.cm.hmac_ipad, keys.cm.hmac_opad, d, len + 4,
                          d + len + mki_len);
            sc.hash_pkt[nhash++] = static_cast<uint8_t>(i);
            // The final length is known now; only a packet with an MKI needs a pass after the
            // hash (its MKI goes where the ROC is until then). A packet whose crypto fails gets
            // a failure status, and its length does not matter (Packet: it is dropped).
            if (mki_len == 0)
                pk.len = len + info.rtp_tag_len;
            else
                sc.mki_pkt[nmki++] = static_cast<uint8_t>(i);
        } else {
            gcm_iv(sc.iv[i], s.salt, d + 8, index);
            sc.hdr_len[i] = hl;
            sc.gcm_pkt[ngcm++] = static_cast<uint8_t>(i);
        }
    }

    // Phase 2: encrypt, then authenticate the ciphertext. AEAD packets are finished in the same
    // pass (RFC 7714 §8: tag, then MKI).
    MSF_RUN_CIPHER_BURSTS(sc, ncipher, st, Status::malformed)
    MSF_RUN_HASH_BURST(sc, nhash, st, Status::malformed)
    for (uint32_t j = 0; j < ngcm; ++j) {
        const uint32_t i = sc.gcm_pkt[j];
        Packet& pk = p[i];
        Context* c = pk.ctx;
        const uint32_t hl = sc.hdr_len[i];
        uint8_t* d = pk.data;
        // RFC 7714 §8.2: AAD is the whole RTP header; the tag follows the ciphertext.
        if (c->info().key_len == 16)
            IMB_AES128_GCM_ENC(mgr_, &c->rtp_keys_.gcm, &sc.gcm_ctx, d + hl, d + hl, pk.len - hl,
                               sc.iv[i], d, hl, d + pk.len, kGcmTag);
        else
            IMB_AES256_GCM_ENC(mgr_, &c->rtp_keys_.gcm, &sc.gcm_ctx, d + hl, d + hl, pk.len - hl,
                               sc.iv[i], d, hl, d + pk.len, kGcmTag);
        copy_small(d + pk.len + kGcmTag, c->mki_, c->mki_len_);
        pk.len += kGcmTag + c->mki_len_;
    }

    // Phase 3 (AES-CM with an MKI): MKI then tag (RFC 3711 §3.1); the tag is already in place.
    for (uint32_t j = 0; j < nmki; ++j) {
        const uint32_t i = sc.mki_pkt[j];
        if (MSF_UNLIKELY(st[i] != Status::ok)) continue;
        Packet& pk = p[i];
        const Context* c = pk.ctx;
        copy_small(pk.data + pk.len, c->mki_, c->mki_len_);
        pk.len += c->info().rtp_tag_len + c->mki_len_;
    }
}

void Engine::unprotect_rtp_burst(Packet* p, Status* st, uint32_t n) {
    Scratch& sc = *scratch_;
    CipherCounts ncipher;
    uint32_t nhash = 0;

    // Phase 1: validate, estimate the index, reject replays before spending crypto on them.
    for (uint32_t i = 0; i < n; ++i) {
        Packet& pk = p[i];
        Context* c = pk.ctx;
        if (MSF_UNLIKELY(!c)) { st[i] = Status::no_context; continue; }
        const SuiteInfo& info = c->info();
        const uint32_t mki_len = c->mki_len_;  // a local: stores through uint8_t* may alias it
        const uint32_t trailer = info.rtp_tag_len + mki_len;
        uint8_t* d = pk.data;
        if (MSF_UNLIKELY(pk.len < kRtpHeader + trailer)) { st[i] = Status::malformed; continue; }
        const uint32_t auth_end = pk.len - trailer;
        const uint32_t hl = rtp_header_len(d, auth_end);
        if (MSF_UNLIKELY(hl == 0)) { st[i] = Status::malformed; continue; }
        const uint32_t mki_at = info.cipher == Cipher::aes_cm ? auth_end : auth_end + info.rtp_tag_len;
        if (MSF_UNLIKELY(mki_len && std::memcmp(d + mki_at, c->mki_, mki_len) != 0)) {
            st[i] = Status::mki_mismatch;
            continue;
        }
        const uint32_t ssrc = load_be32(d + 8);
        Context::Stream& s = c->rtp_;
        if (MSF_UNLIKELY(s.bound && s.ssrc != ssrc)) { st[i] = Status::ssrc_mismatch; continue; }
        const uint64_t index = estimate_index(s.window.highest(), load_be16(d + 2));
        if (MSF_UNLIKELY(s.packets >= s.lifetime || index > kMaxRtpIndex)) {
            st[i] = Status::key_expired;
            continue;
        }
        sc.index[i] = index;  // phase 3 re-checks a replay verdict against the committed state
        if (MSF_UNLIKELY(!s.window.fresh(index))) { st[i] = Status::replay; continue; }
        st[i] = Status::ok;
        sc.hdr_len[i] = hl;
        sc.auth_end[i] = auth_end;
        sc.ssrc[i] = ssrc;

        const Context::Keys& keys = c->rtp_keys_;
        if (info.cipher == Cipher::aes_cm) {
            uint8_t* tag = d + auth_end + mki_len;
            copy_small(sc.received_tag[i], tag, info.rtp_tag_len);
            // The ROC takes the place of the MKI/tag so header || payload || ROC is contiguous.
            store_be32(d + auth_end, static_cast<uint32_t>(index >> 16));
            fill_hash_job(sc.hash_jobs[nhash], keys.cm.hmac_ipad, keys.cm.hmac_opad, d,
                          auth_end + 4, sc.computed_tag[i]);
            sc.hash_pkt[nhash++] = static_cast<uint8_t>(i);
        } else {
            gcm_iv(sc.iv[i], s.salt, d + 8, index);
        }
    }

    // Phase 2: authenticate first, then decrypt only what authenticated.
    MSF_RUN_HASH_BURST(sc, nhash, st, Status::auth_failed)
    for (uint32_t j = 0; j < nhash; ++j) {
        const uint32_t i = sc.hash_pkt[j];
        if (st[i] != Status::ok) continue;
        Packet& pk = p[i];
        const Context* c = pk.ctx;
        const SuiteInfo& info = c->info();
        if (!tags_equal(sc.computed_tag[i], sc.received_tag[i], info.rtp_tag_len)) {
            st[i] = Status::auth_failed;
            continue;
        }
        const uint32_t hl = sc.hdr_len[i];
        if (sc.auth_end[i] > hl) {
            cm_iv(sc.iv[i], c->rtp_.salt, pk.data + 8, sc.index[i]);
            queue_cipher_job(sc, ncipher, info, i, c->rtp_keys_.cm.aes_enc, pk.data, hl, sc.auth_end[i] - hl);
        }
    }
    MSF_RUN_CIPHER_BURSTS(sc, ncipher, st, Status::auth_failed)
    for (uint32_t i = 0; i < n; ++i) {
        if (st[i] != Status::ok) continue;
        Packet& pk = p[i];
        Context* c = pk.ctx;
        if (c->info().cipher != Cipher::aes_gcm) continue;
        const uint32_t hl = sc.hdr_len[i];
        const uint32_t end = sc.auth_end[i];
        uint8_t* d = pk.data;
        if (c->info().key_len == 16)
            IMB_AES128_GCM_DEC(mgr_, &c->rtp_keys_.gcm, &sc.gcm_ctx, d + hl, d + hl, end - hl,
                               sc.iv[i], d, hl, sc.computed_tag[i], kGcmTag);
        else
            IMB_AES256_GCM_DEC(mgr_, &c->rtp_keys_.gcm, &sc.gcm_ctx, d + hl, d + hl, end - hl,
                               sc.iv[i], d, hl, sc.computed_tag[i], kGcmTag);
        if (!tags_equal(sc.computed_tag[i], d + end, kGcmTag)) st[i] = Status::auth_failed;
    }

    // Phase 3: commit replay and ROC state in burst order; a duplicate inside this burst is
    // caught here because the first copy has just been committed.
    //
    // Phase 1 estimated every index from the state before the burst. Packet by packet, a jump
    // of 2^15 or more earlier in the burst would have moved the estimate (RFC 3711 Appendix A);
    // a packet judged a replay or failing authentication under the old estimate is tried once
    // more, alone, against the state committed so far, so a burst never decides differently
    // than single packets would. A forged packet cannot cause this: only authenticated packets commit.
    for (uint32_t i = 0; i < n; ++i) {
        if (st[i] != Status::ok && st[i] != Status::auth_failed && st[i] != Status::replay) continue;
        Packet& pk = p[i];
        Context::Stream& s = pk.ctx->rtp_;
        if (st[i] != Status::ok) {
            // Judged in phase 1 (a replay: bytes untouched) or failed its tag (bytes restored).
            if (MSF_UNLIKELY(estimate_index(s.window.highest(), load_be16(pk.data + 2)) != sc.index[i])) {
                if (st[i] == Status::auth_failed) restore_failed_rtp(pk, i);
                unprotect_rtp_burst(&pk, &st[i], 1);  // uses scratch slot 0, already finished
            }
            continue;
        }
        if (MSF_UNLIKELY(!s.window.fresh(sc.index[i]))) { st[i] = Status::replay; continue; }
        // Earlier packets of this burst may have used up the key since phase 1 looked: a burst
        // accepts no more packets than the lifetime allows, as single packets would.
        if (MSF_UNLIKELY(s.packets >= s.lifetime)) { st[i] = Status::key_expired; continue; }
        s.window.commit(sc.index[i]);
        s.bind(sc.ssrc[i]);
        ++s.packets;
        pk.len = sc.auth_end[i];
    }
}

// Puts back the bytes unprotect changed in a packet that failed authentication: the ROC written
// over the MKI and tag (AES-CM), or the payload GCM decrypted before its tag check.
void Engine::restore_failed_rtp(Packet& pk, uint32_t i) {
    Scratch& sc = *scratch_;
    const Context* c = pk.ctx;
    uint8_t* d = pk.data;
    const uint32_t end = sc.auth_end[i];
    if (c->info().cipher == Cipher::aes_cm) {
        const uint32_t from_mki = std::min<uint32_t>(4, c->mki_len_);
        std::memcpy(d + end, c->mki_, from_mki);
        std::memcpy(d + end + from_mki, sc.received_tag[i], 4 - from_mki);
        return;
    }
    // CTR is its own inverse: encrypting the wrongly decrypted payload with the same IV gives
    // the ciphertext back; the computed tag is thrown away.
    const uint32_t hl = sc.hdr_len[i];
    if (c->info().key_len == 16)
        IMB_AES128_GCM_ENC(mgr_, &c->rtp_keys_.gcm, &sc.gcm_ctx, d + hl, d + hl, end - hl, sc.iv[i], d,
                           hl, sc.computed_tag[i], kGcmTag);
    else
        IMB_AES256_GCM_ENC(mgr_, &c->rtp_keys_.gcm, &sc.gcm_ctx, d + hl, d + hl, end - hl, sc.iv[i], d,
                           hl, sc.computed_tag[i], kGcmTag);
}

void Engine::protect_rtcp_burst(Packet* p, Status* st, uint32_t n) {
    Scratch& sc = *scratch_;
    CipherCounts ncipher;
    uint32_t nhash = 0, ngcm = 0;

    for (uint32_t i = 0; i < n; ++i) {
        Packet& pk = p[i];
        Context* c = pk.ctx;
        if (MSF_UNLIKELY(!c)) { st[i] = Status::no_context; continue; }
        uint8_t* d = pk.data;
        if (MSF_UNLIKELY(pk.len < kRtcpHeader || (d[0] >> 6) != 2)) {
            st[i] = Status::malformed;
            continue;
        }
        if (MSF_UNLIKELY(uint64_t{pk.len} + c->rtcp_tailroom() > pk.capacity)) {
            st[i] = Status::no_room;
            continue;
        }
        const uint32_t ssrc = load_be32(d + 4);
        Context::Stream& s = c->rtcp_;
        if (MSF_UNLIKELY(s.bound && s.ssrc != ssrc)) { st[i] = Status::ssrc_mismatch; continue; }
        // RFC 3711 §3.4: the 31-bit SRTCP index counts packets sent; libsrtp starts at 1.
        const uint32_t index = c->rtcp_send_index_ + 1;
        if (MSF_UNLIKELY(s.packets >= s.lifetime || index > kMaxRtcpIndex)) {
            st[i] = Status::key_expired;
            continue;
        }
        c->rtcp_send_index_ = index;
        s.window.commit(index);
        s.bind(ssrc);
        ++s.packets;
        st[i] = Status::ok;
        sc.index[i] = index;

        const SuiteInfo& info = c->info();
        const Context::Keys& keys = c->rtcp_keys_;
        if (info.cipher == Cipher::aes_cm) {
            // RFC 3711 §3.4: header || encrypted || E,index || MKI || tag; the tag covers
            // everything up to and including the E,index word.
            cm_iv(sc.iv[i], s.salt, d + 4, index);
            if (pk.len > kRtcpHeader) {
                queue_cipher_job(sc, ncipher, info, i, keys.cm.aes_enc, d, kRtcpHeader, pk.len - kRtcpHeader);
            }
            store_be32(d + pk.len, kEBit | index);
            fill_hash_job(sc.hash_jobs[nhash], keys.cm.hmac_ipad, keys.cm.hmac_opad, d,
                          pk.len + kSrtcpIndexLen, d + pk.len + kSrtcpIndexLen + c->mki_len_);
            sc.hash_pkt[nhash++] = static_cast<uint8_t>(i);
        } else {
            // RFC 7714 §9: AAD = first 8 header octets || E,index; the tag follows the
            // ciphertext and precedes E,index.
            gcm_rtcp_iv(sc.iv[i], s.salt, ssrc, index);
            std::memcpy(sc.aad[i], d, kRtcpHeader);
            store_be32(sc.aad[i] + kRtcpHeader, kEBit | index);
            sc.gcm_pkt[ngcm++] = static_cast<uint8_t>(i);
        }
    }

    MSF_RUN_CIPHER_BURSTS(sc, ncipher, st, Status::malformed)
    MSF_RUN_HASH_BURST(sc, nhash, st, Status::malformed)
    for (uint32_t j = 0; j < ngcm; ++j) {
        const uint32_t i = sc.gcm_pkt[j];
        Packet& pk = p[i];
        Context* c = pk.ctx;
        uint8_t* d = pk.data;
        const uint32_t body = pk.len - kRtcpHeader;
        if (c->info().key_len == 16)
            IMB_AES128_GCM_ENC(mgr_, &c->rtcp_keys_.gcm, &sc.gcm_ctx, d + kRtcpHeader,
                               d + kRtcpHeader, body, sc.iv[i], sc.aad[i], 12, d + pk.len, kGcmTag);
        else
            IMB_AES256_GCM_ENC(mgr_, &c->rtcp_keys_.gcm, &sc.gcm_ctx, d + kRtcpHeader,
                               d + kRtcpHeader, body, sc.iv[i], sc.aad[i], 12, d + pk.len, kGcmTag);
    }

    for (uint32_t i = 0; i < n; ++i) {
        if (st[i] != Status::ok) continue;
        Packet& pk = p[i];
        const Context* c = pk.ctx;
        const uint32_t tag = c->info().rtcp_tag_len;
        if (c->info().cipher == Cipher::aes_cm) {
            copy_small(pk.data + pk.len + kSrtcpIndexLen, c->mki_, c->mki_len_);
        } else {
            store_be32(pk.data + pk.len + tag, kEBit | static_cast<uint32_t>(sc.index[i]));
            copy_small(pk.data + pk.len + tag + kSrtcpIndexLen, c->mki_, c->mki_len_);
        }
        pk.len += kSrtcpIndexLen + tag + c->mki_len_;
    }
}

void Engine::unprotect_rtcp_burst(Packet* p, Status* st, uint32_t n) {
    Scratch& sc = *scratch_;
    CipherCounts ncipher;
    uint32_t nhash = 0;
    bool encrypted[kMaxBurst];

    for (uint32_t i = 0; i < n; ++i) {
        Packet& pk = p[i];
        Context* c = pk.ctx;
        if (MSF_UNLIKELY(!c)) { st[i] = Status::no_context; continue; }
        const SuiteInfo& info = c->info();
        const uint32_t tag = info.rtcp_tag_len;
        const uint32_t trailer = kSrtcpIndexLen + tag + c->mki_len_;
        uint8_t* d = pk.data;
        if (MSF_UNLIKELY(pk.len < kRtcpHeader + trailer || (d[0] >> 6) != 2)) {
            st[i] = Status::malformed;
            continue;
        }
        // AES-CM: body || E,index || MKI || tag.  AEAD: body+tag || E,index || MKI.
        const bool cm = info.cipher == Cipher::aes_cm;
        const uint32_t index_at = cm ? pk.len - tag - c->mki_len_ - kSrtcpIndexLen
                                     : pk.len - c->mki_len_ - kSrtcpIndexLen;
        const uint32_t mki_at = index_at + kSrtcpIndexLen;
        if (MSF_UNLIKELY(c->mki_len_ && std::memcmp(d + mki_at, c->mki_, c->mki_len_) != 0)) {
            st[i] = Status::mki_mismatch;
            continue;
        }
        const uint32_t ssrc = load_be32(d + 4);
        Context::Stream& s = c->rtcp_;
        if (MSF_UNLIKELY(s.bound && s.ssrc != ssrc)) { st[i] = Status::ssrc_mismatch; continue; }
        const uint32_t e_index = load_be32(d + index_at);
        const uint32_t index = e_index & kMaxRtcpIndex;
        if (MSF_UNLIKELY(s.packets >= s.lifetime)) { st[i] = Status::key_expired; continue; }
        if (MSF_UNLIKELY(!s.window.fresh(index))) { st[i] = Status::replay; continue; }
        st[i] = Status::ok;
        encrypted[i] = (e_index & kEBit) != 0;
        sc.index[i] = index;
        sc.ssrc[i] = ssrc;

        const Context::Keys& keys = c->rtcp_keys_;
        if (cm) {
            sc.auth_end[i] = index_at;
            copy_small(sc.received_tag[i], d + pk.len - tag, tag);
            fill_hash_job(sc.hash_jobs[nhash], keys.cm.hmac_ipad, keys.cm.hmac_opad, d,
                          index_at + kSrtcpIndexLen, sc.computed_tag[i]);
            sc.hash_pkt[nhash++] = static_cast<uint8_t>(i);
        } else {
            const uint32_t tag_at = index_at - tag;
            sc.auth_end[i] = tag_at;
            gcm_rtcp_iv(sc.iv[i], s.salt, ssrc, index);
            copy_small(sc.received_tag[i], d + tag_at, tag);
            if (encrypted[i]) {
                std::memcpy(sc.aad[i], d, kRtcpHeader);
                store_be32(sc.aad[i] + kRtcpHeader, e_index);
            } else {
                // RFC 7714 §9.2, E = 0: the whole packet up to the tag, then E,index, is AAD.
                // Moving E,index over the saved tag makes that AAD contiguous.
                store_be32(d + tag_at, e_index);
            }
        }
    }

    MSF_RUN_HASH_BURST(sc, nhash, st, Status::auth_failed)
    for (uint32_t j = 0; j < nhash; ++j) {
        const uint32_t i = sc.hash_pkt[j];
        if (st[i] != Status::ok) continue;
        Packet& pk = p[i];
        const Context* c = pk.ctx;
        const SuiteInfo& info = c->info();
        if (!tags_equal(sc.computed_tag[i], sc.received_tag[i], info.rtcp_tag_len)) {
            st[i] = Status::auth_failed;
            continue;
        }
        if (encrypted[i] && sc.auth_end[i] > kRtcpHeader) {
            cm_iv(sc.iv[i], c->rtcp_.salt, pk.data + 4, sc.index[i]);
            queue_cipher_job(sc, ncipher, info, i, c->rtcp_keys_.cm.aes_enc, pk.data, kRtcpHeader,
                             sc.auth_end[i] - kRtcpHeader);
        }
    }
    MSF_RUN_CIPHER_BURSTS(sc, ncipher, st, Status::auth_failed)
    for (uint32_t i = 0; i < n; ++i) {
        if (st[i] != Status::ok) continue;
        Packet& pk = p[i];
        Context* c = pk.ctx;
        if (c->info().cipher != Cipher::aes_gcm) continue;
        uint8_t* d = pk.data;
        const uint32_t end = sc.auth_end[i];
        const bool k128 = c->info().key_len == 16;
        const gcm_key_data* key = &c->rtcp_keys_.gcm;
        if (encrypted[i]) {
            const uint32_t body = end - kRtcpHeader;
            if (k128)
                IMB_AES128_GCM_DEC(mgr_, key, &sc.gcm_ctx, d + kRtcpHeader, d + kRtcpHeader, body,
                                   sc.iv[i], sc.aad[i], 12, sc.computed_tag[i], kGcmTag);
            else
                IMB_AES256_GCM_DEC(mgr_, key, &sc.gcm_ctx, d + kRtcpHeader, d + kRtcpHeader, body,
                                   sc.iv[i], sc.aad[i], 12, sc.computed_tag[i], kGcmTag);
        } else {
            if (k128)
                IMB_AES128_GCM_DEC(mgr_, key, &sc.gcm_ctx, d + end, d + end, 0, sc.iv[i], d,
                                   end + kSrtcpIndexLen, sc.computed_tag[i], kGcmTag);
            else
                IMB_AES256_GCM_DEC(mgr_, key, &sc.gcm_ctx, d + end, d + end, 0, sc.iv[i], d,
                                   end + kSrtcpIndexLen, sc.computed_tag[i], kGcmTag);
        }
        if (!tags_equal(sc.computed_tag[i], sc.received_tag[i], kGcmTag)) st[i] = Status::auth_failed;
    }

    for (uint32_t i = 0; i < n; ++i) {
        if (st[i] != Status::ok) continue;
        Packet& pk = p[i];
        Context::Stream& s = pk.ctx->rtcp_;
        if (MSF_UNLIKELY(!s.window.fresh(sc.index[i]))) { st[i] = Status::replay; continue; }
        // Earlier packets of this burst may have used up the key since phase 1 looked: a burst
        // accepts no more packets than the lifetime allows, as single packets would.
        if (MSF_UNLIKELY(s.packets >= s.lifetime)) { st[i] = Status::key_expired; continue; }
        s.window.commit(sc.index[i]);
        s.bind(sc.ssrc[i]);
        ++s.packets;
        pk.len = sc.auth_end[i];
    }
}

}  // namespace msf::srtp
