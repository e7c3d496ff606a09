// libsrtp2 as a test oracle for the SRTP engine, and the random RTP/RTCP packets fed to both.
// libsrtp2 2.5 (Debian) is correct but slow; tests use it to check bytes, never as a data path.
#pragma once

#include <srtp2/srtp.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/srtp/suite.hpp"

namespace msf::srtp::test::interop {

using Bytes = std::vector<uint8_t>;

inline std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const uint8_t b : bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

// Reproducible everywhere: mt19937_64 is fully specified and the helpers avoid the
// implementation-defined std distributions, so a printed seed replays the same packets.
class TestRng {
public:
    explicit TestRng(uint64_t seed) : gen_(seed) {}

    uint64_t next() { return gen_(); }
    // Uniform in [lo, hi] (the modulo bias is irrelevant for tests).
    uint64_t range(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }
    bool percent(unsigned p) { return next() % 100 < p; }
    uint8_t bit() { return static_cast<uint8_t>(1u << range(0, 7)); }
    void fill(std::span<uint8_t> out) {
        for (uint8_t& b : out) b = static_cast<uint8_t>(next());
    }
    Bytes bytes(size_t n) {
        Bytes b(n);
        fill(b);
        return b;
    }
    template <typename T>
    void shuffle(std::span<T> v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[range(0, i - 1)]);
    }

private:
    std::mt19937_64 gen_;
};

inline void put16(Bytes& b, size_t at, uint32_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}

inline void put32(Bytes& b, size_t at, uint32_t v) {
    put16(b, at, v >> 16);
    put16(b, at + 2, v & 0xffff);
}

inline uint32_t get16(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint32_t>(b[at] << 8 | b[at + 1]);
}

inline uint32_t get32(std::span<const uint8_t> b, size_t at) {
    return get16(b, at) << 16 | get16(b, at + 2);
}

struct RtpPacket {
    Bytes bytes;
    size_t header_len = 0;  // fixed header, CSRC list and header extension
};

// A valid RTP packet (RFC 3550 §5.1, §5.3.1) of 12 to max_size bytes: random CSRC count,
// header extension (RFC 8285 one-byte profile or any other), marker, payload type and
// padding with a valid pad count in the last octet (RFC 3550 §5.1, P bit).
inline RtpPacket random_rtp(TestRng& rng, uint32_t ssrc, uint16_t seq, uint32_t timestamp,
                            size_t max_size = 1400) {
    const size_t cc = rng.percent(60) ? 0 : rng.range(1, 15);
    const bool extension = rng.percent(30);
    const size_t ext_words = extension ? rng.range(0, 10) : 0;
    const bool padding = rng.percent(20);
    const size_t header_len = 12 + 4 * cc + (extension ? 4 + 4 * ext_words : 0);
    const size_t min_size = header_len + (padding ? 1 : 0);
    size_t size = min_size;
    const uint64_t shape = rng.range(0, 9);
    if (shape >= 1 && shape <= 4) size = rng.range(min_size, std::min(max_size, min_size + 200));
    if (shape >= 5) size = rng.range(min_size, max_size);

    RtpPacket p;
    p.header_len = header_len;
    Bytes& b = p.bytes;
    b.resize(size);
    rng.fill(b);
    b[0] = static_cast<uint8_t>(0x80 | (padding ? 0x20 : 0) | (extension ? 0x10 : 0) | cc);
    uint8_t pt = static_cast<uint8_t>(rng.range(0, 127));
    if (pt >= 72 && pt <= 76) pt = 96;  // keep clear of RTCP's range (RFC 5761 §4)
    b[1] = static_cast<uint8_t>((rng.percent(10) ? 0x80 : 0) | pt);
    put16(b, 2, seq);
    put32(b, 4, timestamp);
    put32(b, 8, ssrc);
    if (extension) {
        const size_t at = 12 + 4 * cc;
        put16(b, at, rng.percent(50) ? 0xbede : static_cast<uint32_t>(rng.range(0, 0xffff)));
        put16(b, at + 2, static_cast<uint32_t>(ext_words));
    }
    if (padding) {
        const size_t pad = rng.range(1, std::min<size_t>(255, size - header_len));
        std::fill(b.end() - static_cast<ptrdiff_t>(pad), b.end() - 1, uint8_t{0});
        b[size - 1] = static_cast<uint8_t>(pad);
    }
    return p;
}

