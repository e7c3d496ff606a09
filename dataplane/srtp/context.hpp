// An SRTP crypto context (RFC 3711 §3.2): the session keys of one master key, already in the
// form ipsec-mb consumes, and the stream state of one SSRC for SRTP and for SRTCP. A context
// is used in one direction (protect or unprotect) by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "dataplane/srtp/ipsec_mb.hpp"
#include "dataplane/srtp/kdf.hpp"
#include "dataplane/srtp/replay.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::srtp {

// RFC 3711 §9.2: at most 2^48 SRTP and 2^31 SRTCP packets under one master key.
inline constexpr uint64_t kMaxRtpLifetime = uint64_t{1} << 48;
inline constexpr uint64_t kMaxRtcpLifetime = uint64_t{1} << 31;

struct Policy {
    Suite suite = Suite::aes_cm_128_hmac_sha1_80;
    std::vector<uint8_t> master_key;   // suite_info(suite).key_len bytes
    std::vector<uint8_t> master_salt;  // suite_info(suite).salt_len bytes
    std::vector<uint8_t> mki;          // empty: no MKI on the wire (RFC 3711 §3.1)
    uint32_t replay_window = ReplayWindow::kDefaultSize;  // power of two, 64..1024
    uint64_t rtp_lifetime = kMaxRtpLifetime;    // packets, RFC 4568 a=crypto lifetime
    uint64_t rtcp_lifetime = kMaxRtcpLifetime;  // packets
};

class Engine;

// PREFETCHT0 of the line holding p. Not __builtin_prefetch: GCC 12 judges a function made of
// nothing else "looping pure" and deletes every call to it, as its result is unused (void), so
// Context::prefetch compiled to nothing. A volatile asm statement is kept.
inline void prefetch_line(const void* p) { asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p))); }

class alignas(64) Context {
public:
    // Derives the session keys (RFC 3711 §4.3) and prepares key schedules and HMAC states.
    // Returns nullptr and sets *error (when given) if the policy is not valid.
    static std::unique_ptr<Context> create(const Policy& policy, std::string* error = nullptr);
    // Same, from session keys given directly (RFC 7714 §16 test vectors do this); the policy's
    // master key and salt are ignored.
    static std::unique_ptr<Context> create_with_session_keys(const Policy& policy,
                                                             const SessionKeys& rtp,
                                                             const SessionKeys& rtcp,
                                                             std::string* error = nullptr);

    ~Context();  // zeroes every key

    // Contexts live in huge-page-backed slabs (HugePageSlab): with many sessions, their keys
    // are read by every packet.
    static void* operator new(std::size_t size, std::align_val_t align);
    static void operator delete(void* p, std::align_val_t align) noexcept;
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    const SuiteInfo& info() const { return suite_info(suite_); }
    std::span<const uint8_t> mki() const { return {mki_, mki_len_}; }

    // Bytes protect needs past the end of an RTP or RTCP packet: MKI, tag, SRTCP index, and
    // the 12-byte HMAC-SHA1 output ipsec-mb writes even when the tag is shorter.
    uint32_t rtp_tailroom() const { return rtp_tailroom_; }
    uint32_t rtcp_tailroom() const { return 4 + mki_len_ + hmac_room(info().rtcp_tag_len); }

    // Starts fetching the cache lines one SRTP (or SRTCP) packet of this context will read,
    // so a burst over many sessions overlaps its memory misses.
    void prefetch(bool rtcp) const {
        const Stream& s = rtcp ? rtcp_ : rtp_;
        const Keys& k = rtcp ? rtcp_keys_ : rtp_keys_;
        prefetch_line(this);
        prefetch_line(&s.window);
        const auto* key_lines = reinterpret_cast<const uint8_t*>(&k);
        for (uint32_t line = 0; line < key_lines_; ++line) prefetch_line(key_lines + 64 * line);
        for (uint32_t line = key_tail_first_; line < key_tail_first_ + key_tail_lines_; ++line)
            prefetch_line(key_lines + 64 * line);
    }

