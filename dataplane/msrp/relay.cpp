#include "dataplane/msrp/relay.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace msf::msrp {
namespace {

// epoll tokens: connections use (id << 1) | side with id >= 1; these two are below that.
constexpr uint64_t kListenerToken = 0;
constexpr uint64_t kStopToken = 1;
constexpr uint64_t kWatchedBit = uint64_t{1} << 63;  // | fd: a descriptor given to watch()

constexpr size_t kReadSize = 16 * 1024;
constexpr size_t kWriteSize = 64 * 1024;
constexpr int kServiceRounds = 16;  // per event, so one busy connection cannot starve others
// An emptied buffer keeps up to this much capacity: freeing and growing it again for every
// burst costs page faults (measured: 3% of the relay's time at 1 KiB messages with 64 KiB).
constexpr size_t kIdleBufferCapacity = 256 * 1024;

// TLS 1.3 cipher suite of the external PSK (RFC 8446 §B.4); its hash (SHA-256) is the PSK's.
constexpr unsigned char kTls13Aes128GcmSha256[] = {0x13, 0x01};

std::string tls_error_text() {
    const unsigned long code = ERR_peek_error();
    char text[256] = "no OpenSSL error queued";
    if (code != 0) ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return text;
}

// Text from the network made safe for one log line.
std::string printable(std::string_view text, size_t max_len = 128) {
    std::string out;
    for (const char c : text.substr(0, max_len)) {
        const auto b = static_cast<unsigned char>(c);
        out += (b < 0x20 || b >= 0x7f) ? '?' : c;
    }
    if (text.size() > max_len) out += "...";
    return out;
}

bool printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::optional<sockaddr_storage> socket_address(const std::string& host, uint16_t port,
                                               socklen_t& length) {
    sockaddr_storage address{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        length = sizeof(sockaddr_in);
        return address;
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        length = sizeof(sockaddr_in6);
        return address;
    }
    return std::nullopt;
}

void set_nodelay(int fd) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Bytes waiting in one direction: appended at the back, consumed from the front without moving
// the rest each time.
class ByteQueue {
public:
    size_t size() const { return data_.size() - head_; }
    bool empty() const { return size() == 0; }
    std::string_view view() const { return std::string_view(data_).substr(head_); }
    std::string& back() { return data_; }  // append only
    size_t capacity() const { return data_.capacity(); }
    void consume(size_t n) {
        head_ += n;
        if (head_ == data_.size()) {
            head_ = 0;
            if (data_.capacity() > kIdleBufferCapacity) std::string().swap(data_);
            else data_.clear();
        } else if (head_ > kIdleBufferCapacity && head_ * 2 > data_.size()) {
            data_.erase(0, head_);
            head_ = 0;
        }
    }

private:
    std::string data_;
    size_t head_ = 0;
};

}  // namespace

struct Relay::Connection {
    Connection(uint64_t id_, const Limits& limits)
        : id(id_), ue_parser(limits), core_parser(limits), ue_messages(limits), core_messages(limits) {}

    enum class State : uint8_t { handshaking, connecting, relaying };

    uint64_t id;
    State state = State::handshaking;
    int ue_fd = -1;
    int core_fd = -1;
    SSL* ssl = nullptr;
    Session* session = nullptr;     // known once the UE named a valid identity
    std::string presented_identity; // what the UE sent, for the log
    bool counted_active = false;
    sockaddr_storage ue_address{};
    std::chrono::steady_clock::time_point started;

    ByteQueue from_ue, from_core;  // received, not yet relayed
    ByteQueue to_ue, to_core;      // relayed, not yet sent
    FrameParser ue_parser, core_parser;
    MessageTracker ue_messages, core_messages;

    bool ue_eof = false, core_eof = false;
    bool ue_hup = false, core_hup = false;  // taken out of epoll: read until EOF when allowed
    bool handshake_wants_write = false;
    bool read_wants_write = false;   // SSL_read needs the socket writable
    bool write_wants_read = false;   // SSL_write needs the socket readable
    bool closed = false;
    bool needs_service = false;      // hit the per-event work bound with work left
    uint32_t ue_events = 0, core_events = 0;
};

