#include "dataplane/session/session_table.hpp"

#include "dataplane/srtp/hugepage_slab.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace msf::dp {

void LatchedEndpoint::pack(const net::Endpoint& ep, uint64_t* w) {
    std::memcpy(&w[0], ep.addr.bytes.data(), 8);
    std::memcpy(&w[1], ep.addr.bytes.data() + 8, 8);
    w[2] = static_cast<uint64_t>(ep.addr.family) | uint64_t{ep.port} << 8;
}

net::Endpoint LatchedEndpoint::unpack(const uint64_t* w) {
    net::Endpoint ep;
    std::memcpy(ep.addr.bytes.data(), &w[0], 8);
    std::memcpy(ep.addr.bytes.data() + 8, &w[1], 8);
    ep.addr.family = static_cast<net::Family>(w[2] & 0xff);
    ep.port = static_cast<uint16_t>(w[2] >> 8);
    return ep;
}

const char* table_error_name(TableError e) {
    switch (e) {
        case TableError::none: return "ok";
        case TableError::already_exists: return "already_exists";
        case TableError::not_found: return "not_found";
        case TableError::invalid_argument: return "invalid_argument";
        case TableError::no_space: return "no_space";
    }
    return "unknown";
}

namespace {

TableResult error(TableError e, std::string message) { return {e, std::move(message)}; }

net::Endpoint rtcp_of(const net::Endpoint& rtp, bool mux) {
    if (rtp.empty() || mux) return rtp;
    return {rtp.addr, static_cast<uint16_t>(rtp.port + 1)};
}

std::shared_ptr<srtp::Context> make_context(const api::KeySpec& k, uint32_t window,
                                            std::string* err) {
    srtp::Policy p;
    p.suite = k.suite;
    p.master_key = k.master_key;
    p.master_salt = k.master_salt;
    p.mki = k.mki;
    p.replay_window = window;
    if (k.lifetime != 0) p.rtp_lifetime = std::min(k.lifetime, srtp::kMaxRtpLifetime);
    std::shared_ptr<srtp::Context> ctx = srtp::Context::create(p, err);
    OPENSSL_cleanse(p.master_key.data(), p.master_key.size());
    OPENSSL_cleanse(p.master_salt.data(), p.master_salt.size());
    return ctx;
}


// The spec a session keeps: everything but the master keys, which live only inside contexts.
api::SessionSpec without_keys(const api::SessionSpec& spec) {
    api::SessionSpec s = spec;
    for (api::KeySpec* k : {&s.from_ue, &s.to_ue}) {
        OPENSSL_cleanse(k->master_key.data(), k->master_key.size());
        OPENSSL_cleanse(k->master_salt.data(), k->master_salt.size());
        k->master_key.clear();
        k->master_salt.clear();
    }
    return s;
}

}  // namespace

namespace {

// Never destroyed: a session held by a static object may be freed after static destructors ran.
srtp::HugePageSlab& session_slab() {
    static srtp::HugePageSlab* const slab = new srtp::HugePageSlab(sizeof(Session));
    return *slab;
}
// A flow array plus room for an array cookie, should the compiler add one.
srtp::HugePageSlab& flow_slab() {
    static srtp::HugePageSlab* const slab =
        new srtp::HugePageSlab(sizeof(FlowState) * kFlowCount + srtp::HugePageSlab::kAlign);
    return *slab;
}

}  // namespace

void* Session::operator new(std::size_t size, std::align_val_t align) { return session_slab().allocate(size, align); }
void Session::operator delete(void* p, std::align_val_t) noexcept { session_slab().deallocate(p); }
void* FlowState::operator new[](std::size_t size, std::align_val_t align) { return flow_slab().allocate(size, align); }
void FlowState::operator delete[](void* p, std::align_val_t) noexcept { flow_slab().deallocate(p); }

