// msrp-load: the UE side and the core side of bench/msrp_bench.py in one process. It opens one
// TLS connection per session to a relay (msf-msrpd with TLS-PSK, or a plain-TLS terminator such
// as socat with a certificate), accepts the relay's TCP connections on its core listener, streams
// MSRP SEND messages of a fixed size over every TLS connection at once, and counts the bytes that
// reach the core side. Python's ssl module has no PSK support on Debian 12, hence this program.
//
// Protocol on stdin/stdout (one line each):
//   stdin:  one line per session: "IDENTITY PSK_HEX TO_PATH FROM_PATH CORE_TO CORE_FROM"
//           (cert mode: IDENTITY and PSK_HEX are ignored; CORE_* are the paths the core sees),
//           then an empty line
//   stdout: "connected" once every TLS connection and every core connection is up
//   stdin:  "go"
//   stdout: {"messages":N,"bytes_sent":B,"bytes_received":R,"seconds":S}
//   stdin:  "quit" (or EOF): connections are closed and the program exits
//
// usage: msrp-load --relay-port P --core-port C --mode psk|cert --messages N --size BYTES
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct SessionLine {
    std::string identity;
    std::vector<unsigned char> psk;
    std::string to, from, core_to, core_from;
};

struct UeConnection {
    int fd = -1;
    SSL* ssl = nullptr;
    std::string block;       // kBlockMessages messages, sent again and again
    size_t frame_length = 0;
    uint64_t to_send = 0;    // bytes
    uint64_t sent = 0;
    size_t block_offset = 0;
    bool done = false;
    const SessionLine* session = nullptr;
};

constexpr int kBlockMessages = 64;

[[noreturn]] void die(const std::string& what) {
    std::cerr << "msrp-load: " << what << "\n";
    std::exit(1);
}

std::vector<unsigned char> from_hex(const std::string& hex) {
    std::vector<unsigned char> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

thread_local const SessionLine* g_psk_session = nullptr;

int use_psk_session(SSL* ssl, const EVP_MD*, const unsigned char** id, size_t* id_len, SSL_SESSION** session) {
    static constexpr unsigned char kAes128GcmSha256[] = {0x13, 0x01};
    SSL_SESSION* s = SSL_SESSION_new();
    SSL_SESSION_set1_master_key(s, g_psk_session->psk.data(), g_psk_session->psk.size());
    SSL_SESSION_set_cipher(s, SSL_CIPHER_find(ssl, kAes128GcmSha256));
    SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION);
    *session = s;
    *id = reinterpret_cast<const unsigned char*>(g_psk_session->identity.data());
    *id_len = g_psk_session->identity.size();
    return 1;
}

std::string message(const SessionLine& session, int n, size_t size) {
    char tid[16];
    std::snprintf(tid, sizeof tid, "t%07d", n);
    std::string frame = "MSRP ";
    frame.append(tid).append(" SEND\r\nTo-Path: ").append(session.to).append("\r\nFrom-Path: ").append(session.from);
    frame.append("\r\nMessage-ID: m").append(tid + 1).append("\r\nByte-Range: 1-").append(std::to_string(size));
    frame.append("/").append(std::to_string(size)).append("\r\nContent-Type: text/plain\r\n\r\n");
    for (size_t i = 0; i < size; ++i) frame.push_back(static_cast<char>('a' + (i + static_cast<size_t>(n)) % 26));
    frame.append("\r\n-------").append(tid).append("$\r\n");
    return frame;
}

