// The dictionary tables: lookups, the AVPs our peers send, command rules, result codes, config.
#include "controlplane/diameter/dictionary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "controlplane/diameter/message.hpp"

namespace msf::diameter {
namespace {

TEST(Dictionary, FindsAvpsByCodeAndVendor) {
    EXPECT_EQ(find_avp(263, 0), &avp::session_id);
    EXPECT_EQ(find_avp(518, kVendor3gpp), &avp::media_component_number);
    EXPECT_EQ(find_avp(458, kVendorEtsi), &avp::reservation_priority);
    EXPECT_EQ(find_avp(1004, kMsfVendorId), &avp::msf_master_key);
    EXPECT_EQ(find_avp(518, 0), nullptr);            // a 3GPP code without its vendor
    EXPECT_EQ(find_avp(263, kVendor3gpp), nullptr);  // an IETF code with a vendor
    EXPECT_EQ(find_avp(999999, 0), nullptr);
    EXPECT_EQ(find_avp(1004, 12345), nullptr);
}

TEST(Dictionary, MsfAvpsAreFoundUnderTheConfiguredVendorOnly) {
    EXPECT_EQ(find_avp(1004, 99999, 99999), &avp::msf_master_key);
    EXPECT_EQ(find_avp(1004, kMsfVendorId, 99999), nullptr);
    EXPECT_EQ(find_avp(263, 0, 99999), &avp::session_id);
}

TEST(Dictionary, EveryAvpIsFoundByItsOwnKey) {
    for (const AvpDef& def : kAvps) {
        SCOPED_TRACE(def.name);
        EXPECT_EQ(find_avp(def.code, vendor_id(def.vendor, kMsfVendorId)), &def);
        EXPECT_EQ(avp_index(def), static_cast<size_t>(&def - kAvps));
    }
}

struct PeerAvp {
    uint32_t code;
    uint32_t vendor;
    DataType type;
};

// Every AVP Kamailio 5.6 sends with the M bit: cdp (CER, CEA, DWR, DWA, DPR, session timers) and
// ims_qos (rx_aar.c, rx_avp.c, rx_str.c), and freeDiameter 1.2.1's CER/DWR/DPR and test_app.
TEST(Dictionary, EveryAvpOurPeersSendIsKnownWithItsVendorAndType) {
    const PeerAvp peer_avps[] = {
        {263, 0, DataType::utf8_string},
        {264, 0, DataType::diameter_identity},
        {296, 0, DataType::diameter_identity},
        {283, 0, DataType::diameter_identity},
        {293, 0, DataType::diameter_identity},
        {257, 0, DataType::address},
        {266, 0, DataType::unsigned32},
        {269, 0, DataType::utf8_string},
        {258, 0, DataType::unsigned32},
        {259, 0, DataType::unsigned32},
        {260, 0, DataType::grouped},
        {265, 0, DataType::unsigned32},
        {268, 0, DataType::unsigned32},
        {273, 0, DataType::enumerated},
        {278, 0, DataType::unsigned32},
        {267, 0, DataType::unsigned32},
        {299, 0, DataType::unsigned32},
        {1, 0, DataType::utf8_string},
        {291, 0, DataType::unsigned32},
        {276, 0, DataType::unsigned32},
        {27, 0, DataType::unsigned32},
        {295, 0, DataType::enumerated},
        {443, 0, DataType::grouped},
        {450, 0, DataType::enumerated},
        {444, 0, DataType::utf8_string},
        {8, 0, DataType::ipv4_octets},
        {97, 0, DataType::ipv6_prefix},
        {504, kVendor3gpp, DataType::octet_string},
        {527, kVendor3gpp, DataType::enumerated},
        {517, kVendor3gpp, DataType::grouped},
        {518, kVendor3gpp, DataType::unsigned32},
        {519, kVendor3gpp, DataType::grouped},
        {509, kVendor3gpp, DataType::unsigned32},
        {507, kVendor3gpp, DataType::ip_filter_rule},
        {512, kVendor3gpp, DataType::enumerated},
        {520, kVendor3gpp, DataType::enumerated},
        {515, kVendor3gpp, DataType::unsigned32},
        {516, kVendor3gpp, DataType::unsigned32},
        {521, kVendor3gpp, DataType::unsigned32},
        {522, kVendor3gpp, DataType::unsigned32},
        {511, kVendor3gpp, DataType::enumerated},
        {524, kVendor3gpp, DataType::octet_string},
        {513, kVendor3gpp, DataType::enumerated},
        {500, kVendor3gpp, DataType::enumerated},
        {297, 0, DataType::grouped},
        {298, 0, DataType::unsigned32},
        {458, kVendorEtsi, DataType::enumerated},
    };
    for (const PeerAvp& a : peer_avps) {
        const AvpDef* def = find_avp(a.code, a.vendor);
        ASSERT_NE(def, nullptr) << a.code << "/" << a.vendor;
        EXPECT_EQ(def->type, a.type) << def->name;
    }
}

TEST(Dictionary, FlagsToSendFollowTheRules) {
    EXPECT_EQ(avp::session_id.flags_to_send(), kAvpFlagMandatory);
    EXPECT_EQ(avp::product_name.flags_to_send(), 0);  // RFC 6733 §4.5: M must not
    EXPECT_EQ(avp::media_component_description.flags_to_send(), kAvpFlagVendor | kAvpFlagMandatory);
    for (const AvpDef& def : kAvps) {
        if (def.vendor == Vendor::msf) {
            EXPECT_EQ(def.flags_to_send(), kAvpFlagVendor) << def.name;
        }
    }
}

TEST(Dictionary, KeysAreSecretsAndMsfEnumerationsAreClosed) {
    EXPECT_TRUE(avp::msf_master_key.secret);
    EXPECT_TRUE(avp::msf_master_salt.secret);
    EXPECT_TRUE(avp::msf_sdes_crypto.secret);
    EXPECT_FALSE(avp::msf_mki.secret);
    EXPECT_TRUE(avp::msf_direction.closed_values);
    EXPECT_TRUE(avp::msf_rtcp_mux.closed_values);
    EXPECT_TRUE(avp::msf_event_cause.closed_values);
    EXPECT_FALSE(avp::specific_action.closed_values);
    EXPECT_EQ(avp::msf_event_cause.value_name(3), "DATAPLANE_LOST");
    EXPECT_EQ(avp::media_type.value_name(0xffffffff), "OTHER");
    EXPECT_EQ(avp::media_type.value_name(77), "");
}

TEST(Dictionary, GroupRulesNameTheRequiredMembers) {
    const auto mcd = group_rules(avp::media_component_description);
    ASSERT_FALSE(mcd.empty());
    EXPECT_EQ(&kAvps[mcd[0].avp], &avp::media_component_number);
    EXPECT_EQ(mcd[0].min, 1);
    EXPECT_EQ(mcd[0].max, 1);
    EXPECT_TRUE(group_rules(avp::failed_avp).empty());
    EXPECT_TRUE(group_rules(avp::session_id).empty());
}

TEST(Dictionary, CommandsCarryTheirApplicationProxiableBitAndTolerances) {
    EXPECT_EQ(find_command(265), &cmd::aar);
    EXPECT_EQ(find_command(999), nullptr);
    EXPECT_EQ(cmd::cer.application, app::base);
    EXPECT_FALSE(cmd::cer.proxiable);
    EXPECT_EQ(cmd::aar.application, app::rx);
    EXPECT_TRUE(cmd::aar.proxiable);
    EXPECT_EQ(cmd::str.code, 275u);
    EXPECT_EQ(cmd::rar.code, 258u);
    EXPECT_EQ(cmd::asr.code, 274u);
    auto mentions = [](std::span<const AvpRule> rules, const AvpDef& def) {
        for (const AvpRule& r : rules)
            if (&kAvps[r.avp] == &def) return true;
        return false;
    };
    // Kamailio 5.6 omits these; the RFC requires them.
    EXPECT_FALSE(mentions(cmd::aar.request_rules, avp::auth_request_type));
    EXPECT_FALSE(mentions(cmd::cer.request_rules, avp::host_ip_address));
    EXPECT_TRUE(mentions(cmd::aar.request_rules, avp::destination_realm));
}

TEST(ResultCodes, NamesAndClasses) {
    EXPECT_EQ(result_code_name(ResultCode::success), "DIAMETER_SUCCESS");
    EXPECT_EQ(result_code_name(5005), "DIAMETER_MISSING_AVP");
    EXPECT_EQ(result_code_name(3010), "DIAMETER_UNKNOWN_PEER");
    EXPECT_EQ(result_code_name(5030), "DIAMETER_USER_UNKNOWN");
    EXPECT_EQ(result_code_name(5065, kVendor3gpp), "IP-CAN_SESSION_NOT_AVAILABLE");
    EXPECT_EQ(result_code_name(5065), "");
    EXPECT_EQ(result_code_name(1234), "");
    EXPECT_TRUE(is_protocol_error(3008));
    EXPECT_FALSE(is_protocol_error(5001));
    for (const ResultCodeInfo& r : kResultCodes) EXPECT_FALSE(r.name.empty()) << r.code;
}

TEST(Describe, NamesKnownAvpsAndNumbersUnknownOnes) {
    EXPECT_EQ(describe_avp(263, 0), "Session-Id (263)");
    EXPECT_EQ(describe_avp(518, kVendor3gpp), "Media-Component-Number (518/10415)");
    EXPECT_EQ(describe_avp(1004, kMsfVendorId), "MSF-Master-Key (1004/32473)");
    EXPECT_EQ(describe_avp(77, 0), "AVP 77/0");
    EXPECT_EQ(data_type_name(DataType::ip_filter_rule), "IPFilterRule");
}

TEST(Config, DefaultsAreValidAndCollidingOrAbsurdSettingsThrow) {
    EXPECT_NO_THROW(check_config(CodecConfig{}));
    CodecConfig c;
    c.msf_vendor_id = kVendor3gpp;
    EXPECT_THROW(check_config(c), std::invalid_argument);
    c = {};
    c.msf_vendor_id = 0;
    EXPECT_THROW(check_config(c), std::invalid_argument);
    c = {};
    c.max_message_size = 18;
    EXPECT_THROW(check_config(c), std::invalid_argument);
    c.max_message_size = 1 << 24;
    EXPECT_THROW(check_config(c), std::invalid_argument);
    c.max_message_size = 4098;
    EXPECT_THROW(check_config(c), std::invalid_argument);
    c = {};
    c.max_depth = 0;
    EXPECT_THROW(check_config(c), std::invalid_argument);
    c = {};
    c.max_avps = 0;
    EXPECT_THROW(check_config(c), std::invalid_argument);
}

}  // namespace
}  // namespace msf::diameter
