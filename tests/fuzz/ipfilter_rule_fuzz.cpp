// libFuzzer target for the IPFilterRule parser (controlplane/diameter/ip_filter_rule.hpp): the text
// of a Flow-Description a peer sends.
//
// Checked beyond "does not crash": a failure is DIAMETER_INVALID_AVP_VALUE with a message naming
// IPFilterRule; a rule that parses formats to text that parses to the same rule, and formatting
// that again gives the same text (the canonical form is a fixed point). The text with every
// space doubled, which only the word-by-word parser reads (the one-pass reader of the common
// form takes single spaces), gives the same rule or the same error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "controlplane/diameter/ip_filter_rule.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "ipfilter_rule_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace msf::diameter;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto rule = parse_ip_filter_rule(text);
    std::string spaced;
    for (const char c : text) {
        spaced.push_back(c);
        if (c == ' ') spaced.push_back(' ');
    }
    if (spaced.size() <= kMaxFilterRuleLength) {
        const auto by_words = parse_ip_filter_rule(spaced);
        if (by_words.ok() != rule.ok()) fail("doubled spaces change whether it parses", std::string(text));
        if (rule.ok() && !(*by_words == *rule)) fail("doubled spaces give another rule", std::string(text));
        if (!rule.ok() && by_words.error().message != rule.error().message)
            fail("doubled spaces give another error", std::string(text));
    }
    if (!rule) {
        if (rule.error().result_code != ResultCode::invalid_avp_value)
            fail("unexpected code", rule.error().message);
        if (rule.error().message.rfind("IPFilterRule: ", 0) != 0)
            fail("message does not say what", rule.error().message);
        return 0;
    }
    const std::string canonical = to_string(*rule);
    const auto again = parse_ip_filter_rule(canonical);
    if (!again) fail("canonical text does not parse", canonical + ": " + again.error().message);
    if (!(*again == *rule)) fail("canonical text parses to another rule", canonical);
    if (to_string(*again) != canonical) fail("canonical text is not a fixed point", canonical);
    return 0;
}
