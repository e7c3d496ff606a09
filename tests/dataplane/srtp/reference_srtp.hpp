// A slow, obviously-written SRTP/SRTCP protect over OpenSSL, straight from the RFC text:
// the oracle the engine's output is compared with for inputs no published vector covers.
// It is itself checked against RFC 3711 B.2, RFC 6188 §7.1, RFC 7714 §16/§17 and libsrtp2.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>

#include "dataplane/srtp/kdf.hpp"
#include "dataplane/srtp/suite.hpp"
#include "tests/dataplane/srtp/test_packets.hpp"

namespace msf::srtp::unit {

// RFC 3550 §5.1: fixed header, CSRC list, header extension.
inline size_t rtp_header_len(std::span<const uint8_t> rtp) {
    size_t len = 12 + 4 * size_t{rtp[0] & 0x0fu};
    if (rtp[0] & 0x10) len += 4 + 4 * (size_t{rtp[len + 2]} << 8 | rtp[len + 3]);
    return len;
}

inline uint32_t load32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).
inline std::array<uint8_t, 16> aes_cm_iv(const uint8_t* salt14, uint32_t ssrc, uint64_t index) {
    std::array<uint8_t, 16> iv{};
    for (int i = 0; i < 14; ++i) iv[i] = salt14[i];
    for (int i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
    return iv;
}

// RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt.
inline std::array<uint8_t, 12> gcm_rtp_iv(const uint8_t* salt12, uint32_t ssrc, uint64_t index) {
    std::array<uint8_t, 12> iv{};
    for (int i = 0; i < 4; ++i) iv[2 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i) iv[6 + i] = static_cast<uint8_t>(index >> (40 - 8 * i));
    for (int i = 0; i < 12; ++i) iv[i] ^= salt12[i];
    return iv;
}

// RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt.
inline std::array<uint8_t, 12> gcm_rtcp_iv(const uint8_t* salt12, uint32_t ssrc, uint32_t index) {
    std::array<uint8_t, 12> iv{};
    for (int i = 0; i < 4; ++i) iv[2 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i) iv[8 + i] = static_cast<uint8_t>((index & 0x7fffffffu) >> (24 - 8 * i));
    for (int i = 0; i < 12; ++i) iv[i] ^= salt12[i];
    return iv;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

inline Bytes aes_ctr(std::span<const uint8_t> key, const std::array<uint8_t, 16>& iv,
                     std::span<const uint8_t> in) {
    CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    const EVP_CIPHER* c = key.size() == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
    Bytes out(in.size() + 16);
    int n = 0;
    if (EVP_EncryptInit_ex(ctx.get(), c, nullptr, key.data(), iv.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out.data(), &n, in.data(), static_cast<int>(in.size())) != 1)
        throw std::runtime_error("OpenSSL AES-CTR failed");
    out.resize(static_cast<size_t>(n));
    return out;
}

// AES-GCM with a 16-octet tag: ciphertext || tag.
inline Bytes aes_gcm(std::span<const uint8_t> key, const std::array<uint8_t, 12>& iv,
                     std::span<const uint8_t> aad, std::span<const uint8_t> in) {
    CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    const EVP_CIPHER* c = key.size() == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    Bytes out(in.size() + 16);
    int n = 0;
    bool ok = EVP_EncryptInit_ex(ctx.get(), c, nullptr, key.data(), iv.data()) == 1 &&
              EVP_EncryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1;
    if (ok && !in.empty())
        ok = EVP_EncryptUpdate(ctx.get(), out.data(), &n, in.data(), static_cast<int>(in.size())) == 1;
    ok = ok && EVP_EncryptFinal_ex(ctx.get(), out.data() + in.size(), &n) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data() + in.size()) == 1;
    if (!ok) throw std::runtime_error("OpenSSL AES-GCM failed");
    return out;
}

inline Bytes hmac_sha1(std::span<const uint8_t> key, std::span<const uint8_t> data) {
    Bytes out(20);
    unsigned n = 0;
    if (!HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
              out.data(), &n))
        throw std::runtime_error("OpenSSL HMAC failed");
    return out;
}

