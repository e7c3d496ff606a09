#include "controlplane/sessions/manager.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <unordered_set>

namespace msf::sessions {

std::string_view error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::none: return "ok";
        case ErrorKind::already_exists: return "already_exists";
        case ErrorKind::not_found: return "not_found";
        case ErrorKind::invalid: return "invalid";
        case ErrorKind::no_ports: return "no_ports";
        case ErrorKind::too_many_sessions: return "too_many_sessions";
        case ErrorKind::dataplane_refused: return "dataplane_refused";
        case ErrorKind::dataplane_unavailable: return "dataplane_unavailable";
        case ErrorKind::store_failed: return "store_failed";
    }
    return "unknown";
}

std::string to_string(const Status& status) {
    std::string text(error_kind_name(status.kind));
    if (!status.message.empty()) text += ": " + status.message;
    return text;
}

namespace {

int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const char* side_name(api::Side side) { return side == api::Side::access ? "access" : "core"; }

const char* family_name(net::Family family) {
    return family == net::Family::ipv4 ? "IPv4" : family == net::Family::ipv6 ? "IPv6" : "no";
}

// 0.0.0.0 or ::: "any address of this family".
bool is_unspecified(const net::IpAddr& addr) {
    if (addr.empty()) return false;
    for (size_t i = 0; i < addr.size(); ++i)
        if (addr.bytes[i] != 0) return false;
    return true;
}

api::LegSpec& leg_of(api::SessionSpec& spec, api::Side side) {
    return side == api::Side::access ? spec.access : spec.core;
}
const api::LegSpec& leg_of(const api::SessionSpec& spec, api::Side side) {
    return side == api::Side::access ? spec.access : spec.core;
}

// What the dataplane reports of a spec: everything but master keys and salts.
api::SessionSpec without_keys(const api::SessionSpec& spec) {
    api::SessionSpec copy = spec;
    api::wipe_keys(copy);
    return copy;
}

// The dataplane cannot move a stream to other local ports or change its rtcp-mux.
bool same_local_ports(const api::SessionSpec& a, const api::SessionSpec& b) {
    return a.access.local == b.access.local && a.core.local == b.core.local &&
           a.access.rtcp_mux == b.access.rtcp_mux && a.core.rtcp_mux == b.core.rtcp_mux;
}

bool master_keys_differ(const api::SessionSpec& a, const api::SessionSpec& b) {
    return a.from_ue.master_key != b.from_ue.master_key || a.from_ue.master_salt != b.from_ue.master_salt ||
           a.to_ue.master_key != b.to_ue.master_key || a.to_ue.master_salt != b.to_ue.master_salt;
}

std::string component_text(uint32_t component) { return "component " + std::to_string(component); }

// Wipes the keys of a session a request took by value, whatever way the request ends.
struct KeyWipe {
    ControlSession& session;
    ~KeyWipe() { wipe_keys(session); }
};

Status invalid(std::string message) { return Status::failure(ErrorKind::invalid, std::move(message)); }

}  // namespace

// ---- Construction and restore ----

std::unique_ptr<SessionManager> SessionManager::open(const ManagerOptions& options, std::string* error) {
    std::unique_ptr<SessionManager> manager(new SessionManager(options));
    if (options.access_ports.empty() || options.core_ports.empty()) {
        *error = std::string("no ") + (options.access_ports.empty() ? "access" : "core") +
                 " media port range configured";
        return nullptr;
    }
    for (const PortRange& range : options.access_ports)
        if (!manager->access_.add_address(range.address, range.port_min, range.port_max, error)) {
            *error = "access: " + *error;
            return nullptr;
        }
    for (const PortRange& range : options.core_ports)
        if (!manager->core_.add_address(range.address, range.port_min, range.port_max, error)) {
            *error = "core: " + *error;
            return nullptr;
        }
    if (options.max_sessions == 0) {
        *error = "max-sessions must be at least 1";
        return nullptr;
    }
    manager->store_ = Store::open(options.store, error);
    if (!manager->store_) return nullptr;
    return manager;
}

SessionManager::~SessionManager() {
    for (auto& [id, entry] : sessions_) wipe_keys(entry.session);
}

