// The pretty-printer: golden text of an AAR, secrets hidden or revealed, unknown AVPs, values of
// every kind, and frames that do not decode.
#include "controlplane/diameter/pretty.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/controlplane/diameter/sample_messages.hpp"

namespace msf::diameter {
namespace {

using namespace testing;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kAarText =
    "AAR (AA-Request) 265, flags R P, application 16777236 (3GPP Rx), hop-by-hop 0x11110004, "
    "end-to-end 0x22220004\n"
    "  Session-Id (263) M: \"pcscf.ims.example.net;1700000000;42\"\n"
    "  Auth-Application-Id (258) M: 16777236 (3GPP Rx)\n"
    "  Origin-Host (264) M: \"pcscf.ims.example.net\"\n"
    "  Origin-Realm (296) M: \"ims.example.net\"\n"
    "  Destination-Realm (283) M: \"ims.example.net\"\n"
    "  Vendor-Specific-Application-Id (260) M:\n"
    "    Vendor-Id (266) M: 10415 (3GPP)\n"
    "    Auth-Application-Id (258) M: 16777236 (3GPP Rx)\n"
    "  AF-Application-Identifier (504/10415) V M: \"IMS Services\"\n"
    "  Service-Info-Status (527/10415) V M: FINAL_SERVICE_INFORMATION (0)\n"
    "  Media-Component-Description (517/10415) V M:\n"
    "    Media-Component-Number (518/10415) V M: 1\n"
    "    Media-Sub-Component (519/10415) V M:\n"
    "      Flow-Number (509/10415) V M: 1\n"
    "      Flow-Description (507/10415) V M: \"permit out 17 from 198.51.100.7 30000 to 192.0.2.2 "
    "49170\"\n"
    "      Flow-Description (507/10415) V M: \"permit in 17 from 192.0.2.2 49170 to 198.51.100.7 "
    "30000\"\n"
    "    Media-Sub-Component (519/10415) V M:\n"
    "      Flow-Number (509/10415) V M: 2\n"
    "      Flow-Description (507/10415) V M: \"permit out 17 from 198.51.100.7 30001 to 192.0.2.2 "
    "49171\"\n"
    "      Flow-Description (507/10415) V M: \"permit in 17 from 192.0.2.2 49171 to 198.51.100.7 "
    "30001\"\n"
    "      Flow-Usage (512/10415) V M: RTCP (1)\n"
    "    Media-Type (520/10415) V M: AUDIO (0)\n"
    "    Max-Requested-Bandwidth-UL (516/10415) V M: 64000\n"
    "    Max-Requested-Bandwidth-DL (515/10415) V M: 64000\n"
    "    Flow-Status (511/10415) V M: ENABLED (2)\n"
    "    Codec-Data (524/10415) V M: \"uplink\\noffer\\nm=audio 49170 RTP/SAVP 0 8 "
    "101\\r\\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\\r\\n\"\n"
    "  Subscription-Id (443) M:\n"
    "    Subscription-Id-Type (450) M: END_USER_SIP_URI (2)\n"
    "    Subscription-Id-Data (444) M: \"sip:alice@ims.example.net\"\n"
    "  Framed-IP-Address (8) M: 192.0.2.2\n"
    "  MSF-Media-Protection (1001/32473) V:\n"
    "    MSF-Direction (1002/32473) V: UE_TO_NETWORK (0)\n"
    "    Media-Component-Number (518/10415) V M: 1\n"
    "    MSF-Crypto-Suite (1003/32473) V: \"AES_CM_128_HMAC_SHA1_80\"\n"
    "    MSF-Master-Key (1004/32473) V: <hidden, 16 bytes>\n"
    "    MSF-Master-Salt (1005/32473) V: <hidden, 14 bytes>\n"
    "    MSF-Key-Lifetime (1007/32473) V: 2147483648\n";

TEST(Pretty, AarPrintsAsItsGoldenTextWithKeysHidden) { EXPECT_EQ(pretty(sample_aar()), kAarText); }

TEST(Pretty, RevealShowsKeysAsHex) {
    const std::string text = pretty(sample_aar(), PrettyOptions{.reveal_secrets = true});
    EXPECT_THAT(
        text,
        HasSubstr(
            "MSF-Master-Key (1004/32473) V: 0xe1f97a0d3e018be0d64fa32c06de4139 (16 bytes)\n"));
    EXPECT_THAT(
        text,
        HasSubstr("MSF-Master-Salt (1005/32473) V: 0x0ec675ad498afeebb6960b3aabe6 (14 bytes)\n"));
    EXPECT_THAT(text, Not(HasSubstr("hidden")));
}

TEST(Pretty, SdesCryptoIsASecretToo) {
    const std::string text = pretty(sample_aaa());
    EXPECT_THAT(text, HasSubstr("MSF-SDES-Crypto (1008/32473) V: <hidden, 73 bytes>\n"));
    EXPECT_THAT(text, Not(HasSubstr("inline:")));
    EXPECT_THAT(text, HasSubstr("    MSF-Access-Address (1011/32473) V: 203.0.113.5\n"));
    EXPECT_THAT(text, HasSubstr("    MSF-Core-Address (1013/32473) V: 2001:db8:c0::5\n"));
    EXPECT_THAT(text, HasSubstr("    MSF-RTCP-Mux (1015/32473) V: NO (0)\n"));
    EXPECT_THAT(text, HasSubstr("  Result-Code (268) M: 2001 (DIAMETER_SUCCESS)\n"));
    EXPECT_THAT(text, StartsWith("AAA (AA-Answer) 265, flags P, application 16777236 (3GPP Rx), "
                                 "hop-by-hop 0x11110004, end-to-end 0x22220004\n"));
}

TEST(Pretty, UnknownAvpsBinaryDataAndOtherTypesPrintReadably) {
    Message m = Message::request(cmd::dwr);
    m.add_raw(4242, kAvpFlagVendor | kAvpFlagMandatory, 12345, std::vector<uint8_t>{0xde, 0xad})
        .add(avp::event_timestamp, ntp_from_unix(1700000000))
        .add(avp::framed_ipv6_prefix, Ipv6Prefix{ip("2001:db8:1::"), 48})
        .add(avp::class_, std::vector<uint8_t>{0x00, 0x01, 0xff})
        .add(avp::session_id, "quote\" back\\slash \x1b[31m")
        .add(avp::msf_key_lifetime, uint64_t{1} << 40)
        .add(avp::specific_action, 99u);
    m.add_group(avp::experimental_result)
        .add(avp::vendor_id, kVendor3gpp)
        .add(avp::experimental_result_code, 5065u);
    const std::string text = pretty(m);
    EXPECT_THAT(text, HasSubstr("  AVP 4242/12345 V M: 0xdead (2 bytes)\n"));
    EXPECT_THAT(text, HasSubstr("  Event-Timestamp (55) M: 3908988800 (2023-11-14T22:13:20Z)\n"));
    EXPECT_THAT(text, HasSubstr("  Framed-IPv6-Prefix (97) M: 2001:db8:1::/48\n"));
    EXPECT_THAT(text, HasSubstr("  Class (25) M: 0x0001ff (3 bytes)\n"));
    EXPECT_THAT(text, HasSubstr("  Session-Id (263) M: \"quote\\\" back\\\\slash \\x1b[31m\"\n"));
    EXPECT_THAT(text, HasSubstr("  MSF-Key-Lifetime (1007/32473) V: 1099511627776\n"));
    EXPECT_THAT(text, HasSubstr("  Specific-Action (513/10415) V M: 99\n"));
    EXPECT_THAT(text, HasSubstr("    Vendor-Id (266) M: 10415 (3GPP)\n"));
    EXPECT_THAT(
        text,
        HasSubstr("    Experimental-Result-Code (298) M: 5065 (IP-CAN_SESSION_NOT_AVAILABLE)\n"));
    EXPECT_THAT(text, StartsWith("DWR (Device-Watchdog-Request) 280, flags R, application 0"));
}

TEST(Pretty, LongBinaryDataIsElided) {
    Message m = Message::request(cmd::dwr);
    m.add(avp::class_, std::vector<uint8_t>(100, 0xab));
    std::string first_64;  // the default shows 64 of the 100 bytes
    for (int i = 0; i < 64; ++i) first_64 += "ab";
    EXPECT_THAT(pretty(m), HasSubstr("  Class (25) M: 0x" + first_64 + "... (100 bytes)\n"));
    const std::string text = pretty(m, PrettyOptions{.max_hex_bytes = 4});
    EXPECT_THAT(text, HasSubstr("  Class (25) M: 0xabababab... (100 bytes)\n"));
}

TEST(Pretty, UndecodableFrameShowsItsHeaderAndTheErrorButNoBody) {
    std::vector<uint8_t> wire = sample_aar().encode();
    wire[20 + 5] = 0xff;  // Session-Id length 0xff002b overruns the message
    const std::string text = pretty_frame(wire);
    EXPECT_THAT(text, StartsWith("AAR (AA-Request) 265, flags R P, application 16777236 (3GPP Rx), "
                                 "hop-by-hop 0x11110004, end-to-end 0x22220004, 1040 bytes\n"));
    EXPECT_THAT(
        text,
        HasSubstr("  undecodable: \"DIAMETER_INVALID_AVP_LENGTH (5014): Session-Id (263): AVP "
                  "Length 16711723 overruns the message\"\n"));
    EXPECT_THAT(text, Not(HasSubstr("e1f97a0d")));
    EXPECT_EQ(pretty_frame(std::vector<uint8_t>{1, 0}),
              "2 bytes, shorter than a Diameter header\n  undecodable: "
              "\"DIAMETER_INVALID_MESSAGE_LENGTH (5015): 2 bytes, under "
              "the 20-byte header\"\n");
    EXPECT_EQ(pretty_frame(sample_dwr().encode()), pretty(sample_dwr()));
}

}  // namespace
}  // namespace msf::diameter
