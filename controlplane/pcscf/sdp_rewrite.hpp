// The SDP steps of the P-CSCF in an e2ae call (DESIGN.md "The seed's flow" step 3), on
// keying/sdp.hpp's model, and the UE's reading of what it gets back:
//
//   UE offer ──► offer_for_core ──► core peer        (MSF core address/port, RTP/AVP, no a=crypto,
//                                                      no a=3ge2ae)
//   UE ◄── answer_for_ue ◄── core answer              (MSF access address/port, RTP/SAVP,
//                                                      a=crypto with the network->UE key,
//                                                      a=3ge2ae:applied)
//
// and the Rx Codec-Data of the AAR in Kamailio ims_qos's layout for a mobile-originated call
// (uplink offer = the UE's m-section, downlink answer = the core's), optionally with a=crypto
// lines carrying the keys (--keys-in=sdes): the uplink section the UE->network key, the downlink
// section the network->UE key (RFC 4568 §6.1: a=crypto declares its sender's key).
//
// Every rewrite bumps the o= version (RFC 3264 §8) and replaces a session-level c= when there is
// one, so no core address reaches the UE and no UE address reaches the core.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "controlplane/keying/expected.hpp"
#include "controlplane/keying/media_keys.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::pcscf {

// The tag of the a=crypto line the P-CSCF puts into the UE's answer (the UE's e2ae offer has no
// a=crypto to accept, RFC 4568 §7.1.2, so the first tag).
inline constexpr uint32_t kAnswerCryptoTag = 1;

struct CodecDataPair {
    std::string uplink_offer;     // Codec-Data value, trailing NUL included
    std::string downlink_answer;
};

// Codec-Data of media section `media_index`. from_ue_sdes / to_ue_sdes: when given, an a=crypto
// line (tag kAnswerCryptoTag) with that key is added to the uplink / downlink section. Fails when
// either SDP does not parse or lacks the section.
keying::Expected<CodecDataPair> codec_data_for(std::string_view ue_offer_sdp, std::string_view core_answer_sdp,
                                               size_t media_index, const keying::MediaKeys* from_ue_sdes,
                                               const keying::MediaKeys* to_ue_sdes);

// One media section relayed through the MSF toward the core.
struct CoreLegRewrite {
    size_t media_index = 0;
    net::Endpoint msf_core;  // MSF-Core-Address / MSF-Core-Port of the AAA
};

// The UE's offer as the core peer gets it.
keying::Expected<std::string> offer_for_core(std::string_view ue_offer_sdp, std::span<const CoreLegRewrite> legs);

// One media section relayed through the MSF toward the UE.
struct AccessLegRewrite {
    size_t media_index = 0;
    net::Endpoint msf_access;        // MSF-Access-Address / MSF-Access-Port of the AAA
    keying::MediaKeys to_ue_key;     // the key the MSF protects toward the UE with
};

// The core's answer as the UE gets it.
keying::Expected<std::string> answer_for_ue(std::string_view core_answer_sdp, std::span<const AccessLegRewrite> legs);

// What the UE reads from its answer for one media section.
struct UeAnswerMedia {
    net::Endpoint remote;                      // where it sends media (the MSF's access side)
    bool secure = false;                       // RTP/SAVP or RTP/SAVPF
    bool e2ae_applied = false;                 // a=3ge2ae:applied
    std::optional<keying::MediaKeys> to_ue_key;  // the first a=crypto line's key
};

// Fails when the SDP does not parse, lacks the section, or the section has no address.
keying::Expected<UeAnswerMedia> read_answer_for_ue(std::string_view answer_sdp, size_t media_index);

}  // namespace msf::pcscf
