// The codec on well-formed messages: golden encodings of every command, round trips, the builder,
// typed reads, answers, stream framing, and frames as Kamailio sends them.
#include "controlplane/diameter/message.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/controlplane/diameter/kamailio_frames.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

namespace msf::diameter {
namespace {

using namespace testing;
using ::testing::ElementsAre;
using Bytes = std::vector<uint8_t>;

// Golden encodings of sample_messages(); wireshark_test.cpp has tshark dissect the same bytes with
// no malformed frame or warning. A change here is a change on the wire.
const std::vector<std::pair<std::string_view, std::string_view>> kGolden = {
    {"CER",  // 204 bytes
     "010000cc80000101000000001111000122220001000001084000001d70637363662e696d732e6578616d706c652e6"
     "e65"
     "740000000000012840000017696d732e6578616d706c652e6e657400000001014000000e0001c000020a000000000"
     "10a"
     "4000000c000000000000010d000000116d73662d7063736366000000000001164000000c6553f1000000010940000"
     "00c"
     "000028af000001024000000c0100001400000104400000200000010a4000000c000028af000001024000000c01000"
     "014"
     "0000010b0000000c00000001"},
    {"CEA",  // 200 bytes
     "010000c8000001010000000011110001222200010000010c4000000c000007d1000001084000001b6d73662e696d7"
     "32e"
     "6578616d706c652e6e6574000000012840000017696d732e6578616d706c652e6e657400000001014000001a00022"
     "001"
     "0db800000000000000000000005300000000010a4000000c00007ed90000010d000000146d73662d636f6e74726f6"
     "c64"
     "000001094000000c000028af000001094000000c00007ed900000104400000200000010a4000000c000028af00000"
     "102"
     "4000000c01000014"},
    {"DWR",  // 88 bytes
     "0100005880000118000000001111000222220002000001084000001d70637363662e696d732e6578616d706c652e6"
     "e65"
     "740000000000012840000017696d732e6578616d706c652e6e657400000001164000000c6553f100"},
    {"DWA",  // 84 bytes
     "01000054000001180000000011110002222200020000010c4000000c000007d1000001084000001b6d73662e696d7"
     "32e"
     "6578616d706c652e6e6574000000012840000017696d732e6578616d706c652e6e657400"},
    {"DPR",  // 88 bytes
     "010000588000011a000000001111000322220003000001084000001d70637363662e696d732e6578616d706c652e6"
     "e65"
     "740000000000012840000017696d732e6578616d706c652e6e657400000001114000000c00000000"},
    {"DPA",  // 84 bytes
     "010000540000011a0000000011110003222200030000010c4000000c000007d1000001084000001b6d73662e696d7"
     "32e"
     "6578616d706c652e6e6574000000012840000017696d732e6578616d706c652e6e657400"},
    {"AAR",  // 1040 bytes
     "01000410c0000109010000141111000422220004000001074000002b70637363662e696d732e6578616d706c652e6"
     "e65"
     "743b313730303030303030303b343200000001024000000c01000014000001084000001d70637363662e696d732e6"
     "578"
     "616d706c652e6e65740000000000012840000017696d732e6578616d706c652e6e6574000000011b40000017696d7"
     "32e"
     "6578616d706c652e6e65740000000104400000200000010a4000000c000028af000001024000000c0100001400000"
     "1f8"
     "c0000018000028af494d532053657276696365730000020fc0000010000028af0000000000000205c000024c00002"
     "8af"
     "00000206c0000010000028af0000000100000207c00000a4000028af000001fdc0000010000028af0000000100000"
     "1fb"
     "c0000044000028af7065726d6974206f75742031372066726f6d203139382e35312e3130302e37203330303030207"
     "46f"
     "203139322e302e322e32203439313730000001fbc0000043000028af7065726d697420696e2031372066726f6d203"
     "139"
     "322e302e322e3220343931373020746f203139382e35312e3130302e372033303030300000000207c00000b400002"
     "8af"
     "000001fdc0000010000028af00000002000001fbc0000044000028af7065726d6974206f75742031372066726f6d2"
     "031"
     "39382e35312e3130302e3720333030303120746f203139322e302e322e32203439313731000001fbc000004300002"
     "8af"
     "7065726d697420696e2031372066726f6d203139322e302e322e3220343931373120746f203139382e35312e31303"
     "02e"
     "372033303030310000000200c0000010000028af0000000100000208c0000010000028af0000000000000204c0000"
     "010"
     "000028af0000fa0000000203c0000010000028af0000fa00000001ffc0000010000028af000000020000020cc0000"
     "096"
     "000028af75706c696e6b0a6f666665720a6d3d617564696f203439313730205254502f53415650203020382031303"
     "10d"
     "0a613d63727970746f3a31204145535f434d5f3132385f484d41435f534841315f383020696e6c696e653a57564e6"
     "658"
     "31397a5a57316a644777674b436b6765776b794d6a413766517039436e56756247567a7c325e32307c313a340d0a0"
     "000"
     "000001bb40000038000001c24000000c00000002000001bc400000217369703a616c69636540696d732e6578616d7"
     "06c"
     "652e6e6574000000000000084000000cc0000202000003e98000009c00007ed9000003ea8000001000007ed900000"
     "000"
     "00000206c0000010000028af00000001000003eb8000002300007ed94145535f434d5f3132385f484d41435f53484"
     "131"
     "5f383000000003ec8000001c00007ed9e1f97a0d3e018be0d64fa32c06de4139000003ed8000001a00007ed90ec67"
     "5ad"
     "498afeebb6960b3aabe60000000003ef8000001400007ed90000000080000000"},
    {"AAA",  // 384 bytes
     "0100018040000109010000141111000422220004000001074000002b70637363662e696d732e6578616d706c652e6"
     "e65"
     "743b313730303030303030303b343200000001024000000c01000014000001084000001b6d73662e696d732e65786"
     "16d"
     "706c652e6e6574000000012840000017696d732e6578616d706c652e6e6574000000010c4000000c000007d100000"
     "3f2"
     "8000008000007ed900000206c0000010000028af00000001000003f38000001200007ed90001cb007105000000000"
     "3f4"
     "8000001000007ed900009c40000003f58000001e00007ed9000220010db800c000000000000000000005000000000"
     "3f6"
     "8000001000007ed90000c350000003f78000001000007ed900000000000003e98000007400007ed9000003ea80000"
     "010"
     "00007ed900000001000003f08000005500007ed931204145535f434d5f3132385f484d41435f534841315f3830206"
     "96e"
     "6c696e653a505331755143566565434643616e566d636a6b705079776a4e5768635944306d5858747861564252000"
     "000"},
    {"STR",  // 168 bytes
     "010000a8c0000113010000141111000522220005000001074000002b70637363662e696d732e6578616d706c652e6"
     "e65"
     "743b313730303030303030303b343200000001084000001d70637363662e696d732e6578616d706c652e6e6574000"
     "000"
     "0000012840000017696d732e6578616d706c652e6e6574000000011b40000017696d732e6578616d706c652e6e657"
     "400"
     "000001024000000c01000014000001274000000c00000001"},
    {"STA",  // 276 bytes
     "0100011440000113010000141111000522220005000001074000002b70637363662e696d732e6578616d706c652e6"
     "e65"
     "743b313730303030303030303b343200000001084000001b6d73662e696d732e6578616d706c652e6e65740000000"
     "128"
     "40000017696d732e6578616d706c652e6e6574000000010c4000000c000007d1000003fc8000009400007ed900000"
     "206"
     "c0000010000028af00000001000003fd8000001400007ed90000000000003a98000003fe8000001400007ed900000"
     "000"
     "00003a96000003ff8000001400007ed90000000000000002000004008000001400007ed9000000000000000000000"
     "401"
     "8000001400007ed90000000000275e20000004028000001400007ed90000000000275cc8"},
    {"RAR",  // 216 bytes
     "010000d8c0000102010000143333000144440001000001074000002b70637363662e696d732e6578616d706c652e6"
     "e65"
     "743b313730303030303030303b343200000001084000001b6d73662e696d732e6578616d706c652e6e65740000000"
     "128"
     "40000017696d732e6578616d706c652e6e6574000000011b40000017696d732e6578616d706c652e6e65740000000"
     "125"
     "4000001d70637363662e696d732e6578616d706c652e6e6574000000000001024000000c0100001400000201c0000"
     "010"
     "000028af00000002000004068000001000007ed900000001"},
    {"RAA",  // 132 bytes
     "0100008440000102010000143333000144440001000001074000002b70637363662e696d732e6578616d706c652e6"
     "e65"
     "743b313730303030303030303b343200000001084000001d70637363662e696d732e6578616d706c652e6e6574000"
     "000"
     "0000012840000017696d732e6578616d706c652e6e6574000000010c4000000c000007d1"},
    {"ASR",  // 216 bytes
     "010000d8c0000112010000143333000244440002000001074000002b70637363662e696d732e6578616d706c652e6"
     "e65"
     "743b313730303030303030303b343200000001084000001b6d73662e696d732e6578616d706c652e6e65740000000"
     "128"
     "40000017696d732e6578616d706c652e6e6574000000011b40000017696d732e6578616d706c652e6e65740000000"
     "125"
     "4000001d70637363662e696d732e6578616d706c652e6e6574000000000001024000000c01000014000001f4c0000"
     "010"
     "000028af00000000000004068000001000007ed900000003"},
    {"ASA",  // 132 bytes
     "0100008440000112010000143333000244440002000001074000002b70637363662e696d732e6578616d706c652e6"
     "e65"
     "743b313730303030303030303b343200000001084000001d70637363662e696d732e6578616d706c652e6e6574000"
     "000"
     "0000012840000017696d732e6578616d706c652e6e6574000000010c4000000c000007d1"},
};

TEST(GoldenBytes, EveryCommandRequestAndAnswerEncodesToItsGoldenBytes) {
    const auto samples = sample_messages();
    ASSERT_EQ(samples.size(), kGolden.size());
    ASSERT_EQ(samples.size(), 2 * std::size(kCommands));
    for (size_t i = 0; i < samples.size(); ++i) {
        SCOPED_TRACE(samples[i].name);
        EXPECT_EQ(kGolden[i].first, samples[i].name);
        EXPECT_EQ(to_hex(samples[i].message.encode()), kGolden[i].second);
        EXPECT_EQ(samples[i].message.name(), samples[i].name);
        EXPECT_EQ(samples[i].message.encoded_size(), kGolden[i].second.size() / 2);
    }
}

TEST(GoldenBytes, SamplesCoverEveryCommandOfTheTableInOrder) {
    const auto samples = sample_messages();
    for (size_t i = 0; i < std::size(kCommands); ++i) {
        EXPECT_EQ(samples[2 * i].name, kCommands[i].request_abbrev);
        EXPECT_EQ(samples[2 * i + 1].name, kCommands[i].answer_abbrev);
        EXPECT_TRUE(samples[2 * i].message.is_request());
        EXPECT_FALSE(samples[2 * i + 1].message.is_request());
        EXPECT_EQ(samples[2 * i].message.command(), &kCommands[i]);
    }
}

TEST(RoundTrip, EverySampleDecodesToAnEqualMessageThatReencodesToTheSameBytesAndValidates) {
    for (const NamedMessage& sample : sample_messages()) {
        SCOPED_TRACE(sample.name);
        const Bytes wire = sample.message.encode();
        const FrameCheck check = check_frame(wire);
        ASSERT_EQ(check.state, FrameCheck::State::complete) << check.error;
        EXPECT_EQ(check.length, wire.size());
        auto decoded = decode(wire);
        ASSERT_TRUE(decoded.ok()) << to_string(decoded.error());
        EXPECT_TRUE(*decoded == sample.message);
        EXPECT_EQ(decoded->encode(), wire);
        EXPECT_EQ(decoded->avp_count(), sample.message.avp_count());
        const auto invalid = validate(*decoded);
        EXPECT_FALSE(invalid.has_value()) << to_string(*invalid);
    }
}

TEST(RoundTrip, EqualityNoticesAnyDifferenceInHeaderOrAvps) {
    const Message aar = sample_aar();
    Message other = sample_aar();
    EXPECT_TRUE(aar == other);
    other.set_hop_by_hop(aar.hop_by_hop() + 1);
    EXPECT_FALSE(aar == other);
    Message extra = sample_aar();
    extra.add(avp::origin_state_id, 1u);
    EXPECT_FALSE(aar == extra);
    Message changed = sample_aar();
    EXPECT_FALSE(sample_dwr() == sample_dpr());
    changed.set_flags(static_cast<uint8_t>(changed.flags() | kFlagRetransmitted));
    EXPECT_FALSE(aar == changed);
}

TEST(Builder, RequestTakesApplicationAndProxiableBitFromTheCommandTable) {
    const Message aar = Message::request(cmd::aar);
    EXPECT_EQ(aar.command_code(), 265u);
    EXPECT_EQ(aar.application_id(), app::rx);
    EXPECT_EQ(aar.flags(), kFlagRequest | kFlagProxiable);
    const Message cer = Message::request(cmd::cer);
    EXPECT_EQ(cer.command_code(), 257u);
    EXPECT_EQ(cer.application_id(), app::base);
    EXPECT_EQ(cer.flags(), kFlagRequest);
    EXPECT_EQ(to_hex(cer.encode()), "0100001480000101000000000000000000000000");
}

TEST(Builder, AvpsGetTheirDictionaryFlagsAndVendor) {
    const Message aar = sample_aar();
    const auto session = aar.find(avp::session_id);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->flags(), kAvpFlagMandatory);
    EXPECT_EQ(session->vendor_id(), 0u);
    const auto mcd = aar.find(avp::media_component_description);
    ASSERT_TRUE(mcd);
    EXPECT_EQ(mcd->flags(), kAvpFlagVendor | kAvpFlagMandatory);
    EXPECT_EQ(mcd->vendor_id(), kVendor3gpp);
    const auto protection = aar.find(avp::msf_media_protection);
    ASSERT_TRUE(protection);
    EXPECT_EQ(protection->flags(), kAvpFlagVendor);  // V set, M clear: peers may ignore it
    EXPECT_EQ(protection->vendor_id(), kMsfVendorId);
}

TEST(Builder, MsfAvpsUseTheConfiguredVendorIdAndDecodeOnlyWithIt) {
    constexpr uint32_t kOperatorVendor = 99999;
    Message rar = Message::request(cmd::rar, kOperatorVendor);
    rar.add(avp::msf_event_cause, 2u);
    const Bytes wire = rar.encode();
    EXPECT_EQ(to_hex(wire).substr(40), "00000406800000100001869f00000002");
    CodecConfig config;
    config.msf_vendor_id = kOperatorVendor;
    auto decoded = decode(wire, config);
    ASSERT_TRUE(decoded.ok());
    EXPECT_TRUE(decoded->avps().begin() != decoded->avps().end());
    EXPECT_TRUE((*decoded->avps().begin()).is(avp::msf_event_cause));
    auto with_default = decode(wire);
    ASSERT_TRUE(with_default.ok());
    EXPECT_EQ((*with_default->avps().begin()).def(), nullptr);  // vendor 99999 is unknown there
}

TEST(Builder, IntegersAreWrittenInTheSizeOfTheAvpType) {
    Message m = Message::request(cmd::aar);
    m.add(avp::msf_key_lifetime, 1)                     // int into Unsigned64: 8 bytes
        .add(avp::media_component_number, uint64_t{7})  // 64-bit into Unsigned32: 4 bytes
        .add(avp::event_timestamp, ntp_from_unix(0));
    auto it = m.avps().begin();
    EXPECT_EQ((*it).data().size(), 8u);
    EXPECT_EQ((*it).unsigned64(), 1u);
    ++it;
    EXPECT_EQ((*it).data().size(), 4u);
    EXPECT_EQ((*it).unsigned32(), 7u);
    ++it;
    EXPECT_EQ((*it).time(), 2208988800u);
}

TEST(Builder, AValueOfTheWrongKindForTheAvpTypeIsAProgrammingError) {
    Message m = Message::request(cmd::aar);
    EXPECT_THROW(m.add(avp::media_component_number, "one"), std::logic_error);
    EXPECT_THROW(m.add(avp::session_id, 1u), std::logic_error);
    EXPECT_THROW(m.add(avp::framed_ip_address, ip("2001:db8::1")), std::logic_error);
    EXPECT_THROW(m.add(avp::session_id, ip("192.0.2.1")), std::logic_error);
    EXPECT_THROW(m.add_group(avp::session_id), std::logic_error);
    EXPECT_THROW(m.add(avp::media_component_description, Bytes{1, 2}), std::logic_error);
    EXPECT_THROW(m.add(avp::session_id, 1.5), std::logic_error);
    EXPECT_EQ(m.avp_count(), 0u);
}

TEST(TypedReads, ReturnValuesOfTheRightSizeAndNulloptOtherwise) {
    Message m = Message::request(cmd::aar);
    m.add(avp::msf_access_address, ip("203.0.113.5"))
        .add(avp::msf_core_address, ip("2001:db8::5"))
        .add(avp::framed_ip_address, ip("192.0.2.2"))
        .add(avp::framed_ipv6_prefix, Ipv6Prefix{ip("2001:db8:1:2::"), 64})
        .add(avp::origin_state_id, 0xfffffffeu)
        .add_raw(9999, kAvpFlagVendor, 77, Bytes{0x3f, 0x80, 0, 0});  // 1.0f as Float32 bits
    auto decoded = decode(m.encode());
    ASSERT_TRUE(decoded.ok()) << to_string(decoded.error());
    const Message& d = *decoded;
    EXPECT_EQ(d.find(avp::msf_access_address)->address(), ip("203.0.113.5"));
    EXPECT_EQ(d.find(avp::msf_core_address)->address(), ip("2001:db8::5"));
    EXPECT_EQ(to_hex(d.find(avp::msf_core_address)->data()),
              "000220010db8000000000000000000000005");
    EXPECT_EQ(d.find(avp::framed_ip_address)->address(), ip("192.0.2.2"));
    EXPECT_EQ(to_hex(d.find(avp::framed_ip_address)->data()), "c0000202");
    const auto prefix = decode_ipv6_prefix(d.find(avp::framed_ipv6_prefix)->data());
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->prefix, ip("2001:db8:1:2::"));
    EXPECT_EQ(prefix->prefix_length, 64);
    const Avp state = *d.find(avp::origin_state_id);
    EXPECT_EQ(state.unsigned32(), 0xfffffffeu);
    EXPECT_EQ(state.integer32(), -2);
    EXPECT_FALSE(state.unsigned64());
    EXPECT_FALSE(state.address());
    Avp unknown = *std::next(d.avps().begin(), 5);
    EXPECT_EQ(unknown.def(), nullptr);
    EXPECT_EQ(unknown.code(), 9999u);
    EXPECT_EQ(unknown.vendor_id(), 77u);
    EXPECT_EQ(unknown.float32(), 1.0f);
}

