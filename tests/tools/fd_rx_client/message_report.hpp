// One JSON object (one line) per Diameter message the client sends or receives, so a test can
// read every exchange:
//
//   {"direction":"received","command":"AAA","code":265,"application_id":16777236,"flags":"P",
//    "hop_by_hop":..,"end_to_end":..,"peer":"msf.test","session_id":"pcscf.test;...",
//    "auth_application_id":[16777236],"origin_host":"msf.test","origin_realm":"test",
//    "result_code":2001,
//    "msf_media_address":[{"media_component_number":1,"msf_access_address":"192.0.2.10",
//                          "msf_access_port":20000,...}],
//    "msf_media_protection":[{"msf_direction":1,"msf_crypto_suite":"AES_CM_128_HMAC_SHA1_80",
//                             "msf_master_key":"<hex>","msf_master_salt":"<hex>"}]}
//
// AVPs of rx_dictionary.hpp's kAvps appear under json_key(name); those that may repeat (the
// table says which) as arrays, grouped ones as objects. OctetStrings are hex, Addresses text.
// Failed-AVP shows the codes of what it holds ({"avps":[{"code","vendor_id"}]}), not values.
// Anything else lands in "unknown_avps" ({"code","vendor_id","flags"}); a non-repeating AVP given
// more than once is named in "repeated_avps" (the value shown is the last).
#pragma once

#include <string>
#include <string_view>

#include "tests/tools/fd_rx_client/rx_dictionary.hpp"

namespace msf::fdrx {

// The message must be dictionary-parsed (fd_msg_parse_dict) for its values to show; unparsed
// values print as null. peer may be empty.
std::string message_json(struct msg* message, const RxDictionary& dict, std::string_view direction,
                         std::string_view peer);

// fd_msg_browse for C++ (the macro's void* does not convert to void**): the first child
// (MSG_BRW_FIRST_CHILD) or next sibling (MSG_BRW_NEXT) AVP, or nullptr.
struct avp* browse_avp(msg_or_avp* reference, enum msg_brw_dir direction);

}  // namespace msf::fdrx
