// msf-pcscf's command line: one option table gives the parser and --help.
//
//   msf-pcscf [--msf IP:PORT] [--ues N] [--calls N] [--rate R] [--concurrency M] [--hold-ms T]
//             [--keep] [--rx-only] [--key-source aka|tls|digest|mixed] [--keys-in avp|sdes] ... [--json]
//
// Values are checked here (a bad one is a usage error naming the option), so the run itself
// starts only with settings that make sense.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "controlplane/pcscf/rx_call.hpp"
#include "controlplane/pcscf/ue_security.hpp"
#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::pcscf {

// Which SA each UE has: one kind for all, or aka, tls, digest round-robin by UE.
enum class KeySourceChoice : uint8_t { aka, tls, digest, mixed };

// The network->UE key: derived from the SA by the P-CSCF (and by the UE), or left out of the AAR
// so the MSF generates it and the UE learns it from the a=crypto of its 200 OK.
enum class ToUeKey : uint8_t { derived, generated };

struct PcscfOptions {
    net::Endpoint msf{*net::IpAddr::parse("127.0.0.1"), 3868};  // the MSF's Diameter address
    std::string identity = "pcscf.localdomain";  // our Origin-Host
    std::string realm = "localdomain";           // our Origin-Realm (and the UEs' home domain)
    std::string msf_identity = "msf.localdomain";  // the MSF's Origin-Host (Destination-Host)
    std::string msf_realm;                         // Destination-Realm; empty: the MSF's CEA realm
    uint32_t msf_vendor_id = 32473;                // vendor of the MSF-* AVPs (RFC 5612 default)
    uint32_t ues = 10;
    uint64_t calls = 100;                          // in total, round-robin over the UEs
    double rate = 0;                               // AARs per second; 0: as fast as allowed
    uint32_t concurrency = 64;                     // Diameter requests (AAR + STR) in flight
    uint64_t hold_ms = 0;                          // a call's time up before its BYE
    bool keep = false;                             // no BYE: sessions stay installed
    // Diameter only, to measure the MSF: no registration, SIP or SDP rewriting, and random keys
    // instead of keys derived from an SA; each call is AAR (built as a full call builds it) ->
    // AAA read and checked -> STR -> STA. Excludes what needs a UE's SA (--hairpin-pairs,
    // --msrp, --calls-out).
    bool rx_only = false;
    // Call 2k+1's UE->network key = call 2k's network->UE key (msf-gen's hairpin benchmark;
    // call_record.hpp). Needs derived network->UE keys: a generated one is known only after the
    // AAA of call 2k, too late for call 2k+1's AAR.
    bool hairpin_pairs = false;
    // Each call also has an MSRP component (RFC 4975) through the MSF's TLS-PSK relay; the core
    // endpoint's MSRP address (every call's core a=path names it). Unset: no MSRP.
    std::optional<net::Endpoint> msrp_core;
    KeySourceChoice key_source = KeySourceChoice::mixed;
    KeysIn keys_in = KeysIn::avp;
    ToUeKey to_ue_key = ToUeKey::derived;
    srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    bool acknowledge_e2ae = true;                  // operator policy at registration
    net::Endpoint ue_base{*net::IpAddr::parse("192.0.2.10"), 40000};     // UE media, port += 2 per call
    net::Endpoint core_base{*net::IpAddr::parse("198.51.100.20"), 30000};  // core peer media, likewise
    bool json = false;                             // final report as JSON
    std::string calls_out;                         // JSON lines file, "" none
    uint64_t timeout_ms = 5000;                    // per Diameter request, and for the connection
    bool verbose = false;                          // Diameter node log lines on stderr
};

struct PcscfHelpRequest {};

// exit code 2: unknown or repeated option, missing value; 1: a value that is wrong.
struct PcscfUsageError {
    int exit_code = 2;
    std::string message;
};

using PcscfParse = std::variant<PcscfOptions, PcscfHelpRequest, PcscfUsageError>;

// args excludes the program name. "--name value" and "--name=value" both work.
PcscfParse parse_pcscf_args(std::span<const std::string_view> args);

std::string pcscf_help();

// The SA kind of UE `ue_index` under `choice` (mixed: aka, tls, digest, aka, ...).
SaKind sa_kind_for_ue(KeySourceChoice choice, uint32_t ue_index);
std::string_view key_source_choice_name(KeySourceChoice choice);

// The media endpoint of call `call_index` from a base: the port steps by 2 (RTP even, RTCP
// on + 1, RFC 3550 §11) and wraps back to the base port before passing 65534.
net::Endpoint stepped_endpoint(const net::Endpoint& base, uint64_t call_index);

}  // namespace msf::pcscf
