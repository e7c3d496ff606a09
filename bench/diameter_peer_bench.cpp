// The Diameter peer layer under load: AAR -> AAA over loopback TCP on one EventLoop, the server
// answering at once (Node::make_answer: Session-Id, Auth-Application-Id, Result-Code, Origin-*).
// The budget is 50,000 AAR->AAA per second on one core for the whole daemon; the peer layer's
// share (framing, dispatch, output coalescing, hop-by-hop matching) should be 1-2 us a message.
//
//   peer/server/N        a raw client writes N Kamailio AARs (1136 bytes) in one write and reads
//                        the N AAAs: the MSF side alone (read, check_frame, decode, validate,
//                        handler, encode, one write per burst) plus the kernel's loopback.
//   peer/node_to_node/N  a client Node pipelines N AARs with send_request (ids, pending table,
//                        timeout heap) to a server Node: both sides of the exchange, one thread.
//
// Counters: items_per_second (exchanges per second, wall time: both ends share the thread),
// "us/exchange" and "ticks/exchange" (TSC).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <x86intrin.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "controlplane/controld/event_loop.hpp"
#include "controlplane/diameter/node.hpp"
#include "tests/controlplane/diameter/kamailio_frames.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

namespace {

using namespace msf;
using namespace msf::diameter;
using namespace msf::diameter::testing;

const net::IpAddr kLoopback = *net::IpAddr::parse("127.0.0.1");

class AnswerNow : public ApplicationHandler {
public:
    Node* node = nullptr;
    void on_request(PeerRef, Message&& request, Responder responder) override {
        responder.answer(node->make_answer(request, ResultCode::success));
    }
    void on_peer_state(PeerRef, bool) override {}
};

NodeSettings settings(const char* identity, std::vector<net::Endpoint> listen) {
    NodeSettings s;
    s.identity = identity;
    s.realm = std::string(kMsfRealm);
    s.listen = std::move(listen);
    s.log = [](std::string_view) {};
    return s;
}

// The MSF node, and what a test client needs to reach it.
struct Server {
    controld::EventLoop loop;
    AnswerNow handler;
    std::unique_ptr<Node> node;

    Server() {
        NodeSettings s = settings("msf.ims.example.net", {{kLoopback, 0}});
        PeerSettings p;
        p.identity = std::string(kPcscfHost);
        s.peers = {p};
        node = std::make_unique<Node>(loop, s, handler);
        handler.node = node.get();
    }
    uint16_t port() const { return node->listen_endpoints().at(0).port; }
};

void report(benchmark::State& state, int64_t exchanges, std::chrono::steady_clock::duration wall, uint64_t ticks) {
    const double n = static_cast<double>(exchanges);
    state.SetItemsProcessed(exchanges);
    state.counters["us/exchange"] = n > 0 ? std::chrono::duration<double, std::micro>(wall).count() / n : 0;
    state.counters["ticks/exchange"] = n > 0 ? static_cast<double>(ticks) / n : 0;
}

void BM_Server(benchmark::State& state) {
    const auto burst = static_cast<size_t>(state.range(0));
    Server server;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(server.port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) std::abort();
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    std::vector<uint8_t> buffer(1 << 20);
    size_t have = 0;
    // Reads whole answers; returns how many arrived.
    auto read_answers = [&]() {
        size_t answers = 0;
        for (;;) {
            const ssize_t n = ::recv(fd, buffer.data() + have, buffer.size() - have, 0);
            if (n <= 0) break;
            have += static_cast<size_t>(n);
        }
        size_t at = 0;
        for (;;) {
            const FrameCheck check = check_frame(std::span<const uint8_t>(buffer).subspan(at, have - at));
            if (check.state != FrameCheck::State::complete) break;
            at += check.length;
            ++answers;
        }
        std::memmove(buffer.data(), buffer.data() + at, have - at);
        have -= at;
        return answers;
    };
    auto send_all = [&](const std::vector<uint8_t>& bytes) {
        size_t sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n > 0) sent += static_cast<size_t>(n);
            else server.loop.run_once(0);
        }
    };

    Message cer = Message::request(cmd::cer);
    cer.add(avp::origin_host, kPcscfHost).add(avp::origin_realm, kPcscfRealm).add(avp::vendor_id, 0u)
        .add(avp::product_name, "bench").add(avp::auth_application_id, app::rx);
    send_all(cer.encode());
    while (read_answers() < 1) server.loop.run_once(1);

    const std::vector<uint8_t> aar = from_hex(kKamailioAarHex);
    std::vector<uint8_t> burst_bytes;
    for (size_t i = 0; i < burst; ++i) burst_bytes.insert(burst_bytes.end(), aar.begin(), aar.end());

    int64_t exchanges = 0;
    const auto start = std::chrono::steady_clock::now();
    const uint64_t start_ticks = __rdtsc();
    for (auto _ : state) {
        send_all(burst_bytes);
        size_t answered = 0;
        while (answered < burst) {
            server.loop.run_once(0);
            answered += read_answers();
        }
        exchanges += static_cast<int64_t>(burst);
    }
    report(state, exchanges, std::chrono::steady_clock::now() - start, __rdtsc() - start_ticks);
    const auto& c = server.node->counters();
    if (c.messages[command_slot(cmd::aar.code)].errors != 0) state.SkipWithError("AARs were refused");
    ::close(fd);
}

void BM_NodeToNode(benchmark::State& state) {
    const auto burst = static_cast<size_t>(state.range(0));
    Server server;
    AnswerNow client_handler;
    NodeSettings c = settings(std::string(kPcscfHost).c_str(), {});
    PeerSettings to_msf;
    to_msf.identity = "msf.ims.example.net";
    to_msf.connect = net::Endpoint{kLoopback, server.port()};
    c.peers = {to_msf};
    Node client(server.loop, c, client_handler);
    client_handler.node = &client;
    while (!is_open(client.find_peer("msf.ims.example.net")->state())) server.loop.run_once(1);

    Decoded<Message> aar = decode(from_hex(kKamailioAarHex));
    if (!aar) std::abort();
    size_t answered = 0;
    size_t failed = 0;
    AnswerCallback done = [&](RequestOutcome&& outcome) {
        ++answered;
        failed += !outcome.ok();
    };
    int64_t exchanges = 0;
    const auto start = std::chrono::steady_clock::now();
    const uint64_t start_ticks = __rdtsc();
    for (auto _ : state) {
        answered = 0;
        for (size_t i = 0; i < burst; ++i)
            if (client.send_request("msf.ims.example.net", *aar, done) != RequestFailure::none) std::abort();
        while (answered < burst) server.loop.run_once(0);
        exchanges += static_cast<int64_t>(burst);
    }
    report(state, exchanges, std::chrono::steady_clock::now() - start, __rdtsc() - start_ticks);
    if (failed != 0) state.SkipWithError("requests failed");
}

BENCHMARK(BM_Server)->Name("peer/server")->Arg(1)->Arg(16)->Arg(256)->UseRealTime();
BENCHMARK(BM_NodeToNode)->Name("peer/node_to_node")->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
