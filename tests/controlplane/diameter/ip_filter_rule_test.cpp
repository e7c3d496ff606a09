// RFC 6733 §4.3.1 IPFilterRule as Flow-Description carries it (TS 29.214 §5.3.8).
#include "controlplane/diameter/ip_filter_rule.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace msf::diameter {
namespace {

using ::testing::HasSubstr;

net::IpAddr ip(std::string_view text) { return *net::IpAddr::parse(text); }

IpFilterRule parsed(std::string_view text) {
    auto rule = parse_ip_filter_rule(text);
    EXPECT_TRUE(rule.ok()) << text << ": " << rule.error().message;
    return rule.ok() ? *rule : IpFilterRule{};
}

TEST(IpFilterRule, KamailioDownlinkFlowWithPortsParses) {
    const IpFilterRule r = parsed("permit out 17 from 198.51.100.7 30000 to 192.0.2.2 49170");
    EXPECT_EQ(r.action, FilterAction::permit);
    EXPECT_EQ(r.direction, FilterDirection::out);
    EXPECT_EQ(r.protocol, 17);
    EXPECT_EQ(r.source.kind, FilterEndpoint::Kind::address);
    EXPECT_EQ(r.source.address, ip("198.51.100.7"));
    EXPECT_FALSE(r.source.prefix_length);
    ASSERT_EQ(r.source.port_ranges().size(), 1u);
    EXPECT_EQ(r.source.port_ranges()[0], (PortRange{30000, 30000}));
    EXPECT_EQ(r.destination.address, ip("192.0.2.2"));
    EXPECT_EQ(r.destination.port_ranges()[0], (PortRange{49170, 49170}));
    EXPECT_TRUE(r.options.empty());
}

TEST(IpFilterRule, AnyPortRangesAndListsParse) {
    const IpFilterRule r = parsed("permit out 17 from any to 10.0.0.1 5000-5001,6000,7000-7010");
    EXPECT_EQ(r.source.kind, FilterEndpoint::Kind::any);
    EXPECT_EQ(r.source.port_count, 0);
    ASSERT_EQ(r.destination.port_ranges().size(), 3u);
    EXPECT_EQ(r.destination.port_ranges()[0], (PortRange{5000, 5001}));
    EXPECT_EQ(r.destination.port_ranges()[1], (PortRange{6000, 6000}));
    EXPECT_EQ(r.destination.port_ranges()[2], (PortRange{7000, 7010}));
}

TEST(IpFilterRule, Ipv6MasksAnyProtocolNegationAndAssignedParse) {
    const IpFilterRule r = parsed("deny in ip from !2001:db8::/32 to assigned");
    EXPECT_EQ(r.action, FilterAction::deny);
    EXPECT_EQ(r.direction, FilterDirection::in);
    EXPECT_FALSE(r.protocol);
    EXPECT_TRUE(r.source.negated);
    EXPECT_EQ(r.source.address, ip("2001:db8::"));
    EXPECT_EQ(r.source.prefix_length, 32);
    EXPECT_EQ(r.destination.kind, FilterEndpoint::Kind::assigned);
    const IpFilterRule v6 = parsed("permit in 17 from 2001:db8::1 49170 to 2001:db8:0:1::7 30000");
    EXPECT_EQ(v6.source.address, ip("2001:db8::1"));
    EXPECT_EQ(v6.destination.port_ranges()[0].first, 30000);
}

TEST(IpFilterRule, PortsAfterIpAreKeptAsKamailioWritesThem) {
    const IpFilterRule r = parsed("permit out ip from 192.0.2.1 5000 to 192.0.2.2 6000");
    EXPECT_FALSE(r.protocol);
    EXPECT_EQ(r.source.port_ranges()[0].first, 5000);
}

TEST(IpFilterRule, OptionsAreCheckedAndKept) {
    const IpFilterRule r =
        parsed("permit out 6 from any to any established tcpflags syn,!ack frag");
    EXPECT_EQ(r.options, "established tcpflags syn,!ack frag");
}

TEST(IpFilterRule, BlanksAndKeywordCaseAreTolerated) {
    const IpFilterRule r = parsed("  PERMIT\tOUT 17  FROM ANY   TO 10.0.0.1  5000 ");
    EXPECT_EQ(to_string(r), "permit out 17 from any to 10.0.0.1 5000");
}

TEST(IpFilterRule, FormattingIsCanonicalAndParsesBackToTheSameRule) {
    for (const char* text : {"permit out 17 from 198.51.100.7 30000 to 192.0.2.2 49170",
                             "permit in ip from any to any",
                             "deny in 132 from !10.0.0.0/8 1-1024,8080 to 2001:db8::1/128 frag",
                             "permit out 0 from assigned to any icmptypes 0,8"}) {
        const IpFilterRule r = parsed(text);
        EXPECT_EQ(to_string(r), text);
        EXPECT_EQ(parsed(to_string(r)), r);
    }
}

struct BadRule {
    const char* text;
    const char* error;
};

class IpFilterRuleErrors : public ::testing::TestWithParam<BadRule> {};

TEST_P(IpFilterRuleErrors, MalformedRuleIsAnInvalidValueNamingTheProblem) {
    const auto rule = parse_ip_filter_rule(GetParam().text);
    ASSERT_FALSE(rule.ok()) << GetParam().text;
    EXPECT_EQ(rule.error().result_code, ResultCode::invalid_avp_value);
    EXPECT_THAT(rule.error().message, HasSubstr(GetParam().error));
    EXPECT_EQ(rule.error().message.rfind("IPFilterRule: ", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Bad, IpFilterRuleErrors,
    ::testing::Values(
        BadRule{"", "action '' is neither permit nor deny"},
        BadRule{"allow out 17 from any to any", "action 'allow'"},
        BadRule{"permit up 17 from any to any", "direction 'up'"},
        BadRule{"permit out udp from any to any", "protocol 'udp'"},
        BadRule{"permit out 256 from any to any", "protocol '256'"},
        BadRule{"permit out 17 any to any", "'from' missing"},
        BadRule{"permit out 17 from any any", "'to' missing"},
        BadRule{"permit out 17 from any to", "no destination address"},
        BadRule{"permit out 17 from 300.1.1.1 to any", "bad source address '300.1.1.1'"},
        BadRule{"permit out 17 from 10.0.0.1/33 to any", "bad mask in '10.0.0.1/33'"},
        BadRule{"permit out 17 from 2001:db8::/129 to any", "bad mask"},
        BadRule{"permit out 17 from any to 10.0.0.1 70000", "bad port '70000'"},
        BadRule{"permit out 17 from any to 10.0.0.1 5001-5000",
                "port range '5001-5000' runs backwards"},
        BadRule{"permit out 17 from any to 10.0.0.1 5000,", "bad port ''"},
        BadRule{"permit out 17 from any to 10.0.0.1 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
                "more than 16 port ranges"},
        BadRule{"permit out 17 from any to any sometimes", "unknown option 'sometimes'"},
        BadRule{"permit out 17 from any to any tcpflags", "option 'tcpflags' lacks its spec"},
        BadRule{"permit out 17 from any to 10.0.0.1\n", "not printable ASCII"},
        BadRule{"permit out 17 from any to 10.0.0.1\xc3\xa9", "not printable ASCII"}));

// The common form ("permit in|out <proto> from <IPv4> [<port>] to <IPv4> [<port>]", one space
// between words) has a one-pass reader of its own; a second blank anywhere sends a rule to the
// word-by-word parser instead, which must read the same rule, or refuse it with the same error.
std::string with_double_blanks(std::string_view text) {
    std::string out;
    for (const char c : text) {
        out.push_back(c);
        if (c == ' ') out.push_back(' ');
    }
    return out;
}

TEST(IpFilterRule, CommonFormReaderAndWordParserAgree) {
    for (const char* text : {
             "permit out 17 from 198.51.100.10 16384 to 192.0.2.100 10000",
             "permit in 17 from 192.0.2.100 10001 to 198.51.100.100 10001",
             "permit in 6 from 0.0.0.0 0 to 255.255.255.255 65535",
             "permit out ip from 10.0.0.1 to 10.0.0.2",
             "permit out 017 from 10.0.0.1 00080 to 10.0.0.2 5",
             "permit in 17 from 10.0.0.1 to 10.0.0.2 5000",
             "permit in 17 from 10.0.0.1 5000 to 10.0.0.2",
             // Near misses the one-pass reader leaves to the parser, good and bad.
             "permit out 17 from 10.0.0.1 5000,5001 to 10.0.0.2 6000-6001",
             "permit out 17 from 10.0.0.1/32 5000 to 10.0.0.2 6000",
             "permit out 17 from !10.0.0.1 5000 to any",
             "permit out 17 from 10.0.0.1 5000 to 10.0.0.2 6000 frag",
             "permit out 17 from 10.0.0.1 5000 to 10.0.0.2 6000 ",
             "permit out 17 from 2001:db8::1 5000 to 10.0.0.2 6000",
             "deny out 17 from 10.0.0.1 5000 to 10.0.0.2 6000",
             "permit out 1700 from 10.0.0.1 5000 to 10.0.0.2 6000",
             "permit out 256 from 10.0.0.1 5000 to 10.0.0.2 6000",
             "permit out 17 from 010.0.0.1 5000 to 10.0.0.2 6000",
             "permit out 17 from 10.0.0.256 5000 to 10.0.0.2 6000",
             "permit out 17 from 10.0.0.1000 5000 to 10.0.0.2 6000",
             "permit out 17 from 10.0.0 5000 to 10.0.0.2 6000",
             "permit out 17 from 10.0.0.1 65536 to 10.0.0.2 6000",
             "permit out 17 from 10.0.0.1 123456 to 10.0.0.2 6000",
             "permit out 17 from 10.0.0.1 5000 to 10.0.0.2 6000x",
             "permit out 17 from 10.0.0.1 5000 6000 to 10.0.0.2",
             "permit out 17 from 10.0.0.1 5000 to 10.0.0.2 6000 7000",
             "permit out 17 from 10.0.0.1x to 10.0.0.2",
             "permit out 17 from 10.0.0.1 5000 to",
             "permit out 17 from 10.0.0.1",
             "permit out 17 from",
             "permit out",
         }) {
        const auto one_pass = parse_ip_filter_rule(text);
        const auto by_words = parse_ip_filter_rule(with_double_blanks(text));
        ASSERT_EQ(one_pass.ok(), by_words.ok()) << text;
        if (one_pass.ok())
            EXPECT_EQ(*one_pass, *by_words) << text;
        else
            EXPECT_EQ(one_pass.error().message, by_words.error().message) << text;
    }
}

TEST(IpFilterRule, ParsingIntoARuleFillsItOrSaysWhy) {
    IpFilterRule rule;
    EXPECT_FALSE(parse_ip_filter_rule("permit out 17 from 10.0.0.1 5000 to 10.0.0.2 6000", rule));
    EXPECT_EQ(rule, parsed("permit out 17 from 10.0.0.1 5000 to 10.0.0.2 6000"));
    IpFilterRule general;
    EXPECT_FALSE(parse_ip_filter_rule("permit out 17 from 10.0.0.1/8 5000 to any frag", general));
    EXPECT_EQ(general, parsed("permit out 17 from 10.0.0.1/8 5000 to any frag"));
    IpFilterRule bad;
    const auto error = parse_ip_filter_rule("permit out 17 from 10.0.0.1 5000 to 10.0.0.2 70000", bad);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->result_code, ResultCode::invalid_avp_value);
    EXPECT_THAT(error->message, HasSubstr("bad port '70000'"));
}

TEST(IpFilterRule, OverlongRuleIsRefusedBeforeParsing) {
    const std::string text =
        "permit out 17 from any to any" + std::string(kMaxFilterRuleLength, ' ');
    const auto rule = parse_ip_filter_rule(text);
    ASSERT_FALSE(rule.ok());
    EXPECT_THAT(rule.error().message, HasSubstr("more than 1024"));
}

}  // namespace
}  // namespace msf::diameter
