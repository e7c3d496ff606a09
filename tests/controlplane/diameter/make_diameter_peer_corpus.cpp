// make-diameter-peer-corpus DIR: writes the seed corpus of diameter_peer_fuzz to DIR. Each file is
// one byte (low bit set: a valid CER of the configured peer goes first) and the bytes a peer then
// sends. `ninja -C build diameter-peer-corpus` rewrites tests/fuzz/corpus/diameter_peer/.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/controlplane/diameter/kamailio_frames.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

using namespace msf::diameter;
using namespace msf::diameter::testing;

namespace {

bool write(const std::string& path, uint8_t first, const std::vector<std::vector<uint8_t>>& frames) {
    std::vector<uint8_t> bytes{first};
    for (const auto& frame : frames) bytes.insert(bytes.end(), frame.begin(), frame.end());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return out.good();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    constexpr uint8_t kWithCer = 1;
    constexpr uint8_t kRaw = 0;
    Message no_realm = Message::request(cmd::aar);
    no_realm.add(avp::session_id, "s;1").add(avp::auth_application_id, app::rx)
        .add(avp::origin_host, kPcscfHost).add(avp::origin_realm, kPcscfRealm);
    std::vector<uint8_t> version2 = sample_dwr().encode();
    version2[0] = 2;
    Message stranger_cer = Message::request(cmd::cer);
    stranger_cer.add(avp::origin_host, "stranger.example.net").add(avp::origin_realm, kPcscfRealm)
        .add(avp::vendor_id, 0u).add(avp::product_name, "x").add(avp::auth_application_id, app::rx);

    bool ok = true;
    ok &= write(dir + "/dwr", kWithCer, {sample_dwr().encode()});
    ok &= write(dir + "/aar-str", kWithCer, {sample_aar().encode(), sample_str().encode()});
    ok &= write(dir + "/answers", kWithCer, {sample_raa().encode(), sample_asa().encode(), sample_dwa().encode()});
    ok &= write(dir + "/dpr", kWithCer, {sample_dpr().encode()});
    ok &= write(dir + "/invalid-request", kWithCer, {no_realm.encode()});
    ok &= write(dir + "/version-2", kWithCer, {version2});
    ok &= write(dir + "/cer-again", kWithCer, {sample_cer().encode()});
    ok &= write(dir + "/kamailio", kRaw,
                {from_hex(kKamailioCerHex), from_hex(kKamailioAarHex), from_hex(kKamailioStrHex)});
    ok &= write(dir + "/unknown-peer", kRaw, {stranger_cer.encode()});
    ok &= write(dir + "/dwr-first", kRaw, {sample_dwr().encode()});
    return ok ? 0 : 1;
}
