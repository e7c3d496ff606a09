#include "controlplane/diameter/node.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>

namespace msf::diameter {

namespace {

constexpr int kListenBacklog = 128;
constexpr size_t kAcceptsPerEvent = 16;
constexpr size_t kInitialInputBuffer = 64 * 1024;
constexpr size_t kMinReadSpace = 16 * 1024;
// Bytes read from one connection per readiness event, so one busy peer cannot starve the others
// (level-triggered epoll brings the loop back for the rest).
constexpr size_t kReadBudget = 1024 * 1024;
// A connection closed "after its last message is written" waits at most this long for the peer
// to read it.
constexpr int64_t kDrainTimeoutMs = 1000;
// Sent bytes kept at the front of the output buffer before it is compacted.
constexpr size_t kOutputCompactBytes = 256 * 1024;
constexpr uint32_t kDisconnectRebooting = 0;  // RFC 6733 §5.4.3
constexpr uint32_t kDisconnectBusy = 1;
constexpr uint32_t kDisconnectDoNotWantToTalkToYou = 2;

std::string errno_text(int err) { return std::strerror(err); }

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SocketAddress to_sockaddr(const net::Endpoint& endpoint) {
    SocketAddress a;
    if (endpoint.addr.is_v4()) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&a.storage);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(endpoint.port);
        std::memcpy(&sin->sin_addr, endpoint.addr.bytes.data(), 4);
        a.length = sizeof(sockaddr_in);
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(endpoint.port);
        std::memcpy(&sin6->sin6_addr, endpoint.addr.bytes.data(), 16);
        a.length = sizeof(sockaddr_in6);
    }
    return a;
}

// IPv4-mapped IPv6 addresses (a dual-stack listener) come out as IPv4, so that a peer's
// configured IPv4 address matches.
net::Endpoint from_sockaddr(const sockaddr_storage& storage) {
    net::Endpoint e;
    if (storage.ss_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
        e.addr = net::IpAddr::v4(reinterpret_cast<const uint8_t*>(&sin->sin_addr));
        e.port = ntohs(sin->sin_port);
    } else if (storage.ss_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
        const auto* bytes = reinterpret_cast<const uint8_t*>(&sin6->sin6_addr);
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) e.addr = net::IpAddr::v4(bytes + 12);
        else e.addr = net::IpAddr::v6(bytes);
        e.port = ntohs(sin6->sin6_port);
    }
    return e;
}

void set_nodelay(int fd) {
    // Writes are coalesced here, once per loop iteration: Nagle would only delay the answers.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string command_name(std::span<const uint8_t> frame) {
    const uint32_t code = load_be24(frame.data() + 5);
    const bool request = (frame[4] & kFlagRequest) != 0;
    if (const CommandDef* c = find_command(code))
        return std::string(request ? c->request_abbrev : c->answer_abbrev);
    return "command " + std::to_string(code) + (request ? " request" : " answer");
}

bool wire_is_request(std::span<const uint8_t> frame) { return (frame[4] & kFlagRequest) != 0; }
uint32_t wire_command(std::span<const uint8_t> frame) { return load_be24(frame.data() + 5); }

std::optional<uint32_t> result_code_of(const Message& m) {
    if (auto a = m.find(avp::result_code)) return a->unsigned32();
    return std::nullopt;
}

std::string result_text(const Message& m) {
    const auto code = result_code_of(m);
    if (!code) return "no Result-Code";
    std::string text = std::to_string(*code);
    const std::string_view name = result_code_name(*code);
    if (!name.empty()) text = std::string(name) + " (" + text + ")";
    if (auto e = m.find(avp::error_message)) text += ": " + std::string(e->text().substr(0, 200));
    return text;
}

}  // namespace

// ---- Internal types ----

struct Peer {
    size_t index = 0;
    PeerSettings settings;
    PeerState state = PeerState::closed;
    uint64_t initiator = 0;  // connection ids, 0: none
    uint64_t responder = 0;
    controld::EventLoop::TimerId state_timer = 0;
    controld::EventLoop::TimerId reconnect_timer = 0;
    int64_t reconnect_delay_ms = -1;  // the next reconnect's wait, -1: reconnect_ms
    PeerCapabilities capabilities;    // of the last connection that opened
    std::string address;              // of the open connection
    bool tls = false;
    std::optional<int64_t> open_since_ms;
    std::optional<int64_t> last_watchdog_ms;
    CommandCounters messages{};
    uint64_t protocol_errors = 0;
    uint64_t connections = 0;
};

struct Node::Listener {
    controld::EventLoop* loop = nullptr;
    int fd = -1;
    bool tls = false;
    net::Endpoint endpoint;

    ~Listener() {
        if (fd >= 0) {
            loop->remove(fd);
            ::close(fd);
        }
    }
};

struct Node::Connection {
    enum class Phase : uint8_t {
        connecting,    // I: TCP connect in progress
        handshaking,   // TLS handshake
        awaiting_cer,  // R: accepted, no CER yet
        awaiting_cea,  // I: our CER is out
        held,          // R: its CER passed the checks; the state machine has not answered it yet
        open,
        draining,      // closes once its output is written
    };

    uint64_t id = 0;
    std::unique_ptr<Transport> transport;
    net::Endpoint remote;
    Peer* peer = nullptr;  // I: from the start; R: once its CER is accepted (R-Accept)
    bool initiator = false;
    bool closed = false;
    bool processing = false;     // inside process_input
    bool pending_slot = false;   // counts against max_pending_connections
    Phase phase = Phase::awaiting_cer;
    IoStatus handshake_wants = IoStatus::want_read;

    std::vector<uint8_t> in;
    size_t in_start = 0;
    size_t in_end = 0;
    std::vector<uint8_t> out;
    size_t out_sent = 0;
    bool dirty = false;
    bool read_wants_write = false;
    bool write_wants_read = false;
    uint32_t interest = 0;

    controld::EventLoop::TimerId timer = 0;  // CER wait, drain bound
    controld::EventLoop::TimerId watchdog_timer = 0;
    uint64_t bytes_received = 0;
    uint64_t bytes_received_at_dwr = 0;
    bool dwr_outstanding = false;
    int64_t last_receive_ms = 0;

    std::optional<Message> held_cer;  // R: the CER our CEA answers
    PeerCapabilities capabilities;    // from its CER or CEA

    size_t pending_output() const { return out.size() - out_sent; }
};

// ---- Small public pieces ----

std::string_view request_failure_name(RequestFailure failure) {
    switch (failure) {
    case RequestFailure::none: return "none";
    case RequestFailure::unknown_peer: return "unknown peer";
    case RequestFailure::peer_not_open: return "peer not open";
    case RequestFailure::not_a_request: return "not a request";
    case RequestFailure::too_large: return "message too large";
    case RequestFailure::too_many_pending: return "too many pending requests";
    case RequestFailure::timeout: return "timeout";
    case RequestFailure::connection_lost: return "connection lost";
    case RequestFailure::invalid_answer: return "invalid answer";
    }
    return "?";
}

size_t command_slot(uint32_t command_code) {
    for (size_t i = 0; i < std::size(kCommands); ++i)
        if (kCommands[i].code == command_code) return i;
    return std::size(kCommands);
}

size_t PeerRef::index() const { return peer_->index; }
std::string_view PeerRef::identity() const { return peer_->settings.identity; }
std::string_view PeerRef::realm() const { return peer_->capabilities.origin_realm; }
PeerState PeerRef::state() const { return peer_->state; }

PeerRef Responder::peer() const { return PeerRef(peer_); }

bool Responder::answer(const Message& answer) {
    if (answered_) return false;
    answered_ = true;
    return node_->send_answer(connection_, hop_by_hop_, end_to_end_, answer);
}

// ---- Set-up ----

