// The SRTP engine against libsrtp2 2.5 for every suite, with and without an MKI, SRTP and
// SRTCP, both directions: random streams (sizes, CSRCs, header extensions, padding, ROC
// rollover, losses, reordering, late packets) must protect to the same bytes as libsrtp and
// unprotect to the same plaintext in both directions; replayed, tampered and truncated
// packets must be rejected with the right Status (and by libsrtp too, which checks the test).
//
// Everything is drawn from a fixed seed printed with every failure; set MSF_SRTP_INTEROP_SEED
// (decimal or 0x-hex) to replay or to explore another seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/srtp/context.hpp"
#include "dataplane/srtp/engine.hpp"
#include "dataplane/srtp/status.hpp"
#include "dataplane/srtp/suite.hpp"
#include "tests/dataplane/srtp/libsrtp_oracle.hpp"

namespace msf::srtp {

// Readable statuses in gtest messages (found by argument-dependent lookup).
inline void PrintTo(Status s, std::ostream* os) { *os << status_name(s); }

namespace {

using test::interop::Bytes;
using test::interop::get16;
using test::interop::get32;
using test::interop::LibsrtpSession;
using test::interop::libsrtp_status_name;
using test::interop::libsrtp_unprotects_srtcp;
using test::interop::TestRng;
using test::interop::to_hex;

constexpr uint32_t kWindow = 128;  // both libsrtp's and the engine's default

uint64_t base_seed() {
    static const uint64_t seed = [] {
        const char* env = std::getenv("MSF_SRTP_INTEROP_SEED");
        return env != nullptr ? std::strtoull(env, nullptr, 0) : uint64_t{0x6d73665f73727470};
    }();
    return seed;
}

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x += 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

std::string seed_note(uint64_t seed) {
    std::ostringstream s;
    s << "base seed 0x" << std::hex << base_seed() << " (MSF_SRTP_INTEROP_SEED), stream seed 0x"
      << seed;
    return s.str();
}

// ---- engine calls -----------------------------------------------------------------------------

enum class Op { protect_rtp, unprotect_rtp, protect_rtcp, unprotect_rtcp };
enum class Proto { rtp, rtcp };

constexpr bool is_protect(Op op) { return op == Op::protect_rtp || op == Op::protect_rtcp; }
constexpr bool is_rtcp(Op op) { return op == Op::protect_rtcp || op == Op::unprotect_rtcp; }
constexpr Op protect_op(Proto p) { return p == Proto::rtp ? Op::protect_rtp : Op::protect_rtcp; }
constexpr Op unprotect_op(Proto p) {
    return p == Proto::rtp ? Op::unprotect_rtp : Op::unprotect_rtcp;
}

struct Job {
    Bytes bytes;
    Context* ctx = nullptr;
    Status status = Status::ok;
};

constexpr size_t kGuardLen = 64;
constexpr uint8_t kGuardByte = 0xa5;

// One engine call over all jobs (one burst, or the one-packet API per job). Protect gets
// exactly the tailroom the context asks for; the engine must not write past `capacity`.
void run_engine(Engine& engine, Op op, std::span<Job> jobs, bool one_at_a_time = false) {
    std::vector<Bytes> store(jobs.size());
    std::vector<Packet> packets(jobs.size());
    std::vector<Status> status(jobs.size(), Status::ok);
    for (size_t i = 0; i < jobs.size(); ++i) {
        const Job& job = jobs[i];
        uint32_t room = 0;
        if (is_protect(op) && job.ctx != nullptr)
            room = is_rtcp(op) ? job.ctx->rtcp_tailroom() : job.ctx->rtp_tailroom();
        const size_t len = job.bytes.size();
        store[i].assign(len + room + kGuardLen, kGuardByte);
        std::copy(job.bytes.begin(), job.bytes.end(), store[i].begin());
        packets[i] = Packet{store[i].data(), static_cast<uint32_t>(len),
                            static_cast<uint32_t>(len + room), job.ctx};
    }
    if (one_at_a_time) {
        for (size_t i = 0; i < jobs.size(); ++i) {
            switch (op) {
                case Op::protect_rtp: status[i] = engine.protect_rtp(packets[i]); break;
                case Op::unprotect_rtp: status[i] = engine.unprotect_rtp(packets[i]); break;
                case Op::protect_rtcp: status[i] = engine.protect_rtcp(packets[i]); break;
                case Op::unprotect_rtcp: status[i] = engine.unprotect_rtcp(packets[i]); break;
            }
        }
    } else {
        const std::span<Packet> p(packets);
        const std::span<Status> s(status);
        switch (op) {
            case Op::protect_rtp: engine.protect_rtp(p, s); break;
            case Op::unprotect_rtp: engine.unprotect_rtp(p, s); break;
            case Op::protect_rtcp: engine.protect_rtcp(p, s); break;
            case Op::unprotect_rtcp: engine.unprotect_rtcp(p, s); break;
        }
    }
    for (size_t i = 0; i < jobs.size(); ++i) {
        const size_t capacity = packets[i].capacity;
        const bool guard_intact = std::all_of(store[i].begin() + static_cast<ptrdiff_t>(capacity),
                                              store[i].end(),
                                              [](uint8_t b) { return b == kGuardByte; });
        EXPECT_TRUE(guard_intact) << "the engine wrote past the packet's capacity (" << capacity
                                  << " bytes)";
        jobs[i].status = status[i];
        if (status[i] != Status::ok) continue;
        EXPECT_LE(packets[i].len, capacity) << "the engine reports a length beyond the capacity";
        const size_t len = std::min<size_t>(packets[i].len, capacity);
        jobs[i].bytes.assign(store[i].begin(), store[i].begin() + static_cast<ptrdiff_t>(len));
    }
}

Status engine_one(Engine& engine, Op op, Context* ctx, Bytes& bytes) {
    Job job{bytes, ctx, Status::ok};
    run_engine(engine, op, std::span(&job, 1), true);
    if (job.status == Status::ok) bytes = std::move(job.bytes);
    return job.status;
}

srtp_err_status_t libsrtp_run(LibsrtpSession& session, Op op, Bytes& bytes) {
    switch (op) {
        case Op::protect_rtp: return session.protect_rtp(bytes);
        case Op::unprotect_rtp: return session.unprotect_rtp(bytes);
        case Op::protect_rtcp: return session.protect_rtcp(bytes);
        case Op::unprotect_rtcp: return session.unprotect_rtcp(bytes);
    }
    return srtp_err_status_fail;
}

// ---- keys and contexts ------------------------------------------------------------------------

struct Case {
    Suite suite;
    uint8_t mki_len;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    return std::string(suite_info(info.param.suite).name) + "_mki" +
           std::to_string(info.param.mki_len);
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    for (const SuiteInfo& info : kSuites)
        for (uint8_t mki = 0; mki <= 4; ++mki) cases.push_back({info.suite, mki});
    return cases;
}

Policy random_policy(TestRng& rng, Suite suite, size_t mki_len) {
    const SuiteInfo& info = suite_info(suite);
    Policy p;
    p.suite = suite;
    p.master_key = rng.bytes(info.key_len);
    p.master_salt = rng.bytes(info.salt_len);
    p.mki = rng.bytes(mki_len);
    p.replay_window = kWindow;
    return p;
}

std::unique_ptr<Context> make_context(const Policy& policy) {
    std::string error;
    auto ctx = Context::create(policy, &error);
    if (!ctx) ADD_FAILURE() << "Context::create failed: " << error;
    return ctx;
}

std::unique_ptr<LibsrtpSession> make_libsrtp(const Policy& p, LibsrtpSession::Role role) {
    return std::make_unique<LibsrtpSession>(p.suite, p.master_key, p.master_salt, p.mki, role);
}

// ---- where the parts of a protected packet are ------------------------------------------------

struct Range {
    size_t begin = 0;
    size_t end = 0;
    size_t size() const { return end - begin; }
};

// RFC 3711 §3.1 (AES-CM: payload, MKI, tag) and RFC 7714 §8.1/§9 (AEAD: ciphertext with its
// tag, then the MKI); for SRTCP (§3.4, RFC 7714 §9.3) the E flag and index follow the
// encrypted part (AES-CM) or the tag (AEAD), and the MKI comes after them.
struct Layout {
    Range encrypted;  // SRTP payload or SRTCP body after the first 8 octets
    Range trailer;    // SRTCP E flag and index
    Range mki;
    Range tag;
};

Layout layout(Proto proto, const SuiteInfo& info, size_t mki_len, size_t plain_len,
              size_t header_len) {
    const bool gcm = info.cipher == Cipher::aes_gcm;
    const size_t tag = proto == Proto::rtp ? info.rtp_tag_len : info.rtcp_tag_len;
    Layout l;
    l.encrypted = {proto == Proto::rtp ? header_len : 8, plain_len};
    size_t at = plain_len;
    if (gcm) {
        l.tag = {at, at + tag};
        at += tag;
    }
    if (proto == Proto::rtcp) {
        l.trailer = {at, at + 4};
        at += 4;
    }
    l.mki = {at, at + mki_len};
    at += mki_len;
    if (!gcm) l.tag = {at, at + tag};
    return l;
}

// The same positions as a receiver finds them, counted from the end of a `len`-byte packet.
Layout layout_from_end(Proto proto, const SuiteInfo& info, size_t mki_len, size_t len) {
    const size_t tag = proto == Proto::rtp ? info.rtp_tag_len : info.rtcp_tag_len;
    const size_t trailer = proto == Proto::rtcp ? 4 : 0;
    const size_t overhead = tag + trailer + mki_len;
    return layout(proto, info, mki_len, len - overhead, 0);  // only the tail is meaningful
}

// RFC 3550 §5.1: fixed header, CSRCs, extension; nullopt if the packet is too short for it.
std::optional<size_t> rtp_header_len(std::span<const uint8_t> p) {
    if (p.size() < 12) return std::nullopt;
    size_t len = 12 + 4 * size_t{p[0] & 0x0fu};
    if (p[0] & 0x10) {
        if (p.size() < len + 4) return std::nullopt;
        len += 4 + 4 * size_t{get16(p, len + 2)};
    }
    if (p.size() < len) return std::nullopt;
    return len;
}

// ---- what a receiver must do ------------------------------------------------------------------

// The receiver state both libsrtp and the engine keep: RFC 3711 §3.3.2 replay list over a
// 128-packet window below the highest authenticated index.
struct ReplayModel {
    bool started = false;
    uint64_t highest = 0;
    std::set<uint64_t> seen;

