// libFuzzer target for the RFC 4568 a=crypto parser (controlplane/keying/sdes.hpp): the text a
// UE, a peer or Kamailio's Codec-Data can put in an SDP. Input: the line, as is.
//
// Checked beyond "does not crash": a failure has a known code and a message that starts with
// "a=crypto: "; whatever parses is valid, formats to a line that parses to an equal attribute,
// and that line is canonical (formatting it again gives the same text). base64_decode is strict:
// what it accepts encodes back to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "controlplane/keying/sdes.hpp"

namespace {

using namespace msf::keying;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "sdes_parse_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto decoded = base64_decode(text)) {
        if (base64_encode(*decoded) != text) fail("base64 decode accepted a non-canonical text", std::string(text));
    }

    auto parsed = parse_crypto_attribute(text);
    if (!parsed) {
        const KeyingError& e = parsed.error();
        if (e.code != ErrorCode::malformed && e.code != ErrorCode::unknown_suite && e.code != ErrorCode::too_large)
            fail("unexpected error code", e.message);
        if (e.message.rfind("a=crypto: ", 0) != 0 || e.message.size() <= 10) fail("error without its prefix", e.message);
        return 0;
    }
    if (!validate_crypto_attribute(*parsed)) fail("parsed attribute does not validate", format_crypto_line(*parsed));
    const std::string line = format_crypto_line(*parsed);
    if (line.size() > text.size() + 9) fail("formatted line longer than its input", line);
    auto again = parse_crypto_attribute(line);
    if (!again) fail("formatted line does not parse", again.error().message + " in " + line);
    if (!(*again == *parsed)) fail("formatted line parses to another attribute", line);
    if (format_crypto_line(*again) != line) fail("formatting is not canonical", line);
    for (size_t i = 0; i < parsed->keys.size(); ++i) {
        auto keys = media_keys(*parsed, i);
        if (!keys) fail("media_keys failed on a parsed key", keys.error().message);
        if (parsed->keys[i].mki && parsed->keys[i].mki->bytes().size() != parsed->keys[i].mki->length)
            fail("MKI bytes of the wrong length", line);
    }
    return 0;
}