Node::Node(controld::EventLoop& loop, NodeSettings settings, ApplicationHandler& handler)
    : loop_(loop), settings_(std::move(settings)), handler_(handler) {
    if (!settings_.log)
        settings_.log = [](std::string_view line) {
            std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
        };
    validate_settings();

    local_.origin_host = settings_.identity;
    local_.origin_realm = settings_.realm;
    local_.host_addresses = settings_.host_addresses;
    local_.vendor_id = settings_.vendor_id;
    local_.product_name = settings_.product_name;
    local_.firmware_revision = settings_.firmware_revision;
    // §8.16: a value that grows with each start; the start time does.
    local_.origin_state_id = settings_.origin_state_id != 0 ? settings_.origin_state_id
                                                            : static_cast<uint32_t>(std::time(nullptr));
    local_.supported_vendor_ids = settings_.supported_vendor_ids;
    if (local_.supported_vendor_ids.empty())
        local_.supported_vendor_ids = {kVendor3gpp, settings_.codec.msf_vendor_id};
    local_.auth_applications = settings_.auth_applications;

    // RFC 6733 §3: hop-by-hop ids start anywhere; end-to-end ids carry the low 12 bits of the
    // start time in their high 12 bits and a random low part, then count up.
    if (getrandom(&rng_state_, sizeof rng_state_, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof rng_state_))
        rng_state_ = static_cast<uint64_t>(std::time(nullptr)) ^ reinterpret_cast<uintptr_t>(this);
    rng_state_ |= 1;  // xorshift needs a non-zero state
    hop_by_hop_ = static_cast<uint32_t>(random64());
    end_to_end_ = (static_cast<uint32_t>(std::time(nullptr)) & 0xfff) << 20 |
                  (static_cast<uint32_t>(random64()) & 0xfffff);

    if (settings_.tls) {
        try {
            tls_ = std::make_unique<TlsContext>(*settings_.tls);
        } catch (const TlsError& e) {
            throw NodeError(e.what());
        }
    }
    for (size_t i = 0; i < settings_.peers.size(); ++i) {
        auto peer = std::make_unique<Peer>();
        peer->index = i;
        peer->settings = settings_.peers[i];
        peer->capabilities.origin_realm = peer->settings.realm;
        peers_.push_back(std::move(peer));
    }
    for (const net::Endpoint& e : settings_.listen) open_listener(e, false);
    for (const net::Endpoint& e : settings_.tls_listen) open_listener(e, true);

    self_ = std::make_shared<Node*>(this);
    loop_.add_end_of_iteration_hook([weak = std::weak_ptr<Node*>(self_)] {
        if (auto self = weak.lock()) (*self)->end_of_iteration();
    });
    for (auto& peer : peers_)
        if (peer->settings.connect) schedule_reconnect(*peer, 0);
}

Node::~Node() {
    self_.reset();
    auto cancel = [&](controld::EventLoop::TimerId& id) {
        if (id != 0) loop_.cancel_timer(id);
        id = 0;
    };
    for (auto& peer : peers_) {
        cancel(peer->state_timer);
        cancel(peer->reconnect_timer);
    }
    for (auto& [id, c] : connections_) {
        cancel(c->timer);
        cancel(c->watchdog_timer);
        if (c->transport) loop_.remove(c->transport->fd());
    }
    cancel(request_timer_);
    cancel(flush_timer_);
    cancel(shutdown_timer_);
}

void Node::validate_settings() const {
    const NodeSettings& s = settings_;
    if (s.identity.empty()) throw NodeError("Diameter: our identity (Origin-Host) is empty");
    if (s.realm.empty()) throw NodeError("Diameter: our realm (Origin-Realm) is empty");
    try {
        check_config(s.codec);
    } catch (const std::exception& e) {
        throw NodeError(std::string("Diameter codec: ") + e.what());
    }
    if (s.auth_applications.empty()) throw NodeError("Diameter: no application to serve");
    if (s.watchdog_ms <= 0 || s.reconnect_ms <= 0 || s.connect_timeout_ms <= 0 || s.cea_timeout_ms <= 0 ||
        s.cer_timeout_ms <= 0 || s.dpa_timeout_ms <= 0)
        throw NodeError("Diameter: timers must be positive");
    if (s.max_pending_connections == 0 || s.max_output_bytes == 0 || s.max_pending_requests == 0)
        throw NodeError("Diameter: limits must be positive");
    const bool tls_used = !s.tls_listen.empty() ||
                          std::any_of(s.peers.begin(), s.peers.end(), [](const PeerSettings& p) { return p.tls; });
    if (tls_used && !s.tls) throw NodeError("Diameter: TLS listeners or TLS peers need tls-cert and tls-key");
    for (size_t i = 0; i < s.peers.size(); ++i) {
        const PeerSettings& p = s.peers[i];
        if (p.identity.empty()) throw NodeError("Diameter: a peer without identity");
        if (same_identity(p.identity, s.identity))
            throw NodeError("Diameter: peer " + p.identity + " has our own identity");
        for (size_t j = 0; j < i; ++j)
            if (same_identity(s.peers[j].identity, p.identity))
                throw NodeError("Diameter: peer " + p.identity + " is configured twice");
        if (p.connect && (p.connect->addr.empty() || p.connect->port == 0))
            throw NodeError("Diameter: peer " + p.identity + " has no usable connect address");
    }
}

void Node::open_listener(const net::Endpoint& endpoint, bool tls) {
    const std::string name = (tls ? "TLS listener " : "listener ") + endpoint.to_string();
    if (endpoint.addr.empty()) throw NodeError("Diameter: " + name + " has no address");
    const int family = endpoint.addr.is_v4() ? AF_INET : AF_INET6;
    const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw NodeError("Diameter: " + name + ": socket: " + errno_text(errno));
    auto listener = std::make_unique<Listener>();
    listener->loop = &loop_;
    listener->fd = fd;
    listener->tls = tls;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    const SocketAddress address = to_sockaddr(endpoint);
    if (::bind(fd, address.get(), address.length) != 0)
        throw NodeError("Diameter: " + name + ": bind: " + errno_text(errno));
    if (::listen(fd, kListenBacklog) != 0) throw NodeError("Diameter: " + name + ": listen: " + errno_text(errno));
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    listener->endpoint = from_sockaddr(bound);
    Listener* raw = listener.get();
    if (!loop_.add(fd, EPOLLIN, [this, raw](uint32_t) { accept_connections(*raw); }))
        throw NodeError("Diameter: " + name + ": epoll: " + errno_text(errno));
    (tls ? tls_listen_endpoints_ : listen_endpoints_).push_back(listener->endpoint);
    listeners_.push_back(std::move(listener));
}

const std::string& Node::identity() const { return settings_.identity; }
const std::string& Node::realm() const { return settings_.realm; }
const CodecConfig& Node::codec() const { return settings_.codec; }
const std::vector<net::Endpoint>& Node::listen_endpoints() const { return listen_endpoints_; }
const std::vector<net::Endpoint>& Node::tls_listen_endpoints() const { return tls_listen_endpoints_; }

void Node::end_of_iteration() {
    flush();
    closed_.clear();
}

// ---- Logging ----

void Node::log(const std::string& line) const { settings_.log("diameter: " + line); }

void Node::log_throttled(LogThrottle& throttle, const std::string& line) {
    const int64_t now = controld::EventLoop::now_ms();
    if (now - throttle.last_ms < 1000) {
        ++throttle.suppressed;
        return;
    }
    std::string text = line;
    if (throttle.suppressed > 0)
        text += " (" + std::to_string(throttle.suppressed) + " more like it in the last second not logged)";
    throttle.last_ms = now;
    throttle.suppressed = 0;
    log(text);
}

std::string Node::describe(const Connection& c) const {
    if (c.peer != nullptr) return "peer " + c.peer->settings.identity + " (" + c.remote.to_string() + ")";
    return "connection from " + c.remote.to_string();
}

// ---- Connections ----

Node::Connection* Node::find_connection(uint64_t id) const {
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second.get();
}

