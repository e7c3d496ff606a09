// The batched SRTP/SRTCP engine: protect or unprotect a burst of packets of any contexts and
// suites with one ipsec-mb submission per cipher and hash kind (RFC 3711, RFC 6188, RFC 7714).
//
// Each call runs in three phases over the burst (the way VPP's ESP nodes do):
//   1. prepare: parse, look up the stream state, estimate the index, check the replay window,
//      and fill one ipsec-mb job per packet;
//   2. crypto: one cipher burst per AES key size and one HMAC-SHA1 hash burst for the AES-CM
//      suites, one direct call per packet for AES-GCM;
//   3. finish: check tags, commit replay state and ROC, append MKI and tag or strip them.
// Nothing is allocated after construction. An Engine belongs to one thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/srtp/context.hpp"
#include "dataplane/srtp/status.hpp"

namespace msf::srtp {

// One packet in a burst. On success `len` is updated (grown by protect, shrunk by unprotect)
// and the packet is transformed in place. On any other status the packet must be dropped;
// its bytes are then unspecified.
struct Packet {
    uint8_t* data = nullptr;
    uint32_t len = 0;       // bytes of RTP/RTCP (protect) or SRTP/SRTCP (unprotect)
    uint32_t capacity = 0;  // bytes writable at data; protect needs len + ctx->*_tailroom()
    Context* ctx = nullptr;
};

class Engine {
public:
    // ipsec-mb processes at most this many packets per submission; longer spans are split.
    static constexpr uint32_t kMaxBurst = 64;

    Engine();
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // The code path ipsec-mb chose for this CPU (e.g. "avx512").
    std::string_view arch() const;

    // status.size() must be at least packets.size().
    void protect_rtp(std::span<Packet> packets, std::span<Status> status);
    void unprotect_rtp(std::span<Packet> packets, std::span<Status> status);
    void protect_rtcp(std::span<Packet> packets, std::span<Status> status);
    void unprotect_rtcp(std::span<Packet> packets, std::span<Status> status);

    // One packet, for control paths and tests.
    Status protect_rtp(Packet& packet);
    Status unprotect_rtp(Packet& packet);
    Status protect_rtcp(Packet& packet);
    Status unprotect_rtcp(Packet& packet);

private:
    struct Scratch;
    void protect_rtp_burst(Packet* p, Status* st, uint32_t n);
    void unprotect_rtp_burst(Packet* p, Status* st, uint32_t n);
    void protect_rtcp_burst(Packet* p, Status* st, uint32_t n);
    void unprotect_rtcp_burst(Packet* p, Status* st, uint32_t n);
    void restore_failed_rtp(Packet& p, uint32_t i);

    IMB_MGR* mgr_ = nullptr;
    IMB_ARCH arch_ = IMB_ARCH_NONE;
    Scratch* scratch_ = nullptr;
};

}  // namespace msf::srtp
