// Human-readable Diameter messages for msfctl and the logs, named from the dictionary:
//
//   AAR (AA-Request) 265, flags R P, application 16777236 (3GPP Rx), hop-by-hop 0x00000001, ...
//     Session-Id (263) M: "pcscf.example;1;2"
//     Media-Component-Description (517/10415) V M:
//       Media-Component-Number (518/10415) V M: 1
//       Media-Type (520/10415) V M: AUDIO (0)
//     MSF-Media-Protection (1001/32473) V:
//       MSF-Master-Key (1004/32473) V: <hidden, 16 bytes>
//     AVP 99/12345 V: 0x0102 (2 bytes)
//
// Text is quoted with C escapes (control and non-ASCII bytes as \xNN), so a log line cannot be
// broken or a terminal driven by what a peer sent. Keys (MSF-Master-Key, MSF-Master-Salt,
// MSF-SDES-Crypto) are hidden unless the caller asks to reveal them.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "controlplane/diameter/message.hpp"

namespace msf::diameter {

struct PrettyOptions {
    bool reveal_secrets = false;
    size_t max_hex_bytes = 64;  // unknown and binary data beyond this is elided
};

// One line for the header, one per AVP (groups indented by two spaces per level), '\n' after each.
std::string pretty(const Message& message, const PrettyOptions& options = {});

// A frame as received: pretty() if it decodes, else its header and the decode error (no body
// bytes, which could hold keys).
std::string pretty_frame(std::span<const uint8_t> frame, const CodecConfig& config = {},
                         const PrettyOptions& options = {});

}  // namespace msf::diameter
