// msf-rtp-peer: one end of a media stream over kernel UDP sockets, for the system tests and the
// demo. It plays a UE (SRTP/SRTCP through libsrtp2, an implementation independent of the
// gateway's engine) or a core peer (plain RTP/RTCP).
//
// Every packet is checkable on its own: the RTP payload is a pattern of (SSRC, sequence number),
// the RTCP packet an SR whose NTP field carries the RTCP number followed by an APP packet with
// a pattern of (SSRC, RTCP number). A receiver therefore verifies every byte, and counts losses,
// duplicates and reordering, without knowing anything but the options both ends share:
// --seq-start, --warmup, --count, --payload-size and --rtcp-every.
//
// Packet i (0-based) carries sequence number seq-start + i. The first --warmup packets (one per
// --warmup-interval-us) open the path (UE latching, ARP and ND at the gateway) and are verified
// but not counted as lost; then the sender pauses --warmup-gap-ms and sends --count measured
// packets, one per --interval-us. With --rtcp, RTCP
// number k follows RTP packet (k + 1) * rtcp-every - 1.
//
// Exit status: 0 when nothing was bad, nothing failed to send and lost packets (RTP + RTCP)
// <= --max-loss; 1 otherwise; 2 for a usage error.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/net/addr.hpp"
#include "dataplane/tools/cli_values.hpp"
#include "dataplane/tools/json_writer.hpp"
#include "tests/dataplane/srtp/libsrtp_oracle.hpp"