    bool fresh(uint64_t index) const {
        if (!started || index > highest) return true;
        if (highest - index >= kWindow) return false;
        return seen.count(index) == 0;
    }
    void accept(uint64_t index) {
        if (!started || index > highest) highest = index;
        started = true;
        seen.insert(index);
    }
    // RFC 3711 Appendix A, with libsrtp's rule that a stream whose highest index is at most
    // 2^15 is taken to be in ROC 0 (so a first sequence number near 65535 is not ROC -1).
    uint64_t estimate(uint16_t seq) const {
        if (!started || highest <= 0x8000) return seq;
        const uint32_t roc = static_cast<uint32_t>(highest >> 16);
        const uint32_t s_l = static_cast<uint16_t>(highest);
        uint32_t v = roc;
        if (s_l < 0x8000) {
            if (seq > s_l + 0x8000) v = roc - 1;
        } else if (s_l - 0x8000 > seq) {
            v = roc + 1;
        }
        return uint64_t{v} << 16 | seq;
    }
};

// What libsrtp must say; `any_failure` where its status says nothing about the engine's
// (it does not check the RTP version, has no SSRC binding, reports E-flag trouble its own way).
enum class LibVerdict { ok, auth_fail, replay, bad_mki, any_failure };

struct Expect {
    std::vector<Status> engine;  // acceptable engine statuses
    LibVerdict libsrtp = LibVerdict::ok;
};

Expect expect_ok() { return {{Status::ok}, LibVerdict::ok}; }
Expect expect_auth() { return {{Status::auth_failed}, LibVerdict::auth_fail}; }
Expect expect_replay() { return {{Status::replay}, LibVerdict::replay}; }

bool libsrtp_matches(LibVerdict v, srtp_err_status_t s) {
    switch (v) {
        case LibVerdict::ok: return s == srtp_err_status_ok;
        case LibVerdict::auth_fail: return s == srtp_err_status_auth_fail;
        case LibVerdict::replay:
            return s == srtp_err_status_replay_fail || s == srtp_err_status_replay_old;
        case LibVerdict::bad_mki: return s == srtp_err_status_bad_mki;
        case LibVerdict::any_failure: return s != srtp_err_status_ok;
    }
    return false;
}

std::string describe(const Expect& e) {
    std::string s;
    for (const Status st : e.engine) s += (s.empty() ? "" : " or ") + std::string(status_name(st));
    return s;
}

// A change made to a protected packet before it is delivered.
struct Mutation {
    std::string what;
    size_t offset = 0;
    uint8_t mask = 0;
    std::optional<size_t> truncate_to;

