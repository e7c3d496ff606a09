// msfctl's command line: every subcommand and option reaches the command, and every kind of
// wrong command line gets one line naming what is wrong, with exit code 2 (usage) or 1 (value).
#include "controlplane/cli/msfctl_command.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace msf::cli {
namespace {

using ::testing::HasSubstr;

MsfctlParse parse(std::initializer_list<std::string_view> args) {
    const std::vector<std::string_view> v(args);
    return parse_msfctl_args(v);
}

MsfctlCommand command(std::initializer_list<std::string_view> args) {
    auto r = parse(args);
    if (auto* e = std::get_if<MsfctlUsageError>(&r)) {
        ADD_FAILURE() << "unexpected error: " << e->message;
        return {};
    }
    return std::get<MsfctlCommand>(r);
}

MsfctlUsageError error(std::initializer_list<std::string_view> args) {
    auto r = parse(args);
    if (auto* e = std::get_if<MsfctlUsageError>(&r)) {
        EXPECT_EQ(e->message.find('\n'), std::string::npos);
        return *e;
    }
    ADD_FAILURE() << "parsed, but should not have";
    return {};
}

TEST(MsfctlCommand, ParsesEverySubcommandWithDefaults) {
    struct Case {
        std::vector<std::string_view> args;
        Command command;
        std::string session_id;
    };
    const std::vector<Case> cases = {
        {{"sessions"}, Command::sessions, ""},
        {{"session", "pcscf;1;2"}, Command::session, "pcscf;1;2"},
        {{"keys", "pcscf;1;2"}, Command::keys, "pcscf;1;2"},
        {{"stats"}, Command::stats, ""},
        {{"peers"}, Command::peers, ""},
        {{"session", "remove", "pcscf;1;2"}, Command::session_remove, "pcscf;1;2"},
    };
    for (const Case& c : cases) {
        auto r = parse_msfctl_args(c.args);
        ASSERT_TRUE(std::holds_alternative<MsfctlCommand>(r)) << c.args[0];
        const MsfctlCommand& cmd = std::get<MsfctlCommand>(r);
        EXPECT_FALSE(cmd.help);
        EXPECT_EQ(cmd.command, c.command);
        EXPECT_EQ(cmd.session_id, c.session_id);
        EXPECT_EQ(cmd.socket, "/run/msf/controld.sock");
        EXPECT_FALSE(cmd.json);
        EXPECT_EQ(cmd.timeout_ms, 5000u);
        EXPECT_FALSE(cmd.reveal);
    }
    // Every verb of the table with a command is covered above.
    size_t verbs_with_command = 0;
    for (const MsfctlVerbInfo& v : msfctl_verbs()) verbs_with_command += v.command.has_value();
    EXPECT_EQ(verbs_with_command, cases.size());
}

TEST(MsfctlCommand, TakesOptionsBeforeAndAfterTheCommandInBothSpellings) {
    const MsfctlCommand a = command({"--socket", "/tmp/c.sock", "--json", "keys", "s;1", "--reveal", "--timeout-ms", "250"});
    EXPECT_EQ(a.command, Command::keys);
    EXPECT_EQ(a.socket, "/tmp/c.sock");
    EXPECT_TRUE(a.json);
    EXPECT_TRUE(a.reveal);
    EXPECT_EQ(a.timeout_ms, 250u);
    const MsfctlCommand b = command({"stats", "--socket=/tmp/d.sock", "--timeout-ms=1"});
    EXPECT_EQ(b.socket, "/tmp/d.sock");
    EXPECT_EQ(b.timeout_ms, 1u);
    EXPECT_EQ(parse_msfctl_args(std::vector<std::string_view>{"peers"}, "/other.sock").index(), 0u);
    EXPECT_EQ(std::get<MsfctlCommand>(parse_msfctl_args(std::vector<std::string_view>{"peers"}, "/other.sock")).socket,
              "/other.sock");
}

TEST(MsfctlCommand, DoubleDashPassesSessionIdsThatLookLikeOptionsOrWords) {
    const MsfctlCommand a = command({"session", "--", "remove"});
    EXPECT_EQ(a.command, Command::session);
    EXPECT_EQ(a.session_id, "remove");
    const MsfctlCommand b = command({"keys", "--reveal", "--", "-odd;1"});
    EXPECT_EQ(b.command, Command::keys);
    EXPECT_EQ(b.session_id, "-odd;1");
    EXPECT_TRUE(b.reveal);
    const MsfctlCommand c = command({"session", "remove", "--", "--json"});
    EXPECT_EQ(c.command, Command::session_remove);
    EXPECT_EQ(c.session_id, "--json");
    EXPECT_FALSE(c.json);
    EXPECT_EQ(error({"--", "sessions"}).message, "the command goes before \"--\"; see msfctl --help");
}

TEST(MsfctlCommand, HelpWinsOverEverythingElse) {
    for (auto args : {std::vector<std::string_view>{"--help"}, {"-h"}, {"help"}, {"keys", "s", "--help"},
                      {"bogus", "-h"}, {"--json", "help"}}) {
        auto r = parse_msfctl_args(args);
        ASSERT_TRUE(std::holds_alternative<MsfctlCommand>(r)) << args[0];
        EXPECT_TRUE(std::get<MsfctlCommand>(r).help);
    }
}

TEST(MsfctlCommand, UsageErrorsExitWith2) {
    struct Case {
        std::vector<std::string_view> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{}, "no command given; see msfctl --help"},
        {{"--json"}, "no command given; see msfctl --help"},
        {{"sesions"}, "unknown command 'sesions'; see msfctl --help"},
        {{"session"}, "session needs a session ID (or: session remove ID)"},
        {{"keys"}, "keys needs a session ID"},
        {{"session", "remove"}, "session remove needs a session ID"},
        {{"stats", "now"}, "unexpected argument 'now' after 'stats'"},
        {{"session", "a", "b"}, "unexpected argument 'b' after 'session'"},
        {{"--verbose", "stats"}, "unknown option '--verbose'; see msfctl --help"},
        {{"-v", "stats"}, "unknown option '-v'; see msfctl --help"},
        {{"stats", "--json=yes"}, "--json takes no value"},
        {{"stats", "--socket"}, "--socket needs a value (PATH)"},
        {{"stats", "--json", "--json"}, "--json given twice"},
        {{"session", "s", "--reveal"}, "--reveal does not apply to 'session'"},
        {{"sessions", "--reveal"}, "--reveal does not apply to 'sessions'"},
        {{"unknown\x1b[2J"}, "unknown command 'unknown?[2J'; see msfctl --help"},
    };
    for (const Case& c : cases) {
        auto r = parse_msfctl_args(c.args);
        ASSERT_TRUE(std::holds_alternative<MsfctlUsageError>(r)) << c.message;
        EXPECT_EQ(std::get<MsfctlUsageError>(r).exit_code, 2) << c.message;
        EXPECT_EQ(std::get<MsfctlUsageError>(r).message, c.message);
    }
}

