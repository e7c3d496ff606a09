#include "controlplane/keying/sdp.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace msf::keying {
namespace {

using ::testing::ElementsAre;
using Bytes = std::vector<uint8_t>;

net::IpAddr ip(std::string_view text) { return *net::IpAddr::parse(text); }

// Joins lines with CRLF (or `eol`), a line ending after the last one too.
std::string lines(std::initializer_list<std::string_view> list, std::string_view eol = "\r\n") {
    std::string out;
    for (std::string_view l : list) {
        out += l;
        out += eol;
    }
    return out;
}

// A UE's e2ae offer as an IMS client sends it: SRTP with SDES for audio, plain AVPF video.
const std::string kUeOffer = lines({
    "v=0",
    "o=- 1027933615 1027933615 IN IP4 10.45.0.2",
    "s=-",
    "c=IN IP4 10.45.0.2",
    "b=AS:41",
    "t=0 0",
    "m=audio 49170 RTP/SAVP 116 111 8 0 101",
    "b=AS:41",
    "a=rtpmap:116 AMR-WB/16000/1",
    "a=fmtp:116 mode-change-capability=2;max-red=0",
    "a=rtpmap:101 telephone-event/8000",
    "a=ptime:20",
    "a=rtcp:49171",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
    "a=crypto:2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4",
    "a=3ge2ae:requested",
    "a=sendrecv",
    "m=video 49172/2 RTP/AVPF 96 97",
    "i=camera",
    "c=IN IP4 10.45.0.3",
    "a=rtpmap:96 H264/90000",
    "a=rtcp-mux",
    "a=rtcp:49172",
});

MediaKeys golden_keys() {
    Bytes key, salt;
    for (uint8_t i = 0; i < 16; ++i) key.push_back(i);
    for (uint8_t i = 16; i < 30; ++i) salt.push_back(i);
    return MediaKeys(srtp::Suite::aes_cm_128_hmac_sha1_80, key, salt);
}

TEST(SdpParse, KeepsEveryLineVerbatimSoUnchangedTextSerialisesUnchanged) {
    auto sdp = SessionDescription::parse(kUeOffer);
    ASSERT_TRUE(sdp.ok()) << sdp.error().message;
    EXPECT_EQ(sdp->to_string(), kUeOffer);
    EXPECT_EQ(sdp->line_ending(), LineEnding::crlf);
    EXPECT_EQ(sdp->media_count(), 2u);
    EXPECT_EQ(sdp->session_lines().size(), 6u);
    EXPECT_EQ(sdp->origin_version(), 1027933615u);

    std::string lf = kUeOffer;
    for (size_t at; (at = lf.find("\r\n")) != std::string::npos;) lf.erase(at, 1);
    auto lf_sdp = SessionDescription::parse(lf);
    ASSERT_TRUE(lf_sdp.ok()) << lf_sdp.error().message;
    EXPECT_EQ(lf_sdp->line_ending(), LineEnding::lf);
    EXPECT_EQ(lf_sdp->to_string(), lf);
}

TEST(SdpParse, DescribesEachMediaSection) {
    auto sdp = SessionDescription::parse(kUeOffer);
    ASSERT_TRUE(sdp.ok());
    auto audio = sdp->media_info(0);
    ASSERT_TRUE(audio.ok());
    EXPECT_EQ(audio->media, "audio");
    EXPECT_EQ(audio->port, 49170);
    EXPECT_FALSE(audio->port_count.has_value());
    EXPECT_EQ(audio->proto, "RTP/SAVP");
    EXPECT_EQ(audio->proto_kind, MediaProto::rtp_savp);
    EXPECT_THAT(audio->formats, ElementsAre("116", "111", "8", "0", "101"));
    EXPECT_EQ(audio->connection, ip("10.45.0.2"));
    EXPECT_TRUE(audio->connection_from_session);
    EXPECT_FALSE(audio->rtcp_mux);
    EXPECT_EQ(audio->rtcp_port, 49171);
    EXPECT_FALSE(audio->rtcp_address.has_value());
    ASSERT_EQ(audio->crypto.size(), 1u);
    EXPECT_EQ(audio->crypto[0].tag, 1u);
    ASSERT_EQ(audio->crypto_errors.size(), 1u);
    EXPECT_EQ(audio->crypto_errors[0].code, ErrorCode::unknown_suite);
    EXPECT_EQ(audio->e2ae, E2aeIndication::requested);

    auto video = sdp->media_info(1);
    ASSERT_TRUE(video.ok());
    EXPECT_EQ(video->port, 49172);
    EXPECT_EQ(video->port_count, 2);
    EXPECT_EQ(video->proto_kind, MediaProto::rtp_avpf);
    EXPECT_EQ(video->connection, ip("10.45.0.3"));
    EXPECT_FALSE(video->connection_from_session);
    EXPECT_TRUE(video->rtcp_mux);
    EXPECT_EQ(video->rtcp_port, 49172);
    EXPECT_TRUE(video->crypto.empty());
    EXPECT_FALSE(video->e2ae.has_value());

    auto none = sdp->media_info(2);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().message, "sdp: no m-section 2 (there are 2)");
}

