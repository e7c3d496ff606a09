// intel-ipsec-mb without its pre-1.0 compatibility macros (they define SHA1, AES_128_BYTES and
// others that collide with OpenSSL and with our names).
#pragma once

#ifndef NO_COMPAT_IMB_API_053
#define NO_COMPAT_IMB_API_053
#endif
#include <intel-ipsec-mb.h>

namespace msf::srtp {
// This thread's ipsec-mb manager for one-off work (key schedules, HMAC states, the KDF), set up
// for the best code path of this CPU; null if ipsec-mb could not allocate one.
IMB_MGR* thread_imb_mgr();
}  // namespace msf::srtp
