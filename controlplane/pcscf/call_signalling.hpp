// The SIP messages of one call as msf-pcscf's simulated UEs and core peer send them: INVITE with
// an SDP offer (RFC 3261 §13, RFC 3264), 200 OK with the answer, BYE (§15) and its 200 OK, and
// the SDP texts themselves.
//
// The UE's e2ae offer follows TS 24.229 for a=3ge2ae (keying/sdp.hpp): m=audio over RTP/SAVP with
// a=3ge2ae:requested and no a=crypto line, because the keys are derived from the SA on both
// sides (keying/kdf.hpp). The P-CSCF answers the UE with the network->UE key in a=crypto and
// a=3ge2ae:applied (sdp_rewrite.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/keying/expected.hpp"
#include "controlplane/pcscf/registration.hpp"
#include "controlplane/pcscf/sip_message.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::pcscf {

inline constexpr std::string_view kSdpContentType = "application/sdp";

// One m=audio section (PCMU and PCMA, 20 ms) at `media`, with its own c= line so the m-section
// alone (Rx Codec-Data) names the address. e2ae: RTP/SAVP and a=3ge2ae:requested; otherwise
// plain RTP/AVP.
std::string build_ue_offer_sdp(const UeIdentity& ue, const net::Endpoint& media, uint64_t session_id, bool e2ae);

// The core peer's answer: RTP/AVP at `media`, PCMU.
std::string build_core_answer_sdp(const net::Endpoint& media, uint64_t session_id);

// An MSRP m-section (RFC 4975 §8.1) to append to either SDP: "m=message <port> <proto> *" with
// its c= line, a=accept-types:text/plain and a=path:<uri>. tls: TCP/TLS/MSRP (the UE, over
// TLS-PSK to the MSF), else TCP/MSRP (the core).
std::string msrp_media_section(const net::Endpoint& at, std::string_view path_uri, bool tls);

// INVITE from `ue` to `callee_uri` with the offer.
SipMessage build_invite(const UeIdentity& ue, std::string_view callee_uri, const TransactionIds& ids,
                        std::string sdp_offer);

// 200 OK to an INVITE with the answer and a Contact at `contact`.
SipMessage build_invite_ok(const SipMessage& invite, std::string_view to_tag, const net::Endpoint& contact,
                           std::string sdp_answer);

// BYE within the dialog the INVITE (ids) and its 200 OK (to_tag) set up. ids.cseq must be the
// INVITE's + 1 or more (RFC 3261 §12.2.1.1).
SipMessage build_bye(const UeIdentity& ue, std::string_view callee_uri, const TransactionIds& ids,
                     std::string_view to_tag);

// The SDP a message carries: its body when Content-Type is application/sdp (parameters
// allowed); an error when there is no body or another type.
keying::Expected<std::string_view> sdp_body(const SipMessage& message);

}  // namespace msf::pcscf
