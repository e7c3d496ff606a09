// The Wireshark Diameter dictionary fragment for the MSF vendor AVPs, generated from kAvps so the
// two cannot disagree. config/wireshark/msf-dictionary.xml is this text for the default vendor id
// (`ninja -C build wireshark-dictionary` rewrites it; a test checks it is current). Wireshark loads
// it as an entity of its diameter/dictionary.xml (tests/controlplane/diameter/tshark_check.py shows
// how).
#pragma once

#include <cstdint>
#include <string>

#include "controlplane/diameter/dictionary.hpp"

namespace msf::diameter {

// A <vendor> element (wireshark/diameter/dictionary.dtd) with every Vendor::msf AVP of kAvps: type,
// flag rules, enumeration values, and for grouped AVPs the AVPs their rules name.
std::string wireshark_dictionary_xml(uint32_t msf_vendor_id = kMsfVendorId);

}  // namespace msf::diameter
