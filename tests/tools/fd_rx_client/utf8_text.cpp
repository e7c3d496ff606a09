#include "tests/tools/fd_rx_client/utf8_text.hpp"

#include <cstdint>

namespace msf::fdrx {

std::string printable_utf8(std::string_view bytes) {
    // RFC 3629 §4: the shortest forms only, no surrogates, nothing above U+10FFFF.
    std::string out;
    out.reserve(bytes.size());
    size_t i = 0;
    while (i < bytes.size()) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        // Sequence length, the smallest code point it may encode, and the lead byte's bits.
        size_t len = 0;
        uint32_t min = 0;
        uint32_t cp = 0;
        if (b < 0x80) {
            len = 1;
            cp = b;
        } else if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
            min = 0x80;
            cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            min = 0x800;
            cp = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            min = 0x10000;
            cp = b & 0x07;
        }
        bool ok = len > 0 && i + len <= bytes.size();
        for (size_t k = 1; ok && k < len; ++k) {
            const auto cb = static_cast<unsigned char>(bytes[i + k]);
            ok = (cb & 0xC0) == 0x80;
            cp = cp << 6 | (cb & 0x3F);
        }
        ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        if (ok) {
            out.append(bytes.substr(i, len));
            i += len;
        } else {
            out.push_back('?');
            ++i;
        }
    }
    return out;
}

}  // namespace msf::fdrx
