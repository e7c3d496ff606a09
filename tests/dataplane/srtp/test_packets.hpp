// Packets, keys and one-call wrappers shared by the SRTP engine tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/srtp/context.hpp"
#include "dataplane/srtp/engine.hpp"
#include "dataplane/srtp/status.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::srtp::unit {

using Bytes = std::vector<uint8_t>;

// Hex digits to bytes; whitespace is skipped so RFC text can be pasted as printed.
inline Bytes hex(std::string_view text) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    Bytes out;
    int high = -1;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\t') continue;
        const int v = nibble(c);
        if (v < 0) throw std::invalid_argument("not a hex digit in test vector");
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<uint8_t>(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0) throw std::invalid_argument("odd number of hex digits in test vector");
    return out;
}

inline std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 15]);
    }
    return out;
}

inline constexpr Suite kAllSuites[] = {
    Suite::aes_cm_128_hmac_sha1_80, Suite::aes_cm_128_hmac_sha1_32, Suite::aes_256_cm_hmac_sha1_80,
    Suite::aes_256_cm_hmac_sha1_32, Suite::aead_aes_128_gcm,        Suite::aead_aes_256_gcm,
};

// gtest parameter names: the RFC 4568 suite name.
struct SuiteName {
    template <class ParamInfo>
    std::string operator()(const ParamInfo& info) const {
        return std::string(suite_info(info.param).name);
    }
};

// A policy with key bytes seed, seed+1, ... and salt bytes seed+0x80, ...
inline Policy make_policy(Suite suite, uint8_t seed = 1) {
    const SuiteInfo& info = suite_info(suite);
    Policy p;
    p.suite = suite;
    for (uint8_t i = 0; i < info.key_len; ++i) p.master_key.push_back(static_cast<uint8_t>(seed + i));
    for (uint8_t i = 0; i < info.salt_len; ++i)
        p.master_salt.push_back(static_cast<uint8_t>(seed + 0x80 + i));
    return p;
}

// Context::create that fails the test (by exception) with the context's own error string.
inline std::unique_ptr<Context> make_context(const Policy& policy) {
    std::string error;
    auto ctx = Context::create(policy, &error);
    if (!ctx) throw std::runtime_error("Context::create failed: " + error);
    return ctx;
}

inline std::unique_ptr<Context> make_context_with_session_keys(const Policy& policy,
                                                                const SessionKeys& rtp,
                                                                const SessionKeys& rtcp) {
    std::string error;
    auto ctx = Context::create_with_session_keys(policy, rtp, rtcp, &error);
    if (!ctx) throw std::runtime_error("Context::create_with_session_keys failed: " + error);
    return ctx;
}

struct Rtp {
    uint16_t seq = 0;
    uint32_t ts = 0;
    uint32_t ssrc = 0xcafebabe;
    uint8_t pt = 0;
    bool marker = false;
    size_t payload_len = 160;
    uint8_t payload_seed = 3;
    std::vector<uint32_t> csrcs;
    uint16_t ext_profile = 0xbede;
    std::vector<uint32_t> ext_words;  // header extension body; present when use_ext
    bool use_ext = false;
    uint8_t padding = 0;  // RFC 3550 §5.1 padding octets at the end, last one holds the count
};

inline void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}

// An RTP packet (RFC 3550 §5.1); payload byte j is (7j + payload_seed) mod 256.
inline Bytes make_rtp(const Rtp& r) {
    Bytes b;
    b.push_back(static_cast<uint8_t>(0x80 | (r.padding ? 0x20 : 0) | (r.use_ext ? 0x10 : 0) |
                                     r.csrcs.size()));
    b.push_back(static_cast<uint8_t>((r.marker ? 0x80 : 0) | r.pt));
    put16(b, r.seq);
    put32(b, r.ts);
    put32(b, r.ssrc);
    for (uint32_t c : r.csrcs) put32(b, c);
    if (r.use_ext) {
        put16(b, r.ext_profile);
        put16(b, static_cast<uint16_t>(r.ext_words.size()));
        for (uint32_t w : r.ext_words) put32(b, w);
    }
    for (size_t j = 0; j < r.payload_len; ++j) b.push_back(static_cast<uint8_t>(7 * j + r.payload_seed));
    if (r.padding) {
        for (uint8_t i = 1; i < r.padding; ++i) b.push_back(0);
        b.push_back(r.padding);
    }
    return b;
}

// An RTCP sender report (RFC 3550 §6.4.1) of `body_words` 32-bit words after the SSRC.
inline Bytes make_rtcp(uint32_t ssrc, uint16_t body_words = 6, uint8_t seed = 0x11) {
    Bytes b;
    b.push_back(0x80);
    b.push_back(200);
    put16(b, static_cast<uint16_t>(1 + body_words));
    put32(b, ssrc);
    for (size_t j = 0; j < size_t{body_words} * 4; ++j) b.push_back(static_cast<uint8_t>(seed + 5 * j));
    return b;
}

// Room every test buffer gets past the packet: more than any tailroom an engine could need.
inline constexpr uint32_t kSlack = 256;

// One-packet wrappers over the engine. On ok `pkt` is resized to the output length; on any
// other status it keeps its input bytes (the engine's output is unspecified then).
enum class Op { protect_rtp, unprotect_rtp, protect_rtcp, unprotect_rtcp };

inline Status run(Engine& engine, Op op, Context* ctx, Bytes& pkt, uint32_t capacity = 0) {
    Bytes buf(pkt.size() + kSlack, 0xa5);
    std::copy(pkt.begin(), pkt.end(), buf.begin());
    Packet p;
    p.data = buf.data();
    p.len = static_cast<uint32_t>(pkt.size());
    p.capacity = capacity ? capacity : static_cast<uint32_t>(buf.size());
    p.ctx = ctx;
    Status st = Status::ok;
    switch (op) {
        case Op::protect_rtp: st = engine.protect_rtp(p); break;
        case Op::unprotect_rtp: st = engine.unprotect_rtp(p); break;
        case Op::protect_rtcp: st = engine.protect_rtcp(p); break;
        case Op::unprotect_rtcp: st = engine.unprotect_rtcp(p); break;
    }
    if (st == Status::ok) pkt.assign(buf.begin(), buf.begin() + p.len);
    return st;
}

inline Status protect_rtp(Engine& e, Context* c, Bytes& pkt) { return run(e, Op::protect_rtp, c, pkt); }
inline Status unprotect_rtp(Engine& e, Context* c, Bytes& pkt) { return run(e, Op::unprotect_rtp, c, pkt); }
inline Status protect_rtcp(Engine& e, Context* c, Bytes& pkt) { return run(e, Op::protect_rtcp, c, pkt); }
inline Status unprotect_rtcp(Engine& e, Context* c, Bytes& pkt) { return run(e, Op::unprotect_rtcp, c, pkt); }

}  // namespace msf::srtp::unit

namespace msf::srtp {
// Readable statuses in gtest failure messages.
inline void PrintTo(Status s, std::ostream* os) { *os << status_name(s); }
}  // namespace msf::srtp
