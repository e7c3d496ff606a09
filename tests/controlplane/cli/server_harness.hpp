// What the server and msfctl tests share: a CliServer on its own EventLoop thread, a handler
// that serves the sample results, a private socket directory, and a raw Unix-socket client.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "controlplane/cli/server.hpp"
#include "sample_results.hpp"

namespace msf::cli::test {

// The handler msf-controld will implement, serving the sample results: sessions kSession1 and
// kSession2 exist, others are not_found.
class SampleHandler : public CliHandler {
public:
    struct Call {
        Request request;
        Caller caller;
    };

    Response handle(const Request& request, const Caller& caller) override {
        std::lock_guard lock(mutex_);
        calls_.push_back({request, caller});
        if (throw_on_stats && request.command == Command::stats) throw std::runtime_error("store is gone");
        if (non_object_on_peers && request.command == Command::peers) return Response::success(nlohmann::json::array());
        if (command_info(request.command).takes_session_id && request.session_id != kSession1 &&
            request.session_id != kSession2)
            return Response::failure(ResultCode::not_found, "no session " + request.session_id);
        if (request.command == Command::keys && (request.reveal || leak_keys)) {
            nlohmann::json keys = sample_revealed_keys();
            keys["revealed"] = request.reveal;
            return Response::success(std::move(keys));
        }
        if (request.command == Command::sessions && big_sessions_bytes > 0) {
            nlohmann::json result = sample_sessions();
            result["sessions"][0]["peer"] = std::string(big_sessions_bytes, 'p');
            return Response::success(std::move(result));
        }
        return Response::success(sample_result(request.command));
    }

    std::vector<Call> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

    // Set before the server thread starts.
    bool throw_on_stats = false;
    bool non_object_on_peers = false;
    bool leak_keys = false;          // keys material even without reveal (a daemon bug)
    size_t big_sessions_bytes = 0;   // pad the sessions result to about this size

private:
    mutable std::mutex mutex_;
    std::vector<Call> calls_;
};

// A directory of its own under /tmp, open to other users (the tests run a client as nobody).
class TempDir {
public:
    TempDir() {
        char name[] = "/tmp/msf-cli-test-XXXXXX";
        if (!mkdtemp(name)) throw std::runtime_error("mkdtemp failed");
        path_ = name;
        ::chmod(path_.c_str(), 0755);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// A CliServer on an EventLoop that runs in its own thread until stop(). Its stats may be read
// once stopped; log lines at any time.
class ServerThread {
public:
    ServerThread(const std::string& path, CliHandler& handler, CliServerOptions options = {}) {
        options.log = [this](std::string_view line) {
            std::lock_guard lock(log_mutex_);
            log_.emplace_back(line);
        };
        server_.emplace(loop_, path, handler, std::move(options));
        thread_ = std::thread([this] {
            while (!stopping_.load()) loop_.run_once(10);
        });
    }
    ~ServerThread() { stop(); }

    void stop() {
        stopping_ = true;
        if (thread_.joinable()) thread_.join();
    }
    const CliServer& server() const {
        EXPECT_FALSE(thread_.joinable()) << "stop() the loop before reading the server";
        return *server_;
    }
    std::vector<std::string> log() const {
        std::lock_guard lock(log_mutex_);
        return log_;
    }

private:
    controld::EventLoop loop_;
    std::optional<CliServer> server_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    mutable std::mutex log_mutex_;
    std::vector<std::string> log_;
};

// A plain blocking Unix-socket client, so the tests see exactly the bytes on the wire. Uses only
// system calls: it also runs in a forked child.
class RawClient {
public:
    explicit RawClient(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            connect_errno_ = errno;
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~RawClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    int connect_errno() const { return connect_errno_; }
    int fd() const { return fd_; }

    // Everything, or false if the server closed first.
    bool send(const std::string& bytes) {
        for (size_t sent = 0; sent < bytes.size();) {
            const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            sent += static_cast<size_t>(n);
        }
        return true;
    }

    // The next line without its newline; nullopt at end of stream, on error or after timeout_ms.
    std::optional<std::string> read_line(int timeout_ms = 5000) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            const size_t newline = in_.find('\n');
            if (newline != std::string::npos) {
                std::string line = in_.substr(0, newline);
                in_.erase(0, newline + 1);
                return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd p{fd_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            char buf[64 * 1024];
            const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
            if (n <= 0) return std::nullopt;
            in_.append(buf, static_cast<size_t>(n));
        }
    }

    // True when the server has closed: end of stream (or a reset, when it closed with our
    // bytes unread) within timeout_ms, with nothing but complete lines before it.
    bool closed_by_server(int timeout_ms = 5000) {
        while (read_line(timeout_ms)) {
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        char c;
        const ssize_t n = ::recv(fd_, &c, 1, MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno == ECONNRESET);
    }

private:
    int fd_ = -1;
    int connect_errno_ = 0;
    std::string in_;
};

inline nlohmann::json parse_line(const std::optional<std::string>& line) {
    EXPECT_TRUE(line.has_value()) << "no response line";
    if (!line) return nlohmann::json();
    auto parsed = nlohmann::json::parse(*line, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << *line;
    return parsed;
}

}  // namespace msf::cli::test
