// The Rx side of a call as msf-pcscf speaks it to the MSF (3GPP TS 29.214 §5.6, DESIGN.md "The
// Diameter interface"): the AAR that installs the call's media, reading the AAA, the STR that
// removes it and reading the STA. The contract with msf-controld is rx::plan_aar
// (controlplane/rx/aar.hpp): what build_aar writes is what plan_aar reads.
//
// AAR per media component (Media-Component-Description, TS 29.214 §5.3.7):
//   Media-Component-Number, Media-Type AUDIO, Codec-Data uplink offer + downlink answer (the
//   Kamailio ims_qos layout, sdp_rewrite.hpp), a Media-Sub-Component with the RTP flows both
//   ways (Flow-Number 1) and one with the RTCP flows on port + 1 (Flow-Number 2, Flow-Usage RTCP),
//   Flow-Descriptions as TS 29.214 §5.3.8 IPFilterRules ("permit in 17 from UE to core",
//   "permit out 17 from core to UE"), and the keys:
//   - KeysIn::avp: an MSF-Media-Protection per direction inside the component (MSF-Direction,
//     MSF-Crypto-Suite, MSF-Master-Key, MSF-Master-Salt);
//   - KeysIn::sdes: a=crypto lines in the Codec-Data sections instead.
//   No network->UE key: the MSF generates one and returns it in the AAA.
// At the top: Session-Id, Auth-Application-Id Rx, Origin-Host/Realm, Destination-Realm and -Host,
// Framed-IP-Address (or Framed-IPv6-Prefix /128) = the UE's address, Rx-Request-Type
// INITIAL_REQUEST.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/diameter/message.hpp"
#include "controlplane/keying/expected.hpp"
#include "controlplane/keying/media_keys.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::pcscf {

enum class KeysIn : uint8_t { avp, sdes };

struct MediaComponent {
    uint32_t number = 1;        // Media-Component-Number
    uint16_t media_index = 0;   // the m-line index in both SDPs (and the KDF binding)
    net::Endpoint ue;           // the UE's RTP address (RTCP: port + 1)
    net::Endpoint core;         // the core peer's RTP address (RTCP: port + 1)
    keying::MediaKeys from_ue;  // UE -> network
    std::optional<keying::MediaKeys> to_ue;  // network -> UE; none: the MSF generates it
};

// An MSRP component (Media-Type MESSAGE, RFC 4975) relayed by the MSF over TLS-PSK toward the UE.
// Both SDPs must hold its m=message section at media_index, with the endpoints' a=path.
struct MsrpComponent {
    uint32_t number = 2;        // Media-Component-Number
    uint16_t media_index = 1;   // the m-line index in both SDPs (and the KDF binding)
    net::Endpoint ue;           // the UE's MSRP address (TCP)
    net::Endpoint core;         // the core endpoint's
    std::string psk_identity;   // keying::derive_msrp_psk
    std::vector<uint8_t> psk;
};

struct AarRequest {
    std::string session_id;
    std::string origin_host;
    std::string origin_realm;
    std::string destination_realm;
    std::string destination_host;  // empty: not sent
    net::IpAddr ue_ip;             // Framed-IP-Address / Framed-IPv6-Prefix
    std::string ue_offer_sdp;      // for Codec-Data
    std::string core_answer_sdp;
    KeysIn keys_in = KeysIn::avp;
    std::vector<MediaComponent> components;
    std::vector<MsrpComponent> msrp_components;
    uint32_t msf_vendor_id = diameter::kMsfVendorId;
};

// "<origin-host>;<high 32 bits>;<low 32 bits>" (RFC 6733 §8.8).
std::string make_session_id(std::string_view origin_host, uint32_t high, uint32_t low);

// Fails when an SDP does not parse or lacks a component's section, or a key is not its suite's
// length. The request's hop-by-hop and end-to-end ids are left to the Diameter node.
keying::Expected<diameter::Message> build_aar(const AarRequest& request);

// The MSF's addresses for one component (MSF-Media-Address).
struct MsfMediaAddress {
    uint32_t component = 0;
    net::Endpoint access;  // toward the UE
    net::Endpoint core;    // toward the core
    bool rtcp_mux = false;
};

// A network->UE key the MSF generated (MSF-Media-Protection NETWORK_TO_UE in the AAA).
struct GeneratedToUeKey {
    uint32_t component = 0;
    keying::MediaKeys keys;
};

// The MSF's MSRP URIs for one component (MSF-MSRP-Relay): the UE's SDP a=path gets
// access_path, the core's core_path.
struct MsrpRelay {
    uint32_t component = 0;
    std::string access_path;
    std::string core_path;
};

struct AaaResult {
    uint32_t result_code = 0;     // Result-Code, or Experimental-Result-Code
    bool experimental = false;    // from Experimental-Result (Vendor-Id 10415)
    std::string error_message;    // Error-Message, if any
    std::vector<MsfMediaAddress> addresses;
    std::vector<GeneratedToUeKey> to_ue_keys;
    std::vector<MsrpRelay> msrp_relays;

    bool success() const { return !experimental && result_code == 2001; }
    const MsfMediaAddress* address_of(uint32_t component) const;
    const MsrpRelay* msrp_relay_of(uint32_t component) const;
    const GeneratedToUeKey* to_ue_key_of(uint32_t component) const;
};

// "2001", "5005", "3GPP 5061": how reports name a result (experimental codes get "3GPP ").
std::string result_label(uint32_t code, bool experimental);
// "DIAMETER_SUCCESS" / "INVALID_SERVICE_INFORMATION", or "" when unknown.
std::string_view result_name(uint32_t code, bool experimental);

// Reads an AAA (an answer of command 265). Fails when it has neither Result-Code nor
// Experimental-Result, or, on success, an MSF-Media-Address lacks an address or port, or a
// NETWORK_TO_UE key is unusable (unknown suite, wrong lengths). Errors other than 2001 are
// results, not failures.
keying::Expected<AaaResult> read_aaa(const diameter::Message& aaa);

struct StrRequest {
    std::string session_id;
    std::string origin_host;
    std::string origin_realm;
    std::string destination_realm;
    std::string destination_host;  // empty: not sent
    uint32_t termination_cause = 1;  // DIAMETER_LOGOUT (RFC 6733 §8.15)
    uint32_t msf_vendor_id = diameter::kMsfVendorId;
};

diameter::Message build_str(const StrRequest& request);

// MSF-Session-Counters of one component.
struct ReportedCounters {
    uint32_t component = 0;
    uint64_t packets_unprotected = 0;  // UE -> core
    uint64_t packets_protected = 0;    // core -> UE
    uint64_t auth_failures = 0;
    uint64_t replay_drops = 0;
    uint64_t bytes_from_ue = 0;
    uint64_t bytes_to_ue = 0;
    uint64_t messages_from_ue = 0;  // MSRP components
    uint64_t messages_to_ue = 0;
};

struct StaResult {
    uint32_t result_code = 0;
    bool experimental = false;
    std::string error_message;
    std::vector<ReportedCounters> counters;
    bool success() const { return !experimental && result_code == 2001; }
};

// Reads an STA (an answer of command 275); fails when it has no result.
keying::Expected<StaResult> read_sta(const diameter::Message& sta);

}  // namespace msf::pcscf
