#include "controlplane/pcscf/sip_message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace msf::pcscf {
namespace {

// RFC 3261 §24.2 F1, trimmed: Alice's INVITE to Bob with an SDP body.
const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 70\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 10\r\n"
    "\r\n"
    "v=0\r\no=x\r\n";

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

std::string error_of(const std::string& text) {
    auto parsed = SipMessage::parse(text);
    EXPECT_FALSE(parsed.ok()) << text;
    return parsed.ok() ? std::string() : parsed.error().message;
}

TEST(SipMessageParse, ReadsARequestLineHeadersAndBody) {
    auto m = SipMessage::parse(kInvite);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_TRUE(m->is_request());
    EXPECT_EQ(m->method(), "INVITE");
    EXPECT_EQ(m->request_uri(), "sip:bob@biloxi.example.com");
    EXPECT_EQ(m->call_id(), "3848276298220188511@atlanta.example.com");
    EXPECT_EQ(m->cseq().number, 1u);
    EXPECT_EQ(m->cseq().method, "INVITE");
    EXPECT_EQ(m->header("content-type"), "application/sdp");
    EXPECT_EQ(m->body(), "v=0\r\no=x\r\n");
    EXPECT_EQ(header_parameter(*m->header("From"), "tag"), "9fxced76sl");
    EXPECT_FALSE(header_parameter(*m->header("To"), "tag"));
    // The URI's own ;transport parameter is inside <...>: not a header parameter.
    EXPECT_FALSE(header_parameter(*m->header("Contact"), "transport"));
}

TEST(SipMessageParse, ReadsAStatusLine) {
    auto m = SipMessage::parse(
        "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
        "Call-ID: x\r\nCSeq: 5 INVITE\r\n\r\n");
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_FALSE(m->is_request());
    EXPECT_EQ(m->status_code(), 180);
    EXPECT_EQ(m->reason_phrase(), "Ringing");
    EXPECT_TRUE(m->body().empty());
}

TEST(SipMessageParse, AcceptsCompactFormsLfLineEndingsAndFoldedValues) {
    const std::string text =
        "BYE sip:bob@b SIP/2.0\n"
        "v: SIP/2.0/UDP a;branch=z9hG4bK2\n"
        "Max-Forwards: 70\n"
        "f: <sip:a@b>;tag=1\n"
        "t: <sip:c@d>\n"
        "  ;tag=2\n"
        "i: abc\n"
        "CSeq: 2 BYE\n"
        "l: 0\n"
        "\n";
    auto m = SipMessage::parse(text);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->call_id(), "abc");
    EXPECT_EQ(m->header("To"), "<sip:c@d> ;tag=2");
    EXPECT_EQ(m->header("Via"), "SIP/2.0/UDP a;branch=z9hG4bK2");
    EXPECT_EQ(header_parameter(*m->header("t"), "tag"), "2");
}

TEST(SipMessageFormat, WritesContentLengthAndRoundTrips) {
    SipMessage m = SipMessage::request("OPTIONS", "sip:x@y");
    m.add_header("Via", "SIP/2.0/UDP h;branch=z9hG4bKq")
        .add_header("Max-Forwards", "70")
        .add_header("From", name_addr("sip:a@y") + ";tag=1")
        .add_header("To", name_addr("sip:x@y"))
        .add_header("Call-ID", "c1")
        .add_header("CSeq", "7 OPTIONS")
        .add_header("Content-Length", "999")  // ignored: to_string() writes the real one
        .set_body("text/plain", "hello");
    const std::string text = m.to_string();
    EXPECT_NE(text.find("Content-Length: 5\r\n\r\nhello"), std::string::npos) << text;
    EXPECT_EQ(text.find("999"), std::string::npos);
    auto back = SipMessage::parse(text);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->to_string(), text);
    EXPECT_EQ(back->header("Content-Type"), "text/plain");
}