Outcome<RestoreReport> SessionManager::restore() {
    if (restored_) return {invalid("restore() runs once, before any request")};
    restored_ = true;
    std::vector<StoredSession> stored;
    if (StoreStatus s = store_->load_all(&stored); !s.ok()) return {Status::failure(ErrorKind::store_failed, s.error)};

    RestoreReport report;
    uint64_t max_id = 0;
    for (StoredSession& s : stored) {
        KeyWipe wipe{s.session};
        std::string problem;
        std::vector<Claim> claims;
        std::unordered_set<uint64_t> ids;
        for (const MediaStream& stream : s.session.streams) {
            const uint64_t id = stream.spec.id;
            if (id == 0 || by_dataplane_id_.count(id) || !ids.insert(id).second) {
                problem = "dataplane id " + std::to_string(id) + " is used twice";
                break;
            }
            for (api::Side side : {api::Side::access, api::Side::core}) {
                const net::Endpoint& local = leg_of(stream.spec, side).local;
                // Ports outside the configured ranges (the configuration changed) stay with their
                // stream, unmanaged; only a collision means the store cannot be right.
                const PortAllocator::Reserve r = allocator(side).reserve(local.addr, local.port);
                if (r == PortAllocator::Reserve::ok)
                    claims.push_back({side, local.addr, local.port});
                else if (r == PortAllocator::Reserve::taken)
                    problem = std::string(side_name(side)) + " port " + local.to_string() + " is used twice";
            }
            if (!problem.empty()) break;
        }
        if (!problem.empty()) {
            release(claims);
            report.dropped.push_back("session '" + s.session.session_id + "': " + problem);
            if (StoreStatus st = store_->remove(s.session.session_id); !st.ok())
                return {Status::failure(ErrorKind::store_failed, st.error)};
            continue;
        }
        for (const MediaStream& stream : s.session.streams) max_id = std::max(max_id, stream.spec.id);
        report.sessions += 1;
        report.streams += s.session.streams.size();
        const std::string key = s.session.session_id;
        auto [it, inserted] = sessions_.emplace(key, Entry{std::move(s.session), s.keys_unconfirmed});
        index(it->second);
    }
    // Never hand out an id the store or an uncommitted pre-crash install may have used.
    next_id_ = std::max(store_->next_dataplane_id(), max_id + 1);
    id_limit_ = next_id_;
    if (StoreStatus s = store_->commit(); !s.ok()) return {Status::failure(ErrorKind::store_failed, s.error)};
    return {{}, std::move(report)};
}

// ---- Helpers ----

Status SessionManager::take_dataplane_id(uint64_t* id) {
    if (next_id_ >= id_limit_) {
        // The block is committed before any of its ids reaches the dataplane: after a crash, ids
        // of installs that were never committed are not handed out again (their leftovers in the
        // dataplane could otherwise pass for the new stream).
        const uint64_t limit = next_id_ + kIdBlock;
        StoreStatus s = store_->set_next_dataplane_id(limit);
        if (s.ok()) s = store_->commit();
        if (!s.ok()) return Status::failure(ErrorKind::store_failed, s.error);
        id_limit_ = limit;
    }
    *id = next_id_++;
    return {};
}

Status SessionManager::check_streams(ControlSession& session) const {
    if (session.streams.empty()) return invalid("session '" + session.session_id + "' has no media components");
    if (session.streams.size() > kMaxStreams)
        return invalid("session '" + session.session_id + "' has " + std::to_string(session.streams.size()) +
                       " media components, more than " + std::to_string(kMaxStreams));
    std::sort(session.streams.begin(), session.streams.end(),
              [](const MediaStream& a, const MediaStream& b) { return a.component_number < b.component_number; });
    for (size_t i = 0; i < session.streams.size(); ++i) {
        const MediaStream& stream = session.streams[i];
        if (i > 0 && session.streams[i - 1].component_number == stream.component_number)
            return invalid("Media-Component-Number " + std::to_string(stream.component_number) + " appears twice");
        if (stream.media_type.size() > kMaxMediaTypeLen)
            return invalid(component_text(stream.component_number) + ": media type longer than " +
                           std::to_string(kMaxMediaTypeLen) + " bytes");
    }
    return {};
}

Status SessionManager::place_leg(api::Side side, uint32_t component, api::LegSpec& leg, std::vector<Claim>& claims) {
    PortAllocator& ports = allocator(side);
    const auto name = [&] { return component_text(component) + ": " + side_name(side) + ".local"; };  // errors only
    net::IpAddr& addr = leg.local.addr;
    if (addr.empty() || is_unspecified(addr)) {
        std::optional<net::IpAddr> chosen;
        // Addresses fill in configuration order, so sessions spread past one address's ports.
        if (!addr.empty()) chosen = ports.address_with_room(addr.family);
        else if (!leg.remote.empty()) chosen = ports.address_with_room(leg.remote.addr.family);
        else chosen = ports.address_with_room(ports.usage().front().address.family);
        if (!chosen) {
            const net::Family family = addr.empty() ? leg.remote.addr.family : addr.family;
            return invalid(name() + ": no " + std::string(side_name(side)) + " address of family " +
                           family_name(family) + " is configured");
        }
        addr = *chosen;
    }
    if (leg.local.port == 0) {
        if (!ports.has_address(addr))
            return invalid(name() + ": " + addr.to_string() +
                           " has no configured media port range; give a port or a configured address");
        const std::optional<uint16_t> port = ports.allocate(addr);
        if (!port) {
            size_t pairs = 0;
            for (const PortAllocator::Usage& u : ports.usage())
                if (u.address == addr) pairs = u.pairs;
            return Status::failure(ErrorKind::no_ports, std::string(side_name(side)) + " media ports of " +
                                                            addr.to_string() + " are exhausted (" +
                                                            std::to_string(pairs) + " pairs)");
        }
        leg.local.port = *port;
        claims.push_back({side, addr, *port});
        return {};
    }
    switch (ports.reserve(addr, leg.local.port)) {
        case PortAllocator::Reserve::ok:
            claims.push_back({side, addr, leg.local.port});
            return {};
        case PortAllocator::Reserve::taken:
            return invalid(name() + " " + leg.local.to_string() + " is in use by another stream");
        case PortAllocator::Reserve::odd_port:
            return invalid(name() + " port " + std::to_string(leg.local.port) +
                           " is odd: RTP takes an even port (RFC 3550 §11)");
        case PortAllocator::Reserve::out_of_range:
        case PortAllocator::Reserve::unknown_address:
            return {};  // not managed here: the dataplane checks that nothing else uses it
    }
    return {};
}

