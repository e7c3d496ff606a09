// libFuzzer target: the bytes a peer sends to msf-controld's Diameter node over TCP. The first
// byte's low bit puts a valid CER of a configured peer first, so the rest reaches an open
// connection (requests, answers, watchdog, DPR, garbage); otherwise the input is the connection's
// first bytes (CER checks, framing). The node runs its real event loop on 127.0.0.1; after each
// input the client half-closes and the node must have closed the connection within the bound:
// no crash, no hang, no connection left behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <vector>

#include "controlplane/controld/event_loop.hpp"
#include "controlplane/diameter/node.hpp"

namespace {

using namespace msf;
using namespace msf::diameter;

constexpr const char* kPeer = "pcscf.ims.example.net";

// Answers every request at once, the way the daemon's simplest path does.
class AnsweringHandler : public ApplicationHandler {
public:
    Node* node = nullptr;
    void on_request(PeerRef, Message&& request, Responder responder) override {
        responder.answer(node->make_answer(request, ResultCode::success));
    }
    void on_peer_state(PeerRef, bool) override {}
};

struct Harness {
    controld::EventLoop loop;
    AnsweringHandler handler;
    std::unique_ptr<Node> node;
    std::vector<uint8_t> cer;

    Harness() {
        NodeSettings s;
        s.identity = "msf.ims.example.net";
        s.realm = "ims.example.net";
        s.listen = {{*net::IpAddr::parse("127.0.0.1"), 0}};
        PeerSettings p;
        p.identity = kPeer;
        s.peers = {p};
        s.log = [](std::string_view) {};
        node = std::make_unique<Node>(loop, s, handler);
        handler.node = node.get();
        Message m = Message::request(cmd::cer);
        m.add(avp::origin_host, kPeer)
            .add(avp::origin_realm, "ims.example.net")
            .add(avp::vendor_id, 0u)
            .add(avp::product_name, "fuzz")
            .add(avp::auth_application_id, app::rx);
        cer = m.encode();
    }
};

// Connects without blocking in connect(). In one CI run libFuzzer's timeout alarm interrupted a
// blocking connect (EINTR) and the harness aborted: on loopback connect() blocks only while a
// SYN waits to be sent again. This waits for the handshake up to 8 s, through signals; a node
// that never completes it still fails the run.
int connect_client(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int err = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        err = errno;
        const int64_t deadline = controld::EventLoop::now_ms() + 8000;
        while ((err == EINPROGRESS || err == EINTR) && controld::EventLoop::now_ms() < deadline) {
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, 100) <= 0) continue;  // not yet, or a signal: wait again
            socklen_t len = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        }
    }
    if (err != 0) {
        std::fprintf(stderr, "diameter_peer_fuzz: connect to the node: %s\n",
                     std::strerror(err == EINPROGRESS ? ETIMEDOUT : err));
        std::abort();  // the harness, not the node: the message says why
    }
    return fd;
}

void drain(int fd) {
    uint8_t buf[65536];
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Harness h;
    if (size == 0) return 0;
    const int fd = connect_client(h.node->listen_endpoints().at(0).port);
    std::vector<uint8_t> input;
    if ((data[0] & 1) != 0) input = h.cer;
    input.insert(input.end(), data + 1, data + size);

    size_t sent = 0;
    const int64_t deadline = controld::EventLoop::now_ms() + 3000;
    while (sent < input.size() && controld::EventLoop::now_ms() < deadline) {
        const ssize_t n = ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
        if (n > 0) sent += static_cast<size_t>(n);
        else if (n < 0 && errno != EAGAIN) break;  // the node closed the connection already
        h.loop.run_once(0);
        drain(fd);
    }
    // Let the node read what was sent before the reset discards it.
    for (int i = 0; i < 3; ++i) h.loop.run_once(0);
    // An abortive close (RST), never a FIN first: a client that half-closes ends in TIME_WAIT,
    // and a long run then uses up the ephemeral ports. The node must let go either way.
    const linger abort_close{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
    ::close(fd);
    while (h.node->connection_count() > 0 && controld::EventLoop::now_ms() < deadline) h.loop.run_once(1);
    if (h.node->connection_count() > 0) std::abort();  // the node kept a connection the peer ended
    if (is_open(h.node->find_peer(kPeer)->state())) std::abort();
    h.loop.run_once(0);
    return 0;
}
