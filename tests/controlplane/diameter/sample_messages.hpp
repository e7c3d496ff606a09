// One realistic message of every command, request and answer, built with the builder: what the
// P-CSCF and msf-controld exchange. Shared by the codec tests, the pretty-printer test, the seed
// corpus generator and the benchmark.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/diameter/message.hpp"

namespace msf::diameter::testing {

inline net::IpAddr ip(std::string_view text) { return *net::IpAddr::parse(text); }

inline std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

inline std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const uint8_t b : bytes) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
    return out;
}

inline std::vector<uint8_t> from_hex(std::string_view hex) {
    std::vector<uint8_t> out;
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    return out;
}

inline constexpr std::string_view kPcscfHost = "pcscf.ims.example.net";
inline constexpr std::string_view kPcscfRealm = "ims.example.net";
inline constexpr std::string_view kMsfHost = "msf.ims.example.net";
inline constexpr std::string_view kMsfRealm = "ims.example.net";
inline constexpr std::string_view kSessionId = "pcscf.ims.example.net;1700000000;42";

inline Message with_ids(Message m, uint32_t hop_by_hop, uint32_t end_to_end) {
    m.set_hop_by_hop(hop_by_hop).set_end_to_end(end_to_end);
    return m;
}

inline Message sample_cer() {
    Message m = with_ids(Message::request(cmd::cer), 0x11110001, 0x22220001);
    m.add(avp::origin_host, kPcscfHost)
        .add(avp::origin_realm, kPcscfRealm)
        .add(avp::host_ip_address, ip("192.0.2.10"))
        .add(avp::vendor_id, 0u)
        .add(avp::product_name, "msf-pcscf")
        .add(avp::origin_state_id, 1700000000u)
        .add(avp::supported_vendor_id, kVendor3gpp)
        .add(avp::auth_application_id, app::rx);
    m.add_group(avp::vendor_specific_application_id)
        .add(avp::vendor_id, kVendor3gpp)
        .add(avp::auth_application_id, app::rx);
    m.add(avp::firmware_revision, 1u);
    return m;
}

inline Message sample_cea() {
    Message m = Message::answer_to(sample_cer());
    m.add(avp::result_code, 2001u)
        .add(avp::origin_host, kMsfHost)
        .add(avp::origin_realm, kMsfRealm)
        .add(avp::host_ip_address, ip("2001:db8::53"))
        .add(avp::vendor_id, kMsfVendorId)
        .add(avp::product_name, "msf-controld")
        .add(avp::supported_vendor_id, kVendor3gpp)
        .add(avp::supported_vendor_id, kMsfVendorId);
    m.add_group(avp::vendor_specific_application_id)
        .add(avp::vendor_id, kVendor3gpp)
        .add(avp::auth_application_id, app::rx);
    return m;
}

inline Message sample_dwr() {
    Message m = with_ids(Message::request(cmd::dwr), 0x11110002, 0x22220002);
    m.add(avp::origin_host, kPcscfHost)
        .add(avp::origin_realm, kPcscfRealm)
        .add(avp::origin_state_id, 1700000000u);
    return m;
}

inline Message sample_dwa() {
    Message m = Message::answer_to(sample_dwr());
    m.add(avp::result_code, 2001u)
        .add(avp::origin_host, kMsfHost)
        .add(avp::origin_realm, kMsfRealm);
    return m;
}

inline Message sample_dpr() {
    Message m = with_ids(Message::request(cmd::dpr), 0x11110003, 0x22220003);
    m.add(avp::origin_host, kPcscfHost)
        .add(avp::origin_realm, kPcscfRealm)
        .add(avp::disconnect_cause, 0u);
    return m;
}

inline Message sample_dpa() {
    Message m = Message::answer_to(sample_dpr());
    m.add(avp::result_code, 2001u)
        .add(avp::origin_host, kMsfHost)
        .add(avp::origin_realm, kMsfRealm);
    return m;
}

// The media section the P-CSCF reports in Codec-Data (TS 29.214 §5.3.16), as Kamailio writes it.
inline constexpr std::string_view kCodecData =
    "uplink\noffer\nm=audio 49170 RTP/SAVP 0 8 101\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n";