void SessionManager::release(const std::vector<Claim>& claims) {
    for (const Claim& c : claims) allocator(c.side).release(c.address, c.port);
}

void SessionManager::release_stream_ports(const MediaStream& stream) {
    for (api::Side side : {api::Side::access, api::Side::core}) {
        const net::Endpoint& local = leg_of(stream.spec, side).local;
        allocator(side).release(local.addr, local.port);  // false for unmanaged ports: nothing to do
    }
}

void SessionManager::index(Entry& entry) {
    for (const MediaStream& stream : entry.session.streams) by_dataplane_id_[stream.spec.id] = &entry.session;
}

void SessionManager::unindex(const Entry& entry) {
    for (const MediaStream& stream : entry.session.streams) by_dataplane_id_.erase(stream.spec.id);
}

size_t SessionManager::keys_unconfirmed_count() const {
    return static_cast<size_t>(std::count_if(sessions_.begin(), sessions_.end(),
                                             [](const auto& kv) { return kv.second.keys_unconfirmed; }));
}

// ---- The dataplane link ----

void SessionManager::drop_link(std::string why) {
    client_.close();
    reconciled_ = false;
    dataplane_error_ = std::move(why);
}

api::Result SessionManager::dataplane(api::Result result) {
    if (result.code == api::ResultCode::unavailable) drop_link(api::to_string(result));
    return result;
}

api::Result SessionManager::add_stream(const api::SessionSpec& spec) { return dataplane(client_.add_session(spec)); }
api::Result SessionManager::modify_stream(const api::SessionSpec& spec) {
    return dataplane(client_.modify_session(spec));
}

api::Result SessionManager::remove_stream(uint64_t dataplane_id) {
    api::Result r = dataplane(client_.remove_session(dataplane_id));
    if (r.code == api::ResultCode::not_found) return api::Result::success();  // gone already: what we wanted
    return r;
}

Outcome<ReconcileReport> SessionManager::connect_dataplane() {
    settle_install();
    if (client_.connected()) {
        // Alive? An empty page of the session list is the cheapest request there is.
        api::Response<api::SessionListReply> ping = client_.list_sessions(UINT64_MAX, 1);
        dataplane(ping.status);
        if (client_.connected()) return reconciled_ ? Outcome<ReconcileReport>{} : reconcile();
    }
    api::Result r = client_.connect(options_.dataplane_socket);
    if (r.ok()) r = client_.hello(options_.client_name);
    if (!r.ok()) {
        drop_link(api::to_string(r));
        return {Status::failure(ErrorKind::dataplane_unavailable,
                                "msf-dataplane at " + options_.dataplane_socket + ": " + api::to_string(r))};
    }
    dataplane_error_.clear();
    return reconcile();
}

api::Response<api::CountersReply> SessionManager::dataplane_counters() {
    settle_install();
    if (!client_.connected())
        return {api::Result::failure(api::ResultCode::unavailable, "not connected to msf-dataplane"), {}};
    api::Response<api::CountersReply> reply = client_.counters();
    dataplane(reply.status);
    return reply;
}

api::Response<api::SessionInfo> SessionManager::dataplane_session(uint64_t dataplane_id) {
    settle_install();
    if (!client_.connected())
        return {api::Result::failure(api::ResultCode::unavailable, "not connected to msf-dataplane"), {}};
    api::Response<api::SessionInfo> reply = client_.get_session(dataplane_id);
    if (reply.status.code != api::ResultCode::not_found) dataplane(reply.status);
    return reply;
}

api::Response<std::vector<api::SessionInfo>> SessionManager::dataplane_sessions() {
    settle_install();
    if (!client_.connected())
        return {api::Result::failure(api::ResultCode::unavailable, "not connected to msf-dataplane"), {}};
    api::Response<std::vector<api::SessionInfo>> reply = client_.list_all();
    dataplane(reply.status);
    return reply;
}

