// AARs as the P-CSCFs we meet send them, built with the codec, for the Rx tests.
#pragma once

#include <string>
#include <vector>

#include "controlplane/diameter/message.hpp"

namespace msf::rx::samples {

namespace avp = diameter::avp;

// RFC 3711 B.3 master key and salt, base64 as an a=crypto inline key (30 bytes).
inline constexpr const char* kUeKeyB64 = "4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm";
// Another 30-byte key||salt.
inline constexpr const char* kNetKeyB64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd";

struct Flow {
    std::string description;
    bool rtcp = false;
};

inline diameter::Message base_aar(const std::string& session_id = "pcscf.ims.test;1;1") {
    diameter::Message aar = diameter::Message::request(diameter::cmd::aar);
    aar.set_hop_by_hop(7).set_end_to_end(9);
    aar.add(avp::session_id, session_id)
        .add(avp::auth_application_id, diameter::app::rx)
        .add(avp::origin_host, "pcscf.ims.test")
        .add(avp::origin_realm, "ims.test")
        .add(avp::destination_realm, "msf.test");
    return aar;
}

// One Media-Component-Description the way Kamailio ims_qos writes it: one sub-component with
// the RTP flows both ways, one with Flow-Usage RTCP, and the two SDP m-sections as Codec-Data.
inline void add_component(diameter::Message& aar, uint32_t number, const std::vector<Flow>& flows,
                          const std::vector<std::string>& codec_data = {}, int flow_status = -1) {
    auto mcd = aar.add_group(avp::media_component_description);
    mcd.add(avp::media_component_number, number).add(avp::media_type, 0u);  // AUDIO
    if (flow_status >= 0) mcd.add(avp::flow_status, static_cast<uint32_t>(flow_status));
    for (const std::string& cd : codec_data) mcd.add(avp::codec_data, cd);
    auto rtp = mcd.add_group(avp::media_sub_component);
    rtp.add(avp::flow_number, 1u);
    for (const Flow& f : flows)
        if (!f.rtcp) rtp.add(avp::flow_description, f.description);
    bool any_rtcp = false;
    for (const Flow& f : flows) any_rtcp |= f.rtcp;
    if (!any_rtcp) return;
    auto rtcp = mcd.add_group(avp::media_sub_component);
    rtcp.add(avp::flow_number, 2u).add(avp::flow_usage, 1u);
    for (const Flow& f : flows)
        if (f.rtcp) rtcp.add(avp::flow_description, f.description);
}

// UE 192.0.2.2:49170 (RTCP 49171) talks to the core peer 198.51.100.20:30000 (RTCP 30001).
inline std::vector<Flow> standard_flows() {
    return {{"permit in 17 from 192.0.2.2 49170 to 198.51.100.20 30000", false},
            {"permit out 17 from 198.51.100.20 30000 to 192.0.2.2 49170", false},
            {"permit in 17 from 192.0.2.2 49171 to 198.51.100.20 30001", true},
            {"permit out 17 from 198.51.100.20 30001 to 192.0.2.2 49171", true}};
}

inline std::string uplink_offer(const std::string& crypto_lines, const std::string& extra = "") {
    return "uplink\noffer\nm=audio 49170 RTP/SAVP 0\r\nc=IN IP4 192.0.2.2\r\n" + crypto_lines + extra +
           std::string(1, '\0');
}

inline std::string downlink_answer(const std::string& crypto_lines, const std::string& extra = "") {
    return "downlink\nanswer\nm=audio 30000 RTP/SAVP 0\r\nc=IN IP4 198.51.100.20\r\n" + crypto_lines +
           extra + std::string(1, '\0');
}

inline std::string crypto_line(int tag, const std::string& suite, const std::string& key_b64) {
    return "a=crypto:" + std::to_string(tag) + " " + suite + " inline:" + key_b64 + "\r\n";
}

}  // namespace msf::rx::samples
