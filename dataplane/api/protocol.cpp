#include "dataplane/api/protocol.hpp"

#include <string.h>  // explicit_bzero

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>

#include "dataplane/srtp/replay.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::api {

namespace {

// The table and the variant must list the same types in the same order, each type once.
template <size_t... I>
constexpr bool table_matches_body(std::index_sequence<I...>) {
    return ((std::variant_alternative_t<I, MessageBody>::kType == kMessageTypes[I].type) && ...);
}
static_assert(std::variant_size_v<MessageBody> == kMessageTypeCount);
static_assert(table_matches_body(std::make_index_sequence<kMessageTypeCount>{}));
constexpr bool types_unique() {
    for (size_t i = 0; i < kMessageTypeCount; ++i)
        for (size_t j = i + 1; j < kMessageTypeCount; ++j)
            if (kMessageTypes[i].type == kMessageTypes[j].type) return false;
    return true;
}
static_assert(types_unique());

constexpr std::array<std::string_view, kResultCodeCount> kResultCodeNames = {
    "ok", "bad_message", "unsupported_version", "unknown_type", "not_found",
    "already_exists", "invalid_argument", "no_space", "internal", "unavailable",
};

// ---- Big-endian writer ----

// Fields gather in a small buffer that goes to `out` a block at a time: a session_add is some 30
// fields, and a vector insert per field was most of what encoding one cost. The buffer may hold
// key bytes, so it is wiped when the writer goes; flush() before anyone else appends to `out`.
class Writer {
public:
    explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer() {
        flush();
        wipe_bytes({staged_.data(), high_water_});
    }

    void u8(uint8_t v) {
        *room(1) = v;
        used_ += 1;
    }
    void u16(uint16_t v) { big_endian<2>(v); }
    void u32(uint32_t v) { big_endian<4>(v); }
    void u64(uint64_t v) { big_endian<8>(v); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    void raw(std::span<const uint8_t> b) {
        if (b.size() > staged_.size() / 2) {  // long: straight to `out`
            flush();
            out_.insert(out_.end(), b.begin(), b.end());
            return;
        }
        if (!b.empty()) std::memcpy(room(b.size()), b.data(), b.size());
        used_ += b.size();
    }
    void bytes(std::span<const uint8_t> b) {
        u32(static_cast<uint32_t>(b.size()));
        raw(b);
    }
    void string(std::string_view s) {
        bytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
    }
    void count(size_t n) { u32(static_cast<uint32_t>(n)); }

    void flush() {
        out_.insert(out_.end(), staged_.data(), staged_.data() + used_);
        high_water_ = std::max(high_water_, used_);
        used_ = 0;
    }

private:
    // Where the next n (at most staged_.size()) bytes go.
    uint8_t* room(size_t n) {
        if (staged_.size() - used_ < n) flush();
        return staged_.data() + used_;
    }
    template <size_t N>
    void big_endian(uint64_t v) {
        uint8_t* p = room(N);
        for (size_t i = 0; i < N; ++i) p[i] = static_cast<uint8_t>(v >> (8 * (N - 1 - i)));
        used_ += N;
    }

    std::vector<uint8_t>& out_;
    std::array<uint8_t, 256> staged_;
    size_t used_ = 0;
    size_t high_water_ = 0;
};

// ---- Big-endian reader with bounds checks ----

// Reads fields in order; the first failure is kept, and every read after it fails too, so a
// decoder can read on without checking each step. Errors name the message and the field path.
class Reader {
public:
    Reader(std::span<const uint8_t> data, std::string_view message) : data_(data), message_(message) {}

    // Names a nested field for error messages while in scope: "from_ue", "sessions[3]".
    class Field {
    public:
        Field(Reader& r, std::string_view name, int64_t index = -1) : r_(r) { r_.push(name, index); }
        ~Field() { r_.pop(); }
        Field(const Field&) = delete;
        Field& operator=(const Field&) = delete;

    private:
        Reader& r_;
    };

    bool failed() const { return failed_; }
    size_t left() const { return data_.size() - pos_; }

