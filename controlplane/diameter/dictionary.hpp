// The Diameter dictionary of msf-controld: every command and AVP this project knows, in one table
// each, with the RFC 6733 result codes. The codec (message.hpp) decodes grouped AVPs and checks
// data sizes from it, validate() checks commands against it, the pretty-printer names things
// from it and the Wireshark dictionary in config/wireshark/ is generated from it.
//
// Sources: RFC 6733 (base), RFC 4006 (Subscription-Id), RFC 7155 and RFC 3162 (Framed-IP-*),
// RFC 7683 and RFC 7944 (overload control, DRMP), 3GPP TS 29.214 (Rx), TS 29.212 and TS 29.229
// (IP-CAN-Type, RAT-Type, Supported-Features), ETSI TS 183 017 (Reservation-Priority), and what
// Kamailio 5.6 (ims_qos + cdp) and freeDiameter 1.2.1 actually put on the wire, so that no AVP
// they send with the M bit draws DIAMETER_AVP_UNSUPPORTED from us. The MSF vendor AVPs live under
// a vendor id configured at run time (default kMsfVendorId).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace msf::diameter {

inline constexpr uint32_t kVendorIetf = 0;
inline constexpr uint32_t kVendor3gpp = 10415;
inline constexpr uint32_t kVendorEtsi = 13019;
// The enterprise number reserved for documentation (RFC 5612); operators configure their own.
inline constexpr uint32_t kMsfVendorId = 32473;

// Application ids (RFC 6733 §2.4, TS 29.214 §5.1).
namespace app {
inline constexpr uint32_t base = 0;  // CER/CEA, DWR/DWA, DPR/DPA
inline constexpr uint32_t rx = 16777236;
inline constexpr uint32_t relay = 0xffffffff;
}  // namespace app

// Who owns an AVP code space. `msf` resolves to the configured vendor id at run time.
enum class Vendor : uint8_t { ietf, tgpp, etsi, msf };

inline constexpr uint32_t vendor_id(Vendor vendor, uint32_t msf_vendor_id) {
    switch (vendor) {
        case Vendor::ietf: return kVendorIetf;
        case Vendor::tgpp: return kVendor3gpp;
        case Vendor::etsi: return kVendorEtsi;
        case Vendor::msf: return msf_vendor_id;
    }
    return kVendorIetf;
}

// RFC 6733 §4.2-§4.3 basic and derived formats, plus two OctetString layouts that need their own
// size and print rules.
enum class DataType : uint8_t {
    octet_string,
    integer32,
    integer64,
    unsigned32,
    unsigned64,
    float32,
    float64,
    address,  // §4.3.1: 2-byte family (1 IPv4, 2 IPv6, ...) + address bytes
    time,     // §4.3.1: NTP seconds since 1900, 4 bytes
    utf8_string,
    diameter_identity,  // §4.3.1: FQDN or realm, ASCII
    diameter_uri,       // §4.3.1: aaa:// or aaas://
    enumerated,         // Integer32 with named values
    ip_filter_rule,     // §4.3.1, see ip_filter_rule.hpp
    grouped,            // §4.4
    ipv4_octets,        // RFC 7155 §4.4.10.5.1 Framed-IP-Address: OctetString of 4 address bytes
    ipv6_prefix,        // RFC 3162 §2.3: reserved byte, prefix length, 0..16 prefix bytes
};

std::string_view data_type_name(DataType type);

// The fixed data size of a type, or nullopt when the size varies.
inline constexpr std::optional<size_t> fixed_size(DataType type) {
    switch (type) {
        case DataType::integer32:
        case DataType::unsigned32:
        case DataType::float32:
        case DataType::time:
        case DataType::enumerated:
        case DataType::ipv4_octets: return 4;
        case DataType::integer64:
        case DataType::unsigned64:
        case DataType::float64: return 8;
        default: return std::nullopt;
    }
}

// How the M bit is set by a sender (RFC 6733 §4.5 "AVP Flag rules"). We set it on the AVPs we
// send exactly when the rule is `must`; on receipt we do not insist on it, because Kamailio's cdp
// sends Session-Id, Origin-Host and Origin-Realm without the M bit.
enum class FlagRule : uint8_t { must, may, must_not };

inline constexpr uint8_t kAvpFlagVendor = 0x80;     // RFC 6733 §4.1 'V'
inline constexpr uint8_t kAvpFlagMandatory = 0x40;  // 'M'
inline constexpr uint8_t kAvpFlagProtected = 0x20;  // 'P', reserved for end-to-end security
inline constexpr uint8_t kAvpFlagsReserved = 0x1f;  // 'r': an unrecognised bit is an error

struct EnumValue {
    uint32_t value;  // the wire value (Integer32 bits; TS 29.214 writes OTHER as 0xFFFFFFFF)
    std::string_view name;
};

inline constexpr bool kClosed = true;  // a value outside the list is DIAMETER_INVALID_AVP_VALUE
inline constexpr bool kOpen = false;   // a value outside the list is accepted (the spec grows)
inline constexpr bool kSecret = true;  // the pretty-printer hides the value unless revealing

struct AvpDef {
    uint32_t code = 0;
    Vendor vendor = Vendor::ietf;
    std::string_view name;
    DataType type = DataType::octet_string;
    FlagRule mandatory = FlagRule::must;
    std::span<const EnumValue> values = {};  // Enumerated (and a few Unsigned32) value names
    bool closed_values = kOpen;
    bool secret = false;

    uint8_t flags_to_send() const {
        return static_cast<uint8_t>((vendor != Vendor::ietf ? kAvpFlagVendor : 0) |
                                    (mandatory == FlagRule::must ? kAvpFlagMandatory : 0));
    }
    // The name of a value, or empty when the list does not have it.
    std::string_view value_name(uint32_t value) const {
        for (const EnumValue& v : values)
            if (v.value == value) return v.name;
        return {};
    }
};

// ---- Value names ----

inline constexpr EnumValue kDisconnectCause[] = {
    {0, "REBOOTING"}, {1, "BUSY"}, {2, "DO_NOT_WANT_TO_TALK_TO_YOU"}};
inline constexpr EnumValue kAuthRequestType[] = {
    {1, "AUTHENTICATE_ONLY"}, {2, "AUTHORIZE_ONLY"}, {3, "AUTHORIZE_AUTHENTICATE"}};
inline constexpr EnumValue kAuthSessionState[] = {{0, "STATE_MAINTAINED"},
                                                  {1, "NO_STATE_MAINTAINED"}};
inline constexpr EnumValue kReAuthRequestType[] = {{0, "AUTHORIZE_ONLY"},
                                                   {1, "AUTHORIZE_AUTHENTICATE"}};
inline constexpr EnumValue kTerminationCause[] = {
    {1, "DIAMETER_LOGOUT"},      {2, "DIAMETER_SERVICE_NOT_PROVIDED"},
    {3, "DIAMETER_BAD_ANSWER"},  {4, "DIAMETER_ADMINISTRATIVE"},
    {5, "DIAMETER_LINK_BROKEN"}, {6, "DIAMETER_AUTH_EXPIRED"},
    {7, "DIAMETER_USER_MOVED"},  {8, "DIAMETER_SESSION_TIMEOUT"}};
inline constexpr EnumValue kRedirectHostUsage[] = {
    {0, "DONT_CACHE"},      {1, "ALL_SESSION"}, {2, "ALL_REALM"}, {3, "REALM_AND_APPLICATION"},
    {4, "ALL_APPLICATION"}, {5, "ALL_HOST"},    {6, "ALL_USER"}};
