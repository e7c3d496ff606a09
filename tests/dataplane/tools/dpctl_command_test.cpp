// msf-dpctl's command line: every SessionSpec field reaches the spec, and every kind of wrong
// command line gets one line naming what is wrong, with exit code 2 (usage) or 1 (value).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "dataplane/tools/dpctl_command.hpp"

namespace msf::tools {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kDefaultSocket = "/run/msf/dataplane.sock";
const std::string kKey30 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d";  // 30 bytes

DpctlParse parse(std::initializer_list<std::string_view> args) {
    const std::vector<std::string_view> v(args);
    return parse_dpctl_args(v, kDefaultSocket);
}

DpctlCommand command(std::initializer_list<std::string_view> args) {
    auto r = parse(args);
    if (auto* e = std::get_if<DpctlUsageError>(&r)) {
        ADD_FAILURE() << "unexpected error: " << e->message;
        return {};
    }
    return std::get<DpctlCommand>(r);
}

DpctlUsageError error(std::initializer_list<std::string_view> args) {
    auto r = parse(args);
    if (auto* e = std::get_if<DpctlUsageError>(&r)) return *e;
    ADD_FAILURE() << "parsed, but should not have";
    return {};
}

std::vector<std::string_view> add_args() {
    return {"session", "add", "--id", "7", "--access-local", "192.0.2.10:20000", "--core-local",
            "198.51.100.10:20000", "--core-remote", "198.51.100.20:30000", "--from-ue-key", kKey30,
            "--to-ue-key", kKey30};
}

DpctlParse parse_add(const std::vector<std::string_view>& extra, std::string_view drop = {}) {
    std::vector<std::string_view> v;
    const std::vector<std::string_view> base = add_args();
    for (size_t i = 0; i < base.size(); ++i) {
        if (!drop.empty() && base[i] == drop) {
            ++i;  // the option and its value
            continue;
        }
        v.push_back(base[i]);
    }
    v.insert(v.end(), extra.begin(), extra.end());
    return parse_dpctl_args(v, kDefaultSocket);
}

TEST(DpctlCommand, SessionAddFillsEveryField) {
    auto r = parse_add({"--access-remote", "[2001:db8::2]:40000", "--access-rtcp-mux", "--core-rtcp-mux",
                        "--from-ue-suite", "AES_CM_128_HMAC_SHA1_32", "--from-ue-mki", "01",
                        "--from-ue-lifetime", "1000", "--to-ue-suite=AES_CM_128_HMAC_SHA1_80",
                        "--to-ue-mki=a0b1", "--to-ue-lifetime=2000", "--replay-window", "256",
                        "--inactivity-ms", "3000", "--socket", "/tmp/x.sock"});
    ASSERT_TRUE(std::holds_alternative<DpctlCommand>(r)) << std::get<DpctlUsageError>(r).message;
    const DpctlCommand& c = std::get<DpctlCommand>(r);
    EXPECT_EQ(c.verb, DpctlVerb::session_add);
    EXPECT_EQ(c.socket, "/tmp/x.sock");
    const api::SessionSpec& s = c.spec;
    EXPECT_EQ(s.id, 7u);
    EXPECT_EQ(s.access.local.to_string(), "192.0.2.10:20000");
    EXPECT_EQ(s.access.remote.to_string(), "[2001:db8::2]:40000");
    EXPECT_TRUE(s.access.rtcp_mux);
    EXPECT_EQ(s.core.local.to_string(), "198.51.100.10:20000");
    EXPECT_EQ(s.core.remote.to_string(), "198.51.100.20:30000");
    EXPECT_TRUE(s.core.rtcp_mux);
    EXPECT_EQ(s.from_ue.suite, srtp::Suite::aes_cm_128_hmac_sha1_32);
    EXPECT_EQ(s.from_ue.mki, (std::vector<uint8_t>{0x01}));
    EXPECT_EQ(s.from_ue.lifetime, 1000u);
    EXPECT_EQ(s.to_ue.mki, (std::vector<uint8_t>{0xa0, 0xb1}));
    EXPECT_EQ(s.to_ue.lifetime, 2000u);
    EXPECT_EQ(s.replay_window, 256u);
    EXPECT_EQ(s.inactivity_timeout_ms, 3000u);
    // key || salt, split as RFC 4568 inline keys concatenate them.
    ASSERT_EQ(s.from_ue.master_key.size(), 16u);
    ASSERT_EQ(s.from_ue.master_salt.size(), 14u);
    EXPECT_EQ(s.from_ue.master_key[0], 0x00);
    EXPECT_EQ(s.from_ue.master_salt[0], 0x10);
    EXPECT_EQ(s.to_ue.master_salt[13], 0x1d);
}

TEST(DpctlCommand, SessionAddDefaultsLeaveTheUeToBeLatched) {
    auto r = parse_add({});
    ASSERT_TRUE(std::holds_alternative<DpctlCommand>(r));
    const api::SessionSpec& s = std::get<DpctlCommand>(r).spec;
    EXPECT_TRUE(s.access.remote.empty());
    EXPECT_FALSE(s.access.rtcp_mux);
    EXPECT_EQ(s.from_ue.suite, srtp::Suite::aes_cm_128_hmac_sha1_80);
    EXPECT_TRUE(s.from_ue.mki.empty());
    EXPECT_EQ(s.replay_window, api::SessionSpec{}.replay_window);
    EXPECT_EQ(std::get<DpctlCommand>(r).socket, kDefaultSocket);
}

TEST(DpctlCommand, KeysAreSplitByTheSuiteGivenAfterThem) {
    // 28 bytes: an AEAD_AES_128_GCM key (16) and salt (12), with the suite named last.
    const std::string key28 = kKey30.substr(0, 56);
    auto r = parse_add({"--from-ue-key", key28, "--from-ue-suite", "AEAD_AES_128_GCM"}, "--from-ue-key");
    ASSERT_TRUE(std::holds_alternative<DpctlCommand>(r)) << std::get<DpctlUsageError>(r).message;
    const api::SessionSpec& s = std::get<DpctlCommand>(r).spec;
    EXPECT_EQ(s.from_ue.master_key.size(), 16u);
    EXPECT_EQ(s.from_ue.master_salt.size(), 12u);
}

TEST(DpctlCommand, AKeyOfTheWrongLengthForItsSuiteIsABadValue) {
    auto r = parse_add({"--to-ue-suite", "AES_256_CM_HMAC_SHA1_80"});
    ASSERT_TRUE(std::holds_alternative<DpctlUsageError>(r));
    const DpctlUsageError& e = std::get<DpctlUsageError>(r);
    EXPECT_EQ(e.exit_code, 1);
    EXPECT_THAT(e.message, HasSubstr("--to-ue-key: 30 bytes, AES_256_CM_HMAC_SHA1_80 needs 46"));
}

TEST(DpctlCommand, ModifyTakesTheSameOptionsAsAdd) {
    std::vector<std::string_view> v = add_args();
    v[1] = "modify";
    auto r = parse_dpctl_args(v, kDefaultSocket);
    ASSERT_TRUE(std::holds_alternative<DpctlCommand>(r));
    EXPECT_EQ(std::get<DpctlCommand>(r).verb, DpctlVerb::session_modify);
    EXPECT_EQ(std::get<DpctlCommand>(r).spec.id, 7u);
}

TEST(DpctlCommand, EveryRequiredOptionIsNamedWhenMissing) {
    for (const char* option : {"--id", "--access-local", "--core-local", "--core-remote", "--from-ue-key",
                               "--to-ue-key"}) {
        auto r = parse_add({}, option);
        ASSERT_TRUE(std::holds_alternative<DpctlUsageError>(r)) << option;
        const DpctlUsageError& e = std::get<DpctlUsageError>(r);
        EXPECT_EQ(e.exit_code, 2) << option;
        EXPECT_EQ(e.message, std::string("session add needs ") + option);
    }
}

TEST(DpctlCommand, BadValuesNameTheOptionAndExitOne) {
    struct Case {
        std::vector<std::string_view> extra;
        std::string_view drop;
        std::string_view want;
    };
    const Case cases[] = {
        {{"--id", "seven"}, "--id", "--id: 'seven' is not a decimal number"},
        {{"--access-local", "192.0.2.10"}, "--access-local", "--access-local: '192.0.2.10' is not IP:PORT"},
        {{"--core-remote", "[2001:db8::1]"}, "--core-remote", "--core-remote: '[2001:db8::1]' is not IP:PORT"},
        {{"--from-ue-key", "xyz0"}, "--from-ue-key", "--from-ue-key: 'xyz0' is not hex"},
        {{"--from-ue-suite", "AES_CM_128"}, "", "--from-ue-suite: 'AES_CM_128' is not a suite"},
        {{"--to-ue-mki", std::string_view("0011223344556677889900112233445566")}, "", "--to-ue-mki: hex string of 17 bytes is longer than 16"},
        {{"--replay-window", "4294967296"}, "", "--replay-window: '4294967296' is out of range"},
        {{"--inactivity-ms", "-5"}, "", "--inactivity-ms: '-5' is not a decimal number"},
    };
    for (const Case& c : cases) {
        auto r = parse_add(c.extra, c.drop);
        ASSERT_TRUE(std::holds_alternative<DpctlUsageError>(r)) << c.want;
        const DpctlUsageError& e = std::get<DpctlUsageError>(r);
        EXPECT_EQ(e.exit_code, 1) << c.want;
        EXPECT_THAT(e.message, HasSubstr(c.want));
    }
}

TEST(DpctlCommand, ReadCommandsAndTheirOptions) {
    EXPECT_EQ(command({"hello"}).verb, DpctlVerb::hello);
    EXPECT_EQ(command({"sessions", "--json"}).verb, DpctlVerb::sessions);
    EXPECT_TRUE(command({"--json", "stats"}).json);
    EXPECT_EQ(command({"ports"}).verb, DpctlVerb::ports);
    const DpctlCommand get = command({"session", "get", "42", "--json"});
    EXPECT_EQ(get.verb, DpctlVerb::session_get);
    EXPECT_EQ(get.session_id, 42u);
    EXPECT_TRUE(get.json);
    const DpctlCommand remove = command({"--socket=/tmp/s", "session", "remove", "18446744073709551615"});
    EXPECT_EQ(remove.verb, DpctlVerb::session_remove);
    EXPECT_EQ(remove.session_id, UINT64_MAX);
    EXPECT_EQ(remove.socket, "/tmp/s");
    const DpctlCommand events = command({"events", "--count", "3", "--timeout-ms=1500"});
    EXPECT_EQ(events.event_count, 3u);
    EXPECT_EQ(events.event_timeout_ms, 1500u);
}

TEST(DpctlCommand, UsageErrorsExitTwoWithOneLine) {
    struct Case {
        std::vector<std::string_view> args;
        std::string_view want;
    };
    const Case cases[] = {
        {{}, "no command given"},
        {{"frobnicate"}, "unknown command 'frobnicate'"},
        {{"session"}, "session needs add, modify, remove or get"},
        {{"session", "drop", "1"}, "unknown command 'session drop'"},
        {{"stats", "--bogus"}, "unknown option '--bogus'"},
        {{"stats", "-x"}, "unknown option '-x'"},
        {{"stats", "--count", "3"}, "--count does not apply to 'stats'"},
        {{"session", "remove", "1", "--json"}, "--json does not apply to 'session remove'"},
        {{"stats", "--json=yes"}, "--json takes no value"},
        {{"stats", "--socket"}, "--socket needs a value (PATH)"},
        {{"stats", "--socket", "a", "--socket", "b"}, "--socket given twice"},
        {{"session", "get"}, "session get needs a session ID"},
        {{"session", "get", "1", "2"}, "unexpected argument '2' after 'session get'"},
        {{"stats", "extra"}, "unexpected argument 'extra' after 'stats'"},
    };
    for (const Case& c : cases) {
        auto r = parse_dpctl_args(c.args, kDefaultSocket);
        ASSERT_TRUE(std::holds_alternative<DpctlUsageError>(r)) << c.want;
        const DpctlUsageError e = std::get<DpctlUsageError>(r);
        EXPECT_EQ(e.exit_code, 2) << c.want;
        EXPECT_THAT(e.message, HasSubstr(c.want));
        EXPECT_EQ(e.message.find('\n'), std::string::npos) << c.want;
    }
}

TEST(DpctlCommand, ABadSessionIdIsABadValue) {
    const DpctlUsageError e = error({"session", "get", "abc"});
    EXPECT_EQ(e.exit_code, 1);
    EXPECT_THAT(e.message, HasSubstr("session ID: 'abc' is not a decimal number"));
    EXPECT_EQ(error({"session", "remove", "-3"}).exit_code, 1);
}

TEST(DpctlCommand, HelpWinsAnywhere) {
    EXPECT_EQ(command({"--help"}).verb, DpctlVerb::help);
    EXPECT_EQ(command({"-h"}).verb, DpctlVerb::help);
    EXPECT_EQ(command({"help"}).verb, DpctlVerb::help);
    EXPECT_EQ(command({"session", "add", "--help"}).verb, DpctlVerb::help);
}

TEST(DpctlCommand, HelpListsEveryCommandOptionAndTheKeyWarning) {
    const std::string help = dpctl_help(kDefaultSocket);
    for (const DpctlVerbInfo& v : dpctl_verbs()) {
        if (v.verb != DpctlVerb::help) {
            EXPECT_THAT(help, HasSubstr(std::string(v.words))) << v.words;
        }
    }
    for (const DpctlOption& o : dpctl_options()) {
        if (o.name != "h") {
            EXPECT_THAT(help, HasSubstr("--" + std::string(o.name))) << o.name;
        }
    }
    EXPECT_THAT(help, HasSubstr(kDefaultSocket));
    EXPECT_THAT(help, HasSubstr("test and benchmark convenience"));
    EXPECT_THAT(help, HasSubstr("AEAD_AES_128_GCM"));
}

}  // namespace
}  // namespace msf::tools
