#include "bench/gen/payload.hpp"

#include <cstring>

#include "dataplane/net/byte_order.hpp"

namespace msf::gen {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): one multiply-xorshift chain per 8 filler bytes, cheap
// enough for 1200-byte packets at line rate and different for every (session, seq).
uint64_t splitmix(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t filler_seed(uint32_t session, uint32_t seq) { return (uint64_t{session} << 32) | seq; }

// Writes the filler and returns its checksum sum. `out` sits at an even offset of the payload.
net::ChecksumSum write_filler(uint8_t* out, size_t len, uint32_t session, uint32_t seq) {
    uint64_t state = filler_seed(session, seq);
    net::ChecksumSum sum = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        const uint64_t word = splitmix(state);
        std::memcpy(out + i, &word, 8);
        sum = net::checksum_combine(sum, word);
    }
    if (i < len) {
        const uint64_t word = splitmix(state);
        std::memcpy(out + i, &word, len - i);
        uint64_t tail = 0;  // the bytes written, zero-padded to a word (RFC 1071 §4.1)
        std::memcpy(&tail, out + i, len - i);
        sum = net::checksum_combine(sum, tail);
    }
    return sum;
}

bool filler_matches(const uint8_t* in, size_t len, uint32_t session, uint32_t seq) {
    uint64_t state = filler_seed(session, seq);
    size_t i = 0;
    uint64_t diff = 0;
    for (; i + 8 <= len; i += 8) {
        const uint64_t word = splitmix(state);
        uint64_t got;
        std::memcpy(&got, in + i, 8);
        diff |= got ^ word;
    }
    if (i < len) {
        const uint64_t word = splitmix(state);
        uint64_t got = 0, want = 0;
        std::memcpy(&got, in + i, len - i);
        std::memcpy(&want, &word, len - i);
        diff |= got ^ want;
    }
    return diff == 0;
}

}  // namespace

uint32_t session_ssrc(uint32_t session) {
    uint64_t state = 0x5353524300000000ull | session;  // "SSRC"
    const auto ssrc = static_cast<uint32_t>(splitmix(state));
    return ssrc == 0 ? 1 : ssrc;
}

net::ChecksumSum write_payload(uint8_t* out, size_t size, const PayloadId& id) {
    // RFC 3550 §5.1: V=2, no padding, no extension, no CSRC, marker 0.
    out[0] = 0x80;
    out[1] = kRtpPayloadType;
    net::store_be16(out + 2, static_cast<uint16_t>(id.seq));
    net::store_be32(out + 4, id.seq * kTimestampStep);
    net::store_be32(out + 8, session_ssrc(id.session));
    uint8_t* stamp = out + kRtpHeaderLen;
    net::store_be32(stamp, kStampMagic);
    net::store_be32(stamp + 4, id.session);
    net::store_be32(stamp + 8, id.seq);
    net::store_be32(stamp + 12, id.flags);
    net::store_be32(stamp + 16, static_cast<uint32_t>(id.tsc >> 32));
    net::store_be32(stamp + 20, static_cast<uint32_t>(id.tsc));
    static_assert(kMinPayloadLen % 2 == 0, "the filler's words start at an even offset");
    const net::ChecksumSum filler = write_filler(out + kMinPayloadLen, size - kMinPayloadLen, id.session, id.seq);
    return net::checksum_combine(net::checksum_add(0, out, kMinPayloadLen), filler);
}

std::string_view payload_status_name(PayloadStatus status) {
    switch (status) {
        case PayloadStatus::ok: return "ok";
        case PayloadStatus::not_ours: return "not_ours";
        case PayloadStatus::corrupted: return "corrupted";
    }
    return "unknown";
}

PayloadCheck check_payload(std::span<const uint8_t> packet, size_t expected_size) {
    PayloadCheck check;
    if (packet.size() < kMinPayloadLen) return check;
    const uint8_t* p = packet.data();
    if ((p[0] >> 6) != 2) return check;
    const uint8_t* stamp = p + kRtpHeaderLen;
    if (net::load_be32(stamp) != kStampMagic) return check;
    check.id.session = net::load_be32(stamp + 4);
    check.id.seq = net::load_be32(stamp + 8);
    check.id.flags = net::load_be32(stamp + 12);
    check.id.tsc = (uint64_t{net::load_be32(stamp + 16)} << 32) | net::load_be32(stamp + 20);
    const bool header_ok = p[0] == 0x80 && p[1] == kRtpPayloadType &&
                           net::load_be16(p + 2) == static_cast<uint16_t>(check.id.seq) &&
                           net::load_be32(p + 4) == check.id.seq * kTimestampStep &&
                           net::load_be32(p + 8) == session_ssrc(check.id.session);
    const bool size_ok = expected_size == 0 || packet.size() == expected_size;
    check.status = header_ok && size_ok && (check.id.flags & ~kKnownFlags) == 0 &&
                           filler_matches(p + kMinPayloadLen, packet.size() - kMinPayloadLen, check.id.session, check.id.seq)
                       ? PayloadStatus::ok
                       : PayloadStatus::corrupted;
    return check;
}

}  // namespace msf::gen
