// The input format of api_decode_fuzz, shared with its seed corpus generator
// (make_api_corpus.cpp).
//
// Input:   [mode] rest...
//   mode even: rest is a byte stream as a server reads it: split into frames with check_frame
//              and decode each whole frame, until the stream ends or its framing is invalid.
//   mode odd:  rest is [type hi] [type lo] body: decode_body of that raw type.
#pragma once

#include <cstdint>

namespace msf::api::fuzz {

inline constexpr uint8_t kModeStream = 0;
inline constexpr uint8_t kModeBody = 1;

}  // namespace msf::api::fuzz