TEST(SdpParse, MsrpPathListsItsUrisInOrderAndOnlyTheFirstPathLineCounts) {
    auto section = MediaSection::parse(
        "m=message 2855 TCP/TLS/MSRP *\r\n"
        "a=accept-types:text/plain\r\n"
        "a=path:msrps://relay.example.com:2855/r1;tcp msrps://192.0.2.2:2855/ue1;tcp\r\n"
        "a=path:msrps://ignored.example.com:2855/x;tcp\r\n");
    ASSERT_TRUE(section.ok()) << section.error().message;
    EXPECT_THAT(section->info().msrp_path,
                ElementsAre("msrps://relay.example.com:2855/r1;tcp", "msrps://192.0.2.2:2855/ue1;tcp"));
    auto audio = MediaSection::parse("m=audio 49170 RTP/AVP 0\r\n");
    ASSERT_TRUE(audio.ok());
    EXPECT_TRUE(audio->info().msrp_path.empty());
}

TEST(SdpRewrite, MsrpPathIsReplacedByTheRelaysUriOrAddedAndBadUrisAreRefused) {
    auto sdp = SessionDescription::parse(
        "v=0\r\no=ue 1 1 IN IP4 192.0.2.2\r\ns=-\r\nt=0 0\r\n"
        "m=message 2855 TCP/TLS/MSRP *\r\nc=IN IP4 192.0.2.2\r\na=path:msrps://192.0.2.2:2855/ue1;tcp\r\n"
        "m=message 2856 TCP/MSRP *\r\nc=IN IP4 192.0.2.2\r\n");
    ASSERT_TRUE(sdp.ok()) << sdp.error().message;
    ASSERT_TRUE(sdp->set_msrp_path(0, "msrp://198.51.100.10:2855/gw1;tcp").ok());
    ASSERT_TRUE(sdp->set_msrp_path(1, "msrp://198.51.100.10:2855/gw2;tcp").ok());
    EXPECT_THAT(sdp->media_info(0)->msrp_path, ElementsAre("msrp://198.51.100.10:2855/gw1;tcp"));
    EXPECT_THAT(sdp->media_info(1)->msrp_path, ElementsAre("msrp://198.51.100.10:2855/gw2;tcp"));
    EXPECT_EQ(sdp->to_string().find("ue1"), std::string::npos);
    EXPECT_FALSE(sdp->set_msrp_path(0, "msrp://a b").ok());
    EXPECT_FALSE(sdp->set_msrp_path(0, "msrp://a\r\na=crypto:1").ok());
    EXPECT_FALSE(sdp->set_msrp_path(2, "msrp://x").ok());
}

TEST(SdpRewrite, PcscfTurnsTheUeOfferIntoAPlainRtpOfferThroughTheMsfCoreSide) {
    auto sdp = SessionDescription::parse(kUeOffer);
    ASSERT_TRUE(sdp.ok());
    ASSERT_TRUE(sdp->set_media_address(0, ip("198.51.100.7"), 30000).ok());
    ASSERT_TRUE(sdp->set_media_secure(0, false).ok());
    auto removed = sdp->remove_crypto(0);
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(*removed, 2u);
    auto e2ae = sdp->remove_e2ae(0);
    ASSERT_TRUE(e2ae.ok());
    EXPECT_TRUE(*e2ae);
    ASSERT_TRUE(sdp->set_media_address(1, ip("198.51.100.7"), 30002).ok());
    ASSERT_TRUE(sdp->bump_origin_version().ok());
    EXPECT_EQ(sdp->to_string(), lines({
                                    "v=0",
                                    "o=- 1027933615 1027933616 IN IP4 10.45.0.2",
                                    "s=-",
                                    "c=IN IP4 10.45.0.2",
                                    "b=AS:41",
                                    "t=0 0",
                                    "m=audio 30000 RTP/AVP 116 111 8 0 101",
                                    "c=IN IP4 198.51.100.7",
                                    "b=AS:41",
                                    "a=rtpmap:116 AMR-WB/16000/1",
                                    "a=fmtp:116 mode-change-capability=2;max-red=0",
                                    "a=rtpmap:101 telephone-event/8000",
                                    "a=ptime:20",
                                    "a=rtcp:30001",
                                    "a=sendrecv",
                                    "m=video 30002/2 RTP/AVPF 96 97",
                                    "i=camera",
                                    "c=IN IP4 198.51.100.7",
                                    "a=rtpmap:96 H264/90000",
                                    "a=rtcp-mux",
                                    "a=rtcp:30002",
                                }));
}