    Bytes apply(const Bytes& b) const {
        Bytes out = b;
        if (truncate_to) {
            out.resize(*truncate_to);
        } else {
            out[offset] ^= mask;
        }
        return out;
    }
    std::string describe() const {
        std::ostringstream s;
        s << what;
        if (truncate_to) {
            s << " to " << *truncate_to << " bytes";
        } else {
            s << " (byte " << offset << " ^= 0x" << std::hex << unsigned{mask} << ")";
        }
        return s.str();
    }
};

// ---- one stream, both directions --------------------------------------------------------------

struct StreamOptions {
    size_t packets = 1200;
    bool adversary = true;        // tampered, truncated and replayed packets along the way
    bool random_start = true;     // RTP: first sequence number near 65535 (or anywhere)
    uint16_t first_seq = 65500;   // RTP, when !random_start
    bool losses_and_jumps = true; // RTP: lost packets and three 25000-packet gaps
    std::vector<size_t> order;    // delivery order by send position; empty: random
};

// Sends one SSRC's packets through the engine and libsrtp and delivers them, out of order, to
// three receivers: the engine fed libsrtp's packets, libsrtp fed the engine's, and the engine
// fed its own (the only check left where libsrtp cannot unprotect, see libsrtp_oracle.hpp).
class InteropStream {
public:
    InteropStream(Proto proto, Case c, uint64_t seed)
        : proto_(proto), case_(c), info_(suite_info(c.suite)), seed_(seed), rng_(seed) {
        policy_ = random_policy(rng_, c.suite, c.mki_len);
        ssrc_ = static_cast<uint32_t>(rng_.next());
        tx_ = make_context(policy_);
        rx_from_libsrtp_ = make_context(policy_);
        rx_from_engine_ = make_context(policy_);
        lib_tx_ = make_libsrtp(policy_, LibsrtpSession::Role::sender);
        oracle_unprotects_ = proto == Proto::rtp || libsrtp_unprotects_srtcp(c.suite, c.mki_len);
        if (oracle_unprotects_) lib_rx_ = make_libsrtp(policy_, LibsrtpSession::Role::receiver);
    }

    void run(const StreamOptions& options) {
        options_ = options;
        if (!tx_ || !rx_from_libsrtp_ || !rx_from_engine_) return;
        generate();
        if (give_up()) return;
        check_sender_state();
        deliver_all(options.order.empty() ? random_order() : options.order);
        if (give_up()) return;
        check_receiver_state();
    }

private:
    struct Sent {
        Bytes plain;
        Bytes by_engine;
        Bytes by_libsrtp;
        uint64_t index = 0;  // RTP packet index (ROC || SEQ) or SRTCP index
        size_t header_len = 0;
    };

    enum class Rx { engine_from_libsrtp, engine_from_engine, libsrtp_from_engine };

    // ---- sending

    void generate() {
        const size_t n = options_.packets;
        uint64_t index = 0;
        if (proto_ == Proto::rtp) {
            index = options_.first_seq;
            if (options_.random_start)
                index = rng_.percent(75) ? rng_.range(65535 - 300, 65535) : rng_.range(0, 65535);
            // Three long losses of 25000 packets (under 2^15, so the index stays estimable),
            // at least 180 packets apart.
            if (options_.losses_and_jumps && n >= 1000)
                for (size_t q = 1; q <= 3; ++q) jumps_.insert(q * n / 4 + rng_.range(0, n / 10));
        }
        uint32_t timestamp = static_cast<uint32_t>(rng_.next());
        for (size_t i = 0; i < n; ++i) {
            Sent s;
            if (proto_ == Proto::rtp) {
                if (i > 0) {
                    index += 1;
                    if (options_.losses_and_jumps && rng_.percent(10)) index += rng_.range(1, 3);
                    if (jumps_.count(i)) index += 25000;  // a long loss, still under 2^15
                }
                timestamp += 160;
                auto p = test::interop::random_rtp(rng_, ssrc_, static_cast<uint16_t>(index),
                                                   timestamp);
                s.plain = std::move(p.bytes);
                s.header_len = p.header_len;
                s.index = index;
            } else {
                s.plain = test::interop::random_rtcp(rng_, ssrc_);
                s.index = i + 1;  // the first SRTCP packet is numbered 1, as libsrtp does
            }
            sent_.push_back(std::move(s));
        }

        // The engine protects in bursts of mixed sizes (more than kMaxBurst included), some
        // through the one-packet API.
        for (size_t i = 0; i < n && !give_up();) {
            const size_t count = std::min<size_t>(n - i, rng_.percent(20) ? 1 : rng_.range(1, 80));
            const bool one_at_a_time = rng_.percent(15);
            std::vector<Job> jobs;
            for (size_t k = 0; k < count; ++k) jobs.push_back({sent_[i + k].plain, tx_.get()});
            run_engine(engine_, protect_op(proto_), jobs, one_at_a_time);
            for (size_t k = 0; k < count; ++k) {
                if (jobs[k].status != Status::ok)
                    fail(where(i + k) + ": engine protect returned " +
                         std::string(status_name(jobs[k].status)));
                sent_[i + k].by_engine = std::move(jobs[k].bytes);
            }
            i += count;
        }
        for (size_t i = 0; i < n && !give_up(); ++i) {
            Sent& s = sent_[i];
            s.by_libsrtp = s.plain;
            const srtp_err_status_t st = libsrtp_run(*lib_tx_, protect_op(proto_), s.by_libsrtp);
            if (st != srtp_err_status_ok)
                fail(where(i) + ": libsrtp protect returned " + libsrtp_status_name(st));
            if (s.by_engine != s.by_libsrtp) fail(where(i) + ": protected bytes differ\n" + diff(s));
        }
    }

    void check_sender_state() {
        if (proto_ != Proto::rtp) return;
        const uint64_t last = sent_.back().index;
        EXPECT_EQ(tx_->rtp_highest_index(), last) << seed_note(seed_);
        EXPECT_EQ(tx_->rtp_roc(), last >> 16) << seed_note(seed_);
        EXPECT_EQ(tx_->rtp_ssrc(), ssrc_) << seed_note(seed_);
    }

    // ---- receiving

    // In blocks of 1 to 12 packets, each shuffled; the first packet stays first (a receiver
    // takes the first sequence number as ROC 0) and no block spans a jump. Then a few packets
    // arrive late, some still inside the window and some behind it.
    std::vector<size_t> random_order() {
        const size_t n = sent_.size();
        std::vector<size_t> order{0};
        for (size_t i = 1; i < n;) {
            size_t count = std::min<size_t>(n - i, rng_.range(1, 12));
            for (size_t k = i + 1; k < i + count; ++k) {
                if (jumps_.count(k)) {
                    count = k - i;
                    break;
                }
            }
            const size_t start = order.size();
            for (size_t k = 0; k < count; ++k) order.push_back(i + k);
            rng_.shuffle(std::span(order).subspan(start));
            i += count;
        }
        // A late packet is moved once, and never behind two jumps (it would be 2^15 or more
        // behind and taken for a packet of the next ROC; see expect_replayed).
        std::set<size_t> moved;
        const auto jumps_between = [this](size_t a, size_t b) {
            return b <= a ? 0 : std::distance(jumps_.upper_bound(a), jumps_.upper_bound(b));
        };
        for (size_t late = 0; late < n / 100; ++late) {
            const size_t from = rng_.range(1, n - 2);
            if (!moved.insert(order[from]).second) continue;
            size_t to = std::min(n - 1, from + rng_.range(20, 150));
            while (to > from && jumps_between(order[from], order[to]) > 1) --to;
            std::rotate(order.begin() + static_cast<ptrdiff_t>(from),
                        order.begin() + static_cast<ptrdiff_t>(from) + 1,
                        order.begin() + static_cast<ptrdiff_t>(to) + 1);
        }
        return order;
    }

