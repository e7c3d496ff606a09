// One line of msf-pcscf's --calls-out file: what a UE simulator needs to send and receive the
// media of one media component of one call through the MSF, as JSON on one line.
//
// The record carries the UE's OWN copy of its security association and the call binding, never
// the derived media keys: the UE simulator derives them itself with ue_media_keys() (that the UE
// can is the point of the seed). The one exception is a network->UE key the MSF generated
// (--to-ue-key generated): the UE cannot derive that one, it gets it in the a=crypto line of
// its 200 OK, so the record carries that a=crypto value as the UE received it. Nothing secret
// about the core side is in the record (the core leg is plain RTP).
//
//   {"call_id":"...","session_id":"...","ue_user":"ue3","component":1,"media_index":0,
//    "ue":"192.0.2.10:40000","core":"198.51.100.20:30000",
//    "msf_access":"203.0.113.1:20000","msf_core":"198.51.100.1:20000","rtcp_mux":false,
//    "suite":"AES_CM_128_HMAC_SHA1_80",
//    "ue_sa":{"source":"aka","ck":"<hex>","ik":"<hex>"},
//    "to_ue_key":"derived"}
//
// ue_sa by source: {"source":"aka","ck","ik"}, {"source":"tls","label","exporter"} (RFC 5705
// exporter output of the UE's end), {"source":"digest","username","realm","password",
// "algorithm":"MD5"|"SHA-256"}; the network-side forms {"source":"tls-master","master_secret"}
// and {"source":"digest-ha1","algorithm","ha1"} are read and written too. to_ue_key is
// "derived" (the UE derives the network->UE key as well) or "sdes" with "to_ue_crypto": the
// a=crypto value of the UE's answer.
//
// Hairpin pairs (msf-pcscf --hairpin-pairs, for msf-gen's hairpin benchmark): call 2k+1's
// UE->network key is call 2k's network->UE key, so SRTP the MSF protects toward UE 2k, reflected
// unchanged into call 2k+1's access leg, authenticates there. Such a record carries "call_index"
// (pairs are (2k, 2k+1)), and the paired call 2k+1 has "from_ue_key":"paired" with
// "from_ue_crypto": that key as an a=crypto value (its UE cannot derive it from its own SA).
// Records without these fields have "from_ue_key":"derived" or none at all.
//
// The file holds secrets (the SAs): msf-pcscf creates it mode 0600.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/keying/expected.hpp"
#include "controlplane/keying/kdf.hpp"
#include "controlplane/keying/media_keys.hpp"
#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::pcscf {

inline constexpr size_t kMaxCallRecordLen = 16384;

// The call's MSRP component (msf-pcscf --msrp) as its UE uses it: the PSK and its identity come
// from ue_sa and the call binding (keying::derive_msrp_psk with media_index), the UE connects to
// the relay named in gw_access_path and sends with To-Path gw_access_path, From-Path ue_path.
struct MsrpRecord {
    uint32_t component = 2;
    uint16_t media_index = 1;
    std::string ue_path;         // the UE's own URI (its SDP a=path)
    std::string core_path;       // the core endpoint's URI
    std::string gw_access_path;  // MSF-MSRP-Access-Path of the AAA
    std::string gw_core_path;    // MSF-MSRP-Core-Path: what the core sees as the UE
    bool operator==(const MsrpRecord&) const = default;
};

struct CallRecord {
    std::string call_id;
    std::string session_id;
    std::string ue_user;
    uint32_t component = 1;
    uint16_t media_index = 0;
    net::Endpoint ue;
    net::Endpoint core;
    net::Endpoint msf_access;
    net::Endpoint msf_core;
    bool rtcp_mux = false;
    srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    keying::SecurityAssociation ue_sa;
    std::optional<std::string> to_ue_crypto;  // set: "sdes", the a=crypto value; unset: "derived"
    std::optional<uint64_t> call_index;        // the call's number in the run (hairpin pairs)
    std::optional<std::string> from_ue_crypto;  // set: "paired", the a=crypto value; unset: "derived"
    std::optional<MsrpRecord> msrp;
};

// The record as one line of JSON, without a line ending.
std::string format_call_record(const CallRecord& record);

// One line (a trailing CR/LF allowed). Fails naming the field that is missing or wrong: not JSON,
// over kMaxCallRecordLen, an endpoint that does not parse, an unknown suite or SA source, hex
// that is not hex, key material of the wrong length, to_ue_key "sdes" without to_ue_crypto.
keying::Expected<CallRecord> parse_call_record(std::string_view line);

// The SRTP master key and salt of one direction of the record's stream, as its UE has them:
// derived from ue_sa and the call binding (ue_media_keys), or read from to_ue_crypto /
// from_ue_crypto where the record carries the key itself.
keying::Expected<keying::MediaKeys> record_media_keys(const CallRecord& record, keying::Direction direction);

// The PSK of the record's MSRP component, as its UE derives it; fails without one.
keying::Expected<keying::MsrpPsk> record_msrp_psk(const CallRecord& record);

}  // namespace msf::pcscf
