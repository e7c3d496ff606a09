// msf-controld's Diameter node: the listeners, the configured peers with their state machines
// (RFC 6733 §5.6, peer_state.hpp), capabilities exchange (§5.3), the watchdog (§5.5, RFC 3539),
// disconnection (§5.4), request routing to the application and the MSF's own requests (RAR,
// ASR) with hop-by-hop matching (§3, §6.2). All of it runs in the callbacks of one EventLoop on
// the daemon's one thread, on non-blocking sockets (transport.hpp).
//
// Only configured peers are served: a CER whose Origin-Host is not configured, or that comes from
// another address than its peer's, is answered with DIAMETER_UNKNOWN_PEER (3010) and the
// connection closed (§5.3, §7.1.3), and so is one whose Origin-Realm is not the configured realm,
// or whose TLS certificate does not name its Origin-Host (§13.1). A CER without a common
// application gets DIAMETER_NO_COMMON_APPLICATION (5010), one of a TLS peer over plain TCP, or
// offering only in-band TLS, DIAMETER_NO_COMMON_SECURITY (5017); a CER without Host-IP-Address
// is fine (Kamailio 5.6). A connection that sends anything but a CER first, or nothing for
// cer_timeout_ms, is closed.
//
// On an open connection: an invalid frame (check_frame) closes that connection only; a request
// that fails decode() or validate() is answered with error_answer() (E bit for 3xxx) and the
// connection stays; an answer that fails them is logged, counted and dropped. DWR, DPR and CER
// are handled here; every other request goes to the ApplicationHandler.
//
// Bounds, so nothing a peer sends grows memory without limit or stalls the others: messages are
// at most codec.max_message_size (a longer Message Length closes the connection), at most
// max_pending_connections connections wait for their CER, a connection's unsent output is at
// most max_output_bytes (a peer that does not read is disconnected), each readiness event reads
// at most a fixed budget from one connection, and at most max_pending_requests of our requests
// await answers.
//
// Reconnection (§2.1 Tc): peers with a connect address are connected when the node starts and
// again reconnect_ms after a failure. After a DPR with Disconnect-Cause BUSY or
// DO_NOT_WANT_TO_TALK_TO_YOU (§5.4.3: "SHOULD NOT attempt reconnection") we wait
// kDprReconnectFactor x reconnect_ms instead, so an operator error on the other side is not
// permanent; REBOOTING waits reconnect_ms. The peer may connect to us any time.
//
// Output is coalesced: answers and requests are appended to the connection's buffer and written
// once per loop iteration (an end-of-iteration hook, or flush()), so a burst of AARs read in one
// read() is answered by one write().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/controld/event_loop.hpp"
#include "controlplane/diameter/message.hpp"
#include "controlplane/diameter/peer_capabilities.hpp"
#include "controlplane/diameter/peer_state.hpp"
#include "controlplane/diameter/transport.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::diameter {

inline constexpr uint32_t kDprReconnectFactor = 10;

// One allow-listed peer.
struct PeerSettings {
    std::string identity;                 // its Origin-Host (DiameterIdentity, case-insensitive)
    std::optional<net::IpAddr> address;   // its connections must come from this address
    // Set: we connect to it (an address: the daemon resolves names once at start-up, the node
    // makes no blocking DNS calls).
    std::optional<net::Endpoint> connect;
    bool tls = false;   // TLS from the first byte; its inbound connections must use a TLS listener
    std::string realm;  // "": any Origin-Realm; else its CER or CEA must carry this one
};

