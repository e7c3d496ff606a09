// Real peers for the relay tests: a relay with its control socket on a thread of its own, a UE
// that speaks TLS-PSK with OpenSSL, and a plain TCP core endpoint. Blocking sockets with
// timeouts, so a broken relay fails a test instead of hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/msrp/control.hpp"
#include "dataplane/msrp/frame.hpp"
#include "dataplane/msrp/relay.hpp"

namespace msf::msrp::testing {

inline std::vector<uint8_t> random_bytes(size_t n) {
    std::vector<uint8_t> bytes(n);
    RAND_bytes(bytes.data(), static_cast<int>(n));
    return bytes;
}

inline std::string random_text(size_t n) {
    std::string text(n, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(text.data()), static_cast<int>(n));
    return text;
}

inline void set_timeouts(int fd, int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// The relay and its control server, run on a thread; stopped and joined on destruction.
class RelayUnderTest {
public:
    explicit RelayUnderTest(RelayConfig config = defaults()) {
        socket_path_ = (std::filesystem::temp_directory_path() /
                        ("msrpd-test-" + std::to_string(getpid()) + "-" + std::to_string(counter()++) + ".sock"))
                           .string();
        relay_ = std::make_unique<Relay>(std::move(config), [this](std::string_view line) {
            std::lock_guard lock(log_mutex_);
            log_.emplace_back(line);
        });
        control_ = std::make_unique<ControlServer>(*relay_, socket_path_);
        thread_ = std::thread([this] { relay_->run(); });
    }
    ~RelayUnderTest() {
        relay_->stop();
        thread_.join();
        control_.reset();
        relay_.reset();
    }
    static RelayConfig defaults() {
        RelayConfig config;
        config.listen_address = "127.0.0.1";
        config.listen_port = 0;
        config.access_host = "127.0.0.1";
        config.core_host = "127.0.0.1";
        return config;
    }
    uint16_t port() const { return relay_->listen_port(); }
    const std::string& socket_path() const { return socket_path_; }
    std::vector<std::string> log() {
        std::lock_guard lock(log_mutex_);
        return log_;
    }
    bool logged(std::string_view text) {
        for (const std::string& line : log())
            if (line.find(text) != std::string::npos) return true;
        return false;
    }

private:
    static std::atomic<int>& counter() {
        static std::atomic<int> n{0};
        return n;
    }
    std::string socket_path_;
    std::unique_ptr<Relay> relay_;
    std::unique_ptr<ControlServer> control_;
    std::thread thread_;
    std::mutex log_mutex_;
    std::vector<std::string> log_;
};

// Reads whole MSRP frames from a byte source.
class FrameReader {
public:
    explicit FrameReader(Limits limits = {}) : parser_(limits) {}
    template <class ReadFn>
    std::optional<std::string> next(ReadFn&& read_some) {
        for (;;) {
            if (!buffer_.empty()) {
                const ParseResult result = parser_.parse(buffer_);
                if (result.state == ParseResult::State::invalid) return std::nullopt;
                if (result.state == ParseResult::State::complete) {
                    std::string frame = buffer_.substr(0, result.frame.length);
                    buffer_.erase(0, result.frame.length);
                    return frame;
                }
            }
            char chunk[65536];
            const int n = read_some(chunk, sizeof chunk);
            if (n <= 0) return std::nullopt;
            buffer_.append(chunk, static_cast<size_t>(n));
        }
    }

private:
    FrameParser parser_;
    std::string buffer_;
};

enum class TlsVersion { tls12, tls13 };

// A UE: TLS-PSK client over a blocking socket.
class TlsUe {
public:
    TlsUe(uint16_t port, std::string identity, std::vector<uint8_t> psk, TlsVersion version,
          const char* source = "127.0.0.1")
        : identity_(std::move(identity)), psk_(std::move(psk)) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        inet_pton(AF_INET, source, &local.sin_addr);
        bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
        set_timeouts(fd_, 10000);
        const int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
        ctx_ = SSL_CTX_new(TLS_client_method());
        if (version == TlsVersion::tls12) {
            SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
            SSL_CTX_set_max_proto_version(ctx_, TLS1_2_VERSION);
            SSL_CTX_set_cipher_list(ctx_, "PSK-AES128-GCM-SHA256");
            SSL_CTX_set_psk_client_callback(ctx_, &TlsUe::psk_client);
        } else {
            SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
            SSL_CTX_set_ciphersuites(ctx_, "TLS_AES_128_GCM_SHA256");
            SSL_CTX_set_psk_use_session_callback(ctx_, &TlsUe::psk_use_session);
        }
        ssl_ = SSL_new(ctx_);
        SSL_set_app_data(ssl_, this);
        SSL_set_fd(ssl_, fd_);
        handshake_ok_ = SSL_connect(ssl_) == 1;
        ERR_clear_error();
    }
    ~TlsUe() {
        if (ssl_ != nullptr) SSL_free(ssl_);
        if (ctx_ != nullptr) SSL_CTX_free(ctx_);
        if (fd_ >= 0) close(fd_);
    }
    TlsUe(const TlsUe&) = delete;
    TlsUe& operator=(const TlsUe&) = delete;

    bool handshake_ok() const { return handshake_ok_; }
    bool write(std::string_view bytes) {
        while (!bytes.empty()) {
            const int n = SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), 1 << 20)));
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<size_t>(n));
        }
        return true;
    }
    int read_some(char* buffer, size_t size) { return SSL_read(ssl_, buffer, static_cast<int>(size)); }
    std::optional<std::string> read_frame() {
        return reader_.next([this](char* b, size_t n) { return read_some(b, n); });
    }
    // True when the relay closed the connection (EOF or reset) within the socket timeout.
    bool closed_by_peer() {
        char byte;
        const int n = SSL_read(ssl_, &byte, 1);
        ERR_clear_error();
        return n <= 0 && SSL_get_error(ssl_, n) != SSL_ERROR_WANT_READ;
    }

