#include "bench/gen/trial_request.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "bench/gen/payload.hpp"

namespace msf::gen {

namespace {

keying::KeyingError bad(std::string message) {
    return keying::make_error(keying::ErrorCode::invalid_argument, std::move(message));
}

// A JSON number that is not a boolean (nlohmann keeps them apart), finite.
bool read_number(const nlohmann::json& value, double* out) {
    if (!value.is_number()) return false;
    *out = value.get<double>();
    return std::isfinite(*out);
}

}  // namespace

TrialSettings trial_settings(const GenOptions& options) {
    return TrialSettings{options.rate, options.size, options.duration_s, options.warmup_s};
}

keying::Expected<TrialSettings> parse_trial_request(std::string_view line, const TrialSettings& defaults) {
    if (line.size() > kMaxRequestLine)
        return make_error(keying::ErrorCode::too_large,
                          "request longer than " + std::to_string(kMaxRequestLine) + " bytes");
    // No exceptions: a parse error is the discarded value.
    const nlohmann::json request = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (request.is_discarded()) return make_error(keying::ErrorCode::malformed, "request is not JSON");
    if (!request.is_object()) return make_error(keying::ErrorCode::malformed, "request is not a JSON object");
    TrialSettings out = defaults;
    for (const auto& [key, value] : request.items()) {
        double number = 0;
        if (key == "rate") {
            if (!read_number(value, &number) || number < 0 || number > kMaxRatePps)
                return bad("rate: not a number of packets/s 0..1e9");
            out.rate = number;
        } else if (key == "size") {
            if (!value.is_number_integer() || value.get<int64_t>() < static_cast<int64_t>(kMinPayloadLen) ||
                value.get<int64_t>() > static_cast<int64_t>(kMaxPayloadLen))
                return bad("size: not a whole number of bytes 36..1400");
            out.size = static_cast<uint32_t>(value.get<int64_t>());
        } else if (key == "duration") {
            if (!read_number(value, &number) || number <= 0 || number > kMaxTrialSeconds)
                return bad("duration: not a number of seconds above 0, at most 86400");
            out.duration_s = number;
        } else if (key == "warmup") {
            if (!read_number(value, &number) || number < 0 || number > kMaxTrialSeconds)
                return bad("warmup: not a number of seconds 0..86400");
            out.warmup_s = number;
        } else {
            // The key is untrusted text: quoted by the JSON encoder, cut to a readable length.
            return bad("unknown key " + nlohmann::json(key.substr(0, 64)).dump(-1, ' ', true,
                                                                                nlohmann::json::error_handler_t::replace) +
                       " (rate, size, duration, warmup)");
        }
    }
    return out;
}

std::string format_trial_error(std::string_view message) {
    return nlohmann::json{{"error", std::string(message)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace msf::gen
