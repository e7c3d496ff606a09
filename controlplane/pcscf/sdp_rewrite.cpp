#include "controlplane/pcscf/sdp_rewrite.hpp"

#include "controlplane/keying/sdes.hpp"
#include "controlplane/keying/sdp.hpp"

namespace msf::pcscf {

using keying::ErrorCode;
using keying::Expected;
using keying::make_error;
using keying::SessionDescription;

namespace {

keying::KeyingError in_context(std::string_view what, const keying::KeyingError& error) {
    return make_error(error.code, std::string(what) + ": " + error.message);
}

// The m-section `index` as Codec-Data carries it, with an a=crypto line for `sdes` if given.
Expected<std::string> codec_section(const SessionDescription& sdp, size_t index, const keying::MediaKeys* sdes) {
    if (index >= sdp.media_count())
        return make_error(ErrorCode::invalid_argument, "no m-section " + std::to_string(index) + " (there are " +
                                                           std::to_string(sdp.media_count()) + ")");
    keying::MediaSection section = sdp.media(index);
    if (sdes != nullptr) {
        if (auto ok = section.add_crypto(keying::crypto_attribute_for(kAnswerCryptoTag, *sdes)); !ok) return ok.error();
    }
    return section.to_string(sdp.line_ending());
}

// Replaces a session-level c= only where the SDP has one: a section-level c= already overrides it.
Expected<void> replace_session_connection(SessionDescription& sdp, const net::IpAddr& address) {
    if (!sdp.session_connection()) return {};
    return sdp.set_session_connection(address);
}

}  // namespace

Expected<CodecDataPair> codec_data_for(std::string_view ue_offer_sdp, std::string_view core_answer_sdp,
                                       size_t media_index, const keying::MediaKeys* from_ue_sdes,
                                       const keying::MediaKeys* to_ue_sdes) {
    auto offer = SessionDescription::parse(ue_offer_sdp);
    if (!offer) return in_context("UE offer", offer.error());
    auto answer = SessionDescription::parse(core_answer_sdp);
    if (!answer) return in_context("core answer", answer.error());
    auto uplink = codec_section(*offer, media_index, from_ue_sdes);
    if (!uplink) return in_context("UE offer", uplink.error());
    auto downlink = codec_section(*answer, media_index, to_ue_sdes);
    if (!downlink) return in_context("core answer", downlink.error());
    CodecDataPair out;
    out.uplink_offer = keying::format_codec_data(keying::LinkDirection::uplink, keying::SdpRole::offer, *uplink);
    out.downlink_answer = keying::format_codec_data(keying::LinkDirection::downlink, keying::SdpRole::answer, *downlink);
    keying::wipe(uplink.value());  // a=crypto lines hold keys
    keying::wipe(downlink.value());
    return out;
}

Expected<std::string> offer_for_core(std::string_view ue_offer_sdp, std::span<const CoreLegRewrite> legs) {
    auto sdp = SessionDescription::parse(ue_offer_sdp);
    if (!sdp) return in_context("UE offer", sdp.error());
    for (const CoreLegRewrite& leg : legs) {
        const size_t i = leg.media_index;
        if (auto ok = sdp->set_media_address(i, leg.msf_core.addr, leg.msf_core.port); !ok) return in_context("offer for core", ok.error());
        if (auto ok = sdp->set_media_secure(i, false); !ok) return in_context("offer for core", ok.error());
        if (auto ok = sdp->remove_crypto(i); !ok) return in_context("offer for core", ok.error());
        if (auto ok = sdp->remove_e2ae(i); !ok) return in_context("offer for core", ok.error());
    }
    if (!legs.empty()) {
        if (auto ok = replace_session_connection(*sdp, legs.front().msf_core.addr); !ok) return in_context("offer for core", ok.error());
    }
    if (auto ok = sdp->bump_origin_version(); !ok) return in_context("offer for core", ok.error());
    return sdp->to_string();
}

Expected<std::string> answer_for_ue(std::string_view core_answer_sdp, std::span<const AccessLegRewrite> legs) {
    auto sdp = SessionDescription::parse(core_answer_sdp);
    if (!sdp) return in_context("core answer", sdp.error());
    for (const AccessLegRewrite& leg : legs) {
        const size_t i = leg.media_index;
        if (auto ok = sdp->set_media_address(i, leg.msf_access.addr, leg.msf_access.port); !ok) return in_context("answer for UE", ok.error());
        if (auto ok = sdp->set_media_secure(i, true); !ok) return in_context("answer for UE", ok.error());
        if (auto ok = sdp->remove_crypto(i); !ok) return in_context("answer for UE", ok.error());
        if (auto ok = sdp->add_crypto(i, keying::crypto_attribute_for(kAnswerCryptoTag, leg.to_ue_key)); !ok)
            return in_context("answer for UE", ok.error());
        if (auto ok = sdp->set_e2ae(i, keying::E2aeIndication::applied); !ok) return in_context("answer for UE", ok.error());
    }
    if (!legs.empty()) {
        if (auto ok = replace_session_connection(*sdp, legs.front().msf_access.addr); !ok) return in_context("answer for UE", ok.error());
    }
    if (auto ok = sdp->bump_origin_version(); !ok) return in_context("answer for UE", ok.error());
    return sdp->to_string();
}

Expected<UeAnswerMedia> read_answer_for_ue(std::string_view answer_sdp, size_t media_index) {
    auto sdp = SessionDescription::parse(answer_sdp);
    if (!sdp) return in_context("answer", sdp.error());
    auto info = sdp->media_info(media_index);
    if (!info) return in_context("answer", info.error());
    if (!info->connection) return make_error(ErrorCode::malformed, "answer: m-section " + std::to_string(media_index) + " has no c= address");
    UeAnswerMedia out;
    out.remote = net::Endpoint{*info->connection, info->port};
    out.secure = info->proto_kind == keying::MediaProto::rtp_savp || info->proto_kind == keying::MediaProto::rtp_savpf;
    out.e2ae_applied = info->e2ae == keying::E2aeIndication::applied;
    if (!info->crypto.empty()) {
        auto keys = keying::media_keys(info->crypto.front());
        if (!keys) return in_context("answer a=crypto", keys.error());
        out.to_ue_key = std::move(keys.value());
    } else if (!info->crypto_errors.empty()) {
        return in_context("answer a=crypto", info->crypto_errors.front());
    }
    return out;
}

}  // namespace msf::pcscf