int connect_to(uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect to the relay");
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    uint16_t relay_port = 0, core_port = 0;
    std::string mode = "psk";
    uint64_t messages = 1000;
    size_t size = 1024;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string name = argv[i];
        const std::string value = argv[i + 1];
        if (name == "--relay-port") relay_port = static_cast<uint16_t>(std::stoi(value));
        else if (name == "--core-port") core_port = static_cast<uint16_t>(std::stoi(value));
        else if (name == "--mode") mode = value;
        else if (name == "--messages") messages = std::stoull(value);
        else if (name == "--size") size = std::stoul(value);
        else die("unknown option " + name);
    }
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);

    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(core_port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 4096) != 0)
        die("core listener");

    std::vector<SessionLine> sessions;
    for (std::string line; std::getline(std::cin, line) && !line.empty();) {
        std::istringstream fields(line);
        SessionLine s;
        std::string psk;
        fields >> s.identity >> psk >> s.to >> s.from >> s.core_to >> s.core_from;
        if (!fields) die("bad session line: " + line);
        s.psk = from_hex(psk);
        sessions.push_back(std::move(s));
    }

    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (mode == "psk") SSL_CTX_set_psk_use_session_callback(ctx, use_psk_session);
    else SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);

    // Handshakes one after another (blocking), each followed by the relay's core connection.
    std::vector<UeConnection> ues(sessions.size());
    std::vector<int> cores;
    uint64_t expected = 0;
    for (size_t i = 0; i < sessions.size(); ++i) {
        UeConnection& ue = ues[i];
        ue.session = &sessions[i];
        ue.fd = connect_to(relay_port);
        ue.ssl = SSL_new(ctx);
        SSL_set_fd(ue.ssl, ue.fd);
        g_psk_session = &sessions[i];
        if (SSL_connect(ue.ssl) != 1) die("TLS handshake " + std::to_string(i) + " failed");
        // TLS 1.3 sends the relay's Finished-dependent data lazily: a socat child connects to
        // the core at once, msf-msrpd after the handshake; either way accept it now.
        const int core = accept(listener, nullptr, nullptr);
        if (core < 0) die("accept from the relay");
        cores.push_back(core);
        for (int n = 0; n < kBlockMessages; ++n) ue.block += message(sessions[i], n, size);
        ue.frame_length = ue.block.size() / kBlockMessages;
        ue.to_send = messages * ue.frame_length;
        const int64_t delta = static_cast<int64_t>(sessions[i].core_to.size() + sessions[i].core_from.size()) -
                              static_cast<int64_t>(sessions[i].to.size() + sessions[i].from.size());
        expected += messages * static_cast<uint64_t>(static_cast<int64_t>(ue.frame_length) + delta);
    }
    std::cout << "connected" << std::endl;
    std::string command;
    if (!std::getline(std::cin, command) || command != "go") return 0;

    const int epoll_fd = epoll_create1(0);
    for (size_t i = 0; i < ues.size(); ++i) {
        fcntl(ues[i].fd, F_SETFL, O_NONBLOCK);
        epoll_event event{EPOLLOUT, {.u64 = i}};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, ues[i].fd, &event);
    }
    for (size_t i = 0; i < cores.size(); ++i) {
        fcntl(cores[i], F_SETFL, O_NONBLOCK);
        epoll_event event{EPOLLIN, {.u64 = (uint64_t{1} << 40) | i}};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, cores[i], &event);
    }
    const auto start = std::chrono::steady_clock::now();
    uint64_t received = 0;
    uint64_t sent_total = 0;
    std::vector<char> buffer(256 * 1024);
    epoll_event events[256];
    while (received < expected) {
        const int n = epoll_wait(epoll_fd, events, 256, 10000);
        if (n == 0) die("no progress for 10 s: received " + std::to_string(received) + " of " + std::to_string(expected));
        for (int e = 0; e < n; ++e) {
            const uint64_t token = events[e].data.u64;
            if ((token >> 40) != 0) {
                const int fd = cores[token & 0xffffffffu];
                for (;;) {
                    const ssize_t r = recv(fd, buffer.data(), buffer.size(), 0);
                    if (r > 0) {
                        received += static_cast<uint64_t>(r);
                        continue;
                    }
                    if (r == 0) die("the relay closed a core connection");
                    break;
                }
                continue;
            }
            UeConnection& ue = ues[token];
            if (ue.done) continue;
            while (ue.sent < ue.to_send) {
                const size_t left_in_block = ue.block.size() - ue.block_offset;
                const size_t chunk = static_cast<size_t>(std::min<uint64_t>({uint64_t{left_in_block}, ue.to_send - ue.sent, uint64_t{64 * 1024}}));
                const int w = SSL_write(ue.ssl, ue.block.data() + ue.block_offset, static_cast<int>(chunk));
                if (w <= 0) {
                    const int error = SSL_get_error(ue.ssl, w);
                    if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) break;
                    die("TLS write failed");
                }
                ue.sent += static_cast<uint64_t>(w);
                sent_total += static_cast<uint64_t>(w);
                ue.block_offset = (ue.block_offset + static_cast<size_t>(w)) % ue.block.size();
            }
            if (ue.sent == ue.to_send) {
                epoll_ctl(epoll_fd, EPOLL_CTL_DEL, ue.fd, nullptr);
                ue.done = true;
            }
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "{\"messages\":" << messages * ues.size() << ",\"bytes_sent\":" << sent_total
              << ",\"bytes_received\":" << received << ",\"seconds\":" << seconds << "}" << std::endl;
    std::getline(std::cin, command);
    for (UeConnection& ue : ues) {
        SSL_free(ue.ssl);
        close(ue.fd);
    }
    for (const int fd : cores) close(fd);
    SSL_CTX_free(ctx);
    return 0;
}
