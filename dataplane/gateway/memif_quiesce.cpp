#include "dataplane/gateway/memif_quiesce.hpp"

#include <rte_interrupts.h>
#include <rte_rcu_qsbr.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace msf::dp {
namespace {
std::atomic<rte_rcu_qsbr*> g_workers{nullptr};
}  // namespace

void set_memif_quiesce(rte_rcu_qsbr* qsbr) { g_workers.store(qsbr, std::memory_order_release); }

}  // namespace msf::dp

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MSF_NO_MUNMAP_GUARD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MSF_NO_MUNMAP_GUARD 1
#endif

#ifndef MSF_NO_MUNMAP_GUARD
extern "C" int munmap(void* addr, size_t length) noexcept {
    rte_rcu_qsbr* workers = msf::dp::g_workers.load(std::memory_order_acquire);
    if (workers && rte_thread_is_intr()) rte_rcu_qsbr_synchronize(workers, RTE_QSBR_THRID_INVALID);
    return static_cast<int>(syscall(SYS_munmap, addr, length));
}
#endif
