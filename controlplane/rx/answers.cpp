#include "controlplane/rx/answers.hpp"

#include "controlplane/keying/sdes.hpp"

namespace msf::rx {

namespace avp = diameter::avp;
using diameter::Message;
using diameter::ResultCode;

namespace {

// TS 29.214 §5.3.22 Specific-Action, §5.3.1 Abort-Cause.
constexpr uint32_t kIndicationOfLossOfBearer = 2;
constexpr uint32_t kBearerReleased = 0;
constexpr uint32_t kAuthorizeOnly = 0;  // Re-Auth-Request-Type, RFC 6733 §8.12
constexpr uint32_t kDirectionNetworkToUe = 1;

Message answer_start(const Message& request, const LocalIdentity& self) {
    Message answer = Message::answer_to(request);
    answer.add(avp::origin_host, self.host).add(avp::origin_realm, self.realm);
    return answer;
}

void add_auth_application(Message& m) { m.add(avp::auth_application_id, diameter::app::rx); }

// Session-Id first (RFC 6733 §8.8), then who we are and who it is for.
Message request_to(const diameter::CommandDef& command, const sessions::ControlSession& session,
                   const LocalIdentity& self, uint32_t msf_vendor_id) {
    Message m = Message::request(command, msf_vendor_id);
    m.add(avp::session_id, session.session_id)
        .add(avp::origin_host, self.host)
        .add(avp::origin_realm, self.realm)
        .add(avp::destination_realm, session.realm)
        .add(avp::destination_host, session.peer)
        .add(avp::auth_application_id, diameter::app::rx);
    return m;
}

}  // namespace

Message success_aaa(const Message& aar, const LocalIdentity& self, const sessions::ControlSession& installed) {
    Message aaa = answer_start(aar, self);
    add_auth_application(aaa);
    aaa.add(avp::result_code, static_cast<uint32_t>(ResultCode::success));
    for (const sessions::MediaStream& stream : installed.streams) {
        const api::SessionSpec& spec = stream.spec;
        auto address = aaa.add_group(avp::msf_media_address);
        address.add(avp::media_component_number, stream.component_number)
            .add(avp::msf_access_address, spec.access.local.addr)
            .add(avp::msf_access_port, uint32_t{spec.access.local.port})
            .add(avp::msf_core_address, spec.core.local.addr)
            .add(avp::msf_core_port, uint32_t{spec.core.local.port})
            .add(avp::msf_rtcp_mux, uint32_t{spec.access.rtcp_mux ? 1u : 0u});
        if (!stream.to_ue_key_generated) continue;
        auto protection = aaa.add_group(avp::msf_media_protection);
        protection.add(avp::msf_direction, kDirectionNetworkToUe)
            .add(avp::media_component_number, stream.component_number)
            .add(avp::msf_crypto_suite, srtp::suite_info(spec.to_ue.suite).name)
            .add(avp::msf_master_key, std::span<const uint8_t>(spec.to_ue.master_key))
            .add(avp::msf_master_salt, std::span<const uint8_t>(spec.to_ue.master_salt));
        keying::MediaKeys keys(spec.to_ue.suite, spec.to_ue.master_key, spec.to_ue.master_salt);
        protection.add(avp::msf_sdes_crypto, keying::format_crypto_value(keying::crypto_attribute_for(1, keys)));
    }
    // MSRP: the URIs the P-CSCF puts in the SDP a=path lines (RFC 4975 §8.2) so that both ends
    // send through msf-msrpd.
    for (const sessions::MessageStream& message : installed.messages) {
        aaa.add_group(avp::msf_msrp_relay)
            .add(avp::media_component_number, message.component_number)
            .add(avp::msf_msrp_access_path, message.gw_access_path)
            .add(avp::msf_msrp_core_path, message.gw_core_path);
    }
    return aaa;
}

Message error_answer(const Message& request, const LocalIdentity& self, const RxError& error) {
    Message answer = answer_start(request, self);
    const auto* command = request.command();
    if (command && command->application == diameter::app::rx) add_auth_application(answer);
    if (error.experimental) {
        answer.add_group(avp::experimental_result)
            .add(avp::vendor_id, diameter::kVendor3gpp)
            .add(avp::experimental_result_code, error.code);
    } else {
        answer.add(avp::result_code, error.code);
    }
    if (!error.message.empty()) answer.add(avp::error_message, error.message);
    if (!error.failed_avp.empty()) {
        auto failed = answer.add_group(avp::failed_avp);
        // The offending AVP as it came (RFC 6733 §7.5); decode it back into this message.
        Message holder;
        std::vector<uint8_t> frame(diameter::kHeaderSize, 0);
        frame.insert(frame.end(), error.failed_avp.begin(), error.failed_avp.end());
        const uint32_t length = static_cast<uint32_t>(frame.size());
        frame[0] = diameter::kVersion;
        frame[1] = static_cast<uint8_t>(length >> 16);
        frame[2] = static_cast<uint8_t>(length >> 8);
        frame[3] = static_cast<uint8_t>(length);
        auto decoded = diameter::decode(frame);
        if (decoded) {
            for (const auto avp : decoded->avps()) failed.add_copy(avp);
        }
    }
    return answer;
}

Message success_sta(const Message& str, const LocalIdentity& self,
                    const std::vector<sessions::StreamCounters>& counters,
                    const std::vector<sessions::MessageCounters>& message_counters) {
    Message sta = answer_start(str, self);
    sta.add(avp::result_code, static_cast<uint32_t>(ResultCode::success));
    for (const auto& c : counters) {
        sta.add_group(avp::msf_session_counters)
            .add(avp::media_component_number, c.component_number)
            .add(avp::msf_packets_unprotected, c.core.packets_out)
            .add(avp::msf_packets_protected, c.access.packets_out)
            .add(avp::msf_auth_failures, c.access.auth_failures)
            .add(avp::msf_replay_drops, c.access.replays)
            .add(avp::msf_bytes_from_ue, c.access.bytes_in)
            .add(avp::msf_bytes_to_ue, c.access.bytes_out);
    }
    for (const auto& c : message_counters) {
        sta.add_group(avp::msf_session_counters)
            .add(avp::media_component_number, c.component_number)
            .add(avp::msf_messages_from_ue, c.messages_from_ue)
            .add(avp::msf_messages_to_ue, c.messages_to_ue)
            .add(avp::msf_bytes_from_ue, c.bytes_from_ue)
            .add(avp::msf_bytes_to_ue, c.bytes_to_ue);
    }
    return sta;
}

Message event_rar(const sessions::ControlSession& session, const LocalIdentity& self, EventCause cause,
                  uint32_t msf_vendor_id) {
    Message rar = request_to(diameter::cmd::rar, session, self, msf_vendor_id);
    // Not in the Rx RAR's CCF (TS 29.214 §5.6.3), but RFC 6733 §8.3.1 requires it and
    // freeDiameter-based AFs refuse an RAR without it.
    rar.add(avp::re_auth_request_type, kAuthorizeOnly);
    rar.add(avp::specific_action, kIndicationOfLossOfBearer)
        .add(avp::msf_event_cause, static_cast<uint32_t>(cause));
    return rar;
}

Message abort_asr(const sessions::ControlSession& session, const LocalIdentity& self, EventCause cause,
                  uint32_t msf_vendor_id) {
    Message asr = request_to(diameter::cmd::asr, session, self, msf_vendor_id);
    asr.add(avp::abort_cause, kBearerReleased).add(avp::msf_event_cause, static_cast<uint32_t>(cause));
    return asr;
}

}  // namespace msf::rx