inline constexpr EnumValue kSessionServerFailover[] = {
    {0, "REFUSE_SERVICE"}, {1, "TRY_AGAIN"}, {2, "ALLOW_SERVICE"}, {3, "TRY_AGAIN_ALLOW_SERVICE"}};
inline constexpr EnumValue kInbandSecurityId[] = {{0, "NO_INBAND_SECURITY"}, {1, "TLS"}};
inline constexpr EnumValue kApplicationIds[] = {
    {app::base, "Diameter Common Messages"}, {app::rx, "3GPP Rx"}, {app::relay, "Relay"}};
inline constexpr EnumValue kVendorIds[] = {
    {kVendorIetf, "IETF"}, {kVendor3gpp, "3GPP"}, {kVendorEtsi, "ETSI"}};
inline constexpr EnumValue kDrmp[] = {
    {0, "PRIORITY_0"},   {1, "PRIORITY_1"},   {2, "PRIORITY_2"},   {3, "PRIORITY_3"},
    {4, "PRIORITY_4"},   {5, "PRIORITY_5"},   {6, "PRIORITY_6"},   {7, "PRIORITY_7"},
    {8, "PRIORITY_8"},   {9, "PRIORITY_9"},   {10, "PRIORITY_10"}, {11, "PRIORITY_11"},
    {12, "PRIORITY_12"}, {13, "PRIORITY_13"}, {14, "PRIORITY_14"}, {15, "PRIORITY_15"}};
inline constexpr EnumValue kSubscriptionIdType[] = {{0, "END_USER_E164"},
                                                    {1, "END_USER_IMSI"},
                                                    {2, "END_USER_SIP_URI"},
                                                    {3, "END_USER_NAI"},
                                                    {4, "END_USER_PRIVATE"}};
inline constexpr EnumValue kFinalUnitAction[] = {
    {0, "TERMINATE"}, {1, "REDIRECT"}, {2, "RESTRICT_ACCESS"}};
inline constexpr EnumValue kOcReportType[] = {{0, "HOST_REPORT"}, {1, "REALM_REPORT"}};
inline constexpr EnumValue kAbortCause[] = {{0, "BEARER_RELEASED"},
                                            {1, "INSUFFICIENT_SERVER_RESOURCES"},
                                            {2, "INSUFFICIENT_BEARER_RESOURCES"},
                                            {3, "PS_TO_CS_HANDOVER"},
                                            {4, "SPONSORED_DATA_CONNECTIVITY_DISALLOWED"}};
inline constexpr EnumValue kFlowStatus[] = {{0, "ENABLED-UPLINK"},
                                            {1, "ENABLED-DOWNLINK"},
                                            {2, "ENABLED"},
                                            {3, "DISABLED"},
                                            {4, "REMOVED"}};
inline constexpr EnumValue kFlowUsage[] = {
    {0, "NO_INFORMATION"}, {1, "RTCP"}, {2, "AF_SIGNALLING"}};
inline constexpr EnumValue kSpecificAction[] = {
    {1, "CHARGING_CORRELATION_EXCHANGE"},
    {2, "INDICATION_OF_LOSS_OF_BEARER"},
    {3, "INDICATION_OF_RECOVERY_OF_BEARER"},
    {4, "INDICATION_OF_RELEASE_OF_BEARER"},
    {6, "IP-CAN_CHANGE"},
    {7, "INDICATION_OF_OUT_OF_CREDIT"},
    {8, "INDICATION_OF_SUCCESSFUL_RESOURCES_ALLOCATION"},
    {9, "INDICATION_OF_FAILED_RESOURCES_ALLOCATION"},
    {10, "INDICATION_OF_LIMITED_PCC_DEPLOYMENT"},
    {11, "USAGE_REPORT"},
    {12, "ACCESS_NETWORK_INFO_REPORT"},
    {13, "INDICATION_OF_RECOVERY_FROM_LIMITED_PCC_DEPLOYMENT"},
    {14, "INDICATION_OF_ACCESS_NETWORK_INFO_REPORTING_FAILURE"},
    {15, "INDICATION_OF_TRANSFER_POLICY_EXPIRED"},
    {16, "PLMN_CHANGE"}};
inline constexpr EnumValue kMediaType[] = {{0, "AUDIO"},       {1, "VIDEO"},         {2, "DATA"},
                                           {3, "APPLICATION"}, {4, "CONTROL"},       {5, "TEXT"},
                                           {6, "MESSAGE"},     {0xffffffff, "OTHER"}};
inline constexpr EnumValue kSipForkingIndication[] = {{0, "SINGLE_DIALOGUE"},
                                                      {1, "SEVERAL_DIALOGUES"}};
inline constexpr EnumValue kServiceInfoStatus[] = {{0, "FINAL_SERVICE_INFORMATION"},
                                                   {1, "PRELIMINARY_SERVICE_INFORMATION"}};
inline constexpr EnumValue kAfSignallingProtocol[] = {{0, "NO_INFORMATION"}, {1, "SIP"}};
inline constexpr EnumValue kRxRequestType[] = {
    {0, "INITIAL_REQUEST"}, {1, "UPDATE_REQUEST"}, {2, "PCSCF_RESTORATION"}};
inline constexpr EnumValue kRequiredAccessInfo[] = {{0, "USER_LOCATION"}, {1, "MS_TIME_ZONE"}};
inline constexpr EnumValue kIpCanType[] = {
    {0, "3GPP-GPRS"}, {1, "DOCSIS"},       {2, "xDSL"}, {3, "WiMAX"},    {4, "3GPP2"},
    {5, "3GPP-EPS"},  {6, "Non-3GPP-EPS"}, {7, "FBA"},  {8, "3GPP-5GS"}, {9, "Non-3GPP-5GS"}};
inline constexpr EnumValue kRatType[] = {
    {0, "WLAN"},    {1, "VIRTUAL"},           {1000, "UTRAN"},  {1001, "GERAN"},
    {1002, "GAN"},  {1003, "HSPA_EVOLUTION"}, {1004, "EUTRAN"}, {1005, "EUTRAN-NB-IoT"},
    {1006, "NR"},   {2000, "CDMA2000_1X"},    {2001, "HRPD"},   {2002, "UMB"},
    {2003, "EHRPD"}};
inline constexpr EnumValue kReservationPriority[] = {
    {0, "DEFAULT"},          {1, "PRIORITY-ONE"},       {2, "PRIORITY-TWO"},
    {3, "PRIORITY-THREE"},   {4, "PRIORITY-FOUR"},      {5, "PRIORITY-FIVE"},
    {6, "PRIORITY-SIX"},     {7, "PRIORITY-SEVEN"},     {8, "PRIORITY-EIGHT"},
    {9, "PRIORITY-NINE"},    {10, "PRIORITY-TEN"},      {11, "PRIORITY-ELEVEN"},
    {12, "PRIORITY-TWELVE"}, {13, "PRIORITY-THIRTEEN"}, {14, "PRIORITY-FOURTEEN"},
    {15, "PRIORITY-FIFTEEN"}};
// Our own enumerations: closed, we define every value.
inline constexpr EnumValue kMsfDirection[] = {{0, "UE_TO_NETWORK"}, {1, "NETWORK_TO_UE"}};
inline constexpr EnumValue kMsfRtcpMux[] = {{0, "NO"}, {1, "YES"}};
inline constexpr EnumValue kMsfEventCause[] = {
    {1, "INACTIVITY"}, {2, "AUTH_FAILURE_STORM"}, {3, "DATAPLANE_LOST"}, {4, "OPERATOR_REMOVED"}};

