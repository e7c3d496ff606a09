// The input format of srtp_unprotect_fuzz and the fixed keys its contexts use. The seed corpus
// generator (make_srtp_corpus.cpp) writes inputs in this format, protected under these keys,
// so the fuzzer starts from packets that authenticate.
//
// Input:   [suite] [flags] rest...
//   suite  kSuites[suite % 6]
//   flags  bit 0: RTCP instead of RTP
//          bit 1: burst: rest is a sequence of packets (below); otherwise rest is one packet
//          bits 2-4: MKI length, value % 5 (0: no MKI; 3: also a short key lifetime)
//          bit 5: before protecting, write kFuzzSsrc into the SSRC field
//          bit 6: re-create the contexts of this suite and MKI length first (fresh state)
//          bit 7: single packet: go through the span API instead of the one-packet API
// A packet of a burst:   [selector] [len hi] [len lo] len bytes
//   selector 0: the input's suite and MKI length; 0xff: no context; otherwise the context slot
//   (selector - 1) % kSlotCount. len is taken modulo 2048 and cut to the bytes left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/srtp/context.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::srtp::fuzz {

inline constexpr uint8_t kFlagRtcp = 1u << 0;
inline constexpr uint8_t kFlagBurst = 1u << 1;
inline constexpr uint8_t kFlagMkiShift = 2;
inline constexpr uint8_t kFlagMkiMask = 7u << kFlagMkiShift;
inline constexpr uint8_t kFlagForceSsrc = 1u << 5;
inline constexpr uint8_t kFlagReset = 1u << 6;
inline constexpr uint8_t kFlagSpanApi = 1u << 7;

inline constexpr size_t kMkiLengths = 5;  // 0..4 bytes
inline constexpr size_t kSlotCount = kSuiteCount * kMkiLengths;
inline constexpr uint8_t kSelectorDefault = 0;
inline constexpr uint8_t kSelectorNoContext = 0xff;
inline constexpr size_t kBurstHeader = 3;
inline constexpr uint32_t kMaxPacketLen = 2048;
// Enough to make the engine split a span into several ipsec-mb submissions (kMaxBurst = 64).
inline constexpr size_t kMaxBurstPackets = 136;

inline constexpr uint32_t kFuzzSsrc = 0x5eed5eed;

constexpr uint8_t flags_mki(size_t mki_len) {
    return static_cast<uint8_t>(mki_len << kFlagMkiShift);
}

// A slot is one (suite, MKI length) pair.
constexpr size_t slot_of(size_t suite_index, size_t mki_len) {
    return mki_len * kSuiteCount + suite_index;
}
constexpr Suite slot_suite(size_t slot) { return static_cast<Suite>(slot % kSuiteCount); }
constexpr size_t slot_mki_len(size_t slot) { return slot / kSuiteCount; }

// Slots with a 3-byte MKI also get a short key lifetime (RFC 3711 §9.2), so that inputs reach
// key_expired after a few bursts.
inline constexpr size_t kShortLifetimeMkiLen = 3;
inline constexpr uint64_t kShortRtpLifetime = 300;
inline constexpr uint64_t kShortRtcpLifetime = 40;

// Fixed master key, salt and MKI: arbitrary, but the same for the fuzzer and the corpus.
inline Policy fuzz_policy(size_t slot) {
    const SuiteInfo& info = suite_info(slot_suite(slot));
    Policy p;
    p.suite = info.suite;
    for (uint8_t i = 0; i < info.key_len; ++i) p.master_key.push_back(static_cast<uint8_t>(0x11 * i + 7));
    for (uint8_t i = 0; i < info.salt_len; ++i) p.master_salt.push_back(static_cast<uint8_t>(0xa0 + i));
    static constexpr uint8_t kMki[4] = {0x4d, 0x4b, 0x49, 0x31};
    p.mki.assign(kMki, kMki + slot_mki_len(slot));
    if (slot_mki_len(slot) == kShortLifetimeMkiLen) {
        p.rtp_lifetime = kShortRtpLifetime;
        p.rtcp_lifetime = kShortRtcpLifetime;
    }
    return p;
}

}  // namespace msf::srtp::fuzz