Outcome<ReconcileReport> SessionManager::reconcile() {
    settle_install();
    // With nothing restored, reconciling would empty the dataplane.
    if (!restored_) return {invalid("reconcile before restore() would remove every session from the dataplane")};
    const auto unavailable = [this](std::string what) {
        return Outcome<ReconcileReport>{
            Status::failure(ErrorKind::dataplane_unavailable, what + ": " + dataplane_error_)};
    };
    if (!client_.connected()) return unavailable("not connected to msf-dataplane");
    api::Response<std::vector<api::SessionInfo>> listed = client_.list_all();
    dataplane(listed.status);
    if (!client_.connected()) return unavailable("listing the dataplane's sessions");
    if (!listed.ok())
        return {Status::failure(ErrorKind::dataplane_refused, "list sessions: " + api::to_string(listed.status))};

    ReconcileReport report;
    const auto note_failure = [&report](std::string what) {
        ++report.failed;
        if (report.failures.size() < kMaxReportedFailures) report.failures.push_back(std::move(what));
    };

    // 1. What the store lacks goes, first, so that its ports are free for what comes.
    std::unordered_map<uint64_t, const api::SessionInfo*> installed;
    for (const api::SessionInfo& info : listed.value) {
        if (by_dataplane_id_.count(info.spec.id)) {
            installed.emplace(info.spec.id, &info);
            continue;
        }
        const api::Result r = remove_stream(info.spec.id);
        if (!client_.connected()) return unavailable("removing stream " + std::to_string(info.spec.id));
        if (r.ok()) ++report.removed;
        else note_failure("remove of unknown stream " + std::to_string(info.spec.id) + ": " + api::to_string(r));
    }

    // 2. Decide per stream; moved streams leave their old ports before anything is added.
    struct Work {
        Entry* entry;
        const MediaStream* stream;
        enum Action : uint8_t { add, modify, replace } action;
    };
    std::vector<Work> work;
    for (auto& [session_id, entry] : sessions_) {
        for (const MediaStream& stream : entry.session.streams) {
            const auto found = installed.find(stream.spec.id);
            if (found == installed.end()) {
                work.push_back({&entry, &stream, Work::add});
                continue;
            }
            const api::SessionSpec& there = found->second->spec;
            const api::SessionSpec mine = without_keys(stream.spec);
            if (mine == there && !entry.keys_unconfirmed) {
                ++report.unchanged;
            } else {
                work.push_back({&entry, &stream, same_local_ports(mine, there) ? Work::modify : Work::replace});
            }
        }
    }
    std::unordered_set<const Entry*> failed_entries;
    std::vector<bool> work_failed(work.size(), false);
    const auto failed = [&](const Work& w, const api::Result& r) {
        failed_entries.insert(w.entry);
        note_failure("session '" + w.entry->session.session_id + "' " + component_text(w.stream->component_number) +
                     " (stream " + std::to_string(w.stream->spec.id) + "): " + api::to_string(r));
    };
    for (Work::Action pass : {Work::replace, Work::modify, Work::add}) {
        for (size_t k = 0; k < work.size(); ++k) {
            const Work& w = work[k];
            // A replacement is a removal in the first pass and an addition in the last.
            if (work_failed[k] || (w.action != pass && !(pass == Work::add && w.action == Work::replace))) continue;
            api::Result r;
            if (pass == Work::replace) r = remove_stream(w.stream->spec.id);
            else if (pass == Work::modify) r = modify_stream(w.stream->spec);
            else r = add_stream(w.stream->spec);
            if (!client_.connected()) return unavailable("reconciling stream " + std::to_string(w.stream->spec.id));
            if (!r.ok()) {
                work_failed[k] = true;
                failed(w, r);
                continue;
            }
            if (pass == Work::modify) ++report.modified;
            else if (pass == Work::add) ++(w.action == Work::add ? report.added : report.modified);
        }
    }

    for (const Entry* entry : failed_entries) report.unrestorable_sessions.push_back(entry->session.session_id);
    std::sort(report.unrestorable_sessions.begin(), report.unrestorable_sessions.end());

    // 3. Keys are confirmed where every stream of the session went through.
    for (auto& [session_id, entry] : sessions_) {
        if (!entry.keys_unconfirmed || failed_entries.count(&entry)) continue;
        if (StoreStatus s = store_->put(entry.session, false); !s.ok()) {
            note_failure(s.error);
            continue;
        }
        entry.keys_unconfirmed = false;
    }
    if (StoreStatus s = store_->commit(); !s.ok()) note_failure(s.error);
    reconciled_ = true;
    return {{}, std::move(report)};
}

// ---- Requests ----

Status SessionManager::commit() {
    if (StoreStatus s = store_->commit(); !s.ok()) return Status::failure(ErrorKind::store_failed, s.error);
    return {};
}

const ControlSession* SessionManager::find(std::string_view session_id) const {
    const auto it = sessions_.find(session_id);
    return it == sessions_.end() ? nullptr : &it->second.session;
}