    bool u8(std::string_view field, uint8_t& v) {
        if (!need(field, 1)) return false;
        v = data_[pos_++];
        return true;
    }
    bool u16(std::string_view field, uint16_t& v) {
        if (!need(field, 2)) return false;
        v = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
        pos_ += 2;
        return true;
    }
    bool u32(std::string_view field, uint32_t& v) {
        if (!need(field, 4)) return false;
        v = 0;
        for (int i = 0; i < 4; ++i) v = v << 8 | data_[pos_++];
        return true;
    }
    bool u64(std::string_view field, uint64_t& v) {
        if (!need(field, 8)) return false;
        v = 0;
        for (int i = 0; i < 8; ++i) v = v << 8 | data_[pos_++];
        return true;
    }
    bool boolean(std::string_view field, bool& v) {
        uint8_t raw = 0;
        if (!u8(field, raw)) return false;
        if (raw > 1) return fail(field, "bad boolean " + std::to_string(raw));
        v = raw == 1;
        return true;
    }
    bool bytes(std::string_view field, std::vector<uint8_t>& v, size_t max) {
        uint32_t len = 0;
        if (!length(field, len, max)) return false;
        v.assign(data_.begin() + static_cast<ptrdiff_t>(pos_),
                 data_.begin() + static_cast<ptrdiff_t>(pos_ + len));
        pos_ += len;
        return true;
    }
    // Printable text: a control character could rewrite a terminal that shows the name.
    bool string(std::string_view field, std::string& v, size_t max) {
        uint32_t len = 0;
        if (!length(field, len, max)) return false;
        for (uint32_t i = 0; i < len; ++i) {
            const uint8_t c = data_[pos_ + i];
            if (c < 0x20 || c == 0x7f)
                return fail(field, "control character " + std::to_string(c) + " at offset " +
                                       std::to_string(i));
        }
        v.assign(reinterpret_cast<const char*>(data_.data() + pos_), len);
        pos_ += len;
        return true;
    }
    // A vector's element count; each element needs at least min_element_size bytes, so a count
    // the message cannot hold is refused before anything is allocated for it.
    bool count(std::string_view field, uint32_t& n, size_t max, size_t min_element_size) {
        if (!u32(field, n)) return false;
        if (n > max)
            return fail(field, "count " + std::to_string(n) + " exceeds " + std::to_string(max));
        if (uint64_t{n} * min_element_size > left())
            return fail(field, "count " + std::to_string(n) + " overruns the message (" +
                                   std::to_string(left()) + " bytes left)");
        return true;
    }

    bool fail(std::string_view field, std::string problem, ResultCode code = ResultCode::bad_message) {
        if (failed_) return false;
        failed_ = true;
        error_.code = code;
        error_.message.assign(message_);
        error_.message += ": ";
        const size_t before = error_.message.size();
        for (size_t i = 0; i < std::min(depth_, path_.size()); ++i) {
            if (path_[i].name.empty()) continue;
            if (error_.message.size() > before) error_.message += '.';
            error_.message += path_[i].name;
            if (path_[i].index >= 0) error_.message += '[' + std::to_string(path_[i].index) + ']';
        }
        if (!field.empty()) {
            if (error_.message.size() > before) error_.message += '.';
            error_.message += field;
        }
        if (error_.message.size() > before) error_.message += ": ";
        error_.message += problem;
        return false;
    }

    // After the last field: the body must end exactly here.
    void finish() {
        if (!failed_ && left() != 0)
            fail({}, std::to_string(left()) + " trailing bytes after the body");
    }

    DecodeError take_error() { return std::move(error_); }

private:
    struct PathElement {
        std::string_view name;
        int64_t index;
    };

    bool need(std::string_view field, size_t n) {
        if (failed_) return false;
        if (left() < n)
            return fail(field, "truncated (needs " + std::to_string(n) + " bytes, " +
                                   std::to_string(left()) + " left)");
        return true;
    }
    bool length(std::string_view field, uint32_t& len, size_t max) {
        if (!u32(field, len)) return false;
        if (len > max)
            return fail(field, "length " + std::to_string(len) + " exceeds " + std::to_string(max));
        if (len > left())
            return fail(field, "length " + std::to_string(len) + " overruns the message (" +
                                   std::to_string(left()) + " bytes left)");
        return true;
    }
    void push(std::string_view name, int64_t index) {
        if (depth_ < path_.size()) path_[depth_] = {name, index};
        ++depth_;
    }
    void pop() { --depth_; }