TEST(SdpRewrite, PcscfTurnsACoreAnswerIntoAnSrtpAnswerThroughTheMsfAccessSide) {
    const std::string core_answer = lines({"v=0", "o=core 5000 5000 IN IP6 2001:db8::10", "s=-", "c=IN IP6 2001:db8::10",
                                           "t=0 0", "m=audio 6000 RTP/AVP 116 101", "a=rtpmap:116 AMR-WB/16000/1",
                                           "a=rtcp-mux", "a=rtcp:6000 IN IP6 2001:db8::10"},
                                          "\n");
    auto sdp = SessionDescription::parse(core_answer);
    ASSERT_TRUE(sdp.ok()) << sdp.error().message;
    const net::IpAddr msf = ip("2001:db8:ffff::1");
    ASSERT_TRUE(sdp->set_session_connection(msf).ok());
    ASSERT_TRUE(sdp->set_media_address(0, msf, 40000).ok());
    ASSERT_TRUE(sdp->set_media_secure(0, true).ok());
    ASSERT_TRUE(sdp->add_crypto(0, crypto_attribute_for(1, golden_keys())).ok());
    ASSERT_TRUE(sdp->set_e2ae(0, E2aeIndication::applied).ok());
    ASSERT_TRUE(sdp->bump_origin_version().ok());
    EXPECT_EQ(sdp->to_string(),
              lines({"v=0", "o=core 5000 5001 IN IP6 2001:db8::10", "s=-", "c=IN IP6 2001:db8:ffff::1", "t=0 0",
                     "m=audio 40000 RTP/SAVP 116 101", "c=IN IP6 2001:db8:ffff::1", "a=rtpmap:116 AMR-WB/16000/1",
                     "a=rtcp-mux", "a=rtcp:40000 IN IP6 2001:db8:ffff::1",
                     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd",
                     "a=3ge2ae:applied"},
                    "\n"));

    // The UE reads back what it needs: MSF address and port, its key, e2ae applied.
    auto again = SessionDescription::parse(sdp->to_string());
    ASSERT_TRUE(again.ok());
    auto info = again->media_info(0);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->connection, msf);
    EXPECT_EQ(info->port, 40000);
    EXPECT_EQ(info->rtcp_address, msf);
    EXPECT_EQ(info->proto_kind, MediaProto::rtp_savp);
    ASSERT_EQ(info->crypto.size(), 1u);
    EXPECT_EQ(*media_keys(info->crypto[0]), golden_keys());
    EXPECT_EQ(info->e2ae, E2aeIndication::applied);
}

TEST(SdpRewrite, CryptoLinesGoAfterTheLastOneTagsStayUniqueAndRemovalCanPickATag) {
    auto sdp = SessionDescription::parse(kUeOffer);
    ASSERT_TRUE(sdp.ok());
    auto duplicate = sdp->add_crypto(0, crypto_attribute_for(1, golden_keys()));
    ASSERT_FALSE(duplicate.ok());
    EXPECT_EQ(duplicate.error().message, "sdp: a=crypto tag 1 is already in use");
    ASSERT_TRUE(sdp->add_crypto(0, crypto_attribute_for(3, golden_keys())).ok());
    const auto& l = sdp->media(0).lines();
    auto it = std::find_if(l.begin(), l.end(), [](const std::string& s) { return s.rfind("a=crypto:3 ", 0) == 0; });
    ASSERT_NE(it, l.end());
    EXPECT_EQ(*(it - 1), "a=crypto:2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4");
    EXPECT_EQ(*sdp->remove_crypto(0, 2), 1u);
    EXPECT_EQ(*sdp->remove_crypto(0, 2), 0u);
    auto info = sdp->media_info(0);
    ASSERT_EQ(info->crypto.size(), 2u);
    EXPECT_TRUE(info->crypto_errors.empty());
    // A section without a=crypto gets its first one at the end.
    ASSERT_TRUE(sdp->add_crypto(1, crypto_attribute_for(1, golden_keys())).ok());
    EXPECT_EQ(sdp->media(1).lines().back().rfind("a=crypto:1 ", 0), 0u);
    // An invalid attribute is refused.
    CryptoAttribute bad = crypto_attribute_for(4, golden_keys());
    bad.suite = srtp::Suite::aead_aes_256_gcm;
    EXPECT_EQ(sdp->add_crypto(1, bad).error().code, ErrorCode::invalid_argument);
}