Node::Connection* Node::add_connection(int fd, bool tls, const net::Endpoint& remote, Peer* peer, bool initiator) {
    auto c = std::make_unique<Connection>();
    c->id = next_connection_id_++;
    c->remote = remote;
    c->peer = peer;
    c->initiator = initiator;
    try {
        if (tls)
            c->transport = std::make_unique<Transport>(fd, *tls_, initiator ? TlsRole::client : TlsRole::server,
                                                       peer != nullptr ? peer->settings.identity : std::string());
        else
            c->transport = std::make_unique<Transport>(fd);
    } catch (const TlsError& e) {
        log(std::string("connection ") + remote.to_string() + ": " + e.what());
        return nullptr;  // the transport closed fd
    }
    c->phase = initiator ? Connection::Phase::connecting
                         : (tls ? Connection::Phase::handshaking : Connection::Phase::awaiting_cer);
    c->in.resize(kInitialInputBuffer);
    c->last_receive_ms = controld::EventLoop::now_ms();
    c->interest = initiator ? EPOLLOUT : EPOLLIN;
    const uint64_t id = c->id;
    if (!loop_.add(fd, c->interest, [this, id](uint32_t events) { on_connection_event(id, events); })) {
        log("connection " + remote.to_string() + ": epoll: " + errno_text(errno));
        return nullptr;
    }
    Connection* raw = c.get();
    connections_.emplace(id, std::move(c));
    return raw;
}

void Node::accept_connections(Listener& listener) {
    for (size_t i = 0; i < kAcceptsPerEvent; ++i) {
        sockaddr_storage from{};
        socklen_t length = sizeof from;
        const int fd = ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&from), &length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            if (errno == ECONNABORTED) continue;
            log_throttled(refusal_log_, "listener " + listener.endpoint.to_string() + ": accept: " + errno_text(errno));
            return;
        }
        const net::Endpoint remote = from_sockaddr(from);
        if (stopping_ || pending_connections_ >= settings_.max_pending_connections) {
            ::close(fd);
            ++counters_.connections_refused;
            log_throttled(refusal_log_, "connection from " + remote.to_string() + " refused: " +
                                            (stopping_ ? std::string("shutting down")
                                                       : std::to_string(pending_connections_) +
                                                             " connections already wait for their CER"));
            continue;
        }
        set_nodelay(fd);
        Connection* c = add_connection(fd, listener.tls, remote, nullptr, false);
        if (c == nullptr) continue;
        ++counters_.connections_accepted;
        c->pending_slot = true;
        ++pending_connections_;
        const uint64_t id = c->id;
        c->timer = loop_.add_timer(settings_.cer_timeout_ms, [this, id] {
            Connection* pending = find_connection(id);
            if (pending == nullptr) return;
            pending->timer = 0;
            ++counters_.cer_timeouts;
            drop_connection(*pending, "closed: no CER within " + std::to_string(settings_.cer_timeout_ms) + " ms");
        });
    }
}

void Node::start_connect(Peer& peer) {
    const net::Endpoint& target = *peer.settings.connect;
    const int fd = ::socket(target.addr.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log("peer " + peer.settings.identity + ": socket: " + errno_text(errno));
        fire(peer, PeerEvent::i_rcv_conn_nack);
        return;
    }
    set_nodelay(fd);
    const SocketAddress address = to_sockaddr(target);
    if (::connect(fd, address.get(), address.length) != 0 && errno != EINPROGRESS) {
        log("peer " + peer.settings.identity + ": connect to " + target.to_string() + ": " + errno_text(errno));
        ::close(fd);
        fire(peer, PeerEvent::i_rcv_conn_nack);
        return;
    }
    // Connected or in progress: the socket turns writable either way.
    Connection* c = add_connection(fd, peer.settings.tls, target, &peer, true);
    if (c == nullptr) {
        fire(peer, PeerEvent::i_rcv_conn_nack);
        return;
    }
    peer.initiator = c->id;
}

