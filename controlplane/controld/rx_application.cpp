#include "controlplane/controld/rx_application.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

namespace msf::controld {

namespace avp = diameter::avp;
using diameter::ResultCode;

namespace {

int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

rx::MediaPolicy media_policy(const ControldConfig& config) {
    rx::MediaPolicy p;
    p.suites = config.policy.suites;
    p.default_suite = config.policy.default_suite;
    p.require_protection = config.policy.require_protection;
    p.require_protection_realms = config.policy.require_protection_realms;
    p.generate_to_ue_key = config.policy.generate_to_ue_key;
    p.replay_window = config.media.replay_window;
    p.inactivity_timeout_ms = config.media.inactivity_timeout_ms;
    switch (config.media.rtcp_mux) {
        case RtcpMux::from_request: p.rtcp_mux = rx::RtcpMuxPolicy::from_request; break;
        case RtcpMux::always: p.rtcp_mux = rx::RtcpMuxPolicy::always; break;
        case RtcpMux::never: p.rtcp_mux = rx::RtcpMuxPolicy::never; break;
    }
    p.max_sessions_per_peer = config.policy.max_sessions_per_peer;
    if (config.msrp.enabled())
        p.msrp = {true, config.msrp.access_address.to_string(), config.msrp.core_address.to_string()};
    return p;
}

RxApplication::RxApplication(const ControldConfig& config, sessions::SessionManager& manager, Log log)
    : config_(config), manager_(manager), log_(std::move(log)) {
    self_.host = config.diameter.identity;
    self_.realm = config.diameter.realm;
    default_policy_ = media_policy(config);
    for (const PeerConfig& peer : config.diameter.peers) {
        if (peer.require_protection) {
            rx::MediaPolicy p = default_policy_;
            p.require_protection = *peer.require_protection;
            if (!p.require_protection) p.require_protection_realms.clear();
            peer_policy_.emplace(peer.identity, std::move(p));
        }
        if (peer.max_sessions) peer_limit_.emplace(peer.identity, peer.max_sessions);
    }
    for (const sessions::ControlSession* s : manager_.list()) ++per_peer_[s->peer];
}

const rx::MediaPolicy& RxApplication::policy_for(std::string_view peer) const {
    auto it = peer_policy_.find(peer);
    return it == peer_policy_.end() ? default_policy_ : it->second;
}

uint32_t RxApplication::session_limit_for(std::string_view peer) const {
    auto it = peer_limit_.find(peer);
    return it == peer_limit_.end() ? config_.policy.max_sessions_per_peer : it->second;
}

size_t RxApplication::sessions_of(const std::string& peer) const {
    auto it = per_peer_.find(peer);
    return it == per_peer_.end() ? 0 : it->second;
}

void RxApplication::count_session(const std::string& peer, int delta) {
    size_t& n = per_peer_[peer];
    n = delta < 0 ? (n > 0 ? n - 1 : 0) : n + 1;
    if (n == 0) per_peer_.erase(peer);
}

rx::RxError RxApplication::manager_error(const sessions::Status& status) const {
    using sessions::ErrorKind;
    switch (status.kind) {
        case ErrorKind::no_ports:
        case ErrorKind::too_many_sessions:
            return rx::RxError::base(ResultCode::resources_exceeded, status.message);
        case ErrorKind::invalid:
            return rx::RxError::rx(rx::RxExperimentalCode::invalid_service_information, status.message);
        case ErrorKind::already_exists:
            return rx::RxError::rx(rx::RxExperimentalCode::duplicated_af_session, status.message);
        case ErrorKind::not_found:
            return rx::RxError::base(ResultCode::unknown_session_id, status.message);
        case ErrorKind::dataplane_refused:
        case ErrorKind::dataplane_unavailable:
        case ErrorKind::store_failed:
        case ErrorKind::none:
            break;
    }
    return rx::RxError::base(ResultCode::unable_to_comply, status.message);
}

void RxApplication::on_request(diameter::PeerRef peer, diameter::Message&& request, diameter::Responder responder) {
    switch (request.command_code()) {
        case diameter::cmd::aar.code: handle_aar(peer, std::move(request), responder); return;
        case diameter::cmd::str.code: handle_str(std::move(request), responder); return;
        default:
            // RAR and ASR are ours to send, not to receive (TS 29.214 §4.4).
            refuse(request, responder,
                   rx::RxError::base(ResultCode::command_unsupported,
                                     request.name() + " is not served by the MSF"));
    }
}

void RxApplication::on_peer_state(diameter::PeerRef peer, bool open) {
    log_(std::string("diameter: peer ") + std::string(peer.identity()) + (open ? " open" : " closed"));
}

void RxApplication::refuse(const diameter::Message& request, diameter::Responder responder, const rx::RxError& error) {
    if (request.command_code() == diameter::cmd::aar.code) ++counters_.aar_refused;
    log_("rx: " + request.name() + " " + std::string(request.session_id()) + " refused: " + rx::to_string(error));
    pending_.push_back({responder, rx::error_answer(request, self_, error), {}});
}

bool RxApplication::queued(std::string_view session_id) const {
    return !queued_ids_.empty() && queued_ids_.count(session_id) > 0;
}

void RxApplication::handle_aar(diameter::PeerRef peer, diameter::Message&& aar, diameter::Responder responder) {
    if (!in_flight_ids_.empty() && in_flight_ids_.count(aar.session_id())) finish_in_flight();
    if (queued(aar.session_id())) run_queued();
    std::string peer_name(peer.identity());  // moved into the queued install at the end
    const sessions::ControlSession* existing = manager_.find(aar.session_id());
    if (existing && existing->peer != peer_name) {
        refuse(aar, responder, rx::RxError::base(ResultCode::unable_to_comply,
                                                 "Session-Id belongs to peer " + existing->peer));
        return;
    }
    auto plan = rx::plan_aar(aar, existing, policy_for(peer_name));
    if (!plan) {
        refuse(aar, responder, plan.error());
        return;
    }
    sessions::ControlSession& desired = plan->desired;
    desired.peer = peer_name;
    desired.updated_unix_ms = unix_ms();
    if (!existing) desired.created_unix_ms = desired.updated_unix_ms;

    if (desired.streams.empty() && desired.messages.empty()) {
        // Nothing to relay: an initial AAR the policy lets through unprotected, or an update
        // that removed every component.
        if (existing) {
            sessions::ControlSession before = *existing;
            auto removed = manager_.remove(existing->session_id);
            if (removed.ok()) {
                count_session(peer_name, -1);
                follow_msrp(&before, nullptr);
            }
            sessions::wipe_keys(before);
        }
        sessions::ControlSession nothing = desired;
        pending_.push_back({responder, rx::success_aaa(aar, self_, nothing), {}});
        return;
    }

    if (!existing) {
        const uint32_t limit = session_limit_for(peer_name);
        if (limit && sessions_of(peer_name) >= limit) {
            refuse(aar, responder, rx::RxError::base(ResultCode::resources_exceeded,
                                                     "peer " + peer_name + " has its maximum of " +
                                                         std::to_string(limit) + " sessions"));
            sessions::wipe_keys(desired);
            return;
        }
        // Counted now, so that the limit holds for the rest of the iteration's AARs.
        count_session(peer_name, +1);
        queued_ids_.insert(desired.session_id);
        pending_.push_back({responder, diameter::Message(), {}});
        queued_installs_.push_back({pending_.size() - 1, std::move(aar), std::move(desired), std::move(peer_name)});
        return;
    }
    // The MSRP components as they were, for msf-msrpd to follow (only sessions that have any).
    std::optional<sessions::ControlSession> before;
    if (msrp_ && (!existing->messages.empty() || !desired.messages.empty())) before = *existing;
    auto updated = manager_.update(std::move(desired));
    if (!updated.ok()) {
        if (before) sessions::wipe_keys(*before);
        refuse(aar, responder, manager_error(updated.status));
        return;
    }
    if (before) {
        follow_msrp(&*before, updated.value);
        sessions::wipe_keys(*before);
    }
    ++counters_.aar_update;
    pending_.push_back({responder, rx::success_aaa(aar, self_, *updated.value), {}});
}

void RxApplication::handle_str(diameter::Message&& str, diameter::Responder responder) {
    if (!in_flight_ids_.empty() && in_flight_ids_.count(str.session_id())) finish_in_flight();
    if (queued(str.session_id())) run_queued();
    const sessions::ControlSession* session = manager_.find(str.session_id());
    if (!session) {
        ++counters_.str_unknown;
        refuse(str, responder, rx::RxError::base(ResultCode::unknown_session_id,
                                                 "no session " + std::string(str.session_id())));
        return;
    }
    if (session->peer != responder.peer().identity()) {
        refuse(str, responder, rx::RxError::base(ResultCode::unable_to_comply,
                                                 "Session-Id belongs to peer " + session->peer));
        return;
    }
    queued_ids_.insert(session->session_id);
    pending_.push_back({responder, diameter::Message(), {}});
    queued_removals_.push_back({pending_.size() - 1, std::move(str), session->peer});
}

void RxApplication::run_queued() {
    finish_in_flight();
    run_removals();
    start_installs();
    finish_in_flight();
}

void RxApplication::run_removals() {
    if (!queued_removals_.empty()) {
        std::vector<std::string> ids;
        ids.reserve(queued_removals_.size());
        for (const QueuedRemoval& q : queued_removals_) ids.emplace_back(q.str.session_id());
        // MSRP components: their final counters from msf-msrpd, and what it must drop.
        std::unordered_map<std::string, std::pair<sessions::ControlSession, std::vector<sessions::MessageCounters>>> msrp;
        if (msrp_) {
            for (const std::string& id : ids) {
                const sessions::ControlSession* s = manager_.find(id);
                if (s && !s->messages.empty()) msrp.emplace(id, std::pair{*s, msrp_->counters(*s)});
            }
        }
        auto removed = manager_.remove_batch(ids);
        for (size_t i = 0; i < queued_removals_.size(); ++i) {
            QueuedRemoval& q = queued_removals_[i];
            PendingAnswer& slot = pending_[q.answer];
            if (!removed[i].ok()) {
                const rx::RxError error = manager_error(removed[i].status);
                log_("rx: " + q.str.name() + " " + ids[i] + " refused: " + rx::to_string(error));
                slot.answer = rx::error_answer(q.str, self_, error);
                continue;
            }
            ++counters_.str;
            count_session(q.peer, -1);
            const auto m = msrp.find(ids[i]);
            if (m == msrp.end()) {
                slot.answer = rx::success_sta(q.str, self_, removed[i].value);
                continue;
            }
            slot.answer = rx::success_sta(q.str, self_, removed[i].value, m->second.second);
            follow_msrp(&m->second.first, nullptr);
        }
        for (auto& [id, entry] : msrp) sessions::wipe_keys(entry.first);
        queued_removals_.clear();
    }
}

void RxApplication::start_installs() {
    if (queued_installs_.empty()) {
        queued_ids_.clear();
        return;
    }
    std::vector<sessions::ControlSession> batch;
    batch.reserve(queued_installs_.size());
    for (QueuedInstall& q : queued_installs_) batch.push_back(std::move(q.desired));
    const sessions::Status started = manager_.start_install_batch(std::move(batch));
    in_flight_installs_.swap(queued_installs_);
    queued_installs_.clear();
    in_flight_ids_.swap(queued_ids_);
    queued_ids_.clear();
    if (!started.ok()) {
        for (QueuedInstall& q : in_flight_installs_) answer_install(q, {started, nullptr});
        in_flight_installs_.clear();
        in_flight_ids_.clear();
    }
}

void RxApplication::finish_in_flight() {
    if (in_flight_installs_.empty()) return;
    auto installed = manager_.finish_install_batch();
    for (size_t i = 0; i < in_flight_installs_.size(); ++i) {
        answer_install(in_flight_installs_[i],
                       i < installed.size() ? installed[i]
                                            : sessions::Outcome<const sessions::ControlSession*>{
                                                  sessions::Status::failure(sessions::ErrorKind::invalid,
                                                                            "no install batch was in flight"),
                                                  nullptr});
    }
    in_flight_installs_.clear();
    in_flight_ids_.clear();
}

void RxApplication::answer_install(QueuedInstall& q, const sessions::Outcome<const sessions::ControlSession*>& outcome) {
    PendingAnswer& slot = pending_[q.answer];
    if (!outcome.ok()) {
        count_session(q.peer, -1);
        ++counters_.aar_refused;
        const rx::RxError error = manager_error(outcome.status);
        log_("rx: " + q.aar.name() + " " + std::string(q.aar.session_id()) + " refused: " + rx::to_string(error));
        slot.answer = rx::error_answer(q.aar, self_, error);
        return;
    }
    ++counters_.aar_initial;
    follow_msrp(nullptr, outcome.value);
    slot.answer = rx::success_aaa(q.aar, self_, *outcome.value);
    slot.installed_session = outcome.value->session_id;
}

void RxApplication::commit_and_answer() {
    finish_in_flight();
    run_removals();
    start_installs();
    // Nothing to overlap with when the dataplane has answered already (or the link is down).
    if (!in_flight_installs_.empty() && manager_.install_answered()) finish_in_flight();
    answer_ready();
}

void RxApplication::settle() {
    finish_in_flight();
    answer_ready();
}

void RxApplication::answer_ready() {
    // In the order the requests came: the answers from the batch in flight's first on wait.
    size_t ready = in_flight_installs_.empty() ? pending_.size() : in_flight_installs_.front().answer;
    if (ready == 0) return;
    const sessions::Status committed = manager_.commit();
    if (!committed.ok()) {
        // Not durable: take back what was installed and say so, so the P-CSCF and the store
        // agree (RFC 6733 §7.1.5 DIAMETER_UNABLE_TO_COMPLY). The batch in flight is in the
        // failed transaction too: it is finished and answered with the rest.
        log_("store: commit failed: " + sessions::to_string(committed));
        finish_in_flight();
        ready = pending_.size();
        for (PendingAnswer& p : pending_) {
            if (!p.installed_session.empty()) {
                const sessions::ControlSession* s = manager_.find(p.installed_session);
                if (s) {
                    count_session(s->peer, -1);
                    follow_msrp(s, nullptr);
                }
                manager_.remove(p.installed_session);
            }
            if (p.answer.find(avp::result_code) &&
                p.answer.find(avp::result_code)->unsigned32() == static_cast<uint32_t>(ResultCode::success)) {
                p.answer = rx::error_answer(p.answer, self_,
                                            rx::RxError::base(ResultCode::unable_to_comply,
                                                              "the MSF could not store the session"));
            }
        }
        manager_.commit();
    }
    for (size_t i = 0; i < ready; ++i) {
        if (!pending_[i].responder.answer(pending_[i].answer)) ++counters_.answers_lost;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(ready));
    for (QueuedInstall& q : in_flight_installs_) q.answer -= ready;
    if (node_) node_->flush();
}

void RxApplication::send_request(const sessions::ControlSession& session, diameter::Message request, bool abort) {
    if (!node_) return;
    const std::string session_id = session.session_id;
    const std::string name = request.name();
    auto failure = node_->send_request(session.peer, std::move(request), [this, session_id, name](diameter::RequestOutcome&& outcome) {
        if (!outcome.ok()) {
            log_("rx: " + name + " for " + session_id + " got no answer: " +
                 std::string(diameter::request_failure_name(outcome.failure)) +
                 (outcome.detail.empty() ? "" : " (" + outcome.detail + ")"));
        }
    });
    if (failure != diameter::RequestFailure::none) {
        log_("rx: cannot send " + name + " for " + session_id + " to " + session.peer + ": " +
             std::string(diameter::request_failure_name(failure)));
        return;
    }
    ++(abort ? counters_.asr_sent : counters_.rar_sent);
}

void RxApplication::on_dataplane_event(const api::Event& event) {
    finish_in_flight();  // the event may be about a stream of the batch in flight
    const sessions::ControlSession* session = manager_.find_by_dataplane_id(event.session_id);
    if (!session) return;
    rx::EventCause cause = rx::EventCause::inactivity;
    if (event.type == api::EventType::auth_failure_storm) {
        if (config_.policy.auth_failure_storm == 0 || event.value < config_.policy.auth_failure_storm) return;
        cause = rx::EventCause::auth_failure_storm;
    }
    // One RAR per session and cause: both legs of a stream, and every stream of the session, go
    // idle together, and the P-CSCF needs to hear it once (a storm repeats every interval).
    const int64_t now = unix_ms();
    auto [last, fresh] = last_rar_.try_emplace(session->session_id, cause, now);
    if (!fresh) {
        if (last->second.first == cause && now - last->second.second < kRarRepeatMs) return;
        last->second = {cause, now};
    }
    if (last_rar_.size() > 2 * manager_.size() + 64) {
        // Forget sessions that are gone; bounded by the sessions held, not by what came and went.
        std::erase_if(last_rar_, [this](const auto& e) { return manager_.find(e.first) == nullptr; });
    }
    log_("rx: session " + session->session_id + ": " +
         (cause == rx::EventCause::inactivity ? "media inactive for " + std::to_string(event.value) + " ms"
                                              : std::to_string(event.value) + " authentication failures") +
         ", RAR to " + session->peer);
    send_request(*session, rx::event_rar(*session, self_, cause, config_.diameter.vendor_id), false);
}

void RxApplication::follow_msrp(const sessions::ControlSession* before, const sessions::ControlSession* after) {
    if (!msrp_) return;
    if ((before && !before->messages.empty()) || (after && !after->messages.empty())) msrp_->apply(before, after);
}

void RxApplication::on_session_removed(const sessions::ControlSession& session, rx::EventCause cause) {
    count_session(session.peer, -1);
    follow_msrp(&session, nullptr);
    send_request(session, rx::abort_asr(session, self_, cause, config_.diameter.vendor_id), true);
}

}  // namespace msf::controld
