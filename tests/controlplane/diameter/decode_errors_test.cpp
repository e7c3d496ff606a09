// Broken and hostile input: stream framing, decode() and validate() errors with their exact
// Result-Code and Failed-AVP (RFC 6733 §7.1, §7.5), and the error answers built from them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controlplane/diameter/message.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

namespace msf::diameter {
namespace {

using namespace testing;
using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

Bytes u32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }

// One AVP as bytes, with any length field: `length` 0 means the right one.
Bytes avp_bytes(uint32_t code, uint8_t flags, uint32_t vendor, const Bytes& data,
                uint32_t length = 0) {
    Bytes out = encode_avp(code, flags, vendor, data);
    if (length != 0) {
        out[5] = uint8_t(length >> 16);
        out[6] = uint8_t(length >> 8);
        out[7] = uint8_t(length);
    }
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// A message around `body`, Message Length set to the total.
Bytes frame(uint8_t flags, uint32_t command, uint32_t application, const Bytes& body) {
    Bytes out(20, 0);
    const size_t length = 20 + body.size();
    out[0] = 1;
    out[1] = uint8_t(length >> 16);
    out[2] = uint8_t(length >> 8);
    out[3] = uint8_t(length);
    out[4] = flags;
    out[5] = uint8_t(command >> 16);
    out[6] = uint8_t(command >> 8);
    out[7] = uint8_t(command);
    const Bytes app = u32(application);
    std::copy(app.begin(), app.end(), out.begin() + 8);
    out[15] = 0x2a;  // hop-by-hop 42
    out[19] = 0x07;  // end-to-end 7
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

constexpr uint8_t kReq = kFlagRequest;
constexpr uint8_t kReqP = kFlagRequest | kFlagProxiable;
constexpr uint8_t kM = kAvpFlagMandatory;
constexpr uint8_t kVM = kAvpFlagVendor | kAvpFlagMandatory;

Bytes session_id() { return avp_bytes(263, kM, 0, bytes_of(kSessionId)); }
Bytes origin() {
    return cat({avp_bytes(264, kM, 0, bytes_of(kPcscfHost)),
                avp_bytes(296, kM, 0, bytes_of(kPcscfRealm))});
}

void expect_error(const Decoded<Message>& d, ResultCode code, const Bytes& failed_avp,
                  const std::string& message_part) {
    ASSERT_FALSE(d.ok()) << "decoded although it should not";
    EXPECT_EQ(d.error().result_code, code) << to_string(d.error());
    EXPECT_EQ(to_hex(d.error().failed_avp), to_hex(failed_avp));
    EXPECT_THAT(d.error().message, HasSubstr(message_part));
}

void expect_invalid(const Bytes& wire, ResultCode code, const Bytes& failed_avp,
                    const std::string& message_part) {
    auto d = decode(wire);
    ASSERT_TRUE(d.ok()) << to_string(d.error());
    const auto e = validate(*d);
    ASSERT_TRUE(e.has_value()) << "validated although it should not";
    EXPECT_EQ(e->result_code, code) << to_string(*e);
    EXPECT_EQ(to_hex(e->failed_avp), to_hex(failed_avp));
    EXPECT_THAT(e->message, HasSubstr(message_part));
}

// ---- Stream framing ----

TEST(Framing, VersionOtherThanOneIsInvalidAtTheFirstByte) {
    Bytes wire = sample_dwr().encode();
    wire[0] = 2;
    const FrameCheck check = check_frame(std::span(wire).first(1));
    EXPECT_EQ(check.state, FrameCheck::State::invalid);
    EXPECT_EQ(check.error, "version 2, not 1");
    EXPECT_EQ(check_frame(wire).state, FrameCheck::State::invalid);
}

TEST(Framing, LengthNotAMultipleOfFourIsInvalid) {
    const Bytes wire = {1, 0, 0, 22, 0x80, 0, 1, 24};
    const FrameCheck check = check_frame(wire);
    EXPECT_EQ(check.state, FrameCheck::State::invalid);
    EXPECT_EQ(check.error, "Message Length 22 is not a multiple of 4");
}

TEST(Framing, LengthUnderTheHeaderIsInvalidZeroIncluded) {
    EXPECT_EQ(check_frame(Bytes{1, 0, 0, 0}).state, FrameCheck::State::invalid);
    EXPECT_EQ(check_frame(Bytes{1, 0, 0, 0}).error, "Message Length 0 is under the 20-byte header");
    EXPECT_EQ(check_frame(Bytes{1, 0, 0, 16, 0, 0}).state, FrameCheck::State::invalid);
}

TEST(Framing, HugeLengthIsInvalidBeforeAnyOfItArrives) {
    const Bytes wire = {1, 0xff, 0xff, 0xfc};
    const FrameCheck check = check_frame(wire);
    EXPECT_EQ(check.state, FrameCheck::State::invalid);
    EXPECT_EQ(check.error, "Message Length 16777212 exceeds 65536");
    EXPECT_EQ(check_frame(Bytes{1, 0, 0x10, 0x04}, 4096).state, FrameCheck::State::invalid);
    EXPECT_EQ(check_frame(Bytes{1, 0, 0x10, 0x00}, 4096).state, FrameCheck::State::need_more);
}

TEST(Framing, EmptyAndShortStreamsNeedMore) {
    EXPECT_EQ(check_frame(Bytes{}).state, FrameCheck::State::need_more);
    EXPECT_EQ(check_frame(Bytes{1, 0, 0}).state, FrameCheck::State::need_more);
}

// ---- decode(): header ----

TEST(DecodeHeader, ShortFrameVersionTwoAndLengthMismatchAreRefused) {
    expect_error(decode(Bytes{}), ResultCode::invalid_message_length, {}, "0 bytes");
    Bytes wire = sample_dwr().encode();
    wire[0] = 2;
    expect_error(decode(wire), ResultCode::unsupported_version, {}, "version 2");
    wire = sample_dwr().encode();
    wire.resize(wire.size() - 4);
    expect_error(decode(wire), ResultCode::invalid_message_length, {},
                 "Message Length 88 in a frame of 84");
}

TEST(DecodeHeader, ErrorBitOnARequestIsInvalidHeaderBits) {
    expect_error(decode(frame(kReq | kFlagError, 280, 0, origin())), ResultCode::invalid_hdr_bits,
                 {}, "E bit set in a request");
}

TEST(DecodeHeader, RetransmittedBitOnAnAnswerIsInvalidHeaderBits) {
    expect_error(decode(frame(kFlagRetransmitted, 280, 0, origin())), ResultCode::invalid_hdr_bits,
                 {}, "T bit set in an answer");
}

// ---- decode(): AVP lengths (5014), with the Failed-AVP of §7.1.5 ----

TEST(DecodeAvpLength, LengthUnderTheHeaderReportsTheHeaderWithAMinimalZeroPayload) {
    // Origin-State-Id (Unsigned32) claiming 6 bytes: Failed-AVP is the header with 4 zero bytes.
    const Bytes broken = cat({avp_bytes(278, kM, 0, {}, 6), Bytes{0, 0, 0, 0}});
    expect_error(decode(frame(kReq, 280, 0, cat({origin(), broken}))),
                 ResultCode::invalid_avp_length, avp_bytes(278, kM, 0, {0, 0, 0, 0}),
                 "Origin-State-Id (278): AVP Length 6 is under");
}

TEST(DecodeAvpLength, VendorAvpUnderTwelveBytesIsTooShort) {
    Bytes broken = avp_bytes(518, kVM, kVendor3gpp, {0, 0, 0, 1}, 10);
    expect_error(decode(frame(kReqP, 265, app::rx, cat({session_id(), broken}))),
                 ResultCode::invalid_avp_length, avp_bytes(518, kVM, kVendor3gpp, {0, 0, 0, 0}),
                 "Media-Component-Number (518/10415): AVP Length 10 is under its header's size");
}

TEST(DecodeAvpLength, LengthOverrunningTheMessageIsInvalid) {
    const Bytes broken = avp_bytes(263, kM, 0, bytes_of("abcd"), 200);
    expect_error(decode(frame(kReqP, 265, app::rx, broken)), ResultCode::invalid_avp_length,
                 avp_bytes(263, kM, 0, {}),
                 "Session-Id (263): AVP Length 200 overruns the message");
}

TEST(DecodeAvpLength, HeaderCutShortIsReportedPaddedWithZeros) {
    // Four bytes left after the last AVP: only an AVP code.
    const Bytes body = cat({origin(), Bytes{0, 0, 0x01, 0x16}});
    expect_error(decode(frame(kReq, 280, 0, body)), ResultCode::invalid_avp_length,
                 Bytes{0, 0, 0x01, 0x16, 0, 0, 0, 0}, "4 bytes left, too few for an AVP header");
}

TEST(DecodeAvpLength, TruncatedGroupReportsTheAvpThatOverrunsIt) {
    // Media-Component-Description whose last member claims more than the group holds.
    const Bytes inner = cat(
        {avp_bytes(518, kVM, kVendor3gpp, u32(1)), avp_bytes(520, kVM, kVendor3gpp, u32(0), 40)});
    const Bytes group = avp_bytes(517, kVM, kVendor3gpp, inner);
    expect_error(decode(frame(kReqP, 265, app::rx, cat({session_id(), group}))),
                 ResultCode::invalid_avp_length, avp_bytes(520, kVM, kVendor3gpp, {0, 0, 0, 0}),
                 "Media-Type (520/10415): AVP Length 40 overruns Media-Component-Description");
}

TEST(DecodeAvpLength, GroupOverrunningTheMessageReportsTheGroupHeaderWithAnEmptyPayload) {
    Bytes group = avp_bytes(517, kVM, kVendor3gpp, avp_bytes(518, kVM, kVendor3gpp, u32(1)));
    group[7] = static_cast<uint8_t>(group[7] + 64);
    expect_error(decode(frame(kReqP, 265, app::rx, group)), ResultCode::invalid_avp_length,
                 avp_bytes(517, kVM, kVendor3gpp, {}),
                 "Media-Component-Description (517/10415): AVP Length");
}

TEST(DecodeAvpLength, MemberWhosePaddingLeavesItsGroupIsInvalid) {
    // §4.4: a group's data is whole AVPs with their padding. Here the group ends one byte after a
    // 13-byte member, short of its three padding bytes.
    const Bytes member = avp_bytes(280, kM, 0, bytes_of("abcde"));  // Proxy-Host, 13 + 3 bytes
    Bytes group = avp_bytes(284, kM, 0, Bytes(member.begin(), member.begin() + 13));
    expect_error(decode(frame(kReqP, 265, app::rx, cat({session_id(), group}))),
                 ResultCode::invalid_avp_length, avp_bytes(280, kM, 0, {}),
                 "Proxy-Host (280): padding overruns Proxy-Info");
}

TEST(DecodeAvpLength, UnsignedOfTheWrongSizeReportsTheAvpAsReceived) {
    const Bytes broken = avp_bytes(518, kVM, kVendor3gpp, {0, 0, 1});
    const Bytes group = avp_bytes(517, kVM, kVendor3gpp, broken);
    expect_error(decode(frame(kReqP, 265, app::rx, cat({session_id(), group}))),
                 ResultCode::invalid_avp_length, broken,
                 "Media-Component-Number (518/10415): 3 data bytes, Unsigned32 has 4");
    expect_error(
        decode(frame(kReqP, 265, app::rx, avp_bytes(1007, kAvpFlagVendor, kMsfVendorId, u32(1)))),
        ResultCode::invalid_avp_length, avp_bytes(1007, kAvpFlagVendor, kMsfVendorId, u32(1)),
        "MSF-Key-Lifetime (1007/32473): 4 data bytes, Unsigned64 has 8");
}

TEST(DecodeAvpLength, AddressOfTheWrongSizeForItsFamilyIsInvalid) {
    const Bytes broken = avp_bytes(257, kM, 0, {0, 1, 192, 0, 2});
    expect_error(decode(frame(kReq, 257, 0, cat({origin(), broken}))),
                 ResultCode::invalid_avp_length, broken,
                 "Host-IP-Address (257): 5 data bytes, Address has 6 for IPv4");
}

// ---- decode(): flags and limits ----

TEST(DecodeFlags, ReservedAvpFlagBitsAreInvalidAvpBits) {
    const Bytes broken = avp_bytes(278, kM | 0x01, 0, u32(5));
    expect_error(decode(frame(kReq, 280, 0, cat({origin(), broken}))), ResultCode::invalid_avp_bits,
                 broken, "Origin-State-Id (278): reserved flag bits set");
}

// Media-Component-Descriptions nested `depth` deep (nonsense, but structurally a known group).
Bytes nested_groups(size_t depth) {
    Bytes inner = avp_bytes(518, kVM, kVendor3gpp, u32(1));
    for (size_t i = 0; i < depth; ++i) inner = avp_bytes(517, kVM, kVendor3gpp, inner);
    return inner;
}

TEST(DecodeLimits, DepthBombIsRefusedAtTheConfiguredDepth) {
    expect_error(decode(frame(kReqP, 265, app::rx, nested_groups(200))),
                 ResultCode::unable_to_comply, avp_bytes(517, kVM, kVendor3gpp, {}),
                 "grouped AVPs nested deeper than 16");
    EXPECT_TRUE(decode(frame(kReqP, 265, app::rx, nested_groups(16))).ok());
    CodecConfig shallow;
    shallow.max_depth = 2;
    EXPECT_FALSE(decode(frame(kReqP, 265, app::rx, nested_groups(3)), shallow).ok());
}

TEST(DecodeLimits, TooManyAvpsAreRefused) {
    Bytes body;
    for (int i = 0; i < 11; ++i) body = cat({body, avp_bytes(278, kM, 0, u32(1))});
    CodecConfig config;
    config.max_avps = 10;
    expect_error(decode(frame(kReq, 280, 0, body), config), ResultCode::unable_to_comply, {},
                 "more than 10 AVPs");
    body.resize(body.size() - 12);
    EXPECT_TRUE(decode(frame(kReq, 280, 0, body), config).ok());
}

TEST(DecodeFailedAvp, BrokenContentsOfAFailedAvpAreKeptOpaqueAndReencodeExactly) {
    // A peer's error answer reporting our AVP with a cut header (§7.1.5) and a depth bomb inside.
    const Bytes contents = cat({Bytes{0, 0, 1, 0x16, 0x40, 0, 0, 0}, nested_groups(100)});
    const Bytes failed = avp_bytes(279, kM, 0, contents);
    const Bytes wire =
        frame(kFlagError, 280, 0, cat({avp_bytes(268, kM, 0, u32(3008)), origin(), failed}));
    auto d = decode(wire);
    ASSERT_TRUE(d.ok()) << to_string(d.error());
    const Avp f = *d->find(avp::failed_avp);
    EXPECT_FALSE(f.is_group());
    EXPECT_EQ(to_hex(f.data()), to_hex(contents));
    EXPECT_EQ(d->encode(), wire);
    EXPECT_FALSE(validate(*d).has_value());
}

TEST(DecodeFailedAvp, WellFormedContentsAreParsedButNotChecked) {
    // Our Media-Component-Number with a wrong size, as a peer reports it back: no 5014 for that.
    const Bytes contents = avp_bytes(518, kVM, kVendor3gpp, {0, 1});
    const Bytes wire =
        frame(kFlagError, 280, 0,
              cat({avp_bytes(268, kM, 0, u32(5014)), origin(), avp_bytes(279, kM, 0, contents)}));
    auto d = decode(wire);
    ASSERT_TRUE(d.ok()) << to_string(d.error());
    const Avp f = *d->find(avp::failed_avp);
    ASSERT_TRUE(f.is_group());
    EXPECT_EQ((*f.children().begin()).code(), 518u);
    EXPECT_EQ(d->encode(), wire);
}

// ---- validate() ----

Bytes aar_base() {
    return cat({session_id(), avp_bytes(258, kM, 0, u32(app::rx)), origin(),
                avp_bytes(283, kM, 0, bytes_of(kMsfRealm))});
}

TEST(Validate, MinimalAarWithoutAuthRequestTypeIsValid) {
    auto d = decode(frame(kReqP, 265, app::rx, aar_base()));
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(validate(*d).has_value());
}

TEST(Validate, UnknownMandatoryVendorAvpIsUnsupportedWithTheAvpAsFailedAvp) {
    const Bytes unknown = avp_bytes(1234, kVM, 99999, bytes_of("secret sauce"));
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), unknown})),
                   ResultCode::avp_unsupported, unknown,
                   "AVP 1234/99999 has the M bit and is not supported");
}

