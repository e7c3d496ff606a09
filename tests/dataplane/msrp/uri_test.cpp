// MSRP URIs (RFC 4975 §6, §9) and their comparison (§6.1).
#include "dataplane/msrp/uri.hpp"

#include <gtest/gtest.h>

namespace msf::msrp {
namespace {

TEST(MsrpUri, ParsesHostPortSessionIdAndTransport) {
    const std::optional<Uri> uri = parse_uri("msrps://alice@atlanta.example.com:7654/jshA7weztas;tcp");
    ASSERT_TRUE(uri);
    EXPECT_TRUE(uri->secure);
    EXPECT_EQ(uri->host, "atlanta.example.com");
    EXPECT_EQ(uri->port, 7654);
    EXPECT_EQ(uri->session_id, "jshA7weztas");
    EXPECT_EQ(uri->transport, "tcp");
}

TEST(MsrpUri, ParsesIpv6AndNoPortAndParameters) {
    const std::optional<Uri> uri = parse_uri("MSRP://[2001:db8::1]/id+=/x;TCP;foo=bar");
    ASSERT_TRUE(uri);
    EXPECT_FALSE(uri->secure);
    EXPECT_EQ(uri->host, "2001:db8::1");
    EXPECT_FALSE(uri->port);
    EXPECT_EQ(uri->session_id, "id+=/x");
    EXPECT_EQ(uri->transport, "tcp");
    EXPECT_EQ(format_uri(*uri), "msrp://[2001:db8::1]/id+=/x;tcp");
}

TEST(MsrpUri, RefusesMalformedUris) {
    for (const char* text : {"", "http://a/b;tcp", "msrp://a/b", "msrp://:1/b;tcp", "msrp://a:0/b;tcp",
                             "msrp://a:99999/b;tcp", "msrp://a:/b;tcp", "msrp://[::1/b;tcp", "msrp://[zz]/b;tcp",
                             "msrp://a/;tcp", "msrp://a/b c;tcp", "msrp://a/b;", "msrp://a/b;t-p",
                             "msrp://a b/c;tcp", "msrp://a%zz/b;tcp"}) {
        std::string error;
        EXPECT_FALSE(parse_uri(text, &error)) << text;
        EXPECT_FALSE(error.empty()) << text;
    }
}

TEST(MsrpUri, ComparisonFollowsRfc4975Section6_1) {
    const Uri a = *parse_uri("msrp://Host.Example:2855/AbC;TCP");
    EXPECT_TRUE(same_uri(a, *parse_uri("MSRP://host.example:2855/AbC;tcp")));
    EXPECT_FALSE(same_uri(a, *parse_uri("msrp://host.example:2855/abc;tcp")));  // session-id case
    EXPECT_FALSE(same_uri(a, *parse_uri("msrp://host.example/AbC;tcp")));       // port only in one
    EXPECT_FALSE(same_uri(a, *parse_uri("msrps://host.example:2855/AbC;tcp")));  // scheme
}

TEST(MsrpUri, PathMustBeExactlyTheOneExpectedUri) {
    const Uri expected = *parse_uri("msrp://10.0.0.1:2855/gw;tcp");
    EXPECT_TRUE(path_is("msrp://10.0.0.1:2855/gw;tcp", expected));
    EXPECT_FALSE(path_is("msrp://10.0.0.9:2855/x;tcp msrp://10.0.0.1:2855/gw;tcp", expected));
    EXPECT_FALSE(path_is("", expected));
    EXPECT_FALSE(path_is("garbage", expected));
}

}  // namespace
}  // namespace msf::msrp
