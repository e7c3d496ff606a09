// msf-pcscf's run: N simulated UEs register, then calls go through the seed's flow against a real
// MSF over Diameter, paced by rate and concurrency, on one EventLoop (the Diameter node is
// controlplane/diameter/node.hpp, here on the connecting side).
//
// One call (the UE of call i is UE i mod N; its media ports come from --ue-base/--core-base):
//   UE ── INVITE (a=3ge2ae:requested) ──► P-CSCF: parse, decide (e2ae acknowledged at
//     registration?), derive the media keys from the network's copy of the UE's SA
//     (ue_media_keys, bound to Call-ID, media index 0, direction)
//   P-CSCF ── AAR ──► MSF ── AAA ──► P-CSCF: read MSF-Media-Address (and a generated
//     network->UE key), rewrite the offer for the core and the answer for the UE
//   P-CSCF ── 200 OK (a=crypto, a=3ge2ae:applied) ──► UE: parse, derive its own keys from its
//     own copy of the SA and check they are the ones the MSF got
//   after hold-ms (unless --keep): UE ── BYE ──► P-CSCF ── STR ──► MSF ── STA
// The core peer is simulated: its SDP answer (RTP/AVP at the core address) is made directly, no
// SIP text on the core leg; the offer rewritten for it is produced and checked, not sent.
// SIP on the UE leg is text built and parsed in-process (no SIP transport).
//
// A UE whose e2ae was not acknowledged (--e2ae-policy refuse) offers plain RTP/AVP; its calls do
// not involve the MSF (counted as plain invites, answered as they are).
//
// The concurrency limit counts Diameter requests awaiting answers (AAR and STR); STRs go before
// new AARs so teardown keeps up. With a rate, AAR i is not sent before start + i/rate.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "controlplane/controld/event_loop.hpp"
#include "controlplane/pcscf/pcscf_options.hpp"
#include "controlplane/pcscf/run_report.hpp"

namespace msf::pcscf {

class LoadGenerator {
public:
    // `log` gets progress and error lines (msf-pcscf: stderr); empty: none.
    LoadGenerator(controld::EventLoop& loop, PcscfOptions options, std::function<void(std::string_view)> log = {});
    ~LoadGenerator();
    LoadGenerator(const LoadGenerator&) = delete;
    LoadGenerator& operator=(const LoadGenerator&) = delete;

    // Registers the UEs, connects to the MSF, runs every call to its end, disconnects (DPR) and
    // returns what happened. Failures are in the report (RunReport::fatal, the counts), not
    // thrown.
    RunReport run();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace msf::pcscf
