// The session manager of msf-controld: owns what is installed. It assigns dataplane ids and media
// ports, persists every session in the store before the dataplane sees it, installs it in
// msf-dataplane over the control socket, and puts the dataplane back in line with the store
// whenever the link (re)connects.
//
// Single-threaded: everything runs on the daemon's event-loop thread. Dataplane requests block
// for at most ManagerOptions::dataplane_timeout_ms each; the batch requests (install_batch,
// remove_batch) pipeline theirs (api::ControlClient::request_many), one deadline per exchange of
// up to api::ControlClient::kMaxPipelined requests. An install batch can also be left in flight
// (start_install_batch) while the daemon does other work, and finished later.
//
// Order of truth: memory == store (committed by commit()) >= dataplane. A request changes memory
// and the store's open transaction, then the dataplane; the daemon calls commit() once per
// event-loop iteration before it sends the answers. After a crash the store holds exactly what
// was answered; reconcile() then removes from the dataplane what the store lacks and re-sends
// what differs. When the dataplane is not connected (or the link drops during a request) the
// request still succeeds: the store has it and reconcile() installs it when the link is back.
// Destroying the manager without commit() drops the uncommitted requests, as a crash would.
//
// The dataplane never returns keys, so reconcile() cannot compare them. A session whose keys
// changed carries a keys_unconfirmed mark in the store from before the dataplane is asked to
// re-key (committed first) until the dataplane confirms; reconcile() re-sends the keys of marked
// sessions. A modify with unchanged keys keeps the dataplane's SRTP contexts (ROC and replay
// state, dataplane/session/session_table.cpp), so a re-send never interrupts media.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/sessions/model.hpp"
#include "controlplane/sessions/port_allocator.hpp"
#include "controlplane/sessions/store.hpp"
#include "dataplane/api/client.hpp"

namespace msf::sessions {

// What went wrong, for the Rx layer to map to a Result-Code.
enum class ErrorKind : uint8_t {
    none = 0,
    already_exists,         // install of a Session-Id that is installed
    not_found,              // update or remove of an unknown Session-Id
    invalid,                // the request makes no sense; the message says what
    no_ports,               // a media port range is exhausted
    too_many_sessions,      // ManagerOptions::max_sessions reached
    dataplane_refused,      // msf-dataplane said no; the message carries its answer
    dataplane_unavailable,  // reconcile or counters without a dataplane link
    store_failed,           // the store could not read or write
};

std::string_view error_kind_name(ErrorKind kind);

struct Status {
    ErrorKind kind = ErrorKind::none;
    std::string message;  // empty on success

    static Status success() { return {}; }
    static Status failure(ErrorKind kind, std::string message) { return {kind, std::move(message)}; }
    bool ok() const { return kind == ErrorKind::none; }
};

// "no_ports: access media ports of 192.0.2.10 are exhausted (500 pairs)"
std::string to_string(const Status& status);

template <class T>
struct Outcome {
    Status status;
    T value{};  // meaningful only when status.ok()
    bool ok() const { return status.ok(); }
};

// One local address of the gateway and the media ports the manager may hand out on it. Must lie
// inside msf-dataplane's --port-min..--port-max.
struct PortRange {
    net::IpAddr address;
    uint16_t port_min = 0;
    uint16_t port_max = 0;
};

struct ManagerOptions {
    StoreOptions store;
    std::string dataplane_socket = "/run/msf/dataplane.sock";
    std::string client_name = "msf-controld";
    int dataplane_timeout_ms = 2000;
    std::vector<PortRange> access_ports;  // at least one
    std::vector<PortRange> core_ports;    // at least one
    size_t max_sessions = 100'000;        // Diameter sessions
};

struct RestoreReport {
    size_t sessions = 0;                // restored
    size_t streams = 0;
    std::vector<std::string> dropped;   // sessions the store held but that cannot be restored, and why
};

struct ReconcileReport {
    size_t added = 0;      // in the store, missing in the dataplane
    size_t removed = 0;    // in the dataplane, not in the store
    size_t modified = 0;   // in both, re-sent: different spec, or keys unconfirmed
    size_t unchanged = 0;
    std::vector<std::string> failures;  // streams the dataplane refused (at most kMaxReportedFailures)
    size_t failed = 0;
    // Sessions with a stream the dataplane refused: they cannot be kept as the P-CSCF asked, so the
    // daemon removes them and tells their P-CSCF (ASR, DATAPLANE_LOST). Every one, not capped.
    std::vector<std::string> unrestorable_sessions;
};

class SessionManager {
public:
    static constexpr size_t kMaxReportedFailures = 32;
    // Dataplane ids are reserved in the store this many at a time (see take_dataplane_id).
    static constexpr uint64_t kIdBlock = 4096;

