// What msf-fd-rx-client puts into an AAR's Media-Component-Description: the Flow-Descriptions as
// Kamailio's ims_qos writes them, the Codec-Data offer/answer with the a=crypto line, and the
// Address and Framed-IP encodings, byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tools/fd_rx_client/rx_media.hpp"

namespace msf::fdrx {
namespace {

// RFC 4568 §9.1's example key: inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR.
const std::string kRfc4568Key = "3d2d6e40255e7821426a75667239293f2c2335685c603d265d7b71695051";

SessionSpec parsed(const std::string& text) {
    auto r = parse_session_spec(text);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
    return r.ok() ? r.value() : SessionSpec{};
}

TEST(RxMedia, RtpAndSeparateRtcpGetTwoSubComponentsInKamailioOrientation) {
    const auto subs = media_sub_components(parsed("ue=192.0.2.2:49170,core=198.51.100.20:30000"));
    ASSERT_EQ(subs.size(), 2u);
    EXPECT_EQ(subs[0].flow_number, 1u);
    EXPECT_EQ(subs[0].usage, FlowUsage::no_information);
    EXPECT_EQ(subs[0].flow_descriptions[0], "permit out 17 from 192.0.2.2 49170 to 198.51.100.20 30000");
    EXPECT_EQ(subs[0].flow_descriptions[1], "permit in 17 from 198.51.100.20 30000 to 192.0.2.2 49170");
    EXPECT_EQ(subs[1].flow_number, 2u);
    EXPECT_EQ(subs[1].usage, FlowUsage::rtcp);
    EXPECT_EQ(subs[1].flow_descriptions[0], "permit out 17 from 192.0.2.2 49171 to 198.51.100.20 30001");
    EXPECT_EQ(subs[1].flow_descriptions[1], "permit in 17 from 198.51.100.20 30001 to 192.0.2.2 49171");
}

TEST(RxMedia, MuxedOrUndescribedRtcpGetsNoSecondSubComponent) {
    EXPECT_EQ(media_sub_components(parsed("ue=192.0.2.2:49170,core=198.51.100.20:30000,rtcp=mux")).size(), 1u);
    EXPECT_EQ(media_sub_components(parsed("ue=192.0.2.2:49170,core=198.51.100.20:30000,rtcp=none")).size(), 1u);
}

TEST(RxMedia, Ipv6FlowDescriptionsUseBareAddresses) {
    const auto subs = media_sub_components(parsed("ue=[2001:db8:a::2]:4000,core=[2001:db8::20]:5000,rtcp=none"));
    ASSERT_EQ(subs.size(), 1u);
    EXPECT_EQ(subs[0].flow_descriptions[0], "permit out 17 from 2001:db8:a::2 4000 to 2001:db8::20 5000");
}

TEST(RxMedia, CodecDataCarriesTheOfferWithItsCryptoLineAndThePlainAnswer) {
    const auto codec = codec_data(
        parsed("ue=192.0.2.2:49170,core=198.51.100.20:30000,crypto=AES_CM_128_HMAC_SHA1_80:" + kRfc4568Key));
    EXPECT_EQ(codec[0],
              "uplink\noffer\n"
              "m=audio 49170 RTP/SAVP 0\r\n"
              "c=IN IP4 192.0.2.2\r\n"
              "a=rtpmap:0 PCMU/8000\r\n"
              "a=sendrecv\r\n"
              "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
    EXPECT_EQ(codec[1],
              "downlink\nanswer\n"
              "m=audio 30000 RTP/AVP 0\r\n"
              "c=IN IP4 198.51.100.20\r\n"
              "a=rtpmap:0 PCMU/8000\r\n"
              "a=sendrecv\r\n");
}

TEST(RxMedia, CodecDataWithoutKeysIsPlainRtpAndMuxShowsInBoth) {
    const auto codec = codec_data(parsed("ue=[2001:db8:a::2]:4000,core=[2001:db8::20]:5000,media=video,rtcp=mux"));
    EXPECT_EQ(codec[0],
              "uplink\noffer\n"
              "m=video 4000 RTP/AVP 96\r\n"
              "c=IN IP6 2001:db8:a::2\r\n"
              "a=rtpmap:96 H264/90000\r\n"
              "a=sendrecv\r\n"
              "a=rtcp-mux\r\n");
    EXPECT_EQ(codec[1].substr(0, 40), "downlink\nanswer\nm=video 5000 RTP/AVP 96\r");
}

TEST(RxMedia, Base64MatchesRfc4648Vectors) {
    const std::vector<std::pair<std::string, std::string>> vectors = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [in, out] : vectors)
        EXPECT_EQ(base64({reinterpret_cast<const uint8_t*>(in.data()), in.size()}), out) << in;
    const std::vector<uint8_t> high = {0xff, 0xfe, 0xfd};
    EXPECT_EQ(base64(high), "//79");
}

TEST(RxMedia, AddressEncodingRoundTripsAndRejectsWrongSizes) {
    const auto v4 = *net::IpAddr::parse("192.0.2.10");
    EXPECT_EQ(diameter_address(v4), (std::vector<uint8_t>{0, 1, 192, 0, 2, 10}));
    EXPECT_EQ(parse_diameter_address(diameter_address(v4)), v4);
    const auto v6 = *net::IpAddr::parse("2001:db8::10");
    const auto encoded6 = diameter_address(v6);
    ASSERT_EQ(encoded6.size(), 18u);
    EXPECT_EQ(encoded6[1], 2);
    EXPECT_EQ(parse_diameter_address(encoded6), v6);
    EXPECT_FALSE(parse_diameter_address(std::vector<uint8_t>{0, 1, 192, 0, 2}));         // short
    EXPECT_FALSE(parse_diameter_address(std::vector<uint8_t>{0, 2, 192, 0, 2, 10}));     // IPv6 tag, 4 bytes
    EXPECT_FALSE(parse_diameter_address(std::vector<uint8_t>{0, 3, 192, 0, 2, 10}));     // unknown family
    EXPECT_FALSE(parse_diameter_address(std::vector<uint8_t>{}));
}

TEST(RxMedia, FramedAddressesFollowNasreq) {
    EXPECT_EQ(framed_ipv4_address(*net::IpAddr::parse("192.0.2.2")), (std::vector<uint8_t>{192, 0, 2, 2}));
    EXPECT_EQ(framed_ipv6_prefix(*net::IpAddr::parse("2001:db8:a::2")),
              (std::vector<uint8_t>{0, 64, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0a, 0, 0}));
}

}  // namespace
}  // namespace msf::fdrx
