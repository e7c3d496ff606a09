#include "controlplane/controld/daemon.hpp"

#include <netdb.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace msf::controld {

namespace {

constexpr int64_t kEventPollMs = 100;
constexpr int64_t kShutdownGraceMs = 3000;

net::Endpoint resolve(const ConnectTarget& target) {
    if (auto ip = net::IpAddr::parse(target.host)) return net::Endpoint{*ip, target.port};
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(target.host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || !found) throw StartupError("diameter.peer: cannot resolve " + target.host + ": " + gai_strerror(rc));
    net::Endpoint out;
    for (addrinfo* a = found; a && out.empty(); a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            out.addr = net::IpAddr::v4(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr));
        } else if (a->ai_family == AF_INET6) {
            out.addr = net::IpAddr::v6(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr));
        }
    }
    freeaddrinfo(found);
    if (out.empty()) throw StartupError("diameter.peer: " + target.host + " has no IPv4 or IPv6 address");
    out.port = target.port;
    return out;
}

// The CLI reads and changes sessions: the install batch in flight is finished first, so that
// it sees every session the dataplane was asked to install.
class SettledCli final : public cli::CliHandler {
public:
    SettledCli(cli::CliHandler& handler, RxApplication& rx) : handler_(handler), rx_(rx) {}
    cli::Response handle(const cli::Request& request, const cli::Caller& caller) override {
        rx_.finish_in_flight();
        return handler_.handle(request, caller);
    }

private:
    cli::CliHandler& handler_;
    RxApplication& rx_;
};

}  // namespace

diameter::NodeSettings node_settings(const ControldConfig& config) {
    const DiameterConfig& d = config.diameter;
    diameter::NodeSettings s;
    s.identity = d.identity;
    s.realm = d.realm;
    s.vendor_id = d.vendor_id;
    s.product_name = d.product_name;
    s.origin_state_id = static_cast<uint32_t>(std::time(nullptr));
    s.listen = d.listen;
    s.tls_listen = d.tls_listen;
    if (d.uses_tls()) s.tls = diameter::TlsSettings{d.tls_cert, d.tls_key, d.tls_ca, true};
    for (const PeerConfig& p : d.peers) {
        diameter::PeerSettings peer;
        peer.identity = p.identity;
        if (p.address) peer.address = *p.address;
        if (p.connect) peer.connect = resolve(*p.connect);
        peer.tls = p.tls;
        peer.realm = p.realm;
        s.peers.push_back(std::move(peer));
    }
    s.watchdog_ms = d.watchdog_ms;
    s.reconnect_ms = d.reconnect_ms;
    s.codec.msf_vendor_id = d.vendor_id;
    s.codec.max_message_size = d.max_message_bytes & ~size_t{3};
    return s;
}

sessions::ManagerOptions manager_options(const ControldConfig& config) {
    sessions::ManagerOptions o;
    o.store.database_path = config.store;
    o.store.key_path = config.store_key;
    o.dataplane_socket = config.dataplane_socket;
    const MediaConfig& m = config.media;
    for (const auto* list : {&m.access_ipv4, &m.access_ipv6})
        for (const auto& a : *list) o.access_ports.push_back({a, m.port_min, m.port_max});
    for (const auto* list : {&m.core_ipv4, &m.core_ipv6})
        for (const auto& a : *list) o.core_ports.push_back({a, m.port_min, m.port_max});
    o.max_sessions = config.policy.max_sessions;
    return o;
}

Daemon::Daemon(ControldConfig config) : config_(std::move(config)) {
    std::string error;
    manager_ = sessions::SessionManager::open(manager_options(config_), &error);
    if (!manager_) throw StartupError("store: " + error);
    auto restored = manager_->restore();
    if (!restored.ok()) throw StartupError("store: " + sessions::to_string(restored.status));
    log(LogLevel::notice, "restored " + std::to_string(restored.value.sessions) + " sessions (" +
                              std::to_string(restored.value.streams) + " streams) from " + config_.store);
    for (const auto& why : restored.value.dropped) log(LogLevel::warning, "store: dropped " + why);

    const auto log_line = [this](std::string_view line) { log(LogLevel::notice, line); };
    rx_ = std::make_unique<RxApplication>(config_, *manager_, log_line);
    diameter::NodeSettings settings = node_settings(config_);
    settings.log = log_line;
    try {
        node_ = std::make_unique<diameter::Node>(loop_, std::move(settings), *rx_);
    } catch (const std::exception& e) {
        throw StartupError(std::string("diameter: ") + e.what());
    }
    rx_->attach(*node_);
    if (config_.msrp.enabled()) {
        msrp_ = std::make_unique<MsrpLink>(config_.msrp.socket, [this](const std::string& line) {
            log(LogLevel::notice, line);
        });
        rx_->attach_msrp(*msrp_);
    }
    // After every iteration: commit what its requests changed, then answer them. The installs
    // stay in flight while the loop reads the next requests, and their answers wake it (issue 4);
    // when stopping, nothing is left in flight.
    loop_.add_end_of_iteration_hook([this] {
        rx_->commit_and_answer();
        if (loop_.stopping()) rx_->settle();
    });
    loop_.set_wake_source([this] { return rx_->install_in_flight() ? manager_->dataplane_fd() : -1; });

    cli_handler_ = std::make_unique<ControldCli>(*manager_, *node_, *rx_, config_.store);
    cli_entry_ = std::make_unique<SettledCli>(*cli_handler_, *rx_);
    cli::CliServerOptions cli_options;
    cli_options.group = config_.cli_group;
    cli_options.log = log_line;
    try {
        cli_ = std::make_unique<cli::CliServer>(loop_, config_.cli_socket, *cli_entry_, cli_options);
    } catch (const std::exception& e) {
        throw StartupError(std::string("cli-socket: ") + e.what());
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    signal_fd_ = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) throw StartupError(std::string("signalfd: ") + std::strerror(errno));
    loop_.add(signal_fd_, EPOLLIN, [this](uint32_t) { on_signal(); });
    // SIGPIPE: a peer or client that closes mid-write is an error value, not a death.
    ::signal(SIGPIPE, SIG_IGN);

    loop_.add_timer(0, [this] { connect_dataplane(); });
    loop_.add_timer(kEventPollMs, [this] { drain_dataplane_events(); });
    if (msrp_) loop_.add_timer(0, [this] { sync_msrp(); });
    for (const auto& e : node_->listen_endpoints()) log(LogLevel::notice, "diameter: listening on " + e.to_string());
    for (const auto& e : node_->tls_listen_endpoints())
        log(LogLevel::notice, "diameter: listening (TLS) on " + e.to_string());
    log(LogLevel::notice, "cli socket " + config_.cli_socket);
}

