#include "controlplane/controld/cli_handler.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <chrono>
#include <unordered_map>

#include "controlplane/controld/event_loop.hpp"

namespace msf::controld {

using nlohmann::json;

namespace {

int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 15]);
    }
    return out;
}

std::string endpoint_text(const net::Endpoint& e) { return e.empty() ? "" : e.to_string(); }

json leg_counters(const api::LegCounters& c) {
    json leg = {{"packets_in", c.packets_in},       {"bytes_in", c.bytes_in},
                {"packets_out", c.packets_out},     {"bytes_out", c.bytes_out},
                {"auth_failures", c.auth_failures}, {"replays", c.replays},
                {"unknown_source", c.unknown_source}, {"malformed", c.malformed},
                {"other_drops", c.other_drops}};
    if (c.last_seen_ns == 0) {
        leg["last_seen_ms_ago"] = nullptr;
    } else {
        const int64_t ago = (monotonic_ns() - static_cast<int64_t>(c.last_seen_ns)) / 1'000'000;
        leg["last_seen_ms_ago"] = ago < 0 ? 0 : ago;
    }
    return leg;
}

json key_json(const api::KeySpec& key, bool reveal) {
    json k = {{"suite", std::string(srtp::suite_info(key.suite).name)},
              {"mki", hex(key.mki)},
              {"lifetime", key.lifetime},
              {"fingerprint", key_fingerprint(key)}};
    if (reveal) {
        k["master_key"] = hex(key.master_key);
        k["master_salt"] = hex(key.master_salt);
    }
    return k;
}

cli::Response not_found(const std::string& id) {
    return cli::Response::failure(cli::ResultCode::not_found, "session '" + id + "' not found");
}

}  // namespace

std::string key_fingerprint(const api::KeySpec& key) {
    uint8_t digest[EVP_MAX_MD_SIZE] = {};
    unsigned digest_len = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, key.master_key.data(), key.master_key.size()) == 1 &&
                    EVP_DigestUpdate(ctx, key.master_salt.data(), key.master_salt.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, digest, &digest_len) == 1;
    EVP_MD_CTX_free(ctx);  // cleanses its state
    if (!ok) return "unavailable";
    return hex(std::span<const uint8_t>(digest, 8));
}

cli::Response ControldCli::handle(const cli::Request& request, const cli::Caller&) {
    switch (request.command) {
        case cli::Command::sessions: return sessions();
        case cli::Command::session: return session(request.session_id);
        case cli::Command::keys: return keys(request.session_id, request.reveal);
        case cli::Command::stats: return stats();
        case cli::Command::peers: return peers();
        case cli::Command::session_remove: return remove(request.session_id);
    }
    return cli::Response::failure(cli::ResultCode::internal, "unknown command");
}

cli::Response ControldCli::sessions() {
    // One dataplane listing for the counters of every stream, not one request per stream.
    std::unordered_map<uint64_t, api::SessionInfo> live;
    if (manager_.dataplane_connected()) {
        auto all = manager_.dataplane_sessions();
        if (all.ok())
            for (auto& info : all.value) live.emplace(info.spec.id, std::move(info));
    }
    const int64_t now = unix_ms();
    json list = json::array();
    for (const sessions::ControlSession* s : manager_.list()) {
        json media = json::array();
        uint64_t from_ue = 0, to_ue = 0, auth_failures = 0, replays = 0;
        for (const auto& stream : s->streams) {
            media.push_back(stream.media_type);
            auto it = live.find(stream.spec.id);
            if (it == live.end()) continue;
            from_ue += it->second.access.packets_in;
            to_ue += it->second.access.packets_out;
            auth_failures += it->second.access.auth_failures;
            replays += it->second.access.replays;
        }
        for (size_t i = 0; i < s->messages.size(); ++i) media.push_back("message");
        list.push_back({{"session_id", s->session_id},
                        {"peer", s->peer},
                        {"streams", s->streams.size()},
                        {"msrp", s->messages.size()},
                        {"media", media},
                        {"age_ms", std::max<int64_t>(0, now - s->created_unix_ms)},
                        {"packets_from_ue", from_ue},
                        {"packets_to_ue", to_ue},
                        {"auth_failures", auth_failures},
                        {"replays", replays}});
    }
    return cli::Response::success({{"sessions", list}});
}

