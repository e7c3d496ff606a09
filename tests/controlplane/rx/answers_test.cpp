#include "controlplane/rx/answers.hpp"

#include <gtest/gtest.h>

#include "controlplane/keying/sdes.hpp"
#include "tests/controlplane/rx/rx_samples.hpp"

namespace msf::rx {
namespace {

using namespace samples;

const LocalIdentity kSelf{"msf.test", "msf.test"};

sessions::ControlSession installed_session() {
    MediaPolicy p;
    for (const auto& info : srtp::kSuites) p.suites.push_back(info.suite);
    diameter::Message aar = base_aar();
    add_component(aar, 1, standard_flows(), {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64))});
    auto plan = plan_aar(aar, nullptr, p);
    EXPECT_TRUE(plan.ok());
    sessions::ControlSession s = plan->desired;
    s.streams[0].spec.access.local = *net::Endpoint::parse("192.0.2.10:20000");
    s.streams[0].spec.core.local = *net::Endpoint::parse("198.51.100.10:30002");
    return s;
}

diameter::Message roundtrip(const diameter::Message& m) {
    auto decoded = diameter::decode(m.encode());
    EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
    return decoded.ok() ? *decoded : diameter::Message();
}

TEST(Answers, SuccessAaaCarriesTheMediaAddressesAndTheGeneratedKey) {
    const diameter::Message aar = base_aar();
    const sessions::ControlSession s = installed_session();
    ASSERT_TRUE(s.streams[0].to_ue_key_generated);
    const diameter::Message aaa = roundtrip(success_aaa(aar, kSelf, s));
    EXPECT_FALSE(diameter::validate(aaa)) << "AAA must pass the dictionary";
    EXPECT_FALSE(aaa.is_request());
    EXPECT_EQ(aaa.hop_by_hop(), aar.hop_by_hop());
    EXPECT_EQ(aaa.session_id(), "pcscf.ims.test;1;1");
    EXPECT_EQ(aaa.find(avp::result_code)->unsigned32(), 2001u);
    auto address = aaa.find(avp::msf_media_address);
    ASSERT_TRUE(address);
    EXPECT_EQ(address->find(avp::media_component_number)->unsigned32(), 1u);
    EXPECT_EQ(address->find(avp::msf_access_address)->address()->to_string(), "192.0.2.10");
    EXPECT_EQ(address->find(avp::msf_access_port)->unsigned32(), 20000u);
    EXPECT_EQ(address->find(avp::msf_core_address)->address()->to_string(), "198.51.100.10");
    EXPECT_EQ(address->find(avp::msf_core_port)->unsigned32(), 30002u);
    EXPECT_EQ(address->find(avp::msf_rtcp_mux)->enumerated(), 0u);
    auto protection = aaa.find(avp::msf_media_protection);
    ASSERT_TRUE(protection);
    EXPECT_EQ(protection->find(avp::msf_direction)->enumerated(), 1u);
    const auto key = protection->find(avp::msf_master_key)->data();
    EXPECT_TRUE(std::equal(key.begin(), key.end(), s.streams[0].spec.to_ue.master_key.begin(),
                           s.streams[0].spec.to_ue.master_key.end()));
    auto crypto = keying::parse_crypto_attribute(protection->find(avp::msf_sdes_crypto)->text());
    ASSERT_TRUE(crypto.ok());
    auto keys = keying::media_keys(*crypto);
    EXPECT_EQ(keys->master_key, s.streams[0].spec.to_ue.master_key);
    EXPECT_EQ(keys->master_salt, s.streams[0].spec.to_ue.master_salt);
}

TEST(Answers, SuccessAaaHasNoKeyWhenTheP_CscfGaveIt) {
    sessions::ControlSession s = installed_session();
    s.streams[0].to_ue_key_generated = false;
    const diameter::Message aaa = roundtrip(success_aaa(base_aar(), kSelf, s));
    EXPECT_FALSE(aaa.find(avp::msf_media_protection));
}

TEST(Answers, SuccessAaaNamesTheRelaysMsrpUrisPerMessageComponentAndNeverThePsk) {
    sessions::ControlSession s;
    s.session_id = "pcscf.ims.test;1;1";
    sessions::MessageStream m;
    m.component_number = 3;
    m.psk_identity = "e2ae-0011";
    m.psk.assign(32, 0x77);
    m.gw_access_path = "msrps://192.0.2.10:2855/abc;tcp";
    m.gw_core_path = "msrp://198.51.100.10:2855/abc;tcp";
    s.messages.push_back(m);
    const diameter::Message aaa = roundtrip(success_aaa(base_aar(), kSelf, s));
    const auto relay = aaa.find(avp::msf_msrp_relay);
    ASSERT_TRUE(relay);
    EXPECT_EQ(relay->find(avp::media_component_number)->unsigned32(), 3u);
    EXPECT_EQ(relay->find(avp::msf_msrp_access_path)->text(), m.gw_access_path);
    EXPECT_EQ(relay->find(avp::msf_msrp_core_path)->text(), m.gw_core_path);
    EXPECT_FALSE(aaa.find(avp::msf_msrp_protection));
    EXPECT_FALSE(aaa.find(avp::msf_media_address));
}