// ---- The AVP table ----

// Short names for the table rows only.
namespace table {
using enum DataType;
using enum Vendor;
inline constexpr FlagRule M = FlagRule::must;
inline constexpr FlagRule M_may = FlagRule::may;
inline constexpr FlagRule M_not = FlagRule::must_not;

inline constexpr AvpDef kAvps[] = {
    // RFC 6733 base protocol (§4.5 table), RADIUS attributes Diameter reuses, RFC 4006, 7155.
    {1, ietf, "User-Name", utf8_string, M},
    {8, ietf, "Framed-IP-Address", ipv4_octets, M},
    {25, ietf, "Class", octet_string, M},
    {27, ietf, "Session-Timeout", unsigned32, M},
    {30, ietf, "Called-Station-Id", utf8_string, M},
    {33, ietf, "Proxy-State", octet_string, M},
    {55, ietf, "Event-Timestamp", time, M},
    {97, ietf, "Framed-IPv6-Prefix", ipv6_prefix, M},
    {257, ietf, "Host-IP-Address", address, M},
    {258, ietf, "Auth-Application-Id", unsigned32, M, kApplicationIds},
    {259, ietf, "Acct-Application-Id", unsigned32, M, kApplicationIds},
    {260, ietf, "Vendor-Specific-Application-Id", grouped, M},
    {261, ietf, "Redirect-Host-Usage", enumerated, M, kRedirectHostUsage},
    {262, ietf, "Redirect-Max-Cache-Time", unsigned32, M},
    {263, ietf, "Session-Id", utf8_string, M},
    {264, ietf, "Origin-Host", diameter_identity, M},
    {265, ietf, "Supported-Vendor-Id", unsigned32, M, kVendorIds},
    {266, ietf, "Vendor-Id", unsigned32, M, kVendorIds},
    {267, ietf, "Firmware-Revision", unsigned32, M_not},
    {268, ietf, "Result-Code", unsigned32, M},  // printed with the result-code names
    {269, ietf, "Product-Name", utf8_string, M_not},
    {270, ietf, "Session-Binding", unsigned32, M},
    {271, ietf, "Session-Server-Failover", enumerated, M, kSessionServerFailover},
    {272, ietf, "Multi-Round-Time-Out", unsigned32, M},
    {273, ietf, "Disconnect-Cause", enumerated, M, kDisconnectCause},
    {274, ietf, "Auth-Request-Type", enumerated, M, kAuthRequestType},
    {276, ietf, "Auth-Grace-Period", unsigned32, M},
    {277, ietf, "Auth-Session-State", enumerated, M, kAuthSessionState},
    {278, ietf, "Origin-State-Id", unsigned32, M},
    {279, ietf, "Failed-AVP", grouped, M},
    {280, ietf, "Proxy-Host", diameter_identity, M},
    {281, ietf, "Error-Message", utf8_string, M_not},
    {282, ietf, "Route-Record", diameter_identity, M},
    {283, ietf, "Destination-Realm", diameter_identity, M},
    {284, ietf, "Proxy-Info", grouped, M},
    {285, ietf, "Re-Auth-Request-Type", enumerated, M, kReAuthRequestType},
    {291, ietf, "Authorization-Lifetime", unsigned32, M},
    {292, ietf, "Redirect-Host", diameter_uri, M},
    {293, ietf, "Destination-Host", diameter_identity, M},
    {294, ietf, "Error-Reporting-Host", diameter_identity, M_not},
    {295, ietf, "Termination-Cause", enumerated, M, kTerminationCause},
    {296, ietf, "Origin-Realm", diameter_identity, M},
    {297, ietf, "Experimental-Result", grouped, M},
    {298, ietf, "Experimental-Result-Code", unsigned32, M},
    {299, ietf, "Inband-Security-Id", unsigned32, M, kInbandSecurityId},
    {301, ietf, "DRMP", enumerated, M_not, kDrmp},  // RFC 7944
    {443, ietf, "Subscription-Id", grouped, M},     // RFC 4006 §8.46
    {444, ietf, "Subscription-Id-Data", utf8_string, M},
    {449, ietf, "Final-Unit-Action", enumerated, M, kFinalUnitAction},
    {450, ietf, "Subscription-Id-Type", enumerated, M, kSubscriptionIdType},
    {621, ietf, "OC-Supported-Features", grouped, M_not},  // RFC 7683
    {622, ietf, "OC-Feature-Vector", unsigned64, M_not},
    {623, ietf, "OC-OLR", grouped, M_not},
    {624, ietf, "OC-Sequence-Number", unsigned64, M_not},
    {625, ietf, "OC-Validity-Duration", unsigned32, M_not},
    {626, ietf, "OC-Report-Type", enumerated, M_not, kOcReportType},
    {627, ietf, "OC-Reduction-Percentage", unsigned32, M_not},

    // 3GPP TS 29.214 Rx (table 5.3.1), with TS 29.212 and TS 29.229 AVPs an Rx peer sends.
    {500, tgpp, "Abort-Cause", enumerated, M, kAbortCause},
    {501, tgpp, "Access-Network-Charging-Address", address, M},
    {502, tgpp, "Access-Network-Charging-Identifier", grouped, M},
    {503, tgpp, "Access-Network-Charging-Identifier-Value", octet_string, M},
    {504, tgpp, "AF-Application-Identifier", octet_string, M},
    {505, tgpp, "AF-Charging-Identifier", octet_string, M},
    {506, tgpp, "Authorization-Token", octet_string, M},
    {507, tgpp, "Flow-Description", ip_filter_rule, M},
    {508, tgpp, "Flow-Grouping", grouped, M},
    {509, tgpp, "Flow-Number", unsigned32, M},
    {510, tgpp, "Flows", grouped, M},
    {511, tgpp, "Flow-Status", enumerated, M, kFlowStatus},
    {512, tgpp, "Flow-Usage", enumerated, M, kFlowUsage},
    {513, tgpp, "Specific-Action", enumerated, M, kSpecificAction},
    {515, tgpp, "Max-Requested-Bandwidth-DL", unsigned32, M},
    {516, tgpp, "Max-Requested-Bandwidth-UL", unsigned32, M},
    {517, tgpp, "Media-Component-Description", grouped, M},
    {518, tgpp, "Media-Component-Number", unsigned32, M},
    {519, tgpp, "Media-Sub-Component", grouped, M},
    {520, tgpp, "Media-Type", enumerated, M, kMediaType},
    {521, tgpp, "RR-Bandwidth", unsigned32, M},
    {522, tgpp, "RS-Bandwidth", unsigned32, M},
    {523, tgpp, "SIP-Forking-Indication", enumerated, M, kSipForkingIndication},
    // TS 29.214 §5.3.16: OctetString. Kamailio sends "uplink\noffer\n<m-section>" and a NUL.
    {524, tgpp, "Codec-Data", octet_string, M},
    {525, tgpp, "Service-URN", octet_string, M},
    {526, tgpp, "Acceptable-Service-Info", grouped, M},
    {527, tgpp, "Service-Info-Status", enumerated, M, kServiceInfoStatus},
    {528, tgpp, "MPS-Identifier", octet_string, M},
    {529, tgpp, "AF-Signalling-Protocol", enumerated, M_not, kAfSignallingProtocol},
    {533, tgpp, "Rx-Request-Type", enumerated, M, kRxRequestType},
    {534, tgpp, "Min-Requested-Bandwidth-DL", unsigned32, M_may},
    {535, tgpp, "Min-Requested-Bandwidth-UL", unsigned32, M_may},
    {536, tgpp, "Required-Access-Info", enumerated, M_may, kRequiredAccessInfo},
    {537, tgpp, "IP-Domain-Id", octet_string, M_may},
    {628, tgpp, "Supported-Features", grouped, M_not},  // TS 29.229 §6.3.29
    {629, tgpp, "Feature-List-ID", unsigned32, M_not},
    {630, tgpp, "Feature-List", unsigned32, M_not},
    {1027, tgpp, "IP-CAN-Type", enumerated, M, kIpCanType},  // TS 29.212 §5.3.27
    {1032, tgpp, "RAT-Type", enumerated, M_not, kRatType},   // TS 29.212 §5.3.31

    // ETSI TS 183 017: Kamailio ims_qos adds it to every AAR, V bit only.
    {458, etsi, "Reservation-Priority", enumerated, M_not, kReservationPriority},

    // MSF vendor AVPs. V set, M clear: a peer that does not know them may ignore them.
    {1001, msf, "MSF-Media-Protection", grouped, M_not},
    {1002, msf, "MSF-Direction", enumerated, M_not, kMsfDirection, kClosed},
    {1003, msf, "MSF-Crypto-Suite", utf8_string, M_not},  // RFC 4568 suite name
    {1004, msf, "MSF-Master-Key", octet_string, M_not, {}, kOpen, kSecret},
    {1005, msf, "MSF-Master-Salt", octet_string, M_not, {}, kOpen, kSecret},
    {1006, msf, "MSF-MKI", octet_string, M_not},
    {1007, msf, "MSF-Key-Lifetime", unsigned64, M_not},                      // packets
    {1008, msf, "MSF-SDES-Crypto", utf8_string, M_not, {}, kOpen, kSecret},  // a=crypto value
    {1010, msf, "MSF-Media-Address", grouped, M_not},
    {1011, msf, "MSF-Access-Address", address, M_not},
    {1012, msf, "MSF-Access-Port", unsigned32, M_not},
    {1013, msf, "MSF-Core-Address", address, M_not},
    {1014, msf, "MSF-Core-Port", unsigned32, M_not},
    {1015, msf, "MSF-RTCP-Mux", enumerated, M_not, kMsfRtcpMux, kClosed},
    {1020, msf, "MSF-Session-Counters", grouped, M_not},
    {1021, msf, "MSF-Packets-Unprotected", unsigned64, M_not},  // UE -> core
    {1022, msf, "MSF-Packets-Protected", unsigned64, M_not},    // core -> UE
    {1023, msf, "MSF-Auth-Failures", unsigned64, M_not},
    {1024, msf, "MSF-Replay-Drops", unsigned64, M_not},
    {1025, msf, "MSF-Bytes-From-UE", unsigned64, M_not},
    {1026, msf, "MSF-Bytes-To-UE", unsigned64, M_not},
    {1027, msf, "MSF-Messages-From-UE", unsigned64, M_not},  // MSRP requests, UE -> core
    {1028, msf, "MSF-Messages-To-UE", unsigned64, M_not},    // MSRP requests, core -> UE
    {1030, msf, "MSF-Event-Cause", enumerated, M_not, kMsfEventCause, kClosed},
    // MSRP over TLS-PSK (seed requirement 3): the PSK of an MSRP media component, and in the
    // AAA the MSRP URIs the gateway relays it on (RFC 4975 §6, for the SDP a=path rewrite).
    {1040, msf, "MSF-MSRP-Protection", grouped, M_not},
    {1041, msf, "MSF-TLS-PSK-Identity", utf8_string, M_not},  // RFC 4279 §5.1, RFC 8446 §4.2.11
    {1042, msf, "MSF-TLS-PSK", octet_string, M_not, {}, kOpen, kSecret},
    {1043, msf, "MSF-MSRP-Relay", grouped, M_not},
    {1044, msf, "MSF-MSRP-Access-Path", utf8_string, M_not},  // the UE's To-Path: msrps://...
    {1045, msf, "MSF-MSRP-Core-Path", utf8_string, M_not},    // the core's view of the UE: msrp://...
};
}  // namespace table

