// The Internet checksum (RFC 1071) and the IPv4 header and UDP checksums built on it (RFC 791
// §3.1, RFC 768, RFC 8200 §8.1).
//
// Sums are accumulated over words as they lie in memory (native loads, 8 bytes per step): RFC 1071
// §2(B) shows the one's-complement sum does not depend on byte order, so checksum_fold swaps once
// at the end. Every 16-bit value returned here is in host order: store it with store_be16.
// Header-only so the per-packet calls inline into the worker's loop.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/net/byte_order.hpp"

namespace msf::net {

// A running one's-complement sum: unfolded, in memory word order, starting from 0. Only the
// functions below produce or consume it.
using ChecksumSum = uint64_t;

namespace checksum_detail {

// A 16-bit word given in host order, as it would read from memory in network order.
inline uint64_t memory_order(uint16_t host_value) {
    if constexpr (std::endian::native == std::endian::little)
        return __builtin_bswap16(host_value);
    return host_value;
}

}  // namespace checksum_detail

// Two sums in one (or a 64-bit word, as it lies in memory, added to a sum): a 64-bit add with
// end-around carry, since 2^64 = 1 mod 0xffff.
inline ChecksumSum checksum_combine(ChecksumSum a, ChecksumSum b) {
    a += b;
    return a + (a < b);
}

// Adds `len` bytes to `sum`. Whole 64-bit words are added with end-around carry (x86-64: one
// add-with-carry chain, as Linux's csum_partial does): 2^64 = 2^16 = 1 mod 0xffff, so every
// lane folds the same way (RFC 1071 §2(C)). `data` needs no alignment; an odd length pads with a
// zero byte (RFC 1071 §4.1).
inline ChecksumSum checksum_add(ChecksumSum sum, const uint8_t* data, size_t len) {
    while (len >= 32) {
        uint64_t w[4];
        std::memcpy(w, data, sizeof(w));
#if defined(__x86_64__)
        __asm__("addq %1, %0\n\t"
                "adcq %2, %0\n\t"
                "adcq %3, %0\n\t"
                "adcq %4, %0\n\t"
                "adcq $0, %0"
                : "+r"(sum)
                : "r"(w[0]), "r"(w[1]), "r"(w[2]), "r"(w[3])
                : "cc");
#else
        for (uint64_t x : w) sum = checksum_combine(sum, x);
#endif
        data += 32;
        len -= 32;
    }
    while (len >= 8) {
        uint64_t w;
        std::memcpy(&w, data, sizeof(w));
        sum = checksum_combine(sum, w);
        data += 8;
        len -= 8;
    }
    // The 4-, 2- and 1-byte tails below add at most 2^32 + 2^16 + 2^16: keep room for them.
    sum = (sum & 0xffffffffu) + (sum >> 32);
    if (len >= 4) {
        uint32_t w;
        std::memcpy(&w, data, sizeof(w));
        sum += w;
        data += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t w;
        std::memcpy(&w, data, sizeof(w));
        sum += w;
        data += 2;
        len -= 2;
    }
    if (len != 0) sum += checksum_detail::memory_order(static_cast<uint16_t>(data[0] << 8));
    return sum;
}

// Adds one 16-bit word given in host order (a protocol number, a length).
inline ChecksumSum checksum_add_word(ChecksumSum sum, uint16_t host_value) {
    return sum + checksum_detail::memory_order(host_value);
}

// The 16-bit one's-complement sum, host order, not complemented. It is 0 only when every word
// added was 0; otherwise a sum that is "zero" reads 0xffff.
inline uint16_t checksum_fold(ChecksumSum sum) {
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    const auto folded = static_cast<uint16_t>(sum);
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap16(folded);
    return folded;
}

// RFC 1071: the complement of the one's-complement sum of `data`, host order. Over data that
// contains a correct checksum field this is 0.
inline uint16_t internet_checksum(const uint8_t* data, size_t len) {
    return static_cast<uint16_t>(~checksum_fold(checksum_add(0, data, len)));
}

// RFC 791 §3.1: the header checksum for `header_len` bytes of IPv4 header at `ip`, computed as
// if the checksum field (bytes 10-11) were zero, whatever it holds.
inline uint16_t ipv4_header_checksum(const uint8_t* ip, size_t header_len) {
    ChecksumSum sum = checksum_add(0, ip, header_len);
    sum = checksum_add_word(sum, static_cast<uint16_t>(~load_be16(ip + 10)));  // subtracts it
    return static_cast<uint16_t>(~checksum_fold(sum));
}

inline bool ipv4_header_checksum_ok(const uint8_t* ip, size_t header_len) {
    return checksum_fold(checksum_add(0, ip, header_len)) == 0xffff;
}

// The pseudo-header sums of RFC 768 (IPv4: source, destination, zero, protocol, UDP length) and
// RFC 8200 §8.1 (IPv6: source, destination, 32-bit upper-layer length, zeros, next header).
// `src` and `dst` point at 4 or 16 address bytes in network order.
inline ChecksumSum ipv4_pseudo_header_sum(const uint8_t* src, const uint8_t* dst, uint8_t protocol,
                                          uint16_t l4_len) {
    uint32_t s, d;
    std::memcpy(&s, src, 4);
    std::memcpy(&d, dst, 4);
    return checksum_add_word(checksum_add_word(uint64_t{s} + d, protocol), l4_len);
}

inline ChecksumSum ipv6_pseudo_header_sum(const uint8_t* src, const uint8_t* dst, uint8_t next_header,
                                          uint32_t l4_len) {
    ChecksumSum sum = checksum_add(checksum_add(0, src, 16), dst, 16);
    sum = checksum_add_word(sum, static_cast<uint16_t>(l4_len >> 16));
    sum = checksum_add_word(sum, static_cast<uint16_t>(l4_len));
    return checksum_add_word(sum, next_header);
}

// What a NIC with UDP checksum offload expects in the checksum field before it finishes the sum:
// the folded, uncomplemented pseudo-header sum, as DPDK's rte_ipv4_phdr_cksum and
// rte_ipv6_phdr_cksum compute it (without TSO). Host order.
inline uint16_t ipv4_pseudo_header_checksum(const uint8_t* src, const uint8_t* dst, uint8_t protocol,
                                            uint16_t l4_len) {
    return checksum_fold(ipv4_pseudo_header_sum(src, dst, protocol, l4_len));
}

inline uint16_t ipv6_pseudo_header_checksum(const uint8_t* src, const uint8_t* dst,
                                            uint8_t next_header, uint32_t l4_len) {
    return checksum_fold(ipv6_pseudo_header_sum(src, dst, next_header, l4_len));
}

// The UDP checksum of the `udp_len` bytes at `udp` (header and payload, udp_len >= 8) under the
// pseudo-header sum `pseudo`, computed as if the checksum field were zero. A result of 0 is sent
// as 0xffff (RFC 768: 0 means "no checksum"; RFC 8200 §8.1 keeps that rule for IPv6).
namespace checksum_detail {

// The UDP checksum from the sum over pseudo-header, header and payload, taking out whatever the
// checksum field at udp + 6 holds.
inline uint16_t finish_udp(ChecksumSum sum, const uint8_t* udp) {
    sum = checksum_add_word(sum, static_cast<uint16_t>(~load_be16(udp + 6)));  // subtracts it
    const auto checksum = static_cast<uint16_t>(~checksum_fold(sum));
    return checksum == 0 ? 0xffff : checksum;
}

}  // namespace checksum_detail

inline uint16_t udp_checksum(ChecksumSum pseudo, const uint8_t* udp, uint32_t udp_len) {
    return checksum_detail::finish_udp(checksum_add(pseudo, udp, udp_len), udp);
}

// The UDP checksum when the payload's sum is known already (its writer summed it while writing):
// only the 8 header bytes at `udp` are read. `payload_sum` is checksum_add(0, payload, len) of the
// payload as it stands, which follows the header at an even offset. Same result as udp_checksum.
inline uint16_t udp_checksum_with_payload_sum(ChecksumSum pseudo, const uint8_t* udp, ChecksumSum payload_sum) {
    return checksum_detail::finish_udp(checksum_combine(checksum_add(pseudo, udp, 8), payload_sum), udp);
}

// True when the datagram's checksum field is correct. The field must not be 0: whether 0 is
// allowed ("no checksum", IPv4 only) is the caller's rule to apply first.
inline bool udp_checksum_ok(ChecksumSum pseudo, const uint8_t* udp, uint32_t udp_len) {
    return checksum_fold(checksum_add(pseudo, udp, udp_len)) == 0xffff;
}

}  // namespace msf::net