    // Stream state (for counters and tests).
    bool rtp_started() const { return rtp_.window.started(); }
    uint64_t rtp_highest_index() const { return rtp_.window.highest(); }
    uint32_t rtp_roc() const { return static_cast<uint32_t>(rtp_.window.highest() >> 16); }
    uint32_t rtp_ssrc() const { return rtp_.ssrc; }
    bool rtcp_started() const { return rtcp_.window.started(); }
    uint32_t rtcp_highest_index() const { return static_cast<uint32_t>(rtcp_.window.highest()); }
    uint64_t rtp_packets() const { return rtp_.packets; }
    uint64_t rtcp_packets() const { return rtcp_.packets; }

private:
    friend class Engine;
    // The HMAC-SHA1 job writes a 12-byte digest even for 4- and 10-byte tags (ipsec-mb 1.3
    // refuses shorter outputs), so protect needs that much room after the MKI.
    uint32_t hmac_room(uint32_t tag_len) const {
        return info().cipher == Cipher::aes_cm ? (tag_len > 12 ? tag_len : 12) : tag_len;
    }
    Context() = default;
    // Blocks (AAD, payload, lengths) of the largest GCM packet whose hash keys prefetch() fetches:
    // 16 covers a 172-byte G.711 packet with room to spare.
    static constexpr uint32_t kGcmPrefetchBlocks = 16;
    void set_key_lines(const IMB_MGR* mgr);
    bool init(const Policy& policy, const SessionKeys& rtp, const SessionKeys& rtcp,
              std::string* error);

    // Session keys of SRTP or SRTCP in ipsec-mb form. The HMAC states share the first cache
    // line; the AES schedule follows.
    struct CmKeys {
        alignas(16) uint8_t hmac_ipad[32];     // SHA1 state after (key ^ ipad)
        alignas(16) uint8_t hmac_opad[32];     // SHA1 state after (key ^ opad)
        alignas(16) uint8_t aes_enc[16 * 15];  // CTR uses the encryption schedule both ways
    };
    struct alignas(64) Keys {
        union {
            CmKeys cm;
            gcm_key_data gcm;
        };
    };

    // The one SSRC a context serves in each protocol; bound by the first packet that
    // authenticates (unprotect) or is protected. What every packet reads comes first.
    struct Stream {
        uint64_t packets = 0;   // processed under this master key, for the lifetime limit
        uint64_t lifetime = 0;
        uint32_t ssrc = 0;
        bool bound = false;
        uint8_t salt[kMaxSaltLen] = {};  // session salt
        ReplayWindow window;
        // Called for a packet whose SSRC matched (or that is the first): stores only once.
        void bind(uint32_t packet_ssrc) {
            if (bound) return;
            bound = true;
            ssrc = packet_ssrc;
        }
    };

    // Laid out in the order a packet touches it: suite and MKI, then the SRTP stream and keys,
    // then SRTCP's.
    Suite suite_ = Suite::aes_cm_128_hmac_sha1_80;
    // Cache lines of Keys a packet reads, for prefetch(): AES-CM reads the HMAC states and the
    // AES schedule (the first key_lines_); GCM the schedule and the hash-key powers, which on the
    // VAES path sit at the END of gcm_key_data (H^1 last): lines key_tail_first_ onwards.
    uint8_t key_lines_ = 4;
    uint8_t key_tail_first_ = 0;
    uint8_t key_tail_lines_ = 0;
    uint8_t mki_len_ = 0;
    uint8_t mki_[kMaxMkiLen] = {};
    uint8_t rtp_tailroom_ = 0;  // mki_len_ + hmac_room(rtp_tag_len), read by every protect
    uint32_t rtcp_send_index_ = 0;  // last SRTCP index sent; the first packet gets 1
    Stream rtp_;
    Keys rtp_keys_;
    Stream rtcp_;
    Keys rtcp_keys_;
};

}  // namespace msf::srtp