TEST(MsfctlCommand, BadValuesExitWith1) {
    struct Case {
        std::vector<std::string_view> args;
        std::string message;
    };
    const std::string long_id(1025, 's');
    const std::vector<Case> cases = {
        {{"stats", "--timeout-ms", "0"}, "--timeout-ms: must be 1..3600000"},
        {{"stats", "--timeout-ms", "3600001"}, "--timeout-ms: must be 1..3600000"},
        {{"stats", "--timeout-ms", "5s"}, "--timeout-ms: '5s' is not a number of milliseconds"},
        {{"stats", "--timeout-ms", "-1"}, "--timeout-ms: '-1' is not a number of milliseconds"},
        {{"stats", "--timeout-ms="}, "--timeout-ms: '' is not a number of milliseconds"},
        {{"stats", "--timeout-ms", "99999999999999999999999"},
         "--timeout-ms: '99999999999999999999999' is not a number of milliseconds"},
        {{"stats", "--socket="}, "--socket: empty path"},
        {{"session", "a\tb"}, "session ID 'a?b': byte 0x09 at offset 1 is not printable ASCII"},
        {{"keys", ""}, "session ID '': empty"},
        {{"session", long_id}, "session ID '" + std::string(64, 's') + "...': 1025 bytes, at most 1024"},
    };
    for (const Case& c : cases) {
        auto r = parse_msfctl_args(c.args);
        ASSERT_TRUE(std::holds_alternative<MsfctlUsageError>(r)) << c.message;
        EXPECT_EQ(std::get<MsfctlUsageError>(r).exit_code, 1) << c.message;
        EXPECT_EQ(std::get<MsfctlUsageError>(r).message, c.message);
    }
}

TEST(MsfctlCommand, HelpListsEveryCommandAndOption) {
    const std::string help = msfctl_help("/run/msf/controld.sock");
    EXPECT_THAT(help, HasSubstr("usage: msfctl [--socket PATH] [--json] [--timeout-ms MS] COMMAND [ARGS]"));
    EXPECT_THAT(help, HasSubstr("(default /run/msf/controld.sock)"));
    for (const MsfctlVerbInfo& v : msfctl_verbs()) {
        if (!v.command) continue;
        EXPECT_THAT(help, HasSubstr("\n  " + std::string(v.words))) << v.words;
    }
    for (const char* option : {"--socket PATH", "--json", "--timeout-ms MS", "--reveal", "--help, -h"})
        EXPECT_THAT(help, HasSubstr(option));
    EXPECT_THAT(help, HasSubstr("msfctl session -- remove"));
}

TEST(MsfctlCommand, BuildsTheRequestItSends) {
    const Request keys = to_request(command({"keys", "s;1", "--reveal"}), 5);
    EXPECT_EQ(keys, (Request{5, Command::keys, "s;1", true}));
    const Request remove = to_request(command({"session", "remove", "s;1"}), 6);
    EXPECT_EQ(remove, (Request{6, Command::session_remove, "s;1", false}));
    EXPECT_EQ(encode_request(to_request(command({"stats"}), 1)), "{\"id\":1,\"command\":\"stats\"}\n");
}

}  // namespace
}  // namespace msf::cli
