// One msf-dataplane child process for tests that need the real dataplane behind a control-plane
// component: its own control socket, log and EAL file prefix, on the options a test gives (net_ring
// vdevs, no hugepages, its media ranges). MSF_DATAPLANE_BINARY is the including test's build-tree
// path to msf-dataplane (a compile definition in its meson.build).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/api/client.hpp"

namespace msf::test_support {

class DataplaneProcess {
public:
    // `options`: msf-dataplane's options but --file-prefix and --control-socket, which are the
    // process's own; `name` tells its EAL prefix and probe client apart from other tests'.
    DataplaneProcess(std::filesystem::path dir, std::string name, std::vector<std::string> options)
        : dir_(std::move(dir)), name_(std::move(name)), options_(std::move(options)) {
        socket_ = (dir_ / "dataplane.sock").string();
        log_ = (dir_ / "dataplane.log").string();
        prefix_ = "msf-" + name_ + "-" + std::to_string(::getpid());
    }
    ~DataplaneProcess() { stop(SIGKILL); }
    DataplaneProcess(const DataplaneProcess&) = delete;
    DataplaneProcess& operator=(const DataplaneProcess&) = delete;

    const std::string& socket() const { return socket_; }
    bool running() const { return pid_ > 0; }

    // "" once the dataplane answers hello, else why it did not come up.
    std::string start() {
        using namespace std::chrono_literals;
        if (::access(MSF_DATAPLANE_BINARY, X_OK) != 0)
            return std::string(MSF_DATAPLANE_BINARY) + " is missing: build msf-dataplane in this build tree first";
        std::vector<std::string> args = {MSF_DATAPLANE_BINARY};
        args.insert(args.end(), options_.begin(), options_.end());
        args.push_back("--file-prefix=" + prefix_);
        args.push_back("--control-socket=" + socket_);
        pid_ = ::fork();
        if (pid_ < 0) return "fork failed";
        if (pid_ == 0) {
            const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            std::vector<char*> argv;
            for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return "msf-dataplane exited at start (status " + std::to_string(status) + "):\n" + log_tail();
            }
            api::ControlClient probe(1000);
            if (probe.connect(socket_).ok() && probe.hello(name_ + "-probe").ok()) return {};
            std::this_thread::sleep_for(100ms);
        }
        return "msf-dataplane did not answer on " + socket_ + " within 30 s:\n" + log_tail();
    }

    // A signal without waiting (SIGSTOP: a dataplane that takes requests and answers none).
    void signal(int sig) {
        if (pid_ > 0) ::kill(pid_, sig);
    }

    void stop(int signal = SIGTERM) {
        using namespace std::chrono_literals;
        if (pid_ <= 0) return;
        ::kill(pid_, signal);
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(20ms);
        }
        pid_ = -1;
        // EAL leaves its runtime directory behind even without shared config.
        std::error_code ignored;
        std::filesystem::remove_all(std::filesystem::path("/var/run/dpdk") / prefix_, ignored);
        std::filesystem::remove_all(std::filesystem::path("/tmp/dpdk") / prefix_, ignored);
        if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"))
            std::filesystem::remove_all(std::filesystem::path(xdg) / "dpdk" / prefix_, ignored);
    }

    std::string log_tail() const {
        std::ifstream in(log_);
        std::stringstream all;
        all << in.rdbuf();
        const std::string text = all.str();
        return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
    }

private:
    std::filesystem::path dir_;
    std::string name_;
    std::vector<std::string> options_;
    std::string socket_, log_, prefix_;
    pid_t pid_ = -1;
};

}  // namespace msf::test_support