KeyFingerprint key_fingerprint(const api::KeySpec& k) {
    // SHA-256 over suite, lifetime, MKI, key and salt: identifies keys without revealing them.
    KeyFingerprint fp{};
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    const uint8_t head[9] = {static_cast<uint8_t>(k.suite),
                             static_cast<uint8_t>(k.lifetime >> 56), static_cast<uint8_t>(k.lifetime >> 48),
                             static_cast<uint8_t>(k.lifetime >> 40), static_cast<uint8_t>(k.lifetime >> 32),
                             static_cast<uint8_t>(k.lifetime >> 24), static_cast<uint8_t>(k.lifetime >> 16),
                             static_cast<uint8_t>(k.lifetime >> 8), static_cast<uint8_t>(k.lifetime)};
    const uint8_t lens[3] = {static_cast<uint8_t>(k.mki.size()), static_cast<uint8_t>(k.master_key.size()),
                             static_cast<uint8_t>(k.master_salt.size())};
    // Fetched once: an implicit fetch per call takes the provider store's lock every install.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    if (md && sha256 && EVP_DigestInit_ex2(md, sha256, nullptr) == 1) {
        EVP_DigestUpdate(md, head, sizeof(head));
        EVP_DigestUpdate(md, lens, sizeof(lens));
        EVP_DigestUpdate(md, k.mki.data(), k.mki.size());
        EVP_DigestUpdate(md, k.master_key.data(), k.master_key.size());
        EVP_DigestUpdate(md, k.master_salt.data(), k.master_salt.size());
        unsigned int len = 0;
        EVP_DigestFinal_ex(md, fp.data(), &len);
    }
    EVP_MD_CTX_free(md);
    return fp;
}

SessionTable::SessionTable(const TableConfig& config) : config_(config) {
    if (config_.max_sessions == 0 || config_.max_sessions >= (1u << 30))
        throw std::invalid_argument("max-sessions must be 1..2^30");
    const std::vector<net::IpAddr>* addrs[2] = {&config_.access_addresses, &config_.core_addresses};
    for (int side = 0; side < 2; ++side) {
        SideIndex& index = sides_[side];
        index.addresses = *addrs[side];
        index.build();
        if (index.addresses.empty()) continue;
        const size_t count = index.addresses.size() * 65536;
        auto* entries = static_cast<PortEntry*>(srtp::map_huge(count * sizeof(PortEntry)));
        std::uninitialized_value_construct_n(entries, count);  // all 0
        index.entries = {entries, SideIndex::Unmap{count * sizeof(PortEntry)}};
    }
    slots_.reset(new std::atomic<Session*>[config_.max_sessions]());
    free_slots_.reserve(config_.max_sessions);
    for (uint32_t i = config_.max_sessions; i > 0; --i) free_slots_.push_back(i - 1);

    const size_t bytes = rte_rcu_qsbr_get_memsize(config_.max_workers);
    qsbr_ = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
    if (!qsbr_ || rte_rcu_qsbr_init(qsbr_, config_.max_workers) != 0)
        throw std::runtime_error("RCU QSBR initialisation failed");
}

SessionTable::~SessionTable() {
    // Workers are stopped by now: everything can go.
    for (const auto& [id, slot] : by_id_) delete slots_[slot].load(std::memory_order_relaxed);
    retired_.clear();
    std::free(qsbr_);
}

void SessionTable::SideIndex::build() {
    if (addresses.size() > 32767) throw std::invalid_argument("at most 32767 addresses per side");
    uint32_t size = 8;
    while (size < 2 * addresses.size()) size *= 2;
    buckets.assign(size, 0);
    bucket_mask = size - 1;
    buckets_log2 = static_cast<uint32_t>(std::countr_zero(size));
    for (size_t a = 0; a < addresses.size(); ++a) {
        const net::IpAddr& ip = addresses[a];
        if (ip.empty()) throw std::invalid_argument("a side address without a family");
        if (find(ip.family, ip.bytes.data()) >= 0) continue;  // a duplicate: the first one serves
        uint32_t b = address_home_bucket(ip.family, ip.bytes.data(), buckets_log2);
        while (buckets[b & bucket_mask] != 0) ++b;
        buckets[b & bucket_mask] = static_cast<uint16_t>(a + 1);
    }
}

