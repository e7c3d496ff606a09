// libFuzzer target for what msf-pcscf reads from the MSF's answers: a Diameter frame decoded,
// then read as an AAA and as an STA.
//
// Checked beyond "does not crash": a successful AAA's MSF addresses have ports 1..65535 and its
// generated keys have their suite's lengths.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "controlplane/diameter/message.hpp"
#include "controlplane/pcscf/rx_call.hpp"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "pcscf_answer_fuzz: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto decoded = msf::diameter::decode(std::span<const uint8_t>(data, size));
    if (!decoded) return 0;
    auto aaa = msf::pcscf::read_aaa(*decoded);
    if (aaa && aaa->success()) {
        for (const auto& a : aaa->addresses) check(a.access.port != 0 && a.core.port != 0, "MSF address with port 0");
        for (const auto& k : aaa->to_ue_keys) {
            const auto& info = msf::srtp::suite_info(k.keys.suite);
            check(k.keys.master_key.size() == info.key_len && k.keys.master_salt.size() == info.salt_len,
                  "generated key of the wrong length");
        }
    }
    (void)msf::pcscf::read_sta(*decoded);
    return 0;
}