// An AAR for one audio call: two flows (RTP and RTCP) in one media component, and the UE->network
// key pushed to the MSF.
inline Message sample_aar() {
    Message m = with_ids(Message::request(cmd::aar), 0x11110004, 0x22220004);
    m.add(avp::session_id, kSessionId)
        .add(avp::auth_application_id, app::rx)
        .add(avp::origin_host, kPcscfHost)
        .add(avp::origin_realm, kPcscfRealm)
        .add(avp::destination_realm, kMsfRealm);
    m.add_group(avp::vendor_specific_application_id)
        .add(avp::vendor_id, kVendor3gpp)
        .add(avp::auth_application_id, app::rx);
    m.add(avp::af_application_identifier, "IMS Services").add(avp::service_info_status, 0u);
    AvpWriter mcd = m.add_group(avp::media_component_description);
    mcd.add(avp::media_component_number, 1u);
    AvpWriter rtp = mcd.add_group(avp::media_sub_component);
    rtp.add(avp::flow_number, 1u)
        .add(avp::flow_description, "permit out 17 from 198.51.100.7 30000 to 192.0.2.2 49170")
        .add(avp::flow_description, "permit in 17 from 192.0.2.2 49170 to 198.51.100.7 30000");
    AvpWriter rtcp = mcd.add_group(avp::media_sub_component);
    rtcp.add(avp::flow_number, 2u)
        .add(avp::flow_description, "permit out 17 from 198.51.100.7 30001 to 192.0.2.2 49171")
        .add(avp::flow_description, "permit in 17 from 192.0.2.2 49171 to 198.51.100.7 30001")
        .add(avp::flow_usage, 1u);
    mcd.add(avp::media_type, 0u)
        .add(avp::max_requested_bandwidth_ul, 64000u)
        .add(avp::max_requested_bandwidth_dl, 64000u)
        .add(avp::flow_status, 2u)
        .add(avp::codec_data, kCodecData);
    m.add_group(avp::subscription_id)
        .add(avp::subscription_id_type, 2u)
        .add(avp::subscription_id_data, "sip:alice@ims.example.net");
    m.add(avp::framed_ip_address, ip("192.0.2.2"));
    static constexpr uint8_t kKey[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                         0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
    static constexpr uint8_t kSalt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                          0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
    m.add_group(avp::msf_media_protection)
        .add(avp::msf_direction, 0u)
        .add(avp::media_component_number, 1u)
        .add(avp::msf_crypto_suite, "AES_CM_128_HMAC_SHA1_80")
        .add(avp::msf_master_key, std::span<const uint8_t>(kKey))
        .add(avp::msf_master_salt, std::span<const uint8_t>(kSalt))
        .add(avp::msf_key_lifetime, uint64_t{1} << 31);
    return m;
}

inline Message sample_aaa() {
    Message m = Message::answer_to(sample_aar());
    m.add(avp::auth_application_id, app::rx)
        .add(avp::origin_host, kMsfHost)
        .add(avp::origin_realm, kMsfRealm)
        .add(avp::result_code, 2001u);
    m.add_group(avp::msf_media_address)
        .add(avp::media_component_number, 1u)
        .add(avp::msf_access_address, ip("203.0.113.5"))
        .add(avp::msf_access_port, 40000u)
        .add(avp::msf_core_address, ip("2001:db8:c0::5"))
        .add(avp::msf_core_port, 50000u)
        .add(avp::msf_rtcp_mux, 0u);
    m.add_group(avp::msf_media_protection)
        .add(avp::msf_direction, 1u)
        .add(avp::msf_sdes_crypto,
             "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    return m;
}

inline Message sample_str() {
    Message m = with_ids(Message::request(cmd::str), 0x11110005, 0x22220005);
    m.add(avp::session_id, kSessionId)
        .add(avp::origin_host, kPcscfHost)
        .add(avp::origin_realm, kPcscfRealm)
        .add(avp::destination_realm, kMsfRealm)
        .add(avp::auth_application_id, app::rx)
        .add(avp::termination_cause, 1u);
    return m;
}

inline Message sample_sta() {
    Message m = Message::answer_to(sample_str());
    m.add(avp::origin_host, kMsfHost)
        .add(avp::origin_realm, kMsfRealm)
        .add(avp::result_code, 2001u);
    m.add_group(avp::msf_session_counters)
        .add(avp::media_component_number, 1u)
        .add(avp::msf_packets_unprotected, uint64_t{15000})
        .add(avp::msf_packets_protected, uint64_t{14998})
        .add(avp::msf_auth_failures, uint64_t{2})
        .add(avp::msf_replay_drops, uint64_t{0})
        .add(avp::msf_bytes_from_ue, uint64_t{2580000})
        .add(avp::msf_bytes_to_ue, uint64_t{2579656});
    return m;
}

inline Message sample_rar() {
    Message m = with_ids(Message::request(cmd::rar), 0x33330001, 0x44440001);
    m.add(avp::session_id, kSessionId)
        .add(avp::origin_host, kMsfHost)
        .add(avp::origin_realm, kMsfRealm)
        .add(avp::destination_realm, kPcscfRealm)
        .add(avp::destination_host, kPcscfHost)
        .add(avp::auth_application_id, app::rx)
        .add(avp::specific_action, 2u)
        .add(avp::msf_event_cause, 1u);
    return m;
}

inline Message sample_raa() {
    Message m = Message::answer_to(sample_rar());
    m.add(avp::origin_host, kPcscfHost)
        .add(avp::origin_realm, kPcscfRealm)
        .add(avp::result_code, 2001u);
    return m;
}

inline Message sample_asr() {
    Message m = with_ids(Message::request(cmd::asr), 0x33330002, 0x44440002);
    m.add(avp::session_id, kSessionId)
        .add(avp::origin_host, kMsfHost)
        .add(avp::origin_realm, kMsfRealm)
        .add(avp::destination_realm, kPcscfRealm)
        .add(avp::destination_host, kPcscfHost)
        .add(avp::auth_application_id, app::rx)
        .add(avp::abort_cause, 0u)
        .add(avp::msf_event_cause, 3u);
    return m;
}

inline Message sample_asa() {
    Message m = Message::answer_to(sample_asr());
    m.add(avp::origin_host, kPcscfHost)
        .add(avp::origin_realm, kPcscfRealm)
        .add(avp::result_code, 2001u);
    return m;
}

struct NamedMessage {
    std::string_view name;
    Message message;
};

// Request then answer of each command, in kCommands order.
inline std::vector<NamedMessage> sample_messages() {
    return {{"CER", sample_cer()}, {"CEA", sample_cea()}, {"DWR", sample_dwr()},
            {"DWA", sample_dwa()}, {"DPR", sample_dpr()}, {"DPA", sample_dpa()},
            {"AAR", sample_aar()}, {"AAA", sample_aaa()}, {"STR", sample_str()},
            {"STA", sample_sta()}, {"RAR", sample_rar()}, {"RAA", sample_raa()},
            {"ASR", sample_asr()}, {"ASA", sample_asa()}};
}

}  // namespace msf::diameter::testing
