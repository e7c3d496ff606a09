#include "controlplane/cli/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace msf::cli {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::optional<std::string> CliClient::connect(const std::string& path, int timeout_ms) {
    close();
    const std::string prefix = "cannot connect to " + path + ": ";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty()) return "cannot connect: empty socket path";
    if (path.size() >= sizeof(addr.sun_path))
        return prefix + "path longer than " + std::to_string(sizeof(addr.sun_path) - 1) + " bytes";
    std::memcpy(addr.sun_path, path.data(), path.size());

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return prefix + std::strerror(errno);
    // A Unix stream connect waits for room in the server's backlog for at most the send
    // timeout; then it fails with EAGAIN.
    timeout_ms = std::max(timeout_ms, 1);  // 0 would mean no limit at all
    timeval tv{};
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EAGAIN || err == EINPROGRESS)
            return prefix + "no room in its backlog within " + std::to_string(timeout_ms) + " ms";
        return prefix + std::strerror(err);
    }
    fd_ = fd;
    path_ = path;
    return std::nullopt;
}

void CliClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    in_.clear();
}

Response CliClient::call(const Request& request, int timeout_ms) {
    if (fd_ < 0) return Response::failure(ResultCode::unavailable, "not connected");
    const auto deadline = Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
    auto lost = [&](const std::string& why) {
        close();
        return Response::failure(ResultCode::unavailable, why);
    };
    const std::string timed_out = "no response from " + path_ + " within " + std::to_string(timeout_ms) + " ms";

    const std::string line = encode_request(request);
    for (size_t sent = 0; sent < line.size();) {
        pollfd p{fd_, POLLOUT, 0};
        const int ready = ::poll(&p, 1, ms_left(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return lost(timed_out);
        const ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            // The server may have refused us with a line already: read it below.
            if (errno == EPIPE || errno == ECONNRESET) break;
            return lost("send to " + path_ + ": " + std::strerror(errno));
        }
        sent += static_cast<size_t>(n);
    }

    size_t scanned = 0;  // in_ holds no newline before this
    for (;;) {
        const size_t newline = in_.find('\n', scanned);
        if (newline != std::string::npos) {
            auto parsed = parse_response(std::string_view(in_).substr(0, newline));
            in_.erase(0, newline + 1);
            if (!parsed) return Response::failure(ResultCode::internal, "bad response from " + path_ + ": " + parsed.error().message);
            if (parsed->id && *parsed->id != request.id)
                return Response::failure(ResultCode::internal, "response to request " + std::to_string(*parsed->id) +
                                                                   " while waiting for " + std::to_string(request.id));
            if (!parsed->id && parsed->response.ok())
                return Response::failure(ResultCode::internal, "ok response without an id");
            return std::move(parsed->response);
        }
        if (in_.size() > kMaxResponseLine)
            return lost("response from " + path_ + " longer than " + std::to_string(kMaxResponseLine) + " bytes");
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, ms_left(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return lost(timed_out);
        const size_t old_size = in_.size();
        scanned = old_size;
        in_.resize(old_size + 64 * 1024);
        const ssize_t n = ::recv(fd_, in_.data() + old_size, 64 * 1024, MSG_DONTWAIT);
        in_.resize(old_size + static_cast<size_t>(std::max<ssize_t>(n, 0)));
        if (n == 0) return lost(path_ + " closed the connection without answering");
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return lost("receive from " + path_ + ": " + std::strerror(errno));
        }
    }
}

}  // namespace msf::cli
