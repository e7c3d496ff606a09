// A net_memif peer that disconnects must not crash the gateway.
//
// DPDK 22.11's memif PMD handles a peer's disconnect on the EAL interrupt thread
// (memif_intr_handler -> memif_disconnect): it clears the port's CONNECTED flag and then unmaps the
// shared regions at once, while a worker lcore may still be inside eth_memif_rx/tx reading the
// rings it just checked were connected. The worker then faults (SIGSEGV in librte_net_memif).
//
// msf-dataplane therefore defines munmap() itself (exported, so the dlopen'ed PMD binds to it):
// on the interrupt thread, while workers run, it first waits for every worker to pass a quiescent
// state (RCU QSBR, which each worker reports after every poll iteration). Any burst that started
// before the flag was cleared has then finished, and any later one sees the port disconnected and
// returns at once; only then are the regions unmapped. munmap from any other thread is the plain
// system call. (Not built under AddressSanitizer, whose runtime intercepts munmap itself.)
#pragma once

struct rte_rcu_qsbr;

namespace msf::dp {

// Workers report to `qsbr` from now on (null: none run; munmap no longer waits).
void set_memif_quiesce(rte_rcu_qsbr* qsbr);

}  // namespace msf::dp