using table::kAvps;
inline constexpr size_t kAvpCount = std::size(kAvps);

// Position of an AVP in kAvps; `def` must be an element of kAvps.
inline size_t avp_index(const AvpDef& def) { return static_cast<size_t>(&def - kAvps); }

consteval const AvpDef& avp_named(std::string_view name) {
    for (const AvpDef& def : kAvps)
        if (def.name == name) return def;
    throw "no AVP of that name in kAvps";  // a compile error: the name is misspelt
}

// Named handles for code that builds and reads messages: avp::session_id is kAvps' Session-Id.
namespace avp {
inline constexpr const AvpDef& user_name = avp_named("User-Name");
inline constexpr const AvpDef& framed_ip_address = avp_named("Framed-IP-Address");
inline constexpr const AvpDef& class_ = avp_named("Class");
inline constexpr const AvpDef& session_timeout = avp_named("Session-Timeout");
inline constexpr const AvpDef& called_station_id = avp_named("Called-Station-Id");
inline constexpr const AvpDef& proxy_state = avp_named("Proxy-State");
inline constexpr const AvpDef& event_timestamp = avp_named("Event-Timestamp");
inline constexpr const AvpDef& framed_ipv6_prefix = avp_named("Framed-IPv6-Prefix");
inline constexpr const AvpDef& host_ip_address = avp_named("Host-IP-Address");
inline constexpr const AvpDef& auth_application_id = avp_named("Auth-Application-Id");
inline constexpr const AvpDef& acct_application_id = avp_named("Acct-Application-Id");
inline constexpr const AvpDef& vendor_specific_application_id =
    avp_named("Vendor-Specific-Application-Id");
inline constexpr const AvpDef& redirect_host_usage = avp_named("Redirect-Host-Usage");
inline constexpr const AvpDef& redirect_max_cache_time = avp_named("Redirect-Max-Cache-Time");
inline constexpr const AvpDef& session_id = avp_named("Session-Id");
inline constexpr const AvpDef& origin_host = avp_named("Origin-Host");
inline constexpr const AvpDef& supported_vendor_id = avp_named("Supported-Vendor-Id");
inline constexpr const AvpDef& vendor_id = avp_named("Vendor-Id");
inline constexpr const AvpDef& firmware_revision = avp_named("Firmware-Revision");
inline constexpr const AvpDef& result_code = avp_named("Result-Code");
inline constexpr const AvpDef& product_name = avp_named("Product-Name");
inline constexpr const AvpDef& disconnect_cause = avp_named("Disconnect-Cause");
inline constexpr const AvpDef& auth_request_type = avp_named("Auth-Request-Type");
inline constexpr const AvpDef& auth_grace_period = avp_named("Auth-Grace-Period");
inline constexpr const AvpDef& auth_session_state = avp_named("Auth-Session-State");
inline constexpr const AvpDef& origin_state_id = avp_named("Origin-State-Id");
inline constexpr const AvpDef& failed_avp = avp_named("Failed-AVP");
inline constexpr const AvpDef& proxy_host = avp_named("Proxy-Host");
inline constexpr const AvpDef& error_message = avp_named("Error-Message");
inline constexpr const AvpDef& route_record = avp_named("Route-Record");
inline constexpr const AvpDef& destination_realm = avp_named("Destination-Realm");
inline constexpr const AvpDef& proxy_info = avp_named("Proxy-Info");
inline constexpr const AvpDef& re_auth_request_type = avp_named("Re-Auth-Request-Type");
inline constexpr const AvpDef& authorization_lifetime = avp_named("Authorization-Lifetime");
inline constexpr const AvpDef& redirect_host = avp_named("Redirect-Host");
inline constexpr const AvpDef& destination_host = avp_named("Destination-Host");
inline constexpr const AvpDef& error_reporting_host = avp_named("Error-Reporting-Host");
inline constexpr const AvpDef& termination_cause = avp_named("Termination-Cause");
inline constexpr const AvpDef& origin_realm = avp_named("Origin-Realm");
inline constexpr const AvpDef& experimental_result = avp_named("Experimental-Result");
inline constexpr const AvpDef& experimental_result_code = avp_named("Experimental-Result-Code");
inline constexpr const AvpDef& inband_security_id = avp_named("Inband-Security-Id");
inline constexpr const AvpDef& drmp = avp_named("DRMP");
inline constexpr const AvpDef& subscription_id = avp_named("Subscription-Id");
inline constexpr const AvpDef& subscription_id_data = avp_named("Subscription-Id-Data");
inline constexpr const AvpDef& subscription_id_type = avp_named("Subscription-Id-Type");
inline constexpr const AvpDef& abort_cause = avp_named("Abort-Cause");
inline constexpr const AvpDef& access_network_charging_address =
    avp_named("Access-Network-Charging-Address");
inline constexpr const AvpDef& access_network_charging_identifier =
    avp_named("Access-Network-Charging-Identifier");
inline constexpr const AvpDef& access_network_charging_identifier_value =
    avp_named("Access-Network-Charging-Identifier-Value");
inline constexpr const AvpDef& af_application_identifier = avp_named("AF-Application-Identifier");
inline constexpr const AvpDef& af_charging_identifier = avp_named("AF-Charging-Identifier");
inline constexpr const AvpDef& flow_description = avp_named("Flow-Description");
inline constexpr const AvpDef& flow_number = avp_named("Flow-Number");
inline constexpr const AvpDef& flows = avp_named("Flows");
inline constexpr const AvpDef& flow_status = avp_named("Flow-Status");
inline constexpr const AvpDef& flow_usage = avp_named("Flow-Usage");
inline constexpr const AvpDef& specific_action = avp_named("Specific-Action");
inline constexpr const AvpDef& max_requested_bandwidth_dl = avp_named("Max-Requested-Bandwidth-DL");
inline constexpr const AvpDef& max_requested_bandwidth_ul = avp_named("Max-Requested-Bandwidth-UL");
inline constexpr const AvpDef& media_component_description =
    avp_named("Media-Component-Description");
inline constexpr const AvpDef& media_component_number = avp_named("Media-Component-Number");
inline constexpr const AvpDef& media_sub_component = avp_named("Media-Sub-Component");
inline constexpr const AvpDef& media_type = avp_named("Media-Type");
inline constexpr const AvpDef& rr_bandwidth = avp_named("RR-Bandwidth");
inline constexpr const AvpDef& rs_bandwidth = avp_named("RS-Bandwidth");
inline constexpr const AvpDef& sip_forking_indication = avp_named("SIP-Forking-Indication");
inline constexpr const AvpDef& codec_data = avp_named("Codec-Data");
inline constexpr const AvpDef& service_info_status = avp_named("Service-Info-Status");
inline constexpr const AvpDef& rx_request_type = avp_named("Rx-Request-Type");
inline constexpr const AvpDef& supported_features = avp_named("Supported-Features");
inline constexpr const AvpDef& feature_list_id = avp_named("Feature-List-ID");
inline constexpr const AvpDef& feature_list = avp_named("Feature-List");
inline constexpr const AvpDef& ip_can_type = avp_named("IP-CAN-Type");
inline constexpr const AvpDef& rat_type = avp_named("RAT-Type");
inline constexpr const AvpDef& reservation_priority = avp_named("Reservation-Priority");
inline constexpr const AvpDef& msf_media_protection = avp_named("MSF-Media-Protection");
inline constexpr const AvpDef& msf_direction = avp_named("MSF-Direction");
inline constexpr const AvpDef& msf_crypto_suite = avp_named("MSF-Crypto-Suite");
inline constexpr const AvpDef& msf_master_key = avp_named("MSF-Master-Key");
inline constexpr const AvpDef& msf_master_salt = avp_named("MSF-Master-Salt");
inline constexpr const AvpDef& msf_mki = avp_named("MSF-MKI");
inline constexpr const AvpDef& msf_key_lifetime = avp_named("MSF-Key-Lifetime");
inline constexpr const AvpDef& msf_sdes_crypto = avp_named("MSF-SDES-Crypto");
inline constexpr const AvpDef& msf_media_address = avp_named("MSF-Media-Address");
inline constexpr const AvpDef& msf_access_address = avp_named("MSF-Access-Address");
inline constexpr const AvpDef& msf_access_port = avp_named("MSF-Access-Port");
inline constexpr const AvpDef& msf_core_address = avp_named("MSF-Core-Address");
inline constexpr const AvpDef& msf_core_port = avp_named("MSF-Core-Port");
inline constexpr const AvpDef& msf_rtcp_mux = avp_named("MSF-RTCP-Mux");
inline constexpr const AvpDef& msf_session_counters = avp_named("MSF-Session-Counters");
inline constexpr const AvpDef& msf_packets_unprotected = avp_named("MSF-Packets-Unprotected");
inline constexpr const AvpDef& msf_packets_protected = avp_named("MSF-Packets-Protected");
inline constexpr const AvpDef& msf_auth_failures = avp_named("MSF-Auth-Failures");
inline constexpr const AvpDef& msf_replay_drops = avp_named("MSF-Replay-Drops");
inline constexpr const AvpDef& msf_bytes_from_ue = avp_named("MSF-Bytes-From-UE");
inline constexpr const AvpDef& msf_bytes_to_ue = avp_named("MSF-Bytes-To-UE");
inline constexpr const AvpDef& msf_event_cause = avp_named("MSF-Event-Cause");
inline constexpr const AvpDef& msf_messages_from_ue = avp_named("MSF-Messages-From-UE");
inline constexpr const AvpDef& msf_messages_to_ue = avp_named("MSF-Messages-To-UE");
inline constexpr const AvpDef& msf_msrp_protection = avp_named("MSF-MSRP-Protection");
inline constexpr const AvpDef& msf_tls_psk_identity = avp_named("MSF-TLS-PSK-Identity");
inline constexpr const AvpDef& msf_tls_psk = avp_named("MSF-TLS-PSK");
inline constexpr const AvpDef& msf_msrp_relay = avp_named("MSF-MSRP-Relay");
inline constexpr const AvpDef& msf_msrp_access_path = avp_named("MSF-MSRP-Access-Path");
inline constexpr const AvpDef& msf_msrp_core_path = avp_named("MSF-MSRP-Core-Path");
}  // namespace avp