SessionTable::PortEntry* SessionTable::port_entry(api::Side side, const net::Endpoint& local) const {
    const SideIndex& s = sides_[static_cast<int>(side)];
    const int a = s.find(local.addr.family, local.addr.bytes.data());
    return a < 0 ? nullptr : &s.ports(static_cast<size_t>(a))[local.port];
}

TableResult SessionTable::validate(const api::SessionSpec& spec, bool check_ports_free) const {
    if (spec.id == 0) return error(TableError::invalid_argument, "session id 0 is reserved");
    struct LegCheck {
        const char* name;
        api::Side side;
        const api::LegSpec& leg;
        bool remote_required;
    };
    for (const LegCheck& c : {LegCheck{"access", api::Side::access, spec.access, false},
                              LegCheck{"core", api::Side::core, spec.core, true}}) {
        const std::string n = c.name;
        if (!port_entry(c.side, c.leg.local))
            return error(TableError::invalid_argument,
                         n + ".local " + c.leg.local.to_string() + " is not an address of the " + n + " side");
        const uint16_t p = c.leg.local.port;
        if (p < config_.port_min || p > config_.port_max || (!c.leg.rtcp_mux && p == config_.port_max))
            return error(TableError::invalid_argument,
                         n + ".local port " + std::to_string(p) + " is outside the media port range " +
                             std::to_string(config_.port_min) + "-" + std::to_string(config_.port_max));
        if (c.remote_required && c.leg.remote.empty())
            return error(TableError::invalid_argument, n + ".remote is required");
        if (!c.leg.remote.empty()) {
            if (c.leg.remote.addr.family != c.leg.local.addr.family)
                return error(TableError::invalid_argument,
                             n + ".remote " + c.leg.remote.to_string() + " is not of the family of " +
                                 n + ".local");
            if (c.leg.remote.port == 0 || (!c.leg.rtcp_mux && c.leg.remote.port == 65535))
                return error(TableError::invalid_argument,
                             n + ".remote port " + std::to_string(c.leg.remote.port) + " is not usable");
        }
        if (check_ports_free) {
            const net::Endpoint rtcp = rtcp_of(c.leg.local, c.leg.rtcp_mux);
            for (const net::Endpoint& ep : {c.leg.local, rtcp}) {
                if (port_entry(c.side, ep)->load(std::memory_order_relaxed) != 0)
                    return error(TableError::already_exists,
                                 n + ".local " + ep.to_string() + " is used by another session");
            }
        }
    }
    return {};
}

void SessionTable::set_ports(const Session& s, const Session* value) {
    const auto rtp = reinterpret_cast<uintptr_t>(value);
    const uintptr_t rtcp = value ? rtp | kRtcpPort : 0;
    port_entry(api::Side::access, s.access_local_rtp)->store(rtp, std::memory_order_release);
    if (!s.access_mux)
        port_entry(api::Side::access, s.access_local_rtcp)->store(rtcp, std::memory_order_release);
    port_entry(api::Side::core, s.core_local_rtp)->store(rtp, std::memory_order_release);
    if (!s.core_mux)
        port_entry(api::Side::core, s.core_local_rtcp)->store(rtcp, std::memory_order_release);
}