cli::Response ControldCli::session(const std::string& id) {
    const sessions::ControlSession* s = manager_.find(id);
    if (!s) return not_found(id);
    json streams = json::array();
    for (const auto& stream : s->streams) {
        const api::SessionSpec& spec = stream.spec;
        api::SessionInfo info;
        if (manager_.dataplane_connected()) {
            auto got = manager_.dataplane_session(spec.id);
            if (got.ok()) info = got.value;
        }
        streams.push_back(
            {{"component_number", stream.component_number},
             {"media_type", stream.media_type},
             {"dataplane_id", spec.id},
             {"rtcp_mux", spec.access.rtcp_mux},
             {"suite_from_ue", std::string(srtp::suite_info(spec.from_ue.suite).name)},
             {"suite_to_ue", std::string(srtp::suite_info(spec.to_ue.suite).name)},
             {"access",
              {{"local", endpoint_text(spec.access.local)},
               {"remote", endpoint_text(spec.access.remote)},
               {"latched", endpoint_text(info.latched_ue)}}},
             {"core", {{"local", endpoint_text(spec.core.local)}, {"remote", endpoint_text(spec.core.remote)}}},
             {"counters", {{"access", leg_counters(info.access)}, {"core", leg_counters(info.core)}}}});
    }
    // MSRP components, with msf-msrpd's counters when it answers. Never the PSK (msfctl keys).
    json messages = json::array();
    std::vector<sessions::MessageCounters> relay_counters;
    if (rx_.msrp() && !s->messages.empty()) relay_counters = rx_.msrp()->counters(*s);
    for (const auto& m : s->messages) {
        json entry = {{"component_number", m.component_number},
                      {"psk_identity", m.psk_identity},
                      {"ue_path", m.ue_path},
                      {"core_path", m.core_path},
                      {"gw_access_path", m.gw_access_path},
                      {"gw_core_path", m.gw_core_path},
                      {"ue_allow", m.ue_allow}};
        entry["counters"] = nullptr;
        for (const auto& c : relay_counters) {
            if (c.component_number != m.component_number) continue;
            entry["counters"] = {{"messages_from_ue", c.messages_from_ue},
                                 {"bytes_from_ue", c.bytes_from_ue},
                                 {"messages_to_ue", c.messages_to_ue},
                                 {"bytes_to_ue", c.bytes_to_ue},
                                 {"tls_handshake_failures", c.tls_handshake_failures},
                                 {"parse_errors", c.parse_errors},
                                 {"path_mismatch", c.path_mismatch},
                                 {"connections", c.connections},
                                 {"refused_connections", c.refused_connections}};
        }
        messages.push_back(std::move(entry));
    }
    return cli::Response::success({{"session_id", s->session_id},
                                   {"peer", s->peer},
                                   {"realm", s->realm},
                                   {"created_unix_ms", s->created_unix_ms},
                                   {"age_ms", std::max<int64_t>(0, unix_ms() - s->created_unix_ms)},
                                   {"streams", streams},
                                   {"msrp", messages}});
}

cli::Response ControldCli::keys(const std::string& id, bool reveal) {
    const sessions::ControlSession* s = manager_.find(id);
    if (!s) return not_found(id);
    json streams = json::array();
    for (const auto& stream : s->streams) {
        json to_ue = key_json(stream.spec.to_ue, reveal);
        to_ue["generated"] = stream.to_ue_key_generated;
        streams.push_back({{"component_number", stream.component_number},
                           {"from_ue", key_json(stream.spec.from_ue, reveal)},
                           {"to_ue", to_ue}});
    }
    json messages = json::array();
    for (const auto& m : s->messages) {
        api::KeySpec psk;  // fingerprinted like a master key with no salt
        psk.master_key = m.psk;
        json k = {{"component_number", m.component_number},
                  {"psk_identity", m.psk_identity},
                  {"psk_fingerprint", key_fingerprint(psk)}};
        api::wipe_bytes(psk.master_key);
        if (reveal) k["psk"] = hex(m.psk);
        messages.push_back(std::move(k));
    }
    return cli::Response::success(
        {{"session_id", s->session_id}, {"revealed", reveal}, {"streams", streams}, {"msrp", messages}});
}

