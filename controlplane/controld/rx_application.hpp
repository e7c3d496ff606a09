// msf-controld's Rx application: the Diameter node hands it AARs and STRs, it plans them
// (rx/aar.hpp), applies the operator's limits, asks the session manager to install, update or
// remove, and answers once the store has committed (group commit: one SQLite transaction per
// event-loop iteration covers every request of that iteration). It also turns dataplane events
// into RARs and aborts sessions the gateway cannot keep with ASRs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "controlplane/controld/config.hpp"
#include "controlplane/controld/msrp_link.hpp"
#include "controlplane/diameter/node.hpp"
#include "controlplane/rx/aar.hpp"
#include "controlplane/rx/answers.hpp"
#include "controlplane/sessions/manager.hpp"

namespace msf::controld {

struct RxCounters {
    uint64_t aar_initial = 0, aar_update = 0, aar_refused = 0;
    uint64_t str = 0, str_unknown = 0;
    uint64_t rar_sent = 0, asr_sent = 0, answers_lost = 0;
};

class RxApplication final : public diameter::ApplicationHandler {
public:
    using Log = std::function<void(std::string_view)>;

    RxApplication(const ControldConfig& config, sessions::SessionManager& manager, Log log);
    // The node is made after the application (it needs the handler); set it before the loop runs.
    void attach(diameter::Node& node) { node_ = &node; }
    // msf-msrpd, when [msrp] is configured: MSRP components follow every install, update and removal.
    void attach_msrp(MsrpLink& msrp) { msrp_ = &msrp; }

    void on_request(diameter::PeerRef peer, diameter::Message&& request, diameter::Responder responder) override;
    void on_peer_state(diameter::PeerRef peer, bool open) override;

    // End of a loop iteration: finishes the install batch the last iteration left in flight,
    // removes what this iteration queued (SessionManager::remove_batch), sends this iteration's
    // installs to the dataplane and leaves them in flight (SessionManager::start_install_batch:
    // the dataplane installs them while the loop reads the next requests), commits the store,
    // then sends every answer that is ready, in the order the requests came: the answers from the
    // first install of the batch in flight on wait for it (issue 4). The loop must wake when the
    // dataplane answers (SessionManager::dataplane_fd) while install_in_flight().
    void commit_and_answer();
    // Finishes the install batch in flight, if any: its answers are then ready for the next
    // commit_and_answer(). Whatever reads or changes sessions calls this first (the CLI, the
    // dataplane link's timer, MSRP sync): until then the batch's sessions are not in the manager.
    void finish_in_flight();
    bool install_in_flight() const { return !in_flight_installs_.empty(); }
    // finish_in_flight(), commit, and every answer: nothing left waiting (shutdown).
    void settle();

    // A dataplane event (inactivity, authentication-failure storm): RAR to the session's P-CSCF.
    void on_dataplane_event(const api::Event& event);
    // The MSF removed a session on its own: the operator did (msfctl, operator_removed) or the
    // dataplane lost it and refused to take it back (dataplane_lost). ASR to its P-CSCF. The
    // session is already gone from the manager; `session` is its last state.
    void on_session_removed(const sessions::ControlSession& session, rx::EventCause cause);

    const RxCounters& counters() const { return counters_; }
    MsrpLink* msrp() const { return msrp_; }
    size_t sessions_of(const std::string& peer) const;

private:
    struct PendingAnswer {
        diameter::Responder responder;
        diameter::Message answer;
        std::string installed_session;  // a new session to take back if the commit fails
    };

    // An initial AAR that passed planning and the limits, waiting for the end of the iteration.
    struct QueuedInstall {
        size_t answer;  // its slot in pending_
        diameter::Message aar;
        sessions::ControlSession desired;
        std::string peer;
    };
    // An STR that passed its checks, likewise.
    struct QueuedRemoval {
        size_t answer;
        diameter::Message str;
        std::string peer;
    };

    void handle_aar(diameter::PeerRef peer, diameter::Message&& aar, diameter::Responder responder);
    void handle_str(diameter::Message&& str, diameter::Responder responder);
    // Requests are handled in arrival order: one that touches a queued session runs the queue first.
    bool queued(std::string_view session_id) const;
    // Runs the queued removals, then the queued installs (removals free ports first), and fills
    // in their answers; the batch in flight is finished first.
    void run_queued();
    void run_removals();
    // The queued installs go to the dataplane as one batch, in flight until finish_in_flight().
    void start_installs();
    void answer_install(QueuedInstall& install, const sessions::Outcome<const sessions::ControlSession*>& outcome);
    // Commits, then sends the answers before the first one still waiting for the batch in flight.
    void answer_ready();
    void refuse(const diameter::Message& request, diameter::Responder responder, const rx::RxError& error);
    const rx::MediaPolicy& policy_for(std::string_view peer) const;
    uint32_t session_limit_for(std::string_view peer) const;
    rx::RxError manager_error(const sessions::Status& status) const;
    void send_request(const sessions::ControlSession& session, diameter::Message request, bool abort);
    void count_session(const std::string& peer, int delta);
    // msf-msrpd follows a change of the session's MSRP components (nullptr: no session).
    void follow_msrp(const sessions::ControlSession* before, const sessions::ControlSession* after);

    const ControldConfig& config_;
    sessions::SessionManager& manager_;
    diameter::Node* node_ = nullptr;
    MsrpLink* msrp_ = nullptr;
    Log log_;
    rx::LocalIdentity self_;
    rx::MediaPolicy default_policy_;
    // Looked up by string_view (Origin-Host, Session-Id as the AAR holds them): no key copies.
    struct TextHash {
        using is_transparent = void;
        size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
    };
    template <class T>
    using TextMap = std::unordered_map<std::string, T, TextHash, std::equal_to<>>;
    TextMap<rx::MediaPolicy> peer_policy_;  // peers with their own rules
    TextMap<uint32_t> peer_limit_;
    std::unordered_map<std::string, size_t> per_peer_;  // installed and queued sessions per Origin-Host
    std::vector<PendingAnswer> pending_;
    std::vector<QueuedInstall> queued_installs_;
    std::vector<QueuedRemoval> queued_removals_;
    std::unordered_set<std::string, TextHash, std::equal_to<>> queued_ids_;  // Session-Ids of both queues
    // The installs sent to the dataplane and not yet finished, and their Session-Ids (with those
    // removed in the same iteration: finishing first is never wrong).
    std::vector<QueuedInstall> in_flight_installs_;
    std::unordered_set<std::string, TextHash, std::equal_to<>> in_flight_ids_;
    // The last RAR per session: its cause and when (unix ms). Another event of the same cause
    // within kRarRepeatMs sends none.
    static constexpr int64_t kRarRepeatMs = 10000;
    std::unordered_map<std::string, std::pair<rx::EventCause, int64_t>> last_rar_;
    RxCounters counters_;
};

// The media policy the configuration describes.
rx::MediaPolicy media_policy(const ControldConfig& config);

}  // namespace msf::controld
