#include "bench/gen/lane_plan.hpp"

namespace msf::gen {

uint16_t lane_of_queue(uint16_t queue, size_t lanes) { return static_cast<uint16_t>(queue % lanes); }

std::optional<std::string> lanes_error(uint16_t queues, size_t lanes) {
    if (lanes == 0) return "no lcore to run on";
    if (queues >= lanes) return std::nullopt;
    return "--queues " + std::to_string(queues) + " is fewer than the " + std::to_string(lanes) +
           " lcores of --lcores: every lcore needs a queue of its own (give --queues " + std::to_string(lanes) +
           " or more)";
}

std::vector<Lane> plan_lanes(size_t streams, uint16_t queues, size_t lanes, double total_rate) {
    std::vector<Lane> out(lanes);
    for (uint16_t q = 0; q < queues; ++q) out[lane_of_queue(q, lanes)].queues.push_back(q);
    for (size_t s = 0; s < streams; ++s)
        out[lane_of_queue(static_cast<uint16_t>(s % queues), lanes)].streams.push_back(static_cast<uint32_t>(s));
    split_rate(out, streams, total_rate);
    return out;
}

void split_rate(std::vector<Lane>& lanes, size_t streams, double total_rate) {
    for (Lane& lane : lanes)
        lane.rate = streams == 0 ? 0
                                 : total_rate * static_cast<double>(lane.streams.size()) / static_cast<double>(streams);
}

}  // namespace msf::gen
