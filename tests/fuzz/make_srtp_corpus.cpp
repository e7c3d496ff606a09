// Writes the seed corpus of srtp_unprotect_fuzz: SRTP and SRTCP packets protected by the engine
// under the fuzzer's fixed keys (srtp_fuzz_input.hpp), for every suite, with and without MKI,
// CSRCs and a header extension, in single and burst inputs, plus malformed packets.
//
// usage: make-srtp-corpus DIR        (the files are committed; rerun after a format change)
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dataplane/srtp/context.hpp"
#include "dataplane/srtp/engine.hpp"
#include "tests/fuzz/srtp_fuzz_input.hpp"

namespace {

using namespace msf::srtp;
using namespace msf::srtp::fuzz;
using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}

void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}

// RFC 3550 §5.1; the extension is RFC 8285's one-byte form with one element.
Bytes rtp_packet(uint16_t seq, size_t payload_len, int csrc_count = 0, bool extension = false) {
    Bytes b;
    b.push_back(static_cast<uint8_t>(0x80 | (extension ? 0x10 : 0) | csrc_count));
    b.push_back(0);  // PT 0 (PCMU)
    put16(b, seq);
    put32(b, 160u * seq);
    put32(b, kFuzzSsrc);
    for (int i = 0; i < csrc_count; ++i) put32(b, 0xc0000000u + static_cast<uint32_t>(i));
    if (extension) {
        put16(b, 0xbede);
        put16(b, 1);
        put32(b, 0x10ff0000);  // id 1, len 2: 0xff 0x00, padding
    }
    for (size_t j = 0; j < payload_len; ++j) b.push_back(static_cast<uint8_t>(7 * j + seq));
    return b;
}

// RFC 3550 §6.4.1 sender report followed by an SDES CNAME chunk (§6.5), a compound packet.
Bytes rtcp_packet(uint32_t n) {
    Bytes b;
    b.push_back(0x80);
    b.push_back(200);
    put16(b, 6);
    put32(b, kFuzzSsrc);
    put32(b, 0xe8000000u + n);  // NTP seconds
    put32(b, 0);                // NTP fraction
    put32(b, 160u * n);
    put32(b, 50u * n);
    put32(b, 8000u * n);
    b.push_back(0x81);
    b.push_back(202);
    put16(b, 3);
    put32(b, kFuzzSsrc);
    b.push_back(1);  // CNAME
    b.push_back(5);
    for (char c : std::string("msf@x")) b.push_back(static_cast<uint8_t>(c));
    b.push_back(0);  // end of items, then pad to 32 bits
    return b;
}

class Writer {
public:
    explicit Writer(std::filesystem::path dir) : dir_(std::move(dir)) {}

    void write(const std::string& name, const Bytes& input) {
        std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
        if (!out) {
            std::fprintf(stderr, "make-srtp-corpus: cannot write %s\n", (dir_ / name).c_str());
            ok_ = false;
        }
        ++files_;
        bytes_ += input.size();
    }

    bool ok() const { return ok_; }
    size_t files() const { return files_; }
    size_t bytes() const { return bytes_; }

private:
    std::filesystem::path dir_;
    bool ok_ = true;
    size_t files_ = 0;
    size_t bytes_ = 0;
};

class Generator {
public:
    bool failed() const { return failed_; }

    std::unique_ptr<Context> context(size_t slot) {
        std::string error;
        auto ctx = Context::create(fuzz_policy(slot), &error);
        if (!ctx) {
            std::fprintf(stderr, "make-srtp-corpus: slot %zu: %s\n", slot, error.c_str());
            std::exit(1);
        }
        return ctx;
    }

    Bytes protect(Context& ctx, bool rtcp, Bytes packet) {
        const auto len = static_cast<uint32_t>(packet.size());
        packet.resize(len + (rtcp ? ctx.rtcp_tailroom() : ctx.rtp_tailroom()));
        Packet p{packet.data(), len, static_cast<uint32_t>(packet.size()), &ctx};
        const Status st = rtcp ? engine_.protect_rtcp(p) : engine_.protect_rtp(p);
        if (st != Status::ok) {
            std::fprintf(stderr, "make-srtp-corpus: protect %s: %s\n", ctx.info().name.data(),
                         status_name(st).data());
            failed_ = true;
        }
        packet.resize(p.len);
        return packet;
    }

