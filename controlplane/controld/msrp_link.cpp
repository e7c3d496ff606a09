#include "controlplane/controld/msrp_link.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace msf::controld {

namespace {

msrp::SessionSpec relay_spec(const std::string& id, const sessions::MessageStream& m) {
    msrp::SessionSpec spec;
    spec.id = id;
    spec.psk_identity = m.psk_identity;
    spec.psk = m.psk;
    spec.ue_path = m.ue_path;
    spec.core_path = m.core_path;
    spec.gw_access_path = m.gw_access_path;
    spec.gw_core_path = m.gw_core_path;
    if (!m.ue_allow.empty()) spec.ue_allow = m.ue_allow;
    return spec;
}

std::string text_member(const nlohmann::json& j, const char* name) {
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Does msf-msrpd's SESSION object say what the component says? (It never returns the PSK.)
bool matches(const nlohmann::json& held, const sessions::MessageStream& m) {
    return text_member(held, "psk_identity") == m.psk_identity && text_member(held, "ue_path") == m.ue_path &&
           text_member(held, "core_path") == m.core_path && text_member(held, "gw_access_path") == m.gw_access_path &&
           text_member(held, "gw_core_path") == m.gw_core_path && text_member(held, "ue_allow") == m.ue_allow;
}

uint64_t counter(const nlohmann::json& counters, const char* name) {
    const auto it = counters.find(name);
    return it != counters.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

}  // namespace

MsrpLink::MsrpLink(std::string socket_path, Log log, int timeout_ms)
    : client_(std::move(socket_path), timeout_ms), log_(std::move(log)) {}

std::string MsrpLink::relay_id(const std::string& session_id, uint32_t component) {
    return session_id + "#" + std::to_string(component);
}

void MsrpLink::failed(const std::string& what, const std::string& error) {
    ++failures_;
    if (in_sync_ || error != last_error_) log_("msrp: " + what + ": " + error + "; msf-msrpd is synced again later");
    in_sync_ = false;
    last_error_ = error;
}

bool MsrpLink::add(const std::string& session_id, const sessions::MessageStream& m) {
    const std::string id = relay_id(session_id, m.component_number);
    msrp::SessionSpec spec = relay_spec(id, m);
    auto added = client_.add_session(spec);
    api::wipe_bytes(spec.psk);
    if (!added.ok()) {
        failed("add " + id, added.error());
        return false;
    }
    return true;
}

bool MsrpLink::remove(const std::string& id) {
    auto removed = client_.remove_session(id);
    if (!removed.ok()) {
        failed("remove " + id, removed.error());
        return false;
    }
    return true;
}

void MsrpLink::apply(const sessions::ControlSession* before, const sessions::ControlSession* after) {
    if (!before && !after) return;
    const std::vector<sessions::MessageStream> none;
    const auto& old = before ? before->messages : none;
    const auto& now = after ? after->messages : none;
    const std::string& session_id = after ? after->session_id : before->session_id;
    // Each component that changes; while out of sync it is only noted, for sync() to replace
    // (msf-msrpd never returns a PSK, so a changed PSK could not be seen there).
    for (const sessions::MessageStream& m : old) {
        const auto kept = std::find_if(now.begin(), now.end(), [&](const sessions::MessageStream& n) {
            return n.component_number == m.component_number;
        });
        if (kept != now.end() && *kept == m) continue;
        const std::string id = relay_id(session_id, m.component_number);
        if (!in_sync_ || !remove(id)) dirty_.insert(id);
    }
    for (const sessions::MessageStream& m : now) {
        const auto was = std::find_if(old.begin(), old.end(), [&](const sessions::MessageStream& o) {
            return o.component_number == m.component_number;
        });
        if (was != old.end() && *was == m) continue;
        const std::string id = relay_id(session_id, m.component_number);
        if (!in_sync_ || !add(session_id, m)) dirty_.insert(id);
    }
}

bool MsrpLink::sync(const std::vector<const sessions::ControlSession*>& sessions) {
    if (in_sync_) {
        // A restarted msf-msrpd holds nothing: its old control connection is gone, so this
        // request fails and everything is put back right away.
        auto alive = client_.stats();
        if (alive.ok()) return true;
        failed("msf-msrpd", alive.error());
    }
    auto listed = client_.list_sessions();
    if (!listed.ok()) {
        failed("list sessions", listed.error());
        return false;
    }
    std::map<std::string, const nlohmann::json*> held;
    if (listed.value().is_array())
        for (const nlohmann::json& s : listed.value()) held.emplace(text_member(s, "session"), &s);

    std::map<std::string, std::pair<const std::string*, const sessions::MessageStream*>> wanted;
    for (const sessions::ControlSession* s : sessions)
        for (const sessions::MessageStream& m : s->messages)
            wanted.emplace(relay_id(s->session_id, m.component_number), std::pair{&s->session_id, &m});

    size_t added = 0, removed = 0, replaced = 0;
    // What msf-msrpd holds that the store has not, holds differently, or that changed while the
    // link was down goes first; live connections of everything else stay up.
    const auto current = [&](const std::string& id, const nlohmann::json* h, const sessions::MessageStream* w) {
        return h && w && matches(*h, *w) && !dirty_.count(id);
    };
    for (const auto& [id, session] : held) {
        const auto w = wanted.find(id);
        if (current(id, session, w == wanted.end() ? nullptr : w->second.second)) continue;
        in_sync_ = true;  // remove() and add() report a failure by clearing it
        if (!remove(id)) return false;
        ++(w == wanted.end() ? removed : replaced);
    }
    for (const auto& [id, want] : wanted) {
        const auto h = held.find(id);
        if (current(id, h == held.end() ? nullptr : h->second, want.second)) continue;
        in_sync_ = true;
        if (!add(*want.first, *want.second)) return false;
        if (h == held.end()) ++added;
    }
    in_sync_ = true;
    dirty_.clear();
    last_error_.clear();
    log_("msrp: msf-msrpd in sync: " + std::to_string(wanted.size()) + " MSRP components (" + std::to_string(added) +
         " added, " + std::to_string(replaced) + " replaced, " + std::to_string(removed) + " removed)");
    return true;
}

std::vector<sessions::MessageCounters> MsrpLink::counters(const sessions::ControlSession& session) {
    std::vector<sessions::MessageCounters> out;
    for (const sessions::MessageStream& m : session.messages) {
        auto got = client_.get_session(relay_id(session.session_id, m.component_number));
        if (!got.ok()) continue;
        const auto c = got.value().find("counters");
        if (c == got.value().end() || !c->is_object()) continue;
        sessions::MessageCounters mc;
        mc.component_number = m.component_number;
        mc.messages_from_ue = counter(*c, "messages_from_ue");
        mc.bytes_from_ue = counter(*c, "bytes_from_ue");
        mc.messages_to_ue = counter(*c, "messages_to_ue");
        mc.bytes_to_ue = counter(*c, "bytes_to_ue");
        mc.tls_handshake_failures = counter(*c, "tls_handshake_failures");
        mc.parse_errors = counter(*c, "parse_errors");
        mc.path_mismatch = counter(*c, "path_mismatch");
        mc.connections = counter(*c, "connections");
        mc.refused_connections = counter(*c, "refused_connections");
        out.push_back(mc);
    }
    return out;
}

}  // namespace msf::controld