struct NodeSettings {
    std::string identity;  // our Origin-Host
    std::string realm;     // our Origin-Realm
    // Host-IP-Address of our CER and CEA; empty: the local address of each connection.
    std::vector<net::IpAddr> host_addresses;
    uint32_t vendor_id = kMsfVendorId;  // Vendor-Id of our CER and CEA (our enterprise number)
    std::string product_name = "msf-controld";
    uint32_t firmware_revision = 0;     // 0: not sent
    // Origin-State-Id (§8.16): changes with every start; 0 here means "the start time".
    uint32_t origin_state_id = 0;
    // Auth applications we serve; Rx of 3GPP by default.
    std::vector<Application> auth_applications = {{app::rx, kVendor3gpp}};
    // Supported-Vendor-Id; empty: 3GPP and codec.msf_vendor_id.
    std::vector<uint32_t> supported_vendor_ids;

    std::vector<net::Endpoint> listen;      // plain TCP; port 0 picks one (listen_endpoints())
    std::vector<net::Endpoint> tls_listen;  // TLS from the first byte (RFC 6733 §2.1)
    std::optional<TlsSettings> tls;         // needed by tls_listen and by tls peers
    std::vector<PeerSettings> peers;

    // Tw (RFC 3539 §3.4.1): a DWR after this long without traffic, jittered by up to
    // min(2 s, Tw/5) either way; no answer within the next Tw closes the connection. The config
    // layer keeps it at 6 s or more; tests go lower.
    int64_t watchdog_ms = 30000;
    int64_t reconnect_ms = 30000;      // Tc (§2.1)
    int64_t connect_timeout_ms = 10000;  // Wait-Conn-Ack, TLS handshake included
    int64_t cea_timeout_ms = 10000;    // Wait-I-CEA, Wait-Conn-Ack/Elect, Wait-Returns
    int64_t cer_timeout_ms = 10000;    // an accepted connection's CER (TLS handshake included)
    int64_t dpa_timeout_ms = 2000;     // Closing: our DPR's answer
    size_t max_pending_connections = 64;  // accepted, CER not yet received
    size_t max_output_bytes = 8u << 20;   // unsent bytes of one connection
    size_t max_pending_requests = 65536;  // our requests awaiting answers
    CodecConfig codec;

    // One line per event worth logging (connections, refusals, state changes, protocol errors).
    // Default: stderr.
    std::function<void(std::string_view)> log;
};

// Start-up failure: bad settings, a listener that cannot bind, TLS that cannot be set up.
class NodeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Node;
struct Peer;

// A configured peer, as the application sees it. Valid as long as the node.
class PeerRef {
public:
    size_t index() const;                // position in NodeSettings::peers
    std::string_view identity() const;   // as configured
    std::string_view realm() const;      // the Origin-Realm of its CER/CEA, "" before the first
    PeerState state() const;
    bool operator==(const PeerRef& other) const { return peer_ == other.peer_; }

private:
    friend class Node;
    friend class Responder;
    explicit PeerRef(const Peer* peer) : peer_(peer) {}
    const Peer* peer_;
};

// Answers one request, now or later (after the loop iteration that delivered it: the daemon
// answers AARs after its end-of-iteration group commit). Copyable; answer once. Must not outlive
// the node.
class Responder {
public:
    // Sends `answer` on the connection the request came on, with the request's hop-by-hop and
    // end-to-end ids. False, and nothing sent, when that connection is gone (the peer closed or
    // failed meanwhile), the answer is longer than the codec allows, or it was answered already.
    bool answer(const Message& answer);
    bool answered() const { return answered_; }
    PeerRef peer() const;

private:
    friend class Node;
    Responder(Node* node, uint64_t connection, const Peer* peer, uint32_t hop_by_hop, uint32_t end_to_end)
        : node_(node), connection_(connection), peer_(peer), hop_by_hop_(hop_by_hop), end_to_end_(end_to_end) {}
    Node* node_;
    uint64_t connection_;
    const Peer* peer_;
    uint32_t hop_by_hop_;
    uint32_t end_to_end_;
    bool answered_ = false;
};