private:
    static unsigned int psk_client(SSL* ssl, const char*, char* identity, unsigned int max_identity,
                                   unsigned char* psk, unsigned int max_psk) {
        auto* self = static_cast<TlsUe*>(SSL_get_app_data(ssl));
        if (self->identity_.size() + 1 > max_identity || self->psk_.size() > max_psk) return 0;
        std::memcpy(identity, self->identity_.c_str(), self->identity_.size() + 1);
        std::memcpy(psk, self->psk_.data(), self->psk_.size());
        return static_cast<unsigned int>(self->psk_.size());
    }
    static int psk_use_session(SSL* ssl, const EVP_MD*, const unsigned char** id, size_t* id_len,
                               SSL_SESSION** session) {
        auto* self = static_cast<TlsUe*>(SSL_get_app_data(ssl));
        static constexpr unsigned char kAes128GcmSha256[] = {0x13, 0x01};
        SSL_SESSION* s = SSL_SESSION_new();
        SSL_SESSION_set1_master_key(s, self->psk_.data(), self->psk_.size());
        SSL_SESSION_set_cipher(s, SSL_CIPHER_find(ssl, kAes128GcmSha256));
        SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION);
        *session = s;
        *id = reinterpret_cast<const unsigned char*>(self->identity_.data());
        *id_len = self->identity_.size();
        return 1;
    }

    std::string identity_;
    std::vector<uint8_t> psk_;
    int fd_ = -1;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    bool handshake_ok_ = false;
    FrameReader reader_;
};

// The core endpoint: a TCP listener; accept() gives the relay's connection.
class CorePeer {
public:
    CorePeer() {
        listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        listen(listen_fd_, 256);
        socklen_t length = sizeof address;
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    ~CorePeer() {
        if (fd_ >= 0) close(fd_);
        close(listen_fd_);
    }
    uint16_t port() const { return port_; }
    std::string path(std::string_view id = "core1234") const {
        return "msrp://127.0.0.1:" + std::to_string(port_) + "/" + std::string(id) + ";tcp";
    }
    bool accept(int timeout_ms = 10000) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) != 1) return false;
        fd_ = ::accept(listen_fd_, nullptr, nullptr);
        set_timeouts(fd_, 10000);
        return fd_ >= 0;
    }
    int fd() const { return fd_; }
    bool write(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<size_t>(n));
        }
        return true;
    }
    std::optional<std::string> read_frame() {
        return reader_.next([this](char* b, size_t n) { return static_cast<int>(recv(fd_, b, n, 0)); });
    }
    bool closed_by_peer() {
        char byte;
        return recv(fd_, &byte, 1, 0) <= 0;
    }

private:
    int listen_fd_ = -1;
    int fd_ = -1;
    uint16_t port_ = 0;
    FrameReader reader_;
};

// prefix + n, appended: GCC 12 misreports "literal" + std::string under -O3 (-Wrestrict).
inline std::string numbered(std::string_view prefix, long n) {
    std::string out(prefix);
    out.append(std::to_string(n));
    return out;
}

inline std::string msrp_send(std::string_view tid, std::string_view to, std::string_view from,
                             std::string_view body, std::string_view message_id = "msgid0001",
                             std::string_view byte_range = "", char flag = '$') {
    std::string frame = "MSRP ";
    frame.append(tid).append(" SEND\r\nTo-Path: ").append(to).append("\r\nFrom-Path: ").append(from);
    frame.append("\r\nMessage-ID: ").append(message_id).append("\r\n");
    if (!byte_range.empty()) frame.append("Byte-Range: ").append(byte_range).append("\r\n");
    frame.append("Content-Type: application/octet-stream\r\n\r\n").append(body);
    frame.append("\r\n-------").append(tid).push_back(flag);
    frame.append("\r\n");
    return frame;
}

inline std::string msrp_ok(std::string_view tid, std::string_view to, std::string_view from) {
    std::string frame = "MSRP ";
    frame.append(tid).append(" 200 OK\r\nTo-Path: ").append(to).append("\r\nFrom-Path: ").append(from);
    frame.append("\r\n-------").append(tid).append("$\r\n");
    return frame;
}

// `frame` with the values of its To-Path and From-Path headers replaced, by plain string edits.
inline std::string with_paths(std::string frame, std::string_view to, std::string_view from) {
    auto replace_value = [&frame](std::string_view header, std::string_view value) {
        const size_t start = frame.find(header) + header.size();
        const size_t end = frame.find("\r\n", start);
        frame.replace(start, end - start, value);
    };
    replace_value("To-Path: ", to);
    replace_value("From-Path: ", from);
    return frame;
}

}  // namespace msf::msrp::testing
