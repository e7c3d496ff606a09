#include "controlplane/pcscf/ue_security.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <utility>

namespace msf::pcscf {

using keying::ErrorCode;
using keying::Expected;
using keying::make_error;

namespace {

struct SaKindName {
    SaKind kind;
    std::string_view name;
};
constexpr std::array<SaKindName, 3> kSaKindNames = {{
    {SaKind::aka, "aka"},
    {SaKind::tls, "tls"},
    {SaKind::digest, "digest"},
}};

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;

keying::KeyingError tls_failure(const std::string& what) {
    return make_error(ErrorCode::crypto_failure, "tls: " + what);
}

Expected<keying::SecretBytes> random_secret(size_t length) {
    std::vector<uint8_t> bytes(length);
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        return make_error(ErrorCode::crypto_failure, "RAND_bytes failed");
    keying::SecretBytes out{std::span<const uint8_t>(bytes)};
    keying::wipe(bytes);
    return out;
}

// A password of letters and digits: printable, so the calls-out record carries it as text.
Expected<keying::SecretBytes> random_password(size_t length) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::vector<uint8_t> bytes(length);
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        return make_error(ErrorCode::crypto_failure, "RAND_bytes failed");
    // 62 letters: 256 % 62 != 0, so a tiny bias; a simulated password needs no better.
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(kAlphabet[b % kAlphabet.size()]);
    keying::SecretBytes out{std::span<const uint8_t>(bytes)};
    keying::wipe(bytes);
    return out;
}

}  // namespace

std::string_view sa_kind_name(SaKind kind) {
    for (const SaKindName& n : kSaKindNames)
        if (n.kind == kind) return n.name;
    return "?";
}

std::optional<SaKind> sa_kind_from_name(std::string_view name) {
    for (const SaKindName& n : kSaKindNames)
        if (n.name == name) return n.kind;
    return std::nullopt;
}

// ---- TLS ----

struct TlsHandshaker::Contexts {
    PkeyPtr key;
    X509Ptr cert;
    CtxPtr client;
    CtxPtr server;
};

TlsHandshaker::TlsHandshaker(std::unique_ptr<Contexts> contexts) : contexts_(std::move(contexts)) {}
TlsHandshaker::~TlsHandshaker() = default;

Expected<std::unique_ptr<TlsHandshaker>> TlsHandshaker::create() {
    auto c = std::make_unique<Contexts>();
    // A throwaway Ed25519 key and self-signed certificate: the P-CSCF's, for this run only.
    c->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    c->cert.reset(X509_new());
    if (!c->key || !c->cert) return tls_failure("cannot make the certificate key");
    X509* cert = c->cert.get();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, c->key.get());
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("msf-pcscf"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    if (X509_sign(cert, c->key.get(), nullptr) == 0) return tls_failure("cannot sign the certificate");  // Ed25519: no digest

    c->client.reset(SSL_CTX_new(TLS_client_method()));
    c->server.reset(SSL_CTX_new(TLS_server_method()));
    if (!c->client || !c->server) return tls_failure("SSL_CTX_new failed");
    for (SSL_CTX* ctx : {c->client.get(), c->server.get()}) {
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
        // One connection per UE, never resumed: no tickets to make.
        SSL_CTX_set_num_tickets(ctx, 0);
    }
    if (SSL_CTX_use_certificate(c->server.get(), cert) != 1 || SSL_CTX_use_PrivateKey(c->server.get(), c->key.get()) != 1)
        return tls_failure("cannot load the certificate");
    // The UE checks the P-CSCF's certificate: an authenticated handshake, as SIP over TLS is.
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(c->client.get()), cert) != 1)
        return tls_failure("cannot trust the certificate");
    SSL_CTX_set_verify(c->client.get(), SSL_VERIFY_PEER, nullptr);
    return std::unique_ptr<TlsHandshaker>(new TlsHandshaker(std::move(c)));
}

Expected<TlsHandshaker::Exporters> TlsHandshaker::handshake() {
    SslPtr client(SSL_new(contexts_->client.get()));
    SslPtr server(SSL_new(contexts_->server.get()));
    BIO* client_bio = nullptr;
    BIO* server_bio = nullptr;
    if (!client || !server || BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) != 1)
        return tls_failure("SSL_new or BIO pair failed");
    SSL_set_bio(client.get(), client_bio, client_bio);
    SSL_set_bio(server.get(), server_bio, server_bio);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    bool done = false;
    // A TLS 1.3 handshake takes two round trips here; the bound only stops a broken one.
    for (int round = 0; round < 16 && !done; ++round) {
        const int c = SSL_do_handshake(client.get());
        const int s = SSL_do_handshake(server.get());
        done = c == 1 && s == 1;
        for (auto [ssl, rc] : {std::pair{client.get(), c}, std::pair{server.get(), s}}) {
            const int err = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, rc);
            if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
                return tls_failure("handshake failed (SSL error " + std::to_string(err) + ")");
        }
    }
    if (!done) return tls_failure("handshake did not finish");
    auto ue = keying::tls_exporter(client.get());
    if (!ue) return ue.error();
    auto network = keying::tls_exporter(server.get());
    if (!network) return network.error();
    return Exporters{std::move(ue.value()), std::move(network.value())};
}

// ---- SAs ----

Expected<UeSecurity> establish_ue_security(SaKind kind, std::string_view username, std::string_view realm,
                                           TlsHandshaker* tls) {
    UeSecurity out;
    out.kind = kind;
    switch (kind) {
        case SaKind::aka: {
            // TS 33.203 §6.1: 128-bit CK and IK.
            auto ck = random_secret(16);
            auto ik = random_secret(16);
            if (!ck) return ck.error();
            if (!ik) return ik.error();
            out.ue_side = keying::AkaKeys{ck.value(), ik.value()};
            out.network_side = keying::AkaKeys{std::move(ck.value()), std::move(ik.value())};
            return out;
        }
        case SaKind::tls: {
            if (tls == nullptr) return make_error(ErrorCode::invalid_argument, "tls: no handshaker");
            auto exporters = tls->handshake();
            if (!exporters) return exporters.error();
            out.ue_side = std::move(exporters->client);
            out.network_side = std::move(exporters->server);
            return out;
        }
        case SaKind::digest: {
            auto password = random_password(16);
            if (!password) return password.error();
            keying::DigestPassword ue{std::string(username), std::string(realm), std::move(password.value()),
                                      keying::DigestAlgorithm::md5};
            auto ha1 = keying::digest_ha1(ue);
            if (!ha1) return ha1.error();
            out.ue_side = std::move(ue);
            out.network_side = std::move(ha1.value());
            return out;
        }
    }
    return make_error(ErrorCode::invalid_argument, "unknown key source");
}

Expected<keying::MediaKeys> ue_media_keys(const keying::SecurityAssociation& sa, std::string_view call_id,
                                          uint16_t media_index, keying::Direction direction, srtp::Suite suite) {
    return keying::derive_media_keys(sa, keying::CallBinding{std::string(call_id), media_index}, direction, suite);
}

}  // namespace msf::pcscf