TEST(Validate, UnknownMandatoryAvpInsideAGroupIsUnsupported) {
    const Bytes unknown = avp_bytes(4000, kM, 0, u32(1));
    const Bytes mcd =
        avp_bytes(517, kVM, kVendor3gpp, cat({avp_bytes(518, kVM, kVendor3gpp, u32(1)), unknown}));
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), mcd})), ResultCode::avp_unsupported,
                   unknown, "AVP 4000/0 has the M bit");
}

TEST(Validate, UnknownMsfVendorAvpWithTheMBitIsUnsupportedToo) {
    const Bytes unknown = avp_bytes(1999, kVM, kMsfVendorId, u32(1));
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), unknown})),
                   ResultCode::avp_unsupported, unknown, "AVP 1999/32473");
}

TEST(Validate, UnknownAvpWithoutTheMBitIsAccepted) {
    const Bytes unknown = avp_bytes(1234, kAvpFlagVendor, 99999, bytes_of("ignore me"));
    auto d = decode(frame(kReqP, 265, app::rx, cat({aar_base(), unknown})));
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(validate(*d).has_value());
}

TEST(Validate, MissingRequiredAvpIsMissingWithAZeroExampleAsFailedAvp) {
    const Bytes no_realm = cat({session_id(), avp_bytes(258, kM, 0, u32(app::rx)), origin()});
    expect_invalid(frame(kReqP, 265, app::rx, no_realm), ResultCode::missing_avp,
                   avp_bytes(283, kM, 0, {}), "AAR lacks Destination-Realm (283)");
    const Bytes no_app = cat({session_id(), origin(), avp_bytes(283, kM, 0, bytes_of(kMsfRealm))});
    expect_invalid(frame(kReqP, 265, app::rx, no_app), ResultCode::missing_avp,
                   avp_bytes(258, kM, 0, u32(0)), "AAR lacks Auth-Application-Id (258)");
}