// The AVP with this code and vendor id, or nullptr. `msf_vendor_id` is the configured vendor of
// the MSF AVPs.
const AvpDef* find_avp(uint32_t code, uint32_t vendor_id, uint32_t msf_vendor_id = kMsfVendorId);

// ---- Occurrence rules (RFC 6733 §3.2 CCF, §4.4 grouped AVP grammar) ----

inline constexpr uint16_t kUnbounded = 0xffff;
inline constexpr size_t kMaxRulesPerSet = 32;  // validate() counts occurrences in a fixed array

// An AVP may occur min..max times in a message or group. AVPs without a rule are allowed any
// number of times (every CCF here ends in *[ AVP ]).
struct AvpRule {
    uint16_t avp = 0;  // index into kAvps
    uint16_t min = 0;
    uint16_t max = kUnbounded;
};

consteval uint16_t avp_index_named(std::string_view name) {
    return static_cast<uint16_t>(&avp_named(name) - kAvps);
}

// Grouped AVPs and the rules of their contents.
struct GroupRules {
    uint16_t avp;
    std::span<const AvpRule> rules;
};

// The command table's shape (the table follows the rules below).
struct CommandDef {
    uint32_t code = 0;
    std::string_view name;            // "AA": the request is "AA-Request"
    std::string_view request_abbrev;  // "AAR"
    std::string_view answer_abbrev;   // "AAA"
    uint32_t application = app::base;
    bool proxiable = false;  // PXY in the CCF: the P bit of the request
    std::span<const AvpRule> request_rules;
    std::span<const AvpRule> answer_rules;
};