void Node::on_connection_event(uint64_t id, uint32_t events) {
    Connection* found = find_connection(id);
    if (found == nullptr || found->closed) return;
    Connection& c = *found;
    using Phase = Connection::Phase;
    switch (c.phase) {
    case Phase::connecting: {
        int err = 0;
        socklen_t length = sizeof err;
        if (getsockopt(c.transport->fd(), SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
        if (err != 0) {
            connection_failed(c, "connect to " + c.remote.to_string() + ": " + errno_text(err));
            return;
        }
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
        if (c.transport->tls()) {
            c.phase = Phase::handshaking;
            on_handshake(c);
        } else {
            on_transport_ready(c);
        }
        return;
    }
    case Phase::handshaking: on_handshake(c); return;
    case Phase::held:
        // Its CER waits for the election; only its end matters now.
        if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) connection_failed(c, "closed by the peer");
        return;
    case Phase::draining:
        if ((events & (EPOLLHUP | EPOLLERR)) != 0) {
            drop_connection(c, "");
            return;
        }
        flush_connection(c);
        return;
    default: break;
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 || (c.read_wants_write && (events & EPOLLOUT) != 0)) {
        read_from(c);
        if (c.closed) return;
    }
    if ((events & EPOLLOUT) != 0 || (c.write_wants_read && (events & EPOLLIN) != 0)) {
        flush_connection(c);
        if (c.closed) return;
    }
    update_interest(c);
}

void Node::on_handshake(Connection& c) {
    const IoResult r = c.transport->handshake();
    switch (r.status) {
    case IoStatus::done:
        on_transport_ready(c);
        return;
    case IoStatus::want_read:
    case IoStatus::want_write:
        c.handshake_wants = r.status;
        update_interest(c);
        return;
    case IoStatus::closed:
    case IoStatus::failed:
        ++counters_.tls_handshake_failures;
        if (c.peer != nullptr) ++c.peer->protocol_errors;
        connection_failed(c, c.transport->error());
        return;
    }
}

// TCP connected (and the TLS handshake done): an I connection sends its CER, an R connection
// waits for one.
void Node::on_transport_ready(Connection& c) {
    if (c.initiator) {
        c.phase = Connection::Phase::awaiting_cea;
        fire(*c.peer, PeerEvent::i_rcv_conn_ack, &c);
        if (!c.closed) update_interest(c);
        return;
    }
    c.phase = Connection::Phase::awaiting_cer;
    update_interest(c);
    // Application data may have come with the last handshake record.
    if (c.transport->has_buffered_input()) read_from(c);
}

void Node::read_from(Connection& c) {
    const size_t buffer_limit = std::max(kInitialInputBuffer, settings_.codec.max_message_size + kMinReadSpace);
    size_t budget = kReadBudget;
    for (;;) {
        if (c.in.size() - c.in_end < kMinReadSpace) {
            if (c.in_start > 0) {
                std::memmove(c.in.data(), c.in.data() + c.in_start, c.in_end - c.in_start);
                c.in_end -= c.in_start;
                c.in_start = 0;
            }
            // The unprocessed bytes are less than one message (process_input took every whole
            // one), so the limit always leaves room.
            if (c.in.size() - c.in_end < kMinReadSpace && c.in.size() < buffer_limit)
                c.in.resize(std::min(buffer_limit, c.in.size() * 2));
        }
        const IoResult r = c.transport->read(std::span<uint8_t>(c.in.data() + c.in_end, c.in.size() - c.in_end));
        switch (r.status) {
        case IoStatus::done:
            c.in_end += r.bytes;
            c.bytes_received += r.bytes;
            c.read_wants_write = false;
            c.last_receive_ms = controld::EventLoop::now_ms();
            process_input(c);
            if (c.closed || c.phase == Connection::Phase::held || c.phase == Connection::Phase::draining) return;
            budget -= std::min(budget, r.bytes);
            if (budget == 0 && !c.transport->has_buffered_input()) return;
            continue;
        case IoStatus::want_read: c.read_wants_write = false; return;
        case IoStatus::want_write: c.read_wants_write = true; return;
        case IoStatus::closed: connection_failed(c, "closed by the peer"); return;
        case IoStatus::failed: connection_failed(c, c.transport->error()); return;
        }
    }
}

void Node::process_input(Connection& c) {
    using Phase = Connection::Phase;
    c.processing = true;
    while (!c.closed && (c.phase == Phase::awaiting_cer || c.phase == Phase::awaiting_cea || c.phase == Phase::open)) {
        const std::span<const uint8_t> available(c.in.data() + c.in_start, c.in_end - c.in_start);
        const FrameCheck check = check_frame(available, settings_.codec.max_message_size);
        if (check.state == FrameCheck::State::need_more) break;
        if (check.state == FrameCheck::State::invalid) {
            ++counters_.invalid_frames;
            if (c.peer != nullptr) ++c.peer->protocol_errors;
            connection_failed(c, "invalid frame: " + check.error);
            break;
        }
        const std::span<const uint8_t> frame = available.first(check.length);
        c.in_start += check.length;
        switch (c.phase) {
        case Phase::awaiting_cer: handle_pending_frame(c, frame); break;
        case Phase::awaiting_cea: handle_cea_frame(c, frame); break;
        default: handle_open_frame(c, frame); break;
        }
    }
    if (c.in_start == c.in_end) c.in_start = c.in_end = 0;
    c.processing = false;
}

// ---- Output ----

bool Node::send_message(Connection& c, const Message& message) {
    const size_t start = c.out.size();
    message.encode(c.out);
    const size_t length = c.out.size() - start;
    if (length > settings_.codec.max_message_size) {
        c.out.resize(start);
        log(describe(c) + ": " + message.name() + " of " + std::to_string(length) +
            " bytes not sent: over the maximum message size");
        return false;
    }
    const size_t slot = command_slot(message.command_code());
    ++counters_.messages[slot].sent;
    if (c.peer != nullptr) ++c.peer->messages[slot].sent;
    mark_dirty(c);
    return true;
}

bool Node::send_answer(uint64_t connection, uint32_t hop_by_hop, uint32_t end_to_end, const Message& answer) {
    Connection* c = find_connection(connection);
    if (c == nullptr || c->closed || c->phase != Connection::Phase::open) {
        ++counters_.late_answers_dropped;
        return false;
    }
    const size_t start = c->out.size();
    if (!send_message(*c, answer)) return false;
    // §6.2: the answer carries the request's ids, whatever the handler built it from.
    store_be32(c->out.data() + start + 12, hop_by_hop);
    store_be32(c->out.data() + start + 16, end_to_end);
    return true;
}

void Node::mark_dirty(Connection& c) {
    if (c.dirty) return;
    c.dirty = true;
    dirty_.push_back(c.id);
    // The end-of-iteration hook flushes; this timer covers output queued after it ran (an answer
    // given in a hook added after ours), which must not wait for the next unrelated event.
    if (flush_timer_ == 0)
        flush_timer_ = loop_.add_timer(0, [this] {
            flush_timer_ = 0;
            flush();
        });
}

void Node::flush() {
    while (!dirty_.empty()) {
        flushing_.swap(dirty_);
        for (uint64_t id : flushing_) {
            Connection* c = find_connection(id);
            if (c == nullptr || c->closed) continue;
            c->dirty = false;
            flush_connection(*c);
        }
        flushing_.clear();
    }
    if (flush_timer_ != 0) {
        loop_.cancel_timer(flush_timer_);
        flush_timer_ = 0;
    }
}

void Node::flush_connection(Connection& c) {
    if (c.phase == Connection::Phase::connecting || c.phase == Connection::Phase::handshaking) return;
    while (c.out_sent < c.out.size()) {
        const IoResult r = c.transport->write(std::span<const uint8_t>(c.out.data() + c.out_sent, c.pending_output()));
        if (r.status == IoStatus::done) {
            c.out_sent += r.bytes;
            c.write_wants_read = false;
            continue;
        }
        if (r.status == IoStatus::want_write) {
            c.write_wants_read = false;
            break;
        }
        if (r.status == IoStatus::want_read) {
            c.write_wants_read = true;
            break;
        }
        if (c.phase == Connection::Phase::draining) drop_connection(c, "");
        else connection_failed(c, r.status == IoStatus::closed ? "closed by the peer" : c.transport->error());
        return;
    }
    if (c.out_sent == c.out.size()) {
        c.out.clear();
        c.out_sent = 0;
        if (c.phase == Connection::Phase::draining) {
            drop_connection(c, "");
            return;
        }
    } else {
        if (c.pending_output() > settings_.max_output_bytes) {
            ++counters_.slow_reader_disconnects;
            connection_failed(c, "does not read: " + std::to_string(c.pending_output()) + " bytes unsent");
            return;
        }
        if (c.out_sent >= kOutputCompactBytes) {
            c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_sent));
            c.out_sent = 0;
        }
    }
    update_interest(c);
}

void Node::update_interest(Connection& c) {
    if (c.closed) return;
    using Phase = Connection::Phase;
    uint32_t want = 0;
    switch (c.phase) {
    case Phase::connecting: want = EPOLLOUT; break;
    case Phase::handshaking: want = c.handshake_wants == IoStatus::want_write ? uint32_t{EPOLLOUT} : uint32_t{EPOLLIN}; break;
    case Phase::held: want = EPOLLRDHUP; break;
    case Phase::draining: want = c.pending_output() > 0 ? uint32_t{EPOLLOUT} : 0u; break;
    default:
        want = EPOLLIN;
        if (c.pending_output() > 0 || c.read_wants_write) want |= EPOLLOUT;
        break;
    }
    if (want != c.interest) {
        loop_.modify(c.transport->fd(), want);
        c.interest = want;
    }
}

// ---- Closing ----

void Node::detach(Connection& c) {
    if (c.peer == nullptr) return;
    if (c.peer->initiator == c.id) c.peer->initiator = 0;
    if (c.peer->responder == c.id) c.peer->responder = 0;
}

void Node::drop_connection(Connection& c, const std::string& reason) {
    if (c.closed) return;
    c.closed = true;
    if (!reason.empty()) log(describe(c) + ": " + reason);
    if (c.timer != 0) loop_.cancel_timer(c.timer);
    if (c.watchdog_timer != 0) loop_.cancel_timer(c.watchdog_timer);
    c.timer = c.watchdog_timer = 0;
    if (c.pending_slot) {
        c.pending_slot = false;
        --pending_connections_;
    }
    detach(c);
    loop_.remove(c.transport->fd());
    c.transport.reset();  // closes the socket now: the peer sees the end at once
    const uint64_t id = c.id;
    auto it = connections_.find(id);
    if (it != connections_.end()) {
        // Freed at the end of the iteration: callers up the stack may still hold a reference.
        closed_.push_back(std::move(it->second));
        connections_.erase(it);
    }
    fail_pending_requests(id, RequestFailure::connection_lost);
    maybe_finish_shutdown();
}

void Node::close_after_flush(Connection& c, const std::string& reason) {
    if (c.closed) return;
    if (!reason.empty()) log(describe(c) + ": " + reason);
    detach(c);
    c.phase = Connection::Phase::draining;
    if (c.watchdog_timer != 0) loop_.cancel_timer(c.watchdog_timer);
    c.watchdog_timer = 0;
    if (c.timer != 0) loop_.cancel_timer(c.timer);
    const uint64_t id = c.id;
    c.timer = loop_.add_timer(kDrainTimeoutMs, [this, id] {
        if (Connection* draining = find_connection(id)) {
            draining->timer = 0;
            drop_connection(*draining, "closed: its last message was not read in time");
        }
    });
    fail_pending_requests(id, RequestFailure::connection_lost);
    if (c.pending_output() == 0) drop_connection(c, "");
    else update_interest(c);
}

