#include "controlplane/rx/aar.hpp"

#include <gtest/gtest.h>

#include "tests/controlplane/rx/rx_samples.hpp"

namespace msf::rx {
namespace {

using namespace samples;

MediaPolicy policy() {
    MediaPolicy p;
    for (const auto& info : srtp::kSuites) p.suites.push_back(info.suite);
    return p;
}

std::vector<uint8_t> hex(const std::string& text) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < text.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
    return out;
}

const std::vector<uint8_t> kUeKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
const std::vector<uint8_t> kUeSalt = hex("0EC675AD498AFEEBB6960B3AABE6");

diameter::Message kamailio_aar() {
    diameter::Message aar = base_aar();
    add_component(aar, 1, standard_flows(),
                  {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64)),
                   downlink_answer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kNetKeyB64))});
    return aar;
}

TEST(PlanAar, KamailioAarWithCryptoInCodecDataGivesBothKeysAndTheCorePeer) {
    const diameter::Message aar = kamailio_aar();
    ASSERT_FALSE(diameter::validate(aar)) << "sample AAR must be valid";
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    ASSERT_TRUE(plan->initial);
    const auto& s = plan->desired;
    EXPECT_EQ(s.session_id, "pcscf.ims.test;1;1");
    EXPECT_EQ(s.peer, "pcscf.ims.test");
    EXPECT_EQ(s.realm, "ims.test");
    ASSERT_EQ(s.streams.size(), 1u);
    const auto& stream = s.streams[0];
    EXPECT_EQ(stream.component_number, 1u);
    EXPECT_EQ(stream.media_type, "audio");
    EXPECT_FALSE(stream.to_ue_key_generated);
    EXPECT_EQ(stream.spec.from_ue.suite, srtp::Suite::aes_cm_128_hmac_sha1_80);
    EXPECT_EQ(stream.spec.from_ue.master_key, kUeKey);
    EXPECT_EQ(stream.spec.from_ue.master_salt, kUeSalt);
    std::vector<uint8_t> counting(30);
    for (size_t i = 0; i < 30; ++i) counting[i] = static_cast<uint8_t>(i);
    EXPECT_EQ(stream.spec.to_ue.master_key, std::vector<uint8_t>(counting.begin(), counting.begin() + 16));
    EXPECT_EQ(stream.spec.core.remote.to_string(), "198.51.100.20:30000");
    EXPECT_TRUE(stream.spec.core.local.addr.is_v4());
    EXPECT_EQ(stream.spec.core.local.port, 0);
    EXPECT_TRUE(stream.spec.access.local.addr.is_v4());
    EXPECT_TRUE(stream.spec.access.remote.empty()) << "the access leg latches the UE";
    EXPECT_FALSE(stream.spec.access.rtcp_mux);
    EXPECT_TRUE(plan->not_relayed.empty());
}

TEST(PlanAar, VendorProtectionAvpsWinAndAMissingNetworkKeyIsGenerated) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, standard_flows());
    aar.add_group(avp::msf_media_protection)
        .add(avp::msf_direction, 0u)
        .add(avp::msf_crypto_suite, "AEAD_AES_256_GCM")
        .add(avp::msf_master_key, std::span<const uint8_t>(std::vector<uint8_t>(32, 0x11)))
        .add(avp::msf_master_salt, std::span<const uint8_t>(std::vector<uint8_t>(12, 0x22)))
        .add(avp::msf_mki, std::span<const uint8_t>(std::vector<uint8_t>{0, 1}));
    ASSERT_FALSE(diameter::validate(aar));
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    const auto& spec = plan->desired.streams.at(0).spec;
    EXPECT_EQ(spec.from_ue.suite, srtp::Suite::aead_aes_256_gcm);
    EXPECT_EQ(spec.from_ue.master_key, std::vector<uint8_t>(32, 0x11));
    EXPECT_EQ(spec.from_ue.mki, (std::vector<uint8_t>{0, 1}));
    EXPECT_TRUE(plan->desired.streams[0].to_ue_key_generated);
    EXPECT_EQ(spec.to_ue.suite, srtp::Suite::aead_aes_256_gcm);
    EXPECT_EQ(spec.to_ue.master_key.size(), 32u);
    EXPECT_EQ(spec.to_ue.master_salt.size(), 12u);
    EXPECT_NE(spec.to_ue.master_key, std::vector<uint8_t>(32, 0));
    // Generated keys differ each time.
    auto again = plan_aar(aar, nullptr, policy());
    EXPECT_NE(again->desired.streams[0].spec.to_ue.master_key, spec.to_ue.master_key);
}

