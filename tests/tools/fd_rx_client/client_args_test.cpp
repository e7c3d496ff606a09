// msf-fd-rx-client's command line: every option and spec key reaches ClientOptions, the script
// is checked before anything connects, and every kind of wrong command line gets one line naming
// what is wrong, with exit code 2 (usage) or 1 (value).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "tests/tools/fd_rx_client/client_args.hpp"

namespace msf::fdrx {
namespace {

using ::testing::HasSubstr;

const std::string kKey30 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d";  // 16 + 14 bytes
const std::string kKey28 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b";      // 16 + 12 bytes

std::vector<std::string_view> base_args() {
    return {"--identity", "pcscf.test", "--realm", "test", "--peer", "msf.test", "--peer-host", "127.0.0.1"};
}

ClientParse parse(std::initializer_list<std::string_view> extra, std::string_view drop = {}) {
    std::vector<std::string_view> v;
    const std::vector<std::string_view> base = base_args();
    for (size_t i = 0; i < base.size(); ++i) {
        if (!drop.empty() && base[i] == drop) {
            ++i;  // the option and its value
            continue;
        }
        v.push_back(base[i]);
    }
    v.insert(v.end(), extra.begin(), extra.end());
    return parse_client_args(v);
}

ClientOptions options(std::initializer_list<std::string_view> extra) {
    auto r = parse(extra);
    if (auto* e = std::get_if<UsageError>(&r)) {
        ADD_FAILURE() << "unexpected error: " << e->message;
        return {};
    }
    if (std::holds_alternative<HelpRequest>(r)) {
        ADD_FAILURE() << "unexpected help";
        return {};
    }
    return std::get<ClientOptions>(r);
}

UsageError error(std::initializer_list<std::string_view> extra, std::string_view drop = {}) {
    auto r = parse(extra, drop);
    if (auto* e = std::get_if<UsageError>(&r)) {
        EXPECT_EQ(e->message.find('\n'), std::string::npos) << e->message;
        return *e;
    }
    ADD_FAILURE() << "parsed, but should not have";
    return {};
}

SessionSpec spec(std::string_view text) {
    auto r = parse_session_spec(text);
    if (!r.ok()) {
        ADD_FAILURE() << "unexpected error: " << r.error();
        return {};
    }
    return r.value();
}

std::string spec_error(std::string_view text) {
    auto r = parse_session_spec(text);
    if (r.ok()) {
        ADD_FAILURE() << "parsed, but should not have: " << text;
        return {};
    }
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
    return r.error();
}

TEST(ClientArgs, RequiredOptionsAloneGiveDefaultsAndNoActions) {
    const ClientOptions o = options({});
    EXPECT_EQ(o.identity, "pcscf.test");
    EXPECT_EQ(o.realm, "test");
    EXPECT_EQ(o.peer, "msf.test");
    EXPECT_EQ(o.peer_realm, "test");  // defaults to our realm
    EXPECT_EQ(o.peer_host.to_string(), "127.0.0.1");
    EXPECT_EQ(o.peer_port, 3868);
    EXPECT_EQ(o.tw_s, 6u);
    EXPECT_EQ(o.tc_s, 5u);
    EXPECT_EQ(o.timeout_ms, 15000u);
    EXPECT_EQ(o.msf_vendor_id, 32473u);
    EXPECT_EQ(o.cer_application, CerApplication::vendor_specific);
    EXPECT_TRUE(o.work_dir.empty());
    EXPECT_EQ(o.log, LogLevel::quiet);
    EXPECT_TRUE(o.actions.empty());
}

TEST(ClientArgs, EveryOptionReachesTheOptions) {
    const ClientOptions o =
        options({"--peer-port", "3869", "--peer-realm=other.test", "--tw", "7", "--tc=2", "--timeout-ms", "500",
                 "--msf-vendor-id", "99", "--cer-application", "plain", "--work-dir", "/tmp/x", "--verbose"});
    EXPECT_EQ(o.peer_port, 3869);
    EXPECT_EQ(o.peer_realm, "other.test");
    EXPECT_EQ(o.tw_s, 7u);
    EXPECT_EQ(o.tc_s, 2u);
    EXPECT_EQ(o.timeout_ms, 500u);
    EXPECT_EQ(o.msf_vendor_id, 99u);
    EXPECT_EQ(o.cer_application, CerApplication::plain);
    EXPECT_EQ(o.work_dir, "/tmp/x");
    EXPECT_EQ(o.log, LogLevel::verbose);
    EXPECT_EQ(options({"--debug", "--verbose"}).log, LogLevel::debug);
}

TEST(ClientArgs, IPv6PeerHostIsAccepted) {
    const auto r = parse_client_args(std::vector<std::string_view>{"--identity", "a.test", "--realm", "test", "--peer",
                                                                   "b.test", "--peer-host", "::1"});
    ASSERT_TRUE(std::holds_alternative<ClientOptions>(r));
    EXPECT_TRUE(std::get<ClientOptions>(r).peer_host.is_v6());
}

TEST(ClientArgs, ActionsKeepTheirOrderAndRepeat) {
    const ClientOptions o = options({"--aar", "ue=192.0.2.2:4000,core=198.51.100.20:5000", "--wait-dwa",
                                     "--aar-update", "ue=192.0.2.2:4002,core=198.51.100.20:5002", "--sleep-ms",
                                     "250", "--wait-rar", "--wait-asr", "--str-aborted", "--aar",
                                     "ue=192.0.2.3:4000,core=198.51.100.20:5004", "--str", "--str", "--wait-dwa",
                                     "--dpr"});
    const std::vector<ActionKind> kinds = {ActionKind::aar,         ActionKind::wait_dwa, ActionKind::aar_update,
                                           ActionKind::sleep,       ActionKind::wait_rar, ActionKind::wait_asr,
                                           ActionKind::str_aborted, ActionKind::aar,      ActionKind::str,
                                           ActionKind::str,         ActionKind::wait_dwa, ActionKind::dpr};
    ASSERT_EQ(o.actions.size(), kinds.size());
    for (size_t i = 0; i < kinds.size(); ++i) EXPECT_EQ(o.actions[i].kind, kinds[i]) << i;
    EXPECT_EQ(o.actions[2].spec.ue.port, 4002);
    EXPECT_EQ(o.actions[3].sleep_ms, 250u);
    EXPECT_EQ(o.actions[7].spec.ue.to_string(), "192.0.2.3:4000");
}

TEST(ClientArgs, HelpWinsOverEverythingElse) {
    EXPECT_TRUE(std::holds_alternative<HelpRequest>(parse_client_args(std::vector<std::string_view>{"--help"})));
    EXPECT_TRUE(std::holds_alternative<HelpRequest>(parse({"-h"})));
    const std::string help = client_help();
    for (const char* word : {"--identity", "--aar", "--wait-dwa", "--dpr", "crypto=", "from-ue=", "AEAD_AES_128_GCM"})
        EXPECT_THAT(help, HasSubstr(word));
}

TEST(ClientArgs, EachMissingRequiredOptionIsNamed) {
    for (const char* option : {"--identity", "--realm", "--peer", "--peer-host"}) {
        const UsageError e = error({}, option);
        EXPECT_EQ(e.exit_code, 2);
        EXPECT_THAT(e.message, HasSubstr(option));
    }
}

TEST(ClientArgs, UsageErrorsExitTwo) {
    EXPECT_EQ(error({"--nope"}).exit_code, 2);
    EXPECT_EQ(error({"stray"}).exit_code, 2);
    EXPECT_EQ(error({"--tw"}).exit_code, 2);                   // missing value
    EXPECT_EQ(error({"--str=1"}).exit_code, 2);                // flag with a value
    EXPECT_EQ(error({"--realm", "again.test"}).exit_code, 2);  // setting given twice
    EXPECT_THAT(error({"--nope"}).message, HasSubstr("--nope"));
}

TEST(ClientArgs, BadValuesExitOne) {
    EXPECT_EQ(error({"--tw", "5"}).exit_code, 1);  // freeDiameter's minimum is 6
    EXPECT_EQ(error({"--tc", "0"}).exit_code, 1);
    EXPECT_EQ(error({"--peer-port", "0"}).exit_code, 1);
    EXPECT_EQ(error({"--peer-port", "65536"}).exit_code, 1);
    EXPECT_EQ(error({"--timeout-ms", "x"}).exit_code, 1);
    EXPECT_EQ(error({"--cer-application", "both"}).exit_code, 1);
    EXPECT_EQ(error({"--work-dir", "a\"b"}).exit_code, 1);
    EXPECT_EQ(error({"--aar", "ue=1.2.3.4:5"}).exit_code, 1);
    EXPECT_THAT(error({"--tw", "5"}).message, HasSubstr("--tw"));
}

TEST(ClientArgs, PeerHostMustBeAnIpLiteral) {
    const auto r = parse_client_args(std::vector<std::string_view>{"--identity", "a.test", "--realm", "test", "--peer",
                                                                   "b.test", "--peer-host", "localhost"});
    ASSERT_TRUE(std::holds_alternative<UsageError>(r));
    EXPECT_EQ(std::get<UsageError>(r).exit_code, 1);
}

TEST(ClientArgs, IdentitiesThatCouldBreakTheConfigFileAreRefused) {
    for (const char* bad : {"", "a\"b.test", "a b", "a..test", ".test", "test.", "a;b", "a\nb", "ümlaut.test"}) {
        const auto r = parse_client_args(std::vector<std::string_view>{"--identity", bad, "--realm", "test", "--peer",
                                                                       "b.test", "--peer-host", "127.0.0.1"});
        ASSERT_TRUE(std::holds_alternative<UsageError>(r)) << bad;
        EXPECT_EQ(std::get<UsageError>(r).exit_code, 1) << bad;
    }
    EXPECT_TRUE(is_diameter_identity("pcscf-1.ims.mnc001.mcc001.3gppnetwork.org"));
    EXPECT_FALSE(is_diameter_identity(std::string(64, 'a') + ".test"));  // label over 63
    EXPECT_FALSE(is_diameter_identity(std::string(256, 'a')));
}

TEST(ClientArgs, OurOwnIdentityIsNoPeer) {
    const auto r = parse_client_args(std::vector<std::string_view>{"--identity", "a.test", "--realm", "test", "--peer",
                                                                   "a.test", "--peer-host", "127.0.0.1"});
    ASSERT_TRUE(std::holds_alternative<UsageError>(r));
}

TEST(ClientArgs, ScriptThatCannotWorkIsRefusedBeforeConnecting) {
    EXPECT_THAT(error({"--str"}).message, HasSubstr("no open session"));
    EXPECT_THAT(error({"--aar-update", "ue=192.0.2.2:4000,core=198.51.100.20:5000"}).message, HasSubstr("--aar"));
    EXPECT_THAT(error({"--aar", "ue=192.0.2.2:4000,core=198.51.100.20:5000", "--str", "--str"}).message,
                HasSubstr("no open session"));
    EXPECT_THAT(error({"--str-aborted"}).message, HasSubstr("--wait-asr"));
    EXPECT_THAT(error({"--dpr", "--wait-dwa"}).message, HasSubstr("last"));
    EXPECT_EQ(error({"--dpr", "--dpr"}).exit_code, 2);
}

TEST(SessionSpec, MinimalSpecTakesTheDefaults) {
    const SessionSpec s = spec("ue=192.0.2.2:49170,core=198.51.100.20:30000");
    EXPECT_EQ(s.ue.to_string(), "192.0.2.2:49170");
    EXPECT_EQ(s.core.to_string(), "198.51.100.20:30000");
    EXPECT_EQ(s.media_component_number, 1u);
    EXPECT_EQ(s.media_type, MediaType::audio);
    EXPECT_EQ(s.rtcp, RtcpMode::separate);
    EXPECT_FALSE(s.sdes);
    EXPECT_FALSE(s.from_ue);
    EXPECT_FALSE(s.to_ue);
    EXPECT_TRUE(s.framed_ip);
}

TEST(SessionSpec, EveryKeyReachesTheSpec) {
    const SessionSpec s = spec("core=[2001:db8::20]:30000,ue=[2001:db8:a::2]:49170,mcn=7,media=video,rtcp=mux,"
                               "crypto=AES_CM_128_HMAC_SHA1_80:" +
                               kKey30 + ",from-ue=AES_CM_128_HMAC_SHA1_32:" + kKey30 + ",to-ue=AEAD_AES_128_GCM:" +
                               kKey28 + ",framed-ip=no");
    EXPECT_EQ(s.ue.to_string(), "[2001:db8:a::2]:49170");
    EXPECT_EQ(s.media_component_number, 7u);
    EXPECT_EQ(s.media_type, MediaType::video);
    EXPECT_EQ(s.rtcp, RtcpMode::mux);
    ASSERT_TRUE(s.sdes && s.from_ue && s.to_ue);
    EXPECT_EQ(s.sdes->suite, srtp::Suite::aes_cm_128_hmac_sha1_80);
    EXPECT_EQ(s.sdes->key.size(), 16u);
    EXPECT_EQ(s.sdes->salt.size(), 14u);
    EXPECT_EQ(s.sdes->salt.back(), 0x1d);
    EXPECT_EQ(s.from_ue->suite, srtp::Suite::aes_cm_128_hmac_sha1_32);
    EXPECT_EQ(s.to_ue->suite, srtp::Suite::aead_aes_128_gcm);
    EXPECT_EQ(s.to_ue->salt.size(), 12u);
    EXPECT_FALSE(s.framed_ip);
    EXPECT_EQ(spec("ue=192.0.2.2:1,core=192.0.2.3:2,media=other").media_type, MediaType::other);
    EXPECT_EQ(spec("ue=192.0.2.2:1,core=192.0.2.3:2,rtcp=none").rtcp, RtcpMode::none);
}

TEST(SessionSpec, MalformedSpecsSayWhatIsWrong) {
    EXPECT_THAT(spec_error(""), HasSubstr("key=value"));
    EXPECT_THAT(spec_error("core=198.51.100.20:30000"), HasSubstr("ue="));
    EXPECT_THAT(spec_error("ue=192.0.2.2:49170"), HasSubstr("core="));
    EXPECT_THAT(spec_error("ue=192.0.2.2:49170,,core=198.51.100.20:30000"), HasSubstr("key=value"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:49170,core=198.51.100.20:30000,"), HasSubstr("key=value"));
    EXPECT_THAT(spec_error("ue=192.0.2.2,core=198.51.100.20:30000"), HasSubstr("ue:"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:0,core=198.51.100.20:30000"), HasSubstr("port 0"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:1,core=198.51.100.20:2,ue=192.0.2.2:3"), HasSubstr("twice"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:1,core=198.51.100.20:2,colour=red"), HasSubstr("unknown key"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:1,core=[2001:db8::1]:2"), HasSubstr("family"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:65535,core=198.51.100.20:2"), HasSubstr("65535"));
    EXPECT_TRUE(parse_session_spec("ue=192.0.2.2:65535,core=198.51.100.20:2,rtcp=mux").ok());
    EXPECT_THAT(spec_error("ue=192.0.2.2:1,core=198.51.100.20:2,mcn=4294967296"), HasSubstr("mcn"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:1,core=198.51.100.20:2,media=hologram"), HasSubstr("media"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:1,core=198.51.100.20:2,rtcp=both"), HasSubstr("rtcp"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:1,core=198.51.100.20:2,framed-ip=maybe"), HasSubstr("framed-ip"));
}

TEST(SessionSpec, KeysMustFitTheirSuite) {
    const std::string base = "ue=192.0.2.2:1,core=198.51.100.20:2,crypto=";
    EXPECT_THAT(spec_error(base + kKey30), HasSubstr("SUITE:HEX"));
    EXPECT_THAT(spec_error(base + "AES_CM_128_HMAC_SHA1_99:" + kKey30), HasSubstr("not a suite"));
    EXPECT_THAT(spec_error(base + "AES_CM_128_HMAC_SHA1_80:" + kKey28), HasSubstr("crypto"));     // 28 bytes, not 30
    EXPECT_THAT(spec_error(base + "AEAD_AES_128_GCM:" + kKey30), HasSubstr("crypto"));            // 30 bytes, not 28
    EXPECT_THAT(spec_error(base + "AES_CM_128_HMAC_SHA1_80:" + kKey30 + "0"), HasSubstr("odd"));  // half a byte
    EXPECT_THAT(spec_error(base + "AES_CM_128_HMAC_SHA1_80:zz" + kKey30.substr(2)), HasSubstr("hex"));
    EXPECT_THAT(spec_error("ue=192.0.2.2:1,core=198.51.100.20:2,to-ue=AEAD_AES_256_GCM:" + kKey30),
                HasSubstr("to-ue"));
}

TEST(SessionSpec, ActionNamesAreTheOptionSpellings) {
    EXPECT_EQ(action_name(ActionKind::aar), "--aar");
    EXPECT_EQ(action_name(ActionKind::aar_update), "--aar-update");
    EXPECT_EQ(action_name(ActionKind::str_aborted), "--str-aborted");
    EXPECT_EQ(action_name(ActionKind::wait_dwa), "--wait-dwa");
    EXPECT_EQ(action_name(ActionKind::sleep), "--sleep-ms");
    EXPECT_EQ(action_name(ActionKind::dpr), "--dpr");
}

}  // namespace
}  // namespace msf::fdrx
