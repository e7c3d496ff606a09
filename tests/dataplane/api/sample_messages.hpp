// Valid messages of every type with every field set to a value other than its default, shared by
// the protocol tests and the fuzz corpus generator (tests/fuzz/make_api_corpus.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/api/protocol.hpp"

namespace msf::api::testing {

inline net::Endpoint endpoint(const char* text) { return *net::Endpoint::parse(text); }

inline std::vector<uint8_t> byte_run(size_t n, uint8_t first) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(first + 7 * i);
    return v;
}

// IPv4 access leg with a configured UE, IPv6 core leg with rtcp-mux, different suites per
// direction, an MKI on one of them.
inline SessionSpec sample_spec(uint64_t id = 0x0102030405060708) {
    SessionSpec s;
    s.id = id;
    s.access = {endpoint("192.0.2.10:40000"), endpoint("198.51.100.7:5004"), false};
    s.core = {endpoint("[2001:db8::10]:50000"), endpoint("[2001:db8:1::20]:6000"), true};
    s.from_ue.suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    s.from_ue.master_key = byte_run(16, 0x10);
    s.from_ue.master_salt = byte_run(14, 0x80);
    s.from_ue.mki = {0x00, 0x01};
    s.from_ue.lifetime = uint64_t{1} << 31;
    s.to_ue.suite = srtp::Suite::aead_aes_256_gcm;
    s.to_ue.master_key = byte_run(32, 0x20);
    s.to_ue.master_salt = byte_run(12, 0x90);
    s.to_ue.lifetime = 1000000;
    s.replay_window = 256;
    s.inactivity_timeout_ms = 30000;
    return s;
}

inline LegCounters sample_counters(uint64_t base) {
    LegCounters c;
    c.packets_in = base + 1;
    c.bytes_in = base + 2;
    c.packets_out = base + 3;
    c.bytes_out = base + 4;
    c.auth_failures = base + 5;
    c.replays = base + 6;
    c.unknown_source = base + 7;
    c.malformed = base + 8;
    c.other_drops = base + 9;
    c.last_seen_ns = base + 10;
    return c;
}

// As a session_info carries it: no master key or salt.
inline SessionInfo sample_info(uint64_t id = 0x0102030405060708) {
    SessionInfo i;
    i.spec = sample_spec(id);
    i.spec.from_ue.master_key.clear();
    i.spec.from_ue.master_salt.clear();
    i.spec.to_ue.master_key.clear();
    i.spec.to_ue.master_salt.clear();
    i.latched_ue = endpoint("203.0.113.5:31000");
    i.access = sample_counters(100);
    i.core = sample_counters(200);
    i.age_ms = 123456789;
    return i;
}

inline WorkerStats sample_worker(uint32_t lcore) {
    WorkerStats w;
    w.lcore = lcore;
    w.rx_packets = 1000u + lcore;
    w.tx_packets = 990u + lcore;
    w.rx_bursts = 40u + lcore;
    w.idle_polls = 5000u + lcore;
    w.drops_overload = 1u + lcore;
    w.drops_no_session = 2u + lcore;
    w.drops_malformed = 3u + lcore;
    w.drops_fragment = 4u + lcore;
    w.drops_checksum = 5u + lcore;
    w.slow_path = 6u + lcore;
    return w;
}

inline PortStatus sample_port(uint16_t id) {
    PortStatus p;
    p.port_id = id;
    p.name = "0000:3b:00." + std::to_string(id);
    p.driver = "net_ice";
    p.link_up = id % 2 == 0;
    p.speed_mbps = 100000;
    p.rx_packets = 11u + id;
    p.tx_packets = 12u + id;
    p.rx_bytes = 13u + id;
    p.tx_bytes = 14u + id;
    p.rx_missed = 15u + id;
    p.rx_errors = 16u + id;
    p.tx_errors = 17u + id;
    p.rx_nombuf = 18u + id;
    return p;
}

// One message per entry of kMessageTypes, in table order.
inline std::vector<Message> sample_messages() {
    std::vector<Message> m;
    m.push_back({1, HelloRequest{kProtocolVersion, "msfctl"}});
    m.push_back({1, HelloReply{kProtocolVersion, "msf-dataplane", "msf 0.1.0", 1 << 20}});
    m.push_back({2, ResultReply{Result::failure(ResultCode::already_exists, "session 7 exists")}});
    m.push_back({3, ErrorReply{Result::failure(ResultCode::unknown_type, "unknown message type 999")}});
    m.push_back({4, SessionAddRequest{sample_spec()}});
    SessionSpec modified = sample_spec();
    modified.access.remote = {};  // latch the UE
    modified.core.rtcp_mux = false;
    m.push_back({5, SessionModifyRequest{modified}});
    m.push_back({6, SessionRemoveRequest{0x0102030405060708}});
    m.push_back({7, SessionGetRequest{42}});
    m.push_back({7, SessionInfoReply{sample_info()}});
    m.push_back({8, SessionListRequest{41, 2}});
    m.push_back({8, SessionListReply{{sample_info(42), sample_info(43)}, 43}});
    m.push_back({9, CountersRequest{}});
    CountersReply counters;
    counters.workers = {sample_worker(1), sample_worker(2)};
    counters.ports = {sample_port(0), sample_port(1)};
    counters.session_count = 2;
    counters.totals = sum_counters(counters.workers, counters.ports);
    m.push_back({9, counters});
    m.push_back({10, PortStatusRequest{}});
    m.push_back({10, PortStatusReply{{sample_port(0), sample_port(1)}}});
    m.push_back({11, SubscribeEventsRequest{}});
    m.push_back({0, EventPush{Event{EventType::auth_failure_storm, 42, Side::core, 17}}});
    return m;
}

}  // namespace msf::api::testing