TEST(TypedReads, TimeIsNtpSecondsWithTheEraRuleOfRfc4330) {
    EXPECT_EQ(ntp_from_unix(0), 2208988800u);
    EXPECT_EQ(unix_from_ntp(2208988800u), 0);
    EXPECT_EQ(unix_from_ntp(ntp_from_unix(1700000000)), 1700000000);
    // 2036-02-07T06:28:16Z wraps to 0; values with the top bit clear are after it.
    EXPECT_EQ(unix_from_ntp(0), 2085978496);
    EXPECT_EQ(unix_from_ntp(ntp_from_unix(2200000000)), 2200000000);
}

TEST(TypedReads, GroupsAreWalkedAndSearchedByDefinition) {
    const Message aar = sample_aar();
    const Avp mcd = *aar.find(avp::media_component_description);
    EXPECT_TRUE(mcd.is_group());
    EXPECT_TRUE(mcd.data().empty());
    EXPECT_EQ(mcd.find(avp::media_component_number)->unsigned32(), 1u);
    EXPECT_EQ(mcd.find_all(avp::media_sub_component).size(), 2u);
    std::vector<std::string_view> flows;
    for (Avp sub : mcd.find_all(avp::media_sub_component))
        for (Avp flow : sub.find_all(avp::flow_description)) flows.push_back(flow.text());
    EXPECT_THAT(flows, ElementsAre("permit out 17 from 198.51.100.7 30000 to 192.0.2.2 49170",
                                   "permit in 17 from 192.0.2.2 49170 to 198.51.100.7 30000",
                                   "permit out 17 from 198.51.100.7 30001 to 192.0.2.2 49171",
                                   "permit in 17 from 192.0.2.2 49171 to 198.51.100.7 30001"));
    EXPECT_FALSE(mcd.find(avp::session_id));
    EXPECT_EQ(aar.session_id(), kSessionId);
    EXPECT_EQ(aar.find_all(avp::media_component_description).size(), 1u);
    EXPECT_EQ(aar.avps().size(), 12u);
}

