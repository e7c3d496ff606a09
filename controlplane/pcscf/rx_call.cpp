#include "controlplane/pcscf/rx_call.hpp"

#include "controlplane/pcscf/sdp_rewrite.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::pcscf {

namespace avp = diameter::avp;
using diameter::Avp;
using diameter::Message;
using keying::ErrorCode;
using keying::Expected;
using keying::make_error;

namespace {

// TS 29.214 §5.3.19 Media-Type AUDIO, §5.3.12 Flow-Usage RTCP, §5.3.50 Rx-Request-Type.
constexpr uint32_t kMediaTypeAudio = 0;
constexpr uint32_t kMediaTypeMessage = 6;
constexpr uint32_t kProtocolTcp = 6;
constexpr uint32_t kFlowUsageRtcp = 1;
constexpr uint32_t kRxRequestInitial = 0;
// MSF-Direction (our vendor AVP, dictionary.hpp).
constexpr uint32_t kDirectionUeToNetwork = 0;
constexpr uint32_t kDirectionNetworkToUe = 1;
constexpr uint32_t kProtocolUdp = 17;

// TS 29.214 §5.3.8: "in" is from the UE, "out" toward it; both name source then destination.
std::string flow(bool from_ue, const net::IpAddr& ue, uint16_t ue_port, const net::IpAddr& core, uint16_t core_port,
                 uint32_t protocol = kProtocolUdp) {
    const std::string u = ue.to_string() + " " + std::to_string(ue_port);
    const std::string c = core.to_string() + " " + std::to_string(core_port);
    return from_ue ? "permit in " + std::to_string(protocol) + " from " + u + " to " + c
                   : "permit out " + std::to_string(protocol) + " from " + c + " to " + u;
}

Expected<void> check_key(const keying::MediaKeys& keys, std::string_view what) {
    const auto& info = srtp::suite_info(keys.suite);
    if (keys.master_key.size() != info.key_len || keys.master_salt.size() != info.salt_len)
        return make_error(ErrorCode::invalid_argument,
                          std::string(what) + " key is " + std::to_string(keys.master_key.size()) + "+" +
                              std::to_string(keys.master_salt.size()) + " bytes, " + std::string(info.name) +
                              " needs " + std::to_string(info.key_len) + "+" + std::to_string(info.salt_len));
    return {};
}

void add_protection(diameter::AvpWriter& mcd, uint32_t direction, const keying::MediaKeys& keys) {
    mcd.add_group(avp::msf_media_protection)
        .add(avp::msf_direction, direction)
        .add(avp::msf_crypto_suite, srtp::suite_info(keys.suite).name)
        .add(avp::msf_master_key, std::span<const uint8_t>(keys.master_key))
        .add(avp::msf_master_salt, std::span<const uint8_t>(keys.master_salt));
}

// Result-Code, or Experimental-Result {Vendor-Id, Experimental-Result-Code} (RFC 6733 §7.6).
Expected<std::pair<uint32_t, bool>> result_of(const Message& answer) {
    if (auto code = answer.find(avp::result_code)) {
        if (auto value = code->unsigned32()) return std::pair{*value, false};
    }
    if (auto experimental = answer.find(avp::experimental_result)) {
        if (auto code = experimental->find(avp::experimental_result_code)) {
            if (auto value = code->unsigned32()) return std::pair{*value, true};
        }
    }
    return make_error(ErrorCode::malformed, answer.name() + " has neither Result-Code nor Experimental-Result");
}

Expected<void> check_answer(const Message& answer, uint32_t command_code) {
    if (answer.is_request() || answer.command_code() != command_code)
        return make_error(ErrorCode::malformed, "expected the answer of command " + std::to_string(command_code) +
                                                    ", got " + answer.name());
    return {};
}

std::string error_message_of(const Message& answer) {
    auto text = answer.find(avp::error_message);
    if (!text) return {};
    std::string out(text->text().substr(0, 256));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

// The header-only suite table (srtp::suite_from_name lives in the dataplane's SRTP library).
std::optional<srtp::Suite> suite_named(std::string_view name) {
    for (const auto& info : srtp::kSuites)
        if (info.name == name) return info.suite;
    return std::nullopt;
}

Expected<MsfMediaAddress> read_media_address(const Avp& group) {
    MsfMediaAddress out;
    const auto number = group.find(avp::media_component_number);
    const auto access = group.find(avp::msf_access_address);
    const auto access_port = group.find(avp::msf_access_port);
    const auto core = group.find(avp::msf_core_address);
    const auto core_port = group.find(avp::msf_core_port);
    if (!number || !number->unsigned32()) return make_error(ErrorCode::malformed, "MSF-Media-Address without Media-Component-Number");
    out.component = *number->unsigned32();
    const std::string where = "MSF-Media-Address of component " + std::to_string(out.component);
    if (!access || !access->address() || !access_port || !access_port->unsigned32())
        return make_error(ErrorCode::malformed, where + " lacks MSF-Access-Address or MSF-Access-Port");
    if (!core || !core->address() || !core_port || !core_port->unsigned32())
        return make_error(ErrorCode::malformed, where + " lacks MSF-Core-Address or MSF-Core-Port");
    if (*access_port->unsigned32() == 0 || *access_port->unsigned32() > 65535 || *core_port->unsigned32() == 0 ||
        *core_port->unsigned32() > 65535)
        return make_error(ErrorCode::malformed, where + " has a port outside 1..65535");
    out.access = net::Endpoint{*access->address(), static_cast<uint16_t>(*access_port->unsigned32())};
    out.core = net::Endpoint{*core->address(), static_cast<uint16_t>(*core_port->unsigned32())};
    if (auto mux = group.find(avp::msf_rtcp_mux)) out.rtcp_mux = mux->enumerated() == 1u;
    return out;
}

Expected<GeneratedToUeKey> read_generated_key(const Avp& group) {
    GeneratedToUeKey out;
    const auto number = group.find(avp::media_component_number);
    const auto suite_avp = group.find(avp::msf_crypto_suite);
    const auto key = group.find(avp::msf_master_key);
    const auto salt = group.find(avp::msf_master_salt);
    if (!number || !number->unsigned32())
        return make_error(ErrorCode::malformed, "MSF-Media-Protection NETWORK_TO_UE without Media-Component-Number");
    out.component = *number->unsigned32();
    const std::string where = "MSF-Media-Protection NETWORK_TO_UE of component " + std::to_string(out.component);
    if (!suite_avp || !key || !salt)
        return make_error(ErrorCode::malformed, where + " lacks MSF-Crypto-Suite, MSF-Master-Key or MSF-Master-Salt");
    const auto suite = suite_named(suite_avp->text());
    if (!suite) return make_error(ErrorCode::unknown_suite, where + " names an unknown suite");
    out.keys = keying::MediaKeys(*suite, std::vector<uint8_t>(key->data().begin(), key->data().end()),
                                 std::vector<uint8_t>(salt->data().begin(), salt->data().end()));
    if (auto ok = check_key(out.keys, where); !ok) return ok.error();
    return out;
}

}  // namespace

std::string make_session_id(std::string_view origin_host, uint32_t high, uint32_t low) {
    return std::string(origin_host) + ";" + std::to_string(high) + ";" + std::to_string(low);
}

Expected<Message> build_aar(const AarRequest& request) {
    if (request.components.empty() && request.msrp_components.empty())
        return make_error(ErrorCode::invalid_argument, "AAR: no media component");
    Message aar = Message::request(diameter::cmd::aar, request.msf_vendor_id);
    // Session-Id first (RFC 6733 §8.8), then the §5.6.1 CCF order.
    aar.add(avp::session_id, request.session_id)
        .add(avp::auth_application_id, diameter::app::rx)
        .add(avp::origin_host, request.origin_host)
        .add(avp::origin_realm, request.origin_realm)
        .add(avp::destination_realm, request.destination_realm);
    if (!request.destination_host.empty()) aar.add(avp::destination_host, request.destination_host);
    if (request.ue_ip.is_v4()) {
        aar.add(avp::framed_ip_address, request.ue_ip);
    } else if (request.ue_ip.is_v6()) {
        aar.add(avp::framed_ipv6_prefix, diameter::Ipv6Prefix{request.ue_ip, 128});
    }
    aar.add(avp::rx_request_type, kRxRequestInitial);

    for (const MediaComponent& c : request.components) {
        if (auto ok = check_key(c.from_ue, "UE->network"); !ok) return ok.error();
        if (c.to_ue) {
            if (auto ok = check_key(*c.to_ue, "network->UE"); !ok) return ok.error();
        }
        const bool sdes = request.keys_in == KeysIn::sdes;
        auto codec = codec_data_for(request.ue_offer_sdp, request.core_answer_sdp, c.media_index,
                                    sdes ? &c.from_ue : nullptr, sdes && c.to_ue ? &*c.to_ue : nullptr);
        if (!codec) return codec.error();

        auto mcd = aar.add_group(avp::media_component_description);
        mcd.add(avp::media_component_number, c.number).add(avp::media_type, kMediaTypeAudio);
        mcd.add(avp::codec_data, codec->uplink_offer).add(avp::codec_data, codec->downlink_answer);
        keying::wipe(codec->uplink_offer);
        keying::wipe(codec->downlink_answer);
        auto rtp = mcd.add_group(avp::media_sub_component);
        rtp.add(avp::flow_number, 1u)
            .add(avp::flow_description, flow(true, c.ue.addr, c.ue.port, c.core.addr, c.core.port))
            .add(avp::flow_description, flow(false, c.ue.addr, c.ue.port, c.core.addr, c.core.port));
        // RTCP on RTP port + 1 (RFC 3550 §11), its own sub-component (TS 29.214 §5.3.33).
        auto rtcp = mcd.add_group(avp::media_sub_component);
        rtcp.add(avp::flow_number, 2u)
            .add(avp::flow_usage, kFlowUsageRtcp)
            .add(avp::flow_description, flow(true, c.ue.addr, static_cast<uint16_t>(c.ue.port + 1), c.core.addr,
                                             static_cast<uint16_t>(c.core.port + 1)))
            .add(avp::flow_description, flow(false, c.ue.addr, static_cast<uint16_t>(c.ue.port + 1), c.core.addr,
                                             static_cast<uint16_t>(c.core.port + 1)));
        if (!sdes) {
            add_protection(mcd, kDirectionUeToNetwork, c.from_ue);
            if (c.to_ue) add_protection(mcd, kDirectionNetworkToUe, *c.to_ue);
        }
    }
    for (const MsrpComponent& m : request.msrp_components) {
        if (m.psk_identity.empty() || m.psk.size() < 16 || m.psk.size() > 64)
            return make_error(ErrorCode::invalid_argument, "MSRP component " + std::to_string(m.number) +
                                                               ": needs a PSK identity and a 16..64-byte PSK");
        auto codec = codec_data_for(request.ue_offer_sdp, request.core_answer_sdp, m.media_index, nullptr, nullptr);
        if (!codec) return codec.error();
        auto mcd = aar.add_group(avp::media_component_description);
        mcd.add(avp::media_component_number, m.number).add(avp::media_type, kMediaTypeMessage);
        mcd.add(avp::codec_data, codec->uplink_offer).add(avp::codec_data, codec->downlink_answer);
        mcd.add_group(avp::media_sub_component)
            .add(avp::flow_number, 1u)
            .add(avp::flow_description, flow(true, m.ue.addr, m.ue.port, m.core.addr, m.core.port, kProtocolTcp))
            .add(avp::flow_description, flow(false, m.ue.addr, m.ue.port, m.core.addr, m.core.port, kProtocolTcp));
        mcd.add_group(avp::msf_msrp_protection)
            .add(avp::msf_tls_psk_identity, m.psk_identity)
            .add(avp::msf_tls_psk, std::span<const uint8_t>(m.psk));
    }
    return aar;
}

const MsfMediaAddress* AaaResult::address_of(uint32_t component) const {
    for (const MsfMediaAddress& a : addresses)
        if (a.component == component) return &a;
    return nullptr;
}

const MsrpRelay* AaaResult::msrp_relay_of(uint32_t component) const {
    for (const MsrpRelay& r : msrp_relays)
        if (r.component == component) return &r;
    return nullptr;
}

const GeneratedToUeKey* AaaResult::to_ue_key_of(uint32_t component) const {
    for (const GeneratedToUeKey& k : to_ue_keys)
        if (k.component == component) return &k;
    return nullptr;
}

std::string result_label(uint32_t code, bool experimental) {
    return (experimental ? "3GPP " : "") + std::to_string(code);
}

std::string_view result_name(uint32_t code, bool experimental) {
    return diameter::result_code_name(code, experimental ? diameter::kVendor3gpp : diameter::kVendorIetf);
}

Expected<AaaResult> read_aaa(const Message& aaa) {
    if (auto ok = check_answer(aaa, diameter::cmd::aar.code); !ok) return ok.error();
    auto result = result_of(aaa);
    if (!result) return result.error();
    AaaResult out;
    out.result_code = result->first;
    out.experimental = result->second;
    out.error_message = error_message_of(aaa);
    if (!out.success()) return out;
    for (const Avp group : aaa.find_all(avp::msf_media_address)) {
        auto address = read_media_address(group);
        if (!address) return address.error();
        out.addresses.push_back(address.value());
    }
    for (const Avp group : aaa.find_all(avp::msf_media_protection)) {
        const auto direction = group.find(avp::msf_direction);
        if (!direction || direction->enumerated() != kDirectionNetworkToUe) continue;
        auto key = read_generated_key(group);
        if (!key) return key.error();
        out.to_ue_keys.push_back(std::move(key.value()));
    }
    for (const Avp group : aaa.find_all(avp::msf_msrp_relay)) {
        const auto number = group.find(avp::media_component_number);
        const auto access = group.find(avp::msf_msrp_access_path);
        const auto core = group.find(avp::msf_msrp_core_path);
        if (!number || !number->unsigned32() || !access || access->text().empty() || !core || core->text().empty())
            return make_error(ErrorCode::malformed,
                              "MSF-MSRP-Relay lacks Media-Component-Number, MSF-MSRP-Access-Path or MSF-MSRP-Core-Path");
        out.msrp_relays.push_back({*number->unsigned32(), std::string(access->text()), std::string(core->text())});
    }
    return out;
}

Message build_str(const StrRequest& request) {
    Message str = Message::request(diameter::cmd::str, request.msf_vendor_id);
    str.add(avp::session_id, request.session_id)
        .add(avp::origin_host, request.origin_host)
        .add(avp::origin_realm, request.origin_realm)
        .add(avp::destination_realm, request.destination_realm);
    if (!request.destination_host.empty()) str.add(avp::destination_host, request.destination_host);
    str.add(avp::auth_application_id, diameter::app::rx).add(avp::termination_cause, request.termination_cause);
    return str;
}

Expected<StaResult> read_sta(const Message& sta) {
    if (auto ok = check_answer(sta, diameter::cmd::str.code); !ok) return ok.error();
    auto result = result_of(sta);
    if (!result) return result.error();
    StaResult out;
    out.result_code = result->first;
    out.experimental = result->second;
    out.error_message = error_message_of(sta);
    for (const Avp group : sta.find_all(avp::msf_session_counters)) {
        ReportedCounters c;
        const auto number = group.find(avp::media_component_number);
        if (!number || !number->unsigned32())
            return make_error(ErrorCode::malformed, "MSF-Session-Counters without Media-Component-Number");
        c.component = *number->unsigned32();
        const auto read = [&](const diameter::AvpDef& def, uint64_t& field) {
            if (auto v = group.find(def)) field = v->unsigned64().value_or(0);
        };
        read(avp::msf_packets_unprotected, c.packets_unprotected);
        read(avp::msf_packets_protected, c.packets_protected);
        read(avp::msf_auth_failures, c.auth_failures);
        read(avp::msf_replay_drops, c.replay_drops);
        read(avp::msf_bytes_from_ue, c.bytes_from_ue);
        read(avp::msf_bytes_to_ue, c.bytes_to_ue);
        read(avp::msf_messages_from_ue, c.messages_from_ue);
        read(avp::msf_messages_to_ue, c.messages_to_ue);
        out.counters.push_back(c);
    }
    return out;
}

}  // namespace msf::pcscf
