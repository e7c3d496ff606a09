// The contract with msf-controld: an AAR built for a call validates against the dictionary and
// rx::plan_aar (what the daemon runs) reads back the endpoints and keys that went in; answers
// made by the daemon's own rx::success_aaa / error_answer / success_sta read back.
#include "controlplane/pcscf/rx_call.hpp"

#include <gtest/gtest.h>

#include "controlplane/pcscf/call_signalling.hpp"
#include "controlplane/rx/aar.hpp"
#include "controlplane/rx/answers.hpp"

namespace msf::pcscf {
namespace {

namespace avp = diameter::avp;
using diameter::Message;

const UeIdentity kUe{"ue1", "ims.example", *net::Endpoint::parse("192.0.2.10:5060")};
const net::Endpoint kUeMedia = *net::Endpoint::parse("192.0.2.10:40000");
const net::Endpoint kCoreMedia = *net::Endpoint::parse("198.51.100.20:30000");
const rx::LocalIdentity kMsf{"msf.ims.example", "ims.example"};

keying::MediaKeys keys(srtp::Suite suite, uint8_t fill) {
    const auto& info = srtp::suite_info(suite);
    return keying::MediaKeys(suite, std::vector<uint8_t>(info.key_len, fill),
                             std::vector<uint8_t>(info.salt_len, static_cast<uint8_t>(fill + 1)));
}

AarRequest call_request(KeysIn keys_in, bool with_to_ue, const net::Endpoint& ue = kUeMedia,
                        const net::Endpoint& core = kCoreMedia) {
    AarRequest r;
    r.session_id = make_session_id("pcscf.ims.example", 0xabcdef01u, 7);
    r.origin_host = "pcscf.ims.example";
    r.origin_realm = "ims.example";
    r.destination_realm = "ims.example";
    r.destination_host = "msf.ims.example";
    r.ue_ip = ue.addr;
    r.ue_offer_sdp = build_ue_offer_sdp(kUe, ue, 1, true);
    r.core_answer_sdp = build_core_answer_sdp(core, 1);
    r.keys_in = keys_in;
    MediaComponent c;
    c.number = 1;
    c.media_index = 0;
    c.ue = ue;
    c.core = core;
    c.from_ue = keys(srtp::Suite::aes_cm_128_hmac_sha1_80, 0x11);
    if (with_to_ue) c.to_ue = keys(srtp::Suite::aes_cm_128_hmac_sha1_80, 0x22);
    r.components.push_back(std::move(c));
    return r;
}

// Through the wire and back, as the MSF receives it.
Message roundtrip(const Message& m) {
    auto decoded = diameter::decode(m.encode());
    EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
    return decoded.ok() ? decoded.value() : Message();
}

rx::MediaPolicy policy() {
    rx::MediaPolicy p;
    for (const auto& info : srtp::kSuites) p.suites.push_back(info.suite);
    return p;
}

rx::AarPlan plan_of(const Message& aar) {
    auto plan = rx::plan_aar(aar, nullptr, policy());
    EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : rx::to_string(plan.error()));
    return plan.ok() ? plan.value() : rx::AarPlan{};
}

void expect_keys(const api::KeySpec& spec, const keying::MediaKeys& want) {
    EXPECT_EQ(spec.suite, want.suite);
    EXPECT_EQ(spec.master_key, want.master_key);
    EXPECT_EQ(spec.master_salt, want.master_salt);
}

class AarContract : public ::testing::TestWithParam<KeysIn> {};

TEST_P(AarContract, AarValidatesAndPlanAarReadsBackEndpointsAndBothKeys) {
    const AarRequest request = call_request(GetParam(), true);
    auto built = build_aar(request);
    ASSERT_TRUE(built.ok()) << built.error().message;
    const Message aar = roundtrip(*built);
    EXPECT_FALSE(diameter::validate(aar)) << diameter::to_string(*diameter::validate(aar));
    EXPECT_EQ(aar.session_id(), "pcscf.ims.example;2882400001;7");
    EXPECT_EQ(aar.find(avp::framed_ip_address)->address(), kUeMedia.addr);
    EXPECT_EQ(aar.find(avp::destination_host)->text(), "msf.ims.example");

    const rx::AarPlan plan = plan_of(aar);
    ASSERT_EQ(plan.desired.streams.size(), 1u);
    const sessions::MediaStream& stream = plan.desired.streams[0];
    EXPECT_EQ(stream.component_number, 1u);
    EXPECT_EQ(stream.media_type, "audio");
    EXPECT_EQ(stream.spec.core.remote, kCoreMedia);
    EXPECT_FALSE(stream.spec.access.rtcp_mux);  // RTCP on port + 1, its own flows
    EXPECT_TRUE(stream.spec.access.local.addr.is_v4());
    expect_keys(stream.spec.from_ue, request.components[0].from_ue);
    expect_keys(stream.spec.to_ue, *request.components[0].to_ue);
    EXPECT_FALSE(stream.to_ue_key_generated);
    EXPECT_EQ(plan.desired.peer, "pcscf.ims.example");
}

TEST_P(AarContract, WithoutANetworkToUeKeyTheMsfGeneratesOneInTheUesSuite) {
    auto built = build_aar(call_request(GetParam(), false));
    ASSERT_TRUE(built.ok()) << built.error().message;
    const rx::AarPlan plan = plan_of(roundtrip(*built));
    ASSERT_EQ(plan.desired.streams.size(), 1u);
    EXPECT_TRUE(plan.desired.streams[0].to_ue_key_generated);
    EXPECT_EQ(plan.desired.streams[0].spec.to_ue.suite, srtp::Suite::aes_cm_128_hmac_sha1_80);
    EXPECT_EQ(plan.desired.streams[0].spec.to_ue.master_key.size(), 16u);
}

INSTANTIATE_TEST_SUITE_P(KeysIn, AarContract, ::testing::Values(KeysIn::avp, KeysIn::sdes),
                         [](const auto& info) { return std::string(info.param == KeysIn::avp ? "avp" : "sdes"); });

TEST(AarBuild, KeysInAvpAreMsfMediaProtectionAndSdesAreCryptoLinesInCodecData) {
    auto avp_aar = build_aar(call_request(KeysIn::avp, true));
    auto sdes_aar = build_aar(call_request(KeysIn::sdes, true));
    ASSERT_TRUE(avp_aar.ok() && sdes_aar.ok());
    const auto mcd_avp = avp_aar->find(avp::media_component_description);
    const auto mcd_sdes = sdes_aar->find(avp::media_component_description);
    ASSERT_TRUE(mcd_avp && mcd_sdes);
    EXPECT_EQ(mcd_avp->find_all(avp::msf_media_protection).size(), 2u);
    EXPECT_EQ(mcd_sdes->find_all(avp::msf_media_protection).size(), 0u);
    size_t crypto_lines = 0;
    for (const auto cd : mcd_sdes->find_all(avp::codec_data))
        crypto_lines += cd.text().find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != std::string_view::npos;
    EXPECT_EQ(crypto_lines, 2u);
    for (const auto cd : mcd_avp->find_all(avp::codec_data)) EXPECT_EQ(cd.text().find("a=crypto"), std::string_view::npos);
    // Kamailio ims_qos layout: uplink offer, downlink answer, NUL-terminated.
    auto codec = mcd_avp->find_all(avp::codec_data).begin();
    EXPECT_TRUE((*codec).text().starts_with("uplink\noffer\nm=audio 40000 RTP/SAVP 0 8\r\n"));
    EXPECT_EQ((*codec).text().back(), '\0');
    ++codec;
    EXPECT_TRUE((*codec).text().starts_with("downlink\nanswer\nm=audio 30000 RTP/AVP 0\r\n"));
}

TEST(AarBuild, FlowDescriptionsNameUeAndCoreBothWaysWithRtcpOnPortPlusOne) {
    auto aar = build_aar(call_request(KeysIn::avp, true));
    ASSERT_TRUE(aar.ok());
    std::vector<std::string> flows;
    for (const auto sub : aar->find(avp::media_component_description)->find_all(avp::media_sub_component))
        for (const auto fd : sub.find_all(avp::flow_description)) flows.emplace_back(fd.text());
    EXPECT_EQ(flows, (std::vector<std::string>{
                         "permit in 17 from 192.0.2.10 40000 to 198.51.100.20 30000",
                         "permit out 17 from 198.51.100.20 30000 to 192.0.2.10 40000",
                         "permit in 17 from 192.0.2.10 40001 to 198.51.100.20 30001",
                         "permit out 17 from 198.51.100.20 30001 to 192.0.2.10 40001",
                     }));
}

TEST(AarBuild, Ipv6UeGetsFramedIpv6PrefixAndStillPlans) {
    const auto ue = *net::Endpoint::parse("[2001:db8::10]:40000");
    const auto core = *net::Endpoint::parse("[2001:db8:1::20]:30000");
    auto built = build_aar(call_request(KeysIn::avp, true, ue, core));
    ASSERT_TRUE(built.ok()) << built.error().message;
    const Message aar = roundtrip(*built);
    EXPECT_FALSE(diameter::validate(aar));
    EXPECT_FALSE(aar.find(avp::framed_ip_address));
    EXPECT_TRUE(aar.find(avp::framed_ipv6_prefix));
    const rx::AarPlan plan = plan_of(aar);
    ASSERT_EQ(plan.desired.streams.size(), 1u);
    EXPECT_EQ(plan.desired.streams[0].spec.core.remote, core);
    EXPECT_TRUE(plan.desired.streams[0].spec.access.local.addr.is_v6());
}

TEST(AarBuild, RefusesWrongKeyLengthsBadSdpAndNoComponent) {
    AarRequest r = call_request(KeysIn::avp, true);
    r.components[0].from_ue.master_key.pop_back();
    auto short_key = build_aar(r);
    ASSERT_FALSE(short_key.ok());
    EXPECT_NE(short_key.error().message.find("UE->network key is 15+14 bytes"), std::string::npos) << short_key.error().message;

    r = call_request(KeysIn::avp, true);
    r.ue_offer_sdp = "not sdp";
    auto bad_sdp = build_aar(r);
    ASSERT_FALSE(bad_sdp.ok());
    EXPECT_NE(bad_sdp.error().message.find("UE offer"), std::string::npos);

    r = call_request(KeysIn::avp, true);
    r.components[0].media_index = 3;
    EXPECT_FALSE(build_aar(r).ok());

    r.components.clear();
    EXPECT_FALSE(build_aar(r).ok());
}

// A session as the daemon would have installed it: the plan plus allocated MSF ports.
sessions::ControlSession installed_from(const rx::AarPlan& plan) {
    sessions::ControlSession s = plan.desired;
    s.streams[0].spec.access.local = *net::Endpoint::parse("203.0.113.1:20000");
    s.streams[0].spec.core.local = *net::Endpoint::parse("198.51.100.1:20002");
    return s;
}

TEST(AaaRead, SuccessGivesMsfAddressesAndTheGeneratedKey) {
    const Message aar = roundtrip(*build_aar(call_request(KeysIn::avp, false)));
    const rx::AarPlan plan = plan_of(aar);
    const sessions::ControlSession installed = installed_from(plan);
    auto aaa = read_aaa(roundtrip(rx::success_aaa(aar, kMsf, installed)));
    ASSERT_TRUE(aaa.ok()) << aaa.error().message;
    EXPECT_TRUE(aaa->success());
    const MsfMediaAddress* address = aaa->address_of(1);
    ASSERT_NE(address, nullptr);
    EXPECT_EQ(address->access, *net::Endpoint::parse("203.0.113.1:20000"));
    EXPECT_EQ(address->core, *net::Endpoint::parse("198.51.100.1:20002"));
    EXPECT_FALSE(address->rtcp_mux);
    EXPECT_EQ(aaa->address_of(2), nullptr);
    const GeneratedToUeKey* generated = aaa->to_ue_key_of(1);
    ASSERT_NE(generated, nullptr);
    expect_keys(installed.streams[0].spec.to_ue, generated->keys);
}

TEST(MsrpContract, AnMsrpComponentWithItsPskIsPlannedAsARelayAndTheAaaGivesItsUris) {
    AarRequest request = call_request(KeysIn::avp, true);
    const net::Endpoint ue_msrp = *net::Endpoint::parse("192.0.2.10:2855");
    const net::Endpoint core_msrp = *net::Endpoint::parse("198.51.100.20:2855");
    request.ue_offer_sdp += msrp_media_section(ue_msrp, "msrps://192.0.2.10:2855/ue7;tcp", true);
    request.core_answer_sdp += msrp_media_section(core_msrp, "msrp://198.51.100.20:2855/core7;tcp", false);
    MsrpComponent m;
    m.number = 2;
    m.media_index = 1;
    m.ue = ue_msrp;
    m.core = core_msrp;
    m.psk_identity = "e2ae-000102030405060708090a0b";
    m.psk.assign(32, 0x42);
    request.msrp_components.push_back(m);
    auto built = build_aar(request);
    ASSERT_TRUE(built.ok()) << built.error().message;
    const Message aar = roundtrip(*built);
    EXPECT_FALSE(diameter::validate(aar));

    rx::MediaPolicy with_relay = policy();
    with_relay.msrp = {true, "203.0.113.1:2855", "198.51.100.1:2855"};
    auto plan = rx::plan_aar(aar, nullptr, with_relay);
    ASSERT_TRUE(plan.ok()) << rx::to_string(plan.error());
    ASSERT_EQ(plan->desired.streams.size(), 1u);
    ASSERT_EQ(plan->desired.messages.size(), 1u);
    const sessions::MessageStream& planned = plan->desired.messages[0];
    EXPECT_EQ(planned.psk_identity, m.psk_identity);
    EXPECT_EQ(planned.psk, m.psk);
    EXPECT_EQ(planned.ue_path, "msrps://192.0.2.10:2855/ue7;tcp");
    EXPECT_EQ(planned.core_path, "msrp://198.51.100.20:2855/core7;tcp");

    sessions::ControlSession installed = installed_from(plan.value());
    installed.messages = plan->desired.messages;
    auto aaa = read_aaa(roundtrip(rx::success_aaa(aar, kMsf, installed)));
    ASSERT_TRUE(aaa.ok()) << aaa.error().message;
    const MsrpRelay* relay = aaa->msrp_relay_of(2);
    ASSERT_NE(relay, nullptr);
    EXPECT_EQ(relay->access_path, planned.gw_access_path);
    EXPECT_EQ(relay->core_path, planned.gw_core_path);
    EXPECT_EQ(relay->access_path.rfind("msrps://203.0.113.1:2855/", 0), 0u);

    sessions::MessageCounters counted;
    counted.component_number = 2;
    counted.messages_from_ue = 3;
    counted.messages_to_ue = 2;
    StrRequest str_request;
    str_request.session_id = std::string(aar.session_id());
    str_request.origin_host = "pcscf.ims.example";
    str_request.origin_realm = "ims.example";
    str_request.destination_realm = "ims.example";
    const Message str = roundtrip(build_str(str_request));
    auto sta = read_sta(roundtrip(rx::success_sta(str, kMsf, {}, {counted})));
    ASSERT_TRUE(sta.ok());
    ASSERT_EQ(sta->counters.size(), 1u);
    EXPECT_EQ(sta->counters[0].messages_from_ue, 3u);
    EXPECT_EQ(sta->counters[0].messages_to_ue, 2u);

    m.psk.resize(8);
    request.msrp_components = {m};
    EXPECT_FALSE(build_aar(request).ok());
}

TEST(AaaRead, DerivedKeysGiveNoGeneratedKey) {
    const Message aar = roundtrip(*build_aar(call_request(KeysIn::sdes, true)));
    auto aaa = read_aaa(roundtrip(rx::success_aaa(aar, kMsf, installed_from(plan_of(aar)))));
    ASSERT_TRUE(aaa.ok());
    EXPECT_TRUE(aaa->to_ue_keys.empty());
    EXPECT_NE(aaa->address_of(1), nullptr);
}

TEST(AaaRead, ErrorsAreResultsWithTheirLabels) {
    const Message aar = roundtrip(*build_aar(call_request(KeysIn::avp, true)));
    auto rx_error = read_aaa(roundtrip(rx::error_answer(
        aar, kMsf, rx::RxError::rx(rx::RxExperimentalCode::invalid_service_information, "media component 1: bad"))));
    ASSERT_TRUE(rx_error.ok()) << rx_error.error().message;
    EXPECT_FALSE(rx_error->success());
    EXPECT_TRUE(rx_error->experimental);
    EXPECT_EQ(rx_error->result_code, 5061u);
    EXPECT_EQ(rx_error->error_message, "media component 1: bad");
    EXPECT_EQ(result_label(5061, true), "3GPP 5061");
    EXPECT_EQ(result_name(5061, true), "INVALID_SERVICE_INFORMATION");

    auto base_error = read_aaa(roundtrip(
        rx::error_answer(aar, kMsf, rx::RxError::base(diameter::ResultCode::unable_to_comply, "store failed"))));
    ASSERT_TRUE(base_error.ok());
    EXPECT_EQ(base_error->result_code, 5012u);
    EXPECT_FALSE(base_error->experimental);
    EXPECT_EQ(result_label(5012, false), "5012");
    EXPECT_EQ(result_name(2001, false), "DIAMETER_SUCCESS");
}

TEST(AaaRead, RefusesAnswersItCannotUse) {
    const Message aar = roundtrip(*build_aar(call_request(KeysIn::avp, true)));
    Message no_result = Message::answer_to(aar);
    no_result.add(avp::origin_host, "msf").add(avp::origin_realm, "r");
    auto missing = read_aaa(no_result);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("neither Result-Code nor Experimental-Result"), std::string::npos);