namespace {

using namespace msf;
using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;
using srtp::test::interop::LibsrtpSession;

enum class Mode { send, receive, echo, both };

struct Options {
    net::Endpoint bind;
    net::Endpoint peer;          // empty: receive and echo answer whoever sent
    srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    std::optional<Bytes> key;    // key || salt; none: plain RTP
    std::optional<Bytes> rx_key;
    Bytes mki, rx_mki;
    bool rx_mki_set = false;
    uint32_t ssrc = 0x4d534631;  // "MSF1"
    std::optional<uint32_t> expect_ssrc;
    uint32_t count = 100;
    uint32_t interval_us = 1000;
    uint32_t payload_size = 160;
    uint8_t payload_type = 0;    // PCMU
    Mode mode = Mode::both;
    bool rtcp = false;
    bool rtcp_mux = false;
    uint32_t rtcp_every = 10;
    uint16_t seq_start = 1;
    uint32_t warmup = 0;
    std::optional<uint32_t> warmup_interval_us;  // default: interval_us
    uint32_t warmup_gap_ms = 200;
    uint32_t timeout_ms = 2000;
    uint64_t max_loss = 0;
    bool json = false;
};

constexpr size_t kRtpHeaderLen = 12;
constexpr size_t kRtcpLen = 72;          // SR without report blocks (28) + APP with 32 bytes (44)
constexpr size_t kRtcpAppDataLen = 32;
constexpr uint32_t kNtpMarker = 0x4d534650;  // "MSFP", also the APP name
constexpr uint32_t kRtcpDomain = 0x80000000;  // keeps RTCP patterns apart from RTP ones
constexpr size_t kMaxPayload = 1400;

// Byte j of the payload of (ssrc, number): a mix of all three, so a byte moved, swapped or
// taken from another packet shows.
uint8_t pattern_byte(uint32_t ssrc, uint32_t number, uint32_t j) {
    uint32_t x = ssrc * 0x9e3779b1u ^ (number + 1) * 0x85ebca77u ^ (j + 1) * 0xc2b2ae3du;
    x ^= x >> 15;
    x *= 0x2c1b3c6du;
    x ^= x >> 12;
    return static_cast<uint8_t>(x);
}

void put16(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}
uint32_t get16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t get32(const uint8_t* p) { return get16(p) << 16 | get16(p + 2); }

// RFC 3550 §5.1.
Bytes build_rtp(const Options& o, uint32_t index) {
    Bytes b(kRtpHeaderLen + o.payload_size);
    const uint16_t seq = static_cast<uint16_t>(o.seq_start + index);
    b[0] = 0x80;
    b[1] = o.payload_type;
    put16(&b[2], seq);
    put32(&b[4], index * 160);
    put32(&b[8], o.ssrc);
    for (uint32_t j = 0; j < o.payload_size; ++j) b[kRtpHeaderLen + j] = pattern_byte(o.ssrc, seq, j);
    return b;
}

// RFC 3550 §6.4.1 SR (no report blocks) + §6.7 APP.
Bytes build_rtcp(const Options& o, uint32_t k) {
    Bytes b(kRtcpLen);
    b[0] = 0x80;
    b[1] = 200;
    put16(&b[2], 28 / 4 - 1);
    put32(&b[4], o.ssrc);
    put32(&b[8], k);            // NTP timestamp, most significant word: the RTCP number
    put32(&b[12], kNtpMarker);  // least significant word
    put32(&b[16], k * o.rtcp_every * 160);
    put32(&b[20], (k + 1) * o.rtcp_every);
    put32(&b[24], (k + 1) * o.rtcp_every * o.payload_size);
    uint8_t* app = &b[28];
    app[0] = 0x80;
    app[1] = 204;
    put16(&app[2], 44 / 4 - 1);
    put32(&app[4], o.ssrc);
    put32(&app[8], kNtpMarker);
    for (uint32_t j = 0; j < kRtcpAppDataLen; ++j) app[12 + j] = pattern_byte(o.ssrc, kRtcpDomain | k, j);
    return b;
}

// RFC 5761 §4: packet types 192-223 on a multiplexed port are RTCP.
bool looks_like_rtcp(const uint8_t* p, size_t len) { return len >= 2 && p[1] >= 192 && p[1] <= 223; }

struct Stats {
    uint64_t sent = 0, warmup_sent = 0, rtcp_sent = 0, send_errors = 0;
    uint64_t received = 0, warmup_received = 0, rtcp_received = 0, rtcp_warmup_received = 0;
    uint64_t bad = 0, unprotect_failed = 0, payload_mismatch = 0, wrong_source = 0, out_of_range = 0;
    uint64_t duplicates = 0, reordered = 0, echoed = 0;
    uint64_t lost = 0, rtcp_lost = 0;
    std::string first_bad;  // what the first bad packet was, for the summary
};

class Peer {
public:
    explicit Peer(const Options& o) : o_(o) {
        const uint64_t total = uint64_t(o.warmup) + o.count;
        seen_.assign(total, false);
        rtcp_total_ = o.rtcp ? static_cast<uint32_t>(total / o.rtcp_every) : 0;
        rtcp_warmup_ = o.rtcp ? o.warmup / o.rtcp_every : 0;
        rtcp_seen_.assign(rtcp_total_, false);
        if (o.key) {
            const auto tx = tools::split_master_key(*o.key, o.suite);
            const auto rx = tools::split_master_key(o.rx_key ? *o.rx_key : *o.key, o.suite);
            if (!tx.ok()) throw std::runtime_error("--key: " + tx.error());
            if (!rx.ok()) throw std::runtime_error("--rx-key: " + rx.error());
            tx_ = std::make_unique<LibsrtpSession>(o.suite, tx.value().key, tx.value().salt, o.mki,
                                                   LibsrtpSession::Role::sender);
            rx_ = std::make_unique<LibsrtpSession>(o.suite, rx.value().key, rx.value().salt,
                                                   o.rx_mki_set ? o.rx_mki : o.mki, LibsrtpSession::Role::receiver);
        }
        rtp_fd_ = open_socket(o.bind);
        if (o.rtcp && !o.rtcp_mux) {
            net::Endpoint rtcp = o.bind;
            rtcp.port = static_cast<uint16_t>(rtcp.port + 1);
            rtcp_fd_ = open_socket(rtcp);
        }
    }
    ~Peer() {
        if (rtp_fd_ >= 0) ::close(rtp_fd_);
        if (rtcp_fd_ >= 0) ::close(rtcp_fd_);
    }

    const Stats& run();

private:
    const Stats& finish();