// What the daemon implements. Called on the loop's thread; must not throw (an exception is
// caught, logged and the request answered with DIAMETER_UNABLE_TO_COMPLY).
class ApplicationHandler {
public:
    virtual ~ApplicationHandler() = default;
    // A request of a served application (AAR, STR, ...) that passed decode() and validate(), from
    // an open peer.
    virtual void on_request(PeerRef peer, Message&& request, Responder responder) = 0;
    // The peer became open (true) or stopped being open (false).
    virtual void on_peer_state(PeerRef peer, bool open) = 0;
};

// Why one of our requests got no answer.
enum class RequestFailure : uint8_t {
    none,
    unknown_peer,      // no configured peer of that identity
    peer_not_open,     // the peer has no open connection (or the node is shutting down)
    not_a_request,     // the message has no R bit
    too_large,         // encodes to more than codec.max_message_size
    too_many_pending,  // max_pending_requests reached
    timeout,           // no answer in time
    connection_lost,   // the connection closed before the answer
    invalid_answer,    // the answer failed decode() or validate()
};
std::string_view request_failure_name(RequestFailure failure);

struct RequestOutcome {
    std::optional<Message> answer;  // the answer, when one came
    RequestFailure failure = RequestFailure::none;
    std::string detail;             // invalid_answer: what was wrong
    bool ok() const { return answer.has_value(); }
};
using AnswerCallback = std::function<void(RequestOutcome&& outcome)>;

// Counters of one command (index in kCommands; the last slot counts unknown commands).
struct MessageCounters {
    uint64_t received = 0;  // requests and answers
    uint64_t sent = 0;
    uint64_t errors = 0;    // received ones that failed decode() or validate()
};
inline constexpr size_t kCommandSlots = std::size(kCommands) + 1;
using CommandCounters = std::array<MessageCounters, kCommandSlots>;
// The slot of a command code.
size_t command_slot(uint32_t command_code);

// A peer as the CLI shows it.
struct PeerStatus {
    std::string identity;
    std::string realm;         // from its CER/CEA, else the configured one
    std::string address;       // "ip:port" of the open connection, else where we connect, else
                               // the address it must come from, else ""
    PeerState state = PeerState::closed;
    bool tls = false;          // of the open connection
    std::optional<int64_t> open_since_ms;      // EventLoop::now_ms() when it opened
    std::optional<int64_t> last_watchdog_ms;   // when the last DWA arrived
    std::string product_name;  // from its CER/CEA
    std::optional<uint32_t> origin_state_id;
    CommandCounters messages{};
    uint64_t protocol_errors = 0;  // invalid frames, non-CER first, decode or validate failures
    uint64_t connections = 0;      // times it opened
};

struct NodeCounters {
    uint64_t connections_accepted = 0;
    uint64_t connections_refused = 0;     // over max_pending_connections, or while stopping
    uint64_t cer_rejected = 0;            // CEA with an error: unknown peer, no common app, ...
    uint64_t cer_timeouts = 0;
    uint64_t not_cer_first = 0;
    uint64_t tls_handshake_failures = 0;
    uint64_t invalid_frames = 0;          // check_frame() said invalid: connection closed
    uint64_t requests_rejected = 0;       // requests answered with a decode/validate error
    uint64_t answers_dropped = 0;         // answers that failed decode/validate, or matched nothing
    uint64_t requests_timed_out = 0;
    uint64_t watchdog_failures = 0;
    uint64_t slow_reader_disconnects = 0;
    uint64_t late_answers_dropped = 0;    // Responder::answer on a connection already gone
    CommandCounters messages{};
};

class Node {
public:
    // Validates the settings, sets up TLS and binds every listener (NodeError on failure), and
    // schedules the first connection to each peer that has a connect address (in the loop's next
    // iteration). `handler` must outlive the node.
    Node(controld::EventLoop& loop, NodeSettings settings, ApplicationHandler& handler);
    // Closes every connection at once (no DPR: call shutdown() first for a clean stop) and
    // cancels its timers. Pending request callbacks are not called.
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    const std::string& identity() const;
    const std::string& realm() const;
    const CodecConfig& codec() const;
    // The bound listeners (ports filled in when 0 was asked for), plain then TLS.
    const std::vector<net::Endpoint>& listen_endpoints() const;
    const std::vector<net::Endpoint>& tls_listen_endpoints() const;