    void deliver_all(const std::vector<size_t>& order) {
        std::vector<size_t> delivered;
        std::vector<size_t> accepted;
        for (const size_t k : order) {
            if (give_up()) return;
            const Sent& s = sent_[k];
            if (proto_ == Proto::rtp && model_.estimate(static_cast<uint16_t>(s.index)) != s.index) {
                fail(where(k) + ": test bug, delivery order defeats index estimation (highest " + std::to_string(model_.highest) + ", estimate " + std::to_string(model_.estimate(static_cast<uint16_t>(s.index))) + ")");
                return;
            }
            const bool fresh = model_.fresh(s.index);
            if (options_.adversary && model_.started && fresh && rng_.percent(12)) attack(k);

            deliver(k, std::nullopt, fresh ? expect_ok() : expect_replay(), "");
            if (fresh) {
                model_.accept(s.index);
                accepted.push_back(k);
            }
            delivered.push_back(k);

            if (!options_.adversary) continue;
            if (rng_.percent(3)) {  // RFC 3711 §3.3.2: a replay of anything delivered before
                const size_t j = delivered[rng_.range(0, delivered.size() - 1)];
                deliver(j, std::nullopt, expect_replayed(j), "replayed");
            }
            if (rng_.percent(2)) {  // libsrtp and the engine check the window before the tag
                const size_t j = accepted[rng_.range(0, accepted.size() - 1)];
                const Layout l = sent_layout(j);
                Mutation m{"replayed with a flipped tag bit",
                           rng_.range(l.tag.begin, l.tag.end - 1), rng_.bit(), std::nullopt};
                deliver(j, m, expect_replayed(j), "");
            }
        }
    }

    // A packet delivered before is a replay while the receiver still estimates its index
    // right; 2^15 or more behind the highest index, RFC 3711 Appendix A takes it for a packet
    // of the next ROC, which fails the tag (libsrtp and the engine alike).
    Expect expect_replayed(size_t k) const {
        const Sent& s = sent_[k];
        const uint64_t index =
            proto_ == Proto::rtp ? model_.estimate(static_cast<uint16_t>(s.index)) : s.index;
        return model_.fresh(index) ? expect_auth() : expect_replay();
    }

    // Delivers packet k (changed by `m` when given) to all three receivers.
    void deliver(size_t k, const std::optional<Mutation>& m, const Expect& expect,
                 const std::string& note) {
        const Sent& s = sent_[k];
        for (const Rx rx : {Rx::engine_from_libsrtp, Rx::engine_from_engine, Rx::libsrtp_from_engine}) {
            if (rx == Rx::libsrtp_from_engine && !oracle_unprotects_) continue;
            const Bytes& source = rx == Rx::engine_from_libsrtp ? s.by_libsrtp : s.by_engine;
            Bytes packet = m ? m->apply(source) : source;
            const std::string what = where(k) + (m ? ", " + m->describe() : "") +
                                     (note.empty() ? "" : ", " + note);
            if (rx == Rx::libsrtp_from_engine) {
                const srtp_err_status_t st = libsrtp_run(*lib_rx_, unprotect_op(proto_), packet);
                if (!libsrtp_matches(expect.libsrtp, st)) {
                    fail(what + ": libsrtp (fed the engine's packet) returned " +
                         libsrtp_status_name(st) + ", expected " + lib_name(expect.libsrtp) +
                         " [if libsrtp is right, the test's expectation is wrong]");
                } else if (st == srtp_err_status_ok && packet != s.plain) {
                    fail(what + ": libsrtp recovered other plaintext than was sent\n  sent " +
                         to_hex(s.plain) + "\n   got " + to_hex(packet));
                }
                continue;
            }
            Context* ctx = rx == Rx::engine_from_libsrtp ? rx_from_libsrtp_.get()
                                                         : rx_from_engine_.get();
            const Status st = engine_one(engine_, unprotect_op(proto_), ctx, packet);
            const char* fed = rx == Rx::engine_from_libsrtp ? "libsrtp's" : "its own";
            if (std::find(expect.engine.begin(), expect.engine.end(), st) == expect.engine.end()) {
                fail(what + ": engine (fed " + fed + " packet) returned " +
                     std::string(status_name(st)) + ", expected " + describe(expect) +
                     "\n  packet " + to_hex(m ? m->apply(source) : source));
            } else if (st == Status::ok && packet != s.plain) {
                fail(what + ": engine (fed " + fed + " packet) recovered other plaintext\n  sent " +
                     to_hex(s.plain) + "\n   got " + to_hex(packet));
            }
        }
    }