    static int open_socket(const net::Endpoint& at) {
        const int family = at.addr.is_v4() ? AF_INET : AF_INET6;
        const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        const int buf = 4 << 20;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
        sockaddr_storage ss;
        const socklen_t len = to_sockaddr(at, ss);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
            const int err = errno;
            ::close(fd);
            throw std::runtime_error("bind " + at.to_string() + ": " + std::strerror(err));
        }
        return fd;
    }

    static socklen_t to_sockaddr(const net::Endpoint& e, sockaddr_storage& ss) {
        std::memset(&ss, 0, sizeof(ss));
        if (e.addr.is_v4()) {
            auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
            sin->sin_family = AF_INET;
            sin->sin_port = htons(e.port);
            std::memcpy(&sin->sin_addr, e.addr.bytes.data(), 4);
            return sizeof(sockaddr_in);
        }
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(e.port);
        std::memcpy(&sin6->sin6_addr, e.addr.bytes.data(), 16);
        return sizeof(sockaddr_in6);
    }

    static net::Endpoint from_sockaddr(const sockaddr_storage& ss) {
        if (ss.ss_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
            return {net::IpAddr::v4(reinterpret_cast<const uint8_t*>(&sin->sin_addr)), ntohs(sin->sin_port)};
        }
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        return {net::IpAddr::v6(reinterpret_cast<const uint8_t*>(&sin6->sin6_addr)), ntohs(sin6->sin6_port)};
    }

    bool send_to(int fd, const net::Endpoint& to, const Bytes& packet) {
        sockaddr_storage ss;
        const socklen_t len = to_sockaddr(to, ss);
        const ssize_t n = ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
        if (n == static_cast<ssize_t>(packet.size())) return true;
        ++stats_.send_errors;
        if (stats_.first_bad.empty())
            stats_.first_bad = std::string("sendto: ") + (n < 0 ? std::strerror(errno) : "short write");
        return false;
    }

    net::Endpoint rtcp_endpoint(net::Endpoint e) const {
        if (!o_.rtcp_mux) e.port = static_cast<uint16_t>(e.port + 1);  // RFC 3550 §11
        return e;
    }

    void send_packet(uint32_t index) {
        Bytes rtp = build_rtp(o_, index);
        if (tx_) protect(rtp, false);
        if (send_to(rtp_fd_, o_.peer, rtp)) ++(index < o_.warmup ? stats_.warmup_sent : stats_.sent);
        if (o_.rtcp && (index + 1) % o_.rtcp_every == 0) {
            Bytes rtcp = build_rtcp(o_, (index + 1) / o_.rtcp_every - 1);
            if (tx_) protect(rtcp, true);
            if (send_to(o_.rtcp_mux ? rtp_fd_ : rtcp_fd_, rtcp_endpoint(o_.peer), rtcp)) ++stats_.rtcp_sent;
        }
    }

    void protect(Bytes& packet, bool rtcp) {
        const srtp_err_status_t s = rtcp ? tx_->protect_rtcp(packet) : tx_->protect_rtp(packet);
        if (s != srtp_err_status_ok)
            throw std::runtime_error("libsrtp protect failed: " + srtp::test::interop::libsrtp_status_name(s));
    }

    void bad(uint64_t& counter, std::string what) {
        ++counter;
        ++stats_.bad;
        if (stats_.first_bad.empty()) stats_.first_bad = std::move(what);
    }

    void drain(int fd, bool rtcp_socket) {
        uint8_t buf[2048 + SRTP_MAX_TRAILER_LEN];
        for (;;) {
            sockaddr_storage ss;
            socklen_t sl = sizeof(ss);
            const ssize_t n = ::recvfrom(fd, buf, 2048, 0, reinterpret_cast<sockaddr*>(&ss), &sl);
            if (n < 0) return;  // EAGAIN: drained (errors on UDP receive are not ours to count)
            last_rx_ = Clock::now();
            const bool rtcp = rtcp_socket || (o_.rtcp_mux && looks_like_rtcp(buf, size_t(n)));
            received(Bytes(buf, buf + n), rtcp, from_sockaddr(ss));
        }
    }

