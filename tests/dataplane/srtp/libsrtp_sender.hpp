// libsrtp2 as an outside sender for the unit and vector tests: it protects packets from a
// master key with its own KDF, so this project's KDF and engine can be compared with it byte
// for byte. Only protect is used (see DESIGN.md for the libsrtp2 quirks that avoids).
#pragma once

#include <srtp2/srtp.h>

#include <cstring>
#include <stdexcept>

#include "dataplane/srtp/context.hpp"
#include "tests/dataplane/srtp/test_packets.hpp"

namespace msf::srtp::unit {

class LibsrtpSender {
public:
    explicit LibsrtpSender(const Policy& policy) {
        static const bool initialised = srtp_init() == srtp_err_status_ok;
        if (!initialised) throw std::runtime_error("srtp_init failed");

        srtp_policy_t p;
        std::memset(&p, 0, sizeof(p));
        switch (policy.suite) {
            case Suite::aes_cm_128_hmac_sha1_80:
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
                break;
            case Suite::aes_cm_128_hmac_sha1_32:
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);  // RFC 4568 §6.2.1
                break;
            case Suite::aes_256_cm_hmac_sha1_80:
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
                break;
            case Suite::aes_256_cm_hmac_sha1_32:
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);  // RFC 6188 §3
                break;
            case Suite::aead_aes_128_gcm:
                srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
                srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
                break;
            case Suite::aead_aes_256_gcm:
                srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
                srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
                break;
        }
        key_ = policy.master_key;
        key_.insert(key_.end(), policy.master_salt.begin(), policy.master_salt.end());
        key_.resize(key_.size() + 16, 0);  // spare readable bytes past key||salt
        mki_ = policy.mki;
        p.ssrc.type = ssrc_any_outbound;
        p.window_size = 128;
        if (mki_.empty()) {
            p.key = key_.data();
        } else {
            master_.key = key_.data();
            master_.mki_id = mki_.data();
            master_.mki_size = static_cast<unsigned>(mki_.size());
            keys_[0] = &master_;
            p.keys = keys_;
            p.num_master_keys = 1;
        }
        if (srtp_create(&session_, &p) != srtp_err_status_ok)
            throw std::runtime_error("srtp_create failed");
    }
    ~LibsrtpSender() { srtp_dealloc(session_); }
    LibsrtpSender(const LibsrtpSender&) = delete;
    LibsrtpSender& operator=(const LibsrtpSender&) = delete;

    Bytes protect_rtp(const Bytes& rtp) {
        Bytes buf(rtp.size() + SRTP_MAX_TRAILER_LEN);
        std::memcpy(buf.data(), rtp.data(), rtp.size());
        int len = static_cast<int>(rtp.size());
        if (srtp_protect_mki(session_, buf.data(), &len, mki_.empty() ? 0 : 1, 0) != srtp_err_status_ok)
            throw std::runtime_error("libsrtp srtp_protect_mki failed");
        buf.resize(static_cast<size_t>(len));
        return buf;
    }

    Bytes protect_rtcp(const Bytes& rtcp) {
        Bytes buf(rtcp.size() + SRTP_MAX_TRAILER_LEN + 4);  // + E flag and SRTCP index
        std::memcpy(buf.data(), rtcp.data(), rtcp.size());
        int len = static_cast<int>(rtcp.size());
        if (srtp_protect_rtcp_mki(session_, buf.data(), &len, mki_.empty() ? 0 : 1, 0) !=
            srtp_err_status_ok)
            throw std::runtime_error("libsrtp srtp_protect_rtcp_mki failed");
        buf.resize(static_cast<size_t>(len));
        return buf;
    }

private:
    srtp_t session_ = nullptr;
    Bytes key_;
    Bytes mki_;
    srtp_master_key_t master_{};
    srtp_master_key_t* keys_[1] = {};
};

}  // namespace msf::srtp::unit