TEST(Answers, AnswerToCopiesIdsCommandApplicationSessionIdAndProxyInfoAndKeepsOnlyP) {
    Message request = sample_aar();
    request.set_retransmitted(true);
    request.add_group(avp::proxy_info)
        .add(avp::proxy_host, "dra.example.net")
        .add(avp::proxy_state, "s1");
    request.add_group(avp::proxy_info)
        .add(avp::proxy_host, "dra2.example.net")
        .add(avp::proxy_state, "s2");
    const Message answer = Message::answer_to(request);
    EXPECT_FALSE(answer.is_request());
    EXPECT_TRUE(answer.is_proxiable());
    EXPECT_FALSE(answer.is_retransmitted());
    EXPECT_FALSE(answer.is_error());
    EXPECT_EQ(answer.command_code(), request.command_code());
    EXPECT_EQ(answer.application_id(), request.application_id());
    EXPECT_EQ(answer.hop_by_hop(), request.hop_by_hop());
    EXPECT_EQ(answer.end_to_end(), request.end_to_end());
    ASSERT_EQ(answer.avps().size(), 3u);
    EXPECT_TRUE((*answer.avps().begin()).is(avp::session_id));
    EXPECT_EQ(answer.session_id(), kSessionId);
    std::vector<std::string_view> states;
    for (Avp p : answer.find_all(avp::proxy_info))
        states.push_back(p.find(avp::proxy_state)->text());
    EXPECT_THAT(states, ElementsAre("s1", "s2"));
    EXPECT_EQ(Message::answer_to(sample_cer()).flags(), 0u);
}

