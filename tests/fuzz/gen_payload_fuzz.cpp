// libFuzzer target for msf-gen's receive side: hostile frames go through classify_received (the
// Ethernet/IP/UDP parse and the payload check msf-gen's loop runs on every frame from the
// gateway), a UDP frame it accepts is reflected the way the hairpin reflects it, and stamped
// payloads drive the receive accounting.
//
// Checked beyond "does not crash": a payload that checks ok is bit-for-bit what write_payload
// makes for its stamp; a reflected frame parses back to the template's endpoints with the same
// payload bytes; the accounting never receives more distinct packets than arrived.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bench/gen/payload.hpp"
#include "bench/gen/received_frame.hpp"
#include "bench/gen/receiver.hpp"
#include "bench/gen/reflector.hpp"

namespace {

using namespace msf;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "gen_payload_fuzz: %s\n", what);
    std::abort();
}

net::UdpFrameTemplate reflect_template(net::Family family) {
    net::UdpFrameTemplate t;
    t.src_mac = net::MacAddr{{2, 0, 0, 0, 0, 1}};
    t.dst_mac = net::MacAddr{{2, 0, 0, 0, 0, 2}};
    t.src = *net::IpAddr::parse(family == net::Family::ipv6 ? "2001:db8::20" : "192.0.2.20");
    t.dst = *net::IpAddr::parse(family == net::Family::ipv6 ? "2001:db8::10" : "192.0.2.10");
    t.src_port = 40002;
    t.dst_port = 16386;
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 4096) return 0;
    // The first byte picks the expected size (0: any), the rest is the frame.
    const size_t expected = size > 0 ? (data[0] & 1 ? 0 : gen::kMinPayloadLen + data[0]) : 0;
    const uint8_t* frame = size > 0 ? data + 1 : data;
    const auto len = static_cast<uint32_t>(size > 0 ? size - 1 : 0);

    const gen::ReceivedFrame r = gen::classify_received(frame, len, true, expected);
    if (r.kind != gen::ReceivedKind::udp) return 0;
    if (r.parsed.payload_offset + r.parsed.payload_len > len) fail("payload beyond the frame");
    const uint8_t* payload = frame + r.parsed.payload_offset;

    if (r.payload.status == gen::PayloadStatus::ok) {
        if (r.parsed.payload_len < gen::kMinPayloadLen || r.parsed.payload_len > 65535) fail("ok payload of impossible length");
        std::vector<uint8_t> again(r.parsed.payload_len);
        gen::write_payload(again.data(), again.size(), r.payload.id);
        if (std::memcmp(again.data(), payload, again.size()) != 0) fail("ok payload differs from write_payload's");
        if (expected != 0 && r.parsed.payload_len != expected) fail("ok payload of the wrong size");
    }

    // Reflect a copy (the hairpin rewrites in place, with headroom in front).
    constexpr uint32_t kHeadroom = 64;
    std::vector<uint8_t> buffer(kHeadroom + len);
    std::memcpy(buffer.data() + kHeadroom, frame, len);
    const net::UdpFrameTemplate to = reflect_template(r.parsed.family);
    const gen::ReflectedFrame out =
        gen::reflect_frame(buffer.data() + kHeadroom, kHeadroom, r.parsed, to, net::ChecksumMode::software);
    if (out.frame != nullptr) {
        if (out.frame < buffer.data() || out.frame + out.len > buffer.data() + buffer.size()) fail("reflected frame out of bounds");
        net::ParsedFrame back;
        if (net::parse_frame(out.frame, out.len, {}, back) != net::FrameError::none) fail("reflected frame does not parse");
        if (back.src_endpoint() != net::Endpoint{to.src, to.src_port} || back.dst_endpoint() != net::Endpoint{to.dst, to.dst_port})
            fail("reflected frame has other endpoints");
        if (back.payload_len != r.parsed.payload_len ||
            std::memcmp(out.frame + back.payload_offset, payload, back.payload_len) != 0)
            fail("reflection changed the payload");
    }

    // Accounting: stamped packets of up to 8 streams, duplicated and in reverse, never count
    // more distinct packets than arrived.
    if (r.payload.status != gen::PayloadStatus::not_ours) {
        gen::Receiver receiver(8);
        const size_t stream = r.payload.id.session % 8;
        uint64_t arrivals = 0;
        for (uint32_t k = 0; k < 4; ++k) {
            receiver.on_packet(stream, r.payload.id.seq - k * (payload[0] & 0x7f));
            receiver.on_packet(stream, r.payload.id.seq + k);
            arrivals += 2;
        }
        const gen::ReceiveTotals t = receiver.totals();
        if (t.received + t.duplicates != arrivals) fail("receiver lost track of arrivals");
        if (t.received > arrivals) fail("more received than arrived");
    }
    return 0;
}