    EXPECT_FALSE(read_aaa(aar).ok());  // a request, not an answer

    Message no_port = Message::answer_to(aar);
    no_port.add(avp::result_code, 2001u);
    no_port.add_group(avp::msf_media_address)
        .add(avp::media_component_number, 1u)
        .add(avp::msf_access_address, kUeMedia.addr)
        .add(avp::msf_core_address, kCoreMedia.addr)
        .add(avp::msf_core_port, 20002u);
    auto unusable = read_aaa(no_port);
    ASSERT_FALSE(unusable.ok());
    EXPECT_NE(unusable.error().message.find("lacks MSF-Access-Address or MSF-Access-Port"), std::string::npos);

    Message bad_key = Message::answer_to(aar);
    bad_key.add(avp::result_code, 2001u);
    bad_key.add_group(avp::msf_media_protection)
        .add(avp::msf_direction, 1u)
        .add(avp::media_component_number, 1u)
        .add(avp::msf_crypto_suite, "AES_CM_128_HMAC_SHA1_80")
        .add(avp::msf_master_key, std::span<const uint8_t>(std::vector<uint8_t>(15, 1)))
        .add(avp::msf_master_salt, std::span<const uint8_t>(std::vector<uint8_t>(14, 1)));
    auto short_key = read_aaa(bad_key);
    ASSERT_FALSE(short_key.ok());
    EXPECT_NE(short_key.error().message.find("15+14 bytes"), std::string::npos) << short_key.error().message;
}