    // Opens the store (start-up: nullptr and *error on a bad option or store). Does not connect.
    static std::unique_ptr<SessionManager> open(const ManagerOptions& options, std::string* error);
    ~SessionManager();
    SessionManager(const SessionManager&) = delete;
    SessionManager& operator=(const SessionManager&) = delete;

    // Loads the store and reserves the stored ports; no dataplane calls. Once, before anything
    // else. Sessions whose ports collide with an earlier one, or whose ids repeat, cannot be real:
    // they are reported, deleted from the store, and not restored.
    Outcome<RestoreReport> restore();

    // ---- Requests (all-or-nothing) ----

    // Installs a new session. Streams are sorted by component_number (unique, at least one).
    // Assigns each stream's spec.id; a local port of 0 is allocated on the configured address of
    // the leg: spec.*.local.addr empty = the family of the leg's remote, else the first configured
    // address (the access leg latches the UE, so name the UE's family with the unspecified
    // address 0.0.0.0 or :: when it matters); unspecified = the first address of that family;
    // a configured address = that address. A non-zero port inside a configured range is reserved
    // (error if in use); outside one it is passed to the dataplane as it is.
    // Errors: already_exists, invalid, no_ports, too_many_sessions, dataplane_refused,
    // store_failed; nothing remains of a failed install. The pointer stays valid until the next
    // request, restore() or reconcile().
    Outcome<const ControlSession*> install(ControlSession session);

    // install() for many sessions at once, each all-or-nothing on its own: one outcome per
    // session, in order. Every stream of every session that passes the checks goes to the
    // dataplane in one pipelined exchange; a session with a refused stream has its other streams
    // removed in a second exchange and fails alone. A Session-Id repeated within the batch is
    // already_exists for the later one. The pointers stay valid until the next request,
    // restore() or reconcile().
    std::vector<Outcome<const ControlSession*>> install_batch(std::vector<ControlSession> sessions);

    // install_batch in two halves, so that the daemon plans the next AARs while msf-dataplane
    // installs these (issue 4). start_install_batch checks the sessions, assigns ids and ports,
    // puts them in the store's open transaction and sends every stream to the dataplane without
    // waiting for an answer. finish_install_batch waits for the answers, undoes the sessions with
    // a refused stream and installs the rest: install_batch's outcomes, one per session of the
    // batch. Until then the batch's sessions are in the store but not in memory (find, list and
    // size do not see them). A link lost between the halves counts as lost during the exchange:
    // the sessions stay and reconcile installs them. Keys: the copies sent are wiped once
    // encoded, as install_batch's are; the sessions of the batch keep theirs until it is
    // finished, and those not installed are wiped then (or when the manager goes).
    // One batch at a time: start while one is in flight is invalid and takes nothing. Any other
    // request, and every dataplane call, finishes the batch first (its outcomes wait for
    // finish_install_batch; a session removed meanwhile is then not_found).
    Status start_install_batch(std::vector<ControlSession> sessions);
    bool install_in_flight() const { return in_flight_ != nullptr; }
    // Reads what the dataplane has answered so far, without waiting: true when
    // finish_install_batch() would not wait for it (or nothing is in flight).
    bool install_answered();
    std::vector<Outcome<const ControlSession*>> finish_install_batch();
    // The dataplane link's socket (-1 when not connected), for the event loop to wait on while an
    // install batch is in flight. The manager alone reads and writes it.
    int dataplane_fd() const { return client_.fd(); }

    // The desired full state of an installed session; per component number: an unchanged stream
    // is not touched; changed keys, remotes, window or timeout: dataplane modify keeping the
    // ports (port 0 = keep); new local ports or a change of rtcp-mux: remove and add (the
    // dataplane cannot move a stream); a new component: allocate and add; a missing one: remove
    // and release. peer and realm are kept when empty. Dataplane order: adds, modifies and
    // replacements first, removals last; if the dataplane refuses one, what was done is undone
    // in reverse order (a modify back to the old keys restarts that direction's SRTP context),
    // new ports are released and the store gets the old session back; if undoing fails too, the
    // link is dropped so that the next connect_dataplane() reconciles.
    // Errors: not_found, invalid, no_ports, dataplane_refused, store_failed.
    Outcome<const ControlSession*> update(ControlSession desired);

    // Final counters of each stream (zero where the dataplane was not reachable), then removal
    // from store, dataplane and ports; keys are wiped. Errors: not_found, store_failed.
    Outcome<std::vector<StreamCounters>> remove(std::string_view session_id);

    // remove() for many sessions: one pipelined exchange reads every stream's final counters,
    // a second removes them all. One outcome per id, in order; a repeated id is not_found.
    std::vector<Outcome<std::vector<StreamCounters>>> remove_batch(std::span<const std::string> session_ids);

    // Ends the store's transaction: call once per event-loop iteration, before sending answers.
    Status commit();

