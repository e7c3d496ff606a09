// The security association a simulated UE shares with the network, held twice: once as the UE
// holds it and once as the P-CSCF side holds it. The two copies are made separately (the TLS
// exporter on each end of a real handshake, H(A1) on the network side from the UE's password),
// so when the P-CSCF's key and the UE's key agree, the derivation really worked from both ends.
//
// Key sources (seed requirement 2, "no new credentials"; keying/kdf.hpp, docs/keying.md):
// - aka: IMS AKA CK and IK, 16 random bytes each (what the HSS's authentication vector and the
//   USIM would both produce); both sides get the same two values.
// - tls: one real TLS 1.3 handshake per UE between two OpenSSL SSL objects over a memory BIO pair
//   (a throwaway Ed25519 certificate made at start-up); the UE side is the client end's RFC 5705
//   exporter output, the network side the server end's. A real handshake, not random bytes
//   labelled as exporter output.
// - digest: a random password for user "<user>@<realm>"; the UE keeps the password
//   (DigestPassword), the network side gets H(A1) computed from it (DigestHA1, what the HSS has).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/keying/kdf.hpp"

namespace msf::pcscf {

enum class SaKind : uint8_t { aka, tls, digest };

// "aka", "tls", "digest": the names of --key-source, the REGISTER's keysrc parameter and the
// calls-out records.
std::string_view sa_kind_name(SaKind kind);
std::optional<SaKind> sa_kind_from_name(std::string_view name);

struct UeSecurity {
    SaKind kind = SaKind::aka;
    keying::SecurityAssociation ue_side;       // AkaKeys, TlsExporter (client end), DigestPassword
    keying::SecurityAssociation network_side;  // AkaKeys, TlsExporter (server end), DigestHA1
};

// Runs TLS 1.3 handshakes in memory. One per run: the certificate is made once.
class TlsHandshaker {
public:
    // Fails when OpenSSL cannot make the key, the certificate or the contexts.
    static keying::Expected<std::unique_ptr<TlsHandshaker>> create();
    ~TlsHandshaker();
    TlsHandshaker(const TlsHandshaker&) = delete;
    TlsHandshaker& operator=(const TlsHandshaker&) = delete;

    struct Exporters {
        keying::TlsExporter client;
        keying::TlsExporter server;
    };
    // One full handshake (client verifies the server's certificate), then the exporter of each
    // end (keying::kTlsExporterLabel, keying::kTlsExporterLen).
    keying::Expected<Exporters> handshake();

private:
    struct Contexts;
    explicit TlsHandshaker(std::unique_ptr<Contexts> contexts);
    std::unique_ptr<Contexts> contexts_;
};

// Sets up one UE's SA. `tls` is needed for SaKind::tls only. username and realm name the digest
// credentials ("ue7@ims.example", "ims.example").
keying::Expected<UeSecurity> establish_ue_security(SaKind kind, std::string_view username, std::string_view realm,
                                                   TlsHandshaker* tls);

// What the UE computes for one direction of one stream, from its own copy of the SA: exactly
// keying::derive_media_keys. The P-CSCF calls the same function with its copy; there is no
// other way to the key, on either side.
keying::Expected<keying::MediaKeys> ue_media_keys(const keying::SecurityAssociation& sa, std::string_view call_id,
                                                  uint16_t media_index, keying::Direction direction,
                                                  srtp::Suite suite);

}  // namespace msf::pcscf