TEST(Validate, MissingMemberOfAGroupIsMissingWithItsVendor) {
    const Bytes mcd = avp_bytes(517, kVM, kVendor3gpp, avp_bytes(520, kVM, kVendor3gpp, u32(0)));
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), mcd})), ResultCode::missing_avp,
                   avp_bytes(518, kVM, kVendor3gpp, u32(0)),
                   "Media-Component-Description lacks Media-Component-Number (518/10415)");
}

TEST(Validate, SecondSessionIdOccursTooManyTimesWithTheSecondAsFailedAvp) {
    const Bytes second = avp_bytes(263, kM, 0, bytes_of("other;1"));
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), second})),
                   ResultCode::avp_occurs_too_many_times, second,
                   "AAR: Session-Id (263) occurs more than 1 time");
}

TEST(Validate, ValueOutsideAClosedEnumerationIsInvalidValue) {
    const Bytes direction = avp_bytes(1002, kAvpFlagVendor, kMsfVendorId, u32(7));
    const Bytes protection = avp_bytes(1001, kAvpFlagVendor, kMsfVendorId, direction);
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), protection})),
                   ResultCode::invalid_avp_value, direction,
                   "MSF-Direction (1002/32473): value 7 is not defined");
}

TEST(Validate, ValueOutsideAnOpenEnumerationIsAccepted) {
    auto d = decode(
        frame(kReqP, 265, app::rx, cat({aar_base(), avp_bytes(513, kVM, kVendor3gpp, u32(99))})));
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(validate(*d).has_value());
}