    // One random change to a packet the receivers have not seen yet.
    void attack(size_t k) {
        const Sent& s = sent_[k];
        const Layout l = sent_layout(k);
        const size_t len = s.by_engine.size();
        const auto pick = [this](Range r) { return rng_.range(r.begin, r.end - 1); };
        std::vector<std::pair<Mutation, Expect>> menu;
        const auto add = [&menu](std::string what, size_t at, uint8_t mask, Expect e) {
            menu.push_back({Mutation{std::move(what), at, mask, std::nullopt}, std::move(e)});
        };

        if (l.encrypted.size() > 0)
            add(proto_ == Proto::rtp ? "payload bit" : "encrypted body bit", pick(l.encrypted),
                rng_.bit(), expect_auth());
        add("tag bit", pick(l.tag), rng_.bit(), expect_auth());
        if (l.mki.size() > 0)
            add("MKI bit", pick(l.mki), rng_.bit(), {{Status::mki_mismatch}, LibVerdict::bad_mki});
        add("SSRC bit", rng_.range(proto_ == Proto::rtp ? 8 : 4, proto_ == Proto::rtp ? 11 : 7),
            rng_.bit(), {{Status::ssrc_mismatch}, LibVerdict::any_failure});
        add("version bit", 0, rng_.percent(50) ? 0x80 : 0x40,
            {{Status::malformed}, LibVerdict::any_failure});

        if (proto_ == Proto::rtp) {
            // Authenticated header bits whose change leaves the header's length alone.
            std::vector<std::pair<size_t, uint8_t>> header{{0, 0x20}, {1, 0xff}, {4, 0xff},
                                                           {5, 0xff}, {6, 0xff}, {7, 0xff}};
            const size_t cc = s.plain[0] & 0x0f;
            for (size_t i = 12; i < 12 + 4 * cc; ++i) header.push_back({i, 0xff});
            if (s.plain[0] & 0x10) {
                const size_t ext = 12 + 4 * cc;
                header.push_back({ext, 0xff});
                header.push_back({ext + 1, 0xff});
                for (size_t i = ext + 4; i < s.header_len; ++i) header.push_back({i, 0xff});
            }
            const auto [at, allowed] = header[rng_.range(0, header.size() - 1)];
            uint8_t mask = 0;
            while (mask == 0) mask = static_cast<uint8_t>(rng_.bit() & allowed);
            add("header bit", at, mask, expect_auth());

            Mutation seq{"sequence number bit", rng_.range(2, 3), rng_.bit(), std::nullopt};
            const uint64_t index = model_.estimate(static_cast<uint16_t>(get16(seq.apply(s.by_engine), 2)));
            menu.push_back({seq, model_.fresh(index) ? expect_auth() : expect_replay()});
        } else {
            add("RC bit", 0, static_cast<uint8_t>(1u << rng_.range(0, 4)), expect_auth());
            add("packet type bit 0", 1, 0x01, expect_auth());
            Mutation idx{"SRTCP index bit", 0, 0, std::nullopt};
            const unsigned bit = static_cast<unsigned>(rng_.range(0, 30));
            idx.offset = l.trailer.begin + 3 - bit / 8;
            idx.mask = static_cast<uint8_t>(1u << (bit % 8));
            const uint64_t index = get32(idx.apply(s.by_engine), l.trailer.begin) & 0x7fffffff;
            menu.push_back({idx, model_.fresh(index) ? expect_auth() : expect_replay()});
            // RFC 3711 §3.4: the E flag is authenticated; an engine may also refuse E = 0 as
            // a packet it will not accept unencrypted before checking the tag.
            add("E flag", l.trailer.begin, 0x80,
                {{Status::auth_failed, Status::malformed}, LibVerdict::any_failure});
        }

        // Truncation: anywhere, or just into the trailer.
        const size_t tail = l.tag.size() + l.mki.size() + l.trailer.size() + 4;
        const size_t to = rng_.percent(50) ? rng_.range(0, len - 1)
                                           : rng_.range(len > tail ? len - tail : 0, len - 1);
        Mutation cut{"truncated", 0, 0, to};
        menu.push_back({cut, expect_truncated(cut.apply(s.by_engine))});

        const auto& [mutation, expect] = menu[rng_.range(0, menu.size() - 1)];
        deliver(k, mutation, expect, "");
    }

    // A truncated packet is too short (malformed) or has its MKI, index and tag read from the
    // wrong bytes; where it has several faults, any one of them is a right answer.
    Expect expect_truncated(const Bytes& p) const {
        const size_t m = case_.mki_len;
        const size_t tag = proto_ == Proto::rtp ? info_.rtp_tag_len : info_.rtcp_tag_len;
        const size_t trailer = proto_ == Proto::rtcp ? 4 : 0;
        const size_t fixed = proto_ == Proto::rtp ? 12 : 8;
        Expect e{{}, LibVerdict::any_failure};
        if (p.size() < fixed + trailer + tag + m) {
            e.engine = {Status::malformed};
            return e;
        }
        const Layout l = layout_from_end(proto_, info_, m, p.size());
        const bool mki_wrong =
            m > 0 && !std::equal(policy_.mki.begin(), policy_.mki.end(),
                                 p.begin() + static_cast<ptrdiff_t>(l.mki.begin));
        if (mki_wrong) e.engine.push_back(Status::mki_mismatch);
        if (proto_ == Proto::rtp) {
            const auto header = rtp_header_len(p);
            if (!header || p.size() < *header + tag + m) e.engine.push_back(Status::malformed);
        } else {
            const uint32_t word = get32(p, l.trailer.begin);
            if (!model_.fresh(word & 0x7fffffff)) e.engine.push_back(Status::replay);
            if ((word & 0x80000000) == 0) {  // E = 0: see the E flag attack
                e.engine.push_back(Status::malformed);
                e.engine.push_back(Status::auth_failed);
            }
        }
        if (e.engine.empty()) e.engine.push_back(Status::auth_failed);
        return e;
    }

    void check_receiver_state() {
        for (Context* ctx : {rx_from_libsrtp_.get(), rx_from_engine_.get()}) {
            if (proto_ == Proto::rtp) {
                EXPECT_EQ(ctx->rtp_highest_index(), model_.highest) << seed_note(seed_);
                EXPECT_EQ(ctx->rtp_roc(), model_.highest >> 16) << seed_note(seed_);
                EXPECT_EQ(ctx->rtp_ssrc(), ssrc_) << seed_note(seed_);
                if (options_.random_start && options_.losses_and_jumps) {
                    EXPECT_GE(ctx->rtp_roc(), 1u) << "the stream never rolled over";
                }
            } else {
                EXPECT_TRUE(ctx->rtcp_started());
                EXPECT_EQ(ctx->rtcp_highest_index(), model_.highest) << seed_note(seed_);
            }
        }
    }

    // ---- reporting

    Layout sent_layout(size_t k) const {
        return layout(proto_, info_, case_.mki_len, sent_[k].plain.size(), sent_[k].header_len);
    }

    std::string where(size_t k) const {
        const Sent& s = sent_[k];
        std::ostringstream o;
        o << info_.name << (case_.mki_len ? " MKI " + to_hex(policy_.mki) : " no MKI")
          << (proto_ == Proto::rtp ? " SRTP" : " SRTCP") << " packet #" << k;
        if (proto_ == Proto::rtp) {
            o << " seq " << (s.index & 0xffff) << " ROC " << (s.index >> 16) << " ("
              << s.plain.size() << " bytes, header " << s.header_len << ", CC "
              << (s.plain[0] & 0x0f) << (s.plain[0] & 0x10 ? ", X" : "")
              << (s.plain[0] & 0x20 ? ", P" : "") << ")";
        } else {
            o << " index " << s.index << " (" << s.plain.size() << " bytes)";
        }
        o << "; " << seed_note(seed_);
        return o.str();
    }

    static std::string diff(const Sent& s) {
        size_t first = 0;
        while (first < s.by_engine.size() && first < s.by_libsrtp.size() &&
               s.by_engine[first] == s.by_libsrtp[first])
            ++first;
        std::ostringstream o;
        o << "  first difference at byte " << first << " (engine " << s.by_engine.size()
          << " bytes, libsrtp " << s.by_libsrtp.size() << " bytes)\n  plain   "
          << to_hex(s.plain) << "\n  engine  " << to_hex(s.by_engine) << "\n  libsrtp "
          << to_hex(s.by_libsrtp);
        return o.str();
    }

