// Writes the seed corpus of worker_fuzz: frames for the fuzzer's six sessions
// (worker_fuzz_input.hpp), SRTP and SRTCP protected by this project's engine under the UEs'
// keys, plain RTP and RTCP from the core peers, in single-direction and two-burst inputs (latch,
// then core traffic), plus broken and foreign frames. Most inputs reset the sessions first, so
// their SRTP authenticates however often the fuzzer replays them.
//
// usage: make-worker-corpus DIR        (the files are committed; rerun after a format change)
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/net/udp_frame.hpp"
#include "dataplane/srtp/context.hpp"
#include "dataplane/srtp/engine.hpp"
#include "tests/fuzz/worker_fuzz_input.hpp"

namespace {

using namespace msf;
using namespace msf::dp::fuzz;
using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint32_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}

void put32(Bytes& b, uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}

// RFC 3550 §5.1, PT 0.
Bytes rtp(uint32_t ssrc, uint16_t seq, size_t payload_len = 40) {
    Bytes b{0x80, 0};
    put16(b, seq);
    put32(b, 160u * seq);
    put32(b, ssrc);
    for (size_t j = 0; j < payload_len; ++j) b.push_back(static_cast<uint8_t>(7 * j + 3));
    return b;
}

// RFC 3550 §6.4.2: a receiver report with one report block.
Bytes rtcp(uint32_t ssrc) {
    Bytes b{0x81, 201};
    put16(b, 7);
    put32(b, ssrc);
    put32(b, ssrc + 1);
    for (int i = 0; i < 20; ++i) b.push_back(0);
    return b;
}

Bytes frame(const net::Endpoint& src, const net::Endpoint& dst, const net::MacAddr& dst_mac, const Bytes& payload,
            std::optional<uint16_t> vlan = std::nullopt) {
    net::UdpFrameTemplate t;
    t.src_mac = kRouterMac;
    t.dst_mac = dst_mac;
    t.has_vlan = vlan.has_value();
    t.vlan_tci = vlan.value_or(0);
    t.src = src.addr;
    t.dst = dst.addr;
    t.src_port = src.port;
    t.dst_port = dst.port;
    t.ttl = 60;
    Bytes buf(128 + payload.size());
    std::copy(payload.begin(), payload.end(), buf.begin() + 128);
    uint8_t* start = net::write_udp_headers(buf.data() + 128, static_cast<uint32_t>(payload.size()), t,
                                            net::ChecksumMode::software);
    if (!start) throw std::logic_error("write_udp_headers refused a corpus frame");
    return Bytes(start, buf.data() + buf.size());
}

// After editing an IPv4 header at `l3`, so the frame fails for the edit, not for its checksum.
void fix_ipv4_checksum(Bytes& f, size_t l3) {
    const uint16_t sum = net::ipv4_header_checksum(f.data() + l3, net::kIpv4HeaderLen);
    f[l3 + 10] = static_cast<uint8_t>(sum >> 8);
    f[l3 + 11] = static_cast<uint8_t>(sum);
}

net::Endpoint plus(const net::Endpoint& e, uint16_t n) { return {e.addr, static_cast<uint16_t>(e.port + n)}; }

// The UE of one session: protects what it sends with the session's from_ue keys.
class Ue {
public:
    explicit Ue(const api::SessionSpec& s) : spec_(s) {
        srtp::Policy p;
        p.suite = s.from_ue.suite;
        p.master_key = s.from_ue.master_key;
        p.master_salt = s.from_ue.master_salt;
        p.mki = s.from_ue.mki;
        ctx_ = srtp::Context::create(p);
        if (!ctx_) throw std::logic_error("corpus context");
    }