    // The corpus is only useful if its packets authenticate: check each with a receiver.
    void expect(Context& rx, bool rtcp, const Bytes& wire, Status want) {
        Bytes copy = wire;
        Packet p{copy.data(), static_cast<uint32_t>(copy.size()), static_cast<uint32_t>(copy.size()), &rx};
        const Status st = rtcp ? engine_.unprotect_rtcp(p) : engine_.unprotect_rtp(p);
        if (st != want) {
            std::fprintf(stderr, "make-srtp-corpus: %s %s unprotect gave %s, expected %s\n",
                         rx.info().name.data(), rtcp ? "SRTCP" : "SRTP", status_name(st).data(),
                         status_name(want).data());
            failed_ = true;
        }
    }

private:
    Engine engine_;
    bool failed_ = false;
};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// resize and copy rather than insert: GCC 12 reports a false -Warray-bounds on insert here.
void append(Bytes& b, const Bytes& tail) {
    const size_t at = b.size();
    b.resize(at + tail.size());
    std::copy(tail.begin(), tail.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
}

Bytes single(size_t suite_index, uint8_t flags, const Bytes& packet) {
    Bytes in = {static_cast<uint8_t>(suite_index), flags};
    append(in, packet);
    return in;
}

void add_to_burst(Bytes& in, uint8_t selector, const Bytes& packet) {
    in.push_back(selector);
    put16(in, static_cast<uint16_t>(packet.size()));
    append(in, packet);
}

// Valid inputs for one suite and MKI length. kFlagReset makes each start from fresh contexts.
void suite_inputs(Generator& gen, Writer& out, size_t suite_index, size_t mki_len) {
    const size_t slot = slot_of(suite_index, mki_len);
    const std::string base = lower(kSuites[suite_index].name) + "-mki" + std::to_string(mki_len);
    const uint8_t flags = static_cast<uint8_t>(flags_mki(mki_len) | kFlagReset);

    {  // One G.711 packet, sequence number just before the wrap.
        auto tx = gen.context(slot), rx = gen.context(slot);
        const Bytes wire = gen.protect(*tx, false, rtp_packet(65534, 160));
        gen.expect(*rx, false, wire, Status::ok);
        out.write(base + "-rtp", single(suite_index, flags, wire));
    }
    {  // CSRCs and a header extension: both are authenticated but not encrypted.
        auto tx = gen.context(slot), rx = gen.context(slot);
        const Bytes wire = gen.protect(*tx, false, rtp_packet(65535, 40, 2, true));
        gen.expect(*rx, false, wire, Status::ok);
        out.write(base + "-rtp-csrc-ext", single(suite_index, flags | kFlagForceSsrc, wire));
    }
    {
        auto tx = gen.context(slot), rx = gen.context(slot);
        const Bytes wire = gen.protect(*tx, true, rtcp_packet(1));
        gen.expect(*rx, true, wire, Status::ok);
        out.write(base + "-rtcp", single(suite_index, flags | kFlagRtcp, wire));
    }
    {  // A burst across the ROC wrap, with a replayed packet and one without a context.
        auto tx = gen.context(slot), rx = gen.context(slot);
        Bytes in = {static_cast<uint8_t>(suite_index), static_cast<uint8_t>(flags | kFlagBurst | kFlagSpanApi)};
        Bytes first;
        for (uint16_t seq = 65532; seq != 3; ++seq) {
            const Bytes wire = gen.protect(*tx, false, rtp_packet(seq, 24));
            gen.expect(*rx, false, wire, Status::ok);
            add_to_burst(in, kSelectorDefault, wire);
            if (first.empty()) first = wire;
        }
        gen.expect(*rx, false, first, Status::replay);
        add_to_burst(in, kSelectorDefault, first);
        add_to_burst(in, kSelectorNoContext, rtp_packet(3, 24));
        out.write(base + "-rtp-burst", in);
    }
    {
        auto tx = gen.context(slot), rx = gen.context(slot);
        Bytes in = {static_cast<uint8_t>(suite_index),
                    static_cast<uint8_t>(flags | kFlagRtcp | kFlagBurst | kFlagSpanApi)};
        for (uint32_t n = 1; n <= 4; ++n) {
            const Bytes wire = gen.protect(*tx, true, rtcp_packet(n));
            gen.expect(*rx, true, wire, Status::ok);
            add_to_burst(in, kSelectorDefault, wire);
        }
        out.write(base + "-rtcp-burst", in);
    }
}

// Bursts with packets of every suite, and one longer than an ipsec-mb submission (kMaxBurst).
void burst_inputs(Generator& gen, Writer& out) {
    for (bool rtcp : {false, true}) {
        Bytes in = {0, static_cast<uint8_t>(kFlagBurst | kFlagSpanApi | (rtcp ? kFlagRtcp : 0))};
        for (size_t slot = 0; slot < kSlotCount; slot += 1 + slot % 4) {
            auto tx = gen.context(slot);
            const Bytes wire = rtcp ? gen.protect(*tx, true, rtcp_packet(1))
                                    : gen.protect(*tx, false, rtp_packet(1000, 8));
            add_to_burst(in, static_cast<uint8_t>(slot + 1), wire);
        }
        out.write(std::string("mixed-suites-") + (rtcp ? "rtcp" : "rtp") + "-burst", in);
    }
    for (size_t suite_index : {size_t{1}, size_t{4}}) {
        const size_t slot = slot_of(suite_index, 0);
        auto tx = gen.context(slot);
        Bytes in = {static_cast<uint8_t>(suite_index),
                    static_cast<uint8_t>(kFlagBurst | kFlagSpanApi | kFlagReset)};
        for (uint16_t seq = 100;; ++seq) {
            const Bytes wire = gen.protect(*tx, false, rtp_packet(seq, 0));
            if (in.size() + kBurstHeader + wire.size() > kMaxPacketLen) break;
            add_to_burst(in, kSelectorDefault, wire);
        }
        out.write(lower(kSuites[suite_index].name) + "-long-burst", in);
    }
}

void malformed_inputs(Generator& gen, Writer& out) {
    const uint8_t reset = kFlagReset;
    out.write("malformed-empty", {0, reset});
    out.write("malformed-rtp-short-header", single(0, reset, Bytes(11, 0x80)));
    Bytes v0 = rtp_packet(1, 20);
    v0[0] = 0x00;
    out.write("malformed-rtp-version0", single(0, reset, v0));
    Bytes csrc = rtp_packet(1, 0);
    csrc[0] = 0x8f;  // 15 CSRCs announced, none present
    out.write("malformed-rtp-csrc-overrun", single(0, reset, csrc));
    Bytes ext = rtp_packet(1, 4, 0, true);
    ext[14] = 0xff;  // extension length 0xff01 words
    out.write("malformed-rtp-extension-overrun", single(4, reset, ext));
    out.write("malformed-rtcp-short", single(0, reset | kFlagRtcp, Bytes{0x80, 200, 0, 6, 1, 2, 3}));

    auto tx = gen.context(slot_of(0, 4));
    Bytes wire = gen.protect(*tx, false, rtp_packet(7, 160));
    Bytes cut = wire;
    cut.pop_back();
    out.write("malformed-rtp-truncated-tag", single(0, reset | flags_mki(4), cut));
    Bytes flipped = wire;
    flipped[40] ^= 0x01;
    out.write("malformed-rtp-flipped-bit", single(0, reset | flags_mki(4), flipped));
    Bytes mki = wire;
    mki[wire.size() - 10 - 1] ^= 0xff;  // last MKI byte, before the 10-byte tag
    out.write("malformed-rtp-wrong-mki", single(0, reset | flags_mki(4), mki));

    auto gcm = gen.context(slot_of(5, 0));
    Bytes rtcp = gen.protect(*gcm, true, rtcp_packet(1));
    // RFC 3711 §3.4: E||index precedes the (absent) MKI and the 16-byte tag.
    rtcp[rtcp.size() - suite_info(Suite::aead_aes_256_gcm).rtcp_tag_len - 4] &= 0x7f;
    out.write("malformed-rtcp-e-flag-cleared", single(5, reset | kFlagRtcp, rtcp));
    rtcp.resize(10);
    out.write("malformed-rtcp-truncated", single(5, reset | kFlagRtcp, rtcp));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    std::error_code ec;
    std::filesystem::create_directories(argv[1], ec);
    Writer out(argv[1]);
    Generator gen;
    for (size_t suite_index = 0; suite_index < kSuiteCount; ++suite_index)
        for (size_t mki_len : {size_t{0}, size_t{4}}) suite_inputs(gen, out, suite_index, mki_len);
    burst_inputs(gen, out);
    malformed_inputs(gen, out);
    std::printf("make-srtp-corpus: %zu files, %zu bytes in %s\n", out.files(), out.bytes(), argv[1]);
    return out.ok() && !gen.failed() ? 0 : 1;
}