TEST(SdpRewrite, SecureFlipCoversAvpAndAvpfAndRefusesOtherProtocols) {
    const std::string text = lines({"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0", "m=audio 1000 RTP/AVPF 0",
                                    "m=message 2000 TCP/MSRP *", "m=audio 3000 RTP/SAVP 0"});
    auto sdp = SessionDescription::parse(text);
    ASSERT_TRUE(sdp.ok());
    ASSERT_TRUE(sdp->set_media_secure(0, true).ok());
    EXPECT_EQ(sdp->media(0).lines()[0], "m=audio 1000 RTP/SAVPF 0");
    ASSERT_TRUE(sdp->set_media_secure(0, false).ok());
    EXPECT_EQ(sdp->media(0).lines()[0], "m=audio 1000 RTP/AVPF 0");
    auto msrp = sdp->set_media_secure(1, true);
    ASSERT_FALSE(msrp.ok());
    EXPECT_EQ(msrp.error().message, "sdp: proto 'TCP/MSRP' has no RTP/AVP <-> RTP/SAVP counterpart");
    ASSERT_TRUE(sdp->set_media_secure(2, true).ok());  // already secure: unchanged
    EXPECT_EQ(sdp->media(2).lines()[0], "m=audio 3000 RTP/SAVP 0");
    EXPECT_EQ(sdp->set_media_secure(3, true).error().message, "sdp: no m-section 3 (there are 3)");
}

TEST(SdpRewrite, RtcpPortThatCannotFollowTheRtpPortIsAnErrorAndChangesNothing) {
    auto sdp = SessionDescription::parse(kUeOffer);
    ASSERT_TRUE(sdp.ok());
    auto r = sdp->set_media_address(0, ip("198.51.100.7"), 65535);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "sdp: RTP port 65535 leaves no port for a=rtcp");
    EXPECT_EQ(sdp->to_string(), kUeOffer);
    // With rtcp-mux (a=rtcp naming the RTP port) 65535 is fine.
    ASSERT_TRUE(sdp->set_media_address(1, ip("198.51.100.7"), 65535).ok());
    EXPECT_EQ(sdp->media(1).lines().back(), "a=rtcp:65535");
    EXPECT_FALSE(sdp->set_media_address(0, net::IpAddr{}, 1).ok());
}

TEST(SdpRewrite, SessionConnectionIsReplacedOrInsertedBeforeTheTimingLine) {
    auto sdp = SessionDescription::parse(lines({"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0", "m=audio 1 RTP/AVP 0"}));
    ASSERT_TRUE(sdp.ok());
    ASSERT_TRUE(sdp->set_session_connection(ip("192.0.2.9")).ok());
    EXPECT_THAT(sdp->session_lines(), ElementsAre("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.9", "t=0 0"));
    ASSERT_TRUE(sdp->set_session_connection(ip("2001:db8::9")).ok());
    EXPECT_THAT(sdp->session_lines(), ElementsAre("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP6 2001:db8::9", "t=0 0"));
    EXPECT_EQ(sdp->media_info(0)->connection, ip("2001:db8::9"));
}

TEST(SdpRewrite, OriginVersionBumpStopsAtTheLargest64BitValue) {
    auto sdp = SessionDescription::parse(lines({"v=0", "o=- 18446744073709551615 18446744073709551615 IN IP4 192.0.2.1"}));
    ASSERT_TRUE(sdp.ok()) << sdp.error().message;
    auto r = sdp->bump_origin_version();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "sdp: o= sess-version cannot grow past 2^64-1");
    auto nine = SessionDescription::parse(lines({"v=0", "o=- 9 9 IN IP4 192.0.2.1"}));
    ASSERT_TRUE(nine->bump_origin_version().ok());
    EXPECT_EQ(nine->session_lines()[1], "o=- 9 10 IN IP4 192.0.2.1");
}

TEST(SdpRewrite, AChangeThatWouldPassTheSizeLimitIsRefusedAndChangesNothing) {
    std::string text = lines({"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0", "m=audio 1 RTP/AVP 0"});
    const std::string filler = "a=x-filler:" + std::string(kMaxSdpLineLen - 11, 'x') + "\r\n";
    while (text.size() + filler.size() <= kMaxSdpLen) text += filler;
    // Pad with short lines until fewer bytes are left than an a=crypto line needs.
    while (text.size() + 12 < kMaxSdpLen) text += "a=x-pad:1\r\n";
    auto sdp = SessionDescription::parse(text);
    ASSERT_TRUE(sdp.ok()) << sdp.error().message;
    auto r = sdp->add_crypto(0, crypto_attribute_for(1, golden_keys()));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::too_large);
    EXPECT_EQ(sdp->to_string(), text);
}