    // Sends one of our requests (RAR, ASR, ...) to the peer, assigning the hop-by-hop and
    // end-to-end ids (RFC 6733 §3). Fails at once (returned, `done` never called) for an unknown
    // or not open peer, a message that is no request or is too large, or too many pending.
    // Otherwise `done` is called exactly once, later: with the answer (matched by hop-by-hop id on
    // the same connection), or timeout after timeout_ms, or connection_lost, or invalid_answer.
    RequestFailure send_request(std::string_view peer_identity, Message request, AnswerCallback done,
                                int64_t timeout_ms = 10000);

    // An answer to `request` with Origin-Host, Origin-Realm and Result-Code (after the Session-Id
    // Message::answer_to puts first, and Auth-Application-Id where the answer requires it): what
    // most application answers start from. A 3xxx result sets the E bit.
    Message make_answer(const Message& request, ResultCode result) const;

    // Stops: closes the listeners, no more reconnects, sends DPR (Disconnect-Cause REBOOTING) to
    // every open peer and closes each after its DPA or dpa_timeout_ms; every other connection is
    // closed at once. `done` (optional) is called when every peer is closed.
    void shutdown(std::function<void()> done = {});
    bool stopping() const { return stopping_; }

    // Writes every connection's queued output now (the end-of-iteration hook does it anyway).
    void flush();

    // ---- Status ----
    std::optional<PeerRef> find_peer(std::string_view identity) const;
    std::vector<PeerStatus> peer_status() const;
    const NodeCounters& counters() const { return counters_; }
    size_t connection_count() const;  // open, opening and pending connections
    size_t pending_request_count() const;

private:
    struct Connection;
    struct Listener;
    friend class Responder;
    friend class PeerRef;

    struct PendingRequest {
        uint64_t serial = 0;
        uint64_t connection = 0;
        Peer* peer = nullptr;
        AnswerCallback done;
    };
    struct RequestDeadline {
        int64_t deadline_ms;
        uint64_t serial;
        uint32_t hop_by_hop;
        bool operator>(const RequestDeadline& other) const { return deadline_ms > other.deadline_ms; }
    };
    struct QueuedEvent {
        Peer* peer;
        PeerEvent event;
        uint64_t subject;  // connection id, 0: none
    };
    // At most one line a second for events a hostile peer can repeat at will.
    struct LogThrottle {
        int64_t last_ms = -1000000;
        uint64_t suppressed = 0;
    };

    // Set-up
    void validate_settings() const;
    void open_listener(const net::Endpoint& endpoint, bool tls);
    void end_of_iteration();

    // Connections
    void accept_connections(Listener& listener);
    void start_connect(Peer& peer);
    Connection* add_connection(int fd, bool tls, const net::Endpoint& remote, Peer* peer, bool initiator);
    void on_connection_event(uint64_t id, uint32_t events);
    void on_handshake(Connection& c);
    void on_transport_ready(Connection& c);
    void read_from(Connection& c);
    void process_input(Connection& c);
    void handle_pending_frame(Connection& c, std::span<const uint8_t> frame);
    void handle_cea_frame(Connection& c, std::span<const uint8_t> frame);
    void handle_open_frame(Connection& c, std::span<const uint8_t> frame);
    void handle_answer(Connection& c, std::span<const uint8_t> frame);
    void handle_base_request(Connection& c, const Message& request);
    void deliver_request(Connection& c, Message&& request, std::span<const uint8_t> frame);
    void answer_with_error(Connection& c, std::span<const uint8_t> frame, const Error& error);
    bool send_message(Connection& c, const Message& message);
    bool send_answer(uint64_t connection, uint32_t hop_by_hop, uint32_t end_to_end, const Message& answer);
    void mark_dirty(Connection& c);
    void flush_connection(Connection& c);
    void update_interest(Connection& c);
    // The other side closed, an I/O or protocol error, a watchdog expiry: feeds the peer's state
    // machine (which closes the connection) and closes it in any case.
    void connection_failed(Connection& c, const std::string& reason);
    // Closes without telling the state machine (its own actions, refused connections).
    void drop_connection(Connection& c, const std::string& reason);
    void close_after_flush(Connection& c, const std::string& reason);
    void detach(Connection& c);
    Connection* find_connection(uint64_t id) const;
    net::IpAddr local_address(const Connection& c) const;