// The rules, written as in the CCFs they come from.
namespace table {
// "{ X }" and "< X >": exactly once.
consteval AvpRule one(std::string_view name) { return {avp_index_named(name), 1, 1}; }
// "[ X ]": at most once.
consteval AvpRule optional(std::string_view name) { return {avp_index_named(name), 0, 1}; }
// "1*{ X }": at least once.
consteval AvpRule at_least_one(std::string_view name) {
    return {avp_index_named(name), 1, kUnbounded};
}

// RFC 6733 §6.7.2: < Proxy-Info > ::= { Proxy-Host } { Proxy-State } *[ AVP ]
inline constexpr AvpRule kProxyInfoRules[] = {one("Proxy-Host"), one("Proxy-State")};
// RFC 6733 §6.11 (RFC 3588 allowed 1* Vendor-Id; older peers still send that, so no upper bound).
inline constexpr AvpRule kVendorSpecificApplicationIdRules[] = {
    at_least_one("Vendor-Id"), optional("Auth-Application-Id"), optional("Acct-Application-Id")};
// RFC 6733 §7.6
inline constexpr AvpRule kExperimentalResultRules[] = {one("Vendor-Id"),
                                                       one("Experimental-Result-Code")};
// RFC 4006 §8.46
inline constexpr AvpRule kSubscriptionIdRules[] = {one("Subscription-Id-Type"),
                                                   one("Subscription-Id-Data")};
// TS 29.214 §5.3.7. Kamailio puts up to eight Flow-Descriptions (RTP and RTCP, both directions)
// into one Media-Sub-Component, so Flow-Description has no upper bound here (the spec says 2).
inline constexpr AvpRule kMediaSubComponentRules[] = {one("Flow-Number"),
                                                      optional("Flow-Status"),
                                                      optional("Flow-Usage"),
                                                      optional("Max-Requested-Bandwidth-UL"),
                                                      optional("Max-Requested-Bandwidth-DL"),
                                                      optional("AF-Signalling-Protocol")};
// TS 29.214 §5.3.7
inline constexpr AvpRule kMediaComponentDescriptionRules[] = {
    one("Media-Component-Number"),
    optional("AF-Application-Identifier"),
    optional("Media-Type"),
    optional("Max-Requested-Bandwidth-UL"),
    optional("Max-Requested-Bandwidth-DL"),
    optional("Min-Requested-Bandwidth-UL"),
    optional("Min-Requested-Bandwidth-DL"),
    optional("Flow-Status"),
    optional("RR-Bandwidth"),
    optional("RS-Bandwidth"),
    optional("Reservation-Priority")};
// TS 29.214 §5.3.4 and §5.3.10
inline constexpr AvpRule kAccessNetworkChargingIdentifierRules[] = {
    one("Access-Network-Charging-Identifier-Value")};
inline constexpr AvpRule kFlowsRules[] = {one("Media-Component-Number"),
                                          optional("Final-Unit-Action")};
// TS 29.229 §6.3.29
inline constexpr AvpRule kSupportedFeaturesRules[] = {one("Vendor-Id"), one("Feature-List-ID"),
                                                      one("Feature-List")};
// RFC 7683 §7.1 and §7.3
inline constexpr AvpRule kOcSupportedFeaturesRules[] = {optional("OC-Feature-Vector")};
inline constexpr AvpRule kOcOlrRules[] = {one("OC-Sequence-Number"), one("OC-Report-Type"),
                                          optional("OC-Reduction-Percentage"),
                                          optional("OC-Validity-Duration")};
// MSF vendor AVPs. Media-Component-Number absent in a protection AVP means "every component".
inline constexpr AvpRule kMsfMediaProtectionRules[] = {
    one("MSF-Direction"),         optional("Media-Component-Number"), optional("MSF-Crypto-Suite"),
    optional("MSF-Master-Key"),   optional("MSF-Master-Salt"),        optional("MSF-MKI"),
    optional("MSF-Key-Lifetime"), optional("MSF-SDES-Crypto")};
inline constexpr AvpRule kMsfMediaAddressRules[] = {
    one("Media-Component-Number"), optional("MSF-Access-Address"), optional("MSF-Access-Port"),
    optional("MSF-Core-Address"),  optional("MSF-Core-Port"),      optional("MSF-RTCP-Mux")};
inline constexpr AvpRule kMsfSessionCountersRules[] = {
    one("Media-Component-Number"),     optional("MSF-Packets-Unprotected"),
    optional("MSF-Packets-Protected"), optional("MSF-Auth-Failures"),
    optional("MSF-Replay-Drops"),      optional("MSF-Bytes-From-UE"),
    optional("MSF-Bytes-To-UE"),       optional("MSF-Messages-From-UE"),
    optional("MSF-Messages-To-UE")};
// Media-Component-Number absent: the PSK of the AAR's only MSRP component.
inline constexpr AvpRule kMsfMsrpProtectionRules[] = {
    optional("Media-Component-Number"), one("MSF-TLS-PSK-Identity"), one("MSF-TLS-PSK")};
inline constexpr AvpRule kMsfMsrpRelayRules[] = {
    one("Media-Component-Number"), one("MSF-MSRP-Access-Path"), one("MSF-MSRP-Core-Path")};

// Failed-AVP (§7.5) holds whatever AVP failed: its contents are not checked. Grouped AVPs not
// listed have no rules on their contents.
inline constexpr GroupRules kGroupRules[] = {
    {avp_index_named("Proxy-Info"), kProxyInfoRules},
    {avp_index_named("Vendor-Specific-Application-Id"), kVendorSpecificApplicationIdRules},
    {avp_index_named("Experimental-Result"), kExperimentalResultRules},
    {avp_index_named("Subscription-Id"), kSubscriptionIdRules},
    {avp_index_named("Media-Sub-Component"), kMediaSubComponentRules},
    {avp_index_named("Media-Component-Description"), kMediaComponentDescriptionRules},
    {avp_index_named("Access-Network-Charging-Identifier"), kAccessNetworkChargingIdentifierRules},
    {avp_index_named("Flows"), kFlowsRules},
    {avp_index_named("Supported-Features"), kSupportedFeaturesRules},
    {avp_index_named("OC-Supported-Features"), kOcSupportedFeaturesRules},
    {avp_index_named("OC-OLR"), kOcOlrRules},
    {avp_index_named("MSF-Media-Protection"), kMsfMediaProtectionRules},
    {avp_index_named("MSF-Media-Address"), kMsfMediaAddressRules},
    {avp_index_named("MSF-Session-Counters"), kMsfSessionCountersRules},
    {avp_index_named("MSF-MSRP-Protection"), kMsfMsrpProtectionRules},
    {avp_index_named("MSF-MSRP-Relay"), kMsfMsrpRelayRules},
};

// ---- The command table ----

// RFC 6733 §5.3.1. Kamailio 5.6's cdp sends a CER without Host-IP-Address when getsockname()
// fails, so the 1* of the RFC is relaxed to *; the same code path builds its CEA.
inline constexpr AvpRule kCerRules[] = {
    one("Origin-Host"),  one("Origin-Realm"),         one("Vendor-Id"),
    one("Product-Name"), optional("Origin-State-Id"), optional("Firmware-Revision")};
// RFC 6733 §5.3.2
inline constexpr AvpRule kCeaRules[] = {
    one("Result-Code"),        one("Origin-Host"),     one("Origin-Realm"),
    one("Vendor-Id"),          one("Product-Name"),    optional("Origin-State-Id"),
    optional("Error-Message"), optional("Failed-AVP"), optional("Firmware-Revision")};
// RFC 6733 §5.5.1, §5.5.2
inline constexpr AvpRule kDwrRules[] = {one("Origin-Host"), one("Origin-Realm"),
                                        optional("Origin-State-Id")};
inline constexpr AvpRule kDwaRules[] = {one("Result-Code"),     one("Origin-Host"),
                                        one("Origin-Realm"),    optional("Error-Message"),
                                        optional("Failed-AVP"), optional("Origin-State-Id")};
// RFC 6733 §5.4.1, §5.4.2. Kamailio 5.6's cdp answers a DPR without Result-Code (Snd_DPA).
inline constexpr AvpRule kDprRules[] = {one("Origin-Host"), one("Origin-Realm"),
                                        one("Disconnect-Cause")};
inline constexpr AvpRule kDpaRules[] = {optional("Result-Code"), one("Origin-Host"),
                                        one("Origin-Realm"), optional("Error-Message"),
                                        optional("Failed-AVP")};
// TS 29.214 §5.6.1. The Rx AAR has no Auth-Request-Type (the NASREQ AAR of RFC 7155 does), and
// Kamailio does not send one.
inline constexpr AvpRule kAarRules[] = {one("Session-Id"),
                                        one("Auth-Application-Id"),
                                        one("Origin-Host"),
                                        one("Origin-Realm"),
                                        one("Destination-Realm"),
                                        optional("Destination-Host"),
                                        optional("IP-Domain-Id"),
                                        optional("Auth-Session-State"),
                                        optional("AF-Application-Identifier"),
                                        optional("Service-Info-Status"),
                                        optional("AF-Charging-Identifier"),
                                        optional("SIP-Forking-Indication"),
                                        optional("Reservation-Priority"),
                                        optional("Framed-IP-Address"),
                                        optional("Framed-IPv6-Prefix"),
                                        optional("Called-Station-Id"),
                                        optional("Rx-Request-Type"),
                                        optional("Origin-State-Id"),
                                        optional("DRMP"),
                                        optional("OC-Supported-Features")};
// TS 29.214 §5.6.2. Result-Code and Experimental-Result are each optional (one of them is sent).
inline constexpr AvpRule kAaaRules[] = {one("Session-Id"),
                                        one("Auth-Application-Id"),
                                        one("Origin-Host"),
                                        one("Origin-Realm"),
                                        optional("Result-Code"),
                                        optional("Experimental-Result"),
                                        optional("Auth-Session-State"),
                                        optional("Access-Network-Charging-Address"),
                                        optional("Acceptable-Service-Info"),
                                        optional("IP-CAN-Type"),
                                        optional("RAT-Type"),
                                        optional("Error-Message"),
                                        optional("Error-Reporting-Host"),
                                        optional("Failed-AVP"),
                                        optional("Origin-State-Id"),
                                        optional("DRMP"),
                                        optional("OC-Supported-Features"),
                                        optional("OC-OLR")};
// TS 29.214 §5.6.4, §5.6.5 (RFC 6733 §8.4.1, §8.4.2)
inline constexpr AvpRule kStrRules[] = {one("Session-Id"),
                                        one("Origin-Host"),
                                        one("Origin-Realm"),
                                        one("Destination-Realm"),
                                        one("Auth-Application-Id"),
                                        one("Termination-Cause"),
                                        optional("Destination-Host"),
                                        optional("Origin-State-Id"),
                                        optional("DRMP"),
                                        optional("OC-Supported-Features")};
inline constexpr AvpRule kStaRules[] = {
    one("Session-Id"),         one("Origin-Host"),
    one("Origin-Realm"),       optional("Result-Code"),
    optional("Error-Message"), optional("Error-Reporting-Host"),
    optional("Failed-AVP"),    optional("Origin-State-Id"),
    optional("DRMP"),          optional("OC-Supported-Features"),
    optional("OC-OLR")};
// TS 29.214 §5.6.3, §5.6.4 (the Rx RAR has no Re-Auth-Request-Type; RFC 6733 §8.3.1 does)
inline constexpr AvpRule kRarRules[] = {one("Session-Id"),
                                        one("Origin-Host"),
                                        one("Origin-Realm"),
                                        one("Destination-Realm"),
                                        one("Destination-Host"),
                                        one("Auth-Application-Id"),
                                        at_least_one("Specific-Action"),
                                        optional("Abort-Cause"),
                                        optional("Origin-State-Id"),
                                        optional("DRMP"),
                                        optional("OC-Supported-Features")};
inline constexpr AvpRule kRaaRules[] = {one("Session-Id"),
                                        one("Origin-Host"),
                                        one("Origin-Realm"),
                                        optional("Result-Code"),
                                        optional("Experimental-Result"),
                                        optional("Error-Message"),
                                        optional("Error-Reporting-Host"),
                                        optional("Failed-AVP"),
                                        optional("Origin-State-Id"),
                                        optional("DRMP"),
                                        optional("OC-Supported-Features"),
                                        optional("OC-OLR")};
// TS 29.214 §5.6.6, §5.6.7
inline constexpr AvpRule kAsrRules[] = {one("Session-Id"),       one("Origin-Host"),
                                        one("Origin-Realm"),     one("Destination-Realm"),
                                        one("Destination-Host"), one("Auth-Application-Id"),
                                        one("Abort-Cause"),      optional("Origin-State-Id"),
                                        optional("DRMP"),        optional("OC-Supported-Features")};
inline constexpr AvpRule kAsaRules[] = {
    one("Session-Id"),         one("Origin-Host"),
    one("Origin-Realm"),       optional("Result-Code"),
    optional("Error-Message"), optional("Error-Reporting-Host"),
    optional("Failed-AVP"),    optional("Origin-State-Id"),
    optional("DRMP"),          optional("OC-Supported-Features"),
    optional("OC-OLR")};
// RFC 6733 §7.2: an answer with the E bit follows this CCF instead of its command's.
inline constexpr AvpRule kProtocolErrorAnswerRules[] = {optional("Session-Id"),
                                                        one("Origin-Host"),
                                                        one("Origin-Realm"),
                                                        one("Result-Code"),
                                                        optional("Origin-State-Id"),
                                                        optional("Error-Message"),
                                                        optional("Error-Reporting-Host"),
                                                        optional("Failed-AVP"),
                                                        optional("Experimental-Result")};

inline constexpr CommandDef kCommands[] = {
    {257, "Capabilities-Exchange", "CER", "CEA", app::base, false, kCerRules, kCeaRules},
    {280, "Device-Watchdog", "DWR", "DWA", app::base, false, kDwrRules, kDwaRules},
    {282, "Disconnect-Peer", "DPR", "DPA", app::base, false, kDprRules, kDpaRules},
    {265, "AA", "AAR", "AAA", app::rx, true, kAarRules, kAaaRules},
    {275, "Session-Termination", "STR", "STA", app::rx, true, kStrRules, kStaRules},
    {258, "Re-Auth", "RAR", "RAA", app::rx, true, kRarRules, kRaaRules},
    {274, "Abort-Session", "ASR", "ASA", app::rx, true, kAsrRules, kAsaRules},
};
}  // namespace table

