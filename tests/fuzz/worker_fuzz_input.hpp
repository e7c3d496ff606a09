// The input format of worker_fuzz and the gateway it fuzzes: addresses, MACs and six sessions,
// one per suite, with fixed keys. The seed corpus generator (make_worker_corpus.cpp) builds its
// frames from the same table, so the fuzzer starts from SRTP that authenticates.
//
// Input:   [flags] frame...
//   flags  bits 0-1: receive queue: 0 access, 1 core, 2 one queue for both sides,
//                    3 one queue for both sides with RX checksum offload
//          bits 2-3: with RX offload, the IP checksum verdict in ol_flags: unknown, bad, good,
//                    none (RTE_MBUF_F_RX_IP_CKSUM_*)
//          bits 4-5: with RX offload, the L4 checksum verdict, in the same order
//          bit 6:    the worker whose egress offloads checksums and tags a VLAN (else: software
//                    checksums, untagged)
//          bit 7:    remove and re-add every session first: fresh SRTP state, no UE latched
// A frame: [len hi] [len lo] len bytes; len is taken modulo kMaxFrameLen + 1 and cut to the
// bytes left. len 0 ends the burst (the next frames form a new one), as do kMaxBurst frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/api/types.hpp"
#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::dp::fuzz {

inline constexpr uint8_t kQueueMask = 3;
inline constexpr uint8_t kQueueAccess = 0;
inline constexpr uint8_t kQueueCore = 1;
inline constexpr uint8_t kQueueShared = 2;
inline constexpr uint8_t kQueueSharedRxOffload = 3;
inline constexpr uint8_t kRxIpShift = 2;
inline constexpr uint8_t kRxL4Shift = 4;
inline constexpr uint8_t kFlagOffloadEgress = 1u << 6;
inline constexpr uint8_t kFlagReset = 1u << 7;

inline constexpr uint8_t kVerdictUnknown = 0, kVerdictBad = 1, kVerdictGood = 2, kVerdictNone = 3;

inline constexpr size_t kFrameHeader = 2;
inline constexpr uint32_t kMaxFrameLen = 2048;  // an mbuf's data room past its headroom

// RFC 5737 and RFC 3849 documentation addresses.
inline net::IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    const uint8_t bytes[4] = {a, b, c, d};
    return net::IpAddr::v4(bytes);
}
inline net::IpAddr v6(uint8_t group3, uint8_t last) {
    const uint8_t bytes[16] = {0x20, 0x01, 0x0d, 0xb8, 0, group3, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
    return net::IpAddr::v6(bytes);
}
inline const net::IpAddr kAccessV4 = v4(192, 0, 2, 1);
inline const net::IpAddr kAccessV6 = v6(0x0a, 1);
inline const net::IpAddr kCoreV4 = v4(198, 51, 100, 1);
inline const net::IpAddr kCoreV6 = v6(0x0c, 1);
inline const net::IpAddr kUnresolved = v4(198, 51, 100, 66);  // the next hop never resolves

inline const net::MacAddr kAccessMac{{0x02, 0, 0, 0, 0x0a, 0x01}};
inline const net::MacAddr kCoreMac{{0x02, 0, 0, 0, 0x0c, 0x01}};
inline const net::MacAddr kRouterMac{{0x02, 0, 0, 0, 0xee, 0xee}};
inline constexpr uint16_t kEgressVlanTci = 0x2064;  // PCP 1, VID 100

// What the fuzzer's neighbour table answers for a destination.
inline net::MacAddr next_hop_mac(api::Side side, const net::IpAddr& dst) {
    const uint8_t* b = dst.bytes.data() + (dst.is_v4() ? 0 : 12);
    return {{0x06, static_cast<uint8_t>(side == api::Side::access ? 0xa0 : 0xc0), b[0], b[1], b[2], b[3]}};
}

inline api::KeySpec fuzz_keys(srtp::Suite suite, uint8_t seed, size_t mki_len) {
    const srtp::SuiteInfo& info = srtp::suite_info(suite);
    api::KeySpec k;
    k.suite = suite;
    for (uint8_t i = 0; i < info.key_len; ++i) k.master_key.push_back(static_cast<uint8_t>(seed * 29 + i));
    for (uint8_t i = 0; i < info.salt_len; ++i) k.master_salt.push_back(static_cast<uint8_t>(seed * 13 + 0x40 + i));
    for (size_t i = 0; i < mki_len; ++i) k.mki.push_back(static_cast<uint8_t>(0xe0 + i));
    return k;
}

inline constexpr size_t kSessionCount = srtp::kSuiteCount;

// Session i (id i + 1) uses suite i. Between them: both families on each leg and across the
// legs, latched and configured UEs, MKIs, rtcp-mux on one leg or both, an unresolvable peer.
inline std::vector<api::SessionSpec> fuzz_sessions() {
    std::vector<api::SessionSpec> out;
    for (size_t i = 0; i < kSessionCount; ++i) {
        api::SessionSpec s;
        s.id = i + 1;
        const auto n = static_cast<uint16_t>(10 * i);
        const bool access_v6 = i == 1 || i == 4;
        const bool core_v6 = i == 2 || i == 4;
        s.access.local = {access_v6 ? kAccessV6 : kAccessV4, static_cast<uint16_t>(20000 + n)};
        s.core.local = {core_v6 ? kCoreV6 : kCoreV4, static_cast<uint16_t>(30000 + n)};
        s.core.remote = {core_v6 ? v6(0x0c, 0x20) : v4(198, 51, 100, 20), static_cast<uint16_t>(40000 + n)};
        if (i == 1) s.access.remote = {v6(0x0e, 0x10), static_cast<uint16_t>(40000 + n)};
        if (i == 3) s.access.remote = {v4(203, 0, 113, 10), static_cast<uint16_t>(40000 + n)};
        if (i == 2) s.access.rtcp_mux = s.core.rtcp_mux = true;
        if (i == 5) {
            s.access.rtcp_mux = true;
            s.core.remote.addr = kUnresolved;
        }
        const auto suite = static_cast<srtp::Suite>(i);
        const size_t mki = i == 1 ? 2 : i == 4 ? 1 : 0;
        s.from_ue = fuzz_keys(suite, static_cast<uint8_t>(2 * i + 1), mki);
        s.to_ue = fuzz_keys(suite, static_cast<uint8_t>(2 * i + 2), mki);
        out.push_back(std::move(s));
    }
    return out;
}

// Where session `s`'s UE sends from when it is not configured.
inline net::Endpoint fuzz_ue(const api::SessionSpec& s) {
    if (!s.access.remote.empty()) return s.access.remote;
    return {s.access.local.addr.is_v4() ? v4(203, 0, 113, 20) : v6(0x0e, 0x20), 45000};
}

}  // namespace msf::dp::fuzz