cli::Response ControldCli::stats() {
    json dataplane = {{"connected", manager_.dataplane_connected()}, {"sessions", 0},
                      {"workers", json::array()}, {"ports", json::array()}};
    if (manager_.dataplane_connected()) {
        auto counters = manager_.dataplane_counters();
        if (counters.ok()) {
            dataplane["sessions"] = counters.value.session_count;
            for (const auto& w : counters.value.workers) {
                dataplane["workers"].push_back({{"lcore", w.lcore},
                                                {"rx_packets", w.rx_packets},
                                                {"tx_packets", w.tx_packets},
                                                {"drops_overload", w.drops_overload},
                                                {"drops_no_session", w.drops_no_session},
                                                {"drops_malformed", w.drops_malformed}});
            }
            for (const auto& p : counters.value.ports) {
                dataplane["ports"].push_back({{"port_id", p.port_id},
                                              {"name", p.name},
                                              {"link_up", p.link_up},
                                              {"rx_packets", p.rx_packets},
                                              {"tx_packets", p.tx_packets},
                                              {"rx_missed", p.rx_missed},
                                              {"rx_errors", p.rx_errors},
                                              {"tx_errors", p.tx_errors}});
            }
        }
    }
    json messages = json::array();
    const auto& counters = node_.counters().messages;
    for (size_t i = 0; i < std::size(diameter::kCommands); ++i) {
        const auto& cmd = diameter::kCommands[i];
        messages.push_back({{"command", std::string(cmd.request_abbrev)},
                            {"received", counters[i].received},
                            {"sent", counters[i].sent},
                            {"errors", counters[i].errors}});
    }
    json msrp = nullptr;
    if (const MsrpLink* link = rx_.msrp())
        msrp = {{"in_sync", link->in_sync()}, {"failures", link->failures()}, {"last_error", link->last_error()}};
    return cli::Response::success({{"sessions", manager_.size()},
                                   {"dataplane", dataplane},
                                   {"msrp", msrp},
                                   {"diameter", {{"messages", messages}}},
                                   {"store", {{"path", store_path_}, {"sessions", manager_.size()}}}});
}

cli::Response ControldCli::peers() {
    const int64_t now = EventLoop::now_ms();
    json list = json::array();
    for (const auto& p : node_.peer_status()) {
        uint64_t received = 0, sent = 0;
        for (const auto& m : p.messages) {
            received += m.received;
            sent += m.sent;
        }
        json peer = {{"identity", p.identity},
                     {"realm", p.realm},
                     {"address", p.address},
                     {"state", std::string(diameter::peer_state_name(p.state))},
                     {"received", received},
                     {"sent", sent}};
        peer["connected_for_ms"] = p.open_since_ms ? json(now - *p.open_since_ms) : json(nullptr);
        peer["last_watchdog_ms_ago"] = p.last_watchdog_ms ? json(now - *p.last_watchdog_ms) : json(nullptr);
        list.push_back(std::move(peer));
    }
    return cli::Response::success({{"peers", list}});
}

cli::Response ControldCli::remove(const std::string& id) {
    const sessions::ControlSession* s = manager_.find(id);
    if (!s) return not_found(id);
    sessions::ControlSession last = *s;
    auto removed = manager_.remove(id);
    if (!removed.ok()) return cli::Response::failure(cli::ResultCode::internal, sessions::to_string(removed.status));
    const auto committed = manager_.commit();
    if (!committed.ok()) return cli::Response::failure(cli::ResultCode::internal, sessions::to_string(committed));
    rx_.on_session_removed(last, rx::EventCause::operator_removed);
    sessions::wipe_keys(last);
    return cli::Response::success({{"session_id", id}, {"removed", true}});
}

}  // namespace msf::controld