TEST(StrSta, StrValidatesAndStaCountersReadBack) {
    StrRequest request;
    request.session_id = "pcscf.ims.example;1;2";
    request.origin_host = "pcscf.ims.example";
    request.origin_realm = "ims.example";
    request.destination_realm = "ims.example";
    request.destination_host = "msf.ims.example";
    const Message str = roundtrip(build_str(request));
    EXPECT_FALSE(diameter::validate(str));
    EXPECT_EQ(str.find(avp::termination_cause)->enumerated(), 1u);

    sessions::StreamCounters counters;
    counters.component_number = 1;
    counters.access.packets_out = 50;
    counters.core.packets_out = 49;
    counters.access.auth_failures = 2;
    counters.access.replays = 1;
    counters.access.bytes_in = 9000;
    counters.access.bytes_out = 9100;
    auto sta = read_sta(roundtrip(rx::success_sta(str, kMsf, {counters})));
    ASSERT_TRUE(sta.ok()) << sta.error().message;
    EXPECT_TRUE(sta->success());
    ASSERT_EQ(sta->counters.size(), 1u);
    EXPECT_EQ(sta->counters[0].component, 1u);
    EXPECT_EQ(sta->counters[0].packets_protected, 50u);
    EXPECT_EQ(sta->counters[0].packets_unprotected, 49u);
    EXPECT_EQ(sta->counters[0].auth_failures, 2u);
    EXPECT_EQ(sta->counters[0].replay_drops, 1u);
    EXPECT_EQ(sta->counters[0].bytes_from_ue, 9000u);
    EXPECT_EQ(sta->counters[0].bytes_to_ue, 9100u);

    auto unknown = read_sta(roundtrip(
        rx::error_answer(str, kMsf, rx::RxError::base(diameter::ResultCode::unknown_session_id, "no such session"))));
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->result_code, 5002u);
    EXPECT_FALSE(unknown->success());
    EXPECT_FALSE(read_sta(str).ok());
}

}  // namespace
}  // namespace msf::pcscf
