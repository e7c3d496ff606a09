// Per-stream receive accounting: every arriving stamped packet of a stream is new, a duplicate,
// or late (reordered); loss is what was sent (after the warm-up) and never arrived. Sequence
// numbers are the stamp's 32 bits, compared with serial-number arithmetic (RFC 1982) so a wrap
// is not a reordering. A 64-packet bitmap behind the highest sequence seen tells a duplicate
// from a late packet, the way an SRTP replay window does (RFC 3711 §3.3.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace msf::gen {

enum class Arrival : uint8_t {
    in_order,   // beyond the highest seen (gaps before it may still arrive)
    reordered,  // behind the highest seen, not seen before (or too old to tell)
    duplicate,  // seen before
};

struct StreamCounters {
    uint64_t sent = 0;        // counted packets the generator sent
    uint64_t received = 0;    // distinct counted packets that arrived intact
    uint64_t duplicates = 0;
    uint64_t reordered = 0;
    uint64_t corrupted = 0;
};

struct ReceiveTotals {
    uint64_t sent = 0;
    uint64_t received = 0;
    uint64_t lost = 0;  // sum over streams of max(0, sent - received)
    uint64_t duplicates = 0;
    uint64_t reordered = 0;
    uint64_t corrupted = 0;
    uint64_t streams_receiving = 0;  // streams with received > 0
    double min_stream_share = 0;     // min over streams that sent of received / sent (0 when none sent)
};

// The totals of two disjoint sets of streams (two lcores' receivers) as one receiver over all
// of them would count them: sums, and the smaller share of the sets where any stream sent.
ReceiveTotals merge_totals(const ReceiveTotals& a, const ReceiveTotals& b);

class Receiver {
public:
    static constexpr uint32_t kWindow = 64;

    explicit Receiver(size_t streams) : streams_(streams) {}

    size_t stream_count() const { return streams_.size(); }
    void count_sent(size_t stream, uint64_t packets = 1) { streams_[stream].counters.sent += packets; }
    void count_corrupted(size_t stream) { ++streams_[stream].counters.corrupted; }
    // An intact packet of `stream` with sequence `seq` arrived.
    Arrival on_packet(size_t stream, uint32_t seq);

    const StreamCounters& stream(size_t index) const { return streams_[index].counters; }
    ReceiveTotals totals() const;

private:
    struct Stream {
        StreamCounters counters;
        bool any = false;
        uint32_t highest = 0;
        uint64_t seen = 0;  // bit i: highest - i arrived
    };
    std::vector<Stream> streams_;
};

}  // namespace msf::gen
