// Diameter over TLS from the first byte (RFC 6733 §2.1, §13): a throwaway CA and certificates
// made here with OpenSSL, nodes on one EventLoop over 127.0.0.1.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "controlplane/diameter/node.hpp"
#include "tests/controlplane/diameter/peer_harness.hpp"

namespace msf::diameter::testing {
namespace {

struct KeyAndCert {
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
};

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr) << value;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// A P-256 key and a certificate for `name`, signed by `ca` (self-signed when ca is null).
KeyAndCert make_certificate(const std::string& name, const KeyAndCert* ca, long serial) {
    KeyAndCert out;
    out.key = EVP_EC_gen("P-256");
    out.cert = X509_new();
    X509_set_version(out.cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(out.cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(out.cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(out.cert), 86400);
    X509_set_pubkey(out.cert, out.key);
    X509_NAME* subject = X509_get_subject_name(out.cert);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()),
                               -1, -1, 0);
    X509* issuer = ca != nullptr ? ca->cert : out.cert;
    X509_set_issuer_name(out.cert, X509_get_subject_name(issuer));
    if (ca == nullptr) {
        add_extension(out.cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(out.cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_extension(out.cert, issuer, NID_subject_key_identifier, "hash");
    } else {
        add_extension(out.cert, issuer, NID_basic_constraints, "CA:FALSE");
        add_extension(out.cert, issuer, NID_subject_alt_name, ("DNS:" + name).c_str());
        add_extension(out.cert, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    X509_sign(out.cert, ca != nullptr ? ca->key : out.key, EVP_sha256());
    return out;
}

void free_certificate(KeyAndCert& k) {
    X509_free(k.cert);
    EVP_PKEY_free(k.key);
}

// The CAs and certificates, as PEM files in a temporary directory.
class TlsFiles {
public:
    TlsFiles() {
        char pattern[] = "/tmp/msf-peer-tls-XXXXXX";
        dir_ = mkdtemp(pattern);
        KeyAndCert ca = make_certificate("msf test CA", nullptr, 1);
        KeyAndCert other_ca = make_certificate("another CA", nullptr, 2);
        write_cert("ca", ca);
        write_pair("msf", make_certificate(std::string(kMsfHost), &ca, 10));
        write_pair("pcscf", make_certificate(std::string(kPcscfHost), &ca, 11));
        write_pair("wrong-name", make_certificate("other.example.net", &ca, 12));
        write_pair("untrusted", make_certificate(std::string(kPcscfHost), &other_ca, 13));
        free_certificate(ca);
        free_certificate(other_ca);
    }
    ~TlsFiles() { std::filesystem::remove_all(dir_); }

    // Settings with `who`'s certificate and key, trusting the test CA.
    TlsSettings settings(const std::string& who) const {
        TlsSettings s;
        s.cert_file = dir_ + "/" + who + ".crt";
        s.key_file = dir_ + "/" + who + ".key";
        s.ca_file = dir_ + "/ca.crt";
        return s;
    }

private:
    void write_cert(const std::string& name, const KeyAndCert& k) {
        FILE* f = std::fopen((dir_ + "/" + name + ".crt").c_str(), "w");
        PEM_write_X509(f, k.cert);
        std::fclose(f);
    }
    void write_pair(const std::string& name, KeyAndCert k) {
        write_cert(name, k);
        FILE* f = std::fopen((dir_ + "/" + name + ".key").c_str(), "w");
        PEM_write_PrivateKey(f, k.key, nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(f);
        free_certificate(k);
    }
    std::string dir_;
};

const TlsFiles& files() {
    static const TlsFiles instance;
    return instance;
}

struct TlsPair {
    controld::EventLoop loop;
    LogCapture server_log, client_log;
    RecordingHandler server_handler, client_handler;
    std::unique_ptr<Node> server;
    std::unique_ptr<Node> client;

    explicit TlsPair(const std::string& client_cert = "pcscf", const std::string& server_cert = "msf") {
        NodeSettings s = base_settings(std::string(kMsfHost));
        s.tls_listen = {{kLoopback, 0}};
        s.tls = files().settings(server_cert);
        PeerSettings p = peer(std::string(kPcscfHost));
        p.tls = true;
        s.peers = {p, peer("plain.ims.example.net")};
        s.log = server_log.sink();
        server = std::make_unique<Node>(loop, s, server_handler);
        server_handler.node = server.get();
        if (client_cert.empty()) return;
        NodeSettings c = base_settings(std::string(kPcscfHost), {});
        c.tls = files().settings(client_cert);
        PeerSettings to_msf = peer(std::string(kMsfHost), tls_port());
        to_msf.tls = true;
        c.peers = {to_msf};
        c.reconnect_ms = 5000;
        c.log = client_log.sink();
        client = std::make_unique<Node>(loop, c, client_handler);
    }
    net::Endpoint tls_port() const { return server->tls_listen_endpoints().at(0); }
    std::string logs() const { return "server:\n" + server_log.all() + "client:\n" + client_log.all(); }
};

TEST(DiameterTls, HandshakeThenCapabilitiesExchangeAndRequestsOverTls) {
    TlsPair t;
    ASSERT_TRUE(run_until(t.loop, [&] {
        return is_open(state_of(*t.server, kPcscfHost)) && is_open(state_of(*t.client, kMsfHost));
    })) << t.logs();
    EXPECT_TRUE(status_of(*t.server, kPcscfHost)->tls);
    EXPECT_TRUE(status_of(*t.client, kMsfHost)->tls);
    EXPECT_TRUE(t.server_log.contains("TLSv1.3")) << t.logs();

    int answered = 0;
    for (int i = 0; i < 50; ++i)
        ASSERT_EQ(t.client->send_request(kMsfHost, sample_aar(), [&](RequestOutcome&& o) { answered += o.ok(); }),
                  RequestFailure::none);
    ASSERT_TRUE(run_until(t.loop, [&] { return answered == 50; })) << t.logs();
    EXPECT_EQ(t.server_handler.requests.size(), 50u);
}

TEST(DiameterTls, PlainClientOnATlsPortFailsCleanlyAndOthersStillConnect) {
    TlsPair t("");
    RawPeer raw(t.tls_port().port);
    raw.send(cer_of(kPcscfHost));
    EXPECT_TRUE(raw.await_closed(t.loop));
    EXPECT_EQ(t.server->counters().tls_handshake_failures, 1u);
    EXPECT_TRUE(t.server_log.contains("TLS handshake")) << t.logs();
    EXPECT_EQ(state_of(*t.server, kPcscfHost), PeerState::closed);

    // A plain node that thinks the port is plain: its CER gets no CEA, it stays closed.
    RecordingHandler plain_handler;
    LogCapture plain_log;
    NodeSettings c = base_settings("plain.ims.example.net", {});
    c.peers = {peer(std::string(kMsfHost), t.tls_port())};
    c.reconnect_ms = 5000;
    c.log = plain_log.sink();
    Node plain(t.loop, c, plain_handler);
    ASSERT_TRUE(run_until(t.loop, [&] { return t.server->counters().tls_handshake_failures == 2; })) << t.logs();
    ASSERT_TRUE(run_until(t.loop, [&] { return state_of(plain, kMsfHost) == PeerState::closed; }));
    EXPECT_TRUE(plain_handler.state_changes.empty());

    // A TLS client is served as usual.
    NodeSettings tls_client = base_settings(std::string(kPcscfHost), {});
    tls_client.tls = files().settings("pcscf");
    PeerSettings to_msf = peer(std::string(kMsfHost), t.tls_port());
    to_msf.tls = true;
    tls_client.peers = {to_msf};
    tls_client.log = [](std::string_view) {};
    RecordingHandler handler;
    Node client(t.loop, tls_client, handler);
    EXPECT_TRUE(run_until(t.loop, [&] { return is_open(state_of(client, kMsfHost)); })) << t.logs();
}

TEST(DiameterTls, CertificateThatDoesNotNameThePeerIsRefused) {
    TlsPair t("wrong-name");
    ASSERT_TRUE(run_until(t.loop, [&] { return t.client_log.contains("CEA refused us"); })) << t.logs();
    EXPECT_TRUE(t.client_log.contains("DIAMETER_UNKNOWN_PEER")) << t.logs();
    EXPECT_TRUE(t.server_log.contains("its certificate does not name it")) << t.logs();
    EXPECT_NE(state_of(*t.server, kPcscfHost), PeerState::r_open);
}

TEST(DiameterTls, CertificateFromAnotherCaFailsTheHandshake) {
    TlsPair t("untrusted");
    ASSERT_TRUE(run_until(t.loop, [&] { return t.server->counters().tls_handshake_failures >= 1; })) << t.logs();
    run_for(t.loop, 50);
    EXPECT_FALSE(is_open(state_of(*t.client, kMsfHost)));
    EXPECT_FALSE(is_open(state_of(*t.server, kPcscfHost)));
}

TEST(DiameterTls, ServerCertificateForAnotherNameFailsOnTheClient) {
    TlsPair t("pcscf", "wrong-name");
    ASSERT_TRUE(run_until(t.loop, [&] { return t.client->counters().tls_handshake_failures >= 1; })) << t.logs();
    EXPECT_FALSE(is_open(state_of(*t.client, kMsfHost)));
}

TEST(DiameterTls, TlsPeerOnAPlainPortIsRefused) {
    controld::EventLoop loop;
    RecordingHandler handler;
    NodeSettings s = base_settings(std::string(kMsfHost));
    s.tls = files().settings("msf");
    PeerSettings p = peer(std::string(kPcscfHost));
    p.tls = true;
    s.peers = {p};
    s.log = [](std::string_view) {};
    Node server(loop, s, handler);
    RawPeer raw(server.listen_endpoints().at(0).port);
    raw.send(cer_of(kPcscfHost));
    std::optional<Message> cea = raw.await_message(loop);
    ASSERT_TRUE(cea.has_value());
    EXPECT_EQ(result_code(*cea), 5017u);  // DIAMETER_NO_COMMON_SECURITY
    EXPECT_TRUE(raw.await_closed(loop));
}

TEST(DiameterTls, UnusableCertificateFilesAreAStartUpError) {
    controld::EventLoop loop;
    RecordingHandler handler;
    NodeSettings s = base_settings(std::string(kMsfHost));
    s.tls_listen = {{kLoopback, 0}};
    s.tls = files().settings("msf");
    s.tls->key_file = files().settings("pcscf").key_file;  // not the certificate's key
    s.log = [](std::string_view) {};
    EXPECT_THROW({ Node node(loop, s, handler); }, NodeError);
    s.tls->cert_file = "/nonexistent/cert.pem";
    EXPECT_THROW({ Node node(loop, s, handler); }, NodeError);
}

}  // namespace
}  // namespace msf::diameter::testing
