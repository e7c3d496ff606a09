// One SHA-1 compression from the initial state: what HMAC-SHA1 needs to precompute its inner
// and outer states (the key XOR ipad / opad block) for ipsec-mb's HMAC jobs.
#pragma once

#include <cstdint>

namespace msf::srtp {

// The five state words after compressing `block` (64 bytes) from SHA-1's initial value, in
// host order: the layout ipsec-mb's IMB_SHA1_ONE_BLOCK writes and its HMAC jobs read.
void sha1_block_state(const uint8_t* block, uint8_t* state);

}  // namespace msf::srtp