    // ---- Lookups ----
    const ControlSession* find(std::string_view session_id) const;
    const ControlSession* find_by_dataplane_id(uint64_t dataplane_id) const;
    // Sessions with session_id > after, in session_id order, at most max_count.
    std::vector<const ControlSession*> list(std::string_view after = {}, size_t max_count = SIZE_MAX) const;
    size_t size() const { return sessions_.size(); }
    size_t stream_count() const { return by_dataplane_id_.size(); }
    // Sessions whose keys the dataplane has not confirmed (see the header comment).
    size_t keys_unconfirmed_count() const;
    const PortAllocator& ports(api::Side side) const { return side == api::Side::access ? access_ : core_; }
    const ManagerOptions& options() const { return options_; }

    // ---- The dataplane link ----

    // The daemon calls this on a timer. Connected: checks the link with a cheap request.
    // Not connected: connects, says hello, and reconciles. The report is empty when nothing
    // was reconciled.
    Outcome<ReconcileReport> connect_dataplane();
    // Makes the dataplane hold exactly the store's streams: removes unknown ones, adds missing
    // ones, re-sends differing ones (remove and add when local ports or rtcp-mux differ).
    Outcome<ReconcileReport> reconcile();
    bool dataplane_connected() const { return client_.connected(); }
    // Why the link went down last ("" if it never did).
    const std::string& dataplane_error() const { return dataplane_error_; }
    api::Response<api::CountersReply> dataplane_counters();
    // What the dataplane holds for one stream (counters, latched UE) and for every stream.
    api::Response<api::SessionInfo> dataplane_session(uint64_t dataplane_id);
    api::Response<std::vector<api::SessionInfo>> dataplane_sessions();

private:
    struct Entry {
        ControlSession session;
        bool keys_unconfirmed = false;
    };
    // Ports a request took, released again if it fails.
    struct Claim {
        api::Side side;
        net::IpAddr address;
        uint16_t port;
    };

    // An install batch from start_install_batch to finish_install_batch.
    struct InstallInFlight {
        struct Prepared {
            size_t index;  // into sessions
            std::vector<Claim> claims;
            size_t first_stream = 0;  // its first stream in the dataplane exchange
            api::Result refused;      // the first refusal of one of its streams
            uint32_t refused_component = 0;
        };
        std::vector<ControlSession> sessions;  // keys wiped when the batch goes
        std::vector<Outcome<const ControlSession*>> out;
        std::vector<Prepared> prepared;
        size_t streams = 0;              // sent to the dataplane, in one exchange
        api::Result send_failure;        // why the exchange could not start
        bool sent = false;
        bool finished = false;           // settled by another request; out is final
        std::vector<std::string> finished_ids;  // of the installed, when settled early
        ~InstallInFlight();
    };

    explicit SessionManager(const ManagerOptions& options) : options_(options), client_(options.dataplane_timeout_ms) {}

    PortAllocator& allocator(api::Side side) { return side == api::Side::access ? access_ : core_; }
    Status take_dataplane_id(uint64_t* id);
    // Checks a new session, assigns its ids and ports and puts it in the store; on failure
    // nothing of it remains. `batched` counts sessions of the same batch prepared before it.
    Status prepare_install(ControlSession& session, size_t batched, std::vector<Claim>& claims);
    Status check_streams(ControlSession& session) const;
    // Chooses the local endpoint of one leg (see install) and records what it took in claims.
    Status place_leg(api::Side side, uint32_t component, api::LegSpec& leg, std::vector<Claim>& claims);
    void release(const std::vector<Claim>& claims);
    // Collects the batch's answers, undoes the refused sessions and installs the rest.
    void complete_install(InstallInFlight& batch);
    // Before any other request: the batch in flight is finished, its outcomes kept.
    void settle_install();
    void release_stream_ports(const MediaStream& stream);
    void index(Entry& entry);
    void unindex(const Entry& entry);

    // Every dataplane request goes through these: an unavailable answer drops the link.
    api::Result dataplane(api::Result result);
    void drop_link(std::string why);
    api::Result add_stream(const api::SessionSpec& spec);
    api::Result modify_stream(const api::SessionSpec& spec);
    api::Result remove_stream(uint64_t dataplane_id);

    ManagerOptions options_;
    std::unique_ptr<Store> store_;
    PortAllocator access_;
    PortAllocator core_;
    api::ControlClient client_;
    std::string dataplane_error_;
    std::map<std::string, Entry, std::less<>> sessions_;
    std::unordered_map<uint64_t, ControlSession*> by_dataplane_id_;
    uint64_t next_id_ = 1;
    uint64_t id_limit_ = 1;  // ids below it are reserved in the committed store
    bool restored_ = false;
    bool reconciled_ = false;  // since the link came up
    std::unique_ptr<InstallInFlight> in_flight_;
};

}  // namespace msf::sessions