const ControlSession* SessionManager::find_by_dataplane_id(uint64_t dataplane_id) const {
    const auto it = by_dataplane_id_.find(dataplane_id);
    return it == by_dataplane_id_.end() ? nullptr : it->second;
}

std::vector<const ControlSession*> SessionManager::list(std::string_view after, size_t max_count) const {
    std::vector<const ControlSession*> out;
    for (auto it = after.empty() ? sessions_.begin() : sessions_.upper_bound(after);
         it != sessions_.end() && out.size() < max_count; ++it)
        out.push_back(&it->second.session);
    return out;
}

Status SessionManager::prepare_install(ControlSession& session, size_t batched, std::vector<Claim>& claims) {
    if (!restored_) return invalid("the session manager has not restored its store yet");
    if (session.session_id.empty()) return invalid("the Session-Id is empty");
    if (sessions_.count(session.session_id))
        return Status::failure(ErrorKind::already_exists, "session '" + session.session_id + "' is installed");
    if (sessions_.size() + batched >= options_.max_sessions)
        return Status::failure(ErrorKind::too_many_sessions, std::to_string(sessions_.size() + batched) +
                                                                 " sessions are installed, the configured maximum");
    if (Status s = check_streams(session); !s.ok()) return s;
    for (MediaStream& stream : session.streams) {
        Status s = take_dataplane_id(&stream.spec.id);
        if (s.ok()) s = place_leg(api::Side::access, stream.component_number, stream.spec.access, claims);
        if (s.ok()) s = place_leg(api::Side::core, stream.component_number, stream.spec.core, claims);
        if (s.ok())
            if (api::Result r = api::validate_session_spec(stream.spec); !r.ok())
                s = invalid(component_text(stream.component_number) + ": " + r.message);
        if (!s.ok()) {
            release(claims);
            return s;
        }
    }
    session.created_unix_ms = session.updated_unix_ms = now_unix_ms();
    if (StoreStatus s = store_->put(session); !s.ok()) {
        release(claims);
        return Status::failure(ErrorKind::store_failed, s.error);
    }
    return {};
}

Outcome<const ControlSession*> SessionManager::install(ControlSession session) {
    std::vector<ControlSession> one;
    one.push_back(std::move(session));
    return std::move(install_batch(std::move(one)).front());
}

std::vector<Outcome<const ControlSession*>> SessionManager::install_batch(std::vector<ControlSession> sessions) {
    const size_t count = sessions.size();
    if (Status s = start_install_batch(std::move(sessions)); !s.ok())
        return std::vector<Outcome<const ControlSession*>>(count, Outcome<const ControlSession*>{s, nullptr});
    return finish_install_batch();
}

SessionManager::InstallInFlight::~InstallInFlight() {
    for (ControlSession& s : sessions) wipe_keys(s);
}

Status SessionManager::start_install_batch(std::vector<ControlSession> sessions) {
    if (in_flight_) {
        for (ControlSession& s : sessions) wipe_keys(s);
        return invalid("an install batch of " + std::to_string(in_flight_->out.size()) +
                       " sessions is in flight; finish it first");
    }
    in_flight_ = std::make_unique<InstallInFlight>();
    InstallInFlight& batch = *in_flight_;
    batch.sessions = std::move(sessions);
    std::vector<ControlSession>& batched = batch.sessions;
    batch.out.resize(batched.size());

    // 1. Checks, ids, ports and the store, session by session.
    std::vector<InstallInFlight::Prepared>& prepared = batch.prepared;
    prepared.reserve(batched.size());
    std::unordered_set<std::string_view> in_batch;
    in_batch.reserve(batched.size());
    for (size_t i = 0; i < batched.size(); ++i) {
        if (!in_batch.insert(batched[i].session_id).second) {
            batch.out[i].status = Status::failure(ErrorKind::already_exists,
                                                  "session '" + batched[i].session_id + "' is installed");
            continue;
        }
        std::vector<Claim> claims;
        claims.reserve(2 * batched[i].streams.size());  // an access and a core port per stream
        batch.out[i].status = prepare_install(batched[i], prepared.size(), claims);
        if (batch.out[i].ok()) prepared.push_back({i, std::move(claims), 0, {}, 0});
    }

    // 2. Every stream in one pipelined exchange, answered in finish_install_batch.
    if (client_.connected() && !prepared.empty()) {
        // The specs are lent to the exchange and moved back: no copy of the keys to make and wipe.
        std::vector<api::SessionSpec> specs;
        for (const InstallInFlight::Prepared& p : prepared) batch.streams += batched[p.index].streams.size();
        specs.reserve(batch.streams);
        for (InstallInFlight::Prepared& p : prepared) {
            p.first_stream = specs.size();
            for (MediaStream& stream : batched[p.index].streams) specs.push_back(std::move(stream.spec));
        }
        batch.send_failure = client_.send_add_sessions(specs);
        batch.sent = true;
        for (const InstallInFlight::Prepared& p : prepared) {
            std::vector<MediaStream>& streams = batched[p.index].streams;
            for (size_t k = 0; k < streams.size(); ++k) streams[k].spec = std::move(specs[p.first_stream + k]);
        }
    }
    return {};
}

