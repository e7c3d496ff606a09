// libFuzzer target for msfctl's printing of results it did not check: the input is the result
// object of an ok response (anything at all), printed as every command's text and as --json.
//
// Checked beyond "does not crash": no printer throws, text is whole lines without a control
// character a terminal would act on, and --json is one line of JSON that prints back the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "controlplane/cli/msfctl_output.hpp"
#include "controlplane/cli/protocol.hpp"

namespace {

using namespace msf::cli;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "msfctl_output_fuzz: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Through msfctl's own response parser, so the nesting and size limits apply as they do there.
    const std::string line = "{\"id\":1,\"ok\":true,\"result\":" + std::string(input) + "}";
    const auto response = parse_response(line);
    if (!response) return 0;
    const nlohmann::json& result = response->response.result;
    try {
        for (const CommandInfo& info : kCommands) {
            const std::string text = result_text(info.command, result);
            check(!text.empty() && text.back() == '\n', "text does not end in a newline");
            for (const char ch : text) {
                const auto c = static_cast<unsigned char>(ch);
                check(c == '\n' || (c >= 0x20 && c != 0x7f), "control character in text");
            }
        }
        const std::string json = result_json(result);
        check(json.back() == '\n' && json.find('\n') == json.size() - 1, "--json is not one line");
        // Compared as text: a number beyond double range parses as infinity and prints as null.
        check(nlohmann::json::parse(json).dump() + "\n" == json, "--json does not parse back to itself");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msfctl_output_fuzz: threw %s\n", e.what());
        std::abort();
    }
    return 0;
}
