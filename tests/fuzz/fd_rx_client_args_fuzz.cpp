// libFuzzer target for msf-fd-rx-client's command line and what it builds from it without
// freeDiameter. The input is argv: arguments separated by NUL bytes.
//
// Checked beyond "does not crash": an error is one line with exit code 1 or 2; a parsed command
// line gives a freeDiameter configuration whose quoted strings hold no quote, backslash or line
// break; every AAR spec gives permit rules naming UDP, two Codec-Data values with their TS 29.214
// §5.3.7 header lines, and keys of exactly their suite's lengths. The whole input also goes
// through the spec parser, the Address decoder and the UTF-8 filter of the JSON output (whose
// result keeps the length and is stable: filtering it again changes nothing).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tests/tools/fd_rx_client/client_args.hpp"
#include "tests/tools/fd_rx_client/fd_config.hpp"
#include "tests/tools/fd_rx_client/rx_media.hpp"
#include "tests/tools/fd_rx_client/utf8_text.hpp"

namespace {

using namespace msf::fdrx;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fd_rx_client_args_fuzz: %s\n", what);
        std::abort();
    }
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

void check_keys(const std::optional<DirectionKeys>& keys) {
    if (!keys) return;
    const msf::srtp::SuiteInfo& info = msf::srtp::suite_info(keys->suite);
    check(keys->key.size() == info.key_len, "master key length is not the suite's");
    check(keys->salt.size() == info.salt_len, "master salt length is not the suite's");
}

void check_spec(const SessionSpec& spec) {
    check(!spec.ue.empty() && !spec.core.empty(), "spec without both endpoints");
    check(spec.ue.addr.family == spec.core.addr.family, "spec mixes IP families");
    for (const SubComponent& sub : media_sub_components(spec))
        for (const std::string& rule : sub.flow_descriptions)
            check(rule.rfind("permit out 17 from ", 0) == 0 || rule.rfind("permit in 17 from ", 0) == 0,
                  "flow description is not a UDP permit rule");
    const auto codec = codec_data(spec);
    check(codec[0].rfind("uplink\noffer\nm=", 0) == 0, "offer Codec-Data header");
    check(codec[1].rfind("downlink\nanswer\nm=", 0) == 0, "answer Codec-Data header");
    check(codec[0].find("a=crypto:") == std::string::npos || spec.sdes.has_value(), "a=crypto without keys");
    check_keys(spec.sdes);
    check_keys(spec.from_ue);
    check_keys(spec.to_ue);
    const auto address = diameter_address(spec.ue.addr);
    check(parse_diameter_address(address) == spec.ue.addr, "Address does not round-trip");
}

// Every "..." in the configuration text: none may hold a character that ends or escapes it.
void check_config(const std::string& text) {
    bool in_quotes = false;
    for (const char c : text) {
        if (c == '"') in_quotes = !in_quotes;
        else if (in_quotes) check(c != '\\' && c != '\n' && c != '\r' && c != '\0', "config string breaks out");
    }
    check(!in_quotes, "unbalanced quotes in the config");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    std::vector<std::string_view> args;
    for (size_t start = 0; start <= input.size() && args.size() < 64;) {
        const size_t end = input.find('\0', start);
        args.push_back(input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    const ClientParse parsed = parse_client_args(args);
    if (const auto* e = std::get_if<UsageError>(&parsed)) {
        check(e->exit_code == 1 || e->exit_code == 2, "exit code is neither 1 nor 2");
        check(one_line(e->message), "usage error is not one line");
    } else if (const auto* o = std::get_if<ClientOptions>(&parsed)) {
        check(is_diameter_identity(o->identity) && is_diameter_identity(o->peer), "identity not checked");
        check(o->tw_s >= 6, "Tw below freeDiameter's minimum");
        check_config(fd_config_text(*o));
        for (size_t i = 0; i < o->actions.size(); ++i) {
            const Action& a = o->actions[i];
            if (a.kind == ActionKind::aar || a.kind == ActionKind::aar_update) check_spec(a.spec);
            check(a.kind != ActionKind::dpr || i + 1 == o->actions.size(), "--dpr not last");
        }
    }

    const auto spec = parse_session_spec(input);
    if (spec.ok()) check_spec(spec.value());
    else check(one_line(spec.error()), "spec error is not one line");
    const auto address = parse_diameter_address({data, size});
    if (address)
        check(diameter_address(*address) == std::vector<uint8_t>(data, data + size), "Address re-encodes differently");
    const std::string text = printable_utf8(input);
    check(text.size() == input.size(), "UTF-8 filter changed the length");
    check(printable_utf8(text) == text, "UTF-8 filter is not stable");
    return 0;
}
