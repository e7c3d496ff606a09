#include "controlplane/diameter/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace msf::diameter {

namespace {

// The OpenSSL error queue is per thread and outlives calls: read it empty into one line.
std::string drain_openssl_errors() {
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        if (!text.empty()) text += "; ";
        text += buf;
    }
    return text;
}

[[noreturn]] void fail(const std::string& what) {
    const std::string detail = drain_openssl_errors();
    throw TlsError(what + (detail.empty() ? "" : ": " + detail));
}

}  // namespace

TlsContext::TlsContext(const TlsSettings& settings) : verify_peer_(settings.verify_peer) {
    ERR_clear_error();
    ctx_ = SSL_CTX_new(TLS_method());
    if (ctx_ == nullptr) fail("TLS: cannot create a context");
    try {
        // RFC 6733 §13 asks for TLS 1.0 at least; nothing older than 1.2 is acceptable today.
        if (SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION) != 1) fail("TLS: cannot require TLS 1.2");
        // Partial writes: the output buffer is sent as far as the socket takes it.
        SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        // A peer that closes without close_notify has closed: Diameter frames its own messages,
        // so a cut is seen there.
        SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
        if (settings.cert_file.empty() || settings.key_file.empty())
            throw TlsError("TLS needs a certificate and its key (tls-cert, tls-key)");
        if (SSL_CTX_use_certificate_chain_file(ctx_, settings.cert_file.c_str()) != 1)
            fail("TLS: cannot use the certificate " + settings.cert_file);
        if (SSL_CTX_use_PrivateKey_file(ctx_, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
            fail("TLS: cannot use the key " + settings.key_file);
        if (SSL_CTX_check_private_key(ctx_) != 1)
            fail("TLS: the key " + settings.key_file + " does not belong to " + settings.cert_file);
        if (!settings.ca_file.empty()) {
            if (SSL_CTX_load_verify_locations(ctx_, settings.ca_file.c_str(), nullptr) != 1)
                fail("TLS: cannot read the CA file " + settings.ca_file);
        } else if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
            fail("TLS: cannot use the system's CAs");
        }
        // RFC 6733 §13.1: mutual authentication, both sides present certificates.
        SSL_CTX_set_verify(ctx_, settings.verify_peer ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                                       : SSL_VERIFY_NONE,
                           nullptr);
    } catch (...) {
        SSL_CTX_free(ctx_);
        throw;
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Transport::Transport(int fd) : fd_(fd) {}

Transport::Transport(int fd, TlsContext& context, TlsRole role, std::string_view peer_identity)
    : fd_(fd), handshake_done_(false) {
    ERR_clear_error();
    ssl_ = SSL_new(context.native());
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd) != 1) {
        SSL_free(ssl_);
        ssl_ = nullptr;
        ::close(fd_);
        fd_ = -1;
        fail("TLS: cannot create a connection");
    }
    if (role == TlsRole::server) {
        SSL_set_accept_state(ssl_);
    } else {
        SSL_set_connect_state(ssl_);
        if (!peer_identity.empty()) {
            const std::string name(peer_identity);
            SSL_set_tlsext_host_name(ssl_, name.c_str());
            if (context.verify_peer()) SSL_set1_host(ssl_, name.c_str());
        }
    }
}

Transport::~Transport() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
}

IoResult Transport::ssl_result(int ret, const char* what) {
    switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ: return {IoStatus::want_read, 0};
    case SSL_ERROR_WANT_WRITE: return {IoStatus::want_write, 0};
    case SSL_ERROR_ZERO_RETURN: return {IoStatus::closed, 0};
    case SSL_ERROR_SYSCALL: {
        const int err = errno;
        const std::string detail = drain_openssl_errors();
        if (err == 0 && detail.empty()) return {IoStatus::closed, 0};
        error_ = std::string(what) + ": " + (detail.empty() ? std::strerror(err) : detail);
        return {IoStatus::failed, 0};
    }
    default: {
        const std::string detail = drain_openssl_errors();
        error_ = std::string(what) + ": " + (detail.empty() ? "TLS error" : detail);
        if (!handshake_done_) {
            const long verify = SSL_get_verify_result(ssl_);
            if (verify != X509_V_OK)
                error_ += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
        }
        return {IoStatus::failed, 0};
    }
    }
}

IoResult Transport::handshake() {
    if (handshake_done_) return {IoStatus::done, 0};
    ERR_clear_error();
    const int ret = SSL_do_handshake(ssl_);
    if (ret == 1) {
        handshake_done_ = true;
        return {IoStatus::done, 0};
    }
    IoResult result = ssl_result(ret, "TLS handshake");
    // The other side leaving in the middle of a handshake is a failed handshake.
    if (result.status == IoStatus::closed) {
        error_ = "TLS handshake: connection closed";
        result.status = IoStatus::failed;
    }
    return result;
}

IoResult Transport::read(std::span<uint8_t> into) {
    if (into.empty()) return {IoStatus::done, 0};
    if (ssl_ == nullptr) {
        for (;;) {
            const ssize_t n = ::read(fd_, into.data(), into.size());
            if (n > 0) return {IoStatus::done, static_cast<size_t>(n)};
            if (n == 0) return {IoStatus::closed, 0};
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::want_read, 0};
            error_ = std::string("read: ") + std::strerror(errno);
            return {IoStatus::failed, 0};
        }
    }
    ERR_clear_error();
    size_t got = 0;
    const int ret = SSL_read_ex(ssl_, into.data(), into.size(), &got);
    if (ret == 1) return {IoStatus::done, got};
    return ssl_result(ret, "TLS read");
}

IoResult Transport::write(std::span<const uint8_t> from) {
    if (from.empty()) return {IoStatus::done, 0};
    if (ssl_ == nullptr) {
        for (;;) {
            // MSG_NOSIGNAL: a peer gone away is an error value, not SIGPIPE.
            const ssize_t n = ::send(fd_, from.data(), from.size(), MSG_NOSIGNAL);
            if (n >= 0) return {IoStatus::done, static_cast<size_t>(n)};
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::want_write, 0};
            error_ = std::string("write: ") + std::strerror(errno);
            return {IoStatus::failed, 0};
        }
    }
    ERR_clear_error();
    size_t sent = 0;
    const int ret = SSL_write_ex(ssl_, from.data(), from.size(), &sent);
    if (ret == 1) return {IoStatus::done, sent};
    return ssl_result(ret, "TLS write");
}

bool Transport::has_buffered_input() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

bool Transport::certificate_names(std::string_view identity) const {
    if (ssl_ == nullptr || identity.empty()) return false;
    if (SSL_get_verify_result(ssl_) != X509_V_OK) return false;
    X509* cert = SSL_get0_peer_certificate(ssl_);
    if (cert == nullptr) return false;
    return X509_check_host(cert, identity.data(), identity.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                           nullptr) == 1;
}

std::string Transport::describe() const {
    if (ssl_ == nullptr) return {};
    return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

}  // namespace msf::diameter