TEST(Validate, AddressOfAnUnknownFamilyIsInvalidValue) {
    const Bytes address =
        avp_bytes(1011, kAvpFlagVendor, kMsfVendorId, {0, 8, 1, 2, 3, 4, 5, 6, 7, 8});
    const Bytes group = avp_bytes(1010, kAvpFlagVendor, kMsfVendorId,
                                  cat({avp_bytes(518, kVM, kVendor3gpp, u32(1)), address}));
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), group})),
                   ResultCode::invalid_avp_value, address,
                   "address family 8 is neither IPv4 (1) nor IPv6 (2)");
}

TEST(Validate, InvalidUtf8IsInvalidValue) {
    const Bytes user = avp_bytes(1, kM, 0, {'a', 0xc0, 0x80});  // overlong NUL
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), user})),
                   ResultCode::invalid_avp_value, user, "User-Name (1): not valid UTF-8");
}

TEST(Validate, FlowDescriptionThatIsNoIpFilterRuleIsInvalidValue) {
    const Bytes flow =
        avp_bytes(507, kVM, kVendor3gpp, bytes_of("permit sideways 17 from any to any"));
    const Bytes sub =
        avp_bytes(519, kVM, kVendor3gpp, cat({avp_bytes(509, kVM, kVendor3gpp, u32(1)), flow}));
    const Bytes mcd =
        avp_bytes(517, kVM, kVendor3gpp, cat({avp_bytes(518, kVM, kVendor3gpp, u32(1)), sub}));
    expect_invalid(frame(kReqP, 265, app::rx, cat({aar_base(), mcd})),
                   ResultCode::invalid_avp_value, flow,
                   "direction 'sideways' is neither in nor out");
}