    Bytes srtp_frame(uint16_t seq) {
        return frame(fuzz_ue(spec_), spec_.access.local, kAccessMac, protect(rtp(ssrc(), seq), false));
    }
    Bytes srtcp_frame() {
        const bool mux = spec_.access.rtcp_mux;
        return frame(mux ? fuzz_ue(spec_) : plus(fuzz_ue(spec_), 1), mux ? spec_.access.local : plus(spec_.access.local, 1),
                     kAccessMac, protect(rtcp(ssrc()), true));
    }
    Bytes core_rtp_frame(uint16_t seq) {
        return frame(spec_.core.remote, spec_.core.local, kCoreMac, rtp(ssrc() + 0x100, seq));
    }
    Bytes core_rtcp_frame() {
        const bool mux = spec_.core.rtcp_mux;
        return frame(mux ? spec_.core.remote : plus(spec_.core.remote, 1), mux ? spec_.core.local : plus(spec_.core.local, 1),
                     kCoreMac, rtcp(ssrc() + 0x100));
    }

private:
    uint32_t ssrc() const { return 0x5eed0000u + static_cast<uint32_t>(spec_.id); }
    Bytes protect(Bytes plain, bool rtcp_packet) {
        const uint32_t len = static_cast<uint32_t>(plain.size());
        plain.resize(len + 64);
        srtp::Packet pk{plain.data(), len, static_cast<uint32_t>(plain.size()), ctx_.get()};
        const srtp::Status st = rtcp_packet ? engine_.protect_rtcp(pk) : engine_.protect_rtp(pk);
        if (st != srtp::Status::ok) throw std::logic_error("corpus protect failed");
        plain.resize(pk.len);
        return plain;
    }

    api::SessionSpec spec_;
    std::unique_ptr<srtp::Context> ctx_;
    srtp::Engine engine_;
};

class Input {
public:
    explicit Input(uint8_t flags) : bytes_{flags} {}
    Input& add(const Bytes& f) {
        put16(bytes_, static_cast<uint32_t>(f.size()));
        bytes_.insert(bytes_.end(), f.begin(), f.end());
        return *this;
    }
    Input& end_burst() {
        put16(bytes_, 0);
        return *this;
    }
    const Bytes& bytes() const { return bytes_; }

private:
    Bytes bytes_;
};