TEST(PlanAar, ProtectionAvpForAnotherComponentIsIgnored) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, standard_flows(), {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64))});
    aar.add_group(avp::msf_media_protection)
        .add(avp::msf_direction, 0u)
        .add(avp::media_component_number, 2u)
        .add(avp::msf_sdes_crypto, std::string("1 AES_CM_128_HMAC_SHA1_32 inline:") + kNetKeyB64);
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_EQ(plan->desired.streams[0].spec.from_ue.suite, srtp::Suite::aes_cm_128_hmac_sha1_80);
}

TEST(PlanAar, NoKeyIsRefusedWhenPolicyRequiresProtection) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, standard_flows());
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_FALSE(plan.ok());
    EXPECT_TRUE(plan.error().experimental);
    EXPECT_EQ(plan.error().code, 5063u);
    EXPECT_NE(plan.error().message.find("requires media protection"), std::string::npos);
}

TEST(PlanAar, NoKeyLeavesTheComponentUnrelayedWhenProtectionIsOptional) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, standard_flows());
    MediaPolicy p = policy();
    p.require_protection = false;
    auto plan = plan_aar(aar, nullptr, p);
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_TRUE(plan->desired.streams.empty());
    EXPECT_EQ(plan->not_relayed, std::vector<uint32_t>{1});
    // ... unless the realm is one where protection is required.
    p.require_protection_realms = {"ims.test"};
    EXPECT_FALSE(plan_aar(aar, nullptr, p).ok());
}

TEST(PlanAar, SuiteOutsidePolicyIsRefused) {
    MediaPolicy p = policy();
    p.suites = {srtp::Suite::aead_aes_128_gcm};
    auto plan = plan_aar(kamailio_aar(), nullptr, p);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().code, 5063u);
}

TEST(PlanAar, MalformedFlowDescriptionGivesInvalidAvpValueWithTheAvp) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, {{"permit sideways 17 from 192.0.2.2 1 to 198.51.100.20 2", false}},
                  {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64))});
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_FALSE(plan.ok());
    EXPECT_FALSE(plan.error().experimental);
    EXPECT_EQ(plan.error().code, 5004u);
    EXPECT_FALSE(plan.error().failed_avp.empty());
}

TEST(PlanAar, MalformedCryptoLineIsInvalidServiceInformation) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, standard_flows(), {uplink_offer("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\n")});
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().code, 5063u);
}

TEST(PlanAar, WrongKeyLengthInVendorAvpIsRefused) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, standard_flows());
    aar.add_group(avp::msf_media_protection)
        .add(avp::msf_direction, 0u)
        .add(avp::msf_crypto_suite, "AES_CM_128_HMAC_SHA1_80")
        .add(avp::msf_master_key, std::span<const uint8_t>(std::vector<uint8_t>(15, 1)))
        .add(avp::msf_master_salt, std::span<const uint8_t>(std::vector<uint8_t>(14, 2)));
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().code, 5061u);
    EXPECT_NE(plan.error().message.find("16-byte key"), std::string::npos);
}

TEST(PlanAar, MissingCorePeerIsInvalidServiceInformation) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, {{"permit in 17 from 192.0.2.2 49170 to any", false}},
                  {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64))});
    // The uplink SDP gives the UE, nothing gives the core peer.
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().code, 5061u);
}

