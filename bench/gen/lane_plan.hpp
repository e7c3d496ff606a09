// How msf-gen spreads its work over several lcores (--lcores with K lcores, --queues N >= K).
// Each lcore is a lane: it owns a fixed set of queues (queue q belongs to lane q % K) and every
// stream that sends on them (stream s on queue s % N), so a stream's sequence numbers, sequence
// checks, latency samples and counters have one writer and nothing is shared on the fast path.
// A lane paces its share of the total --rate: the share of the streams it owns, so every stream
// is offered the same rate and every gateway worker (one per queue) the same load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msf::gen {

struct Lane {
    std::vector<uint16_t> queues;   // ascending
    std::vector<uint32_t> streams;  // stream indexes, ascending
    double rate = 0;                // packets/s this lane offers; 0: as fast as possible
};

// Which lane owns queue `queue` of `queues` when there are `lanes` lanes.
uint16_t lane_of_queue(uint16_t queue, size_t lanes);

// An error line when `lanes` lcores cannot each own a queue of `queues`; nullopt when they can.
std::optional<std::string> lanes_error(uint16_t queues, size_t lanes);

// The lanes for `streams` streams over `queues` queues (lanes_error must be nullopt). A total
// rate of 0 (as fast as possible) stays 0 in every lane that has streams; a lane without
// streams gets rate 0 and must not send.
std::vector<Lane> plan_lanes(size_t streams, uint16_t queues, size_t lanes, double total_rate);

// The rate of each lane for `total_rate` over lanes already planned (a --serve trial's rate).
void split_rate(std::vector<Lane>& lanes, size_t streams, double total_rate);

}  // namespace msf::gen
