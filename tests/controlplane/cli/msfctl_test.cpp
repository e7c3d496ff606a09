// The built msfctl binary end to end against a CliServer serving the sample results: its
// output for every subcommand, --json, its one-line errors and exit codes (not found, cannot
// connect, no answer, usage, --reveal as root and as nobody).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "controlplane/cli/msfctl_command.hpp"
#include "controlplane/cli/msfctl_output.hpp"
#include "server_harness.hpp"

#ifndef MSFCTL_PATH
#error "MSFCTL_PATH: the built msfctl binary (tests/controlplane/cli/meson.build)"
#endif

namespace msf::cli::test {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

struct Ran {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

struct MsfctlTest : ::testing::Test {
    TempDir dir;
    std::string path = dir.file("controld.sock");
    SampleHandler handler;

    // Runs msfctl with args (--socket added unless with_socket is false), as nobody if asked.
    Ran msfctl(std::vector<std::string> args, bool with_socket = true, bool as_nobody = false) {
        if (with_socket) args.insert(args.begin(), {"--socket", path});
        std::vector<char*> argv;
        std::string program = MSFCTL_PATH;
        argv.push_back(program.data());
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const std::string out_path = dir.file("stdout");
        const std::string err_path = dir.file("stderr");
        const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const pid_t child = fork();
        if (child == 0) {
            // System calls only: this is a fork of a threaded process.
            if (dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(120);
            if (as_nobody && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) _exit(121);
            execv(argv[0], argv.data());
            _exit(122);
        }
        close(out);
        close(err);
        Ran ran;
        int status = 0;
        if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status)) ran.exit_code = WEXITSTATUS(status);
        ran.out = read_file(out_path);
        ran.err = read_file(err_path);
        return ran;
    }
};

TEST_F(MsfctlTest, PrintsEachCommandsResultAsText) {
    ServerThread server(path, handler);
    struct Case {
        std::vector<std::string> args;
        Command command;
        std::string excerpt;  // a line of the golden text (msfctl_output_test) that must be there
    };
    const std::vector<Case> cases = {
        {{"sessions"}, Command::sessions, "\n2 sessions\n"},
        {{"session", kSession1}, Command::session, "  access   local 192.0.2.10:20000, remote -, latched 203.0.113.5:40000\n"},
        {{"keys", kSession1}, Command::keys, " (fingerprints; root may add --reveal)\n"},
        {{"stats"}, Command::stats, "store      /var/lib/msf/sessions.db, 2 sessions\n"},
        {{"peers"}, Command::peers, "\n2 peers\n"},
        {{"session", "remove", kSession1}, Command::session_remove, "session " + kSession1 + " removed\n"},
    };
    for (const Case& c : cases) {
        const Ran ran = msfctl(c.args);
        EXPECT_EQ(ran.exit_code, 0) << c.args[0] << ": " << ran.err;
        EXPECT_EQ(ran.err, "");
        EXPECT_EQ(ran.out, result_text(c.command, sample_result(c.command))) << c.args[0];
        EXPECT_THAT(ran.out, HasSubstr(c.excerpt));
    }
    const auto calls = handler.calls();
    ASSERT_EQ(calls.size(), cases.size());
    EXPECT_EQ(calls.back().request, (Request{1, Command::session_remove, kSession1, false}));
    EXPECT_EQ(calls.back().caller.uid, getuid());
}

TEST_F(MsfctlTest, PrintsTheResultObjectWithJson) {
    ServerThread server(path, handler);
    for (const CommandInfo& info : kCommands) {
        std::vector<std::string> args = {"--json"};
        for (const MsfctlVerbInfo& v : msfctl_verbs()) {
            if (v.command != info.command) continue;
            std::istringstream words{std::string(v.words)};
            for (std::string w; words >> w;) args.push_back(w);
        }
        if (info.takes_session_id) args.push_back(kSession2);
        const Ran ran = msfctl(args);
        EXPECT_EQ(ran.exit_code, 0) << info.name << ": " << ran.err;
        EXPECT_EQ(ran.out, sample_result(info.command).dump() + "\n") << info.name;
    }
}

TEST_F(MsfctlTest, SaysWhichSessionWasNotFound) {
    ServerThread server(path, handler);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"session", "nope;1"}, {"keys", "nope;1"}, {"session", "remove", "nope;1"}}) {
        const Ran ran = msfctl(args);
        EXPECT_EQ(ran.exit_code, 1);
        EXPECT_EQ(ran.err, "msfctl: session 'nope;1' not found\n");
        EXPECT_EQ(ran.out, "");
    }
}