TEST(Validate, EmptyOriginHostIsInvalidValue) {
    const Bytes empty_host = avp_bytes(264, kM, 0, {});
    expect_invalid(
        frame(kReq, 280, 0, cat({empty_host, avp_bytes(296, kM, 0, bytes_of(kPcscfRealm))})),
        ResultCode::invalid_avp_value, empty_host, "empty DiameterIdentity");
}

TEST(Validate, UnknownCommandIsUnsupported) {
    expect_invalid(frame(kReqP, 0xfffffe, 0xffffff, origin()), ResultCode::command_unsupported, {},
                   "command code 16777214 is not supported");
}

TEST(Validate, KnownCommandUnderAnotherApplicationIsApplicationUnsupported) {
    expect_invalid(frame(kReqP, 265, 0, aar_base()), ResultCode::application_unsupported, {},
                   "AAR with application id 0, expected 16777236");
    expect_invalid(frame(kReq, 280, app::rx, origin()), ResultCode::application_unsupported, {},
                   "DWR with application id 16777236, expected 0");
}

TEST(Validate, ProxiableBitAgainstTheCommandIsInvalidHeaderBits) {
    expect_invalid(frame(kReq, 265, app::rx, aar_base()), ResultCode::invalid_hdr_bits, {},
                   "AAR without the P bit");
    expect_invalid(frame(kReqP, 280, 0, origin()), ResultCode::invalid_hdr_bits, {},
                   "DWR with the P bit");
}

