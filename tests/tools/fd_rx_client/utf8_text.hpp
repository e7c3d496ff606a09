// Text from the peer (UTF8String, DiameterIdentity, IPFilterRule AVPs, freeDiameter's reasons) as
// it may go into the JSON output: a reader that decodes UTF-8 strictly must not fail on it.
#pragma once

#include <string>
#include <string_view>

namespace msf::fdrx {

// Valid UTF-8 (RFC 3629 §4) kept as it is; every byte of an invalid sequence replaced by '?'.
std::string printable_utf8(std::string_view bytes);

}  // namespace msf::fdrx