bool SessionManager::install_answered() {
    if (!in_flight_ || in_flight_->finished || !in_flight_->sent) return true;
    return client_.in_flight_answered();
}

std::vector<Outcome<const ControlSession*>> SessionManager::finish_install_batch() {
    if (!in_flight_) return {};
    std::unique_ptr<InstallInFlight> batch = std::move(in_flight_);
    if (!batch->finished) {
        complete_install(*batch);
        return std::move(batch->out);
    }
    // Settled by an earlier request: a session it removed meanwhile is no longer installed.
    for (size_t i = 0; i < batch->out.size(); ++i) {
        Outcome<const ControlSession*>& outcome = batch->out[i];
        if (!outcome.ok()) continue;
        outcome.value = find(batch->finished_ids[i]);
        if (!outcome.value)
            outcome.status = Status::failure(ErrorKind::not_found, "session '" + batch->finished_ids[i] +
                                                                       "' was removed before its install was answered");
    }
    return std::move(batch->out);
}

void SessionManager::settle_install() {
    if (!in_flight_ || in_flight_->finished) return;
    complete_install(*in_flight_);
    in_flight_->finished_ids.resize(in_flight_->out.size());
    for (size_t i = 0; i < in_flight_->out.size(); ++i)
        if (in_flight_->out[i].ok()) in_flight_->finished_ids[i] = in_flight_->out[i].value->session_id;
    in_flight_->finished = true;
}

void SessionManager::complete_install(InstallInFlight& batch) {
    std::vector<ControlSession>& sessions = batch.sessions;
    std::vector<InstallInFlight::Prepared>& prepared = batch.prepared;
    // 2. (continued) The answers. Refused: the session is undone below. Link lost: the store
    // has the sessions and reconcile installs the rest.
    if (batch.sent) {
        std::vector<api::Result> added = batch.send_failure.ok() ? client_.collect_add_sessions()
                                                                 : std::vector<api::Result>{};
        if (added.size() != batch.streams) added.assign(batch.streams, batch.send_failure);
        std::vector<uint64_t> undo;
        for (InstallInFlight::Prepared& p : prepared) {
            const std::vector<MediaStream>& streams = sessions[p.index].streams;
            for (size_t k = 0; k < streams.size(); ++k) {
                const api::Result& r = added[p.first_stream + k];
                dataplane(r);
                if (r.ok() || r.code == api::ResultCode::unavailable || !p.refused.ok()) continue;
                p.refused = r;
                p.refused_component = streams[k].component_number;
            }
            if (p.refused.ok()) continue;
            for (size_t k = 0; k < streams.size(); ++k)
                if (added[p.first_stream + k].ok()) undo.push_back(streams[k].spec.id);
        }
        if (!undo.empty() && client_.connected()) {
            for (const api::Result& r : client_.remove_sessions(undo)) {
                dataplane(r);
                if (!r.ok() && r.code != api::ResultCode::not_found && client_.connected())
                    drop_link("undoing a refused install failed; reconcile on reconnect");
            }
        }
    }

    // 3. The refused go, the rest is installed.
    for (InstallInFlight::Prepared& p : prepared) {
        ControlSession& session = sessions[p.index];
        if (!p.refused.ok()) {
            std::string message = component_text(p.refused_component) + ": " + api::to_string(p.refused);
            if (StoreStatus s = store_->remove(session.session_id); !s.ok()) message += " (" + s.error + ")";
            release(p.claims);
            batch.out[p.index].status = Status::failure(ErrorKind::dataplane_refused, std::move(message));
            continue;
        }
        std::string key = session.session_id;
        auto [it, inserted] = sessions_.emplace(std::move(key), Entry{std::move(session), false});
        index(it->second);
        batch.out[p.index].value = &it->second.session;
    }
}

