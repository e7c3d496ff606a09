// libFuzzer target for msf-gen --serve's request lines (bench/gen/trial_request.hpp): untrusted
// text from stdin, parsed as JSON and checked field by field.
//
// Checked beyond "does not crash": an accepted request's settings are inside the command line's
// limits, and the error line for a refused one is a single line of JSON holding the message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bench/gen/payload.hpp"
#include "bench/gen/trial_request.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "gen_trial_request_fuzz: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace msf::gen;
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const TrialSettings defaults{1000, 172, 5, 1};
    const auto request = parse_trial_request(line, defaults);
    if (request.ok()) {
        const TrialSettings& t = *request;
        if (!(t.rate >= 0 && t.rate <= kMaxRatePps)) fail("rate out of range accepted");
        if (t.size < kMinPayloadLen || t.size > kMaxPayloadLen) fail("size out of range accepted");
        if (!(t.duration_s > 0 && t.duration_s <= kMaxTrialSeconds)) fail("duration out of range accepted");
        if (!(t.warmup_s >= 0 && t.warmup_s <= kMaxTrialSeconds)) fail("warmup out of range accepted");
        return 0;
    }
    if (request.error().message.empty()) fail("an error without a message");
    const std::string answer = format_trial_error(request.error().message);
    if (answer.find('\n') != std::string::npos) fail("error answer spans lines");
    const auto parsed = nlohmann::json::parse(answer, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("error") || !parsed["error"].is_string())
        fail("error answer is not {\"error\": string}");
    return 0;
}