TEST(SdpParse, MalformedSdpGivesAnErrorNamingTheLine) {
    const std::string head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "sdp: an SDP starts with v=0 (RFC 8866 §5.1)"},
        {"v=1\r\n", "sdp: an SDP starts with v=0 (RFC 8866 §5.1)"},
        {"v=0\r\ns=-\r\n", "sdp: no o= line (RFC 8866 §5.2)"},
        {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\no=- 1 1 IN IP4 192.0.2.1\r\n", "sdp: more than one o= line"},
        {"v=0\r\no=- 1 x IN IP4 192.0.2.1\r\n", "sdp: line 2: o= sess-version 'x' is not a decimal number"},
        {"v=0\r\no=- 1 1 IN IP4\r\n", "sdp: line 2: o= line 'o=- 1 1 IN IP4' does not have 6 fields"},
        {head + "m=audio RTP/AVP 0\r\n", "sdp: line 5: m= line 'm=audio RTP/AVP 0' needs <media> <port> <proto> <fmt>"},
        {head + "m=audio x RTP/AVP 0\r\n", "sdp: line 5: m= port 'x' is not a number 0..65535"},
        {head + "m=audio 65536 RTP/AVP 0\r\n", "sdp: line 5: m= port '65536' is not a number 0..65535"},
        {head + "m=audio 1000/0 RTP/AVP 0\r\n", "sdp: line 5: m= port count '0' is not 1..65535"},
        {head + "c=IN IP4 999.0.0.1\r\n", "sdp: line 5: c= address '999.0.0.1' is not an IPv4 address"},
        {head + "c=IN IP4 2001:db8::1\r\n", "sdp: line 5: c= address '2001:db8::1' is not an IPv4 address"},
        {head + "c=IN IP6 192.0.2.1\r\n", "sdp: line 5: c= address '192.0.2.1' is not an IPv6 address"},
        {head + "c=IN IP4 host.example.com\r\n", "sdp: line 5: c= address 'host.example.com' is not an IPv4 address"},
        {head + "c=ATM NSAP 47.0005\r\n", "sdp: line 5: c= network type 'ATM' is not IN"},
        {head + "c=IN IPX 1.2.3.4\r\n", "sdp: line 5: c= address type 'IPX' is not IP4 or IP6"},
        {head + "c=IN IP4\r\n", "sdp: line 5: c= line 'c=IN IP4' is not 'IN IP4|IP6 <address>'"},
        {head + "m=audio 1 RTP/AVP 0\r\na=rtcp:x\r\n", "sdp: line 6: a=rtcp: port 'x' is not a number 0..65535"},
        {head + "m=audio 1 RTP/AVP 0\r\na=rtcp:1 IN IP4\r\n", "sdp: line 6: a=rtcp line 'a=rtcp:1 IN IP4' is not '<port> [IN IP4|IP6 <address>]'"},
        {head + "m=audio 1 RTP/AVP 0\r\na=3ge2ae:maybe\r\n", "sdp: line 6: a=3ge2ae value 'maybe' is neither requested nor applied"},
        {head + "\r\nm=audio 1 RTP/AVP 0\r\n", "sdp: line 5 is empty"},
        {head + "x\r\n", "sdp: line 5 'x' is not <type>=<value>"},
        {head + "A=b\r\n", "sdp: line 5 'A=b' is not <type>=<value>"},
        {head + "a=b\rc\r\n", "sdp: line 5 holds a CR without LF"},
        {head + std::string("a=b\0c\r\n", 7), "sdp: line 5 holds a NUL"},
        {head + "a=" + std::string(kMaxSdpLineLen, 'x') + "\r\n", "sdp: line 5 is 4098 bytes, over 4096"},
    };
    for (const auto& [text, message] : cases) {
        auto r = SessionDescription::parse(text);
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_EQ(r.error().message, message) << text;
    }
}

TEST(SdpParse, LimitsOnSizeAndMediaSectionCount) {
    std::string text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
    for (size_t i = 0; i < kMaxMediaSections; ++i) text += "m=audio " + std::to_string(1000 + i) + " RTP/AVP 0\r\n";
    auto at_limit = SessionDescription::parse(text);
    ASSERT_TRUE(at_limit.ok());
    EXPECT_EQ(at_limit->media_count(), kMaxMediaSections);
    auto over = SessionDescription::parse(text + "m=audio 1 RTP/AVP 0\r\n");
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().code, ErrorCode::too_large);
    EXPECT_EQ(over.error().message, "sdp: more than 64 m-sections");
    auto huge = SessionDescription::parse(std::string(kMaxSdpLen + 1, 'v'));
    ASSERT_FALSE(huge.ok());
    EXPECT_EQ(huge.error().message, "sdp: 65537 bytes exceed 65536");
}