TEST(Answers, ExperimentalErrorIsAnExperimentalResultFor3gpp) {
    const diameter::Message answer = roundtrip(error_answer(
        base_aar(), kSelf, RxError::rx(RxExperimentalCode::requested_service_not_authorized, "no key")));
    EXPECT_FALSE(diameter::validate(answer));
    EXPECT_FALSE(answer.find(avp::result_code));
    auto er = answer.find(avp::experimental_result);
    ASSERT_TRUE(er);
    EXPECT_EQ(er->find(avp::vendor_id)->unsigned32(), 10415u);
    EXPECT_EQ(er->find(avp::experimental_result_code)->unsigned32(), 5063u);
    EXPECT_EQ(answer.find(avp::error_message)->text(), "no key");
}

TEST(Answers, BaseErrorCarriesResultCodeAndTheFailedAvp) {
    diameter::Message aar = base_aar();
    aar.add(avp::flow_description, "permit nonsense");
    const auto bad = aar.find(avp::flow_description)->encode();
    const diameter::Message answer = roundtrip(
        error_answer(aar, kSelf, RxError::base(diameter::ResultCode::invalid_avp_value, "bad rule", bad)));
    EXPECT_FALSE(diameter::validate(answer));
    EXPECT_EQ(answer.find(avp::result_code)->unsigned32(), 5004u);
    auto failed = answer.find(avp::failed_avp);
    ASSERT_TRUE(failed);
    auto inner = failed->find(avp::flow_description);
    ASSERT_TRUE(inner);
    EXPECT_EQ(inner->text(), "permit nonsense");
}

TEST(Answers, StaCarriesFinalCountersPerComponent) {
    diameter::Message str = diameter::Message::request(diameter::cmd::str);
    str.add(avp::session_id, "s;1").add(avp::origin_host, "pcscf.ims.test").add(avp::origin_realm, "ims.test")
        .add(avp::destination_realm, "msf.test").add(avp::auth_application_id, diameter::app::rx)
        .add(avp::termination_cause, 1u);
    sessions::StreamCounters c;
    c.component_number = 3;
    c.access.packets_in = 100;
    c.access.bytes_in = 17200;
    c.access.packets_out = 99;
    c.access.bytes_out = 17028;
    c.access.auth_failures = 2;
    c.access.replays = 1;
    c.core.packets_out = 97;
    const diameter::Message sta = roundtrip(success_sta(str, kSelf, {c}));
    EXPECT_FALSE(diameter::validate(sta));
    auto counters = sta.find(avp::msf_session_counters);
    ASSERT_TRUE(counters);
    EXPECT_EQ(counters->find(avp::media_component_number)->unsigned32(), 3u);
    EXPECT_EQ(counters->find(avp::msf_packets_unprotected)->unsigned64(), 97u);
    EXPECT_EQ(counters->find(avp::msf_packets_protected)->unsigned64(), 99u);
    EXPECT_EQ(counters->find(avp::msf_auth_failures)->unsigned64(), 2u);
    EXPECT_EQ(counters->find(avp::msf_replay_drops)->unsigned64(), 1u);
    EXPECT_EQ(counters->find(avp::msf_bytes_from_ue)->unsigned64(), 17200u);
    EXPECT_EQ(counters->find(avp::msf_bytes_to_ue)->unsigned64(), 17028u);
}

TEST(Answers, StaCarriesMessageAndByteCountsOfEachMsrpComponent) {
    sessions::MessageCounters m;
    m.component_number = 2;
    m.messages_from_ue = 5;
    m.messages_to_ue = 4;
    m.bytes_from_ue = 5000;
    m.bytes_to_ue = 4096;
    const diameter::Message sta = roundtrip(success_sta(base_aar(), kSelf, {}, {m}));
    const auto counters = sta.find(avp::msf_session_counters);
    ASSERT_TRUE(counters);
    EXPECT_EQ(counters->find(avp::media_component_number)->unsigned32(), 2u);
    EXPECT_EQ(counters->find(avp::msf_messages_from_ue)->unsigned64(), 5u);
    EXPECT_EQ(counters->find(avp::msf_messages_to_ue)->unsigned64(), 4u);
    EXPECT_EQ(counters->find(avp::msf_bytes_from_ue)->unsigned64(), 5000u);
    EXPECT_EQ(counters->find(avp::msf_bytes_to_ue)->unsigned64(), 4096u);
    EXPECT_FALSE(counters->find(avp::msf_packets_protected));
}

TEST(Answers, RarAndAsrAreValidRequestsToTheOwningPeer) {
    const sessions::ControlSession s = installed_session();
    const diameter::Message rar = roundtrip(event_rar(s, kSelf, EventCause::inactivity, diameter::kMsfVendorId));
    EXPECT_FALSE(diameter::validate(rar));
    EXPECT_TRUE(rar.is_request());
    EXPECT_EQ(rar.find(avp::destination_host)->text(), "pcscf.ims.test");
    EXPECT_EQ(rar.find(avp::destination_realm)->text(), "ims.test");
    EXPECT_EQ(rar.find(avp::msf_event_cause)->enumerated(), 1u);
    const diameter::Message asr = roundtrip(abort_asr(s, kSelf, EventCause::dataplane_lost, diameter::kMsfVendorId));
    EXPECT_FALSE(diameter::validate(asr));
    EXPECT_EQ(asr.find(avp::abort_cause)->enumerated(), 0u);
    EXPECT_EQ(asr.find(avp::msf_event_cause)->enumerated(), 3u);
}

}  // namespace
}  // namespace msf::rx
