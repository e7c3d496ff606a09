#include "controlplane/pcscf/registration.hpp"

#include <gtest/gtest.h>

#include <string>

#include "controlplane/keying/sdp.hpp"
#include "controlplane/pcscf/call_signalling.hpp"

namespace msf::pcscf {
namespace {

const UeIdentity kUe{"ue7", "ims.example", *net::Endpoint::parse("192.0.2.10:5060")};
const TransactionIds kIds{"reg-1@192.0.2.10", "r7", "z9hG4bKr7", 1};

SipMessage parsed(const std::string& text) {
    auto m = SipMessage::parse(text);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message) << "\n" << text;
    return m.ok() ? m.value() : SipMessage();
}

TEST(Registration, RegisterAnnouncesE2aeAsASecurityClientMechanism) {
    const std::string text = build_register(kUe, kIds, SaKind::tls, true).to_string();
    EXPECT_EQ(text,
              "REGISTER sip:ims.example SIP/2.0\r\n"
              "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr7\r\n"
              "Max-Forwards: 70\r\n"
              "From: <sip:ue7@ims.example>;tag=r7\r\n"
              "To: <sip:ue7@ims.example>\r\n"
              "Call-ID: reg-1@192.0.2.10\r\n"
              "CSeq: 1 REGISTER\r\n"
              "Contact: <sip:ue7@192.0.2.10:5060>\r\n"
              "Expires: 600000\r\n"
              "Security-Client: msf-e2ae;keysrc=tls\r\n"
              "Content-Length: 0\r\n"
              "\r\n");
}

TEST(Registration, AcknowledgedWhenPolicyAllowsAndTheUeReadsTheAcknowledgement) {
    const SipMessage reg = parsed(build_register(kUe, kIds, SaKind::digest, true).to_string());
    auto decision = decide_registration(reg, true);
    ASSERT_TRUE(decision.ok()) << decision.error().message;
    EXPECT_EQ(decision->aor, "sip:ue7@ims.example");
    EXPECT_EQ(decision->announced, SaKind::digest);
    EXPECT_TRUE(decision->acknowledged);

    const std::string ok_text = build_register_ok(reg, *decision, "tg").to_string();
    EXPECT_NE(ok_text.find("Security-Server: msf-e2ae;keysrc=digest\r\n"), std::string::npos) << ok_text;
    EXPECT_NE(ok_text.find("To: <sip:ue7@ims.example>;tag=tg\r\n"), std::string::npos) << ok_text;
    EXPECT_NE(ok_text.find("Contact: <sip:ue7@192.0.2.10:5060>;expires=600000\r\n"), std::string::npos) << ok_text;
    auto acknowledged = read_register_ok(parsed(ok_text), kIds, SaKind::digest);
    ASSERT_TRUE(acknowledged.ok()) << acknowledged.error().message;
    EXPECT_TRUE(acknowledged.value());
}

TEST(Registration, RefusingPolicyAnswersWithoutAcknowledgement) {
    const SipMessage reg = parsed(build_register(kUe, kIds, SaKind::aka, true).to_string());
    auto decision = decide_registration(reg, false);
    ASSERT_TRUE(decision.ok());
    EXPECT_EQ(decision->announced, SaKind::aka);
    EXPECT_FALSE(decision->acknowledged);
    const std::string ok_text = build_register_ok(reg, *decision, "tg").to_string();
    EXPECT_EQ(ok_text.find("Security-Server"), std::string::npos);
    auto acknowledged = read_register_ok(parsed(ok_text), kIds, SaKind::aka);
    ASSERT_TRUE(acknowledged.ok());
    EXPECT_FALSE(acknowledged.value());
}

TEST(Registration, UeWithoutTheCapabilityIsNotAcknowledged) {
    const SipMessage reg = parsed(build_register(kUe, kIds, SaKind::aka, false).to_string());
    auto decision = decide_registration(reg, true);
    ASSERT_TRUE(decision.ok());
    EXPECT_FALSE(decision->announced);
    EXPECT_FALSE(decision->acknowledged);
}

TEST(Registration, FindsTheMechanismAmongOthersWithQuotedCommas) {
    SipMessage m = SipMessage::request("REGISTER", "sip:ims.example");
    m.add_header("Security-Client", "ipsec-3gpp;alg=hmac-sha-1-96;d-ver=\"a,b\";spi-c=1, MSF-E2AE ; KeySrc = aka")
        .add_header("Security-Client", "tls;q=0.1");
    auto found = read_e2ae_mechanism(m, "Security-Client");
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(found.value(), SaKind::aka);
}

TEST(Registration, MalformedMechanismIsAnErrorNamingIt) {
    for (const char* value : {"msf-e2ae", "msf-e2ae;keysrc=psk", "msf-e2ae;keysrc=aka, msf-e2ae;keysrc=tls"}) {
        SipMessage m = SipMessage::request("REGISTER", "sip:ims.example");
        m.add_header("Security-Client", value);
        auto found = read_e2ae_mechanism(m, "Security-Client");
        ASSERT_FALSE(found.ok()) << value;
        EXPECT_NE(found.error().message.find("msf-e2ae"), std::string::npos) << found.error().message;
    }
}

TEST(Registration, DecisionRefusesAnotherMethod) {
    SipMessage invite = SipMessage::request("INVITE", "sip:x@y");
    auto decision = decide_registration(invite, true);
    ASSERT_FALSE(decision.ok());
    EXPECT_NE(decision.error().message.find("expected a REGISTER"), std::string::npos);
}

TEST(Registration, UeRefusesAnOkThatIsNotForItsRegisterOrAcknowledgesAnotherSource) {
    const SipMessage reg = parsed(build_register(kUe, kIds, SaKind::aka, true).to_string());
    RegistrationDecision decision{"sip:ue7@ims.example", SaKind::tls, true};  // not what the UE said
    const SipMessage ok = parsed(build_register_ok(reg, decision, "tg").to_string());
    auto read = read_register_ok(ok, kIds, SaKind::aka);
    ASSERT_FALSE(read.ok());
    EXPECT_NE(read.error().message.find("key source tls"), std::string::npos) << read.error().message;

    TransactionIds other = kIds;
    other.call_id = "other@x";
    EXPECT_FALSE(read_register_ok(ok, other, SaKind::tls).ok());
    const SipMessage forbidden = parsed(response_to(reg, 403, "tg").to_string());
    auto refused = read_register_ok(forbidden, kIds, SaKind::aka);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("403 Forbidden"), std::string::npos);
}

