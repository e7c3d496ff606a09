// The sessions msf-gen drives, read from msf-pcscf's --calls-out file (call_record.hpp): each
// record's endpoints and both directions' SRTP keys as the UE has them (record_media_keys), and
// for the hairpin mode the pairs (2k, 2k+1) of msf-pcscf --hairpin-pairs.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "controlplane/keying/expected.hpp"
#include "controlplane/keying/media_keys.hpp"
#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::gen {

struct GenSession {
    uint64_t call_index = 0;  // the record's call_index, else its line's place among the records
    std::string session_id;   // the Diameter Session-Id: new for every install
    net::Endpoint ue;          // the UE's media address (msf-gen impersonates it on the access port)
    net::Endpoint core;        // the core peer's (impersonated on the core port)
    net::Endpoint msf_access;  // the gateway's address toward the UE
    net::Endpoint msf_core;    // the gateway's address toward the core
    srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    keying::MediaKeys from_ue;  // UE -> network
    keying::MediaKeys to_ue;    // network -> UE
};

// Every record of the file, in call_index order. Fails naming the line that does not parse or
// whose keys cannot be had, an empty file, or two records with one call_index.
keying::Expected<std::vector<GenSession>> read_calls(std::istream& in, const std::string& name);
keying::Expected<std::vector<GenSession>> load_calls(const std::string& path);

struct HairpinPair {
    size_t a = 0;  // traffic enters A's core leg ...
    size_t b = 0;  // ... and leaves B's core leg
};

// Pairs (2k, 2k+1) of call indexes. Fails unless each B's UE->network key is its A's
// network->UE key (the calls were not made with --hairpin-pairs), a call has no partner, or A
// and B differ in address family. An odd last call is left out.
// Identifies one install of the calls (FNV-1a over the Session-Ids in order): msf-gen's
// sequence state (sequence_state.hpp) belongs to it.
uint64_t calls_fingerprint(const std::vector<GenSession>& sessions);

keying::Expected<std::vector<HairpinPair>> hairpin_pairs(const std::vector<GenSession>& sessions);

}  // namespace msf::gen