using table::kCommands;
using table::kGroupRules;
using table::kProtocolErrorAnswerRules;

// The rules for the contents of a grouped AVP (empty when it has none).
std::span<const AvpRule> group_rules(const AvpDef& group);

consteval const CommandDef& command_named(std::string_view request_abbrev) {
    for (const CommandDef& c : kCommands)
        if (c.request_abbrev == request_abbrev) return c;
    throw "no command with that abbreviation in kCommands";
}

// Named handles, by the abbreviation of the request: Message::request(cmd::aar).
namespace cmd {
inline constexpr const CommandDef& cer = command_named("CER");
inline constexpr const CommandDef& dwr = command_named("DWR");
inline constexpr const CommandDef& dpr = command_named("DPR");
inline constexpr const CommandDef& aar = command_named("AAR");
inline constexpr const CommandDef& str = command_named("STR");
inline constexpr const CommandDef& rar = command_named("RAR");
inline constexpr const CommandDef& asr = command_named("ASR");
}  // namespace cmd

const CommandDef* find_command(uint32_t code);

// ---- Result codes (RFC 6733 §7.1, RFC 4006 §9, TS 29.214 §5.5) ----

enum class ResultCode : uint32_t {
    multi_round_auth = 1001,
    success = 2001,
    limited_success = 2002,
    command_unsupported = 3001,
    unable_to_deliver = 3002,
    realm_not_served = 3003,
    too_busy = 3004,
    loop_detected = 3005,
    redirect_indication = 3006,
    application_unsupported = 3007,
    invalid_hdr_bits = 3008,
    invalid_avp_bits = 3009,
    unknown_peer = 3010,
    authentication_rejected = 4001,
    out_of_space = 4002,
    election_lost = 4003,
    avp_unsupported = 5001,
    unknown_session_id = 5002,
    authorization_rejected = 5003,
    invalid_avp_value = 5004,
    missing_avp = 5005,
    resources_exceeded = 5006,
    contradicting_avps = 5007,
    avp_not_allowed = 5008,
    avp_occurs_too_many_times = 5009,
    no_common_application = 5010,
    unsupported_version = 5011,
    unable_to_comply = 5012,
    invalid_bit_in_header = 5013,
    invalid_avp_length = 5014,
    invalid_message_length = 5015,
    invalid_avp_bit_combo = 5016,
    no_common_security = 5017,
    user_unknown = 5030,  // RFC 4006 §9.1
};