// A valid compound RTCP packet (RFC 3550 §6.1): SR or RR first, then optional SDES, BYE and
// APP packets; 8 to about max_size bytes, a multiple of 4. `ssrc` is the first packet's SSRC.
inline Bytes random_rtcp(TestRng& rng, uint32_t ssrc, size_t max_size = 1400) {
    Bytes out;
    const auto append = [&out](uint8_t count, uint8_t pt, const Bytes& body) {
        const size_t at = out.size();
        out.resize(at + 4);
        out[at] = static_cast<uint8_t>(0x80 | count);
        out[at + 1] = pt;
        put16(out, at + 2, static_cast<uint32_t>(body.size() / 4));  // RFC 3550 §6.4.1 length
        out.insert(out.end(), body.begin(), body.end());
    };
    const auto with_ssrc = [ssrc](Bytes body) {
        put32(body, 0, ssrc);
        return body;
    };

    if (rng.percent(5)) {  // the smallest RTCP packet: an empty receiver report
        append(0, 201, with_ssrc(Bytes(4)));
        return out;
    }
    const bool sr = rng.percent(50);
    const uint8_t rc = static_cast<uint8_t>(rng.range(0, 3));
    append(rc, sr ? 200 : 201, with_ssrc(rng.bytes(4 + (sr ? 20 : 0) + 24 * size_t{rc})));
    if (rng.percent(60)) {  // SDES with one CNAME chunk, null-terminated and padded (§6.5)
        const size_t cname = rng.range(1, 40);
        const size_t items = 2 + cname + 1;
        Bytes body = with_ssrc(Bytes(4 + (items + 3) / 4 * 4));
        body[4] = 1;
        body[5] = static_cast<uint8_t>(cname);
        for (size_t i = 0; i < cname; ++i) body[6 + i] = static_cast<uint8_t>('a' + rng.range(0, 25));
        append(1, 202, body);
    }
    if (rng.percent(20)) append(1, 203, with_ssrc(Bytes(4)));
    if (rng.percent(25) && out.size() + 12 <= max_size) {
        const size_t words = rng.range(0, std::min<size_t>(80, (max_size - out.size() - 12) / 4));
        append(static_cast<uint8_t>(rng.range(0, 31)), 204, with_ssrc(rng.bytes(8 + 4 * words)));
    }
    return out;
}

inline void init_libsrtp() {
    static const srtp_err_status_t status = srtp_init();
    if (status != srtp_err_status_ok)
        throw std::runtime_error("srtp_init failed: " + std::to_string(static_cast<int>(status)));
}

inline std::string libsrtp_status_name(srtp_err_status_t s) {
    switch (s) {
        case srtp_err_status_ok: return "ok";
        case srtp_err_status_bad_param: return "bad_param";
        case srtp_err_status_auth_fail: return "auth_fail";
        case srtp_err_status_replay_fail: return "replay_fail";
        case srtp_err_status_replay_old: return "replay_old";
        case srtp_err_status_bad_mki: return "bad_mki";
        case srtp_err_status_cant_check: return "cant_check";
        default: return "srtp_err_status " + std::to_string(static_cast<int>(s));
    }
}

// libsrtp's crypto policies for a suite. RFC 4568 §6.2.1 and RFC 6188: the _32 suites shorten
// only the SRTP tag, so their SRTCP policy is the _80 one.
inline void libsrtp_policies(Suite suite, srtp_crypto_policy_t& rtp, srtp_crypto_policy_t& rtcp) {
    switch (suite) {
        case Suite::aes_cm_128_hmac_sha1_80:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtcp);
            return;
        case Suite::aes_cm_128_hmac_sha1_32:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtcp);
            return;
        case Suite::aes_256_cm_hmac_sha1_80:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtp);
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtcp);
            return;
        case Suite::aes_256_cm_hmac_sha1_32:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&rtp);
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtcp);
            return;
        case Suite::aead_aes_128_gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtp);
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtcp);
            return;
        case Suite::aead_aes_256_gcm:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtp);
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtcp);
            return;
    }
    throw std::invalid_argument("no libsrtp policy for this suite");
}

