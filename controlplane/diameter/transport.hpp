// The byte stream under a Diameter connection: a non-blocking TCP socket, plain or with TLS from
// the first byte (RFC 6733 §2.1, the 5658-style ports; OpenSSL 3). Nothing here blocks: every call
// does what the socket allows now and says what it waits for, and the node's event loop calls
// again when the socket is ready.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace msf::diameter {

// Start-up failure of the TLS configuration (unreadable certificate, key not matching it, bad CA
// file): the daemon cannot offer TLS and says why.
class TlsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct TlsSettings {
    std::string cert_file;  // PEM certificate chain, ours first
    std::string key_file;   // PEM private key of cert_file
    std::string ca_file;    // PEM CAs a peer's certificate must chain to; "": the system's
    // Certificates of peers are verified (chain, and the peer's DiameterIdentity as a DNS name of
    // its certificate, RFC 6733 §13.1) and required from clients too. Off only for tests that
    // exercise what happens without it.
    bool verify_peer = true;
};

// One SSL_CTX for both directions (we accept and we connect). TLS 1.2 or later.
class TlsContext {
public:
    explicit TlsContext(const TlsSettings& settings);  // throws TlsError
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* native() const { return ctx_; }
    bool verify_peer() const { return verify_peer_; }

private:
    SSL_CTX* ctx_ = nullptr;
    bool verify_peer_ = true;
};

// What one call achieved.
enum class IoStatus : uint8_t {
    done,        // handshake finished, or `bytes` moved (at least one)
    want_read,   // nothing more until the socket is readable
    want_write,  // nothing more until the socket is writable
    closed,      // the other side closed the stream (end of file, TLS close_notify)
    failed,      // an error; error() says which
};

struct IoResult {
    IoStatus status = IoStatus::done;
    size_t bytes = 0;
};

enum class TlsRole : uint8_t { server, client };

// Owns the socket: the destructor closes it.
class Transport {
public:
    // Plain TCP.
    explicit Transport(int fd);
    // TLS over `fd`. A client sends `peer_identity` as SNI and, when the context verifies peers,
    // requires it among the names of the server's certificate. Throws TlsError when OpenSSL cannot
    // even create the connection object (out of memory).
    Transport(int fd, TlsContext& context, TlsRole role, std::string_view peer_identity = {});
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    int fd() const { return fd_; }
    bool tls() const { return ssl_ != nullptr; }

    // Advances the TLS handshake; `done` at once for plain TCP.
    IoResult handshake();
    bool handshake_done() const { return handshake_done_; }
    // Reads up to into.size() bytes.
    IoResult read(std::span<uint8_t> into);
    // Writes as much of `from` as the socket takes now.
    IoResult write(std::span<const uint8_t> from);
    // TLS: decrypted bytes waiting inside OpenSSL, which epoll cannot see. Read them before
    // waiting for the socket again.
    bool has_buffered_input() const;

    // TLS: whether the verified peer certificate names `identity` (DNS SAN, or the CN without
    // SANs). False without TLS, without a certificate, or when the context does not verify.
    bool certificate_names(std::string_view identity) const;
    // The reason of the last `failed`, one line.
    const std::string& error() const { return error_; }
    // "TLSv1.3 TLS_AES_256_GCM_SHA384", or "" for plain TCP.
    std::string describe() const;

private:
    IoResult ssl_result(int ret, const char* what);

    int fd_ = -1;
    SSL* ssl_ = nullptr;
    bool handshake_done_ = true;
    std::string error_;
};

}  // namespace msf::diameter
