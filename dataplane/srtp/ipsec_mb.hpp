// intel-ipsec-mb without its pre-1.0 compatibility macros (they define SHA1, AES_128_BYTES and
// others that collide with OpenSSL and with our names).
#pragma once

#ifndef NO_COMPAT_IMB_API_053
#define NO_COMPAT_IMB_API_053
#endif
#include <intel-ipsec-mb.h>

#include <cstddef>
#include <cstdint>

namespace msf::srtp {
// This thread's ipsec-mb manager for one-off work (key schedules, HMAC states, the KDF), set up
// for the best code path of this CPU; null if ipsec-mb could not allocate one.
IMB_MGR* thread_imb_mgr();

// The AES encryption key schedule alone (key_len 16 or 32), on the code path of `mgr`'s
// architecture. CTR, ECB and HMAC-keyed contexts never use the decryption schedule that
// IMB_AES_KEYEXP_* computes alongside it; ipsec-mb offers the encryption-only expansion only
// as per-architecture functions, without a manager entry.
void aes_enc_schedule(IMB_MGR* mgr, const uint8_t* key, size_t key_len, void* enc);
}  // namespace msf::srtp