// libsrtp 2.5 looks for the MKI of an SRTCP packet in front of a tag of the *SRTP* tag length,
// so with an MKI it cannot unprotect SRTCP of the _32 suites, not even its own (DESIGN.md).
// Its SRTCP protect uses the right tag length and stays a valid oracle there.
inline bool libsrtp_unprotects_srtcp(Suite suite, size_t mki_len) {
    const SuiteInfo& info = suite_info(suite);
    return mki_len == 0 || info.rtp_tag_len == info.rtcp_tag_len;
}

// One libsrtp session holding one master key (with its MKI when `mki` is not empty), for
// one direction: a sender takes any outbound SSRC, a receiver any inbound SSRC.
class LibsrtpSession {
public:
    enum class Role { sender, receiver };

    LibsrtpSession(Suite suite, std::span<const uint8_t> master_key,
                   std::span<const uint8_t> master_salt, std::span<const uint8_t> mki, Role role)
        : key_and_salt_(master_key.begin(), master_key.end()), mki_(mki.begin(), mki.end()) {
        init_libsrtp();
        key_and_salt_.insert(key_and_salt_.end(), master_salt.begin(), master_salt.end());
        srtp_policy_t policy{};
        libsrtp_policies(suite, policy.rtp, policy.rtcp);
        policy.ssrc.type = role == Role::sender ? ssrc_any_outbound : ssrc_any_inbound;
        policy.window_size = 128;
        if (mki_.empty()) {
            policy.key = key_and_salt_.data();
        } else {
            master_key_.key = key_and_salt_.data();
            master_key_.mki_id = mki_.data();
            master_key_.mki_size = static_cast<unsigned>(mki_.size());
            keys_[0] = &master_key_;
            policy.keys = keys_;
            policy.num_master_keys = 1;
        }
        const srtp_err_status_t status = srtp_create(&session_, &policy);
        if (status != srtp_err_status_ok)
            throw std::runtime_error("srtp_create failed: " + libsrtp_status_name(status));
    }
    ~LibsrtpSession() {
        if (session_ != nullptr) srtp_dealloc(session_);
    }
    LibsrtpSession(const LibsrtpSession&) = delete;
    LibsrtpSession& operator=(const LibsrtpSession&) = delete;

    // Each transforms `packet` in place on success and leaves it alone otherwise.
    srtp_err_status_t protect_rtp(Bytes& packet) {
        return run(packet, [this](void* data, int* len) {
            return srtp_protect_mki(session_, data, len, use_mki(), 0);
        });
    }
    srtp_err_status_t unprotect_rtp(Bytes& packet) {
        return run(packet, [this](void* data, int* len) {
            return srtp_unprotect_mki(session_, data, len, use_mki());
        });
    }
    srtp_err_status_t protect_rtcp(Bytes& packet) {
        return run(packet, [this](void* data, int* len) {
            return srtp_protect_rtcp_mki(session_, data, len, use_mki(), 0);
        });
    }
    srtp_err_status_t unprotect_rtcp(Bytes& packet) {
        return run(packet, [this](void* data, int* len) {
            return srtp_unprotect_rtcp_mki(session_, data, len, use_mki());
        });
    }

private:
    unsigned use_mki() const { return mki_.empty() ? 0u : 1u; }

    template <typename Transform>
    srtp_err_status_t run(Bytes& packet, Transform transform) {
        // libsrtp may write SRTP_MAX_TRAILER_LEN bytes past the packet and wants it 32-bit
        // aligned, which a fresh vector's storage is.
        Bytes buffer(packet.size() + SRTP_MAX_TRAILER_LEN);
        std::copy(packet.begin(), packet.end(), buffer.begin());
        int len = static_cast<int>(packet.size());
        const srtp_err_status_t status = transform(static_cast<void*>(buffer.data()), &len);
        if (status == srtp_err_status_ok) {
            buffer.resize(static_cast<size_t>(len));
            packet = std::move(buffer);
        }
        return status;
    }

    srtp_t session_ = nullptr;
    Bytes key_and_salt_;
    Bytes mki_;
    srtp_master_key_t master_key_{};
    srtp_master_key_t* keys_[1] = {};
};

}  // namespace msf::srtp::test::interop
