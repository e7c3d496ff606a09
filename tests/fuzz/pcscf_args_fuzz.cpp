// libFuzzer target for msf-pcscf's command line. The input is argv: arguments separated by NUL
// bytes.
//
// Checked beyond "does not crash": an error is one line with exit code 1 or 2; parsed options are
// in range (at least one UE, concurrency 1..65536, even media base ports with room for RTCP,
// both bases of one IP family).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "controlplane/pcscf/pcscf_options.hpp"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "pcscf_args_fuzz: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace msf::pcscf;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> args;
    for (size_t start = 0; start <= input.size() && args.size() < 64;) {
        const size_t end = input.find('\0', start);
        args.push_back(input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    const auto parsed = parse_pcscf_args(args);
    if (const auto* e = std::get_if<PcscfUsageError>(&parsed)) {
        check(e->exit_code == 1 || e->exit_code == 2, "exit code is neither 1 nor 2");
        check(!e->message.empty() && e->message.find('\n') == std::string_view::npos, "usage error is not one line");
        return 0;
    }
    if (std::holds_alternative<PcscfHelpRequest>(parsed)) return 0;
    const PcscfOptions& o = std::get<PcscfOptions>(parsed);
    check(o.ues >= 1 && o.concurrency >= 1 && o.concurrency <= 65536, "count out of range");
    check(o.msf.port != 0 && o.timeout_ms >= 1, "no usable MSF address or timeout");
    for (const auto* base : {&o.ue_base, &o.core_base})
        check(base->port % 2 == 0 && base->port >= 1024 && base->port <= 65532, "media base port out of range");
    check(o.ue_base.addr.family == o.core_base.addr.family, "media bases of two families");
    check(o.rate >= 0, "negative rate");
    return 0;
}