    // Capabilities exchange
    void process_cer(Connection& c, Message&& cer);
    void reject_cer(Connection& c, const Message& cer, ResultCode result, const std::string& reason,
                    std::string_view error_message);
    void process_cea(Connection& c, Message&& cea);

    // The state machine
    void fire(Peer& peer, PeerEvent event, Connection* subject = nullptr);
    void dispatch(const QueuedEvent& event);
    void run_actions(Peer& peer, uint16_t actions, Connection* subject);
    void enter_state(Peer& peer, PeerState old_state);
    void arm_state_timer(Peer& peer, int64_t delay_ms);
    void schedule_reconnect(Peer& peer, int64_t delay_ms);
    Connection* open_connection(const Peer& peer) const;
    void send_cer(Connection& c);
    void send_cea(Connection& c);
    void send_dpr(Connection& c);

    // Watchdog (RFC 3539)
    void arm_watchdog(Connection& c, int64_t delay_ms);
    void on_watchdog(uint64_t connection_id);
    int64_t jittered_watchdog();
    uint64_t random64();

    // Our requests
    void fail_pending_requests(uint64_t connection_id, RequestFailure failure);
    void complete_request(uint32_t hop_by_hop, RequestOutcome&& outcome);
    void arm_request_timer();
    void on_request_timer();

    void log(const std::string& line) const;
    void log_throttled(LogThrottle& throttle, const std::string& line);
    std::string describe(const Connection& c) const;
    void maybe_finish_shutdown();

    controld::EventLoop& loop_;
    NodeSettings settings_;
    ApplicationHandler& handler_;
    LocalCapabilities local_;
    std::unique_ptr<TlsContext> tls_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::vector<net::Endpoint> listen_endpoints_;
    std::vector<net::Endpoint> tls_listen_endpoints_;
    std::vector<std::unique_ptr<Peer>> peers_;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
    std::vector<std::unique_ptr<Connection>> closed_;  // freed at the end of the iteration
    std::vector<uint64_t> dirty_;                      // connections with output to write
    std::vector<uint64_t> flushing_;                   // dirty_ while flush() works on it
    controld::EventLoop::TimerId flush_timer_ = 0;
    uint64_t next_connection_id_ = 1;
    size_t pending_connections_ = 0;

    std::deque<QueuedEvent> events_;
    bool dispatching_ = false;
    std::vector<uint64_t> resume_;  // connections that opened with input already buffered

    uint32_t hop_by_hop_ = 0;
    uint32_t end_to_end_ = 0;
    uint64_t rng_state_ = 0;
    std::unordered_map<uint32_t, PendingRequest> pending_requests_;
    std::vector<RequestDeadline> request_deadlines_;  // min-heap; entries of answered ones linger
    uint64_t next_request_serial_ = 1;
    controld::EventLoop::TimerId request_timer_ = 0;
    int64_t request_timer_deadline_ = 0;

    bool stopping_ = false;
    std::function<void()> shutdown_done_;
    controld::EventLoop::TimerId shutdown_timer_ = 0;
    NodeCounters counters_;
    std::shared_ptr<Node*> self_;  // the loop's hook outlives the node: it holds a weak_ptr
    LogThrottle refusal_log_;
    LogThrottle answer_log_;
    LogThrottle request_log_;
};

}  // namespace msf::diameter
