// libFuzzer target for msf-pcscf's calls-out records (what a UE simulator reads).
//
// Checked beyond "does not crash": a record that parses formats to a line that parses to the
// same record, and its SA derives a media key.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "controlplane/pcscf/call_record.hpp"
#include "controlplane/pcscf/ue_security.hpp"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "call_record_parse_fuzz: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace msf::pcscf;
    auto record = parse_call_record(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!record) return 0;
    const std::string line = format_call_record(*record);
    auto again = parse_call_record(line);
    check(again.ok(), "a formatted record does not parse");
    check(format_call_record(*again) == line, "formatting is not canonical");
    auto keys = ue_media_keys(record->ue_sa, record->call_id, record->media_index, msf::keying::Direction::ue_to_network,
                              record->suite);
    check(keys.ok(), "a parsed record's SA derives no key");
    return 0;
}
