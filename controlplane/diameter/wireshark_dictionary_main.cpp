// msf-diameter-wireshark-dictionary [FILE] [VENDOR_ID]: writes the Wireshark dictionary fragment of
// the MSF vendor AVPs to FILE (standard output without one), for the given vendor id (default
// 32473).
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string_view>

#include "controlplane/diameter/wireshark_dictionary.hpp"

int main(int argc, char** argv) {
    uint32_t vendor = msf::diameter::kMsfVendorId;
    if (argc > 2) {
        const std::string_view text(argv[2]);
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), vendor);
        if (ec != std::errc() || end != text.data() + text.size()) {
            std::fprintf(stderr, "usage: %s [FILE] [VENDOR_ID]\n", argv[0]);
            return 2;
        }
    }
    const std::string xml = msf::diameter::wireshark_dictionary_xml(vendor);
    if (argc < 2) {
        std::cout << xml;
        return 0;
    }
    std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
    out << xml;
    if (!out.good()) {
        std::fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
        return 1;
    }
    return 0;
}
