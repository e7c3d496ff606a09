// Registration with the e2ae capability (seed requirements 1, 4 and 5): the UE announces that it
// can derive e2ae media keys from its SA, the network decides (operator policy) and acknowledges.
//
// How the capability is carried is THIS PROJECT'S OWN, not a 3GPP or IETF definition: a
// Security-Client mechanism (RFC 3329 §2.2 syntax: mechanism-name = token, then ";" parameters)
// named "msf-e2ae", with a "keysrc" parameter naming the SA the UE derives from:
//
//   REGISTER:  Security-Client: msf-e2ae;keysrc=aka          (aka | tls | digest)
//   200 OK:    Security-Server: msf-e2ae;keysrc=aka          (only when acknowledged)
//
// A UE that finds no msf-e2ae mechanism in the 200 OK must not offer e2ae (a=3ge2ae:requested)
// in its calls. Other Security-Client mechanisms (ipsec-3gpp, tls) may sit in the same header
// field or in other fields and are left alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/keying/expected.hpp"
#include "controlplane/pcscf/sip_message.hpp"
#include "controlplane/pcscf/ue_security.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::pcscf {

inline constexpr std::string_view kE2aeMechanism = "msf-e2ae";
inline constexpr std::string_view kE2aeKeySourceParameter = "keysrc";

// "msf-e2ae;keysrc=aka"
std::string format_e2ae_mechanism(SaKind key_source);

// The msf-e2ae mechanism of every `header_name` field ("Security-Client" or "Security-Server"),
// each a comma-separated list of mechanisms. nullopt when none is msf-e2ae; an error when one is
// there but its keysrc is missing or unknown, or it appears twice.
keying::Expected<std::optional<SaKind>> read_e2ae_mechanism(const SipMessage& message, std::string_view header_name);

// A simulated UE's SIP identity.
struct UeIdentity {
    std::string user;         // "ue7"
    std::string domain;       // home domain and digest realm, "ims.example"
    net::Endpoint sip;        // where its SIP messages come from (Via, Contact)
    std::string aor() const { return "sip:" + user + "@" + domain; }
};

// The ids of one SIP transaction the builders need.
struct TransactionIds {
    std::string call_id;
    std::string from_tag;
    std::string branch;  // Via branch, "z9hG4bK" + something unique (RFC 3261 §8.1.1.7)
    uint32_t cseq = 1;
};

// REGISTER (RFC 3261 §10.2) of `ue`, with Security-Client msf-e2ae when `announce_e2ae`.
SipMessage build_register(const UeIdentity& ue, const TransactionIds& ids, SaKind key_source, bool announce_e2ae);

// What the P-CSCF makes of a REGISTER.
struct RegistrationDecision {
    std::string aor;                      // the To URI
    std::optional<SaKind> announced;      // the UE's msf-e2ae keysrc, if it announced one
    bool acknowledged = false;            // announced and allowed by policy
};

// Reads a REGISTER (an error for another method or a bad msf-e2ae mechanism) and applies the
// operator's policy: acknowledge e2ae or not.
keying::Expected<RegistrationDecision> decide_registration(const SipMessage& request, bool policy_acknowledges_e2ae);

// 200 OK to the REGISTER (Via, From, Call-ID, CSeq copied; To with `to_tag`; the Contact with
// expires), with Security-Server msf-e2ae when the decision acknowledged it.
SipMessage build_register_ok(const SipMessage& request, const RegistrationDecision& decision, std::string_view to_tag,
                             uint32_t expires_s = 600000);

// The UE reads the 200 OK: whether e2ae was acknowledged for the key source it announced. An
// error for another status, a Call-ID or CSeq not of its REGISTER, or an acknowledgement of
// another key source.
keying::Expected<bool> read_register_ok(const SipMessage& response, const TransactionIds& ids, SaKind announced);

// The headers every response copies from its request (RFC 3261 §8.2.6.2): Via (all, in order),
// From, Call-ID, CSeq; To gets `to_tag` unless it has one.
SipMessage response_to(const SipMessage& request, uint16_t status_code, std::string_view to_tag);

}  // namespace msf::pcscf