struct ResultCodeInfo {
    uint32_t code;
    std::string_view name;
    uint32_t vendor = kVendorIetf;  // 10415: an Experimental-Result-Code of TS 29.214 §5.5
};

inline constexpr ResultCodeInfo kResultCodes[] = {
    {1001, "DIAMETER_MULTI_ROUND_AUTH"},
    {2001, "DIAMETER_SUCCESS"},
    {2002, "DIAMETER_LIMITED_SUCCESS"},
    {3001, "DIAMETER_COMMAND_UNSUPPORTED"},
    {3002, "DIAMETER_UNABLE_TO_DELIVER"},
    {3003, "DIAMETER_REALM_NOT_SERVED"},
    {3004, "DIAMETER_TOO_BUSY"},
    {3005, "DIAMETER_LOOP_DETECTED"},
    {3006, "DIAMETER_REDIRECT_INDICATION"},
    {3007, "DIAMETER_APPLICATION_UNSUPPORTED"},
    {3008, "DIAMETER_INVALID_HDR_BITS"},
    {3009, "DIAMETER_INVALID_AVP_BITS"},
    {3010, "DIAMETER_UNKNOWN_PEER"},
    {4001, "DIAMETER_AUTHENTICATION_REJECTED"},
    {4002, "DIAMETER_OUT_OF_SPACE"},
    {4003, "ELECTION_LOST"},
    {5001, "DIAMETER_AVP_UNSUPPORTED"},
    {5002, "DIAMETER_UNKNOWN_SESSION_ID"},
    {5003, "DIAMETER_AUTHORIZATION_REJECTED"},
    {5004, "DIAMETER_INVALID_AVP_VALUE"},
    {5005, "DIAMETER_MISSING_AVP"},
    {5006, "DIAMETER_RESOURCES_EXCEEDED"},
    {5007, "DIAMETER_CONTRADICTING_AVPS"},
    {5008, "DIAMETER_AVP_NOT_ALLOWED"},
    {5009, "DIAMETER_AVP_OCCURS_TOO_MANY_TIMES"},
    {5010, "DIAMETER_NO_COMMON_APPLICATION"},
    {5011, "DIAMETER_UNSUPPORTED_VERSION"},
    {5012, "DIAMETER_UNABLE_TO_COMPLY"},
    {5013, "DIAMETER_INVALID_BIT_IN_HEADER"},
    {5014, "DIAMETER_INVALID_AVP_LENGTH"},
    {5015, "DIAMETER_INVALID_MESSAGE_LENGTH"},
    {5016, "DIAMETER_INVALID_AVP_BIT_COMBO"},
    {5017, "DIAMETER_NO_COMMON_SECURITY"},
    {5030, "DIAMETER_USER_UNKNOWN"},
    // TS 29.214 §5.5: Experimental-Result-Code values under Vendor-Id 10415.
    {4261, "REQUESTED_SERVICE_TEMPORARILY_NOT_AUTHORIZED", kVendor3gpp},
    {5061, "INVALID_SERVICE_INFORMATION", kVendor3gpp},
    {5062, "FILTER_RESTRICTIONS", kVendor3gpp},
    {5063, "REQUESTED_SERVICE_NOT_AUTHORIZED", kVendor3gpp},
    {5064, "DUPLICATED_AF_SESSION", kVendor3gpp},
    {5065, "IP-CAN_SESSION_NOT_AVAILABLE", kVendor3gpp},
    {5066, "UNAUTHORIZED_NON_EMERGENCY_SESSION", kVendor3gpp},
    {5067, "UNAUTHORIZED_SPONSORED_DATA_CONNECTIVITY", kVendor3gpp},
    {5068, "TEMPORARY_NETWORK_FAILURE", kVendor3gpp},
};

// "DIAMETER_SUCCESS", or empty for a code not in the table. `vendor` 0 names Result-Code values,
// 10415 the Rx Experimental-Result-Code values.
std::string_view result_code_name(uint32_t code, uint32_t vendor = kVendorIetf);
inline std::string_view result_code_name(ResultCode code) {
    return result_code_name(static_cast<uint32_t>(code));
}
// RFC 6733 §7.1: 1xxx informational, 2xxx success, 3xxx protocol errors (answered with the E
// bit), 4xxx transient failures, 5xxx permanent failures.
inline bool is_protocol_error(uint32_t code) { return code / 1000 == 3; }

// "Session-Id (263)", "Media-Component-Number (518/10415)", "AVP 9999/12345" when unknown.
std::string describe_avp(uint32_t code, uint32_t vendor_id, uint32_t msf_vendor_id = kMsfVendorId);

}  // namespace msf::diameter
