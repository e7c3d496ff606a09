#include "dataplane/tools/dpctl_output.hpp"

#include <algorithm>
#include <cstdio>

#include "dataplane/tools/cli_values.hpp"

namespace msf::tools {

namespace {

void endpoint_member(JsonWriter& json, std::string_view name, const net::Endpoint& e) {
    json.key(name);
    if (e.empty()) json.null();
    else json.value(e.to_string());
}

std::string endpoint_text(const net::Endpoint& e) { return e.empty() ? "-" : e.to_string(); }

void write_leg(JsonWriter& json, const api::LegSpec& leg) {
    json.begin_object();
    endpoint_member(json, "local", leg.local);
    endpoint_member(json, "remote", leg.remote);
    json.member("rtcp_mux", leg.rtcp_mux);
    json.end_object();
}

// Keys never reach a client (protocol.hpp): suite, MKI and lifetime are all there is to show.
void write_key(JsonWriter& json, const api::KeySpec& key) {
    json.begin_object();
    json.member("suite", srtp::suite_info(key.suite).name);
    json.member("mki", to_hex(key.mki));
    json.member("lifetime", key.lifetime);
    json.end_object();
}

std::string printf_line(const char* format, auto... args) {
    char buf[512];
    const int n = std::snprintf(buf, sizeof(buf), format, args...);
    return std::string(buf, n < 0 ? 0 : std::min<size_t>(size_t(n), sizeof(buf) - 1));
}

using ull = unsigned long long;

std::string leg_counters_text(const char* label, const api::LegCounters& c) {
    return printf_line(
        "  %-6s in %llu pkts %llu bytes, out %llu pkts %llu bytes; dropped: auth %llu, replay %llu, "
        "unknown source %llu, malformed %llu, other %llu\n",
        label, ull(c.packets_in), ull(c.bytes_in), ull(c.packets_out), ull(c.bytes_out),
        ull(c.auth_failures), ull(c.replays), ull(c.unknown_source), ull(c.malformed), ull(c.other_drops));
}

}  // namespace

const char* side_name(api::Side side) { return side == api::Side::access ? "access" : "core"; }

const char* event_type_name(api::EventType type) {
    switch (type) {
        case api::EventType::inactivity: return "inactivity";
        case api::EventType::auth_failure_storm: return "auth_failure_storm";
    }
    return "unknown";
}

void write_json(JsonWriter& json, const api::LegCounters& c) {
    json.begin_object();
    json.member("packets_in", c.packets_in);
    json.member("bytes_in", c.bytes_in);
    json.member("packets_out", c.packets_out);
    json.member("bytes_out", c.bytes_out);
    json.member("auth_failures", c.auth_failures);
    json.member("replays", c.replays);
    json.member("unknown_source", c.unknown_source);
    json.member("malformed", c.malformed);
    json.member("other_drops", c.other_drops);
    json.member("last_seen_ns", c.last_seen_ns);
    json.end_object();
}

void write_json(JsonWriter& json, const api::SessionInfo& info) {
    const api::SessionSpec& s = info.spec;
    json.begin_object();
    json.member("id", s.id);
    json.key("access");
    write_leg(json, s.access);
    json.key("core");
    write_leg(json, s.core);
    json.key("from_ue");
    write_key(json, s.from_ue);
    json.key("to_ue");
    write_key(json, s.to_ue);
    json.member("replay_window", s.replay_window);
    json.member("inactivity_timeout_ms", s.inactivity_timeout_ms);
    endpoint_member(json, "latched_ue", info.latched_ue);
    json.key("counters").begin_object();
    json.key("access");
    write_json(json, info.access);
    json.key("core");
    write_json(json, info.core);
    json.end_object();
    json.member("age_ms", info.age_ms);
    json.end_object();
}

void write_json(JsonWriter& json, const api::WorkerStats& w) {
    json.begin_object();
    json.member("lcore", w.lcore);
    json.member("rx_packets", w.rx_packets);
    json.member("tx_packets", w.tx_packets);
    json.member("rx_bursts", w.rx_bursts);
    json.member("idle_polls", w.idle_polls);
    json.member("drops_overload", w.drops_overload);
    json.member("drops_no_session", w.drops_no_session);
    json.member("drops_malformed", w.drops_malformed);
    json.member("drops_fragment", w.drops_fragment);
    json.member("drops_checksum", w.drops_checksum);
    json.member("slow_path", w.slow_path);
    json.end_object();
}

void write_json(JsonWriter& json, const api::PortStatus& p) {
    json.begin_object();
    json.member("port_id", uint32_t{p.port_id});
    json.member("name", p.name);
    json.member("driver", p.driver);
    json.member("link_up", p.link_up);
    json.member("speed_mbps", p.speed_mbps);
    json.member("rx_packets", p.rx_packets);
    json.member("tx_packets", p.tx_packets);
    json.member("rx_bytes", p.rx_bytes);
    json.member("tx_bytes", p.tx_bytes);
    json.member("rx_missed", p.rx_missed);
    json.member("rx_errors", p.rx_errors);
    json.member("tx_errors", p.tx_errors);
    json.member("rx_nombuf", p.rx_nombuf);
    json.end_object();
}

void write_json(JsonWriter& json, const api::CounterTotals& t) {
    json.begin_object();
    json.member("rx_packets", t.rx_packets);
    json.member("tx_packets", t.tx_packets);
    json.member("drops_overload", t.drops_overload);
    json.member("drops_no_session", t.drops_no_session);
    json.member("drops_malformed", t.drops_malformed);
    json.member("drops_fragment", t.drops_fragment);
    json.member("drops_checksum", t.drops_checksum);
    json.member("slow_path", t.slow_path);
    json.member("port_rx_missed", t.port_rx_missed);
    json.member("port_rx_errors", t.port_rx_errors);
    json.member("port_tx_errors", t.port_tx_errors);
    json.member("port_rx_nombuf", t.port_rx_nombuf);
    json.end_object();
}

void write_json(JsonWriter& json, const api::Event& e) {
    json.begin_object();
    json.member("type", event_type_name(e.type));
    json.member("session_id", e.session_id);
    json.member("side", side_name(e.side));
    json.member("value", e.value);
    json.end_object();
}

std::string hello_json(const api::HelloReply& h) {
    JsonWriter json;
    json.begin_object();
    json.member("version", h.version);
    json.member("server_name", h.server_name);
    json.member("server_build", h.server_build);
    json.member("max_message_size", h.max_message_size);
    json.end_object();
    return json.str() + "\n";
}

std::string hello_text(const api::HelloReply& h) {
    return h.server_name + " " + h.server_build + ", protocol " + std::to_string(h.version) +
           ", max message " + std::to_string(h.max_message_size) + " bytes\n";
}

std::string session_json(const api::SessionInfo& info) {
    JsonWriter json;
    write_json(json, info);
    return json.str() + "\n";
}

std::string session_text(const api::SessionInfo& info) {
    const api::SessionSpec& s = info.spec;
    auto key_text = [](const api::KeySpec& k) {
        std::string out(srtp::suite_info(k.suite).name);
        if (!k.mki.empty()) out += " mki " + to_hex(k.mki);
        if (k.lifetime) out += " lifetime " + std::to_string(k.lifetime);
        return out;
    };
    std::string out = "session " + std::to_string(s.id) + " (age " + std::to_string(info.age_ms) + " ms)\n";
    out += "  access " + endpoint_text(s.access.local) + " <-> " +
           (s.access.remote.empty() ? "latched " + endpoint_text(info.latched_ue) : endpoint_text(s.access.remote)) +
           (s.access.rtcp_mux ? " rtcp-mux" : "") + "\n";
    out += "  core   " + endpoint_text(s.core.local) + " <-> " + endpoint_text(s.core.remote) +
           (s.core.rtcp_mux ? " rtcp-mux" : "") + "\n";
    out += "  from UE " + key_text(s.from_ue) + ", to UE " + key_text(s.to_ue) + ", replay window " +
           std::to_string(s.replay_window) + ", inactivity " + std::to_string(s.inactivity_timeout_ms) + " ms\n";
    out += leg_counters_text("access", info.access);
    out += leg_counters_text("core", info.core);
    return out;
}

std::string sessions_json(std::span<const api::SessionInfo> sessions) {
    JsonWriter json;
    json.begin_object();
    json.member("count", uint64_t{sessions.size()});
    json.key("sessions").begin_array();
    for (const api::SessionInfo& s : sessions) write_json(json, s);
    json.end_array();
    json.end_object();
    return json.str() + "\n";
}

std::string sessions_text(std::span<const api::SessionInfo> sessions) {
    std::string out = printf_line("%-20s %-24s %-24s %-24s %-24s %12s %12s\n", "ID", "ACCESS-LOCAL", "UE",
                                  "CORE-LOCAL", "CORE-REMOTE", "FROM-UE", "TO-UE");
    for (const api::SessionInfo& s : sessions) {
        const net::Endpoint& ue = s.spec.access.remote.empty() ? s.latched_ue : s.spec.access.remote;
        out += printf_line("%-20llu %-24s %-24s %-24s %-24s %12llu %12llu\n", ull(s.spec.id),
                           endpoint_text(s.spec.access.local).c_str(), endpoint_text(ue).c_str(),
                           endpoint_text(s.spec.core.local).c_str(), endpoint_text(s.spec.core.remote).c_str(),
                           ull(s.access.packets_in), ull(s.core.packets_in));
    }
    out += std::to_string(sessions.size()) + " session" + (sessions.size() == 1 ? "" : "s") + "\n";
    return out;
}

std::string stats_json(const api::CountersReply& c) {
    JsonWriter json;
    json.begin_object();
    json.member("session_count", c.session_count);
    json.key("totals");
    write_json(json, c.totals);
    json.key("workers").begin_array();
    for (const api::WorkerStats& w : c.workers) write_json(json, w);
    json.end_array();
    json.key("ports").begin_array();
    for (const api::PortStatus& p : c.ports) write_json(json, p);
    json.end_array();
    json.end_object();
    return json.str() + "\n";
}

std::string stats_text(const api::CountersReply& c) {
    const api::CounterTotals& t = c.totals;
    std::string out = "sessions " + std::to_string(c.session_count) + "\n";
    out += printf_line("total   rx %llu tx %llu; dropped: overload %llu, no session %llu, malformed %llu, "
                       "fragment %llu, checksum %llu; slow path %llu\n",
                       ull(t.rx_packets), ull(t.tx_packets), ull(t.drops_overload), ull(t.drops_no_session),
                       ull(t.drops_malformed), ull(t.drops_fragment), ull(t.drops_checksum), ull(t.slow_path));
    out += printf_line("ports   rx missed %llu, rx errors %llu, tx errors %llu, rx no mbuf %llu\n",
                       ull(t.port_rx_missed), ull(t.port_rx_errors), ull(t.port_tx_errors), ull(t.port_rx_nombuf));
    for (const api::WorkerStats& w : c.workers)
        out += printf_line("lcore %-3u rx %llu tx %llu bursts %llu idle polls %llu; dropped: overload %llu, "
                           "no session %llu, malformed %llu, fragment %llu, checksum %llu; slow path %llu\n",
                           w.lcore, ull(w.rx_packets), ull(w.tx_packets), ull(w.rx_bursts), ull(w.idle_polls),
                           ull(w.drops_overload), ull(w.drops_no_session), ull(w.drops_malformed),
                           ull(w.drops_fragment), ull(w.drops_checksum), ull(w.slow_path));
    out += ports_text(c.ports);
    return out;
}

std::string ports_json(std::span<const api::PortStatus> ports) {
    JsonWriter json;
    json.begin_object();
    json.key("ports").begin_array();
    for (const api::PortStatus& p : ports) write_json(json, p);
    json.end_array();
    json.end_object();
    return json.str() + "\n";
}

std::string ports_text(std::span<const api::PortStatus> ports) {
    std::string out;
    for (const api::PortStatus& p : ports)
        out += printf_line("port %u %s (%s) link %s %u Mb/s: rx %llu pkts %llu bytes, tx %llu pkts %llu bytes; "
                           "rx missed %llu, rx errors %llu, tx errors %llu, rx no mbuf %llu\n",
                           unsigned{p.port_id}, p.name.c_str(), p.driver.c_str(), p.link_up ? "up" : "down",
                           p.speed_mbps, ull(p.rx_packets), ull(p.rx_bytes), ull(p.tx_packets), ull(p.tx_bytes),
                           ull(p.rx_missed), ull(p.rx_errors), ull(p.tx_errors), ull(p.rx_nombuf));
    return out;
}

std::string event_json(const api::Event& e) {
    JsonWriter json;
    write_json(json, e);
    return json.str() + "\n";
}

std::string event_text(const api::Event& e) {
    const char* unit = e.type == api::EventType::inactivity ? " ms idle" : " auth failures";
    return std::string(event_type_name(e.type)) + " session " + std::to_string(e.session_id) + " " +
           side_name(e.side) + ": " + std::to_string(e.value) + unit + "\n";
}

}  // namespace msf::tools
