// The dictionary this client gives freeDiameter 1.2.1 at run time: the Rx application
// (TS 29.214), its AA-Request/AA-Answer, the Rx and MSF vendor AVPs it sends or reads, and the
// base AVPs it reports. One table, kAvps, is the list; freeDiameter's dictionary, the message
// builder and the JSON report all read it.
//
// Why not Debian's dict_dcca_3gpp.fdx, which has the Rx AVPs: it needs dict_dcca, which needs
// dict_nasreq, whose AA-Request/AA-Answer follow the NASREQ ABNF (RFC 7155 §3.1, §3.2) and demand
// Auth-Request-Type in both and Result-Code in the answer. freeDiameter checks an incoming answer
// against its command's rules and silently drops a 2xxx answer that fails them, so a correct Rx
// AAA (TS 29.214 §5.6.2 has neither) would never reach us. The MSF-* AVPs repeat the server's
// definitions on purpose: this client is the independent implementation the server is checked
// against, so it shares no code with it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// freeDiameter's headers need their host header first (and declare strndup otherwise).
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>

namespace msf::fdrx {

inline constexpr uint32_t kRxApplicationId = 16777236;  // TS 29.214 §5.1
inline constexpr uint32_t k3gppVendorId = 10415;

// Command codes: RFC 6733 §3.1 base, RFC 7155 §3.1 AA-Request (TS 29.214 §5.6 reuses it).
inline constexpr uint32_t kCodeCapabilitiesExchange = 257;
inline constexpr uint32_t kCodeReAuth = 258;
inline constexpr uint32_t kCodeAa = 265;
inline constexpr uint32_t kCodeAbortSession = 274;
inline constexpr uint32_t kCodeSessionTermination = 275;
inline constexpr uint32_t kCodeDeviceWatchdog = 280;
inline constexpr uint32_t kCodeDisconnectPeer = 282;

// "AAR"/"AAA", "CER"/"CEA", ...; nullopt for a command this client does not name.
std::optional<std::string_view> command_abbreviation(uint32_t code, bool request);

enum class AvpId : uint8_t {
    // RFC 6733 base protocol, defined by freeDiameter itself.
    session_id,
    origin_host,
    origin_realm,
    destination_host,
    destination_realm,
    auth_application_id,
    acct_application_id,
    vendor_specific_application_id,
    vendor_id,
    supported_vendor_id,
    host_ip_address,
    product_name,
    firmware_revision,
    origin_state_id,
    inband_security_id,
    result_code,
    experimental_result,
    experimental_result_code,
    error_message,
    error_reporting_host,
    failed_avp,
    termination_cause,
    disconnect_cause,
    re_auth_request_type,
    auth_session_state,
    route_record,
    // RFC 7155 / RFC 3162 NASREQ, which Rx borrows.
    framed_ip_address,
    framed_ipv6_prefix,
    // TS 29.214 Rx, vendor 10415.
    abort_cause,
    af_application_identifier,
    flow_description,
    flow_number,
    flow_status,
    flow_usage,
    specific_action,
    media_component_description,
    media_component_number,
    media_sub_component,
    media_type,
    codec_data,
    rx_request_type,
    // The MSF's vendor AVPs (vendor id from --msf-vendor-id).
    msf_media_protection,
    msf_direction,
    msf_crypto_suite,
    msf_master_key,
    msf_master_salt,
    msf_mki,
    msf_key_lifetime,
    msf_sdes_crypto,
    msf_media_address,
    msf_access_address,
    msf_access_port,
    msf_core_address,
    msf_core_port,
    msf_rtcp_mux,
    msf_session_counters,
    msf_packets_unprotected,
    msf_packets_protected,
    msf_auth_failures,
    msf_replay_drops,
    msf_bytes_from_ue,
    msf_bytes_to_ue,
    msf_event_cause,
};

enum class AvpOwner : uint8_t { base, nasreq, rx, msf };

// RFC 6733 §4.2, §4.3 data formats as the report prints them.
enum class AvpType : uint8_t {
    octets,      // hex
    utf8,        // string
    identity,    // DiameterIdentity, string
    ipfilter,    // IPFilterRule, string
    address,     // "192.0.2.1"
    unsigned32,
    unsigned64,
    enumerated,  // Integer32 with named values
    grouped,     // an object of its children
};

struct AvpInfo {
    AvpId id;
    uint32_t code;
    AvpOwner owner;  // base: freeDiameter defines it; the others this client defines
    std::string_view name;
    AvpType type;
    bool repeats;  // may occur more than once in one parent: the report gives an array
};

// TS 29.214 §5.3 and Table 5.3.1: every Rx AVP here has M and V set. The MSF's AVPs set V and
// leave M to the sender (peers that do not know them may ignore them). NASREQ's set M.
inline constexpr std::array<AvpInfo, 63> kAvps = {{
    {AvpId::session_id, 263, AvpOwner::base, "Session-Id", AvpType::utf8, false},
    {AvpId::origin_host, 264, AvpOwner::base, "Origin-Host", AvpType::identity, false},
    {AvpId::origin_realm, 296, AvpOwner::base, "Origin-Realm", AvpType::identity, false},
    {AvpId::destination_host, 293, AvpOwner::base, "Destination-Host", AvpType::identity, false},
    {AvpId::destination_realm, 283, AvpOwner::base, "Destination-Realm", AvpType::identity, false},
    {AvpId::auth_application_id, 258, AvpOwner::base, "Auth-Application-Id", AvpType::unsigned32, true},
    {AvpId::acct_application_id, 259, AvpOwner::base, "Acct-Application-Id", AvpType::unsigned32, true},
    {AvpId::vendor_specific_application_id, 260, AvpOwner::base, "Vendor-Specific-Application-Id",
     AvpType::grouped, true},
    {AvpId::vendor_id, 266, AvpOwner::base, "Vendor-Id", AvpType::unsigned32, false},
    {AvpId::supported_vendor_id, 265, AvpOwner::base, "Supported-Vendor-Id", AvpType::unsigned32, true},
    {AvpId::host_ip_address, 257, AvpOwner::base, "Host-IP-Address", AvpType::address, true},
    {AvpId::product_name, 269, AvpOwner::base, "Product-Name", AvpType::utf8, false},
    {AvpId::firmware_revision, 267, AvpOwner::base, "Firmware-Revision", AvpType::unsigned32, false},
    {AvpId::origin_state_id, 278, AvpOwner::base, "Origin-State-Id", AvpType::unsigned32, false},
    {AvpId::inband_security_id, 299, AvpOwner::base, "Inband-Security-Id", AvpType::unsigned32, true},
    {AvpId::result_code, 268, AvpOwner::base, "Result-Code", AvpType::unsigned32, false},
    {AvpId::experimental_result, 297, AvpOwner::base, "Experimental-Result", AvpType::grouped, false},
    {AvpId::experimental_result_code, 298, AvpOwner::base, "Experimental-Result-Code", AvpType::unsigned32, false},
    {AvpId::error_message, 281, AvpOwner::base, "Error-Message", AvpType::utf8, false},
    {AvpId::error_reporting_host, 294, AvpOwner::base, "Error-Reporting-Host", AvpType::identity, false},
    {AvpId::failed_avp, 279, AvpOwner::base, "Failed-AVP", AvpType::grouped, true},
    {AvpId::termination_cause, 295, AvpOwner::base, "Termination-Cause", AvpType::enumerated, false},
    {AvpId::disconnect_cause, 273, AvpOwner::base, "Disconnect-Cause", AvpType::enumerated, false},
    {AvpId::re_auth_request_type, 285, AvpOwner::base, "Re-Auth-Request-Type", AvpType::enumerated, false},
    {AvpId::auth_session_state, 277, AvpOwner::base, "Auth-Session-State", AvpType::enumerated, false},
    {AvpId::route_record, 282, AvpOwner::base, "Route-Record", AvpType::identity, true},
    {AvpId::framed_ip_address, 8, AvpOwner::nasreq, "Framed-IP-Address", AvpType::octets, false},
    {AvpId::framed_ipv6_prefix, 97, AvpOwner::nasreq, "Framed-IPv6-Prefix", AvpType::octets, false},
    {AvpId::abort_cause, 500, AvpOwner::rx, "Abort-Cause", AvpType::enumerated, false},
    {AvpId::af_application_identifier, 504, AvpOwner::rx, "AF-Application-Identifier", AvpType::octets, false},
    {AvpId::flow_description, 507, AvpOwner::rx, "Flow-Description", AvpType::ipfilter, true},
    {AvpId::flow_number, 509, AvpOwner::rx, "Flow-Number", AvpType::unsigned32, false},
    {AvpId::flow_status, 511, AvpOwner::rx, "Flow-Status", AvpType::enumerated, false},
    {AvpId::flow_usage, 512, AvpOwner::rx, "Flow-Usage", AvpType::enumerated, false},
    {AvpId::specific_action, 513, AvpOwner::rx, "Specific-Action", AvpType::enumerated, true},
    {AvpId::media_component_description, 517, AvpOwner::rx, "Media-Component-Description", AvpType::grouped, true},
    {AvpId::media_component_number, 518, AvpOwner::rx, "Media-Component-Number", AvpType::unsigned32, false},
    {AvpId::media_sub_component, 519, AvpOwner::rx, "Media-Sub-Component", AvpType::grouped, true},
    {AvpId::media_type, 520, AvpOwner::rx, "Media-Type", AvpType::enumerated, false},
    {AvpId::codec_data, 524, AvpOwner::rx, "Codec-Data", AvpType::utf8, true},
    {AvpId::rx_request_type, 533, AvpOwner::rx, "Rx-Request-Type", AvpType::enumerated, false},
    {AvpId::msf_media_protection, 1001, AvpOwner::msf, "MSF-Media-Protection", AvpType::grouped, true},
    {AvpId::msf_direction, 1002, AvpOwner::msf, "MSF-Direction", AvpType::enumerated, false},
    {AvpId::msf_crypto_suite, 1003, AvpOwner::msf, "MSF-Crypto-Suite", AvpType::utf8, false},
    {AvpId::msf_master_key, 1004, AvpOwner::msf, "MSF-Master-Key", AvpType::octets, false},
    {AvpId::msf_master_salt, 1005, AvpOwner::msf, "MSF-Master-Salt", AvpType::octets, false},
    {AvpId::msf_mki, 1006, AvpOwner::msf, "MSF-MKI", AvpType::octets, false},
    {AvpId::msf_key_lifetime, 1007, AvpOwner::msf, "MSF-Key-Lifetime", AvpType::unsigned64, false},
    {AvpId::msf_sdes_crypto, 1008, AvpOwner::msf, "MSF-SDES-Crypto", AvpType::utf8, false},
    {AvpId::msf_media_address, 1010, AvpOwner::msf, "MSF-Media-Address", AvpType::grouped, true},
    {AvpId::msf_access_address, 1011, AvpOwner::msf, "MSF-Access-Address", AvpType::address, false},
    {AvpId::msf_access_port, 1012, AvpOwner::msf, "MSF-Access-Port", AvpType::unsigned32, false},
    {AvpId::msf_core_address, 1013, AvpOwner::msf, "MSF-Core-Address", AvpType::address, false},
    {AvpId::msf_core_port, 1014, AvpOwner::msf, "MSF-Core-Port", AvpType::unsigned32, false},
    {AvpId::msf_rtcp_mux, 1015, AvpOwner::msf, "MSF-RTCP-Mux", AvpType::enumerated, false},
    {AvpId::msf_session_counters, 1020, AvpOwner::msf, "MSF-Session-Counters", AvpType::grouped, true},
    {AvpId::msf_packets_unprotected, 1021, AvpOwner::msf, "MSF-Packets-Unprotected", AvpType::unsigned64, false},
    {AvpId::msf_packets_protected, 1022, AvpOwner::msf, "MSF-Packets-Protected", AvpType::unsigned64, false},
    {AvpId::msf_auth_failures, 1023, AvpOwner::msf, "MSF-Auth-Failures", AvpType::unsigned64, false},
    {AvpId::msf_replay_drops, 1024, AvpOwner::msf, "MSF-Replay-Drops", AvpType::unsigned64, false},
    {AvpId::msf_bytes_from_ue, 1025, AvpOwner::msf, "MSF-Bytes-From-UE", AvpType::unsigned64, false},
    {AvpId::msf_bytes_to_ue, 1026, AvpOwner::msf, "MSF-Bytes-To-UE", AvpType::unsigned64, false},
    {AvpId::msf_event_cause, 1030, AvpOwner::msf, "MSF-Event-Cause", AvpType::enumerated, false},
}};

constexpr const AvpInfo& avp_info(AvpId id) { return kAvps[static_cast<size_t>(id)]; }

// The JSON key of an AVP: its name in lower case with '_' for '-' ("msf_media_address").
std::string json_key(std::string_view avp_name);

// The dictionary objects this client builds messages with, once define_rx_dictionary succeeded.
class RxDictionary {
public:
    // Defines the Rx application, its commands, the 3GPP and MSF vendors and every non-base AVP
    // of kAvps in freeDiameter's dictionary, and looks up the base ones. Adjusts the base RAR and
    // ASR rules to TS 29.214 (see the .cpp). Call after fd_core_parseconf, before fd_core_start.
    // Returns an error line, or nullopt.
    std::optional<std::string> define(struct dictionary* dict, uint32_t msf_vendor_id);

    struct dict_object* avp(AvpId id) const { return avps_[static_cast<size_t>(id)]; }
    // The table row of an AVP as it arrives (code and vendor id from its header).
    const AvpInfo* find(uint32_t code, uint32_t vendor_id) const;
    uint32_t vendor_of(const AvpInfo& info) const;

    struct dict_object* rx_application = nullptr;
    struct dict_object* vendor_3gpp = nullptr;
    struct dict_object* aa_request = nullptr;
    struct dict_object* session_termination_request = nullptr;
    struct dict_object* re_auth_request = nullptr;
    struct dict_object* abort_session_request = nullptr;

private:
    std::array<struct dict_object*, kAvps.size()> avps_{};
    uint32_t msf_vendor_id_ = 0;
};

}  // namespace msf::fdrx