Relay::Relay(RelayConfig config, LogSink log) : config_(std::move(config)), log_sink_(std::move(log)) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || stop_fd_ < 0) throw std::runtime_error(std::string("epoll: ") + strerror(errno));
    epoll_event stop_event{EPOLLIN, {.u64 = kStopToken}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &stop_event);

    // TLS: PSK only. TLS 1.2 with the RFC 5487 PSK AES-GCM suites, TLS 1.3 with an external PSK
    // (RFC 8446 §4.2.11) and psk_dhe_ke or psk_ke as the client offers.
    tls_ = SSL_CTX_new(TLS_server_method());
    if (tls_ == nullptr) throw std::runtime_error("SSL_CTX_new: " + tls_error_text());
    SSL_CTX_set_app_data(tls_, this);
    SSL_CTX_set_min_proto_version(tls_, TLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(tls_, "PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384") != 1 ||
        SSL_CTX_set_ciphersuites(tls_, "TLS_AES_128_GCM_SHA256") != 1)
        throw std::runtime_error("TLS cipher suites: " + tls_error_text());
    SSL_CTX_set_psk_server_callback(tls_, psk_server_callback);
    SSL_CTX_set_psk_find_session_callback(tls_, psk_find_session_callback);
    // No tickets and no session cache: a removed session's PSK must not live on in a resumption.
    SSL_CTX_set_options(tls_, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_num_tickets(tls_, 0);
    SSL_CTX_set_session_cache_mode(tls_, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(tls_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    socklen_t length = 0;
    const std::optional<sockaddr_storage> address =
        socket_address(config_.listen_address, config_.listen_port, length);
    if (!address) throw std::runtime_error("listen address " + config_.listen_address + " is not an IP address");
    listen_fd_ = socket(address->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    if (listen_fd_ < 0 || setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(listen_fd_, reinterpret_cast<const sockaddr*>(&*address), length) != 0 ||
        listen(listen_fd_, 1024) != 0) {
        const std::string why = strerror(errno);
        throw std::runtime_error("listen on " + config_.listen_address + ":" +
                                 std::to_string(config_.listen_port) + ": " + why);
    }
    sockaddr_storage bound{};
    socklen_t bound_length = sizeof bound;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_length);
    listen_port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                                    : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    epoll_event listen_event{EPOLLIN, {.u64 = kListenerToken}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &listen_event);
}

Relay::~Relay() {
    for (auto& [id, conn] : connections_) {
        if (conn->ssl != nullptr) SSL_free(conn->ssl);
        if (conn->ue_fd >= 0) close(conn->ue_fd);
        if (conn->core_fd >= 0) close(conn->core_fd);
    }
    connections_.clear();
    sessions_.clear();
    if (tls_ != nullptr) SSL_CTX_free(tls_);
    if (listen_fd_ >= 0) close(listen_fd_);
    if (stop_fd_ >= 0) close(stop_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
}

void Relay::log(const std::string& line) const {
    if (log_sink_) log_sink_(line);
    else std::cerr << "msf-msrpd: " << line << '\n';
}

// ---- sessions ----------------------------------------------------------------------------

Outcome<AddedSession> Relay::add_session(SessionSpec spec) {
    using Result = Outcome<AddedSession>;
    auto wipe = [&spec] {
        if (!spec.psk.empty()) OPENSSL_cleanse(spec.psk.data(), spec.psk.size());
    };
    auto fail = [&](std::string error) {
        wipe();
        return Result::failure(std::move(error));
    };
    if (spec.id.empty() || spec.id.size() > kMaxSessionId || !printable_ascii(spec.id))
        return fail("session: 1.." + std::to_string(kMaxSessionId) + " printable ASCII characters without spaces");
    if (sessions_.count(spec.id) != 0) return fail("session " + spec.id + " exists");
    if (spec.psk_identity.empty() || spec.psk_identity.size() > kMaxPskIdentity ||
        !printable_ascii(spec.psk_identity))
        return fail("psk_identity: 1.." + std::to_string(kMaxPskIdentity) + " printable ASCII characters without spaces");
    if (by_identity_.count(spec.psk_identity) != 0)
        return fail("psk_identity is in use by another session");
    if (spec.psk.size() < kMinPskBytes || spec.psk.size() > kMaxPskBytes)
        return fail("psk: " + std::to_string(kMinPskBytes) + ".." + std::to_string(kMaxPskBytes) + " bytes");

    auto session = std::make_unique<Session>();
    std::string error;
    const std::optional<Uri> ue_uri = parse_uri(spec.ue_path, &error);
    if (!ue_uri) return fail("ue_path: " + error);
    // RFC 4975 §6: the UE reaches us over TLS, so its own URI is an msrps one.
    if (!ue_uri->secure || ue_uri->transport != "tcp") return fail("ue_path: not an msrps://...;tcp URI");
    const std::optional<Uri> core_uri = parse_uri(spec.core_path, &error);
    if (!core_uri) return fail("core_path: " + error);
    if (core_uri->secure || core_uri->transport != "tcp") return fail("core_path: not an msrp://...;tcp URI");
    const std::optional<sockaddr_storage> core_address = socket_address(
        core_uri->host, core_uri->port.value_or(kDefaultPort), session->core_address_len);
    if (!core_address) return fail("core_path: the host is not an IP address");
    if (spec.ue_allow) {
        session->ue_allow = parse_ip(*spec.ue_allow);
        if (!session->ue_allow) return fail("ue_allow: not an IP address");
        session->ue_allow_text = *spec.ue_allow;
    }

    session->id = spec.id;
    session->psk_identity = spec.psk_identity;
    session->psk = spec.psk;  // the copy in spec is wiped below
    session->ue_path = spec.ue_path;
    session->core_path = spec.core_path;
    session->ue_uri = *ue_uri;
    session->core_uri = *core_uri;
    session->core_address = *core_address;
    if (spec.gw_access_path.empty()) {
        session->gw_access_uri = Uri{true, config_.access_host, listen_port_, random_session_id(), "tcp"};
        session->gw_access_path = format_uri(session->gw_access_uri);
    } else {
        const std::optional<Uri> given = parse_uri(spec.gw_access_path, &error);
        if (!given) return fail("gw_access_path: " + error);
        if (!given->secure || given->transport != "tcp") return fail("gw_access_path: not an msrps://...;tcp URI");
        session->gw_access_uri = *given;
        session->gw_access_path = spec.gw_access_path;
    }
    if (spec.gw_core_path.empty()) {
        session->gw_core_uri = Uri{false, config_.core_host, config_.core_port, random_session_id(), "tcp"};
        session->gw_core_path = format_uri(session->gw_core_uri);
    } else {
        const std::optional<Uri> given = parse_uri(spec.gw_core_path, &error);
        if (!given) return fail("gw_core_path: " + error);
        if (given->secure || given->transport != "tcp") return fail("gw_core_path: not an msrp://...;tcp URI");
        session->gw_core_uri = *given;
        session->gw_core_path = spec.gw_core_path;
    }
    wipe();

    AddedSession added{session->gw_access_path, session->gw_core_path};
    by_identity_[session->psk_identity] = session.get();
    log("session " + session->id + " added: UE " + session->ue_path + " <-> core " + session->core_path);
    sessions_.emplace(session->id, std::move(session));
    ++counters_.sessions_added;
    return added;
}

bool Relay::remove_session(std::string_view id) {
    const auto it = sessions_.find(std::string(id));
    if (it == sessions_.end()) return false;
    Session* session = it->second.get();
    for (auto& [conn_id, conn] : connections_) {
        if (!conn->closed && conn->session == session) close_connection(*conn, "session removed");
    }
    by_identity_.erase(session->psk_identity);
    log("session " + session->id + " removed");
    sessions_.erase(it);  // ~Session zeroes the PSK
    ++counters_.sessions_removed;
    return true;
}

const Session* Relay::find_session(std::string_view id) const {
    const auto it = sessions_.find(std::string(id));
    return it == sessions_.end() ? nullptr : it->second.get();
}

size_t Relay::buffered_bytes() const {
    size_t total = 0;
    for (const auto& [id, conn] : connections_) {
        total += conn->from_ue.capacity() + conn->from_core.capacity() + conn->to_ue.capacity() +
                 conn->to_core.capacity();
    }
    return total;
}

Session* Relay::session_for_identity(SSL* ssl, std::string_view identity) {
    auto* conn = static_cast<Connection*>(SSL_get_app_data(ssl));
    if (conn == nullptr) return nullptr;
    conn->presented_identity = std::string(identity.substr(0, kMaxPskIdentity));
    const auto it = by_identity_.find(std::string(identity));
    if (it == by_identity_.end()) return nullptr;
    conn->session = it->second;
    return it->second;
}

// TLS 1.2 (RFC 4279 §2): the PSK for the identity in the ClientKeyExchange.
unsigned int Relay::psk_server_callback(SSL* ssl, const char* identity, unsigned char* psk,
                                        unsigned int max_psk_len) {
    auto* relay = static_cast<Relay*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    if (identity == nullptr) return 0;
    const Session* session = relay->session_for_identity(ssl, identity);
    if (session == nullptr || session->psk.size() > max_psk_len) return 0;
    std::memcpy(psk, session->psk.data(), session->psk.size());
    return static_cast<unsigned int>(session->psk.size());
}

// TLS 1.3 (RFC 8446 §4.2.11): an external PSK is handed to OpenSSL as a session whose master key
// is the PSK and whose cipher suite fixes the hash (SHA-256).
int Relay::psk_find_session_callback(SSL* ssl, const unsigned char* identity, size_t identity_len,
                                     SSL_SESSION** session_out) {
    *session_out = nullptr;
    auto* relay = static_cast<Relay*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    const Session* session = relay->session_for_identity(
        ssl, std::string_view(reinterpret_cast<const char*>(identity), identity_len));
    if (session == nullptr) return 1;  // unknown identity: no PSK, the handshake fails
    const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kTls13Aes128GcmSha256);
    SSL_SESSION* tls_session = SSL_SESSION_new();
    if (cipher == nullptr || tls_session == nullptr ||
        SSL_SESSION_set1_master_key(tls_session, session->psk.data(), session->psk.size()) != 1 ||
        SSL_SESSION_set_cipher(tls_session, cipher) != 1 ||
        SSL_SESSION_set_protocol_version(tls_session, TLS1_3_VERSION) != 1) {
        SSL_SESSION_free(tls_session);
        return 0;
    }
    *session_out = tls_session;
    return 1;
}

// ---- event loop --------------------------------------------------------------------------

void Relay::watch(int fd, uint32_t events, std::function<void(uint32_t)> handler) {
    watched_[fd] = std::move(handler);
    epoll_event event{events, {.u64 = kWatchedBit | static_cast<uint32_t>(fd)}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
}

void Relay::modify_watch(int fd, uint32_t events) {
    epoll_event event{events, {.u64 = kWatchedBit | static_cast<uint32_t>(fd)}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
}

void Relay::unwatch(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    watched_.erase(fd);
}

void Relay::stop() {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(stop_fd_, &one, sizeof one);  // async-signal-safe
}

void Relay::run() {
    while (!stopping_) run_once(500);
}

void Relay::run_once(int timeout_ms) {
    const bool pending = !pending_service_.empty();
    epoll_event events[128];
    const int n = epoll_wait(epoll_fd_, events, 128, pending ? 0 : timeout_ms);
    for (int i = 0; i < n; ++i) {
        const uint64_t token = events[i].data.u64;
        if (token == kListenerToken) {
            accept_connections();
        } else if (token == kStopToken) {
            uint64_t value = 0;
            [[maybe_unused]] const ssize_t r = read(stop_fd_, &value, sizeof value);
            stopping_ = true;
        } else if ((token & kWatchedBit) != 0) {
            const auto it = watched_.find(static_cast<int>(token & 0xffffffffu));
            if (it == watched_.end()) continue;
            const std::function<void(uint32_t)> handler = it->second;  // it may unwatch itself
            handler(events[i].events);
        } else {
            handle_connection_event(token >> 1, (token & 1) != 0 ? Side::core : Side::ue, events[i].events);
        }
    }
    if (pending) {
        std::vector<uint64_t> ids;
        ids.swap(pending_service_);
        for (const uint64_t id : ids) {
            const auto it = connections_.find(id);
            if (it != connections_.end() && it->second->needs_service && !it->second->closed) service(*it->second);
        }
    }
    reap_closed();
    expire_handshakes();
}

void Relay::reap_closed() {
    for (const uint64_t id : closed_) connections_.erase(id);
    closed_.clear();
}

void Relay::expire_handshakes() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_expiry_check_ < std::chrono::milliseconds(200)) return;
    last_expiry_check_ = now;
    const auto limit = std::chrono::milliseconds(config_.handshake_timeout_ms);
    for (auto& [id, conn] : connections_) {
        if (!conn->closed && conn->state == Connection::State::handshaking && now - conn->started > limit) {
            ++counters_.handshake_timeouts;
            close_connection(*conn, "TLS handshake timed out");
        }
    }
    reap_closed();
}

void Relay::accept_connections() {
    for (int i = 0; i < 64; ++i) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                log(std::string("accept: ") + strerror(errno));
            return;
        }
        ++counters_.accepted;
        if (connections_.size() >= config_.max_connections) {
            ++counters_.refused_connections;
            log("connection from " + address_text(address) + " refused: max-connections reached");
            close(fd);
            continue;
        }
        set_nodelay(fd);
        auto conn = std::make_unique<Connection>(next_connection_id_++, config_.limits);
        conn->ue_fd = fd;
        conn->ue_address = address;
        conn->started = std::chrono::steady_clock::now();
        conn->ssl = SSL_new(tls_);
        if (conn->ssl == nullptr || SSL_set_fd(conn->ssl, fd) != 1) {
            log("connection from " + address_text(address) + ": SSL_new: " + tls_error_text());
            if (conn->ssl != nullptr) SSL_free(conn->ssl);
            close(fd);
            continue;
        }
        SSL_set_accept_state(conn->ssl);
        SSL_set_app_data(conn->ssl, conn.get());
        conn->ue_events = EPOLLIN;
        epoll_event event{EPOLLIN, {.u64 = conn->id << 1}};
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
        connections_.emplace(conn->id, std::move(conn));
    }
}