TEST(PlanAar, CorePeerComesFromCodecDataWhenFlowsDoNotNameIt) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, {},
                  {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64)),
                   downlink_answer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kNetKeyB64))});
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_EQ(plan->desired.streams[0].spec.core.remote.to_string(), "198.51.100.20:30000");
}

TEST(PlanAar, RtcpOnTheRtpPortMeansMultiplexing) {
    diameter::Message aar = base_aar();
    add_component(aar, 1,
                  {{"permit in 17 from 192.0.2.2 49170 to 198.51.100.20 30000", false},
                   {"permit in 17 from 192.0.2.2 49170 to 198.51.100.20 30000", true}},
                  {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64))});
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_TRUE(plan->desired.streams[0].spec.access.rtcp_mux);
    EXPECT_TRUE(plan->desired.streams[0].spec.core.rtcp_mux);
    MediaPolicy never = policy();
    never.rtcp_mux = RtcpMuxPolicy::never;
    EXPECT_FALSE(plan_aar(aar, nullptr, never)->desired.streams[0].spec.access.rtcp_mux);
}

TEST(PlanAar, RtcpMuxInBothSdpsMeansMultiplexingAndInOneOnlyDoesNot) {
    const std::string mux = "a=rtcp-mux\r\n";
    const std::string key = crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64);
    diameter::Message both = base_aar();
    add_component(both, 1, {}, {uplink_offer(key, mux), downlink_answer("", mux)});
    EXPECT_TRUE(plan_aar(both, nullptr, policy())->desired.streams[0].spec.access.rtcp_mux);
    diameter::Message one = base_aar();
    add_component(one, 1, {}, {uplink_offer(key, mux), downlink_answer("")});
    EXPECT_FALSE(plan_aar(one, nullptr, policy())->desired.streams[0].spec.access.rtcp_mux);
}

TEST(PlanAar, FramedIpAddressDecidesWhichEndIsTheUe) {
    // Both rules written "out" (as some P-CSCFs do); the Framed-IP-Address names the UE.
    diameter::Message aar = base_aar();
    net::IpAddr ue = *net::IpAddr::parse("192.0.2.2");
    aar.add(avp::framed_ip_address, ue);
    add_component(aar, 1,
                  {{"permit out 17 from 192.0.2.2 49170 to 198.51.100.20 30000", false},
                   {"permit out 17 from 198.51.100.20 30000 to 192.0.2.2 49170", false}},
                  {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64))});
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_EQ(plan->desired.streams[0].spec.core.remote.to_string(), "198.51.100.20:30000");
}

TEST(PlanAar, Ipv6CorePeerGetsAnIpv6CoreAddress) {
    diameter::Message aar = base_aar();
    add_component(aar, 1,
                  {{"permit in 17 from 2001:db8:a::2 49170 to 2001:db8:c::20 30000", false},
                   {"permit out 17 from 2001:db8:c::20 30000 to 2001:db8:a::2 49170", false}},
                  {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64))});
    auto plan = plan_aar(aar, nullptr, policy());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    const auto& spec = plan->desired.streams[0].spec;
    EXPECT_TRUE(spec.core.local.addr.is_v6());
    EXPECT_TRUE(spec.access.local.addr.is_v6());
    EXPECT_EQ(spec.core.remote.to_string(), "[2001:db8:c::20]:30000");
}

TEST(PlanAar, TcpComponentIsNotRelayed) {
    diameter::Message aar = base_aar();
    add_component(aar, 1, {{"permit in 6 from 192.0.2.2 2855 to 198.51.100.20 2855", false}});
    MediaPolicy p = policy();
    auto plan = plan_aar(aar, nullptr, p);
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_EQ(plan->not_relayed, std::vector<uint32_t>{1});
}

