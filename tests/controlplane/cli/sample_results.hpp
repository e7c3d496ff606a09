// Results of every command in the shapes of controlplane/cli/protocol.hpp, as msf-controld
// would fill them: the formatting tests print them, the server and msfctl tests serve them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "controlplane/cli/protocol.hpp"

namespace msf::cli::test {

inline const std::string kSession1 = "pcscf.example.net;1700000000;1";
inline const std::string kSession2 = "pcscf.example.net;1700000000;2";

inline nlohmann::json sample_sessions() {
    return nlohmann::json::parse(R"({"sessions":[
      {"session_id":"pcscf.example.net;1700000000;1","peer":"pcscf.example.net","streams":2,
       "media":["audio","video"],"age_ms":307000,"packets_from_ue":15000,"packets_to_ue":14990,
       "auth_failures":3,"replays":1},
      {"session_id":"pcscf.example.net;1700000000;2","peer":"pcscf2.example.net","streams":1,
       "media":["audio"],"age_ms":850,"packets_from_ue":42,"packets_to_ue":40,
       "auth_failures":0,"replays":0}]})");
}

inline nlohmann::json sample_session() {
    return nlohmann::json::parse(R"({"session_id":"pcscf.example.net;1700000000;1",
      "peer":"pcscf.example.net","realm":"example.net","created_unix_ms":1700000000123,"age_ms":307000,
      "streams":[{"component_number":1,"media_type":"audio","dataplane_id":17,"rtcp_mux":true,
        "suite_from_ue":"AES_CM_128_HMAC_SHA1_80","suite_to_ue":"AEAD_AES_128_GCM",
        "access":{"local":"192.0.2.10:20000","remote":"","latched":"203.0.113.5:40000"},
        "core":{"local":"198.51.100.10:20000","remote":"198.51.100.20:30000"},
        "counters":{
          "access":{"packets_in":15000,"bytes_in":2580000,"packets_out":14990,"bytes_out":2578280,
                    "auth_failures":3,"replays":1,"unknown_source":2,"malformed":0,"other_drops":0,
                    "last_seen_ms_ago":20},
          "core":{"packets_in":14990,"bytes_in":2428380,"packets_out":14996,"bytes_out":2429352,
                  "auth_failures":0,"replays":0,"unknown_source":0,"malformed":0,"other_drops":0,
                  "last_seen_ms_ago":null}}}]})");
}

// Keys without the key material, as the daemon answers without --reveal.
inline nlohmann::json sample_keys() {
    return nlohmann::json::parse(R"({"session_id":"pcscf.example.net;1700000000;1","revealed":false,
      "streams":[{"component_number":1,
        "from_ue":{"suite":"AES_CM_128_HMAC_SHA1_80","mki":"","lifetime":0,"fingerprint":"3f2a9c1e"},
        "to_ue":{"suite":"AEAD_AES_128_GCM","mki":"01","lifetime":1048576,"fingerprint":"9b1c77d0",
                 "generated":true}}]})");
}

inline constexpr const char* kFromUeKey = "e1f97a0d3e018be0d64fa32c06de4139";  // RFC 3711 B.3
inline constexpr const char* kFromUeSalt = "0ec675ad498afeebb6960b3aabe6";

inline nlohmann::json sample_revealed_keys() {
    nlohmann::json keys = sample_keys();
    keys["revealed"] = true;
    auto& stream = keys["streams"][0];
    stream["from_ue"]["master_key"] = kFromUeKey;
    stream["from_ue"]["master_salt"] = kFromUeSalt;
    stream["to_ue"]["master_key"] = "000102030405060708090a0b0c0d0e0f";
    stream["to_ue"]["master_salt"] = "a0a1a2a3a4a5a6a7a8a9aaab";
    return keys;
}

inline nlohmann::json sample_stats() {
    return nlohmann::json::parse(R"({"sessions":2,
      "dataplane":{"connected":true,"sessions":2,
        "workers":[{"lcore":1,"rx_packets":30032,"tx_packets":29986,"drops_overload":0,
                    "drops_no_session":40,"drops_malformed":6},
                   {"lcore":2,"rx_packets":29,"tx_packets":29,"drops_overload":0,
                    "drops_no_session":0,"drops_malformed":0}],
        "ports":[{"port_id":0,"name":"access","link_up":true,"rx_packets":15042,"tx_packets":15030,
                  "rx_missed":0,"rx_errors":0,"tx_errors":0},
                 {"port_id":1,"name":"core","link_up":false,"rx_packets":15019,"tx_packets":14985,
                  "rx_missed":12,"rx_errors":1,"tx_errors":0}]},
      "diameter":{"messages":[{"command":"AAR","received":2,"sent":0,"errors":0},
                              {"command":"AAA","received":0,"sent":2,"errors":0},
                              {"command":"STR","received":0,"sent":0,"errors":0}]},
      "store":{"path":"/var/lib/msf/sessions.db","sessions":2}})");
}

inline nlohmann::json sample_peers() {
    return nlohmann::json::parse(R"({"peers":[
      {"identity":"pcscf.example.net","realm":"example.net","address":"192.0.2.1:3868","state":"open",
       "connected_for_ms":7512000,"received":1204,"sent":1203,"last_watchdog_ms_ago":12500},
      {"identity":"pcscf2.example.net","realm":"example.net","address":"[2001:db8::1]:3868",
       "state":"closed","connected_for_ms":null,"received":0,"sent":0,"last_watchdog_ms_ago":null}]})");
}

inline nlohmann::json sample_session_remove() {
    return nlohmann::json::parse(R"({"session_id":"pcscf.example.net;1700000000;1","removed":true})");
}

inline nlohmann::json sample_result(Command command) {
    switch (command) {
        case Command::sessions: return sample_sessions();
        case Command::session: return sample_session();
        case Command::keys: return sample_keys();
        case Command::stats: return sample_stats();
        case Command::peers: return sample_peers();
        case Command::session_remove: return sample_session_remove();
    }
    return nlohmann::json::object();
}

}  // namespace msf::cli::test