TEST(SdpParse, TrailingEmptyLinesAndAMissingFinalLineEndingAreAccepted) {
    auto trailing = SessionDescription::parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n\r\n\r\n");
    ASSERT_TRUE(trailing.ok()) << trailing.error().message;
    EXPECT_EQ(trailing->to_string(), "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
    auto unterminated = SessionDescription::parse("v=0\no=- 1 1 IN IP4 192.0.2.1");
    ASSERT_TRUE(unterminated.ok());
    EXPECT_EQ(unterminated->to_string(), "v=0\no=- 1 1 IN IP4 192.0.2.1\n");
}

// ---- Kamailio ims_qos Codec-Data ----

// The m-section as Kamailio's SDP parser keeps it (raw_stream: "m=" up to the next "m=").
const std::string kAudioStream = lines({
    "m=audio 49170 RTP/SAVP 116 101",
    "c=IN IP4 10.45.0.2",
    "a=rtpmap:116 AMR-WB/16000/1",
    "a=rtcp:49171",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
    "a=3ge2ae:requested",
});

// What rx_create_codec_data_avp() writes: header lines, the stream, a NUL ("0 Terminated").
std::string ims_qos_codec_data(std::string_view header, std::string_view stream) {
    std::string data(header);
    data += stream;
    data.push_back('\0');
    return data;
}

TEST(CodecData, FormatBuildsWhatImsQosBuilds) {
    EXPECT_EQ(format_codec_data(LinkDirection::uplink, SdpRole::offer, kAudioStream),
              ims_qos_codec_data("uplink\noffer\n", kAudioStream));
    EXPECT_EQ(format_codec_data(LinkDirection::downlink, SdpRole::answer, kAudioStream),
              ims_qos_codec_data("downlink\nanswer\n", kAudioStream));
    EXPECT_EQ(format_codec_data(LinkDirection::downlink, SdpRole::offer, kAudioStream),
              ims_qos_codec_data("downlink\noffer\n", kAudioStream));
    EXPECT_EQ(format_codec_data(LinkDirection::uplink, SdpRole::answer, kAudioStream),
              ims_qos_codec_data("uplink\nanswer\n", kAudioStream));
}

TEST(CodecData, MobileOriginatedUplinkOfferGivesTheUeKeyAndPorts) {
    auto data = parse_codec_data(ims_qos_codec_data("uplink\noffer\n", kAudioStream));
    ASSERT_TRUE(data.ok()) << data.error().message;
    EXPECT_EQ(data->direction, LinkDirection::uplink);
    EXPECT_EQ(data->role, SdpRole::offer);
    EXPECT_EQ(data->ending, LineEnding::crlf);
    EXPECT_EQ(data->section.to_string(data->ending), kAudioStream);
    const MediaInfo info = data->section.info();
    EXPECT_EQ(info.port, 49170);
    EXPECT_EQ(info.rtcp_port, 49171);
    EXPECT_EQ(info.connection, ip("10.45.0.2"));
    EXPECT_EQ(info.e2ae, E2aeIndication::requested);
    ASSERT_EQ(info.crypto.size(), 1u);
    auto keys = media_keys(info.crypto[0]);
    ASSERT_TRUE(keys.ok());
    EXPECT_EQ(keys->suite, srtp::Suite::aes_cm_128_hmac_sha1_80);
}

TEST(CodecData, MobileTerminatedDownlinkOfferAndUplinkAnswerWithoutNulOrSessionConnection) {
    const std::string answer = lines({"m=audio 6000 RTP/AVP 116", "a=rtpmap:116 AMR-WB/16000/1"}, "\n");
    auto data = parse_codec_data("uplink\nanswer\n" + answer);  // no trailing NUL
    ASSERT_TRUE(data.ok()) << data.error().message;
    EXPECT_EQ(data->direction, LinkDirection::uplink);
    EXPECT_EQ(data->role, SdpRole::answer);
    EXPECT_EQ(data->ending, LineEnding::lf);
    // The session-level c= is not in Codec-Data: the address comes from Flow-Description.
    EXPECT_FALSE(data->section.info().connection.has_value());
    auto offer = parse_codec_data(ims_qos_codec_data("downlink\r\ndescription\r\n", kAudioStream));
    ASSERT_TRUE(offer.ok()) << offer.error().message;
    EXPECT_EQ(offer->direction, LinkDirection::downlink);
    EXPECT_EQ(offer->role, SdpRole::description);
}

TEST(CodecData, MalformedCodecDataGivesAClearError) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "codec-data: missing the direction and offer/answer lines"},
        {"uplink\n", "codec-data: missing the direction and offer/answer lines"},
        {"sideways\noffer\n" + kAudioStream, "codec-data: direction 'sideways' is neither uplink nor downlink"},
        {"uplink\nmaybe\n" + kAudioStream, "codec-data: 'maybe' is not offer, answer or description"},
        {"uplink\noffer\n", "codec-data: sdp: a media section starts with an m= line"},
        {"uplink\noffer\na=rtcp:1\r\n", "codec-data: sdp: a media section starts with an m= line"},
        {"uplink\noffer\n" + kAudioStream + "m=video 1 RTP/AVP 96\r\n",
         "codec-data: sdp: line 7: a second m= line in one media section"},
        {"uplink\noffer\nm=audio x RTP/AVP 0\r\n", "codec-data: sdp: line 1: m= port 'x' is not a number 0..65535"},
        {ims_qos_codec_data("uplink\noffer\n", kAudioStream) + '\0', "codec-data: sdp: line 7 holds a NUL"},
    };
    for (const auto& [text, message] : cases) {
        auto r = parse_codec_data(text);
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_EQ(r.error().message, message);
    }
}

