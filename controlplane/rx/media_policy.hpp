// What the operator allows for media (seed requirements 4 and 5), as the Rx layer applies it to
// each AAR. Filled from msf-controld's [media] and [policy] configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/srtp/suite.hpp"

namespace msf::rx {

enum class RtcpMuxPolicy : uint8_t { from_request, always, never };

// MSRP components (Media-Type MESSAGE, RFC 4975) go to msf-msrpd when it is configured: the
// gateway's MSRP URIs are built on these authorities ("192.0.2.10:2855", "[2001:db8::10]:2855").
struct MsrpPolicy {
    bool enabled = false;               // no msf-msrpd: MSRP components are not relayed
    std::string access_authority;       // msf-msrpd's TLS listener, as the UE reaches it
    std::string core_authority;         // msf-msrpd's core-side address, as the core sees it
};

struct MediaPolicy {
    std::vector<srtp::Suite> suites;  // allowed; a request naming another suite is refused
    srtp::Suite default_suite = srtp::Suite::aes_cm_128_hmac_sha1_80;  // for generated keys
    bool require_protection = true;   // a media component without a UE key is refused
    std::vector<std::string> require_protection_realms;  // ... also in these Origin-Realms
    bool generate_to_ue_key = true;   // no network->UE key in the AAR: the MSF makes one
    uint32_t replay_window = 128;
    uint32_t inactivity_timeout_ms = 0;
    RtcpMuxPolicy rtcp_mux = RtcpMuxPolicy::from_request;
    uint32_t max_sessions_per_peer = 0;  // 0: no limit
    MsrpPolicy msrp;

    bool allows(srtp::Suite suite) const;
    bool protection_required(const std::string& origin_realm) const;
};

}  // namespace msf::rx