TEST(Answers, CopiedAvpsKeepTheirFlagsVendorAndContents) {
    const Message aar = sample_aar();
    Message copy = Message::request(cmd::aar);
    for (Avp avp : aar.avps()) copy.root().add_copy(avp);
    copy.set_hop_by_hop(aar.hop_by_hop()).set_end_to_end(aar.end_to_end());
    EXPECT_TRUE(copy == aar);
    EXPECT_EQ(copy.encode(), aar.encode());
}

TEST(Framing, NeedsMoreUntilTheWholeMessageIsThereAndSplitsAStream) {
    Bytes stream = sample_dwr().encode();
    const size_t first = stream.size();
    const Bytes aar = sample_aar().encode();
    stream.insert(stream.end(), aar.begin(), aar.end());
    for (size_t n = 0; n < first; ++n)
        EXPECT_EQ(check_frame(std::span(stream).first(n)).state, FrameCheck::State::need_more) << n;
    FrameCheck check = check_frame(stream);
    ASSERT_EQ(check.state, FrameCheck::State::complete);
    EXPECT_EQ(check.length, first);
    const auto rest = std::span(stream).subspan(first);
    EXPECT_EQ(check_frame(rest.first(100)).state, FrameCheck::State::need_more);
    check = check_frame(rest);
    ASSERT_EQ(check.state, FrameCheck::State::complete);
    EXPECT_EQ(check.length, aar.size());
    EXPECT_TRUE(decode(rest.first(check.length)).ok());
}

