#include "controlplane/pcscf/sdp_rewrite.hpp"

#include <gtest/gtest.h>

#include "controlplane/keying/sdes.hpp"

namespace msf::pcscf {
namespace {

// A UE's e2ae offer with a session-level c= (so its replacement is checked too).
const std::string kOffer =
    "v=0\r\n"
    "o=ue7 42 1 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/SAVP 0 8\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtcp:40001\r\n"
    "a=3ge2ae:requested\r\n";

const std::string kAnswer =
    "v=0\r\n"
    "o=core 9 3 IN IP4 198.51.100.20\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

const net::Endpoint kMsfAccess = *net::Endpoint::parse("203.0.113.1:20000");
const net::Endpoint kMsfCore = *net::Endpoint::parse("198.51.100.1:20002");

// RFC 3711 B.3 master key and salt.
keying::MediaKeys rfc3711_keys() {
    return keying::MediaKeys(srtp::Suite::aes_cm_128_hmac_sha1_80,
                             {0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0, 0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE, 0x41, 0x39},
                             {0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE, 0xEB, 0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6});
}

TEST(SdpRewrite, OfferForTheCorePointsPlainRtpAtTheMsfCoreSide) {
    const CoreLegRewrite leg{0, kMsfCore};
    auto out = offer_for_core(kOffer, std::span(&leg, 1));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(*out,
              "v=0\r\n"
              "o=ue7 42 2 IN IP4 192.0.2.10\r\n"
              "s=-\r\n"
              "c=IN IP4 198.51.100.1\r\n"
              "t=0 0\r\n"
              "m=audio 20002 RTP/AVP 0 8\r\n"
              "c=IN IP4 198.51.100.1\r\n"
              "a=rtpmap:0 PCMU/8000\r\n"
              "a=rtcp:20003\r\n");
}

TEST(SdpRewrite, AnswerForTheUeCarriesTheMsfAccessSideTheKeyAndApplied) {
    const AccessLegRewrite leg{0, kMsfAccess, rfc3711_keys()};
    auto out = answer_for_ue(kAnswer, std::span(&leg, 1));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(*out,
              "v=0\r\n"
              "o=core 9 4 IN IP4 198.51.100.20\r\n"
              "s=-\r\n"
              "t=0 0\r\n"
              "m=audio 20000 RTP/SAVP 0\r\n"
              "c=IN IP4 203.0.113.1\r\n"
              "a=rtpmap:0 PCMU/8000\r\n"
              "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm\r\n"
              "a=3ge2ae:applied\r\n");

    auto read = read_answer_for_ue(*out, 0);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(read->remote, kMsfAccess);
    EXPECT_TRUE(read->secure);
    EXPECT_TRUE(read->e2ae_applied);
    ASSERT_TRUE(read->to_ue_key);
    EXPECT_EQ(*read->to_ue_key, rfc3711_keys());
}

TEST(SdpRewrite, AnswerForTheUeReplacesCryptoTheCoreAnswerHad) {
    const std::string with_crypto = kAnswer + "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n";
    const AccessLegRewrite leg{0, kMsfAccess, rfc3711_keys()};
    auto out = answer_for_ue(with_crypto, std::span(&leg, 1));
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->find("a=crypto:5"), std::string::npos);
    EXPECT_NE(out->find("a=crypto:1 AES_CM_128_HMAC_SHA1_80"), std::string::npos);
}

TEST(SdpRewrite, CodecDataInImsQosLayoutWithCryptoOnlyWhenAsked) {
    const keying::MediaKeys from_ue = rfc3711_keys();
    auto plain = codec_data_for(kOffer, kAnswer, 0, nullptr, nullptr);
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_EQ(plain->uplink_offer,
              std::string("uplink\noffer\nm=audio 40000 RTP/SAVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtcp:40001\r\n"
                          "a=3ge2ae:requested\r\n") +
                  '\0');
    EXPECT_EQ(plain->downlink_answer,
              std::string("downlink\nanswer\nm=audio 30000 RTP/AVP 0\r\nc=IN IP4 198.51.100.20\r\na=rtpmap:0 PCMU/8000\r\n") +
                  '\0');
    auto sdes = codec_data_for(kOffer, kAnswer, 0, &from_ue, &from_ue);
    ASSERT_TRUE(sdes.ok());
    EXPECT_NE(sdes->uplink_offer.find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm\r\n"),
              std::string::npos);
    EXPECT_NE(sdes->downlink_answer.find("a=crypto:1 "), std::string::npos);
}

TEST(SdpRewrite, FailsClearlyOnBadInput) {
    const CoreLegRewrite core_leg{1, kMsfCore};
    auto no_section = offer_for_core(kOffer, std::span(&core_leg, 1));
    ASSERT_FALSE(no_section.ok());
    EXPECT_NE(no_section.error().message.find("offer for core"), std::string::npos) << no_section.error().message;

    const AccessLegRewrite leg{0, kMsfAccess, rfc3711_keys()};
    auto not_sdp = answer_for_ue("hello", std::span(&leg, 1));
    ASSERT_FALSE(not_sdp.ok());
    EXPECT_NE(not_sdp.error().message.find("core answer"), std::string::npos);

    // An m= proto that has no secure form (RFC 4145 TCP) cannot be made RTP/SAVP.
    const std::string tcp = "v=0\r\no=a 1 1 IN IP4 198.51.100.20\r\ns=-\r\nt=0 0\r\nm=audio 9 TCP/MSRP *\r\n";
    EXPECT_FALSE(answer_for_ue(tcp, std::span(&leg, 1)).ok());

    EXPECT_FALSE(codec_data_for(kOffer, kAnswer, 2, nullptr, nullptr).ok());
    EXPECT_FALSE(read_answer_for_ue(kOffer, 4).ok());
    const std::string no_address = "v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n";
    auto unaddressed = read_answer_for_ue(no_address, 0);
    ASSERT_FALSE(unaddressed.ok());
    EXPECT_NE(unaddressed.error().message.find("no c= address"), std::string::npos);
    const std::string bad_crypto = kAnswer + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n";
    EXPECT_FALSE(read_answer_for_ue(bad_crypto, 0).ok());
}

}  // namespace
}  // namespace msf::pcscf
