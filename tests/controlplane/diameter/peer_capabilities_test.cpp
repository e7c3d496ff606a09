// Capabilities exchange (RFC 6733 §5.3): our CER and CEA, reading a peer's, common applications.
#include "controlplane/diameter/peer_capabilities.hpp"

#include <gtest/gtest.h>

#include "tests/controlplane/diameter/kamailio_frames.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

namespace msf::diameter::testing {
namespace {

LocalCapabilities msf_capabilities() {
    LocalCapabilities local;
    local.origin_host = std::string(kMsfHost);
    local.origin_realm = std::string(kMsfRealm);
    local.vendor_id = kMsfVendorId;
    local.product_name = "msf-controld";
    local.firmware_revision = 100;
    local.origin_state_id = 1700000001;
    local.supported_vendor_ids = {kVendor3gpp, kMsfVendorId};
    local.auth_applications = {{app::rx, kVendor3gpp}};
    return local;
}

TEST(PeerCapabilities, OurCerIsValidAndReadsBack) {
    const Message cer = make_cer(msf_capabilities(), ip("192.0.2.20"), kMsfVendorId);
    EXPECT_TRUE(cer.is_request());
    EXPECT_EQ(cer.command_code(), cmd::cer.code);
    EXPECT_FALSE(validate(cer).has_value()) << to_string(*validate(cer));
    const PeerCapabilities caps = read_capabilities(cer);
    EXPECT_EQ(caps.origin_host, kMsfHost);
    EXPECT_EQ(caps.origin_realm, kMsfRealm);
    EXPECT_EQ(caps.host_addresses, std::vector<net::IpAddr>{ip("192.0.2.20")});
    EXPECT_EQ(caps.vendor_id, kMsfVendorId);
    EXPECT_EQ(caps.product_name, "msf-controld");
    EXPECT_EQ(caps.firmware_revision, 100u);
    EXPECT_EQ(caps.origin_state_id, 1700000001u);
    EXPECT_EQ(caps.supported_vendor_ids, (std::vector<uint32_t>{kVendor3gpp, kMsfVendorId}));
    // Rx both plain and vendor-specific (§6.11), kept once each.
    EXPECT_EQ(caps.applications, (std::vector<Application>{{app::rx, 0}, {app::rx, kVendor3gpp}}));
}

TEST(PeerCapabilities, ConfiguredHostAddressesReplaceTheConnectionsAddress) {
    LocalCapabilities local = msf_capabilities();
    local.host_addresses = {ip("198.51.100.1"), ip("2001:db8::1")};
    const PeerCapabilities caps = read_capabilities(make_cer(local, ip("192.0.2.20"), kMsfVendorId));
    EXPECT_EQ(caps.host_addresses, local.host_addresses);
}

TEST(PeerCapabilities, SuccessCeaAnswersTheCerWithOurCapabilities) {
    const Message cer = sample_cer();
    const Message cea = make_cea(cer, ResultCode::success, msf_capabilities(), ip("192.0.2.20"));
    EXPECT_FALSE(cea.is_request());
    EXPECT_EQ(cea.hop_by_hop(), cer.hop_by_hop());
    EXPECT_EQ(cea.end_to_end(), cer.end_to_end());
    EXPECT_FALSE(validate(cea).has_value()) << to_string(*validate(cea));
    EXPECT_EQ(cea.find(avp::result_code)->unsigned32(), 2001u);
    EXPECT_EQ(read_capabilities(cea).origin_host, kMsfHost);
}

TEST(PeerCapabilities, ProtocolErrorCeaHasTheEBitAndTheErrorLayout) {
    const Message cea = make_cea(sample_cer(), ResultCode::unknown_peer, msf_capabilities(), ip("192.0.2.20"),
                                 "unknown peer");
    EXPECT_TRUE(cea.is_error());
    EXPECT_FALSE(validate(cea).has_value()) << to_string(*validate(cea));
    EXPECT_EQ(cea.find(avp::result_code)->unsigned32(), 3010u);
    EXPECT_EQ(cea.find(avp::error_message)->text(), "unknown peer");
}

TEST(PeerCapabilities, PermanentFailureCeaIsACompleteCea) {
    const Message cea = make_cea(sample_cer(), ResultCode::no_common_application, msf_capabilities(),
                                 ip("192.0.2.20"), "no common application");
    EXPECT_FALSE(cea.is_error());
    EXPECT_FALSE(validate(cea).has_value()) << to_string(*validate(cea));
    EXPECT_TRUE(cea.find(avp::vendor_id).has_value());
    EXPECT_TRUE(cea.find(avp::product_name).has_value());
    EXPECT_TRUE(cea.find(avp::host_ip_address).has_value());
}

TEST(PeerCapabilities, KamailioCerWithoutHostIpAddressReads) {
    Decoded<Message> cer = decode(from_hex(kKamailioCerHex));
    ASSERT_TRUE(cer.ok());
    ASSERT_FALSE(validate(*cer).has_value());
    const PeerCapabilities caps = read_capabilities(*cer);
    EXPECT_EQ(caps.origin_host, kPcscfHost);
    EXPECT_TRUE(caps.host_addresses.empty());
    EXPECT_EQ(caps.product_name, "Kamailio");
    EXPECT_FALSE(caps.origin_state_id.has_value());
    EXPECT_TRUE(advertises(caps, app::rx));
    EXPECT_FALSE(check_capabilities(caps, msf_capabilities()).has_value());
}

TEST(PeerCapabilities, NoCommonApplicationIsFound) {
    Message cer = Message::request(cmd::cer);
    cer.add(avp::origin_host, kPcscfHost).add(avp::origin_realm, kPcscfRealm).add(avp::vendor_id, 0u)
        .add(avp::product_name, "p").add(avp::auth_application_id, 4u).add(avp::acct_application_id, 3u);
    const auto mismatch = check_capabilities(read_capabilities(cer), msf_capabilities());
    ASSERT_TRUE(mismatch.has_value());
    EXPECT_EQ(mismatch->result, ResultCode::no_common_application);
    EXPECT_NE(mismatch->reason.find("4, 3"), std::string::npos) << mismatch->reason;
}

TEST(PeerCapabilities, NoApplicationAtAllIsNoCommonApplication) {
    Message cer = Message::request(cmd::cer);
    cer.add(avp::origin_host, kPcscfHost).add(avp::origin_realm, kPcscfRealm).add(avp::vendor_id, 0u)
        .add(avp::product_name, "p");
    const auto mismatch = check_capabilities(read_capabilities(cer), msf_capabilities());
    ASSERT_TRUE(mismatch.has_value());
    EXPECT_EQ(mismatch->result, ResultCode::no_common_application);
}

TEST(PeerCapabilities, RelayApplicationIsCommonWithEverything) {
    Message cer = Message::request(cmd::cer);
    cer.add(avp::origin_host, kPcscfHost).add(avp::origin_realm, kPcscfRealm).add(avp::vendor_id, 0u)
        .add(avp::product_name, "agent").add(avp::auth_application_id, app::relay);
    EXPECT_FALSE(check_capabilities(read_capabilities(cer), msf_capabilities()).has_value());
}

TEST(PeerCapabilities, RxInsideVendorSpecificApplicationIdOnlyIsCommon) {
    Message cer = Message::request(cmd::cer);
    cer.add(avp::origin_host, kPcscfHost).add(avp::origin_realm, kPcscfRealm).add(avp::vendor_id, 0u)
        .add(avp::product_name, "p");
    cer.add_group(avp::vendor_specific_application_id).add(avp::vendor_id, kVendor3gpp).add(avp::auth_application_id, app::rx);
    const PeerCapabilities caps = read_capabilities(cer);
    EXPECT_EQ(caps.applications, (std::vector<Application>{{app::rx, kVendor3gpp}}));
    EXPECT_FALSE(check_capabilities(caps, msf_capabilities()).has_value());
}

TEST(PeerCapabilities, InBandTlsOnlyIsNoCommonSecurity) {
    Message cer = sample_cer();
    cer.add(avp::inband_security_id, 1u);
    const auto tls_only = check_capabilities(read_capabilities(cer), msf_capabilities());
    ASSERT_TRUE(tls_only.has_value());
    EXPECT_EQ(tls_only->result, ResultCode::no_common_security);
    cer.add(avp::inband_security_id, 0u);  // NO_INBAND_SECURITY offered too
    EXPECT_FALSE(check_capabilities(read_capabilities(cer), msf_capabilities()).has_value());
}

TEST(PeerCapabilities, AdvertisedListsAreBounded) {
    Message cer = sample_cer();
    for (uint32_t i = 0; i < 1000; ++i) cer.add(avp::supported_vendor_id, i + 100).add(avp::auth_application_id, i + 100);
    const PeerCapabilities caps = read_capabilities(cer);
    EXPECT_EQ(caps.supported_vendor_ids.size(), kMaxAdvertised);
    EXPECT_EQ(caps.applications.size(), kMaxAdvertised);
}

}  // namespace
}  // namespace msf::diameter::testing