    void received(Bytes packet, bool rtcp, const net::Endpoint& from) {
        if (o_.mode == Mode::send) return;
        if (rx_) {
            const srtp_err_status_t s = rtcp ? rx_->unprotect_rtcp(packet) : rx_->unprotect_rtp(packet);
            if (s != srtp_err_status_ok) {
                bad(stats_.unprotect_failed, std::string(rtcp ? "SRTCP" : "SRTP") + " unprotect from " +
                                                 from.to_string() + ": " +
                                                 srtp::test::interop::libsrtp_status_name(s));
                return;
            }
        }
        if (o_.mode == Mode::echo) {
            if (tx_) protect(packet, rtcp);
            const net::Endpoint to = o_.peer.empty() ? from : (rtcp ? rtcp_endpoint(o_.peer) : o_.peer);
            if (send_to(rtcp && !o_.rtcp_mux && rtcp_fd_ >= 0 ? rtcp_fd_ : rtp_fd_, to, packet) && !rtcp)
                ++stats_.echoed;
            return;
        }
        if (!o_.peer.empty()) {
            const net::Endpoint want = rtcp ? rtcp_endpoint(o_.peer) : o_.peer;
            if (from != want) {
                bad(stats_.wrong_source, "packet from " + from.to_string() + ", expected " + want.to_string());
                return;
            }
        }
        if (rtcp) check_rtcp(packet);
        else check_rtp(packet);
    }

    void check_rtp(const Bytes& p) {
        if (p.size() != kRtpHeaderLen + o_.payload_size || p[0] != 0x80 || (p[1] & 0x7f) != o_.payload_type) {
            bad(stats_.payload_mismatch, "RTP packet of " + std::to_string(p.size()) + " bytes, header " +
                                             tools::to_hex(std::span(p).first(std::min<size_t>(p.size(), 4))));
            return;
        }
        const uint32_t ssrc = get32(&p[8]);
        const uint16_t seq = static_cast<uint16_t>(get16(&p[2]));
        if (o_.expect_ssrc && ssrc != *o_.expect_ssrc) {
            bad(stats_.payload_mismatch, "RTP SSRC " + std::to_string(ssrc));
            return;
        }
        for (uint32_t j = 0; j < o_.payload_size; ++j) {
            if (p[kRtpHeaderLen + j] != pattern_byte(ssrc, seq, j)) {
                bad(stats_.payload_mismatch, "RTP seq " + std::to_string(seq) + " payload byte " + std::to_string(j));
                return;
            }
        }
        const uint32_t index = static_cast<uint16_t>(seq - o_.seq_start);
        if (index >= seen_.size()) {
            bad(stats_.out_of_range, "RTP seq " + std::to_string(seq) + " outside the run");
            return;
        }
        if (seen_[index]) {
            ++stats_.duplicates;
            return;
        }
        seen_[index] = true;
        if (any_rtp_ && index < highest_rtp_) ++stats_.reordered;
        if (!any_rtp_ || index > highest_rtp_) highest_rtp_ = index;
        any_rtp_ = true;
        ++(index < o_.warmup ? stats_.warmup_received : stats_.received);
    }

    void check_rtcp(const Bytes& p) {
        const bool shape = p.size() == kRtcpLen && p[0] == 0x80 && p[1] == 200 && get16(&p[2]) == 6 &&
                           get32(&p[12]) == kNtpMarker && p[28] == 0x80 && p[29] == 204 &&
                           get16(&p[30]) == 10 && get32(&p[32]) == get32(&p[4]) && get32(&p[36]) == kNtpMarker;
        if (!shape) {
            bad(stats_.payload_mismatch, "RTCP packet of " + std::to_string(p.size()) + " bytes not as sent");
            return;
        }
        const uint32_t ssrc = get32(&p[4]);
        const uint32_t k = get32(&p[8]);
        if (o_.expect_ssrc && ssrc != *o_.expect_ssrc) {
            bad(stats_.payload_mismatch, "RTCP SSRC " + std::to_string(ssrc));
            return;
        }
        for (uint32_t j = 0; j < kRtcpAppDataLen; ++j) {
            if (p[40 + j] != pattern_byte(ssrc, kRtcpDomain | k, j)) {
                bad(stats_.payload_mismatch, "RTCP " + std::to_string(k) + " APP byte " + std::to_string(j));
                return;
            }
        }
        if (k >= rtcp_total_) {
            bad(stats_.out_of_range, "RTCP number " + std::to_string(k) + " outside the run");
            return;
        }
        if (rtcp_seen_[k]) {
            ++stats_.duplicates;
            return;
        }
        rtcp_seen_[k] = true;
        ++(k < rtcp_warmup_ ? stats_.rtcp_warmup_received : stats_.rtcp_received);
    }