void Node::connection_failed(Connection& c, const std::string& reason) {
    if (c.closed) return;
    log(describe(c) + ": " + reason);
    Peer* peer = c.peer;
    const bool attached = peer != nullptr && (peer->initiator == c.id || peer->responder == c.id);
    if (attached) {
        using Phase = Connection::Phase;
        PeerEvent event = PeerEvent::r_peer_disc;
        if (c.initiator)
            event = c.phase == Phase::connecting || c.phase == Phase::handshaking ? PeerEvent::i_rcv_conn_nack
                                                                                    : PeerEvent::i_peer_disc;
        fire(*peer, event, &c);
    }
    drop_connection(c, "");
}

net::IpAddr Node::local_address(const Connection& c) const {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (c.transport == nullptr || getsockname(c.transport->fd(), reinterpret_cast<sockaddr*>(&local), &length) != 0)
        return {};
    return from_sockaddr(local).addr;
}

// ---- Capabilities exchange ----

void Node::handle_pending_frame(Connection& c, std::span<const uint8_t> frame) {
    ++counters_.messages[command_slot(wire_command(frame))].received;
    if (!wire_is_request(frame) || wire_command(frame) != cmd::cer.code) {
        ++counters_.not_cer_first;
        drop_connection(c, "closed: sent " + command_name(frame) + " before CER");
        return;
    }
    Decoded<Message> cer = decode(frame, settings_.codec);
    std::optional<Error> error;
    if (!cer) error = cer.error();
    else error = validate(*cer);
    if (error) {
        ++counters_.cer_rejected;
        ++counters_.messages[command_slot(cmd::cer.code)].errors;
        Message cea = error_answer(frame, *error, local_.origin_host, local_.origin_realm, settings_.codec);
        if (!cea.is_error()) complete_error_cea(cea, local_, local_address(c));
        send_message(c, cea);
        close_after_flush(c, "CER refused: " + to_string(*error));
        return;
    }
    process_cer(c, std::move(*cer));
}

void Node::reject_cer(Connection& c, const Message& cer, ResultCode result, const std::string& reason,
                      std::string_view error_message) {
    ++counters_.cer_rejected;
    send_message(c, make_cea(cer, result, local_, local_address(c), error_message));
    close_after_flush(c, "CER refused with " + std::string(result_code_name(result)) + ": " + reason);
}

void Node::process_cer(Connection& c, Message&& cer) {
    PeerCapabilities caps = read_capabilities(cer);
    Peer* peer = nullptr;
    for (auto& p : peers_)
        if (same_identity(p->settings.identity, caps.origin_host)) peer = p.get();
    const std::string who = "Origin-Host " + caps.origin_host.substr(0, 255);
    // RFC 6733 §5.3 and §7.1.3: only configured peers, from where they are configured.
    if (peer == nullptr)
        return reject_cer(c, cer, ResultCode::unknown_peer, who + " is not a configured peer", "unknown peer");
    ++peer->messages[command_slot(cmd::cer.code)].received;
    const PeerSettings& s = peer->settings;
    if (s.address && *s.address != c.remote.addr)
        return reject_cer(c, cer, ResultCode::unknown_peer,
                          who + " must connect from " + s.address->to_string(), "unknown peer");
    if (!s.realm.empty() && !same_identity(s.realm, caps.origin_realm))
        return reject_cer(c, cer, ResultCode::unknown_peer,
                          who + " came with Origin-Realm " + caps.origin_realm.substr(0, 255) + ", configured " +
                              s.realm,
                          "unknown peer");
    if (s.tls && !c.transport->tls())
        return reject_cer(c, cer, ResultCode::no_common_security, who + " must use TLS", "TLS required");
    // §13.1: the certificate must belong to the identity the CER claims.
    if (c.transport->tls() && tls_->verify_peer() && !c.transport->certificate_names(s.identity))
        return reject_cer(c, cer, ResultCode::unknown_peer, who + ": its certificate does not name it",
                          "certificate does not match Origin-Host");
    if (auto mismatch = check_capabilities(caps, local_))
        return reject_cer(c, cer, mismatch->result, who + ": " + mismatch->reason, mismatch->reason);

    // An acceptable CER: the peer's R-Conn-CER event.
    if (c.pending_slot) {
        c.pending_slot = false;
        --pending_connections_;
    }
    if (c.timer != 0) loop_.cancel_timer(c.timer);
    c.timer = 0;
    c.capabilities = std::move(caps);
    c.held_cer = std::move(cer);
    c.phase = Connection::Phase::held;
    update_interest(c);
    fire(*peer, PeerEvent::r_conn_cer, &c);
}

void Node::handle_cea_frame(Connection& c, std::span<const uint8_t> frame) {
    Peer& peer = *c.peer;
    const size_t slot = command_slot(wire_command(frame));
    ++counters_.messages[slot].received;
    ++peer.messages[slot].received;
    if (wire_is_request(frame) || wire_command(frame) != cmd::cer.code) {
        ++peer.protocol_errors;
        log(describe(c) + ": sent " + command_name(frame) + " instead of CEA");
        fire(peer, PeerEvent::i_rcv_non_cea, &c);
        drop_connection(c, "");
        return;
    }
    Decoded<Message> cea = decode(frame, settings_.codec);
    std::optional<Error> error;
    if (!cea) error = cea.error();
    else error = validate(*cea);
    if (error) {
        ++peer.protocol_errors;
        ++counters_.messages[slot].errors;
        ++peer.messages[slot].errors;
        log(describe(c) + ": invalid CEA: " + to_string(*error));
        fire(peer, PeerEvent::i_rcv_non_cea, &c);
        drop_connection(c, "");
        return;
    }
    process_cea(c, std::move(*cea));
}

void Node::process_cea(Connection& c, Message&& cea) {
    Peer& peer = *c.peer;
    PeerCapabilities caps = read_capabilities(cea);
    std::string refusal;
    if (result_code_of(cea) != static_cast<uint32_t>(ResultCode::success))
        refusal = "CEA refused us: " + result_text(cea);
    else if (!same_identity(caps.origin_host, peer.settings.identity))
        refusal = "CEA from Origin-Host " + caps.origin_host.substr(0, 255) + ", expected " + peer.settings.identity;
    else if (!peer.settings.realm.empty() && !same_identity(caps.origin_realm, peer.settings.realm))
        refusal = "CEA with Origin-Realm " + caps.origin_realm.substr(0, 255) + ", configured " + peer.settings.realm;
    else if (auto mismatch = check_capabilities(caps, local_))
        refusal = "CEA: " + mismatch->reason;
    if (!refusal.empty()) {
        log(describe(c) + ": " + refusal);
        fire(peer, PeerEvent::i_rcv_non_cea, &c);
        drop_connection(c, "");
        return;
    }
    c.capabilities = std::move(caps);
    fire(peer, PeerEvent::i_rcv_cea, &c);
}

void Node::send_cer(Connection& c) {
    Message cer = make_cer(local_, local_address(c), settings_.codec.msf_vendor_id);
    cer.set_hop_by_hop(hop_by_hop_++).set_end_to_end(end_to_end_++);
    c.phase = Connection::Phase::awaiting_cea;
    send_message(c, cer);
}

void Node::send_cea(Connection& c) {
    if (!c.held_cer) return;
    send_message(c, make_cea(*c.held_cer, ResultCode::success, local_, local_address(c)));
    c.held_cer.reset();
}

void Node::send_dpr(Connection& c) {
    Message dpr = Message::request(cmd::dpr, settings_.codec.msf_vendor_id);
    dpr.add(avp::origin_host, local_.origin_host)
        .add(avp::origin_realm, local_.origin_realm)
        .add(avp::disconnect_cause, kDisconnectRebooting);
    dpr.set_hop_by_hop(hop_by_hop_++).set_end_to_end(end_to_end_++);
    send_message(c, dpr);
}

// ---- The state machine ----