inline void append(Bytes& to, std::span<const uint8_t> from) { to.insert(to.end(), from.begin(), from.end()); }

// SRTP (RFC 3711 §3.1, RFC 7714 §8) of one RTP packet with the given 48-bit index. MKI placement
// as libsrtp2 does it: before the tag for AES-CM (RFC 3711 Figure 1), after the AEAD output
// (which ends in the tag) for AES-GCM.
inline Bytes reference_protect_rtp(Suite suite, const SessionKeys& keys, std::span<const uint8_t> rtp,
                                   uint64_t index, std::span<const uint8_t> mki = {}) {
    const SuiteInfo& info = suite_info(suite);
    const size_t hlen = rtp_header_len(rtp);
    const uint32_t ssrc = load32(&rtp[8]);
    const std::span<const uint8_t> key(keys.enc_key, info.key_len);
    Bytes out(rtp.begin(), rtp.begin() + static_cast<long>(hlen));
    if (info.cipher == Cipher::aes_cm) {
        append(out, aes_ctr(key, aes_cm_iv(keys.salt, ssrc, index), rtp.subspan(hlen)));
        Bytes authed = out;
        put32(authed, static_cast<uint32_t>(index >> 16));  // RFC 3711 §4.2: M = packet || ROC
        const Bytes tag = hmac_sha1({keys.auth_key, kAuthKeyLen}, authed);
        append(out, mki);
        out.insert(out.end(), tag.begin(), tag.begin() + info.rtp_tag_len);
    } else {
        append(out, aes_gcm(key, gcm_rtp_iv(keys.salt, ssrc, index), rtp.first(hlen), rtp.subspan(hlen)));
        append(out, mki);
    }
    return out;
}

// SRTCP (RFC 3711 §3.4, RFC 7714 §9) with SRTCP index `index`; encrypt=false is the E=0 form.
inline Bytes reference_protect_rtcp(Suite suite, const SessionKeys& keys, std::span<const uint8_t> rtcp,
                                    uint32_t index, bool encrypt = true,
                                    std::span<const uint8_t> mki = {}) {
    const SuiteInfo& info = suite_info(suite);
    const uint32_t ssrc = load32(&rtcp[4]);
    const uint32_t e_index = (encrypt ? 0x80000000u : 0) | index;
    const std::span<const uint8_t> key(keys.enc_key, info.key_len);
    Bytes out(rtcp.begin(), rtcp.begin() + 8);
    if (info.cipher == Cipher::aes_cm) {
        if (encrypt)
            append(out, aes_ctr(key, aes_cm_iv(keys.salt, ssrc, index), rtcp.subspan(8)));
        else
            append(out, rtcp.subspan(8));
        put32(out, e_index);
        const Bytes tag = hmac_sha1({keys.auth_key, kAuthKeyLen}, out);
        append(out, mki);
        out.insert(out.end(), tag.begin(), tag.begin() + info.rtcp_tag_len);
    } else {
        Bytes e_word;
        put32(e_word, e_index);
        if (encrypt) {
            Bytes aad(rtcp.begin(), rtcp.begin() + 8);
            append(aad, e_word);
            append(out, aes_gcm(key, gcm_rtcp_iv(keys.salt, ssrc, index), aad, rtcp.subspan(8)));
        } else {
            Bytes aad(rtcp.begin(), rtcp.end());
            append(aad, e_word);
            out.assign(rtcp.begin(), rtcp.end());
            append(out, aes_gcm(key, gcm_rtcp_iv(keys.salt, ssrc, index), aad, {}));
        }
        append(out, e_word);
        append(out, mki);
    }
    return out;
}

inline SessionKeys session_keys(const Policy& policy, bool rtcp) {
    SessionKeys keys;
    if (!derive_session_keys(policy.suite, policy.master_key, policy.master_salt, rtcp, keys))
        throw std::runtime_error("derive_session_keys failed");
    return keys;
}

}  // namespace msf::srtp::unit
