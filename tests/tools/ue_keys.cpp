// msf-ue-keys: the UE's side of the seed's keying, for the demo and the system tests. Reads
// msf-pcscf's --calls-out file (each UE's own copy of its security association and the call
// binding, never derived keys), derives each call's SRTP master keys the way the UE does
// (pcscf::ue_media_keys = keying::derive_media_keys, TS 33.220 Annex B KDF), and prints one JSON
// line per call with the endpoints and the keys as msf-rtp-peer takes them (hex key || salt).
// A network->UE key the MSF generated comes from the a=crypto value the UE received instead.
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
        auto from_ue = pcscf::ue_media_keys(r.ue_sa, r.call_id, r.media_index, keying::Direction::ue_to_network, r.suite);
        if (!from_ue) {
            std::fprintf(stderr, "msf-ue-keys: %s:%zu: %s\n", argv[1], number, from_ue.error().message.c_str());
            return 1;
        }
        keying::Expected<keying::MediaKeys> to_ue = keying::MediaKeys{};
        if (r.to_ue_crypto) {
            auto crypto = keying::parse_crypto_attribute(*r.to_ue_crypto);
            to_ue = crypto ? keying::media_keys(*crypto) : keying::Expected<keying::MediaKeys>(crypto.error());
        } else {
            to_ue = pcscf::ue_media_keys(r.ue_sa, r.call_id, r.media_index, keying::Direction::network_to_ue, r.suite);
        }
        if (!to_ue) {
            std::fprintf(stderr, "msf-ue-keys: %s:%zu: %s\n", argv[1], number, to_ue.error().message.c_str());
            return 1;
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
        std::printf("%s\n", out.dump().c_str());
    }
    return 0;
}