TEST(Tolerance, UnknownAvpWithoutTheMBitIsKeptAndAccepted) {
    Message dwr = sample_dwr();
    dwr.add_raw(4242, kAvpFlagVendor, 12345, Bytes{1, 2, 3});
    const Bytes wire = dwr.encode();
    auto decoded = decode(wire);
    ASSERT_TRUE(decoded.ok());
    EXPECT_FALSE(validate(*decoded).has_value());
    EXPECT_EQ(decoded->encode(), wire);
}

TEST(Tolerance, NonZeroPaddingIsAcceptedAndReencodedAsZero) {
    Bytes wire = sample_dwr().encode();
    // Origin-Host is 29 bytes long: three padding bytes follow at offset 20 + 29.
    ASSERT_EQ(wire[20 + 29], 0);
    wire[20 + 29] = 0xaa;
    wire[20 + 31] = 0x55;
    auto decoded = decode(wire);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->encode(), sample_dwr().encode());
}

TEST(Tolerance, ReservedHeaderFlagBitsAreKeptAndIgnored) {
    Bytes wire = sample_dwr().encode();
    wire[4] |= 0x03;  // RFC 6733 §3: "set to zero and ignored by the receiver"
    auto decoded = decode(wire);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->flags(), kFlagRequest | 0x03);
    EXPECT_FALSE(validate(*decoded).has_value());
    EXPECT_EQ(decoded->encode(), wire);
}