void Node::fire(Peer& peer, PeerEvent event, Connection* subject) {
    // Actions raise events of their own (Elect raises Win-Election, a failed connect raises
    // I-Rcv-Conn-Nack): they are queued and run after the current one, never inside it.
    events_.push_back({&peer, event, subject != nullptr ? subject->id : 0});
    if (dispatching_) return;
    dispatching_ = true;
    while (!events_.empty()) {
        const QueuedEvent next = events_.front();
        events_.pop_front();
        dispatch(next);
    }
    dispatching_ = false;
    // Connections that opened with bytes already read: process them now, unless the caller up
    // the stack is processing that very connection (it carries on with the new phase).
    std::vector<uint64_t> resume;
    resume.swap(resume_);
    for (uint64_t id : resume) {
        Connection* c = find_connection(id);
        if (c == nullptr || c->closed || c->processing) continue;
        process_input(*c);
        if (!c->closed) update_interest(*c);
    }
}

void Node::dispatch(const QueuedEvent& queued) {
    Peer& peer = *queued.peer;
    const std::optional<PeerTransition> t = peer_transition(peer.state, queued.event);
    Connection* subject = queued.subject != 0 ? find_connection(queued.subject) : nullptr;
    if (!t) {
        // No row: the RFC expects nothing of this event here. A connection it concerns that the
        // peer does not own is closed; the peer stays as it is.
        if (subject != nullptr && peer.initiator != subject->id && peer.responder != subject->id)
            drop_connection(*subject, "");
        return;
    }
    const PeerState old_state = peer.state;
    peer.state = t->next;
    run_actions(peer, t->actions, subject);
    enter_state(peer, old_state);
}

Node::Connection* Node::open_connection(const Peer& peer) const {
    Connection* c = find_connection(peer.responder != 0 ? peer.responder : peer.initiator);
    return c != nullptr && !c->closed && c->phase == Connection::Phase::open ? c : nullptr;
}

void Node::run_actions(Peer& peer, uint16_t actions, Connection* subject) {
    using namespace peer_action;
    auto initiator = [&] { return find_connection(peer.initiator); };
    auto responder = [&] { return find_connection(peer.responder); };
    if ((actions & r_accept) != 0 && subject != nullptr) {
        subject->peer = &peer;
        peer.responder = subject->id;
    }
    // process_cer / process_cea: the capabilities were kept on the connection when its CER or CEA
    // was checked; the peer takes them over from the connection that opens (enter_state).
    if ((actions & i_snd_conn_req) != 0) start_connect(peer);
    if ((actions & i_snd_cer) != 0)
        if (Connection* c = initiator()) send_cer(*c);
    if ((actions & r_reject) != 0 && subject != nullptr && subject->held_cer) {
        // §5.6.1 R-Reject. A CEA saying why helps the other side's operator.
        reject_cer(*subject, *subject->held_cer, ResultCode::unable_to_comply,
                   "a connection with this peer is already up or being set up", "already connected");
    }
    if ((actions & i_disc) != 0)
        if (Connection* c = initiator()) drop_connection(*c, "");
    if ((actions & r_disc) != 0)
        if (Connection* c = responder()) drop_connection(*c, "");
    if ((actions & r_snd_cea) != 0)
        if (Connection* c = responder()) send_cea(*c);
    if ((actions & snd_dpr) != 0)
        if (Connection* c = open_connection(peer)) send_dpr(*c);
    if ((actions & snd_dpa) != 0)
        // The DPA went out with the DPR's handling; close once it is written.
        if (Connection* c = open_connection(peer)) close_after_flush(*c, "");
    if ((actions & error) != 0) {
        if (Connection* c = initiator()) drop_connection(*c, "");
        if (Connection* c = responder()) drop_connection(*c, "");
        if (subject != nullptr && subject->peer == &peer) drop_connection(*subject, "");
    }
    if ((actions & elect) != 0 && wins_election(local_.origin_host, peer.settings.identity))
        fire(peer, PeerEvent::win_election);
}

void Node::enter_state(Peer& peer, PeerState old_state) {
    if (peer.state == old_state) return;
    log("peer " + peer.settings.identity + ": " + std::string(peer_state_name(old_state)) + " -> " +
        std::string(peer_state_name(peer.state)));
    if (peer.state_timer != 0) loop_.cancel_timer(peer.state_timer);
    peer.state_timer = 0;
    switch (peer.state) {
    case PeerState::wait_conn_ack: arm_state_timer(peer, settings_.connect_timeout_ms); break;
    case PeerState::wait_i_cea:
    case PeerState::wait_conn_ack_elect:
    case PeerState::wait_returns: arm_state_timer(peer, settings_.cea_timeout_ms); break;
    case PeerState::closing: arm_state_timer(peer, settings_.dpa_timeout_ms); break;
    case PeerState::r_open:
    case PeerState::i_open: {
        Connection* c = find_connection(peer.state == PeerState::r_open ? peer.responder : peer.initiator);
        if (c == nullptr) break;
        c->phase = Connection::Phase::open;
        peer.capabilities = c->capabilities;
        peer.address = c->remote.to_string();
        peer.tls = c->transport->tls();
        peer.open_since_ms = controld::EventLoop::now_ms();
        ++peer.connections;
        log("peer " + peer.settings.identity + " open on " + (c->initiator ? "our" : "its") + " connection " +
            peer.address + (peer.tls ? ", " + c->transport->describe() : "") + ", product " +
            peer.capabilities.product_name.substr(0, 100));
        arm_watchdog(*c, jittered_watchdog());
        update_interest(*c);
        if (c->in_end > c->in_start) resume_.push_back(c->id);
        break;
    }
    case PeerState::closed:
        peer.open_since_ms.reset();
        peer.address.clear();
        if (peer.settings.connect && !stopping_) {
            const int64_t delay = peer.reconnect_delay_ms >= 0 ? peer.reconnect_delay_ms : settings_.reconnect_ms;
            peer.reconnect_delay_ms = -1;
            schedule_reconnect(peer, delay);
        }
        break;
    }
    if (is_open(old_state) != is_open(peer.state)) handler_.on_peer_state(PeerRef(&peer), is_open(peer.state));
    maybe_finish_shutdown();
}

void Node::arm_state_timer(Peer& peer, int64_t delay_ms) {
    Peer* p = &peer;
    peer.state_timer = loop_.add_timer(delay_ms, [this, p] {
        p->state_timer = 0;
        log("peer " + p->settings.identity + ": timeout in " + std::string(peer_state_name(p->state)));
        fire(*p, PeerEvent::timeout);
    });
}

void Node::schedule_reconnect(Peer& peer, int64_t delay_ms) {
    if (peer.reconnect_timer != 0) loop_.cancel_timer(peer.reconnect_timer);
    Peer* p = &peer;
    peer.reconnect_timer = loop_.add_timer(delay_ms, [this, p] {
        p->reconnect_timer = 0;
        if (p->state == PeerState::closed && !stopping_) fire(*p, PeerEvent::start);
    });
}

// ---- Messages on an open connection ----

void Node::handle_open_frame(Connection& c, std::span<const uint8_t> frame) {
    Peer& peer = *c.peer;
    const uint32_t code = wire_command(frame);
    const size_t slot = command_slot(code);
    ++counters_.messages[slot].received;
    ++peer.messages[slot].received;
    if (!wire_is_request(frame)) {
        handle_answer(c, frame);
        return;
    }
    Decoded<Message> request = decode(frame, settings_.codec);
    if (!request) {
        answer_with_error(c, frame, request.error());
        return;
    }
    if (std::optional<Error> error = validate(*request)) {
        answer_with_error(c, frame, *error);
        return;
    }
    if (code == cmd::dwr.code || code == cmd::dpr.code || code == cmd::cer.code) {
        handle_base_request(c, *request);
        return;
    }
    if (peer.state == PeerState::closing) {
        // We are leaving: RFC 6733 §7.1.3 DIAMETER_TOO_BUSY sends it elsewhere.
        Error busy;
        busy.result_code = ResultCode::too_busy;
        busy.message = "shutting down";
        answer_with_error(c, frame, busy);
        return;
    }
    deliver_request(c, std::move(*request), frame);
}