void Relay::handle_connection_event(uint64_t id, Side side, uint32_t events) {
    const auto it = connections_.find(id);
    if (it == connections_.end() || it->second->closed) return;
    Connection& conn = *it->second;
    if ((events & EPOLLERR) != 0) {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(side == Side::ue ? conn.ue_fd : conn.core_fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (side == Side::core && conn.state == Connection::State::connecting && conn.session != nullptr)
            ++conn.session->counters.core_connect_failures;
        close_connection(conn, std::string(side == Side::ue ? "UE" : "core") + " socket error: " + strerror(error));
        return;
    }
    if ((events & EPOLLHUP) != 0) {
        // The peer closed both ways. Stop polling (HUP would repeat) and read what is left
        // whenever back-pressure allows; reads no longer block.
        const int fd = side == Side::ue ? conn.ue_fd : conn.core_fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        (side == Side::ue ? conn.ue_hup : conn.core_hup) = true;
        (side == Side::ue ? conn.ue_events : conn.core_events) = 0;
    }
    if (conn.state == Connection::State::handshaking) {
        continue_handshake(conn);
        return;
    }
    if (side == Side::core && conn.state == Connection::State::connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(conn.core_fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0 || conn.core_hup) {
            ++conn.session->counters.core_connect_failures;
            close_connection(conn, "connect to core " + conn.session->core_path + ": " +
                                       strerror(error != 0 ? error : ECONNREFUSED));
            return;
        }
        conn.state = Connection::State::relaying;
    }
    service(conn);
}

void Relay::continue_handshake(Connection& conn) {
    ERR_clear_error();
    const int r = SSL_do_handshake(conn.ssl);
    if (r == 1) {
        on_handshake_done(conn);
        return;
    }
    const int error = SSL_get_error(conn.ssl, r);
    // Waiting for the UE, unless it went away in the middle of the handshake.
    if ((error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) && !conn.ue_hup) {
        conn.handshake_wants_write = error == SSL_ERROR_WANT_WRITE;
        update_interest(conn);
        return;
    }
    if (conn.session != nullptr) ++conn.session->counters.tls_handshake_failures;
    else ++counters_.tls_handshake_failures;
    const std::string reason = (error == SSL_ERROR_SSL) ? tls_error_text()
                               : (error == SSL_ERROR_SYSCALL || conn.ue_hup) ? "connection closed by the UE"
                                                                             : "error " + std::to_string(error);
    ERR_clear_error();
    close_connection(conn, "TLS handshake failed (identity \"" + printable(conn.presented_identity) +
                               "\"" + (conn.session != nullptr ? "" : ", no such session") + "): " + reason);
}

void Relay::on_handshake_done(Connection& conn) {
    Session* session = conn.session;
    if (session == nullptr) {
        // PSK-only: a finished handshake always named a session. Refuse anything else.
        ++counters_.tls_handshake_failures;
        close_connection(conn, "TLS handshake finished without a session");
        return;
    }
    const in6_addr source = to_ipv6(conn.ue_address);
    if (session->ue_allow && std::memcmp(session->ue_allow->s6_addr, source.s6_addr, 16) != 0) {
        ++session->counters.refused_connections;
        close_connection(conn, "source address is not the session's ue_allow");
        return;
    }
    if (session->counters.active_connections >= config_.max_connections_per_session) {
        ++session->counters.refused_connections;
        close_connection(conn, "max-connections-per-session reached");
        return;
    }
    ++session->counters.connections;
    ++session->counters.active_connections;
    conn.counted_active = true;
    connect_core(conn);
}

void Relay::connect_core(Connection& conn) {
    Session& session = *conn.session;
    conn.core_fd = socket(session.core_address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (conn.core_fd < 0) {
        close_connection(conn, std::string("socket: ") + strerror(errno));
        return;
    }
    set_nodelay(conn.core_fd);
    const int r = connect(conn.core_fd, reinterpret_cast<const sockaddr*>(&session.core_address),
                          session.core_address_len);
    if (r != 0 && errno != EINPROGRESS) {
        ++session.counters.core_connect_failures;
        close_connection(conn, "connect to core " + session.core_path + ": " + strerror(errno));
        return;
    }
    conn.state = r == 0 ? Connection::State::relaying : Connection::State::connecting;
    conn.core_events = EPOLLOUT;
    epoll_event event{EPOLLOUT, {.u64 = (conn.id << 1) | 1}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn.core_fd, &event);
    log("connection " + std::to_string(conn.id) + ": session " + session.id + ", UE " +
        address_text(conn.ue_address) + ", " + SSL_get_version(conn.ssl) + " " +
        SSL_get_cipher_name(conn.ssl));
    // Records that came with the last handshake flight are already buffered in OpenSSL.
    service(conn);
}

// ---- relaying ----------------------------------------------------------------------------

namespace {
// Room to read into an input buffer: a frame is complete or invalid within this many bytes.
size_t input_bound(const Limits& limits) {
    return limits.max_header_bytes + limits.max_chunk_size + 2 * (kEndLineDashes + 32 + 4);
}
}  // namespace

bool Relay::read_ue(Connection& conn) {
    if (conn.ue_eof) return false;
    bool progress = false;
    for (int i = 0; i < 4; ++i) {
        if (conn.to_core.size() >= config_.out_buffer_limit ||
            conn.from_ue.size() >= input_bound(config_.limits))
            break;
        std::string& buffer = conn.from_ue.back();
        const size_t old_size = buffer.size();
        buffer.resize(old_size + kReadSize);
        ERR_clear_error();
        const int n = SSL_read(conn.ssl, buffer.data() + old_size, static_cast<int>(kReadSize));
        buffer.resize(old_size + static_cast<size_t>(std::max(n, 0)));
        conn.read_wants_write = false;
        if (n > 0) {
            progress = true;
            continue;
        }
        const int error = SSL_get_error(conn.ssl, n);
        if (error == SSL_ERROR_WANT_READ) {
            if (conn.ue_hup) conn.ue_eof = true;  // nothing more will come
            break;
        }
        if (error == SSL_ERROR_WANT_WRITE) {
            conn.read_wants_write = true;
            break;
        }
        if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
            conn.ue_eof = true;
            ERR_clear_error();
            return true;
        }
        close_connection(conn, "TLS read from UE: " + tls_error_text());
        return true;
    }
    return progress;
}

bool Relay::read_core(Connection& conn) {
    if (conn.core_eof || conn.state != Connection::State::relaying) return false;
    bool progress = false;
    for (int i = 0; i < 4; ++i) {
        if (conn.to_ue.size() >= config_.out_buffer_limit ||
            conn.from_core.size() >= input_bound(config_.limits))
            break;
        std::string& buffer = conn.from_core.back();
        const size_t old_size = buffer.size();
        buffer.resize(old_size + kReadSize);
        const ssize_t n = recv(conn.core_fd, buffer.data() + old_size, kReadSize, 0);
        buffer.resize(old_size + static_cast<size_t>(std::max<ssize_t>(n, 0)));
        if (n > 0) {
            progress = true;
            continue;
        }
        if (n == 0) {
            conn.core_eof = true;
            return true;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
        close_connection(conn, std::string("read from core: ") + strerror(errno));
        return true;
    }
    return progress;
}

bool Relay::write_ue(Connection& conn) {
    bool progress = false;
    conn.write_wants_read = false;
    while (!conn.to_ue.empty()) {
        const std::string_view pending = conn.to_ue.view();
        ERR_clear_error();
        const int n = SSL_write(conn.ssl, pending.data(), static_cast<int>(std::min(pending.size(), kWriteSize)));
        if (n > 0) {
            conn.to_ue.consume(static_cast<size_t>(n));
            progress = true;
            continue;
        }
        const int error = SSL_get_error(conn.ssl, n);
        if (error == SSL_ERROR_WANT_WRITE) break;
        if (error == SSL_ERROR_WANT_READ) {
            conn.write_wants_read = true;
            break;
        }
        close_connection(conn, "TLS write to UE: " + tls_error_text());
        return true;
    }
    return progress;
}

bool Relay::write_core(Connection& conn) {
    if (conn.state != Connection::State::relaying) return false;
    bool progress = false;
    while (!conn.to_core.empty()) {
        const std::string_view pending = conn.to_core.view();
        const ssize_t n = send(conn.core_fd, pending.data(), std::min(pending.size(), kWriteSize), MSG_NOSIGNAL);
        if (n > 0) {
            conn.to_core.consume(static_cast<size_t>(n));
            progress = true;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
        close_connection(conn, std::string("write to core: ") + strerror(errno));
        return true;
    }
    return progress;
}

bool Relay::relay_frames(Connection& conn, Side from) {
    Session& session = *conn.session;
    const bool from_ue = from == Side::ue;
    ByteQueue& in = from_ue ? conn.from_ue : conn.from_core;
    ByteQueue& out = from_ue ? conn.to_core : conn.to_ue;
    FrameParser& parser = from_ue ? conn.ue_parser : conn.core_parser;
    MessageTracker& messages = from_ue ? conn.ue_messages : conn.core_messages;
    const char* const source = from_ue ? "UE" : "core";
    bool progress = false;
    while (!in.empty() && out.size() < config_.out_buffer_limit) {
        const std::string_view bytes = in.view();
        ParseResult parsed = parser.parse(bytes);
        if (parsed.state == ParseResult::State::need_more) break;
        if (parsed.state == ParseResult::State::complete) {
            if (const std::optional<FrameError> limit = messages.add(parsed.frame)) {
                parsed.state = ParseResult::State::invalid;
                parsed.error = *limit;
                parsed.detail = "Message-ID " + printable(parsed.frame.message_id, 40);
            }
        }
        if (parsed.state == ParseResult::State::invalid) {
            ++session.counters.parse_errors;
            ++counters_.parse_errors;
            close_connection(conn, std::string("bad MSRP from ") + source + ": " +
                                       std::string(frame_error_name(parsed.error)) + " (" +
                                       printable(parsed.detail) + ")");
            return true;
        }
        const Frame& frame = parsed.frame;
        const std::string_view to = frame.headers[frame.to_path].value;
        const std::string_view from_path = frame.headers[frame.from_path].value;
        // UE -> core: To-Path gw_access -> core_path, From-Path ue_path -> gw_core.
        // core -> UE: To-Path gw_core -> ue_path, From-Path core_path -> gw_access. Responses
        // carry the paths of their request reversed (RFC 4975 §7.2), so the same rule holds.
        const bool paths_match = from_ue
            ? path_is(to, session.gw_access_uri, session.gw_access_path) &&
                  path_is(from_path, session.ue_uri, session.ue_path)
            : path_is(to, session.gw_core_uri, session.gw_core_path) &&
                  path_is(from_path, session.core_uri, session.core_path);
        if (!paths_match) {
            ++session.counters.path_mismatch;
            ++counters_.path_mismatch;
            close_connection(conn, std::string("MSRP from ") + source + " with paths not of this session: To-Path " +
                                       printable(to) + ", From-Path " + printable(from_path));
            return true;
        }
        if (from_ue) {
            append_with_paths(out.back(), bytes, frame, session.core_path, session.gw_core_path);
            ++session.counters.messages_from_ue;
            session.counters.bytes_from_ue += frame.length;
        } else {
            append_with_paths(out.back(), bytes, frame, session.ue_path, session.gw_access_path);
            ++session.counters.messages_to_ue;
            session.counters.bytes_to_ue += frame.length;
        }
        in.consume(frame.length);
        progress = true;
    }
    return progress;
}

void Relay::service(Connection& conn) {
    conn.needs_service = false;
    if (conn.state == Connection::State::handshaking) return;
    bool progress = true;
    int round = 0;
    for (; progress && round < kServiceRounds && !conn.closed; ++round) {
        progress = false;
        progress |= write_core(conn);
        if (!conn.closed) progress |= write_ue(conn);
        if (!conn.closed) progress |= read_ue(conn);
        if (!conn.closed) progress |= read_core(conn);
        if (!conn.closed) progress |= relay_frames(conn, Side::ue);
        if (!conn.closed && conn.state == Connection::State::relaying) progress |= relay_frames(conn, Side::core);
    }
    if (conn.closed) return;
    bool more = progress && round == kServiceRounds;
    // A side that ended: finish sending what it sent, then close both.
    if (conn.ue_eof && conn.to_core.empty()) {
        close_connection(conn, "UE closed the connection");
        return;
    }
    if (conn.core_eof && conn.to_ue.empty()) {
        close_connection(conn, "core closed the connection");
        return;
    }
    // A HUP side is out of epoll: if it can still be read, nothing else will wake us for it.
    const bool ue_readable = conn.ue_hup && !conn.ue_eof && conn.to_core.size() < config_.out_buffer_limit;
    const bool core_readable = conn.core_hup && !conn.core_eof && conn.to_ue.size() < config_.out_buffer_limit;
    more = more || ue_readable || core_readable;
    if (more) {
        conn.needs_service = true;
        pending_service_.push_back(conn.id);
    }
    update_interest(conn);
}

void Relay::update_interest(Connection& conn) {
    uint32_t ue = 0;
    uint32_t core = 0;
    if (conn.state == Connection::State::handshaking) {
        ue = EPOLLIN | (conn.handshake_wants_write ? EPOLLOUT : 0u);
    } else {
        const bool read_ue = !conn.ue_eof && conn.to_core.size() < config_.out_buffer_limit &&
                             conn.from_ue.size() < input_bound(config_.limits);
        if (read_ue || conn.write_wants_read) ue |= EPOLLIN;
        if (!conn.to_ue.empty() || conn.read_wants_write) ue |= EPOLLOUT;
        if (conn.state == Connection::State::connecting) {
            core = EPOLLOUT;
        } else {
            const bool read_core = !conn.core_eof && conn.to_ue.size() < config_.out_buffer_limit &&
                                   conn.from_core.size() < input_bound(config_.limits);
            if (read_core) core |= EPOLLIN;
            if (!conn.to_core.empty()) core |= EPOLLOUT;
        }
    }
    if (!conn.ue_hup && ue != conn.ue_events) {
        epoll_event event{ue, {.u64 = conn.id << 1}};
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.ue_fd, &event);
        conn.ue_events = ue;
    }
    if (conn.core_fd >= 0 && !conn.core_hup && core != conn.core_events) {
        epoll_event event{core, {.u64 = (conn.id << 1) | 1}};
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.core_fd, &event);
        conn.core_events = core;
    }
}

void Relay::close_connection(Connection& conn, const std::string& why) {
    if (conn.closed) return;
    conn.closed = true;
    conn.needs_service = false;
    log("connection " + std::to_string(conn.id) + " (" +
        (conn.session != nullptr ? "session " + conn.session->id : std::string("no session")) + ", UE " +
        address_text(conn.ue_address) + ") closed: " + why);
    if (conn.counted_active) --conn.session->counters.active_connections;
    conn.counted_active = false;
    conn.session = nullptr;
    if (conn.ssl != nullptr) {
        SSL_free(conn.ssl);
        conn.ssl = nullptr;
    }
    if (conn.ue_fd >= 0) close(conn.ue_fd);  // close() takes it out of epoll
    if (conn.core_fd >= 0) close(conn.core_fd);
    conn.ue_fd = conn.core_fd = -1;
    closed_.push_back(conn.id);
}

}  // namespace msf::msrp