std::string file_name(std::string_view suite) {
    std::string out;
    for (char c : suite) out += static_cast<char>(c == '_' ? '-' : std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    int written = 0;
    auto write = [&](const std::string& name, const Input& in) {
        if (in.bytes().size() > 2048) throw std::logic_error(name + " is longer than 2048 bytes");
        std::ofstream out(dir / name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(in.bytes().data()), static_cast<std::streamsize>(in.bytes().size()));
        if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
        ++written;
    };

    // fuzz.sh runs with -max_len=2048: every input stays within that.
    const std::vector<api::SessionSpec> sessions = fuzz_sessions();
    constexpr uint8_t kShared = kQueueShared | kFlagReset;
    Input all_rtp(kShared), all_rtcp(kShared), all_offload(kShared | kFlagOffloadEgress);
    for (const api::SessionSpec& s : sessions) {
        const std::string name = file_name(srtp::suite_info(s.from_ue.suite).name);
        {
            Ue ue(s);
            write(name + "-ue-rtp", Input(kQueueAccess | kFlagReset).add(ue.srtp_frame(1)).add(ue.srtp_frame(2)));
        }
        {
            Ue ue(s);
            write(name + "-ue-srtcp", Input(kQueueAccess | kFlagReset).add(ue.srtcp_frame()));
        }
        {
            Ue ue(s);
            write(name + "-latch-then-core", Input(kShared)
                                                 .add(ue.srtp_frame(1))
                                                 .add(ue.srtcp_frame())
                                                 .end_burst()
                                                 .add(ue.core_rtp_frame(1))
                                                 .add(ue.core_rtcp_frame()));
        }
        Ue ue(s);
        all_rtp.add(ue.srtp_frame(7));
        all_rtcp.add(ue.srtcp_frame());
        Ue ue2(s);
        all_offload.add(ue2.srtp_frame(7));
    }
    for (Input* in : {&all_rtp, &all_rtcp, &all_offload}) in->end_burst();
    for (const api::SessionSpec& s : sessions) {
        Ue ue(s);
        all_rtp.add(ue.core_rtp_frame(9));
        all_rtcp.add(ue.core_rtcp_frame());
        all_offload.add(ue.core_rtp_frame(9)).add(ue.core_rtcp_frame());
    }
    write("all-sessions-rtp", all_rtp);
    write("all-sessions-rtcp", all_rtcp);
    write("all-sessions-offload-egress", all_offload);

    // Core traffic alone: the configured UEs get it, the latched ones are not known yet.
    Input core(kQueueCore | kFlagReset);
    for (const api::SessionSpec& s : sessions) core.add(Ue(s).core_rtp_frame(3));
    write("core-only", core);

    const api::SessionSpec& s0 = sessions[0];
    Ue ue0(s0);
    const Bytes good = ue0.srtp_frame(1);
    // RX checksum offload verdicts on a good frame.
    for (uint8_t ip = 0; ip < 4; ++ip)
        write("rx-offload-ip" + std::to_string(ip),
              Input(static_cast<uint8_t>(kQueueSharedRxOffload | kFlagReset | ip << kRxIpShift | kVerdictGood << kRxL4Shift))
                  .add(good));
    write("rx-offload-l4-bad", Input(static_cast<uint8_t>(kQueueSharedRxOffload | kFlagReset |
                                                           kVerdictGood << kRxIpShift | kVerdictBad << kRxL4Shift))
                                   .add(good));

    // Broken and foreign frames, each next to the good one.
    auto broken = [&](const std::string& name, Bytes f) { write(name, Input(kQueueAccess | kFlagReset).add(f).add(good)); };
    constexpr size_t l3 = 14;
    Bytes f = good;
    f.resize(30);
    broken("truncated-ipv4", f);
    f = good;
    f[l3] = 0x46;
    broken("ip-options", f);
    f = good;
    f[l3 + 6] = 0x20;  // MF
    fix_ipv4_checksum(f, l3);
    broken("fragment-ipv4", f);
    f = good;
    f[l3 + 10] ^= 0xff;
    broken("bad-ip-checksum", f);
    Bytes tampered(good.begin() + 42, good.end());
    tampered.back() ^= 0x01;  // the tag, under a correct UDP checksum: for the SRTP engine to refuse
    broken("tampered-srtp", frame(fuzz_ue(s0), s0.access.local, kAccessMac, tampered));
    f = good;
    f[l3 + 24] = 0x0f;
    broken("udp-length-beyond-frame", f);
    broken("unknown-port", frame(fuzz_ue(s0), {s0.access.local.addr, 20002}, kAccessMac, Bytes(good.begin() + 42, good.end())));
    Ue ue4(sessions[4]);
    f = ue4.srtp_frame(1);  // IPv6: next header 44, a fragment
    f[l3 + 6] = 44;
    broken("fragment-ipv6", f);
    write("replayed", Input(kQueueAccess | kFlagReset).add(good).add(good).end_burst().add(good));
    Ue ue_vlan(s0);
    const Bytes srtp = ue_vlan.srtp_frame(1);
    write("vlan-tagged", Input(kQueueAccess | kFlagReset)
                             .add(frame(fuzz_ue(s0), s0.access.local, kAccessMac, Bytes(srtp.begin() + 42, srtp.end()), 0x0064)));
    // ARP requests for the gateway, more than the slow-path ring holds.
    Bytes arp(6, 0xff);
    arp.insert(arp.end(), kRouterMac.bytes.begin(), kRouterMac.bytes.end());
    arp.insert(arp.end(), {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1});
    arp.insert(arp.end(), kRouterMac.bytes.begin(), kRouterMac.bytes.end());
    arp.insert(arp.end(), {192, 0, 2, 254, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1});
    arp.resize(60, 0);
    Input arps(kQueueShared);
    for (int i = 0; i < 12; ++i) arps.add(arp);
    write("arp-flood", arps);
    // More than a burst (the input splits into bursts of kMaxBurst) within fuzz.sh's 2048-byte
    // inputs: runts, then SRTP that lands in the second burst.
    Input many(kQueueAccess | kFlagReset);
    for (int i = 0; i < 66; ++i) many.add(Bytes(good.begin(), good.begin() + 20));
    Ue ue_many(s0);
    many.add(ue_many.srtp_frame(1)).add(ue_many.srtp_frame(2));
    write("more-than-a-burst", many);
    Bytes junk;
    for (int i = 0; i < 90; ++i) junk.push_back(static_cast<uint8_t>(i * 37 + 11));
    write("junk", Input(kQueueShared).add(junk).add(Bytes(junk.begin(), junk.begin() + 13)));

    std::printf("make-worker-corpus: %d inputs in %s\n", written, dir.c_str());
    return 0;
}