void Node::answer_with_error(Connection& c, std::span<const uint8_t> frame, const Error& error) {
    const size_t slot = command_slot(wire_command(frame));
    ++counters_.messages[slot].errors;
    ++counters_.requests_rejected;
    if (c.peer != nullptr) {
        ++c.peer->messages[slot].errors;
        if (error.result_code != ResultCode::too_busy) ++c.peer->protocol_errors;
    }
    if (error.result_code != ResultCode::too_busy)
        log_throttled(request_log_, describe(c) + ": " + command_name(frame) + " answered with " + to_string(error));
    send_message(c, error_answer(frame, error, local_.origin_host, local_.origin_realm, settings_.codec));
}

void Node::handle_base_request(Connection& c, const Message& request) {
    Peer& peer = *c.peer;
    const uint32_t code = request.command_code();
    if (code == cmd::dwr.code) {
        // RFC 6733 §5.5.2
        Message dwa = Message::answer_to(request);
        dwa.add(avp::result_code, static_cast<uint32_t>(ResultCode::success))
            .add(avp::origin_host, local_.origin_host)
            .add(avp::origin_realm, local_.origin_realm)
            .add(avp::origin_state_id, local_.origin_state_id);
        send_message(c, dwa);
        return;
    }
    if (code == cmd::dpr.code) {
        // RFC 6733 §5.4.2; §5.4.3 for what the cause asks of our reconnecting.
        const uint32_t cause = request.find(avp::disconnect_cause)->enumerated().value_or(kDisconnectRebooting);
        Message dpa = Message::answer_to(request);
        dpa.add(avp::result_code, static_cast<uint32_t>(ResultCode::success))
            .add(avp::origin_host, local_.origin_host)
            .add(avp::origin_realm, local_.origin_realm);
        send_message(c, dpa);
        if (cause == kDisconnectBusy || cause == kDisconnectDoNotWantToTalkToYou)
            peer.reconnect_delay_ms = settings_.reconnect_ms * kDprReconnectFactor;
        const std::string_view cause_name = avp::disconnect_cause.value_name(cause);
        log(describe(c) + ": DPR, Disconnect-Cause " +
            (cause_name.empty() ? std::to_string(cause) : std::string(cause_name)));
        fire(peer, PeerEvent::rcv_dpr, &c);
        return;
    }
    // A CER on an open connection: capabilities are exchanged once per connection (§5.3).
    Error again;
    again.result_code = ResultCode::unable_to_comply;
    again.message = "capabilities already exchanged on this connection";
    send_message(c, make_cea(request, again.result_code, local_, local_address(c), again.message));
}

void Node::deliver_request(Connection& c, Message&& request, std::span<const uint8_t> frame) {
    Responder responder(this, c.id, c.peer, request.hop_by_hop(), request.end_to_end());
    try {
        handler_.on_request(PeerRef(c.peer), std::move(request), responder);
    } catch (const std::exception& e) {
        log(describe(c) + ": the application failed on " + command_name(frame) + ": " + e.what());
        Error failure;
        failure.message = "internal error";
        Connection* still = find_connection(responder.connection_);
        if (still != nullptr && !still->closed && still->phase == Connection::Phase::open)
            send_message(*still, error_answer(frame, failure, local_.origin_host, local_.origin_realm, settings_.codec));
    }
}

void Node::handle_answer(Connection& c, std::span<const uint8_t> frame) {
    Peer& peer = *c.peer;
    const uint32_t code = wire_command(frame);
    const uint32_t hop_by_hop = load_be32(frame.data() + 12);
    if (code == cmd::dwr.code || code == cmd::dpr.code || code == cmd::cer.code) {
        Decoded<Message> answer = decode(frame, settings_.codec);
        std::optional<Error> error = answer ? validate(*answer) : std::optional<Error>(answer.error());
        if (error) {
            const size_t slot = command_slot(code);
            ++counters_.messages[slot].errors;
            ++peer.messages[slot].errors;
            ++counters_.answers_dropped;
            log_throttled(answer_log_, describe(c) + ": invalid " + command_name(frame) + " dropped: " + to_string(*error));
            return;
        }
        if (code == cmd::dwr.code) {
            c.dwr_outstanding = false;
            peer.last_watchdog_ms = controld::EventLoop::now_ms();
        } else if (code == cmd::dpr.code) {
            if (peer.state == PeerState::closing) fire(peer, PeerEvent::rcv_dpa, &c);
        } else {
            ++counters_.answers_dropped;
        }
        return;
    }
    auto it = pending_requests_.find(hop_by_hop);
    if (it == pending_requests_.end() || it->second.connection != c.id) {
        ++counters_.answers_dropped;
        log_throttled(answer_log_, describe(c) + ": " + command_name(frame) + " with hop-by-hop id " +
                                       std::to_string(hop_by_hop) + " answers nothing we sent: dropped");
        return;
    }
    Decoded<Message> answer = decode(frame, settings_.codec);
    std::optional<Error> error = answer ? validate(*answer) : std::optional<Error>(answer.error());
    if (error) {
        const size_t slot = command_slot(code);
        ++counters_.messages[slot].errors;
        ++peer.messages[slot].errors;
        ++counters_.answers_dropped;
        log_throttled(answer_log_, describe(c) + ": invalid " + command_name(frame) + ": " + to_string(*error));
        RequestOutcome outcome;
        outcome.failure = RequestFailure::invalid_answer;
        outcome.detail = to_string(*error);
        complete_request(hop_by_hop, std::move(outcome));
        return;
    }
    RequestOutcome outcome;
    outcome.answer = std::move(*answer);
    complete_request(hop_by_hop, std::move(outcome));
}

// ---- Watchdog (RFC 3539 §3.4, RFC 6733 §5.5) ----

uint64_t Node::random64() {
    // xorshift64: jitter and id seeds, nothing secret.
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    return rng_state_;
}

int64_t Node::jittered_watchdog() {
    // RFC 3539 §3.4.1: Tw jittered by up to 2 s either way (a fifth of Tw when Tw is short).
    const int64_t tw = settings_.watchdog_ms;
    const int64_t jitter = std::min<int64_t>(2000, tw / 5);
    if (jitter == 0) return tw;
    return tw - jitter + static_cast<int64_t>(random64() % static_cast<uint64_t>(2 * jitter + 1));
}

void Node::arm_watchdog(Connection& c, int64_t delay_ms) {
    if (c.watchdog_timer != 0) loop_.cancel_timer(c.watchdog_timer);
    const uint64_t id = c.id;
    c.watchdog_timer = loop_.add_timer(std::max<int64_t>(delay_ms, 1), [this, id] { on_watchdog(id); });
}

void Node::on_watchdog(uint64_t connection_id) {
    Connection* found = find_connection(connection_id);
    if (found == nullptr || found->closed) return;
    Connection& c = *found;
    c.watchdog_timer = 0;
    if (c.phase != Connection::Phase::open) return;
    if (c.dwr_outstanding) {
        if (c.bytes_received == c.bytes_received_at_dwr) {
            ++counters_.watchdog_failures;
            connection_failed(c, "no answer to DWR within " + std::to_string(settings_.watchdog_ms) + " ms");
            return;
        }
        // Traffic but no DWA yet: the peer lives (RFC 3539 §3.4.1 counts any message).
        c.dwr_outstanding = false;
    }
    const int64_t now = controld::EventLoop::now_ms();
    const int64_t silent = now - c.last_receive_ms;
    const int64_t tw = jittered_watchdog();
    if (silent < tw) {
        arm_watchdog(c, tw - silent);
        return;
    }
    Message dwr = Message::request(cmd::dwr, settings_.codec.msf_vendor_id);
    dwr.add(avp::origin_host, local_.origin_host)
        .add(avp::origin_realm, local_.origin_realm)
        .add(avp::origin_state_id, local_.origin_state_id);
    dwr.set_hop_by_hop(hop_by_hop_++).set_end_to_end(end_to_end_++);
    c.dwr_outstanding = true;
    c.bytes_received_at_dwr = c.bytes_received;
    send_message(c, dwr);
    arm_watchdog(c, settings_.watchdog_ms);
}

