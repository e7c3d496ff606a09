// An MSF for the load generator's tests that need no daemon: a Diameter node on 127.0.0.1 that
// answers with the Rx code msf-controld itself runs (rx::plan_aar, rx::success_aaa,
// rx::error_answer, rx::success_sta), keeps the planned sessions in a map and gives each media
// component MSF ports from a counter. It has no session manager, store or dataplane; the whole
// daemon is exercised by controld_pcscf_test.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>

#include "controlplane/controld/event_loop.hpp"
#include "controlplane/diameter/node.hpp"
#include "controlplane/rx/aar.hpp"
#include "controlplane/rx/answers.hpp"

namespace msf::pcscf::testing {

inline const net::IpAddr kLoopback = *net::IpAddr::parse("127.0.0.1");
inline const net::IpAddr kMsfAccessIp = *net::IpAddr::parse("203.0.113.1");
inline const net::IpAddr kMsfCoreIp = *net::IpAddr::parse("198.51.100.1");

class RxMsfPeer : public diameter::ApplicationHandler {
public:
    RxMsfPeer(controld::EventLoop& loop, const std::string& pcscf_identity) : self_{"msf.localdomain", "localdomain"} {
        for (const auto& info : srtp::kSuites) policy_.suites.push_back(info.suite);
        diameter::NodeSettings settings;
        settings.identity = self_.host;
        settings.realm = self_.realm;
        settings.listen = {{kLoopback, 0}};
        diameter::PeerSettings peer;
        peer.identity = pcscf_identity;
        settings.peers = {peer};
        settings.log = [](std::string_view) {};
        node_ = std::make_unique<diameter::Node>(loop, std::move(settings), *this);
    }

    net::Endpoint endpoint() const { return node_->listen_endpoints().at(0); }
    // MSRP components are planned as relays (as msf-controld does with [msrp] set).
    void enable_msrp_relay() { policy_.msrp = {true, "203.0.113.1:2855", "198.51.100.1:2855"}; }

    // Set: every AAR is answered with this error instead.
    std::optional<rx::RxError> refuse;
    uint64_t aars = 0;
    uint64_t strs = 0;
    std::map<std::string, sessions::ControlSession> sessions;  // installed, by Session-Id

    void on_request(diameter::PeerRef, diameter::Message&& request, diameter::Responder responder) override {
        const std::string id(request.session_id());
        if (request.command_code() == diameter::cmd::aar.code) {
            ++aars;
            if (refuse) {
                responder.answer(rx::error_answer(request, self_, *refuse));
                return;
            }
            auto existing = sessions.find(id);
            auto plan = rx::plan_aar(request, existing == sessions.end() ? nullptr : &existing->second, policy_);
            if (!plan) {
                responder.answer(rx::error_answer(request, self_, plan.error()));
                return;
            }
            sessions::ControlSession installed = plan->desired;
            for (sessions::MediaStream& stream : installed.streams) {
                if (stream.spec.access.local.port == 0) stream.spec.access.local = {kMsfAccessIp, next_port()};
                if (stream.spec.core.local.port == 0) stream.spec.core.local = {kMsfCoreIp, next_port()};
            }
            responder.answer(rx::success_aaa(request, self_, installed));
            sessions[id] = std::move(installed);
            return;
        }
        if (request.command_code() == diameter::cmd::str.code) {
            ++strs;
            auto it = sessions.find(id);
            if (it == sessions.end()) {
                responder.answer(rx::error_answer(
                    request, self_, rx::RxError::base(diameter::ResultCode::unknown_session_id, "no such session")));
                return;
            }
            std::vector<sessions::StreamCounters> counters;
            for (const auto& stream : it->second.streams) counters.push_back({stream.component_number, {}, {}});
            sessions.erase(it);
            responder.answer(rx::success_sta(request, self_, counters));
            return;
        }
        responder.answer(node_->make_answer(request, diameter::ResultCode::unable_to_comply));
    }
    void on_peer_state(diameter::PeerRef, bool) override {}

private:
    uint16_t next_port() {
        const uint16_t port = port_;
        port_ = port_ >= 65000 ? 20000 : static_cast<uint16_t>(port_ + 2);  // even, never 0
        return port;
    }

    rx::LocalIdentity self_;
    rx::MediaPolicy policy_;
    std::unique_ptr<diameter::Node> node_;
    uint16_t port_ = 20000;
};

// A TCP port on 127.0.0.1 that refuses connections while this lives (bound, not listening).
class RefusingPort {
public:
    RefusingPort() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
        socklen_t length = sizeof sin;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &length);
        port_ = ntohs(sin.sin_port);
    }
    ~RefusingPort() { ::close(fd_); }
    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;
    net::Endpoint endpoint() const { return {kLoopback, port_}; }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

}  // namespace msf::pcscf::testing
