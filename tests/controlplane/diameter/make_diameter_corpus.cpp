// make-diameter-corpus DIR: writes the seed corpus of diameter_decode_fuzz (one file per sample
// message, a stream of several, the Kamailio-style frames of the tests) to DIR.
// `ninja -C build diameter-corpus` rewrites tests/fuzz/corpus/diameter_decode/.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/controlplane/diameter/kamailio_frames.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

using namespace msf::diameter;
using namespace msf::diameter::testing;

namespace {

bool write(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    return out.good();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    bool ok = true;
    std::vector<uint8_t> stream;
    for (const NamedMessage& sample : sample_messages()) {
        const std::vector<uint8_t> frame = sample.message.encode();
        ok &= write(dir + "/" + std::string(sample.name), frame);
        if (sample.name == "CER" || sample.name == "DWR" || sample.name == "AAR" ||
            sample.name == "STR")
            stream.insert(stream.end(), frame.begin(), frame.end());
    }
    ok &= write(dir + "/stream-cer-dwr-aar-str", stream);
    // The fuzz target's second input form: flags, command and application, then AVP bytes.
    const std::vector<uint8_t> aar = sample_aar().encode();
    std::vector<uint8_t> forged(aar.begin() + 4, aar.begin() + 12);
    forged.insert(forged.end(), aar.begin() + static_cast<std::ptrdiff_t>(kHeaderSize), aar.end());
    ok &= write(dir + "/forged-header-aar", forged);
    // An error answer with the E bit and a Failed-AVP, as a peer sends one back.
    Message bad = sample_aar();
    bad.add_raw(1234, kAvpFlagVendor | kAvpFlagMandatory, 99999, std::vector<uint8_t>{1, 2, 3});
    const auto invalid = validate(bad);
    if (invalid)
        ok &= write(dir + "/error-answer-5001",
                    error_answer(bad, *invalid, kMsfHost, kMsfRealm).encode());
    ok &= write(dir + "/kamailio-cer", from_hex(kKamailioCerHex));
    ok &= write(dir + "/kamailio-aar", from_hex(kKamailioAarHex));
    ok &= write(dir + "/kamailio-str", from_hex(kKamailioStrHex));
    ok &= write(dir + "/kamailio-asa", from_hex(kKamailioAsaHex));
    if (!ok) {
        std::fprintf(stderr, "%s: cannot write into %s\n", argv[0], dir.c_str());
        return 1;
    }
    return 0;
}