TEST(Validate, ProtocolErrorAnswerFollowsTheErrorAnswerGrammar) {
    // An AAA with the E bit needs no Auth-Application-Id, but needs Result-Code.
    const Bytes ok = frame(kFlagProxiable | kFlagError, 265, app::rx,
                           cat({session_id(), origin(), avp_bytes(268, kM, 0, u32(3008))}));
    auto d = decode(ok);
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(validate(*d).has_value());
    expect_invalid(frame(kFlagProxiable | kFlagError, 265, app::rx, cat({session_id(), origin()})),
                   ResultCode::missing_avp, avp_bytes(268, kM, 0, u32(0)),
                   "AAA lacks Result-Code (268)");
}

// ---- Error answers ----

TEST(ErrorAnswer, MissingAvpAnswerIsTheCommandsAnswerWithFailedAvpAndValidates) {
    const Bytes request = frame(kReqP, 265, app::rx,
                                cat({session_id(), avp_bytes(258, kM, 0, u32(app::rx)), origin()}));
    auto d = decode(request);
    ASSERT_TRUE(d.ok());
    const auto error = validate(*d);
    ASSERT_TRUE(error.has_value());
    const Message answer = error_answer(*d, *error, kMsfHost, kMsfRealm);
    EXPECT_EQ(answer.flags(), kFlagProxiable);
    EXPECT_EQ(answer.command_code(), 265u);
    EXPECT_EQ(answer.application_id(), app::rx);
    EXPECT_EQ(answer.hop_by_hop(), 42u);
    EXPECT_EQ(answer.end_to_end(), 7u);
    EXPECT_EQ(answer.session_id(), kSessionId);
    EXPECT_EQ(answer.find(avp::origin_host)->text(), kMsfHost);
    EXPECT_EQ(answer.find(avp::origin_realm)->text(), kMsfRealm);
    EXPECT_EQ(answer.find(avp::result_code)->unsigned32(), 5005u);
    EXPECT_EQ(answer.find(avp::auth_application_id)->unsigned32(), app::rx);
    EXPECT_EQ(answer.find(avp::error_message)->text(), "AAR lacks Destination-Realm (283)");
    auto again = decode(answer.encode());
    ASSERT_TRUE(again.ok()) << to_string(again.error());
    const Avp failed = *again->find(avp::failed_avp);
    ASSERT_TRUE(failed.is_group());
    EXPECT_EQ(failed.encode(), avp_bytes(279, kM, 0, avp_bytes(283, kM, 0, {})));
    const auto invalid = validate(*again);
    EXPECT_FALSE(invalid.has_value()) << to_string(*invalid);
}

