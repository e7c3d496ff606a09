// msf-ue-keys: the UE's side of the seed's keying, for the demo and the system tests. Reads
// msf-pcscf's --calls-out file (each UE's own copy of its security association and the call
// binding, never derived keys), derives each call's SRTP master keys the way the UE does
// (pcscf::ue_media_keys = keying::derive_media_keys, TS 33.220 Annex B KDF), and prints one JSON
// line per call with the endpoints and the keys as msf-rtp-peer takes them (hex key || salt),
// and, for a call with an MSRP component, its TLS PSK and identity and the relay's URIs.
// A key the record carries (a network->UE key the MSF generated, the paired key of a
// --hairpin-pairs call) comes from its a=crypto value instead.
//
// usage: msf-ue-keys CALLS_FILE
#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "controlplane/keying/sdes.hpp"
#include "controlplane/pcscf/call_record.hpp"
#include "controlplane/pcscf/ue_security.hpp"

namespace {

std::string hex(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (const auto* v : {&a, &b})
        for (uint8_t byte : *v) {
            out.push_back(kDigits[byte >> 4]);
            out.push_back(kDigits[byte & 15]);
        }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace msf;
    if (argc != 2 || std::string(argv[1]) == "--help") {
        std::fprintf(stderr, "usage: msf-ue-keys CALLS_FILE   (msf-pcscf --calls-out)\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "msf-ue-keys: cannot read %s\n", argv[1]);
        return 1;
    }
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        auto record = pcscf::parse_call_record(line);
        if (!record) {
            std::fprintf(stderr, "msf-ue-keys: %s:%zu: %s\n", argv[1], number, record.error().message.c_str());
            return 1;
        }
        const auto& r = *record;
        // Either direction as the record holds it: derived from the SA, or carried in the record
        // (a key the MSF generated, or the paired key of an msf-pcscf --hairpin-pairs call).
        auto from_ue = pcscf::record_media_keys(r, keying::Direction::ue_to_network);
        auto to_ue = pcscf::record_media_keys(r, keying::Direction::network_to_ue);
        for (const auto* keys : {&from_ue, &to_ue}) {
            if (!*keys) {
                std::fprintf(stderr, "msf-ue-keys: %s:%zu: %s\n", argv[1], number, keys->error().message.c_str());
                return 1;
            }
        }
        const nlohmann::json out = {
            {"call_id", r.call_id},
            {"session_id", r.session_id},
            {"source", std::string(keying::key_source_info(keying::key_source(r.ue_sa)).label)},
            {"suite", std::string(srtp::suite_info(r.suite).name)},
            {"ue", r.ue.to_string()},
            {"msf_access", r.msf_access.to_string()},
            {"core", r.core.to_string()},
            {"msf_core", r.msf_core.to_string()},
            {"rtcp_mux", r.rtcp_mux},
            {"from_ue_key", hex(from_ue->master_key, from_ue->master_salt)},
            {"to_ue_key", hex(to_ue->master_key, to_ue->master_salt)},
        };
        nlohmann::json line = out;
        if (r.msrp) {
            // The MSRP PSK, derived from the UE's own SA like its SRTP keys (keying::derive_msrp_psk).
            auto psk = pcscf::record_msrp_psk(r);
            if (!psk) {
                std::fprintf(stderr, "msf-ue-keys: %s:%zu: %s\n", argv[1], number, psk.error().message.c_str());
                return 1;
            }
            line["msrp"] = {{"psk_identity", psk->identity},
                            {"psk", hex(std::vector<uint8_t>(psk->psk.bytes().begin(), psk->psk.bytes().end()), {})},
                            {"ue_path", r.msrp->ue_path},
                            {"core_path", r.msrp->core_path},
                            {"gw_access_path", r.msrp->gw_access_path},
                            {"gw_core_path", r.msrp->gw_core_path}};
        }
        std::printf("%s\n", line.dump().c_str());
    }
    return 0;
}
