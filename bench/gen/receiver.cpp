#include "bench/gen/receiver.hpp"

#include <algorithm>

namespace msf::gen {

Arrival Receiver::on_packet(size_t stream, uint32_t seq) {
    Stream& s = streams_[stream];
    if (!s.any) {
        s.any = true;
        s.highest = seq;
        s.seen = 1;
        ++s.counters.received;
        return Arrival::in_order;
    }
    // RFC 1982 serial arithmetic: ahead when the signed distance is positive.
    const auto ahead = static_cast<int32_t>(seq - s.highest);
    if (ahead > 0) {
        s.seen = static_cast<uint32_t>(ahead) >= kWindow ? 1 : (s.seen << ahead) | 1;
        s.highest = seq;
        ++s.counters.received;
        return Arrival::in_order;
    }
    const auto behind = static_cast<uint32_t>(-static_cast<int64_t>(ahead));
    if (behind < kWindow) {
        const uint64_t bit = uint64_t{1} << behind;
        if (s.seen & bit) {
            ++s.counters.duplicates;
            return Arrival::duplicate;
        }
        s.seen |= bit;
    }
    // Older than the window: cannot tell a duplicate apart any more; counted as late and new.
    ++s.counters.reordered;
    ++s.counters.received;
    return Arrival::reordered;
}

ReceiveTotals Receiver::totals() const {
    ReceiveTotals t;
    bool any_sent = false;
    double min_share = 0;
    for (const Stream& s : streams_) {
        const StreamCounters& c = s.counters;
        t.sent += c.sent;
        t.received += c.received;
        t.lost += c.sent > c.received ? c.sent - c.received : 0;
        t.duplicates += c.duplicates;
        t.reordered += c.reordered;
        t.corrupted += c.corrupted;
        if (c.received > 0) ++t.streams_receiving;
        if (c.sent > 0) {
            const double share = std::min(1.0, static_cast<double>(c.received) / static_cast<double>(c.sent));
            min_share = any_sent ? std::min(min_share, share) : share;
            any_sent = true;
        }
    }
    t.min_stream_share = min_share;
    return t;
}

ReceiveTotals merge_totals(const ReceiveTotals& a, const ReceiveTotals& b) {
    ReceiveTotals t;
    t.sent = a.sent + b.sent;
    t.received = a.received + b.received;
    t.lost = a.lost + b.lost;
    t.duplicates = a.duplicates + b.duplicates;
    t.reordered = a.reordered + b.reordered;
    t.corrupted = a.corrupted + b.corrupted;
    t.streams_receiving = a.streams_receiving + b.streams_receiving;
    // A set that sent nothing has no share (its 0 means "none"), not a share of 0.
    if (a.sent == 0) t.min_stream_share = b.min_stream_share;
    else if (b.sent == 0) t.min_stream_share = a.min_stream_share;
    else t.min_stream_share = std::min(a.min_stream_share, b.min_stream_share);
    return t;
}

}  // namespace msf::gen