// ---- Our requests ----

RequestFailure Node::send_request(std::string_view peer_identity, Message request, AnswerCallback done,
                                  int64_t timeout_ms) {
    Peer* peer = nullptr;
    for (auto& p : peers_)
        if (same_identity(p->settings.identity, peer_identity)) peer = p.get();
    if (peer == nullptr) return RequestFailure::unknown_peer;
    Connection* c = stopping_ ? nullptr : open_connection(*peer);
    if (c == nullptr || !is_open(peer->state)) return RequestFailure::peer_not_open;
    if (!request.is_request()) return RequestFailure::not_a_request;
    if (pending_requests_.size() >= settings_.max_pending_requests) return RequestFailure::too_many_pending;
    // §3: unique on the connection while pending.
    uint32_t hop_by_hop = hop_by_hop_++;
    while (pending_requests_.count(hop_by_hop) != 0) hop_by_hop = hop_by_hop_++;
    request.set_hop_by_hop(hop_by_hop).set_end_to_end(end_to_end_++);
    if (!send_message(*c, request)) return RequestFailure::too_large;

    const uint64_t serial = next_request_serial_++;
    pending_requests_.emplace(hop_by_hop, PendingRequest{serial, c->id, peer, std::move(done)});
    // Entries of answered requests stay in the heap until due; rebuild it when they dominate.
    if (request_deadlines_.size() > 2 * pending_requests_.size() + 1024) {
        std::vector<RequestDeadline> live;
        for (const RequestDeadline& d : request_deadlines_) {
            auto it = pending_requests_.find(d.hop_by_hop);
            if (it != pending_requests_.end() && it->second.serial == d.serial) live.push_back(d);
        }
        request_deadlines_.swap(live);
        std::make_heap(request_deadlines_.begin(), request_deadlines_.end(), std::greater<>());
    }
    request_deadlines_.push_back({controld::EventLoop::now_ms() + std::max<int64_t>(timeout_ms, 0), serial, hop_by_hop});
    std::push_heap(request_deadlines_.begin(), request_deadlines_.end(), std::greater<>());
    arm_request_timer();
    return RequestFailure::none;
}

void Node::complete_request(uint32_t hop_by_hop, RequestOutcome&& outcome) {
    auto it = pending_requests_.find(hop_by_hop);
    if (it == pending_requests_.end()) return;
    AnswerCallback done = std::move(it->second.done);
    pending_requests_.erase(it);
    if (done) done(std::move(outcome));
}

void Node::fail_pending_requests(uint64_t connection_id, RequestFailure failure) {
    if (pending_requests_.empty()) return;
    std::vector<uint32_t> lost;
    for (const auto& [hop_by_hop, pending] : pending_requests_)
        if (pending.connection == connection_id) lost.push_back(hop_by_hop);
    for (uint32_t hop_by_hop : lost) {
        RequestOutcome outcome;
        outcome.failure = failure;
        complete_request(hop_by_hop, std::move(outcome));
    }
}

void Node::arm_request_timer() {
    if (request_deadlines_.empty()) return;
    const int64_t earliest = request_deadlines_.front().deadline_ms;
    if (request_timer_ != 0 && request_timer_deadline_ <= earliest) return;
    if (request_timer_ != 0) loop_.cancel_timer(request_timer_);
    request_timer_deadline_ = earliest;
    request_timer_ = loop_.add_timer(earliest - controld::EventLoop::now_ms(), [this] {
        request_timer_ = 0;
        on_request_timer();
    });
}

void Node::on_request_timer() {
    const int64_t now = controld::EventLoop::now_ms();
    std::vector<uint32_t> expired;
    while (!request_deadlines_.empty() && request_deadlines_.front().deadline_ms <= now) {
        const RequestDeadline d = request_deadlines_.front();
        std::pop_heap(request_deadlines_.begin(), request_deadlines_.end(), std::greater<>());
        request_deadlines_.pop_back();
        auto it = pending_requests_.find(d.hop_by_hop);
        if (it != pending_requests_.end() && it->second.serial == d.serial) expired.push_back(d.hop_by_hop);
    }
    for (uint32_t hop_by_hop : expired) {
        ++counters_.requests_timed_out;
        RequestOutcome outcome;
        outcome.failure = RequestFailure::timeout;
        complete_request(hop_by_hop, std::move(outcome));
    }
    arm_request_timer();
}

// ---- Application helpers, shutdown, status ----

Message Node::make_answer(const Message& request, ResultCode result) const {
    Message answer = Message::answer_to(request);
    // The AAA's CCF (TS 29.214 §5.6.2) wants Auth-Application-Id right after the Session-Id.
    if (const CommandDef* command = request.command())
        for (const AvpRule& rule : command->answer_rules)
            if (rule.avp == avp_index(avp::auth_application_id) && rule.min > 0)
                answer.add(avp::auth_application_id, request.application_id());
    answer.add(avp::result_code, static_cast<uint32_t>(result))
        .add(avp::origin_host, local_.origin_host)
        .add(avp::origin_realm, local_.origin_realm);
    if (is_protocol_error(static_cast<uint32_t>(result))) answer.set_error(true);
    return answer;
}

void Node::shutdown(std::function<void()> done) {
    if (done) shutdown_done_ = std::move(done);
    if (stopping_) {
        maybe_finish_shutdown();
        return;
    }
    stopping_ = true;
    log("stopping: DPR to every open peer");
    listeners_.clear();
    for (auto& peer : peers_) {
        if (peer->reconnect_timer != 0) loop_.cancel_timer(peer->reconnect_timer);
        peer->reconnect_timer = 0;
    }
    std::vector<Connection*> unattached;
    for (auto& [id, c] : connections_)
        if (c->peer == nullptr && c->phase != Connection::Phase::draining) unattached.push_back(c.get());
    for (Connection* c : unattached) drop_connection(*c, "closed: shutting down");
    for (auto& peer : peers_)
        if (peer->state != PeerState::closed && peer->state != PeerState::closing) fire(*peer, PeerEvent::stop);
    maybe_finish_shutdown();
}

void Node::maybe_finish_shutdown() {
    if (!stopping_ || !shutdown_done_ || shutdown_timer_ != 0) return;
    if (!connections_.empty()) return;
    for (const auto& peer : peers_)
        if (peer->state != PeerState::closed) return;
    // From a timer: the callback may destroy the node.
    shutdown_timer_ = loop_.add_timer(0, [this] {
        shutdown_timer_ = 0;
        std::function<void()> done = std::move(shutdown_done_);
        shutdown_done_ = nullptr;
        if (done) done();
    });
}

std::optional<PeerRef> Node::find_peer(std::string_view identity) const {
    for (const auto& p : peers_)
        if (same_identity(p->settings.identity, identity)) return PeerRef(p.get());
    return std::nullopt;
}

std::vector<PeerStatus> Node::peer_status() const {
    std::vector<PeerStatus> list;
    list.reserve(peers_.size());
    for (const auto& p : peers_) {
        PeerStatus s;
        s.identity = p->settings.identity;
        s.realm = p->capabilities.origin_realm;
        s.address = !p->address.empty()     ? p->address
                    : p->settings.connect ? p->settings.connect->to_string()
                    : p->settings.address ? p->settings.address->to_string()
                                          : std::string();
        s.state = p->state;
        s.tls = p->tls && is_open(p->state);
        s.open_since_ms = p->open_since_ms;
        s.last_watchdog_ms = p->last_watchdog_ms;
        s.product_name = p->capabilities.product_name;
        s.origin_state_id = p->capabilities.origin_state_id;
        s.messages = p->messages;
        s.protocol_errors = p->protocol_errors;
        s.connections = p->connections;
        list.push_back(std::move(s));
    }
    return list;
}

size_t Node::connection_count() const { return connections_.size(); }
size_t Node::pending_request_count() const { return pending_requests_.size(); }

}  // namespace msf::diameter
