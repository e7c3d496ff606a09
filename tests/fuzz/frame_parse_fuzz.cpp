// libFuzzer target for the receive parser and the header writer: hostile bytes go through
// parse_frame under every ParseOptions, and every UDP frame it accepts is relayed the way a
// worker relays it (write_udp_headers in front of the payload, same family and the other family,
// every ChecksumMode) and parsed again.
//
// Checked beyond "does not crash": offsets and pointers lie inside the frame; turning a checksum
// check off never turns an accepted frame into an error, and turning one on never changes what an
// accepted frame parses to; a rewritten frame parses back to the template's fields and the same
// payload bytes. The input buffer is libFuzzer's own, exactly `size` bytes, so ASan sees any read
// past the frame.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/net/frame.hpp"
#include "dataplane/net/udp_frame.hpp"

namespace {

using namespace msf::net;

[[noreturn]] void fail(const char* what, FrameError e = FrameError::none) {
    std::fprintf(stderr, "frame_parse_fuzz: %s (error %s)\n", what,
                 std::string(frame_error_name(e)).c_str());
    std::abort();
}

void check(bool ok, const char* what, FrameError e = FrameError::none) {
    if (!ok) fail(what, e);
}

bool same_fields(const ParsedFrame& a, const ParsedFrame& b) {
    return a.kind == b.kind && a.family == b.family && a.has_vlan == b.has_vlan &&
           a.vlan_tci == b.vlan_tci && a.ip_protocol == b.ip_protocol && a.ttl == b.ttl &&
           a.tos == b.tos && a.l3_offset == b.l3_offset && a.l4_offset == b.l4_offset &&
           a.payload_offset == b.payload_offset && a.payload_len == b.payload_len &&
           a.l3_len == b.l3_len && a.src_port == b.src_port && a.dst_port == b.dst_port &&
           a.src_ip == b.src_ip && a.dst_ip == b.dst_ip;
}

bool inside(const uint8_t* p, size_t n, const uint8_t* frame, size_t size) {
    return p >= frame && p + n <= frame + size;
}

void check_layout(const uint8_t* frame, size_t size, const ParsedFrame& p) {
    check(p.l3_offset == (p.has_vlan ? 18 : 14), "l3_offset is not after the Ethernet header");
    check(p.l3_offset + p.l3_len <= size, "L3 length beyond the frame");
    if (p.kind == FrameKind::arp) {
        check(p.family == Family::none && p.l3_len == kArpIpv4Len, "ARP with an IP family");
        return;
    }
    check(p.family == Family::ipv4 || p.family == Family::ipv6, "IP frame without a family");
    const size_t addr_len = p.family == Family::ipv4 ? 4 : 16;
    check(inside(p.src_ip, addr_len, frame, size) && inside(p.dst_ip, addr_len, frame, size),
          "address pointer outside the frame");
    check(p.l4_offset == p.l3_offset + (p.family == Family::ipv4 ? kIpv4HeaderLen : kIpv6HeaderLen),
          "l4_offset is not after the IP header");
    const size_t ip_end = p.l3_offset + p.l3_len;
    if (p.kind == FrameKind::udp) {
        check(p.ip_protocol == kIpProtoUdp, "udp kind with another protocol");
        check(p.payload_offset == p.l4_offset + kUdpHeaderLen, "payload not after the UDP header");
        check(p.payload_offset + size_t{p.payload_len} <= ip_end, "UDP payload beyond the IP packet");
    } else if (p.kind == FrameKind::icmp4 || p.kind == FrameKind::icmp6) {
        check(p.l4_offset + kIcmpHeaderLen <= ip_end, "ICMP header beyond the IP packet");
    } else {
        check(p.payload_len == 0 && p.src_port == 0, "ports on a non-UDP frame");
    }
}

// Relays the parsed UDP payload toward `t` the way a worker does and checks the result.
void check_relay(const uint8_t* frame, const ParsedFrame& in, UdpFrameTemplate t, ChecksumMode mode) {
    constexpr uint32_t kHeadroom = 128;  // enough for any header write_udp_headers makes
    // Exactly sized: the written frame ends where the buffer ends, so ASan sees any overrun.
    std::vector<uint8_t> mbuf(kHeadroom + in.payload_len);
    std::memcpy(mbuf.data() + kHeadroom, frame + in.payload_offset, in.payload_len);
    uint8_t* payload = mbuf.data() + kHeadroom;
    uint8_t* out_frame = write_udp_headers(payload, in.payload_len, t, mode);
    check(out_frame == payload - udp_header_room(t), "write_udp_headers refused a valid template");

    const bool ipv4 = t.src.is_v4();
    const ParseOptions opt{ipv4 && mode == ChecksumMode::software, mode != ChecksumMode::offload_ip_udp};
    ParsedFrame out;
    const uint32_t out_len = udp_header_room(t) + in.payload_len;
    const FrameError e = parse_frame(out_frame, out_len, opt, out);
    check(e == FrameError::none, "a written frame does not parse", e);
    check(out.kind == FrameKind::udp && out.family == t.src.family, "written frame kind/family");
    check(out.has_vlan == t.has_vlan && out.vlan_tci == (t.has_vlan ? t.vlan_tci : 0), "VLAN tag");
    check(out.src_addr() == t.src && out.dst_addr() == t.dst, "addresses");
    check(out.src_port == t.src_port && out.dst_port == t.dst_port, "ports");
    check(out.ttl == t.ttl && out.tos == t.tos, "TTL/TOS");
    check(out.payload_len == in.payload_len && out.payload_offset + out.payload_len == out_len,
          "payload length");
    check(std::memcmp(out_frame + out.payload_offset, frame + in.payload_offset, in.payload_len) == 0,
          "payload bytes changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 0xffffffffu) return 0;
    const auto len = static_cast<uint32_t>(size);
    constexpr std::array<ParseOptions, 4> kOptions{
        ParseOptions{true, true}, ParseOptions{true, false}, ParseOptions{false, true},
        ParseOptions{false, false}};
    std::array<ParsedFrame, 4> parsed;
    std::array<FrameError, 4> errors;
    for (size_t i = 0; i < kOptions.size(); ++i) {
        errors[i] = parse_frame(data, len, kOptions[i], parsed[i]);
        check(static_cast<int>(errors[i]) < kFrameErrorCount, "error out of range");
        check(frame_error_name(errors[i]) != "unknown", "error without a name");
    }
    // A checksum check only ever adds its own error (the IPv4 header sum is checked before the
    // fragment and UDP checks, so it may replace their error), and never changes what an accepted
    // frame parses to.
    const FrameError lenient = errors[3];
    for (size_t i = 0; i < 3; ++i) {
        if (errors[i] != lenient) {
            const bool own_error =
                (errors[i] == FrameError::bad_ip_checksum && kOptions[i].verify_ip_checksum) ||
                (errors[i] == FrameError::bad_udp_checksum && kOptions[i].verify_udp_checksum);
            check(own_error, "a checksum option changed the outcome beyond its own error", errors[i]);
        }
        if (errors[i] == FrameError::none)
            check(same_fields(parsed[i], parsed[3]), "options changed an accepted frame's fields");
    }
    if (lenient != FrameError::none) return 0;

    const ParsedFrame& in = parsed[3];
    check_layout(data, size, in);
    if (in.kind != FrameKind::udp) return 0;

    // Back toward the sender on the same family, and onward on the other family.
    UdpFrameTemplate back;
    std::memcpy(back.src_mac.bytes.data(), data, 6);
    std::memcpy(back.dst_mac.bytes.data(), data + 6, 6);
    back.has_vlan = in.has_vlan;
    back.vlan_tci = in.vlan_tci;
    back.src = in.dst_addr();
    back.dst = in.src_addr();
    back.src_port = in.dst_port;
    back.dst_port = in.src_port;
    back.ttl = in.ttl;
    back.tos = in.tos;

    UdpFrameTemplate onward = back;
    onward.has_vlan = !in.has_vlan;
    const uint8_t v4_src[4] = {198, 51, 100, 1}, v4_dst[4] = {203, 0, 113, 9};
    const uint8_t v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    const uint8_t v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20};
    onward.src = in.family == Family::ipv4 ? IpAddr::v6(v6_src) : IpAddr::v4(v4_src);
    onward.dst = in.family == Family::ipv4 ? IpAddr::v6(v6_dst) : IpAddr::v4(v4_dst);

    for (ChecksumMode mode : {ChecksumMode::software, ChecksumMode::offload_ip, ChecksumMode::offload_ip_udp}) {
        check_relay(data, in, back, mode);
        check_relay(data, in, onward, mode);
    }
    return 0;
}