Outcome<const ControlSession*> SessionManager::update(ControlSession desired) {
    KeyWipe wipe{desired};
    settle_install();
    if (!restored_) return {invalid("the session manager has not restored its store yet")};
    const auto found = sessions_.find(desired.session_id);
    if (found == sessions_.end())
        return {Status::failure(ErrorKind::not_found, "no session '" + desired.session_id + "'")};
    Entry& entry = found->second;
    const ControlSession& old = entry.session;
    if (Status s = check_streams(desired); !s.ok()) return {s};
    if (desired.peer.empty()) desired.peer = old.peer;
    if (desired.realm.empty()) desired.realm = old.realm;
    desired.created_unix_ms = old.created_unix_ms;
    desired.updated_unix_ms = now_unix_ms();

    // Plan, merging old and desired streams by component number (both sorted).
    enum class Action : uint8_t { keep, modify, replace, add, remove };
    struct Step {
        Action action;
        const MediaStream* before;  // nullptr for add
        const MediaStream* after;   // nullptr for remove
    };
    std::vector<Step> steps;
    std::vector<Claim> claims;
    bool rekey = false;
    const auto refuse = [&](Status s) {
        release(claims);
        return Outcome<const ControlSession*>{std::move(s)};
    };
    for (size_t i = 0, j = 0; i < old.streams.size() || j < desired.streams.size();) {
        if (j == desired.streams.size() ||
            (i < old.streams.size() && old.streams[i].component_number < desired.streams[j].component_number)) {
            steps.push_back({Action::remove, &old.streams[i++], nullptr});
            continue;
        }
        MediaStream& next = desired.streams[j++];
        if (i == old.streams.size() || next.component_number < old.streams[i].component_number) {
            Status s = take_dataplane_id(&next.spec.id);
            if (s.ok()) s = place_leg(api::Side::access, next.component_number, next.spec.access, claims);
            if (s.ok()) s = place_leg(api::Side::core, next.component_number, next.spec.core, claims);
            if (!s.ok()) return refuse(s);
            steps.push_back({Action::add, nullptr, &next});
        } else {
            const MediaStream& prev = old.streams[i++];
            next.spec.id = prev.spec.id;
            bool moved = false;
            for (api::Side side : {api::Side::access, api::Side::core}) {
                api::LegSpec& leg = leg_of(next.spec, side);
                const api::LegSpec& was = leg_of(prev.spec, side);
                // Port 0 (or the same port) on no address, the same family or the same address:
                // the stream stays where it is.
                const bool same_address =
                    leg.local.addr.empty() || leg.local.addr == was.local.addr ||
                    (is_unspecified(leg.local.addr) && leg.local.addr.family == was.local.addr.family);
                const bool keep_port = same_address && (leg.local.port == 0 || leg.local.port == was.local.port);
                if (keep_port) {
                    leg.local = was.local;
                } else if (leg.local != was.local) {
                    if (Status s = place_leg(side, next.component_number, leg, claims); !s.ok()) return refuse(s);
                    moved = true;
                }
                moved = moved || leg.rtcp_mux != was.rtcp_mux;
            }
            if (moved) steps.push_back({Action::replace, &prev, &next});
            else if (next.spec == prev.spec) steps.push_back({Action::keep, &prev, &next});
            else {
                steps.push_back({Action::modify, &prev, &next});
                rekey = rekey || master_keys_differ(prev.spec, next.spec);
            }
        }
        if (api::Result r = api::validate_session_spec(next.spec); !r.ok())
            return refuse(invalid(component_text(next.component_number) + ": " + r.message));
    }

    // Persist. A re-key is marked unconfirmed, and the mark committed, before the dataplane sees
    // the new keys: the dataplane cannot tell reconcile which keys it holds.
    const bool was_unconfirmed = entry.keys_unconfirmed;
    const bool connected = client_.connected();
    if (StoreStatus s = store_->put(desired, was_unconfirmed || rekey); !s.ok())
        return refuse(Status::failure(ErrorKind::store_failed, s.error));
    if (connected && rekey) {
        if (StoreStatus s = store_->commit(); !s.ok()) {
            store_->put(old, was_unconfirmed);
            return refuse(Status::failure(ErrorKind::store_failed, s.error));
        }
    }

    // Dataplane: adds, modifies and replacements, undone in reverse if one is refused.
    struct Done {
        const Step* step;
        bool old_removed_only;  // a replacement whose new stream was not added
    };
    std::vector<Done> done;
    api::Result refused;
    const Step* refused_step = nullptr;
    for (const Step& step : steps) {
        if (!client_.connected() || step.action == Action::keep || step.action == Action::remove) continue;
        api::Result r;
        if (step.action == Action::add) {
            r = add_stream(step.after->spec);
        } else if (step.action == Action::modify) {
            r = modify_stream(step.after->spec);
        } else {
            r = remove_stream(step.before->spec.id);
            if (r.ok()) {
                r = add_stream(step.after->spec);
                if (!r.ok()) done.push_back({&step, true});
            }
        }
        if (r.ok()) {
            done.push_back({&step, false});
        } else if (client_.connected()) {
            refused = r;
            refused_step = &step;
            break;
        }
    }
    if (refused_step) {
        bool undone = true;
        for (auto it = done.rbegin(); it != done.rend() && client_.connected(); ++it) {
            const Step& step = *it->step;
            api::Result r;
            if (step.action == Action::add) {
                r = remove_stream(step.after->spec.id);
            } else if (step.action == Action::modify) {
                r = modify_stream(step.before->spec);
            } else {
                if (!it->old_removed_only) r = remove_stream(step.after->spec.id);
                if (r.ok()) r = add_stream(step.before->spec);
            }
            undone = undone && r.ok();
        }
        undone = undone && client_.connected();
        if (!undone) drop_link("undoing a refused update failed; reconcile on reconnect");
        entry.keys_unconfirmed = was_unconfirmed || rekey || !undone;
        std::string message = component_text(refused_step->after->component_number) + ": " + api::to_string(refused);
        if (StoreStatus s = store_->put(old, entry.keys_unconfirmed); !s.ok()) message += " (" + s.error + ")";
        release(claims);
        return {Status::failure(ErrorKind::dataplane_refused, std::move(message))};
    }

    // Removals last: they cannot be undone without losing the stream's SRTP state.
    for (const Step& step : steps) {
        if (step.action != Action::remove || !client_.connected()) continue;
        if (const api::Result r = remove_stream(step.before->spec.id); !r.ok() && client_.connected())
            drop_link("remove of stream " + std::to_string(step.before->spec.id) + " failed (" + api::to_string(r) +
                      "); reconcile on reconnect");
    }

    // The dataplane has the new keys if the link held throughout; otherwise reconcile re-sends them.
    const bool unconfirmed = was_unconfirmed || (rekey && !(connected && client_.connected()));
    if (unconfirmed != (was_unconfirmed || rekey)) store_->put(desired, unconfirmed);

    for (const Step& step : steps) {
        if (step.action == Action::remove) {
            release_stream_ports(*step.before);
        } else if (step.action == Action::replace) {
            for (api::Side side : {api::Side::access, api::Side::core}) {
                const net::Endpoint& was = leg_of(step.before->spec, side).local;
                if (was != leg_of(step.after->spec, side).local) allocator(side).release(was.addr, was.port);
            }
        }
    }
    unindex(entry);
    wipe_keys(entry.session);
    entry.session = std::move(desired);
    entry.keys_unconfirmed = unconfirmed;
    index(entry);
    return {{}, &entry.session};
}

