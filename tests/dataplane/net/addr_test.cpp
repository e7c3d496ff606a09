#include "dataplane/net/addr.hpp"

#include <gtest/gtest.h>

#include <string>

namespace msf::net {
namespace {

TEST(IpAddr, ParsesAndFormatsBothFamilies) {
    const auto v4 = IpAddr::parse("192.0.2.1");
    ASSERT_TRUE(v4);
    EXPECT_TRUE(v4->is_v4());
    EXPECT_EQ(v4->size(), 4u);
    EXPECT_EQ(v4->bytes[0], 192);
    EXPECT_EQ(v4->bytes[4], 0);  // the unused bytes stay zero, so == compares addresses only
    EXPECT_EQ(v4->to_string(), "192.0.2.1");

    const auto v6 = IpAddr::parse("2001:db8::1");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->is_v6());
    EXPECT_EQ(v6->size(), 16u);
    EXPECT_EQ(v6->bytes[15], 1);
    EXPECT_EQ(v6->to_string(), "2001:db8::1");
    EXPECT_NE(*v4, *v6);
    EXPECT_EQ(IpAddr{}.to_string(), "-");
}

TEST(IpAddr, FormatsEveryIpv4OctetWidth) {
    for (const char* text : {"0.0.0.0", "255.255.255.255", "10.0.100.9", "1.22.133.4", "198.51.100.20"}) {
        const auto addr = IpAddr::parse(text);
        ASSERT_TRUE(addr) << text;
        EXPECT_EQ(addr->to_string(), text);
    }
}

TEST(IpAddr, RejectsMalformedText) {
    for (const char* bad : {"", "192.0.2", "192.0.2.256", "192.0.2.1 ", " 192.0.2.1", "2001:db8:::1",
                            "2001:db8::g", "[2001:db8::1]", "localhost", "1.2.3.4/24"})
        EXPECT_FALSE(IpAddr::parse(bad)) << bad;
    EXPECT_FALSE(IpAddr::parse(std::string(100, '1')));
    EXPECT_FALSE(IpAddr::parse(std::string_view("192.0.2.1\0", 10)));
}

TEST(Endpoint, ParsesAndFormatsBothFamilies) {
    const auto v4 = Endpoint::parse("192.0.2.1:5004");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->port, 5004);
    EXPECT_EQ(v4->to_string(), "192.0.2.1:5004");
    const auto v6 = Endpoint::parse("[2001:db8::1]:65535");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->port, 65535);
    EXPECT_EQ(v6->to_string(), "[2001:db8::1]:65535");
}

TEST(Endpoint, RejectsMalformedText) {
    for (const char* bad : {"", "192.0.2.1", "192.0.2.1:", "192.0.2.1:65536", "192.0.2.1:-1",
                            "192.0.2.1:5004x", "2001:db8::1:5004", "[2001:db8::1]", "[2001:db8::1]5004",
                            "[192.0.2.1]:5004", "[2001:db8::1:5004", ":5004", "[]:5004"})
        EXPECT_FALSE(Endpoint::parse(bad)) << bad;
}

TEST(MacAddr, ParsesAndFormats) {
    const auto mac = MacAddr::parse("02:00:5e:10:Ab:ff");
    ASSERT_TRUE(mac);
    EXPECT_EQ(mac->bytes[5], 0xff);
    EXPECT_EQ(mac->to_string(), "02:00:5e:10:ab:ff");
    EXPECT_FALSE(mac->is_zero());
    EXPECT_TRUE(MacAddr{}.is_zero());
}

TEST(MacAddr, RejectsMalformedText) {
    for (const char* bad : {"", "02:00:5e:10:ab", "02:00:5e:10:ab:ff:", "02-00-5e-10-ab-ff",
                            "02:00:5e:10:ab:fg", "020:00:5e:10:ab:f", "+2:00:5e:10:ab:ff"})
        EXPECT_FALSE(MacAddr::parse(bad)) << bad;
}

}  // namespace
}  // namespace msf::net
