// The UE of a session played by libsrtp2, for the dataplane's tests: protects with the session's
// from_ue key and unprotects with its to_ue key.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/api/types.hpp"
#include "tests/dataplane/srtp/libsrtp_oracle.hpp"

namespace msf::test {

class LibsrtpUe {
public:
    using Bytes = std::vector<uint8_t>;
    using Session = srtp::test::interop::LibsrtpSession;

    explicit LibsrtpUe(const api::SessionSpec& s)
        : sender_(s.from_ue.suite, s.from_ue.master_key, s.from_ue.master_salt, s.from_ue.mki,
                  Session::Role::sender),
          receiver_(s.to_ue.suite, s.to_ue.master_key, s.to_ue.master_salt, s.to_ue.mki,
                    Session::Role::receiver) {}

    Bytes protect(Bytes rtp) {
        check(sender_.protect_rtp(rtp), "srtp_protect");
        return rtp;
    }
    Bytes protect_rtcp(Bytes rtcp) {
        check(sender_.protect_rtcp(rtcp), "srtp_protect_rtcp");
        return rtcp;
    }
    // nullopt when libsrtp refuses the packet.
    std::optional<Bytes> unprotect(Bytes srtp) {
        return receiver_.unprotect_rtp(srtp) == srtp_err_status_ok ? std::optional(srtp) : std::nullopt;
    }
    std::optional<Bytes> unprotect_rtcp(Bytes srtcp) {
        return receiver_.unprotect_rtcp(srtcp) == srtp_err_status_ok ? std::optional(srtcp) : std::nullopt;
    }

private:
    static void check(srtp_err_status_t st, const char* what) {
        if (st != srtp_err_status_ok)
            throw std::runtime_error(std::string(what) + ": " + srtp::test::interop::libsrtp_status_name(st));
    }
    Session sender_;
    Session receiver_;
};

}  // namespace msf::test
