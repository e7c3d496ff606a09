// The freeDiameter configuration msf-fd-rx-client writes: no listening port and no TLS (so no
// certificate), one plain-TCP ConnectPeer with the caller's timers, no relay, no extensions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tools/fd_rx_client/fd_config.hpp"

namespace msf::fdrx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ClientOptions parsed(std::vector<std::string_view> extra) {
    std::vector<std::string_view> args = {"--identity", "pcscf.test", "--realm", "test", "--peer", "msf.test"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = parse_client_args(args);
    EXPECT_TRUE(std::holds_alternative<ClientOptions>(r));
    return std::holds_alternative<ClientOptions>(r) ? std::get<ClientOptions>(r) : ClientOptions{};
}

TEST(FdConfig, DefaultsGiveTheWholeFile) {
    EXPECT_EQ(fd_config_text(parsed({"--peer-host", "127.0.0.1"})),
              "# freeDiameter 1.2.1 configuration written by msf-fd-rx-client for one run.\n"
              "Identity = \"pcscf.test\";\n"
              "Realm = \"test\";\n"
              "Port = 0;\n"
              "SecPort = 0;\n"
              "No_SCTP;\n"
              "NoRelay;\n"
              "AppServThreads = 2;\n"
              "TcTimer = 5;\n"
              "TwTimer = 6;\n"
              "ConnectPeer = \"msf.test\" { ConnectTo = \"127.0.0.1\"; Port = 3868; No_TLS; No_SCTP; "
              "TcTimer = 5; TwTimer = 6; };\n");
}

TEST(FdConfig, PeerAddressPortAndTimersFollowTheOptions) {
    const std::string text = fd_config_text(parsed({"--peer-host", "::1", "--peer-port", "3870", "--tw", "9", "--tc",
                                                    "3"}));
    EXPECT_THAT(text, HasSubstr("ConnectTo = \"::1\"; Port = 3870;"));
    EXPECT_THAT(text, HasSubstr("TcTimer = 3;\nTwTimer = 9;\n"));
    EXPECT_THAT(text, HasSubstr("TcTimer = 3; TwTimer = 9; };"));
    EXPECT_THAT(text, Not(HasSubstr("LoadExtension")));
    EXPECT_THAT(text, Not(HasSubstr("TLS_Cred")));
}

}  // namespace
}  // namespace msf::fdrx