Daemon::~Daemon() {
    cli_.reset();
    node_.reset();
    if (manager_) manager_->commit();
    if (signal_fd_ >= 0) ::close(signal_fd_);
}

void Daemon::log(LogLevel level, std::string_view line) const {
    if (static_cast<int>(level) > static_cast<int>(config_.log_level)) return;
    std::fprintf(stderr, "msf-controld: %.*s\n", static_cast<int>(line.size()), line.data());
}

void Daemon::connect_dataplane() {
    if (stopping_) return;
    rx_->finish_in_flight();  // the ping and a reconcile need the link, and the batch's sessions
    const bool was_connected = manager_->dataplane_connected();
    auto report = manager_->connect_dataplane();
    if (!report.ok()) {
        if (was_connected || manager_->dataplane_error() != last_dataplane_error_)
            log(LogLevel::warning, "dataplane: " + sessions::to_string(report.status));
        last_dataplane_error_ = manager_->dataplane_error();
    } else if (!was_connected && manager_->dataplane_connected()) {
        const auto& r = report.value;
        log(LogLevel::notice, "dataplane: connected to " + config_.dataplane_socket + "; reconciled: " +
                                  std::to_string(r.added) + " added, " + std::to_string(r.removed) +
                                  " removed, " + std::to_string(r.modified) + " re-sent, " +
                                  std::to_string(r.unchanged) + " unchanged, " + std::to_string(r.failed) +
                                  " failed");
        for (const auto& f : r.failures) log(LogLevel::warning, "dataplane: " + f);
        last_dataplane_error_.clear();
        abandon_sessions(r.unrestorable_sessions);
    }
    manager_->commit();
    loop_.add_timer(config_.dataplane_retry_ms, [this] { connect_dataplane(); });
}

// msf-msrpd gets the store's MSRP components whenever the link is out of sync (at start, after it
// restarted, or after a request it did not take), retried at the dataplane's pace.
void Daemon::sync_msrp() {
    if (stopping_) return;
    rx_->finish_in_flight();  // msf-msrpd gets every session, the batch in flight's included
    msrp_->sync(manager_->list());
    loop_.add_timer(config_.dataplane_retry_ms, [this] { sync_msrp(); });
}

// Sessions the dataplane would not take back after it lost them: keeping them in the store would
// promise media that cannot flow, so they go, and their P-CSCF hears it (ASR, DATAPLANE_LOST).
void Daemon::abandon_sessions(const std::vector<std::string>& session_ids) {
    for (const std::string& id : session_ids) {
        const sessions::ControlSession* s = manager_->find(id);
        if (!s) continue;
        sessions::ControlSession last = *s;
        auto removed = manager_->remove(id);
        if (!removed.ok()) {
            log(LogLevel::warning, "dataplane: cannot remove unrestorable session " + id + ": " +
                                       sessions::to_string(removed.status));
            continue;
        }
        log(LogLevel::warning, "dataplane: session " + id + " could not be restored; removed, ASR to " + last.peer);
        rx_->on_session_removed(last, rx::EventCause::dataplane_lost);
        sessions::wipe_keys(last);
    }
}

void Daemon::drain_dataplane_events() {
    if (stopping_) return;
    if (!events_.connected() && manager_->dataplane_connected()) {
        if (!events_.connect(config_.dataplane_socket).ok() || !events_.hello("msf-controld events").ok() ||
            !events_.subscribe_events().ok()) {
            events_.close();
        }
    }
    while (events_.connected()) {
        auto event = events_.next_event(0);
        if (!event.ok()) {
            events_.close();  // the link went down: reconnect with the manager's link
            break;
        }
        if (!event.value) break;
        rx_->on_dataplane_event(*event.value);
    }
    loop_.add_timer(kEventPollMs, [this] { drain_dataplane_events(); });
    if (msrp_) loop_.add_timer(0, [this] { sync_msrp(); });
}

void Daemon::on_signal() {
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    }
    if (stopping_) return;
    stopping_ = true;
    log(LogLevel::notice, "stopping: DPR to every peer");
    node_->shutdown([this] { loop_.stop(); });
    loop_.add_timer(kShutdownGraceMs, [this] { loop_.stop(); });
}

int Daemon::run() {
    loop_.run();
    rx_->settle();
    manager_->commit();
    log(LogLevel::notice, "stopped; " + std::to_string(manager_->size()) + " sessions kept in " + config_.store);
    return 0;
}

}  // namespace msf::controld