TEST(MediaSectionModel, ADefaultConstructedSectionDescribesNothingAndRefusesRewrites) {
    MediaSection empty;
    EXPECT_TRUE(empty.info().media.empty());
    EXPECT_EQ(empty.set_address(ip("192.0.2.1"), 1).error().message, "sdp: empty media section");
    EXPECT_FALSE(empty.set_secure(true).ok());
    EXPECT_FALSE(empty.add_crypto(crypto_attribute_for(1, golden_keys())).ok());
    empty.set_e2ae(E2aeIndication::applied);
    EXPECT_TRUE(empty.lines().empty());
    EXPECT_EQ(empty.to_string(LineEnding::crlf), "");
}

TEST(CodecData, SectionRewritesWorkOnTheCodecDataSection) {
    auto data = parse_codec_data(ims_qos_codec_data("uplink\noffer\n", kAudioStream));
    ASSERT_TRUE(data.ok());
    MediaSection& s = data->section;
    ASSERT_TRUE(s.set_address(ip("203.0.113.5"), 20000).ok());
    ASSERT_TRUE(s.set_secure(false).ok());
    EXPECT_EQ(s.remove_crypto(), 1u);
    EXPECT_TRUE(s.remove_e2ae());
    EXPECT_FALSE(s.remove_e2ae());
    EXPECT_EQ(s.to_string(LineEnding::crlf), lines({"m=audio 20000 RTP/AVP 116 101", "c=IN IP4 203.0.113.5",
                                                    "a=rtpmap:116 AMR-WB/16000/1", "a=rtcp:20001"}));
}

// codec_data_info must read exactly what parse_codec_data and then section.info() read.
void expect_codec_data_info_matches(const std::string& avp_value) {
    auto parsed = parse_codec_data(avp_value);
    auto read = codec_data_info(avp_value);
    ASSERT_EQ(read.ok(), parsed.ok()) << avp_value;
    if (!parsed.ok()) {
        EXPECT_EQ(read.error(), parsed.error()) << avp_value;
        return;
    }
    EXPECT_EQ(read->direction, parsed->direction);
    EXPECT_EQ(read->role, parsed->role);
    EXPECT_EQ(read->ending, parsed->ending);
    EXPECT_EQ(read->media, parsed->section.info()) << avp_value;
}

TEST(CodecDataInfo, ReadsWhatParseAndInfoRead) {
    expect_codec_data_info_matches(ims_qos_codec_data("uplink\noffer\n", kAudioStream));
    expect_codec_data_info_matches(ims_qos_codec_data("downlink\r\nanswer\r\n", kAudioStream));
    expect_codec_data_info_matches("uplink\nanswer\n" + lines({"m=audio 0 RTP/AVP 0", "a=rtcp-mux"}, "\n"));
    // Two c= lines (the first counts), a c= line with a multicast suffix, a=rtcp with an address.
    expect_codec_data_info_matches("downlink\noffer\n" + lines({"m=video 49170/2 RTP/AVPF 96 97  98",
                                                                  "c=IN IP6 2001:db8::2",
                                                                  "c=IN IP4 192.0.2.9/127",
                                                                  "a=rtcp:49999 IN IP4 192.0.2.7",
                                                                  "a=3ge2ae:applied", "a=rtcp-mux", ""}));
    expect_codec_data_info_matches("uplink\noffer\n" + lines({"m=message 2855 TCP/TLS/MSRP *",
                                                                "a=path:msrps://relay.example.com:2855/r1;tcp "
                                                                "msrps://192.0.2.2:2855/ue1;tcp"}));
    // An a=crypto line with an unknown suite is an error in the info, not of the Codec-Data.
    expect_codec_data_info_matches("uplink\noffer\n" + lines({"m=audio 5000 RTP/SAVP 0",
                                                                "a=crypto:1 NO_SUCH_SUITE inline:AAAA"}));
}

