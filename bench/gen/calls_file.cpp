#include "bench/gen/calls_file.hpp"

#include <algorithm>
#include <fstream>
#include <unordered_map>

#include "controlplane/pcscf/call_record.hpp"

namespace msf::gen {

using keying::ErrorCode;
using keying::make_error;

keying::Expected<std::vector<GenSession>> read_calls(std::istream& in, const std::string& name) {
    std::vector<GenSession> sessions;
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        const std::string where = name + ":" + std::to_string(number) + ": ";
        auto record = pcscf::parse_call_record(line);
        if (!record) return make_error(record.error().code, where + record.error().message);
        GenSession s;
        s.call_index = record->call_index.value_or(sessions.size());
        s.session_id = record->session_id;
        s.ue = record->ue;
        s.core = record->core;
        s.msf_access = record->msf_access;
        s.msf_core = record->msf_core;
        s.suite = record->suite;
        auto from_ue = pcscf::record_media_keys(*record, keying::Direction::ue_to_network);
        if (!from_ue) return make_error(from_ue.error().code, where + "UE->network key: " + from_ue.error().message);
        auto to_ue = pcscf::record_media_keys(*record, keying::Direction::network_to_ue);
        if (!to_ue) return make_error(to_ue.error().code, where + "network->UE key: " + to_ue.error().message);
        s.from_ue = std::move(from_ue.value());
        s.to_ue = std::move(to_ue.value());
        if (s.ue.addr.family != s.msf_access.addr.family || s.core.addr.family != s.msf_core.addr.family)
            return make_error(ErrorCode::malformed, where + "a leg mixes IPv4 and IPv6");
        sessions.push_back(std::move(s));
    }
    if (sessions.empty()) return make_error(ErrorCode::malformed, name + ": no call records");
    std::stable_sort(sessions.begin(), sessions.end(),
                     [](const GenSession& x, const GenSession& y) { return x.call_index < y.call_index; });
    for (size_t i = 1; i < sessions.size(); ++i)
        if (sessions[i].call_index == sessions[i - 1].call_index)
            return make_error(ErrorCode::malformed,
                              name + ": call_index " + std::to_string(sessions[i].call_index) + " appears twice");
    return sessions;
}

keying::Expected<std::vector<GenSession>> load_calls(const std::string& path) {
    std::ifstream in(path);
    if (!in) return make_error(ErrorCode::malformed, path + ": cannot be read");
    return read_calls(in, path);
}

uint64_t calls_fingerprint(const std::vector<GenSession>& sessions) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const GenSession& s : sessions) {
        for (const char c : s.session_id) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull;  // separator: ("ab","c") differs from ("a","bc")
    }
    return h;
}

keying::Expected<std::vector<HairpinPair>> hairpin_pairs(const std::vector<GenSession>& sessions) {
    std::unordered_map<uint64_t, size_t> by_index;
    for (size_t i = 0; i < sessions.size(); ++i) by_index[sessions[i].call_index] = i;
    std::vector<HairpinPair> pairs;
    for (size_t i = 0; i < sessions.size(); ++i) {
        const uint64_t index = sessions[i].call_index;
        if (index % 2 != 0) {
            if (!by_index.contains(index - 1))
                return make_error(ErrorCode::malformed, "call " + std::to_string(index) + " has no hairpin partner " +
                                                            std::to_string(index - 1));
            continue;
        }
        const auto partner = by_index.find(index + 1);
        if (partner == by_index.end()) {
            if (i + 1 == sessions.size()) break;  // an odd last call: left out
            return make_error(ErrorCode::malformed,
                              "call " + std::to_string(index) + " has no hairpin partner " + std::to_string(index + 1));
        }
        const GenSession& a = sessions[i];
        const GenSession& b = sessions[partner->second];
        if (!(b.from_ue == a.to_ue))
            return make_error(ErrorCode::malformed, "call " + std::to_string(index + 1) +
                                                        "'s UE->network key is not call " + std::to_string(index) +
                                                        "'s network->UE key (make the calls with msf-pcscf --hairpin-pairs)");
        if (a.ue.addr.family != b.ue.addr.family || a.core.addr.family != b.core.addr.family)
            return make_error(ErrorCode::malformed,
                              "calls " + std::to_string(index) + " and " + std::to_string(index + 1) + " differ in IP family");
        pairs.push_back({i, partner->second});
    }
    if (pairs.empty()) return make_error(ErrorCode::malformed, "no hairpin pair: needs at least two calls");
    return pairs;
}

}  // namespace msf::gen