    static std::string lib_name(LibVerdict v) {
        switch (v) {
            case LibVerdict::ok: return "ok";
            case LibVerdict::auth_fail: return "auth_fail";
            case LibVerdict::replay: return "replay_fail or replay_old";
            case LibVerdict::bad_mki: return "bad_mki";
            case LibVerdict::any_failure: return "any failure";
        }
        return "?";
    }

    static constexpr int kMaxFailures = 8;
    void fail(const std::string& message) {
        ++failures_;
        ADD_FAILURE() << message;
        if (failures_ == kMaxFailures) ADD_FAILURE() << "giving up on this stream";
    }
    bool give_up() const { return failures_ >= kMaxFailures; }

    Proto proto_;
    Case case_;
    const SuiteInfo& info_;
    uint64_t seed_;
    TestRng rng_;
    StreamOptions options_;
    Policy policy_;
    uint32_t ssrc_ = 0;
    Engine engine_;
    std::unique_ptr<Context> tx_, rx_from_libsrtp_, rx_from_engine_;
    std::unique_ptr<LibsrtpSession> lib_tx_, lib_rx_;
    bool oracle_unprotects_ = true;
    std::vector<Sent> sent_;
    std::set<size_t> jumps_;
    ReplayModel model_;
    int failures_ = 0;
};

class LibsrtpInterop : public ::testing::TestWithParam<Case> {
protected:
    uint64_t seed(uint64_t salt) const {
        return mix(base_seed() ^ mix(static_cast<uint64_t>(GetParam().suite) << 8 |
                                     GetParam().mki_len) ^ salt);
    }
};

TEST_P(LibsrtpInterop, RandomSrtpStreamMatchesLibsrtpBothWays) {
    InteropStream(Proto::rtp, GetParam(), seed(1)).run(StreamOptions{});
}

TEST_P(LibsrtpInterop, RandomSrtcpStreamMatchesLibsrtpBothWays) {
    StreamOptions options;
    options.packets = 400;
    InteropStream(Proto::rtcp, GetParam(), seed(2)).run(options);
}

// Packets 127 and 128 behind the highest: the last one inside the window and the first one
// behind it (RFC 3711 §3.3.2), the same for libsrtp and the engine.
std::vector<size_t> window_edge_order() {
    std::vector<size_t> order{0};
    for (size_t k = 4; k <= 130; ++k) order.push_back(k);
    for (const size_t k : {3, 2, 1, 131, 3}) order.push_back(k);
    return order;
}

TEST_P(LibsrtpInterop, SrtpReplayWindowEdgeMatchesLibsrtp) {
    StreamOptions options;
    options.packets = 132;
    options.adversary = false;
    options.random_start = false;
    options.first_seq = 65500;  // rolls over on the way
    options.losses_and_jumps = false;
    options.order = window_edge_order();
    InteropStream(Proto::rtp, GetParam(), seed(3)).run(options);
}

TEST_P(LibsrtpInterop, SrtcpReplayWindowEdgeMatchesLibsrtp) {
    StreamOptions options;
    options.packets = 132;
    options.adversary = false;
    options.order = window_edge_order();
    InteropStream(Proto::rtcp, GetParam(), seed(4)).run(options);
}

// A protect call without the tailroom the context asks for fails with no_room and leaves the
// stream as it was: the next packet still matches libsrtp byte for byte.
TEST_P(LibsrtpInterop, ProtectWithoutTailroomIsNoRoomAndChangesNothing) {
    const uint64_t s = seed(5);
    SCOPED_TRACE(seed_note(s));
    TestRng rng(s);
    const Policy policy = random_policy(rng, GetParam().suite, GetParam().mki_len);
    Engine engine;
    for (const Proto proto : {Proto::rtp, Proto::rtcp}) {
        SCOPED_TRACE(proto == Proto::rtp ? "SRTP" : "SRTCP");
        auto tx = make_context(policy);
        ASSERT_NE(tx, nullptr);
        auto lib = make_libsrtp(policy, LibsrtpSession::Role::sender);
        const uint32_t ssrc = static_cast<uint32_t>(rng.next());
        const Bytes plain = proto == Proto::rtp
                                ? test::interop::random_rtp(rng, ssrc, 65535, 1).bytes
                                : test::interop::random_rtcp(rng, ssrc);
        const uint32_t room = proto == Proto::rtp ? tx->rtp_tailroom() : tx->rtcp_tailroom();
        ASSERT_GT(room, 0u);

        Bytes buffer(plain.size() + room + kGuardLen, kGuardByte);
        std::copy(plain.begin(), plain.end(), buffer.begin());
        Packet short_packet{buffer.data(), static_cast<uint32_t>(plain.size()),
                            static_cast<uint32_t>(plain.size() + room - 1), tx.get()};
        const Status st = proto == Proto::rtp ? engine.protect_rtp(short_packet)
                                              : engine.protect_rtcp(short_packet);
        EXPECT_EQ(st, Status::no_room) << "got " << status_name(st);
        EXPECT_TRUE(std::all_of(buffer.begin() + static_cast<ptrdiff_t>(plain.size() + room - 1),
                                buffer.end(), [](uint8_t b) { return b == kGuardByte; }))
            << "the engine wrote past the capacity";

        Bytes by_engine = plain;
        ASSERT_EQ(engine_one(engine, protect_op(proto), tx.get(), by_engine), Status::ok);
        Bytes by_libsrtp = plain;
        ASSERT_EQ(libsrtp_run(*lib, protect_op(proto), by_libsrtp), srtp_err_status_ok);
        EXPECT_EQ(to_hex(by_engine), to_hex(by_libsrtp))
            << "a failed protect changed the stream (SRTCP: consumed an index?)";
    }
}

// ---- bursts that mix suites and streams -------------------------------------------------------

struct MixedStream {
    Case c;
    Policy policy;
    uint32_t ssrc = 0;
    uint64_t next_index = 0;
    uint32_t timestamp = 0;
    std::unique_ptr<Context> tx, rx;
    std::unique_ptr<LibsrtpSession> lib_tx, lib_rx;
};

// All six suites, with and without an MKI, interleaved in bursts of up to 150 packets (so
// the engine splits them): one engine call protects a burst of every suite and context, and
// must give each packet libsrtp's bytes; one call unprotects libsrtp's packets, and libsrtp
// unprotects the engine's. A tampered copy ahead of a genuine packet fails alone.
void run_mixed_bursts(Proto proto, uint64_t seed) {
    SCOPED_TRACE(seed_note(seed));
    TestRng rng(seed);
    std::vector<MixedStream> streams;
    for (const SuiteInfo& info : kSuites) {
        for (const bool with_mki : {false, true}) {
            MixedStream s;
            s.c = {info.suite, static_cast<uint8_t>(with_mki ? rng.range(1, 4) : 0)};
            s.policy = random_policy(rng, s.c.suite, s.c.mki_len);
            s.ssrc = static_cast<uint32_t>(rng.next());
            s.next_index = proto == Proto::rtp ? rng.range(65535 - 100, 65535) : 1;
            s.tx = make_context(s.policy);
            s.rx = make_context(s.policy);
            ASSERT_TRUE(s.tx && s.rx);
            s.lib_tx = make_libsrtp(s.policy, LibsrtpSession::Role::sender);
            if (proto == Proto::rtp || libsrtp_unprotects_srtcp(s.c.suite, s.c.mki_len))
                s.lib_rx = make_libsrtp(s.policy, LibsrtpSession::Role::receiver);
            streams.push_back(std::move(s));
        }
    }
    Engine engine;
    int failures = 0;
    for (int round = 0; round < 25 && failures < 8; ++round) {
        const size_t count = rng.range(1, 150);
        std::vector<size_t> owner;
        std::vector<Bytes> plain;
        std::vector<Job> protect;
        for (size_t i = 0; i < count; ++i) {
            MixedStream& s = streams[rng.range(0, streams.size() - 1)];
            Bytes p;
            if (proto == Proto::rtp) {
                s.timestamp += 160;
                p = test::interop::random_rtp(rng, s.ssrc, static_cast<uint16_t>(s.next_index),
                                              s.timestamp)
                        .bytes;
            } else {
                p = test::interop::random_rtcp(rng, s.ssrc);
            }
            ++s.next_index;
            owner.push_back(static_cast<size_t>(&s - streams.data()));
            plain.push_back(p);
            protect.push_back({std::move(p), s.tx.get()});
        }
        run_engine(engine, protect_op(proto), protect);

        std::vector<Job> unprotect;
        std::vector<size_t> genuine;  // position in the burst -> packet, or count for tampered
        for (size_t i = 0; i < count; ++i) {
            MixedStream& s = streams[owner[i]];
            const std::string where = std::string(suite_info(s.c.suite).name) + " MKI length " +
                                      std::to_string(s.c.mki_len) + ", burst " +
                                      std::to_string(round) + " packet " + std::to_string(i);
            Bytes by_libsrtp = plain[i];
            const srtp_err_status_t lst = libsrtp_run(*s.lib_tx, protect_op(proto), by_libsrtp);
            if (protect[i].status != Status::ok || lst != srtp_err_status_ok ||
                protect[i].bytes != by_libsrtp) {
                ++failures;
                ADD_FAILURE() << where << ": engine " << status_name(protect[i].status)
                              << ", libsrtp " << libsrtp_status_name(lst) << "\n  plain   "
                              << to_hex(plain[i]) << "\n  engine  " << to_hex(protect[i].bytes)
                              << "\n  libsrtp " << to_hex(by_libsrtp);
                continue;
            }
            if (s.lib_rx) {
                Bytes back = protect[i].bytes;
                const srtp_err_status_t st = libsrtp_run(*s.lib_rx, unprotect_op(proto), back);
                EXPECT_EQ(st, srtp_err_status_ok) << where << ": " << libsrtp_status_name(st);
                EXPECT_EQ(to_hex(back), to_hex(plain[i])) << where;
            }
            if (rng.percent(5)) {  // a payload or tag bit: nothing but the tag is wrong
                const size_t header = proto == Proto::rtp ? *rtp_header_len(plain[i]) : 8;
                const Layout l = layout(proto, suite_info(s.c.suite), s.c.mki_len,
                                        plain[i].size(), header);
                const Range r = l.encrypted.size() > 0 && rng.percent(50) ? l.encrypted : l.tag;
                Bytes tampered = by_libsrtp;
                tampered[rng.range(r.begin, r.end - 1)] ^= rng.bit();
                unprotect.push_back({std::move(tampered), s.rx.get()});
                genuine.push_back(count);
            }
            unprotect.push_back({std::move(by_libsrtp), s.rx.get()});
            genuine.push_back(i);
        }
        std::vector<Bytes> input;
        for (const Job& job : unprotect) input.push_back(job.bytes);
        std::set<const Context*> started;  // streams with an authenticated packet before this burst
        for (const MixedStream& s : streams)
            if (proto == Proto::rtp ? s.rx->rtp_started() : s.rx->rtcp_started())
                started.insert(s.rx.get());
        run_engine(engine, unprotect_op(proto), unprotect);
        for (size_t j = 0; j < unprotect.size(); ++j) {
            const bool tampered = genuine[j] == count;
            const Status want = tampered ? Status::auth_failed : Status::ok;
            const MixedStream* s = nullptr;
            for (const MixedStream& candidate : streams)
                if (candidate.rx.get() == unprotect[j].ctx) s = &candidate;
            const std::string where =
                std::string(suite_info(s->c.suite).name) + " MKI " + to_hex(s->policy.mki) +
                (tampered ? ", tampered copy" : "") + ", round " + std::to_string(round) +
                ", unprotect burst position " + std::to_string(j) + " of " +
                std::to_string(unprotect.size()) + ", " + std::to_string(input[j].size()) +
                " bytes" +
                (proto == Proto::rtp ? ", seq " + std::to_string(get16(input[j], 2)) : "") +
                (started.count(s->rx.get()) ? "" : ", first burst of this stream");
            if (unprotect[j].status != want) {
                ++failures;
                ADD_FAILURE() << where << ": engine " << status_name(unprotect[j].status)
                              << ", expected " << status_name(want) << "\n  packet "
                              << to_hex(input[j]);
            } else if (!tampered) {
                EXPECT_EQ(to_hex(unprotect[j].bytes), to_hex(plain[genuine[j]])) << where;
            }
        }
    }
}

TEST(LibsrtpInteropBursts, MixedSuiteSrtpBurstsMatchLibsrtp) {
    run_mixed_bursts(Proto::rtp, mix(base_seed() ^ 0x6275727374));
}

TEST(LibsrtpInteropBursts, MixedSuiteSrtcpBurstsMatchLibsrtp) {
    run_mixed_bursts(Proto::rtcp, mix(base_seed() ^ 0x6275727375));
}

// A stream's first packets can straddle the sequence number wrap: 65534, 65535, 0, 1 are
// indices 65534 to 65537 (RFC 3711 §3.3.1; libsrtp, one packet at a time, accepts all four).
// Delivered to a new receiver in one burst, they must all authenticate, as they do one by one.
TEST(LibsrtpInteropBursts, FirstBurstOfAStreamMayCrossTheSequenceWrap) {
    const uint64_t seed = mix(base_seed() ^ 0x77726170);
    SCOPED_TRACE(seed_note(seed));
    TestRng rng(seed);
    Engine engine;
    for (const SuiteInfo& info : kSuites) {
        const Policy policy = random_policy(rng, info.suite, 0);
        auto lib_tx = make_libsrtp(policy, LibsrtpSession::Role::sender);
        const uint32_t ssrc = static_cast<uint32_t>(rng.next());
        std::vector<Bytes> plain;
        std::vector<Job> burst, one_by_one;
        auto rx_burst = make_context(policy);
        auto rx_single = make_context(policy);
        ASSERT_TRUE(rx_burst && rx_single);
        for (const uint16_t seq : {65534, 65535, 0, 1}) {
            plain.push_back(test::interop::random_rtp(rng, ssrc, seq, 160u * seq).bytes);
            Bytes p = plain.back();
            ASSERT_EQ(libsrtp_run(*lib_tx, Op::protect_rtp, p), srtp_err_status_ok);
            burst.push_back({p, rx_burst.get()});
            one_by_one.push_back({p, rx_single.get()});
        }
        run_engine(engine, Op::unprotect_rtp, one_by_one, true);
        run_engine(engine, Op::unprotect_rtp, burst);
        for (size_t i = 0; i < burst.size(); ++i) {
            EXPECT_EQ(one_by_one[i].status, Status::ok)
                << info.name << " packet " << i << " one at a time: "
                << status_name(one_by_one[i].status);
            EXPECT_EQ(burst[i].status, Status::ok)
                << info.name << " packet " << i << " (seq " << get16(plain[i], 2)
                << ") in one burst to a new stream: " << status_name(burst[i].status);
        }
        EXPECT_EQ(rx_burst->rtp_highest_index(), 65537u) << info.name;
    }
}

// Several copies of one packet in one burst: the window is checked before the burst's crypto
// and committed after it, but only the first copy may pass (RFC 3711 §3.3.2). libsrtp, one
// packet at a time, is the reference for every status. A packet 160 behind one accepted
// earlier in the same burst must not corrupt the window for the packet 128 after it.
TEST_P(LibsrtpInterop, ReplaysInsideOneBurstAreCaught) {
    const uint64_t s = seed(6);
    SCOPED_TRACE(seed_note(s));
    TestRng rng(s);
    const Case c = GetParam();
    const Policy policy = random_policy(rng, c.suite, c.mki_len);
    Engine engine;
    for (const Proto proto : {Proto::rtp, Proto::rtcp}) {
        SCOPED_TRACE(proto == Proto::rtp ? "SRTP" : "SRTCP");
        auto tx = make_context(policy);
        auto rx = make_context(policy);
        ASSERT_TRUE(tx && rx);
        auto lib_tx = make_libsrtp(policy, LibsrtpSession::Role::sender);
        std::unique_ptr<LibsrtpSession> lib_rx;
        if (proto == Proto::rtp || libsrtp_unprotects_srtcp(c.suite, c.mki_len))
            lib_rx = make_libsrtp(policy, LibsrtpSession::Role::receiver);
        const uint32_t ssrc = static_cast<uint32_t>(rng.next());

        std::vector<Bytes> plain, by_libsrtp;
        for (size_t i = 0; i < 200; ++i) {
            plain.push_back(proto == Proto::rtp
                                ? test::interop::random_rtp(rng, ssrc,
                                                            static_cast<uint16_t>(65500 + i),
                                                            static_cast<uint32_t>(160 * i))
                                      .bytes
                                : test::interop::random_rtcp(rng, ssrc));
            Bytes p = plain.back();
            ASSERT_EQ(libsrtp_run(*lib_tx, protect_op(proto), p), srtp_err_status_ok);
            by_libsrtp.push_back(std::move(p));
        }
        const size_t hdr = proto == Proto::rtp ? *rtp_header_len(plain[4]) : 8;
        const Layout l4 = layout(proto, suite_info(c.suite), c.mki_len, plain[4].size(), hdr);
        Bytes tampered4 = by_libsrtp[4];
        tampered4[l4.tag.begin] ^= 0x01;

        struct Entry {
            size_t packet;
            bool tampered;
            std::vector<Status> expected;  // the sequential answer first
        };
        const std::vector<Status> ok{Status::ok}, replay{Status::replay},
            auth{Status::auth_failed};
        const std::vector<std::vector<Entry>> bursts = {
            {{0, false, ok}, {1, false, ok}, {0, false, replay}, {2, false, ok},
             {1, false, replay}, {3, false, ok}, {3, false, replay}},
            {{4, true, auth}, {4, false, ok}, {5, false, ok}},
            // 20 is 160 behind 180 once 180 is in: sequentially a replay; a burst engine that
            // checked the window before 180 went in may accept it (it is authentic and new),
            // but must not let it mark index 148 (the same bitmap slot) as seen.
            {{180, false, ok}, {20, false, {Status::replay, Status::ok}}},
            {{148, false, ok}, {20, false, replay}, {180, false, replay}},
        };
        for (size_t b = 0; b < bursts.size(); ++b) {
            std::vector<Job> jobs;
            for (const Entry& e : bursts[b])
                jobs.push_back({e.tampered ? tampered4 : by_libsrtp[e.packet], rx.get()});
            run_engine(engine, unprotect_op(proto), jobs);
            for (size_t j = 0; j < jobs.size(); ++j) {
                const Entry& e = bursts[b][j];
                const auto& want = e.expected;
                EXPECT_NE(std::find(want.begin(), want.end(), jobs[j].status), want.end())
                    << "burst " << b << " position " << j << " (packet " << e.packet
                    << (e.tampered ? ", tampered" : "") << "): engine "
                    << status_name(jobs[j].status) << ", expected " << status_name(want[0]);
                if (jobs[j].status == Status::ok) {
                    EXPECT_EQ(to_hex(jobs[j].bytes), to_hex(plain[e.packet]));
                }
                if (lib_rx) {  // the same packets one at a time through libsrtp
                    Bytes p = e.tampered ? tampered4 : by_libsrtp[e.packet];
                    const srtp_err_status_t st = libsrtp_run(*lib_rx, unprotect_op(proto), p);
                    const LibVerdict v = want[0] == Status::ok       ? LibVerdict::ok
                                         : want[0] == Status::replay ? LibVerdict::replay
                                                                     : LibVerdict::auth_fail;
                    EXPECT_TRUE(libsrtp_matches(v, st))
                        << "libsrtp, burst " << b << " position " << j << ": "
                        << libsrtp_status_name(st);
                }
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllSuites, LibsrtpInterop, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace msf::srtp