TEST(CodecDataInfo, RefusesWhatParseRefusesWithTheSameError) {
    const std::string m = "m=audio 49170 RTP/AVP 0\r\n";
    for (const std::string& bad : std::vector<std::string>{
             "",
             "uplink\n",
             "sideways\noffer\n" + m,
             "uplink\nmaybe\n" + m,
             "uplink\noffer\n",
             "uplink\noffer\nc=IN IP4 192.0.2.1\r\n" + m,
             "uplink\noffer\n" + m + m,
             "uplink\noffer\n" + m + "c=IN IP4 300.0.2.1\r\n",
             "uplink\noffer\nm=audio 70000 RTP/AVP 0\r\n",
             "uplink\noffer\nm=audio 49170 RTP/AVP\r\n",
             "uplink\noffer\n" + m + "\r\na=rtcp-mux\r\n",
             "uplink\noffer\n" + m + "a=rtcp:x\r\n",
             "uplink\noffer\n" + m + "a=3ge2ae:perhaps\r\n",
             "uplink\noffer\n" + m + "not a line\r\n",
             "uplink\noffer\n" + m + std::string("a=x\0y\r\n", 7),
         }) {
        expect_codec_data_info_matches(bad);
        EXPECT_FALSE(codec_data_info(bad).ok()) << bad;
    }
}

// codec_data_info walks the lines once, checking the section's shape as it goes and reading
// only the a= lines whose letter after "a=" it knows: the same errors, in the same order, and
// the same info as the two-step reading, for the edges of that.
TEST(CodecDataInfo, OneWalkAgreesWithParseAndInfoAtItsEdges) {
    const std::string m = "m=audio 49170 RTP/AVP 0 8\r\n";
    for (const std::string& value : std::vector<std::string>{
             // Short and look-alike a= lines: none of them is read as an attribute.
             "uplink\noffer\n" + m + "a=\r\na=r\r\na=3\r\na=rtcp-muxx\r\na=rtcpx:1\r\na=pathx\r\n",
             "uplink\noffer\n" + m + "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=crypt:1\r\n",
             // Dotted quads the fast path leaves to inet_pton: leading zeros, too many digits.
             "uplink\noffer\n" + m + "c=IN IP4 010.0.2.1\r\n",
             "uplink\noffer\n" + m + "c=IN IP4 1920.0.2.1\r\n",
             "uplink\noffer\n" + m + "c=IN IP4 192.0.2\r\n",
             "uplink\noffer\n" + m + "c=IN IP4 192.0.2.1.\r\n",
             "uplink\noffer\n" + m + "c=IN IP4 0.0.0.0\r\n",
             "uplink\noffer\n" + m + "c=IN IP4 255.255.255.255/127/3\r\n",
             "uplink\noffer\n" + m + "c=IN IP4 2001:db8::1\r\n",
             "uplink\noffer\n" + m + "c=IN IP6 192.0.2.1\r\n",
             // Shape errors come after the lines' own errors, whichever line those are on.
             "uplink\noffer\na=rtcp-mux\r\n" + m + "c=IN IP4 300.0.2.1\r\n",
             "uplink\noffer\na=rtcp-mux\r\n" + m + m,
             "uplink\noffer\n" + m + "a=rtcp-mux\r\n" + m + m + "a=rtcp:x\r\n",
             // Many formats, an m= line with a port count, first a=rtcp and a=path win.
             "downlink\nanswer\nm=video 5000/4 RTP/SAVPF 96 97 98 99 100 101 102 103 104\r\n"
             "a=rtcp:5003\r\na=rtcp:6000\r\na=path:msrp://a/1;tcp\r\na=path:msrp://b/2;tcp\r\n",
         }) {
        expect_codec_data_info_matches(value);
    }
}

TEST(SdpParse, ALineWithNulAndStrayCrReportsWhicheverComesFirst) {
    auto nul_first = MediaSection::parse(std::string("m=audio 1 RTP/AVP 0\r\na=x\0y\rz\r\n", 30));
    ASSERT_FALSE(nul_first.ok());
    EXPECT_EQ(nul_first.error().message, "sdp: line 2 holds a NUL");
    auto cr_first = MediaSection::parse(std::string("m=audio 1 RTP/AVP 0\r\na=x\ry\0z\r\n", 30));
    ASSERT_FALSE(cr_first.ok());
    EXPECT_EQ(cr_first.error().message, "sdp: line 2 holds a CR without LF");
}

}  // namespace
}  // namespace msf::keying