TEST(SipMessageParse, RefusesBrokenStartLinesNamingThem) {
    EXPECT_NE(error_of(replace(kInvite, "INVITE sip:bob@biloxi.example.com SIP/2.0", "INVITE  sip:bob@b SIP/2.0")).find("start line"),
              std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "SIP/2.0\r\nVia", "SIP/3.0\r\nVia")).find("SIP/2.0"), std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "INVITE sip:", "INV(TE sip:")).find("not a token"), std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "sip:bob@biloxi.example.com SIP", "bob SIP")).find("no scheme"), std::string::npos);
    EXPECT_NE(error_of("SIP/2.0 099 Low\r\nCSeq: 1 A\r\n\r\n").find("100..699"), std::string::npos);
    EXPECT_NE(error_of("SIP/2.0 2000 OK\r\n\r\n").find("status line"), std::string::npos);
}

TEST(SipMessageParse, RefusesMissingOrRepeatedMandatoryHeaders) {
    EXPECT_NE(error_of(replace(kInvite, "Max-Forwards: 70\r\n", "")).find("INVITE lacks Max-Forwards"), std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "CSeq: 1 INVITE\r\n", "")).find("lacks CSeq"), std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "Call-ID: 3848276298220188511@atlanta.example.com\r\n", "Call-ID: a\r\ni: b\r\n"))
                  .find("Call-ID appears 2 times"),
              std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "Call-ID: 3848276298220188511@atlanta.example.com", "Call-ID:")).find("Call-ID is empty"),
              std::string::npos);
}

TEST(SipMessageParse, RefusesBadCSeq) {
    EXPECT_NE(error_of(replace(kInvite, "CSeq: 1 INVITE", "CSeq: 1 BYE")).find("not the request's"), std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "CSeq: 1 INVITE", "CSeq: 2147483648 INVITE")).find("2^31"), std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "CSeq: 1 INVITE", "CSeq: INVITE")).find("CSeq"), std::string::npos);
}

TEST(SipMessageParse, RefusesContentLengthThatDoesNotMatchTheBody) {
    EXPECT_NE(error_of(replace(kInvite, "Content-Length: 10", "Content-Length: 11")).find("says 11 bytes, the body has 10"),
              std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "Content-Length: 10", "Content-Length: ten")).find("Content-Length"),
              std::string::npos);
}

TEST(SipMessageParse, RefusesHeaderLinesWithoutColonControlCharactersOrNoEnd) {
    EXPECT_NE(error_of(replace(kInvite, "Max-Forwards: 70", "Max-Forwards 70")).find("has no ':'"), std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "Max-Forwards: 70", std::string("Max-Forwards: 7\0", 16))).find("control character"),
              std::string::npos);
    EXPECT_NE(error_of(replace(kInvite, "Max-Forwards: 70", "Max Forwards: 70")).find("not a token"), std::string::npos);
    EXPECT_NE(error_of("INVITE sip:a@b SIP/2.0\r\nVia: x\r\n").find("no empty line"), std::string::npos);
    EXPECT_NE(error_of(" folded\r\n\r\n").find("start line"), std::string::npos);
    EXPECT_NE(error_of("\r\n").find("no start line"), std::string::npos);
}

TEST(SipMessageParse, RefusesTooMuch) {
    std::string many = kInvite;
    std::string extra;
    for (size_t i = 0; i < kMaxSipHeaders; ++i) extra += "X-H: 1\r\n";
    many = replace(many, "Max-Forwards: 70\r\n", "Max-Forwards: 70\r\n" + extra);
    EXPECT_EQ(SipMessage::parse(many).error().code, keying::ErrorCode::too_large);
    EXPECT_EQ(SipMessage::parse(std::string(kMaxSipMessageLen + 1, 'a')).error().code, keying::ErrorCode::too_large);
    const std::string long_line = replace(kInvite, "Max-Forwards: 70", "X: " + std::string(kMaxSipLineLen, 'a'));
    EXPECT_EQ(SipMessage::parse(long_line).error().code, keying::ErrorCode::too_large);
}

TEST(SipMessageParse, ErrorTextDoesNotEchoControlCharacters) {
    const std::string message = error_of("IN\x01VITE sip:a@b SIP/2.0\r\n\r\n");
    for (char c : message) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
}

}  // namespace
}  // namespace msf::pcscf
