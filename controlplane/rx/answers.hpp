// The messages the MSF sends in the Rx application: AAA, STA, and the MSF-initiated RAR and ASR
// (3GPP TS 29.214 §5.6), with the MSF's vendor AVPs (DESIGN.md "The Diameter interface").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/diameter/message.hpp"
#include "controlplane/rx/aar.hpp"
#include "controlplane/sessions/model.hpp"

namespace msf::rx {

struct LocalIdentity {
    std::string host;   // our Origin-Host
    std::string realm;  // our Origin-Realm
};

// MSF-Event-Cause values (our vendor AVP).
enum class EventCause : uint32_t {
    inactivity = 1,
    auth_failure_storm = 2,
    dataplane_lost = 3,
    operator_removed = 4,  // msfctl session remove
};

// AAA 2001 for an installed (or updated) session: per relayed component an MSF-Media-Address
// (access and core address and port, RTCP multiplexing), and for every network->UE key the MSF
// generated an MSF-Media-Protection (NETWORK_TO_UE) with the key as fields and as an a=crypto
// value, so the P-CSCF can put it into the UE's SDP.
diameter::Message success_aaa(const diameter::Message& aar, const LocalIdentity& self,
                              const sessions::ControlSession& installed);

// The answer of the request's command carrying `error`: Result-Code, or Experimental-Result
// (Vendor-Id 10415) for TS 29.214 codes; Error-Message; Failed-AVP when the error names one.
diameter::Message error_answer(const diameter::Message& request, const LocalIdentity& self,
                               const RxError& error);

// STA 2001 with the final counters of each component (MSF-Session-Counters).
diameter::Message success_sta(const diameter::Message& str, const LocalIdentity& self,
                              const std::vector<sessions::StreamCounters>& counters,
                              const std::vector<sessions::MessageCounters>& message_counters = {});

// RAR to the session's P-CSCF: Specific-Action INDICATION_OF_LOSS_OF_BEARER (TS 29.214 §5.3.22)
// and the MSF-Event-Cause; the caller sets hop-by-hop and end-to-end ids.
diameter::Message event_rar(const sessions::ControlSession& session, const LocalIdentity& self,
                            EventCause cause, uint32_t msf_vendor_id);

// ASR: the MSF cannot keep the session (Abort-Cause BEARER_RELEASED, MSF-Event-Cause).
diameter::Message abort_asr(const sessions::ControlSession& session, const LocalIdentity& self,
                            EventCause cause, uint32_t msf_vendor_id);

}  // namespace msf::rx