TEST(ErrorAnswer, ProtocolErrorSetsTheErrorBitAndFollowsTheErrorGrammar) {
    const Bytes request = frame(kReq, 265, app::rx, aar_base());
    auto d = decode(request);
    ASSERT_TRUE(d.ok());
    const auto error = validate(*d);
    ASSERT_TRUE(error.has_value());
    ASSERT_EQ(error->result_code, ResultCode::invalid_hdr_bits);
    const Message answer = error_answer(request, *error, kMsfHost, kMsfRealm);
    EXPECT_EQ(answer.flags(), kFlagError);
    EXPECT_FALSE(answer.find(avp::auth_application_id));
    EXPECT_FALSE(answer.find(avp::failed_avp));
    auto again = decode(answer.encode());
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(validate(*again).has_value());
}

TEST(ErrorAnswer, UndecodableRequestStillGetsItsSessionIdProxyInfoAndTheFailedAvp) {
    const Bytes proxy = avp_bytes(284, kM, 0,
                                  cat({avp_bytes(280, kM, 0, bytes_of("dra.example.net")),
                                       avp_bytes(33, kM, 0, bytes_of("state"))}));
    const Bytes broken = avp_bytes(518, kVM, kVendor3gpp, {0, 0, 1});
    const Bytes request = frame(kReqP, 265, app::rx, cat({session_id(), proxy, broken}));
    auto d = decode(request);
    ASSERT_FALSE(d.ok());
    const Message answer = error_answer(request, d.error(), kMsfHost, kMsfRealm);
    EXPECT_EQ(answer.session_id(), kSessionId);
    EXPECT_EQ(answer.find(avp::result_code)->unsigned32(), 5014u);
    auto again = decode(answer.encode());
    ASSERT_TRUE(again.ok()) << to_string(again.error());
    EXPECT_EQ(again->find(avp::proxy_info)->find(avp::proxy_state)->text(), "state");
    EXPECT_EQ(again->find(avp::failed_avp)->encode(), avp_bytes(279, kM, 0, broken));
    EXPECT_FALSE(validate(*again).has_value());
}

TEST(ErrorAnswer, CutHeaderIsCarriedAsOpaqueFailedAvpData) {
    const Bytes request = frame(kReq, 280, 0, cat({origin(), Bytes{0, 0, 0x01, 0x16}}));
    auto d = decode(request);
    ASSERT_FALSE(d.ok());
    const Message answer = error_answer(request, d.error(), kMsfHost, kMsfRealm);
    EXPECT_EQ(answer.name(), "DWA");
    EXPECT_FALSE(answer.find(avp::session_id));
    auto again = decode(answer.encode());
    ASSERT_TRUE(again.ok()) << to_string(again.error());
    EXPECT_EQ(to_hex(again->find(avp::failed_avp)->data()), "0000011600000000");
}

TEST(ErrorAnswer, ErrorMessageIsPrintableAsciiAndBounded) {
    Error error{ResultCode::unable_to_comply, {}, std::string(300, 'x') + "\n\xff"};
    const Message answer = error_answer(sample_dwr(), error, kMsfHost, kMsfRealm);
    const std::string_view text = answer.find(avp::error_message)->text();
    EXPECT_EQ(text.size(), 256u);
    error.message = "bad\nline\x01";
    EXPECT_EQ(
        error_answer(sample_dwr(), error, kMsfHost, kMsfRealm).find(avp::error_message)->text(),
        "bad?line?");
}

}  // namespace
}  // namespace msf::diameter