TEST(Tolerance, AnswerWithApplicationZeroAsKamailioSendsItsAsaIsAccepted) {
    Message asa = sample_asa();
    asa.set_application_id(app::base);
    auto decoded = decode(asa.encode());
    ASSERT_TRUE(decoded.ok());
    EXPECT_FALSE(validate(*decoded).has_value());
}

TEST(Tolerance, DpaWithoutResultCodeAsKamailioSendsItIsAccepted) {
    Message dpa = Message::answer_to(sample_dpr());
    dpa.add(avp::origin_host, kPcscfHost).add(avp::origin_realm, kPcscfRealm);
    auto decoded = decode(dpa.encode());
    ASSERT_TRUE(decoded.ok());
    EXPECT_FALSE(validate(*decoded).has_value());
}

TEST(Kamailio, CerWithoutHostIpAddressAndWithoutMBitsOnOriginDecodesAndValidates) {
    const Bytes wire = from_hex(kKamailioCerHex);
    ASSERT_EQ(check_frame(wire).state, FrameCheck::State::complete);
    auto cer = decode(wire);
    ASSERT_TRUE(cer.ok()) << to_string(cer.error());
    EXPECT_EQ(cer->name(), "CER");
    EXPECT_FALSE(cer->find(avp::host_ip_address));
    EXPECT_FALSE(cer->find(avp::origin_host)->mandatory());
    EXPECT_EQ(cer->find(avp::origin_host)->text(), "pcscf.ims.example.net");
    EXPECT_EQ(cer->find(avp::product_name)->text(), "Kamailio");
    const auto vsai = cer->find(avp::vendor_specific_application_id);
    ASSERT_TRUE(vsai);
    EXPECT_EQ(vsai->find(avp::auth_application_id)->unsigned32(), app::rx);
    const auto invalid = validate(*cer);
    EXPECT_FALSE(invalid.has_value()) << to_string(*invalid);
    EXPECT_EQ(cer->encode(), wire);
}