TEST_F(MsfctlTest, SaysWhyItCannotConnect) {
    const std::string absent = dir.file("absent.sock");
    Ran ran = msfctl({"--socket", absent, "stats"}, false);
    EXPECT_EQ(ran.exit_code, 1);
    EXPECT_EQ(ran.err, "msfctl: cannot connect to " + absent + ": No such file or directory\n");
    EXPECT_EQ(ran.out, "");

    // The default socket, where no daemon runs on this machine.
    struct stat st {};
    if (lstat("/run/msf/controld.sock", &st) == 0) GTEST_SKIP() << "a daemon's socket exists here";
    ran = msfctl({"sessions"}, false);
    EXPECT_EQ(ran.exit_code, 1);
    EXPECT_EQ(ran.err, "msfctl: cannot connect to /run/msf/controld.sock: No such file or directory\n");
}

TEST_F(MsfctlTest, GivesUpOnADaemonThatDoesNotAnswer) {
    // Listens but never accepts: the connect completes into the backlog, no answer comes.
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(listen(fd, 4), 0);
    const auto start = std::chrono::steady_clock::now();
    const Ran ran = msfctl({"--timeout-ms", "300", "stats"});
    const auto took = std::chrono::steady_clock::now() - start;
    close(fd);
    EXPECT_EQ(ran.exit_code, 1);
    EXPECT_EQ(ran.err, "msfctl: no response from " + path + " within 300 ms\n");
    EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(MsfctlTest, ReportsTheDaemonsErrorLine) {
    handler.throw_on_stats = true;
    ServerThread server(path, handler);
    const Ran ran = msfctl({"stats"});
    EXPECT_EQ(ran.exit_code, 1);
    EXPECT_EQ(ran.err, "msfctl: stats: store is gone\n");
}

TEST_F(MsfctlTest, ReportsARefusalForTooManyClients) {
    CliServerOptions options;
    options.max_clients = 1;
    ServerThread server(path, handler, options);
    RawClient holder(path);
    ASSERT_TRUE(holder.send("{\"id\":1,\"command\":\"stats\"}\n"));
    ASSERT_TRUE(holder.read_line());
    const Ran ran = msfctl({"stats"});
    EXPECT_EQ(ran.exit_code, 1);
    EXPECT_EQ(ran.err, "msfctl: too many clients (limit 1)\n");
}

TEST_F(MsfctlTest, ExitsWith2OnUsageErrorsAnd1OnBadValues) {
    Ran ran = msfctl({}, false);
    EXPECT_EQ(ran.exit_code, 2);
    EXPECT_EQ(ran.err, "msfctl: no command given; see msfctl --help\n");
    ran = msfctl({"reboot"});
    EXPECT_EQ(ran.exit_code, 2);
    EXPECT_EQ(ran.err, "msfctl: unknown command 'reboot'; see msfctl --help\n");
    ran = msfctl({"session", "s;1", "--reveal"});
    EXPECT_EQ(ran.exit_code, 2);
    EXPECT_EQ(ran.err, "msfctl: --reveal does not apply to 'session'\n");
    ran = msfctl({"--timeout-ms", "soon", "stats"});
    EXPECT_EQ(ran.exit_code, 1);
    EXPECT_EQ(ran.err, "msfctl: --timeout-ms: 'soon' is not a number of milliseconds\n");
    EXPECT_EQ(ran.out, "");
}

TEST_F(MsfctlTest, PrintsHelp) {
    const Ran ran = msfctl({"--help"}, false);
    EXPECT_EQ(ran.exit_code, 0);
    EXPECT_EQ(ran.out, msfctl_help());
    EXPECT_EQ(ran.err, "");
}

TEST_F(MsfctlTest, RevealIsRefusedToAUserThatIsNotRoot) {
    CliServerOptions options;
    if (getuid() == 0) options.group = "nogroup";  // nobody reaches the 0660 socket through it
    ServerThread server(path, handler, options);
    const Ran ran = msfctl({"keys", kSession1, "--reveal"}, true, getuid() == 0);
    EXPECT_EQ(ran.exit_code, 1);
    EXPECT_EQ(ran.err, "msfctl: --reveal needs root\n");
    EXPECT_EQ(ran.out, "");
    EXPECT_TRUE(handler.calls().empty());
    // Without --reveal the same user sees the fingerprints.
    const Ran plain = msfctl({"keys", kSession1}, true, getuid() == 0);
    EXPECT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.out, result_text(Command::keys, sample_keys()));
}

TEST_F(MsfctlTest, RevealShowsKeysToRootAndTheDaemonLogsIt) {
    if (getuid() != 0) GTEST_SKIP() << "needs root";
    ServerThread server(path, handler);
    const Ran ran = msfctl({"keys", kSession1, "--reveal"});
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_EQ(ran.out, result_text(Command::keys, sample_revealed_keys()));
    EXPECT_THAT(ran.out, HasSubstr(kFromUeKey));
    EXPECT_THAT(server.log(), Contains(HasSubstr("keys of session " + kSession1 + " revealed to uid 0 pid ")));
    const Ran plain = msfctl({"keys", kSession1});
    EXPECT_THAT(plain.out, Not(HasSubstr(kFromUeKey)));
}

}  // namespace
}  // namespace msf::cli::test
