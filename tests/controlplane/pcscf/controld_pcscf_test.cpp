// msf-pcscf against a real msf-controld, both as processes from this build tree: the daemon with
// its store in a temporary directory and a dataplane socket nobody listens on (the session
// manager still accepts sessions and keeps them in the store), msf-pcscf running calls with
// --json. Every AAA and every STA must be 2001.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

#ifndef MSF_CONTROLD_BINARY
#error "MSF_CONTROLD_BINARY must name the msf-controld of this build"
#endif
#ifndef MSF_PCSCF_BINARY
#error "MSF_PCSCF_BINARY must name the msf-pcscf of this build"
#endif

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A free TCP port on 127.0.0.1 (bound to 0, read, released: a small race nobody else runs here).
uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    socklen_t length = sizeof sin;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &length);
    ::close(fd);
    return ntohs(sin.sin_port);
}

// A child process with stdout and stderr in files.
class Child {
public:
    Child(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path)
        : out_path_(out_path), err_path_(err_path) {
        pid_ = ::fork();
        if (pid_ == 0) {
            const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(out, 1);
            ::dup2(err, 2);
            std::vector<char*> args;
            for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
    }
    ~Child() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // The exit status, or -1 if it did not exit within `timeout` (then it is killed).
    int wait(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exited_ = true;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return -1;
    }
    // SIGTERM (a clean stop), then the exit status.
    int stop() {
        ::kill(pid_, SIGTERM);
        return wait(std::chrono::seconds(10));
    }
    std::string out() const { return read_file(out_path_); }
    std::string err() const { return read_file(err_path_); }

private:
    pid_t pid_ = -1;
    bool exited_ = false;
    std::string out_path_;
    std::string err_path_;
};

class ControldPcscf : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/msf-pcscf-e2e-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
        port_ = free_port();
        controld_ = std::make_unique<Child>(
            std::vector<std::string>{MSF_CONTROLD_BINARY,
                                     "--store=" + dir_ + "/controld.db",
                                     "--store-key=" + dir_ + "/store.key",
                                     "--cli-socket=" + dir_ + "/controld.sock",
                                     "--dataplane-socket=" + dir_ + "/no-dataplane.sock",
                                     "--diameter.listen=127.0.0.1:" + std::to_string(port_),
                                     "--diameter.peer=pcscf.localdomain",
                                     "--media.access-ipv4=203.0.113.1",
                                     "--media.core-ipv4=198.51.100.1"},
            dir_ + "/controld.out", dir_ + "/controld.err");
    }
    void TearDown() override {
        if (controld_) {
            EXPECT_EQ(controld_->stop(), 0) << controld_->err();
        }
        controld_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    // Runs msf-pcscf against the daemon with `extra` options and --json; returns its report.
    nlohmann::json run_pcscf(const std::vector<std::string>& extra, int want_exit = 0) {
        std::vector<std::string> argv = {MSF_PCSCF_BINARY, "--msf=127.0.0.1:" + std::to_string(port_), "--json"};
        bool timeout_given = false;
        for (const std::string& e : extra) timeout_given |= e.rfind("--timeout-ms", 0) == 0;
        if (!timeout_given) argv.push_back("--timeout-ms=10000");  // the daemon may still be starting
        argv.insert(argv.end(), extra.begin(), extra.end());
        Child pcscf(argv, dir_ + "/pcscf.out", dir_ + "/pcscf.err");
        const int status = pcscf.wait(std::chrono::seconds(90));
        EXPECT_EQ(status, want_exit) << pcscf.out() << pcscf.err() << "\nmsf-controld:\n" << controld_->err();
        const auto report = nlohmann::json::parse(pcscf.out(), nullptr, false);
        EXPECT_FALSE(report.is_discarded()) << pcscf.out() << pcscf.err();
        return report.is_discarded() ? nlohmann::json::object() : report;
    }

    std::string dir_;
    uint16_t port_ = 0;
    std::unique_ptr<Child> controld_;
};

TEST_F(ControldPcscf, TwoHundredCallsAreInstalledAndRemovedWithSuccessEveryTime) {
    const auto report = run_pcscf({"--ues=20", "--calls=200", "--concurrency=32"});
    ASSERT_TRUE(report.contains("counts")) << report.dump(2);
    const auto& counts = report["counts"];
    EXPECT_EQ(report["ok"], true) << report.dump(2);
    EXPECT_EQ(counts["aar_sent"], 200);
    EXPECT_EQ(counts["aaa"].size(), 1u) << counts["aaa"].dump();
    EXPECT_EQ(counts["aaa"]["2001"], 200);
    EXPECT_EQ(counts["sta"].size(), 1u) << counts["sta"].dump();
    EXPECT_EQ(counts["sta"]["2001"], 200);
    EXPECT_EQ(counts["ue_keys_agree"], 200);
    EXPECT_EQ(report["latency_us"]["aar_aaa"]["count"], 200);
    EXPECT_GT(report["rates"]["installs_per_s"].get<double>(), 0.0);
}

TEST_F(ControldPcscf, GeneratedNetworkToUeKeysAndSdesKeysWorkThroughTheDaemon) {
    const std::string calls_out = dir_ + "/calls.jsonl";
    const auto report = run_pcscf({"--ues=6", "--calls=30", "--keys-in=sdes", "--to-ue-key=generated",
                                   "--suite=AEAD_AES_128_GCM", "--keep", "--calls-out=" + calls_out});
    EXPECT_EQ(report["ok"], true) << report.dump(2);
    EXPECT_EQ(report["counts"]["aaa"]["2001"], 30);
    EXPECT_EQ(report["counts"]["str_sent"], 0);
    EXPECT_EQ(report["counts"]["calls_out_written"], 30);
    std::ifstream in(calls_out);
    std::string line;
    size_t lines = 0;
    while (std::getline(in, line)) {
        const auto record = nlohmann::json::parse(line);
        EXPECT_EQ(record["to_ue_key"], "sdes");
        EXPECT_EQ(record["msf_access"].get<std::string>().rfind("203.0.113.1:", 0), 0u) << line;
        EXPECT_EQ(record["msf_core"].get<std::string>().rfind("198.51.100.1:", 0), 0u) << line;
        ++lines;
    }
    EXPECT_EQ(lines, 30u);
}

TEST_F(ControldPcscf, AnUnknownPcscfIdentityIsRefusedAndTheRunFails) {
    const auto report = run_pcscf({"--identity=stranger.localdomain", "--calls=1", "--timeout-ms=1500"}, 1);
    EXPECT_EQ(report["ok"], false);
    EXPECT_NE(report["fatal"].get<std::string>().find("no Diameter connection"), std::string::npos) << report.dump(2);
}

}  // namespace