TEST(PlanAar, UpdateChangesTheRemoteKeepsKeysAddsAndRemovesComponents) {
    auto first = plan_aar(kamailio_aar(), nullptr, policy());
    ASSERT_TRUE(first.ok());
    sessions::ControlSession installed = first->desired;
    installed.streams[0].spec.access.local.port = 20000;  // as the manager allocated
    installed.streams[0].spec.core.local.port = 30000;

    diameter::Message update = base_aar();
    update.add(avp::rx_request_type, 1u);  // UPDATE_REQUEST
    add_component(update, 1, {{"permit out 17 from 198.51.100.21 40000 to 192.0.2.2 49170", false}});
    add_component(update, 2, standard_flows(), {uplink_offer(crypto_line(1, "AEAD_AES_128_GCM", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"))});
    auto plan = plan_aar(update, &installed, policy());
    // AEAD_AES_128_GCM takes 28 bytes, the line has 30: refused, nothing half-planned.
    ASSERT_FALSE(plan.ok());

    diameter::Message update2 = base_aar();
    add_component(update2, 1, {{"permit out 17 from 198.51.100.21 40000 to 192.0.2.2 49170", false}});
    add_component(update2, 2, standard_flows(),
                  {uplink_offer(crypto_line(1, "AES_256_CM_HMAC_SHA1_80",
                                            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ=="))});
    plan = plan_aar(update2, &installed, policy());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_FALSE(plan->initial);
    ASSERT_EQ(plan->desired.streams.size(), 2u);
    const auto& one = plan->desired.streams[0];
    EXPECT_EQ(one.spec.core.remote.to_string(), "198.51.100.21:40000");
    EXPECT_EQ(one.spec.from_ue.master_key, kUeKey) << "keys stay when the update names none";
    EXPECT_EQ(one.spec.access.local.port, 20000) << "allocated ports stay";
    EXPECT_EQ(plan->desired.streams[1].component_number, 2u);
    EXPECT_EQ(plan->desired.streams[1].spec.from_ue.suite, srtp::Suite::aes_256_cm_hmac_sha1_80);

    diameter::Message removal = base_aar();
    add_component(removal, 1, {}, {}, 4);  // Flow-Status REMOVED
    auto removed = plan_aar(removal, &plan->desired, policy());
    ASSERT_TRUE(removed.ok()) << to_string(removed.error());
    ASSERT_EQ(removed->desired.streams.size(), 1u);
    EXPECT_EQ(removed->desired.streams[0].component_number, 2u);
}

TEST(PlanAar, InitialRequestForASessionOfAnotherPeerIsADuplicate) {
    auto first = plan_aar(kamailio_aar(), nullptr, policy());
    ASSERT_TRUE(first.ok());
    sessions::ControlSession installed = first->desired;
    installed.peer = "other.ims.test";
    diameter::Message again = kamailio_aar();
    again.add(avp::rx_request_type, 0u);
    auto plan = plan_aar(again, &installed, policy());
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().code, 5064u);
}

TEST(PlanAar, AarWithoutMediaIsMissingAvp) {
    auto plan = plan_aar(base_aar(), nullptr, policy());
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().code, 5005u);
}

}  // namespace
}  // namespace msf::rx

namespace msf::rx {
namespace {

TEST(PlanAar, UplinkSdpAddressDecidesWhichEndIsTheUeWithoutFramedIp) {
    // freeDiameter-based and Kamailio-style P-CSCFs may write "out" from the UE; the UE's SDP
    // in Codec-Data names the UE's address.
    diameter::Message aar = samples::base_aar();
    samples::add_component(aar, 1,
                           {{"permit out 17 from 192.0.2.2 49170 to 198.51.100.20 30000", false},
                            {"permit in 17 from 198.51.100.20 30000 to 192.0.2.2 49170", false}},
                           {samples::uplink_offer(samples::crypto_line(1, "AES_CM_128_HMAC_SHA1_80", samples::kUeKeyB64))});
    MediaPolicy p;
    for (const auto& info : srtp::kSuites) p.suites.push_back(info.suite);
    auto plan = plan_aar(aar, nullptr, p);
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_EQ(plan->desired.streams[0].spec.core.remote.to_string(), "198.51.100.20:30000");
}

// ---- MSRP components (Media-Type MESSAGE, RFC 4975) ----

namespace msrp {

constexpr const char* kUeUri = "msrps://192.0.2.2:2855/ue-abc;tcp";
constexpr const char* kCoreUri = "msrp://198.51.100.20:2855/core-xyz;tcp";

MediaPolicy with_relay() {
    MediaPolicy p = policy();
    p.msrp = {true, "192.0.2.10:2855", "198.51.100.10:2855"};
    return p;
}

// Component 2: MSRP over TCP, as a P-CSCF describes it, PSK in the component.
diameter::Message msrp_aar(bool with_psk = true, bool with_paths = true) {
    diameter::Message aar = base_aar();
    aar.add(avp::framed_ip_address, net::IpAddr::parse("192.0.2.2").value());
    auto mcd = aar.add_group(avp::media_component_description);
    mcd.add(avp::media_component_number, 2u).add(avp::media_type, 6u);  // MESSAGE
    const std::string up = std::string("uplink\noffer\nm=message 2855 TCP/TLS/MSRP *\r\nc=IN IP4 192.0.2.2\r\n") +
                           (with_paths ? std::string("a=path:") + kUeUri + "\r\n" : "") + std::string(1, '\0');
    const std::string down = std::string("downlink\nanswer\nm=message 2855 TCP/MSRP *\r\nc=IN IP4 198.51.100.20\r\n") +
                             (with_paths ? std::string("a=path:") + kCoreUri + "\r\n" : "") + std::string(1, '\0');
    mcd.add(avp::codec_data, up).add(avp::codec_data, down);
    mcd.add_group(avp::media_sub_component)
        .add(avp::flow_number, 1u)
        .add(avp::flow_description, "permit in 6 from 192.0.2.2 2855 to 198.51.100.20 2855")
        .add(avp::flow_description, "permit out 6 from 198.51.100.20 2855 to 192.0.2.2 2855");
    if (with_psk) {
        mcd.add_group(avp::msf_msrp_protection)
            .add(avp::msf_tls_psk_identity, "e2ae-00112233445566778899aabb")
            .add(avp::msf_tls_psk, std::span<const uint8_t>(std::vector<uint8_t>(32, 0x5a)));
    }
    return aar;
}

TEST(PlanAarMsrp, MessageComponentWithAPskBecomesAnMsrpRelayWithTheGatewaysOwnUris) {
    const diameter::Message aar = msrp_aar();
    ASSERT_FALSE(diameter::validate(aar)) << "sample AAR must be valid";
    auto plan = plan_aar(aar, nullptr, with_relay());
    ASSERT_TRUE(plan.ok()) << to_string(plan.error());
    EXPECT_TRUE(plan->desired.streams.empty());
    ASSERT_EQ(plan->desired.messages.size(), 1u);
    const sessions::MessageStream& m = plan->desired.messages[0];
    EXPECT_EQ(m.component_number, 2u);
    EXPECT_EQ(m.psk_identity, "e2ae-00112233445566778899aabb");
    EXPECT_EQ(m.psk, std::vector<uint8_t>(32, 0x5a));
    EXPECT_EQ(m.ue_path, kUeUri);
    EXPECT_EQ(m.core_path, kCoreUri);
    EXPECT_EQ(m.ue_allow, "192.0.2.2");
    EXPECT_EQ(m.gw_access_path.rfind("msrps://192.0.2.10:2855/", 0), 0u) << m.gw_access_path;
    EXPECT_EQ(m.gw_core_path.rfind("msrp://198.51.100.10:2855/", 0), 0u) << m.gw_core_path;
    EXPECT_EQ(m.gw_access_path.substr(m.gw_access_path.size() - 4), ";tcp");
    // A fresh session part each time: two calls never share the gateway's URIs.
    EXPECT_NE(plan_aar(aar, nullptr, with_relay())->desired.messages[0].gw_access_path, m.gw_access_path);
    EXPECT_TRUE(plan->not_relayed.empty());
}

TEST(PlanAarMsrp, UpdateKeepsTheGatewayUrisAndTakesANewPskAndRemovedDropsTheComponent) {
    auto first = plan_aar(msrp_aar(), nullptr, with_relay());
    ASSERT_TRUE(first.ok());
    const sessions::ControlSession installed = first->desired;

    diameter::Message update = msrp_aar();
    auto again = plan_aar(update, &installed, with_relay());
    ASSERT_TRUE(again.ok()) << to_string(again.error());
    ASSERT_EQ(again->desired.messages.size(), 1u);
    EXPECT_EQ(again->desired.messages[0].gw_access_path, installed.messages[0].gw_access_path);
    EXPECT_EQ(again->desired.messages[0].gw_core_path, installed.messages[0].gw_core_path);

    diameter::Message removal = base_aar();
    removal.add_group(avp::media_component_description)
        .add(avp::media_component_number, 2u)
        .add(avp::flow_status, 4u);  // REMOVED
    auto removed = plan_aar(removal, &installed, with_relay());
    ASSERT_TRUE(removed.ok()) << to_string(removed.error());
    EXPECT_TRUE(removed->desired.messages.empty());
}

TEST(PlanAarMsrp, WithoutARelayOrAPskOrPathsTheComponentIsRefusedOrLeftAlone) {
    // No msf-msrpd configured: a PSK asks for something this MSF cannot do.
    auto no_relay = plan_aar(msrp_aar(), nullptr, policy());
    ASSERT_FALSE(no_relay.ok());
    EXPECT_EQ(no_relay.error().code, 5063u);
    EXPECT_NE(no_relay.error().message.find("no MSRP relay"), std::string::npos);

    // No PSK: refused when protection is required, left unrelayed when it is not.
    auto no_psk = plan_aar(msrp_aar(false), nullptr, with_relay());
    ASSERT_FALSE(no_psk.ok());
    EXPECT_EQ(no_psk.error().code, 5063u);
    MediaPolicy optional = with_relay();
    optional.require_protection = false;
    auto unprotected = plan_aar(msrp_aar(false), nullptr, optional);
    ASSERT_TRUE(unprotected.ok()) << to_string(unprotected.error());
    EXPECT_TRUE(unprotected->desired.messages.empty());
    EXPECT_EQ(unprotected->not_relayed, std::vector<uint32_t>{2});

    // No a=path: the relay cannot rewrite paths it does not know.
    auto no_paths = plan_aar(msrp_aar(true, false), nullptr, with_relay());
    ASSERT_FALSE(no_paths.ok());
    EXPECT_EQ(no_paths.error().code, 5061u);
    EXPECT_NE(no_paths.error().message.find("a=path"), std::string::npos);
}

TEST(PlanAarMsrp, PskOfTheWrongLengthOrAnEmptyIdentityIsAnInvalidAvpValue) {
    for (size_t psk_len : {size_t{8}, size_t{65}}) {
        diameter::Message aar = msrp_aar(false);
        aar.add_group(avp::msf_msrp_protection)
            .add(avp::media_component_number, 2u)
            .add(avp::msf_tls_psk_identity, "id")
            .add(avp::msf_tls_psk, std::span<const uint8_t>(std::vector<uint8_t>(psk_len, 1)));
        auto plan = plan_aar(aar, nullptr, with_relay());
        ASSERT_FALSE(plan.ok()) << psk_len;
        EXPECT_EQ(plan.error().code, 5004u);
        EXPECT_NE(plan.error().message.find("MSF-TLS-PSK must be 16..64"), std::string::npos);
    }
    diameter::Message aar = msrp_aar(false);
    aar.add_group(avp::msf_msrp_protection)
        .add(avp::msf_tls_psk_identity, "")
        .add(avp::msf_tls_psk, std::span<const uint8_t>(std::vector<uint8_t>(32, 1)));
    auto plan = plan_aar(aar, nullptr, with_relay());
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().code, 5004u);
}

}  // namespace msrp

}  // namespace
}  // namespace msf::rx