Outcome<std::vector<StreamCounters>> SessionManager::remove(std::string_view session_id) {
    const std::string id(session_id);
    return std::move(remove_batch(std::span<const std::string>(&id, 1)).front());
}

std::vector<Outcome<std::vector<StreamCounters>>> SessionManager::remove_batch(std::span<const std::string> session_ids) {
    settle_install();
    std::vector<Outcome<std::vector<StreamCounters>>> out(session_ids.size());
    // 1. The store first: if it fails nothing has changed for that session; if the process dies
    // before the commit, reconcile puts the streams back, as the P-CSCF was not answered.
    std::vector<std::pair<size_t, std::map<std::string, Entry, std::less<>>::iterator>> removing;
    std::unordered_set<std::string_view> in_batch;
    for (size_t i = 0; i < session_ids.size(); ++i) {
        const std::string& session_id = session_ids[i];
        const auto found = sessions_.find(session_id);
        if (!restored_) {
            out[i].status = invalid("the session manager has not restored its store yet");
        } else if (found == sessions_.end() || !in_batch.insert(session_id).second) {
            out[i].status = Status::failure(ErrorKind::not_found, "no session '" + session_id + "'");
        } else if (StoreStatus s = store_->remove(session_id); !s.ok()) {
            out[i].status = Status::failure(ErrorKind::store_failed, s.error);
        } else {
            removing.emplace_back(i, found);
        }
    }

    // 2. Final counters of every stream in one exchange, then every removal in another: the
    // dataplane's remove answers no counters. Zero counters where the dataplane is unreachable.
    std::vector<uint64_t> streams;
    for (const auto& [i, found] : removing)
        for (const MediaStream& stream : found->second.session.streams) streams.push_back(stream.spec.id);
    std::vector<api::Response<api::SessionInfo>> infos(streams.size());
    if (client_.connected() && !streams.empty()) {
        infos = client_.get_sessions(streams);
        for (const auto& info : infos)
            if (info.status.code != api::ResultCode::not_found) dataplane(info.status);
    }
    if (client_.connected() && !streams.empty()) {
        const std::vector<api::Result> removed = client_.remove_sessions(streams);
        for (size_t k = 0; k < removed.size(); ++k) {
            const api::Result& r = dataplane(removed[k]);
            // Gone already is what we wanted.
            if (!r.ok() && r.code != api::ResultCode::not_found && client_.connected())
                drop_link("remove of stream " + std::to_string(streams[k]) + " failed (" + api::to_string(r) +
                          "); reconcile on reconnect");
        }
    }

    // 3. Memory and ports; keys are wiped.
    size_t next_info = 0;
    for (const auto& [i, found] : removing) {
        Entry& entry = found->second;
        std::vector<StreamCounters>& counters = out[i].value;
        counters.reserve(entry.session.streams.size());
        for (const MediaStream& stream : entry.session.streams) {
            StreamCounters c;
            c.component_number = stream.component_number;
            if (const api::Response<api::SessionInfo>& info = infos[next_info++]; info.ok()) {
                c.access = info.value.access;
                c.core = info.value.core;
            }
            counters.push_back(c);
            release_stream_ports(stream);
        }
        unindex(entry);
        wipe_keys(entry.session);
        sessions_.erase(found);
    }
    return out;
}

}  // namespace msf::sessions