TEST(Kamailio, AarWithoutAuthRequestTypeDecodesValidatesAndCarriesItsMedia) {
    const Bytes wire = from_hex(kKamailioAarHex);
    auto aar = decode(wire);
    ASSERT_TRUE(aar.ok()) << to_string(aar.error());
    const auto invalid = validate(*aar);
    EXPECT_FALSE(invalid.has_value()) << to_string(*invalid);
    EXPECT_EQ(aar->encode(), wire);
    EXPECT_EQ(aar->name(), "AAR");
    EXPECT_FALSE(aar->find(avp::auth_request_type));
    EXPECT_EQ(aar->session_id(), "pcscf.ims.example.net;3886010537;1");
    EXPECT_FALSE(aar->find(avp::session_id)->mandatory());
    EXPECT_EQ(aar->find(avp::framed_ip_address)->address(), ip("192.0.2.2"));
    EXPECT_EQ(aar->find(avp::reservation_priority)->flags(), kAvpFlagVendor);
    EXPECT_EQ(aar->find(avp::reservation_priority)->vendor_id(), kVendorEtsi);
    EXPECT_EQ(aar->find_all(avp::specific_action).size(), 7u);
    const Avp mcd = *aar->find(avp::media_component_description);
    const Avp sub = *mcd.find(avp::media_sub_component);
    EXPECT_EQ(sub.find_all(avp::flow_description).size(), 4u);
    EXPECT_EQ(sub.find(avp::flow_usage)->enumerated(), 0u);
    std::vector<std::string_view> codec_data;
    for (Avp c : mcd.find_all(avp::codec_data)) codec_data.push_back(c.text());
    ASSERT_EQ(codec_data.size(), 2u);
    EXPECT_TRUE(codec_data[0].starts_with("downlink\noffer\nm=audio 49170 RTP/AVP 0 101\r\n"));
    EXPECT_EQ(codec_data[0].back(), '\0');
    EXPECT_NE(codec_data[0].find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"),
              std::string_view::npos);
    EXPECT_TRUE(codec_data[1].starts_with("uplink\nanswer\n"));
    EXPECT_EQ(aar->find(avp::authorization_lifetime)->unsigned32(), 7200u);
}

TEST(Kamailio, StrDecodesAndValidates) {
    const Bytes wire = from_hex(kKamailioStrHex);
    auto str = decode(wire);
    ASSERT_TRUE(str.ok()) << to_string(str.error());
    const auto invalid = validate(*str);
    EXPECT_FALSE(invalid.has_value()) << to_string(*invalid);
    EXPECT_EQ(str->find(avp::termination_cause)->enumerated(), 1u);
    EXPECT_EQ(str->encode(), wire);
}

TEST(Kamailio, AsaWithApplicationZeroAndDestinationRealmValidatesAsTheAnswerToOurAsr) {
    const Bytes wire = from_hex(kKamailioAsaHex);
    auto asa = decode(wire);
    ASSERT_TRUE(asa.ok()) << to_string(asa.error());
    const auto invalid = validate(*asa);
    EXPECT_FALSE(invalid.has_value()) << to_string(*invalid);
    EXPECT_EQ(asa->name(), "ASA");
    EXPECT_EQ(asa->application_id(), app::base);
    EXPECT_EQ(asa->hop_by_hop(), sample_asr().hop_by_hop());
    EXPECT_EQ(asa->end_to_end(), sample_asr().end_to_end());
    EXPECT_EQ(asa->session_id(), sample_asr().session_id());
    EXPECT_EQ(asa->find(avp::result_code)->unsigned32(), 2001u);
    EXPECT_EQ(asa->encode(), wire);
}

// Avp::ip_filter_rule() keeps what it parsed (validate() parses every Flow-Description, the Rx
// application reads them again): the second read must give what a fresh parse gives.
void expect_same_rule(const Decoded<IpFilterRule>& got, const Decoded<IpFilterRule>& want) {
    ASSERT_EQ(got.ok(), want.ok());
    if (want.ok()) EXPECT_EQ(*got, *want);
    else EXPECT_EQ(got.error(), want.error());
}

