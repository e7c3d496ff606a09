#include "bench/gen/srtp_stream.hpp"

#include <srtp2/srtp.h>

#include <vector>

namespace msf::gen {

static_assert(SrtpStream::kMaxTrailer >= SRTP_MAX_TRAILER_LEN);

struct SrtpStream::Session {
    srtp_t srtp = nullptr;
};

namespace {

bool set_policies(srtp::Suite suite, srtp_crypto_policy_t& rtp, srtp_crypto_policy_t& rtcp) {
    // RFC 4568 §6.2.1, RFC 6188: the _32 suites shorten only the SRTP tag.
    switch (suite) {
        case srtp::Suite::aes_cm_128_hmac_sha1_80:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtcp);
            return true;
        case srtp::Suite::aes_cm_128_hmac_sha1_32:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtcp);
            return true;
        case srtp::Suite::aes_256_cm_hmac_sha1_80:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtp);
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtcp);
            return true;
        case srtp::Suite::aes_256_cm_hmac_sha1_32:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&rtp);
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtcp);
            return true;
        case srtp::Suite::aead_aes_128_gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtp);
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtcp);
            return true;
        case srtp::Suite::aead_aes_256_gcm:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtp);
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtcp);
            return true;
    }
    return false;
}

}  // namespace

std::unique_ptr<SrtpStream> SrtpStream::create(const keying::MediaKeys& keys, Role role, uint32_t ssrc,
                                               std::string* error) {
    static const srtp_err_status_t init = srtp_init();
    if (init != srtp_err_status_ok) {
        *error = "libsrtp2: srtp_init failed";
        return nullptr;
    }
    srtp_policy_t policy{};
    if (!set_policies(keys.suite, policy.rtp, policy.rtcp)) {
        *error = "libsrtp2: no policy for the suite";
        return nullptr;
    }
    // libsrtp reads the key and salt concatenated; it copies them into its session.
    std::vector<uint8_t> key_and_salt = keys.master_key;
    key_and_salt.insert(key_and_salt.end(), keys.master_salt.begin(), keys.master_salt.end());
    policy.key = key_and_salt.data();
    // A specific SSRC: its stream exists from the start, so its ROC can be set.
    policy.ssrc.type = ssrc_specific;
    policy.ssrc.value = ssrc;
    // The receiver checks a sample (every Nth packet): indexes jump, so a wide window.
    policy.window_size = 16384;  // libsrtp2 takes 64..32767
    policy.allow_repeat_tx = role == Role::sender ? 1 : 0;
    auto stream = std::unique_ptr<SrtpStream>(new SrtpStream());
    stream->session_ = new Session;
    stream->ssrc_ = ssrc;
    const srtp_err_status_t status = srtp_create(&stream->session_->srtp, &policy);
    keying::wipe(key_and_salt);
    if (status != srtp_err_status_ok) {
        *error = "libsrtp2: srtp_create failed (" + std::to_string(static_cast<int>(status)) + ")";
        return nullptr;
    }
    return stream;
}

SrtpStream::~SrtpStream() {
    if (session_ != nullptr && session_->srtp != nullptr) srtp_dealloc(session_->srtp);
    delete session_;
}

bool SrtpStream::protect(uint8_t* packet, size_t* len) {
    int n = static_cast<int>(*len);
    if (srtp_protect(session_->srtp, packet, &n) != srtp_err_status_ok) return false;
    *len = static_cast<size_t>(n);
    return true;
}

bool SrtpStream::set_roc(uint32_t roc) {
    return srtp_set_stream_roc(session_->srtp, ssrc_, roc) == srtp_err_status_ok;
}

bool SrtpStream::unprotect(uint8_t* packet, size_t* len) {
    int n = static_cast<int>(*len);
    if (srtp_unprotect(session_->srtp, packet, &n) != srtp_err_status_ok) return false;
    *len = static_cast<size_t>(n);
    return true;
}

}  // namespace msf::gen
