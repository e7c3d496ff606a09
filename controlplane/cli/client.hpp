// A blocking client of msf-controld's CLI socket (protocol.hpp), for msfctl and tests: one
// request at a time, each bounded by a timeout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "controlplane/cli/protocol.hpp"

namespace msf::cli {

class CliClient {
public:
    CliClient() = default;
    ~CliClient() { close(); }
    CliClient(const CliClient&) = delete;
    CliClient& operator=(const CliClient&) = delete;

    // nullopt when connected; otherwise the line to show, "cannot connect to PATH: <strerror>".
    // A daemon whose backlog stays full for timeout_ms counts as "cannot connect" too.
    std::optional<std::string> connect(const std::string& path, int timeout_ms);

    // Sends the request and waits for its response line, at most timeout_ms in all. What the
    // transport does wrong comes back as an unavailable response (not connected, timed out,
    // closed); a response that does not parse or answers another id as internal. A refused
    // connection's "id": null error line is that error.
    Response call(const Request& request, int timeout_ms);

    void close();
    bool connected() const { return fd_ >= 0; }

private:
    int fd_ = -1;
    std::string path_;
    std::string in_;  // bytes after the last response line
};

}  // namespace msf::cli
