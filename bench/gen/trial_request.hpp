// One trial request of `msf-gen --serve` (bench/gen/README.md): a JSON object on one line of
// stdin, for example {"rate": 250000, "duration": 2.0, "warmup": 0.5, "size": 172}. Every field
// is optional (absent: the command line's value) and checked against the command line's limits;
// anything else (not JSON, not an object, a wrong type, a value out of range, an unknown key, an
// over-long line) is an error naming what was wrong, answered with one {"error": ...} line, and
// the server goes on with the next line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/gen/gen_options.hpp"
#include "controlplane/keying/expected.hpp"

namespace msf::gen {

// A request line longer than this is refused without being parsed (its text is untrusted).
inline constexpr size_t kMaxRequestLine = 4096;

// What one trial runs with: the request's fields over the command line's.
struct TrialSettings {
    double rate = 0;        // offered packets/s in total; 0: as fast as possible
    uint32_t size = 0;      // UDP payload bytes incl. the RTP header
    double duration_s = 0;  // counted seconds, > 0
    double warmup_s = 0;    // seconds sent before counting
    bool operator==(const TrialSettings&) const = default;
};

TrialSettings trial_settings(const GenOptions& options);

keying::Expected<TrialSettings> parse_trial_request(std::string_view line, const TrialSettings& defaults);

// {"error": message} on one line (no newline), the answer to a request that cannot run.
std::string format_trial_error(std::string_view message);

}  // namespace msf::gen