namespace {

std::unique_ptr<Session> build_session(const api::SessionSpec& spec, uint32_t slot) {
    auto s = std::make_unique<Session>();
    s->id = spec.id;
    s->slot = slot;
    s->spec = without_keys(spec);
    s->access_mux = spec.access.rtcp_mux;
    s->core_mux = spec.core.rtcp_mux;
    s->access_local_rtp = spec.access.local;
    s->access_local_rtcp = rtcp_of(spec.access.local, s->access_mux);
    s->core_local_rtp = spec.core.local;
    s->core_local_rtcp = rtcp_of(spec.core.local, s->core_mux);
    s->core_remote_rtp = spec.core.remote;
    s->core_remote_rtcp = rtcp_of(spec.core.remote, s->core_mux);
    s->ue_configured_rtp = spec.access.remote;
    s->ue_configured_rtcp = rtcp_of(spec.access.remote, s->access_mux);
    return s;
}

}  // namespace

TableResult SessionTable::add(const api::SessionSpec& spec, uint64_t now_ns) {
    if (by_id_.count(spec.id))
        return error(TableError::already_exists, "session " + std::to_string(spec.id) + " exists");
    if (TableResult r = validate(spec, true); !r.ok()) return r;
    if (free_slots_.empty())
        return error(TableError::no_space, "session table is full (" +
                                               std::to_string(config_.max_sessions) + " sessions)");
    std::string err;
    auto from_ue = make_context(spec.from_ue, spec.replay_window, &err);
    if (!from_ue) return error(TableError::invalid_argument, "from_ue: " + err);
    auto to_ue = make_context(spec.to_ue, spec.replay_window, &err);
    if (!to_ue) return error(TableError::invalid_argument, "to_ue: " + err);

    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    std::unique_ptr<Session> s = build_session(spec, slot);
    s->created_ns = now_ns;
    s->from_ue_fingerprint = key_fingerprint(spec.from_ue);
    s->to_ue_fingerprint = key_fingerprint(spec.to_ue);
    s->from_ue = std::move(from_ue);
    s->to_ue = std::move(to_ue);
    s->shared = std::make_shared<SessionShared>();
    s->bind();
    Session* raw = s.release();
    slots_[slot].store(raw, std::memory_order_release);
    set_ports(*raw, raw);
    by_id_.emplace(spec.id, slot);
    return {};
}

TableResult SessionTable::modify(const api::SessionSpec& spec) {
    const auto it = by_id_.find(spec.id);
    if (it == by_id_.end())
        return error(TableError::not_found, "session " + std::to_string(spec.id) + " not found");
    const uint32_t slot = it->second;
    Session* old = slots_[slot].load(std::memory_order_relaxed);
    if (spec.access.local != old->spec.access.local || spec.core.local != old->spec.core.local ||
        spec.access.rtcp_mux != old->spec.access.rtcp_mux || spec.core.rtcp_mux != old->spec.core.rtcp_mux)
        return error(TableError::invalid_argument,
                     "local endpoints and rtcp-mux cannot change; remove and add the session");
    if (TableResult r = validate(spec, false); !r.ok()) return r;

    std::unique_ptr<Session> s = build_session(spec, slot);
    s->created_ns = old->created_ns;
    s->shared = old->shared;
    // A direction whose keys and window are unchanged keeps its context, and with it the ROC
    // and replay state; any change starts a fresh context.
    std::string err;
    const bool window_same = spec.replay_window == old->spec.replay_window;
    s->from_ue_fingerprint = key_fingerprint(spec.from_ue);
    s->to_ue_fingerprint = key_fingerprint(spec.to_ue);
    if (window_same && s->from_ue_fingerprint == old->from_ue_fingerprint) {
        s->from_ue = old->from_ue;
    } else if (!(s->from_ue = make_context(spec.from_ue, spec.replay_window, &err))) {
        return error(TableError::invalid_argument, "from_ue: " + err);
    }
    if (window_same && s->to_ue_fingerprint == old->to_ue_fingerprint) {
        s->to_ue = old->to_ue;
    } else if (!(s->to_ue = make_context(spec.to_ue, spec.replay_window, &err))) {
        return error(TableError::invalid_argument, "to_ue: " + err);
    }
    s->bind();
    Session* raw = s.release();
    slots_[slot].store(raw, std::memory_order_release);
    set_ports(*raw, raw);
    retire(std::unique_ptr<Session>(old), false);
    return {};
}

