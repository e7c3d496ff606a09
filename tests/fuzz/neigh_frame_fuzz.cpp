// libFuzzer target for the neighbour service: hostile frames go through handle_frame on both
// sides, interleaved with worker-side resolve() calls and control-thread ticks so that ARP and NA
// from the fuzzer meet incomplete, reachable, stale and failed entries.
//
// Input: records of [control, host, length (2 bytes, big-endian), frame]; the last record's
// frame is whatever is left. control bit 0: side (access, core); bit 1: resolve() the host
// first; bit 2: tick() first; bits 3-7: advance the clock by that many 100 ms. host picks the
// address resolved: 192.0.2.<host> or 2001:db8::<host> on the access side (bit 7: IPv6), the
// gateways' families on the core side. tests/fuzz/make_neigh_corpus.py writes the seeds.
//
// Checked beyond "does not crash": every frame sent passes check_emitted_frame (right MAC and
// VLAN of its side, padding, lengths, checksums, a reply type we may send, from our address);
// one received frame causes at most one frame out; every received frame is counted (answered,
// learned from, malformed or ignored); and at the end each entry a worker can read agrees with
// the control thread's view of it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "dataplane/neigh/neighbour_service.hpp"
#include "tests/dataplane/neigh/emitted_frame_check.hpp"
#include "tests/dataplane/neigh/test_network.hpp"

namespace {

using namespace msf;
using namespace msf::neigh;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "neigh_frame_fuzz: %s\n", what.c_str());
    std::abort();
}

struct CheckingSink final : FrameSink {
    const NeighbourService* service = nullptr;
    size_t sent = 0;
    void send(api::Side side, std::span<const uint8_t> frame) override {
        ++sent;
        const std::string problem = test::check_emitted_frame(service->config(side), frame);
        if (!problem.empty()) fail("sent a bad frame: " + problem + ": " + test::to_hex(frame));
    }
};

uint64_t accounted(const NeighbourCounters& c) {
    return c.arp_requests_answered + c.ns_answered + c.echo4_answered + c.echo6_answered +
           c.cache_updates + c.malformed + c.ignored;
}

net::IpAddr host_address(api::Side side, uint8_t host) {
    uint8_t b[16] = {};
    if (side == api::Side::access) {
        if (host & 0x80) {
            const uint8_t v6[16] = {
                0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                0,    0,    0,    0,    0, 0, 0, static_cast<uint8_t>(host & 0x7f)};
            return net::IpAddr::v6(v6);
        }
        b[0] = 192, b[1] = 0, b[2] = 2, b[3] = host;
        return net::IpAddr::v4(b);
    }
    // The core side routes through its gateways: only the family matters.
    if (host & 0x80) return test::ip("2001:db8:99::1");
    return test::ip("203.0.113.1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A small cache, so that resolutions evict.
    static const NeighbourConfig config = test::test_config(8);
    NeighbourService service(config);
    CheckingSink sink;
    sink.service = &service;
    uint64_t now = 0;

    size_t pos = 0;
    while (pos + 4 <= size) {
        const uint8_t control = data[pos];
        const uint8_t host = data[pos + 1];
        size_t len = size_t{data[pos + 2]} << 8 | data[pos + 3];
        pos += 4;
        if (len > size - pos) len = size - pos;
        const std::span<const uint8_t> frame(data + pos, len);
        pos += len;

        const auto side = static_cast<api::Side>(control & 1);
        now += static_cast<uint64_t>(control >> 3) * 100;
        if (control & 2) (void)service.resolve(side, host_address(side, host));
        if (control & 4) service.tick(now, sink);

        const uint64_t before = accounted(service.counters(side));
        const size_t sent_before = sink.sent;
        service.handle_frame(side, frame, sink, now);
        if (sink.sent - sent_before > 1) fail("one frame in, more than one out");
        if (accounted(service.counters(side)) <= before)
            fail("a frame was neither answered, learned from nor counted");
    }

    for (const auto side : {api::Side::access, api::Side::core}) {
        const NeighbourTable& table = service.table(side);
        for (const NeighbourEntry& e : table.entries()) {
            const NeighbourLookup seen = table.lookup_entry(e.ip);
            if (!seen.found || seen.state != e.state)
                fail("a worker sees another state than the control thread");
            if (seen.usable() && seen.mac != e.mac)
                fail("a worker sees another MAC than the control thread");
        }
        if (table.size() > table.capacity()) fail("the table grew past its capacity");
    }
    return 0;
}