    std::span<const uint8_t> data_;
    size_t pos_ = 0;
    std::string_view message_;
    std::array<PathElement, 6> path_{};
    size_t depth_ = 0;
    bool failed_ = false;
    DecodeError error_;
};

// Smallest encodings, for Reader::count: a vector cannot hold more elements than fit.
constexpr size_t kMinEndpointSize = 1 + 2;
constexpr size_t kMinKeySize = 1 + 4 + 4 + 8;  // suite, empty mki, lifetime (no key or salt)
constexpr size_t kMinLegSize = 2 * kMinEndpointSize + 1;
constexpr size_t kLegCountersSize = 10 * 8;
constexpr size_t kMinSessionInfoSize =
    8 + 2 * kMinLegSize + 2 * kMinKeySize + 4 + 4 + kMinEndpointSize + 2 * kLegCountersSize + 8;
constexpr size_t kWorkerStatsSize = 4 + 10 * 8;
constexpr size_t kMinPortStatusSize = 2 + 4 + 4 + 1 + 4 + 8 * 8;

// ---- Field encodings, one write/read pair per structure ----

void write(Writer& w, const net::Endpoint& e) {
    w.u8(static_cast<uint8_t>(e.addr.family));
    w.raw({e.addr.bytes.data(), e.addr.size()});
    w.u16(e.port);
}

bool read(Reader& r, std::string_view field, net::Endpoint& e) {
    Reader::Field f(r, field);
    uint8_t family = 0;
    if (!r.u8("family", family)) return false;
    uint8_t raw[16] = {};
    if (family == static_cast<uint8_t>(net::Family::ipv4)) {
        for (int i = 0; i < 4; ++i) r.u8("addr", raw[i]);
        e.addr = net::IpAddr::v4(raw);
    } else if (family == static_cast<uint8_t>(net::Family::ipv6)) {
        for (int i = 0; i < 16; ++i) r.u8("addr", raw[i]);
        e.addr = net::IpAddr::v6(raw);
    } else if (family == static_cast<uint8_t>(net::Family::none)) {
        e.addr = {};
    } else {
        return r.fail("family", "bad address family " + std::to_string(family));
    }
    return r.u16("port", e.port);
}

void write(Writer& w, const LegSpec& leg) {
    write(w, leg.local);
    write(w, leg.remote);
    w.boolean(leg.rtcp_mux);
}

bool read(Reader& r, std::string_view field, LegSpec& leg) {
    Reader::Field f(r, field);
    read(r, "local", leg.local);
    read(r, "remote", leg.remote);
    return r.boolean("rtcp_mux", leg.rtcp_mux);
}

// with_secrets false: master key and salt are left out (session_info, session_list_reply).
void write(Writer& w, const KeySpec& k, bool with_secrets) {
    w.u8(static_cast<uint8_t>(k.suite));
    if (with_secrets) {
        w.bytes(k.master_key);
        w.bytes(k.master_salt);
    }
    w.bytes(k.mki);
    w.u64(k.lifetime);
}

bool read(Reader& r, std::string_view field, KeySpec& k, bool with_secrets) {
    Reader::Field f(r, field);
    uint8_t suite = 0;
    if (!r.u8("suite", suite)) return false;
    if (suite >= srtp::kSuiteCount) return r.fail("suite", "bad suite " + std::to_string(suite));
    k.suite = static_cast<srtp::Suite>(suite);
    if (with_secrets) {
        r.bytes("master_key", k.master_key, srtp::kMaxKeyLen);
        r.bytes("master_salt", k.master_salt, srtp::kMaxSaltLen);
    }
    r.bytes("mki", k.mki, srtp::kMaxMkiLen);
    return r.u64("lifetime", k.lifetime);
}

void write(Writer& w, const SessionSpec& s, bool with_secrets) {
    w.u64(s.id);
    write(w, s.access);
    write(w, s.core);
    write(w, s.from_ue, with_secrets);
    write(w, s.to_ue, with_secrets);
    w.u32(s.replay_window);
    w.u32(s.inactivity_timeout_ms);
}

bool read(Reader& r, std::string_view field, SessionSpec& s, bool with_secrets) {
    Reader::Field f(r, field);
    r.u64("id", s.id);
    read(r, "access", s.access);
    read(r, "core", s.core);
    read(r, "from_ue", s.from_ue, with_secrets);
    read(r, "to_ue", s.to_ue, with_secrets);
    r.u32("replay_window", s.replay_window);
    return r.u32("inactivity_timeout_ms", s.inactivity_timeout_ms);
}

void write(Writer& w, const LegCounters& c) {
    for (uint64_t v : {c.packets_in, c.bytes_in, c.packets_out, c.bytes_out, c.auth_failures,
                       c.replays, c.unknown_source, c.malformed, c.other_drops, c.last_seen_ns})
        w.u64(v);
}

bool read(Reader& r, std::string_view field, LegCounters& c) {
    Reader::Field f(r, field);
    r.u64("packets_in", c.packets_in);
    r.u64("bytes_in", c.bytes_in);
    r.u64("packets_out", c.packets_out);
    r.u64("bytes_out", c.bytes_out);
    r.u64("auth_failures", c.auth_failures);
    r.u64("replays", c.replays);
    r.u64("unknown_source", c.unknown_source);
    r.u64("malformed", c.malformed);
    r.u64("other_drops", c.other_drops);
    return r.u64("last_seen_ns", c.last_seen_ns);
}

void write(Writer& w, const SessionInfo& i) {
    write(w, i.spec, /*with_secrets=*/false);
    write(w, i.latched_ue);
    write(w, i.access);
    write(w, i.core);
    w.u64(i.age_ms);
}

bool read(Reader& r, std::string_view field, int64_t index, SessionInfo& i) {
    Reader::Field f(r, field, index);
    read(r, "spec", i.spec, /*with_secrets=*/false);
    read(r, "latched_ue", i.latched_ue);
    read(r, "access", i.access);
    read(r, "core", i.core);
    return r.u64("age_ms", i.age_ms);
}

void write(Writer& w, const WorkerStats& s) {
    w.u32(s.lcore);
    for (uint64_t v : {s.rx_packets, s.tx_packets, s.rx_bursts, s.idle_polls, s.drops_overload,
                       s.drops_no_session, s.drops_malformed, s.drops_fragment, s.drops_checksum,
                       s.slow_path})
        w.u64(v);
}

bool read(Reader& r, std::string_view field, int64_t index, WorkerStats& s) {
    Reader::Field f(r, field, index);
    r.u32("lcore", s.lcore);
    r.u64("rx_packets", s.rx_packets);
    r.u64("tx_packets", s.tx_packets);
    r.u64("rx_bursts", s.rx_bursts);
    r.u64("idle_polls", s.idle_polls);
    r.u64("drops_overload", s.drops_overload);
    r.u64("drops_no_session", s.drops_no_session);
    r.u64("drops_malformed", s.drops_malformed);
    r.u64("drops_fragment", s.drops_fragment);
    r.u64("drops_checksum", s.drops_checksum);
    return r.u64("slow_path", s.slow_path);
}

void write(Writer& w, const PortStatus& p) {
    w.u16(p.port_id);
    w.string(p.name);
    w.string(p.driver);
    w.boolean(p.link_up);
    w.u32(p.speed_mbps);
    for (uint64_t v : {p.rx_packets, p.tx_packets, p.rx_bytes, p.tx_bytes, p.rx_missed,
                       p.rx_errors, p.tx_errors, p.rx_nombuf})
        w.u64(v);
}

bool read(Reader& r, std::string_view field, int64_t index, PortStatus& p) {
    Reader::Field f(r, field, index);
    r.u16("port_id", p.port_id);
    r.string("name", p.name, kMaxNameLen);
    r.string("driver", p.driver, kMaxNameLen);
    r.boolean("link_up", p.link_up);
    r.u32("speed_mbps", p.speed_mbps);
    r.u64("rx_packets", p.rx_packets);
    r.u64("tx_packets", p.tx_packets);
    r.u64("rx_bytes", p.rx_bytes);
    r.u64("tx_bytes", p.tx_bytes);
    r.u64("rx_missed", p.rx_missed);
    r.u64("rx_errors", p.rx_errors);
    r.u64("tx_errors", p.tx_errors);
    return r.u64("rx_nombuf", p.rx_nombuf);
}

void write(Writer& w, const std::vector<PortStatus>& ports) {
    w.count(ports.size());
    for (const auto& p : ports) write(w, p);
}

bool read(Reader& r, std::string_view field, std::vector<PortStatus>& ports) {
    uint32_t n = 0;
    if (!r.count(field, n, kMaxPorts, kMinPortStatusSize)) return false;
    ports.resize(n);
    for (uint32_t i = 0; i < n; ++i) read(r, field, i, ports[i]);
    return !r.failed();
}

void write(Writer& w, const Result& res) {
    w.u16(static_cast<uint16_t>(res.code));
    w.string(res.message);
}

bool read(Reader& r, Result& res) {
    uint16_t code = 0;
    if (!r.u16("code", code)) return false;
    if (code >= kResultCodeCount) return r.fail("code", "bad result code " + std::to_string(code));
    res.code = static_cast<ResultCode>(code);
    return r.string("message", res.message, kMaxResultMessageLen);
}

void write(Writer& w, const Event& e) {
    w.u8(static_cast<uint8_t>(e.type));
    w.u64(e.session_id);
    w.u8(static_cast<uint8_t>(e.side));
    w.u64(e.value);
}

bool read(Reader& r, Event& e) {
    uint8_t type = 0, side = 0;
    if (!r.u8("type", type)) return false;
    if (type != static_cast<uint8_t>(EventType::inactivity) &&
        type != static_cast<uint8_t>(EventType::auth_failure_storm))
        return r.fail("type", "bad event type " + std::to_string(type));
    e.type = static_cast<EventType>(type);
    r.u64("session_id", e.session_id);
    if (!r.u8("side", side)) return false;
    if (side > static_cast<uint8_t>(Side::core))
        return r.fail("side", "bad side " + std::to_string(side));
    e.side = static_cast<Side>(side);
    return r.u64("value", e.value);
}

void write(Writer& w, const CounterTotals& t) {
    for (uint64_t v : {t.rx_packets, t.tx_packets, t.drops_overload, t.drops_no_session,
                       t.drops_malformed, t.drops_fragment, t.drops_checksum, t.slow_path,
                       t.port_rx_missed, t.port_rx_errors, t.port_tx_errors, t.port_rx_nombuf})
        w.u64(v);
}

bool read(Reader& r, std::string_view field, CounterTotals& t) {
    Reader::Field f(r, field);
    r.u64("rx_packets", t.rx_packets);
    r.u64("tx_packets", t.tx_packets);
    r.u64("drops_overload", t.drops_overload);
    r.u64("drops_no_session", t.drops_no_session);
    r.u64("drops_malformed", t.drops_malformed);
    r.u64("drops_fragment", t.drops_fragment);
    r.u64("drops_checksum", t.drops_checksum);
    r.u64("slow_path", t.slow_path);
    r.u64("port_rx_missed", t.port_rx_missed);
    r.u64("port_rx_errors", t.port_rx_errors);
    r.u64("port_tx_errors", t.port_tx_errors);
    return r.u64("port_rx_nombuf", t.port_rx_nombuf);
}

bool read_version(Reader& r, uint32_t& version) {
    if (!r.u32("version", version)) return false;
    if (version != kProtocolVersion)
        return r.fail({}, "version " + std::to_string(version) + " not supported (this side speaks " +
                              std::to_string(kProtocolVersion) + ")",
                      ResultCode::unsupported_version);
    return true;
}

// ---- Message bodies ----

void write(Writer& w, const HelloRequest& m) {
    w.u32(m.version);
    w.string(m.client_name);
}
void read(Reader& r, HelloRequest& m) {
    read_version(r, m.version);
    r.string("client_name", m.client_name, kMaxNameLen);
}

void write(Writer& w, const HelloReply& m) {
    w.u32(m.version);
    w.string(m.server_name);
    w.string(m.server_build);
    w.u32(m.max_message_size);
}
void read(Reader& r, HelloReply& m) {
    read_version(r, m.version);
    r.string("server_name", m.server_name, kMaxNameLen);
    r.string("server_build", m.server_build, kMaxNameLen);
    r.u32("max_message_size", m.max_message_size);
}

void write(Writer& w, const ResultReply& m) { write(w, m.result); }
void read(Reader& r, ResultReply& m) { read(r, m.result); }

void write(Writer& w, const ErrorReply& m) { write(w, m.error); }
void read(Reader& r, ErrorReply& m) { read(r, m.error); }

void write(Writer& w, const SessionAddRequest& m) { write(w, m.spec, true); }
void read(Reader& r, SessionAddRequest& m) { read(r, {}, m.spec, true); }

void write(Writer& w, const SessionModifyRequest& m) { write(w, m.spec, true); }
void read(Reader& r, SessionModifyRequest& m) { read(r, {}, m.spec, true); }

void write(Writer& w, const SessionRemoveRequest& m) { w.u64(m.session_id); }
void read(Reader& r, SessionRemoveRequest& m) { r.u64("session_id", m.session_id); }

void write(Writer& w, const SessionGetRequest& m) { w.u64(m.session_id); }
void read(Reader& r, SessionGetRequest& m) { r.u64("session_id", m.session_id); }

void write(Writer& w, const SessionInfoReply& m) { write(w, m.info); }
void read(Reader& r, SessionInfoReply& m) { read(r, {}, -1, m.info); }

void write(Writer& w, const SessionListRequest& m) {
    w.u64(m.after_id);
    w.u32(m.max_count);
}
void read(Reader& r, SessionListRequest& m) {
    r.u64("after_id", m.after_id);
    r.u32("max_count", m.max_count);
}

void write(Writer& w, const SessionListReply& m) {
    w.count(m.sessions.size());
    for (const auto& info : m.sessions) write(w, info);
    w.u64(m.next_after_id);
}
void read(Reader& r, SessionListReply& m) {
    uint32_t n = 0;
    if (!r.count("sessions", n, kMaxListPage, kMinSessionInfoSize)) return;
    m.sessions.resize(n);
    for (uint32_t i = 0; i < n; ++i) read(r, "sessions", i, m.sessions[i]);
    r.u64("next_after_id", m.next_after_id);
}

void write(Writer&, const CountersRequest&) {}
void read(Reader&, CountersRequest&) {}

void write(Writer& w, const CountersReply& m) {
    w.count(m.workers.size());
    for (const auto& s : m.workers) write(w, s);
    write(w, m.ports);
    w.u64(m.session_count);
    write(w, m.totals);
}
void read(Reader& r, CountersReply& m) {
    uint32_t n = 0;
    if (!r.count("workers", n, kMaxWorkers, kWorkerStatsSize)) return;
    m.workers.resize(n);
    for (uint32_t i = 0; i < n; ++i) read(r, "workers", i, m.workers[i]);
    read(r, "ports", m.ports);
    r.u64("session_count", m.session_count);
    read(r, "totals", m.totals);
}

void write(Writer&, const PortStatusRequest&) {}
void read(Reader&, PortStatusRequest&) {}

void write(Writer& w, const PortStatusReply& m) { write(w, m.ports); }
void read(Reader& r, PortStatusReply& m) { read(r, "ports", m.ports); }

void write(Writer&, const SubscribeEventsRequest&) {}
void read(Reader&, SubscribeEventsRequest&) {}

void write(Writer& w, const EventPush& m) { write(w, m.event); }
void read(Reader& r, EventPush& m) { read(r, m.event); }

// One decoder per MessageBody alternative, indexed like kMessageTypes.
template <size_t I>
Decoded<MessageBody> decode_alternative(std::span<const uint8_t> body) {
    using Body = std::variant_alternative_t<I, MessageBody>;
    Body value{};
    Reader r(body, kMessageTypes[I].name);
    read(r, value);
    r.finish();
    if (r.failed()) {
        // Keys decoded before the error must not linger in freed memory.
        if constexpr (std::is_same_v<Body, SessionAddRequest> || std::is_same_v<Body, SessionModifyRequest>)
            wipe_keys(value.spec);
        return r.take_error();
    }
    return MessageBody{std::in_place_index<I>, std::move(value)};
}

template <size_t... I>
constexpr auto make_decoders(std::index_sequence<I...>) {
    return std::array<Decoded<MessageBody> (*)(std::span<const uint8_t>), sizeof...(I)>{
        &decode_alternative<I>...};
}
constexpr auto kDecoders = make_decoders(std::make_index_sequence<kMessageTypeCount>{});

uint32_t load32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

std::string hex16(uint16_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s = "0x0000";
    for (int i = 0; i < 4; ++i) s[5 - static_cast<size_t>(i)] = kDigits[(v >> (4 * i)) & 0xf];
    return s;
}

}  // namespace

std::string_view result_code_name(ResultCode code) {
    const auto i = static_cast<size_t>(code);
    return i < kResultCodeNames.size() ? kResultCodeNames[i] : std::string_view("unknown");
}

std::string to_string(const Result& result) {
    std::string s(result_code_name(result.code));
    if (!result.message.empty()) {
        s += ": ";
        s += result.message;
    }
    return s;
}

std::optional<size_t> message_type_index(uint16_t raw_type) {
    for (size_t i = 0; i < kMessageTypeCount; ++i)
        if (static_cast<uint16_t>(kMessageTypes[i].type) == raw_type) return i;
    return std::nullopt;
}

std::string message_type_name(uint16_t raw_type) {
    if (const auto i = message_type_index(raw_type)) return std::string(kMessageTypes[*i].name);
    return "type " + std::to_string(raw_type);
}

MessageType type_of(const MessageBody& body) { return kMessageTypes[body.index()].type; }

CounterTotals sum_counters(std::span<const WorkerStats> workers, std::span<const PortStatus> ports) {
    CounterTotals t;
    for (const auto& w : workers) {
        t.rx_packets += w.rx_packets;
        t.tx_packets += w.tx_packets;
        t.drops_overload += w.drops_overload;
        t.drops_no_session += w.drops_no_session;
        t.drops_malformed += w.drops_malformed;
        t.drops_fragment += w.drops_fragment;
        t.drops_checksum += w.drops_checksum;
        t.slow_path += w.slow_path;
    }
    for (const auto& p : ports) {
        t.port_rx_missed += p.rx_missed;
        t.port_rx_errors += p.rx_errors;
        t.port_tx_errors += p.tx_errors;
        t.port_rx_nombuf += p.rx_nombuf;
    }
    return t;
}

void encode_body(const MessageBody& body, std::vector<uint8_t>& out) {
    Writer w(out);
    std::visit([&w](const auto& m) { write(w, m); }, body);
}

void encode_session_add_body(const SessionSpec& spec, std::vector<uint8_t>& out) {
    Writer w(out);
    write(w, spec, true);
}

void encode(const Message& message, std::vector<uint8_t>& out) {
    const size_t start = out.size();
    Writer w(out);
    w.u32(0);  // total_length, filled in below
    w.u16(static_cast<uint16_t>(type_of(message.body)));
    w.u16(0);  // flags
    w.u32(message.request_id);
    w.flush();  // the body follows
    encode_body(message.body, out);
    const auto total = static_cast<uint32_t>(out.size() - start);
    for (size_t i = 0; i < 4; ++i) out[start + i] = static_cast<uint8_t>(total >> (24 - 8 * i));
}

std::vector<uint8_t> encode(const Message& message) {
    std::vector<uint8_t> out;
    encode(message, out);
    return out;
}

FrameCheck check_frame(std::span<const uint8_t> stream) {
    FrameCheck check;
    if (stream.size() < 4) return check;
    const uint32_t total = load32(stream.data());
    if (total < kHeaderSize || total > kMaxMessageSize) {
        check.state = FrameCheck::State::invalid;
        check.error = "frame length " + std::to_string(total) + " outside " +
                      std::to_string(kHeaderSize) + ".." + std::to_string(kMaxMessageSize);
        return check;
    }
    if (stream.size() < total) return check;
    check.state = FrameCheck::State::complete;
    check.length = total;
    return check;
}

Decoded<Header> decode_header(std::span<const uint8_t> frame) {
    Reader r(frame, "header");
    Header h;
    r.u32("total_length", h.total_length);
    r.u16("type", h.type);
    r.u16("flags", h.flags);
    r.u32("request_id", h.request_id);
    if (r.failed()) return r.take_error();
    if (h.total_length != frame.size())
        return DecodeError{ResultCode::bad_message,
                           "header: total_length " + std::to_string(h.total_length) +
                               " but the frame has " + std::to_string(frame.size()) + " bytes"};
    if (h.flags != 0)
        return DecodeError{ResultCode::bad_message, "header: flags " + hex16(h.flags) +
                                                        " not defined in version " +
                                                        std::to_string(kProtocolVersion)};
    return h;
}

Decoded<MessageBody> decode_body(uint16_t raw_type, std::span<const uint8_t> body) {
    const auto index = message_type_index(raw_type);
    if (!index)
        return DecodeError{ResultCode::unknown_type,
                           "unknown message type " + std::to_string(raw_type)};
    return kDecoders[*index](body);
}

Decoded<Message> decode(std::span<const uint8_t> frame) {
    auto header = decode_header(frame);
    if (!header) return header.error();
    auto body = decode_body(header->type, frame.subspan(kHeaderSize));
    if (!body) return body.error();
    return Message{header->request_id, std::move(*body)};
}

namespace {

Result invalid(std::string message) { return Result::failure(ResultCode::invalid_argument, std::move(message)); }

Result validate_leg(const LegSpec& leg, std::string_view name, bool remote_required) {
    const std::string n(name);
    if (leg.local.empty()) return invalid(n + ".local: missing address");
    if (leg.local.port == 0) return invalid(n + ".local: port 0");
    // Without RFC 5761 multiplexing RTCP uses port + 1 (RFC 3550 §11).
    if (!leg.rtcp_mux && leg.local.port == 65535)
        return invalid(n + ".local: port 65535 leaves no port for RTCP (rtcp_mux is off)");
    if (leg.remote.empty()) {
        if (remote_required) return invalid(n + ".remote: missing address");
        if (leg.remote.port != 0) return invalid(n + ".remote: port without an address");
        return Result::success();
    }
    if (leg.remote.addr.family != leg.local.addr.family)
        return invalid(n + ".remote: address family differs from " + n + ".local");
    if (leg.remote.port == 0) return invalid(n + ".remote: port 0");
    if (!leg.rtcp_mux && leg.remote.port == 65535)
        return invalid(n + ".remote: port 65535 leaves no port for RTCP (rtcp_mux is off)");
    return Result::success();
}

Result validate_key(const KeySpec& key, std::string_view name) {
    const std::string n(name);
    const auto& info = srtp::suite_info(key.suite);
    if (key.master_key.size() != info.key_len)
        return invalid(n + ".master_key: length " + std::to_string(key.master_key.size()) + ", " +
                       std::string(info.name) + " needs " + std::to_string(info.key_len));
    if (key.master_salt.size() != info.salt_len)
        return invalid(n + ".master_salt: length " + std::to_string(key.master_salt.size()) + ", " +
                       std::string(info.name) + " needs " + std::to_string(info.salt_len));
    if (key.mki.size() > srtp::kMaxMkiLen)
        return invalid(n + ".mki: length " + std::to_string(key.mki.size()) + " exceeds " +
                       std::to_string(srtp::kMaxMkiLen));
    return Result::success();
}

}  // namespace

Result validate_session_spec(const SessionSpec& spec) {
    if (spec.id == 0) return invalid("id: 0 is not a session id");
    if (auto r = validate_leg(spec.access, "access", false); !r.ok()) return r;
    if (auto r = validate_leg(spec.core, "core", true); !r.ok()) return r;
    if (auto r = validate_key(spec.from_ue, "from_ue"); !r.ok()) return r;
    if (auto r = validate_key(spec.to_ue, "to_ue"); !r.ok()) return r;
    const uint32_t w = spec.replay_window;
    if (w < srtp::ReplayWindow::kMinSize || w > srtp::ReplayWindow::kMaxSize || (w & (w - 1)) != 0)
        return invalid("replay_window: " + std::to_string(w) + " is not a power of two in " +
                       std::to_string(srtp::ReplayWindow::kMinSize) + ".." +
                       std::to_string(srtp::ReplayWindow::kMaxSize));
    return Result::success();
}

void wipe_bytes(std::span<uint8_t> bytes) {
    if (!bytes.empty()) explicit_bzero(bytes.data(), bytes.size());
}

void wipe_keys(SessionSpec& spec) {
    for (KeySpec* k : {&spec.from_ue, &spec.to_ue}) {
        wipe_bytes(k->master_key);
        wipe_bytes(k->master_salt);
        k->master_key.clear();
        k->master_salt.clear();
    }
}

}  // namespace msf::api