TableResult SessionTable::remove(uint64_t id) {
    const auto it = by_id_.find(id);
    if (it == by_id_.end())
        return error(TableError::not_found, "session " + std::to_string(id) + " not found");
    const uint32_t slot = it->second;
    Session* s = slots_[slot].load(std::memory_order_relaxed);
    set_ports(*s, nullptr);
    slots_[slot].store(nullptr, std::memory_order_release);
    by_id_.erase(it);
    retire(std::unique_ptr<Session>(s), true);
    return {};
}

void SessionTable::retire(std::unique_ptr<Session> s, bool release_slot) {
    retired_.push_back({rte_rcu_qsbr_start(qsbr_), std::move(s), release_slot});
}

size_t SessionTable::reclaim() {
    size_t freed = 0;
    auto keep = retired_.begin();
    for (auto it = retired_.begin(); it != retired_.end(); ++it) {
        if (rte_rcu_qsbr_check(qsbr_, it->token, false) == 1) {
            if (it->release_slot) free_slots_.push_back(it->session->slot);
            it->session.reset();  // contexts no longer shared are zeroed by their destructor
            ++freed;
        } else {
            if (keep != it) *keep = std::move(*it);
            ++keep;
        }
    }
    retired_.erase(keep, retired_.end());
    return freed;
}

const Session* SessionTable::find(uint64_t id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : slots_[it->second].load(std::memory_order_relaxed);
}

namespace {

api::SessionInfo make_info(const Session& s, uint64_t now_ns) {
    api::SessionInfo info;
    info.spec = s.spec;
    info.latched_ue = s.flow(access_rtp).latched.load();
    auto sum = [&](api::LegCounters& out, FlowId a, FlowId b, FlowId oa, FlowId ob) {
        const FlowState& fa = s.flow(a);
        const FlowState& fb = s.flow(b);
        out.packets_in = fa.packets_in.get() + fb.packets_in.get();
        out.bytes_in = fa.bytes_in.get() + fb.bytes_in.get();
        // What this leg sends is what the other leg's flows relayed to it.
        out.packets_out = s.flow(oa).packets_out.get() + s.flow(ob).packets_out.get();
        out.bytes_out = s.flow(oa).bytes_out.get() + s.flow(ob).bytes_out.get();
        out.auth_failures = fa.auth_failures.get() + fb.auth_failures.get();
        out.replays = fa.replays.get() + fb.replays.get();
        out.unknown_source = fa.unknown_source.get() + fb.unknown_source.get();
        out.malformed = fa.malformed.get() + fb.malformed.get();
        out.other_drops = fa.other_drops.get() + fb.other_drops.get();
        out.last_seen_ns = std::max(fa.last_seen_ns.get(), fb.last_seen_ns.get());
    };
    sum(info.access, access_rtp, access_rtcp, core_rtp, core_rtcp);
    sum(info.core, core_rtp, core_rtcp, access_rtp, access_rtcp);
    info.age_ms = now_ns > s.created_ns ? (now_ns - s.created_ns) / 1'000'000 : 0;
    return info;
}

}  // namespace

std::optional<api::SessionInfo> SessionTable::info(uint64_t id, uint64_t now_ns) const {
    const Session* s = find(id);
    if (!s) return std::nullopt;
    return make_info(*s, now_ns);
}

std::vector<api::SessionInfo> SessionTable::list(uint64_t after_id, uint32_t max,
                                                 uint64_t now_ns) const {
    std::vector<api::SessionInfo> out;
    for (auto it = by_id_.upper_bound(after_id); it != by_id_.end() && out.size() < max; ++it)
        out.push_back(make_info(*slots_[it->second].load(std::memory_order_relaxed), now_ns));
    return out;
}


}  // namespace msf::dp