TEST(CallSignalling, UeOfferRequestsE2aeOverSavpWithoutCrypto) {
    const std::string sdp = build_ue_offer_sdp(kUe, *net::Endpoint::parse("192.0.2.10:40000"), 42, true);
    EXPECT_EQ(sdp,
              "v=0\r\n"
              "o=ue7 42 1 IN IP4 192.0.2.10\r\n"
              "s=-\r\n"
              "t=0 0\r\n"
              "m=audio 40000 RTP/SAVP 0 8\r\n"
              "c=IN IP4 192.0.2.10\r\n"
              "a=rtpmap:0 PCMU/8000\r\n"
              "a=rtpmap:8 PCMA/8000\r\n"
              "a=ptime:20\r\n"
              "a=3ge2ae:requested\r\n");
    auto parsed_sdp = keying::SessionDescription::parse(sdp);
    ASSERT_TRUE(parsed_sdp.ok());
    auto info = parsed_sdp->media_info(0);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->e2ae, keying::E2aeIndication::requested);
    EXPECT_TRUE(info->crypto.empty());

    const std::string plain = build_ue_offer_sdp(kUe, *net::Endpoint::parse("[2001:db8::7]:40000"), 1, false);
    EXPECT_NE(plain.find("m=audio 40000 RTP/AVP 0 8\r\nc=IN IP6 2001:db8::7\r\n"), std::string::npos) << plain;
    EXPECT_EQ(plain.find("3ge2ae"), std::string::npos);
}

TEST(CallSignalling, InviteOkAndByeParseBackWithTheirDialogIds) {
    const TransactionIds ids{"c1@192.0.2.10", "f1", "z9hG4bKi1", 1};
    const std::string offer = build_ue_offer_sdp(kUe, *net::Endpoint::parse("192.0.2.10:40000"), 1, true);
    const SipMessage invite = parsed(build_invite(kUe, "sip:core-peer@ims.example", ids, offer).to_string());
    EXPECT_EQ(invite.method(), "INVITE");
    auto body = sdp_body(invite);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(*body, offer);

    const std::string answer = build_core_answer_sdp(*net::Endpoint::parse("198.51.100.20:30000"), 1);
    const SipMessage ok = parsed(build_invite_ok(invite, "t1", *net::Endpoint::parse("198.51.100.20:5060"), answer).to_string());
    EXPECT_EQ(ok.status_code(), 200);
    EXPECT_EQ(ok.call_id(), "c1@192.0.2.10");
    EXPECT_EQ(header_parameter(*ok.header("To"), "tag"), "t1");
    EXPECT_EQ(header_parameter(*ok.header("From"), "tag"), "f1");
    EXPECT_EQ(ok.cseq().method, "INVITE");
    EXPECT_EQ(*sdp_body(ok), answer);

    TransactionIds bye_ids = ids;
    bye_ids.cseq = 2;
    const SipMessage bye = parsed(build_bye(kUe, "sip:core-peer@ims.example", bye_ids, "t1").to_string());
    EXPECT_EQ(bye.method(), "BYE");
    EXPECT_EQ(bye.cseq().number, 2u);
    EXPECT_EQ(header_parameter(*bye.header("To"), "tag"), "t1");
}

TEST(CallSignalling, SdpBodyNeedsApplicationSdp) {
    SipMessage m = SipMessage::request("INVITE", "sip:x@y");
    EXPECT_FALSE(sdp_body(m).ok());
    m.set_body("text/plain", "v=0");
    auto wrong = sdp_body(m);
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("not application/sdp"), std::string::npos);
    m.set_body("Application/SDP; charset=utf-8", "v=0\r\n");
    EXPECT_TRUE(sdp_body(m).ok());
    m.set_body("application/sdp", "");
    EXPECT_FALSE(sdp_body(m).ok());
}

}  // namespace
}  // namespace msf::pcscf