    bool all_received() const {
        return stats_.received >= o_.count && stats_.rtcp_received >= rtcp_total_ - rtcp_warmup_;
    }

    const Options& o_;
    std::unique_ptr<LibsrtpSession> tx_, rx_;
    int rtp_fd_ = -1, rtcp_fd_ = -1;
    std::vector<bool> seen_, rtcp_seen_;
    uint32_t rtcp_total_ = 0, rtcp_warmup_ = 0;
    uint32_t highest_rtp_ = 0;
    bool any_rtp_ = false;
    Clock::time_point last_rx_;
    Stats stats_;
};

const Stats& Peer::run() {
    const auto start = Clock::now();
    last_rx_ = start;
    const uint32_t total = o_.warmup + o_.count;
    const bool sends = o_.mode == Mode::send || o_.mode == Mode::both;
    uint32_t next_index = 0;
    auto next_send = start;
    auto send_end = start;
    bool send_done = !sends || total == 0;
    const auto timeout = std::chrono::milliseconds(o_.timeout_ms);

    pollfd fds[2] = {{rtp_fd_, POLLIN, 0}, {rtcp_fd_, POLLIN, 0}};
    const nfds_t nfds = rtcp_fd_ >= 0 ? 2 : 1;
    for (;;) {
        const auto now = Clock::now();
        if (!send_done && now >= next_send) {
            send_packet(next_index++);
            if (next_index == total) {
                send_done = true;
                send_end = now;
            } else if (next_index == o_.warmup) {
                next_send = now + std::chrono::milliseconds(o_.warmup_gap_ms);
            } else if (next_index < o_.warmup && o_.warmup_interval_us) {
                next_send += std::chrono::microseconds(*o_.warmup_interval_us);
            } else {
                next_send += std::chrono::microseconds(o_.interval_us);
            }
            continue;
        }
        Clock::time_point deadline;
        switch (o_.mode) {
            case Mode::send:
                if (send_done) return finish();
                deadline = next_send;
                break;
            case Mode::both:
                if (send_done && (all_received() || now - send_end >= timeout)) return finish();
                deadline = send_done ? send_end + timeout : next_send;
                break;
            case Mode::receive:
                if (all_received() || now - last_rx_ >= timeout) return finish();
                deadline = last_rx_ + timeout;
                break;
            case Mode::echo:
                if ((o_.count && stats_.echoed >= o_.count) || now - last_rx_ >= timeout) return finish();
                deadline = last_rx_ + timeout;
                break;
        }
        const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
        timespec ts{};
        if (wait.count() > 0) {
            ts.tv_sec = static_cast<time_t>(wait.count() / 1'000'000'000);
            ts.tv_nsec = static_cast<long>(wait.count() % 1'000'000'000);
        }
        if (::ppoll(fds, nfds, &ts, nullptr) < 0 && errno != EINTR)
            throw std::runtime_error(std::string("ppoll: ") + std::strerror(errno));
        // A pure sender drains too (and ignores what it reads), so its socket buffer never fills.
        drain(rtp_fd_, false);
        if (rtcp_fd_ >= 0) drain(rtcp_fd_, true);
    }
}

const Stats& Peer::finish() {
    if (o_.mode == Mode::receive || o_.mode == Mode::both) {
        stats_.lost = o_.count - std::min<uint64_t>(stats_.received, o_.count);
        const uint64_t rtcp_expected = rtcp_total_ - rtcp_warmup_;
        stats_.rtcp_lost = rtcp_expected - std::min<uint64_t>(stats_.rtcp_received, rtcp_expected);
    }
    return stats_;
}

// ---- command line ----

using Error = std::optional<std::string>;

template <class T>
Error store_number(std::string_view v, uint64_t max, T& out) {
    const auto parsed = tools::parse_unsigned(v, max);
    if (!parsed.ok()) return parsed.error();
    out = static_cast<T>(parsed.value());
    return std::nullopt;
}

Error store_endpoint(std::string_view v, net::Endpoint& out) {
    const auto parsed = tools::parse_endpoint(v);
    if (!parsed.ok()) return parsed.error();
    out = parsed.value();
    return std::nullopt;
}

Error store_hex(std::string_view v, size_t max, Bytes& out) {
    const auto parsed = tools::parse_hex(v, max);
    if (!parsed.ok()) return parsed.error();
    out = parsed.value();
    return std::nullopt;
}

struct OptionRow {
    std::string_view name;
    std::string_view value_name;  // "" for a flag
    std::string_view help;
    Error (*apply)(Options& o, std::string_view value);
};

constexpr size_t kMaxKeyAndSalt = srtp::kMaxKeyLen + srtp::kMaxSaltLen;

const OptionRow kOptionRows[] = {
    {"bind", "IP:PORT", "local RTP address (RTCP on PORT+1 unless --rtcp-mux); required",
     [](Options& o, std::string_view v) { return store_endpoint(v, o.bind); }},
    {"peer", "IP:PORT", "remote RTP address; required to send; received packets must come from it",
     [](Options& o, std::string_view v) { return store_endpoint(v, o.peer); }},
    {"suite", "NAME", "SRTP suite (default AES_CM_128_HMAC_SHA1_80)",
     [](Options& o, std::string_view v) -> Error {
         const auto parsed = tools::parse_suite(v);
         if (!parsed.ok()) return parsed.error();
         o.suite = parsed.value();
         return std::nullopt;
     }},
    {"key", "HEX", "SRTP master key || salt, both directions unless --rx-key; none: plain RTP",
     [](Options& o, std::string_view v) { return store_hex(v, kMaxKeyAndSalt, o.key.emplace()); }},
    {"rx-key", "HEX", "master key || salt of received packets",
     [](Options& o, std::string_view v) { return store_hex(v, kMaxKeyAndSalt, o.rx_key.emplace()); }},
    {"mki", "HEX", "MKI of sent SRTP/SRTCP (and received, unless --rx-mki)",
     [](Options& o, std::string_view v) { return store_hex(v, srtp::kMaxMkiLen, o.mki); }},
    {"rx-mki", "HEX", "MKI of received SRTP/SRTCP",
     [](Options& o, std::string_view v) {
         o.rx_mki_set = true;
         return store_hex(v, srtp::kMaxMkiLen, o.rx_mki);
     }},
    {"ssrc", "N", "SSRC of sent packets (default 1297303089)",
     [](Options& o, std::string_view v) { return store_number(v, UINT32_MAX, o.ssrc); }},
    {"expect-ssrc", "N", "received packets must carry this SSRC",
     [](Options& o, std::string_view v) { return store_number(v, UINT32_MAX, o.expect_ssrc.emplace()); }},
    {"count", "N", "measured RTP packets to send, and to expect from the peer (default 100)",
     [](Options& o, std::string_view v) { return store_number(v, 65536, o.count); }},
    {"interval-us", "US", "time between two sent packets (default 1000)",
     [](Options& o, std::string_view v) { return store_number(v, 10'000'000, o.interval_us); }},
    {"payload-size", "BYTES", "RTP payload bytes (default 160), the same at both ends",
     [](Options& o, std::string_view v) { return store_number(v, kMaxPayload, o.payload_size); }},
    {"pt", "N", "RTP payload type (default 0), 0..127 outside 64..95 (RFC 5761 §4)",
     [](Options& o, std::string_view v) -> Error {
         if (auto e = store_number(v, 127, o.payload_type)) return e;
         if (o.payload_type >= 64 && o.payload_type <= 95) return "64..95 would look like RTCP (RFC 5761 §4)";
         return std::nullopt;
     }},
    {"mode", "MODE", "send, receive, echo or both (send and verify what comes back; default)",
     [](Options& o, std::string_view v) -> Error {
         if (v == "send") o.mode = Mode::send;
         else if (v == "receive") o.mode = Mode::receive;
         else if (v == "echo") o.mode = Mode::echo;
         else if (v == "both") o.mode = Mode::both;
         else return std::string(v.substr(0, 32)).append(" is not send, receive, echo or both");
         return std::nullopt;
     }},
    {"rtcp", "", "also send and expect RTCP: one packet per --rtcp-every RTP packets",
     [](Options& o, std::string_view) -> Error {
         o.rtcp = true;
         return std::nullopt;
     }},
    {"rtcp-mux", "", "RTCP on the RTP port (RFC 5761); implies --rtcp",
     [](Options& o, std::string_view) -> Error {
         o.rtcp = o.rtcp_mux = true;
         return std::nullopt;
     }},
    {"rtcp-every", "N", "RTP packets per RTCP packet (default 10)",
     [](Options& o, std::string_view v) -> Error {
         if (auto e = store_number(v, 65536, o.rtcp_every)) return e;
         if (o.rtcp_every == 0) return "must be at least 1";
         return std::nullopt;
     }},
    {"seq-start", "N", "sequence number of the first packet (default 1)",
     [](Options& o, std::string_view v) { return store_number(v, 65535, o.seq_start); }},
    {"warmup", "N", "packets sent first to open the path, not counted as lost (default 0)",
     [](Options& o, std::string_view v) { return store_number(v, 65536, o.warmup); }},
    {"warmup-interval-us", "US", "time between two warm-up packets (default: --interval-us)",
     [](Options& o, std::string_view v) { return store_number(v, 10'000'000, o.warmup_interval_us.emplace()); }},
    {"warmup-gap-ms", "MS", "pause between warm-up and measured packets (default 200)",
     [](Options& o, std::string_view v) { return store_number(v, 60'000, o.warmup_gap_ms); }},
    {"timeout-ms", "MS", "wait this long after the last sent (or received) packet (default 2000)",
     [](Options& o, std::string_view v) { return store_number(v, 600'000, o.timeout_ms); }},
    {"max-loss", "N", "lost packets (RTP + RTCP) that still exit 0 (default 0)",
     [](Options& o, std::string_view v) { return store_number(v, UINT64_MAX, o.max_loss); }},
    {"json", "", "print the summary as JSON",
     [](Options& o, std::string_view) -> Error {
         o.json = true;
         return std::nullopt;
     }},
};

std::string help_text() {
    std::string out =
        "usage: msf-rtp-peer --bind IP:PORT [--peer IP:PORT] [OPTIONS]\n"
        "A UE (SRTP/SRTCP through libsrtp2, with --key) or a core peer (plain RTP) over UDP sockets.\n"
        "Payloads are patterns of (SSRC, sequence number): every byte is verified on receipt.\n"
        "Both ends must use the same --seq-start, --warmup, --count, --payload-size, --rtcp-every.\n"
        "Exit 0 only if nothing was bad and losses <= --max-loss; 1 otherwise; 2 usage error.\n\n";
    for (const OptionRow& r : kOptionRows) {
        std::string left = "  --";
        left += r.name;
        if (!r.value_name.empty()) {
            left += ' ';
            left += r.value_name;
        }
        if (left.size() < 26) left.resize(26, ' ');
        else left += "  ";
        out += left + std::string(r.help) + "\n";
    }
    out += "\nSuites: " + tools::suite_names() + "\n";
    return out;
}

// nullopt and *exit_code 0: --help was printed.
std::optional<Options> parse_options(int argc, char** argv, int* exit_code) {
    Options o;
    bool bind_given = false;
    auto usage = [&](const std::string& line) -> std::optional<Options> {
        std::fprintf(stderr, "msf-rtp-peer: %s\n", line.c_str());
        *exit_code = 2;
        return std::nullopt;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(help_text().c_str(), stdout);
            *exit_code = 0;
            return std::nullopt;
        }
        if (arg.size() < 3 || arg.substr(0, 2) != "--")
            return usage("unexpected argument '" + std::string(arg.substr(0, 64)) + "'; see --help");
        const size_t eq = arg.find('=');
        const std::string_view name = arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
        const OptionRow* row = nullptr;
        for (const OptionRow& r : kOptionRows)
            if (r.name == name) row = &r;
        if (!row) return usage("unknown option --" + std::string(name.substr(0, 64)) + "; see --help");
        std::string_view value;
        if (row->value_name.empty()) {
            if (eq != std::string_view::npos) return usage("--" + std::string(name) + " takes no value");
        } else if (eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return usage("--" + std::string(name) + " needs a value (" + std::string(row->value_name) + ")");
        }
        if (auto error = row->apply(o, value)) {
            std::fprintf(stderr, "msf-rtp-peer: --%s: %s\n", std::string(name).c_str(), error->c_str());
            *exit_code = 1;
            return std::nullopt;
        }
        bind_given |= row->name == "bind";
    }
    if (!bind_given) return usage("--bind is required");
    if ((o.mode == Mode::send || o.mode == Mode::both) && o.peer.empty())
        return usage("--mode send and both need --peer");
    if (!o.peer.empty() && o.peer.addr.family != o.bind.addr.family)
        return usage("--bind and --peer must be the same address family");
    if (uint64_t(o.warmup) + o.count > 65536)
        return usage("--warmup + --count must be at most 65536 (one sequence-number cycle)");
    if (o.rtcp && !o.rtcp_mux && (o.bind.port == 65535 || (!o.peer.empty() && o.peer.port == 65535)))
        return usage("--rtcp without --rtcp-mux needs PORT+1: port 65535 has none");
    if (o.rx_key && !o.key) return usage("--rx-key needs --key");
    return o;
}

void print_summary(const Options& o, const Stats& s) {
    if (o.json) {
        tools::JsonWriter json;
        json.begin_object();
        json.member("sent", s.sent).member("warmup_sent", s.warmup_sent).member("rtcp_sent", s.rtcp_sent);
        json.member("received", s.received).member("warmup_received", s.warmup_received);
        json.member("rtcp_received", s.rtcp_received).member("rtcp_warmup_received", s.rtcp_warmup_received);
        json.member("bad", s.bad).member("unprotect_failed", s.unprotect_failed);
        json.member("payload_mismatch", s.payload_mismatch).member("wrong_source", s.wrong_source);
        json.member("out_of_range", s.out_of_range);
        json.member("lost", s.lost).member("rtcp_lost", s.rtcp_lost);
        json.member("reordered", s.reordered).member("duplicates", s.duplicates);
        json.member("echoed", s.echoed).member("send_errors", s.send_errors);
        json.member("first_bad", s.first_bad);
        json.end_object();
        std::printf("%s\n", json.str().c_str());
    } else {
        std::printf("sent %llu (+%llu warm-up), rtcp %llu; received %llu (+%llu warm-up), rtcp %llu; bad %llu, "
                    "lost %llu, rtcp lost %llu, reordered %llu, duplicates %llu, echoed %llu, send errors %llu\n",
                    (unsigned long long)s.sent, (unsigned long long)s.warmup_sent, (unsigned long long)s.rtcp_sent,
                    (unsigned long long)s.received, (unsigned long long)s.warmup_received,
                    (unsigned long long)s.rtcp_received, (unsigned long long)s.bad, (unsigned long long)s.lost,
                    (unsigned long long)s.rtcp_lost, (unsigned long long)s.reordered,
                    (unsigned long long)s.duplicates, (unsigned long long)s.echoed,
                    (unsigned long long)s.send_errors);
        if (!s.first_bad.empty()) std::printf("first problem: %s\n", s.first_bad.c_str());
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    int exit_code = 0;
    const std::optional<Options> options = parse_options(argc, argv, &exit_code);
    if (!options) return exit_code;
    try {
        Peer peer(*options);
        const Stats& s = peer.run();
        print_summary(*options, s);
        const bool ok = s.bad == 0 && s.send_errors == 0 && s.lost + s.rtcp_lost <= options->max_loss;
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msf-rtp-peer: %s\n", e.what());
        return 1;
    }
}