TEST(TypedReads, IpFilterRuleReadTwiceGivesWhatParsingTheTextGives) {
    Message m = Message::request(cmd::aar);
    m.add_group(avp::media_component_description)
        .add_group(avp::media_sub_component)
        .add(avp::flow_description, "permit out 17 from 198.51.100.10 16384 to 192.0.2.100 10000")
        .add(avp::flow_description, "permit in 17 from nowhere 10001 to 198.51.100.10 16385")
        .add(avp::flow_description, "deny in ip from !192.0.2.0/24 1-2,5 to any frag");
    const auto sub = m.find(avp::media_component_description)->find(avp::media_sub_component);
    ASSERT_TRUE(sub.has_value());
    size_t rules = 0;
    for (const Avp fd : sub->find_all(avp::flow_description)) {
        const Decoded<IpFilterRule> fresh = parse_ip_filter_rule(fd.text());
        expect_same_rule(fd.ip_filter_rule(), fresh);
        expect_same_rule(fd.ip_filter_rule(), fresh);  // from what the first read kept
        ++rules;
    }
    EXPECT_EQ(rules, 3u);
    // A copy of the message reads the same rules.
    const Message copy = m;
    for (const Avp fd : copy.find(avp::media_component_description)
                            ->find(avp::media_sub_component)
                            ->find_all(avp::flow_description))
        expect_same_rule(fd.ip_filter_rule(), parse_ip_filter_rule(fd.text()));
}

TEST(TypedReads, ParsedIpFilterRuleIsTheKeptRuleOrNothingForABadOne) {
    Message m = Message::request(cmd::aar);
    m.add_group(avp::media_component_description)
        .add_group(avp::media_sub_component)
        .add(avp::flow_description, "permit in 17 from 192.0.2.100 10001 to 198.51.100.100 10001")
        .add(avp::flow_description, "permit in 17 from 192.0.2.100 99999 to 198.51.100.100 10001");
    const auto sub = m.find(avp::media_component_description)->find(avp::media_sub_component);
    ASSERT_TRUE(sub.has_value());
    std::vector<Avp> flows(sub->find_all(avp::flow_description).begin(),
                           sub->find_all(avp::flow_description).end());
    ASSERT_EQ(flows.size(), 2u);
    const IpFilterRule* good = flows[0].parsed_ip_filter_rule();
    ASSERT_NE(good, nullptr);
    EXPECT_EQ(*good, *parse_ip_filter_rule(flows[0].text()));
    EXPECT_EQ(flows[0].parsed_ip_filter_rule(), good);  // kept, not parsed again
    EXPECT_EQ(flows[1].parsed_ip_filter_rule(), nullptr);
    EXPECT_EQ(flows[1].ip_filter_rule().error(), parse_ip_filter_rule(flows[1].text()).error());
    EXPECT_EQ(*flows[0].parsed_ip_filter_rule(), *good);
}

std::span<const uint8_t> text_bytes(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// is_valid_utf8 and the printable-ASCII check of identities look at eight bytes at a time where
// they can: a bad byte is found wherever it stands, and good text passes whatever its length.
TEST(DataValues, Utf8CheckFindsABadSequenceAtEveryPosition) {
    for (size_t length = 0; length <= 40; ++length) {
        const std::string ascii(length, 'a');
        EXPECT_TRUE(is_valid_utf8(text_bytes(ascii))) << length;
        for (size_t at = 0; at < length; ++at) {
            std::string bad = ascii;
            bad[at] = static_cast<char>(0xff);
            EXPECT_FALSE(is_valid_utf8(text_bytes(bad))) << length << " " << at;
            std::string cut = ascii.substr(0, at) + "\xc3";  // a two-byte sequence cut short
            EXPECT_FALSE(is_valid_utf8(text_bytes(cut))) << at;
            std::string two = ascii.substr(0, at) + "\xc3\xa9" + ascii.substr(at);
            EXPECT_TRUE(is_valid_utf8(text_bytes(two))) << at;
            std::string overlong = ascii.substr(0, at) + "\xc0\x80" + ascii.substr(at);
            EXPECT_FALSE(is_valid_utf8(text_bytes(overlong))) << at;
        }
    }
}

TEST(DataValues, IdentityWithABlankOrControlByteAnywhereIsNotPrintable) {
    const AvpDef& host = avp::origin_host;
    for (size_t length = 1; length <= 40; ++length) {
        const std::string name(length, 'h');
        EXPECT_EQ(check_data_value(host, text_bytes(name)), "") << length;
        for (size_t at = 0; at < length; ++at)
            for (const char c : {' ', '\x7f', '\x01', static_cast<char>(0x80), static_cast<char>(0xff)}) {
                std::string bad = name;
                bad[at] = c;
                EXPECT_EQ(check_data_value(host, text_bytes(bad)), "DiameterIdentity is not printable ASCII")
                    << length << " " << at << " " << int(static_cast<unsigned char>(c));
            }
        std::string edges = name;
        edges[0] = '!';
        edges[length - 1] = '~';
        EXPECT_EQ(check_data_value(host, text_bytes(edges)), "") << length;
    }
}

}  // namespace
}  // namespace msf::diameter
