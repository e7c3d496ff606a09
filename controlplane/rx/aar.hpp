// The Rx AA-Request (3GPP TS 29.214 §5.6.1) as the MSF reads it: which media components to relay,
// where the UE and the core peer are, and which SRTP keys protect each direction. The result is
// the desired sessions::ControlSession; the session manager installs it.
//
// Where things come from, first source that has them wins:
// - endpoints: Flow-Description IPFilterRules of the Media-Sub-Components (the rule whose address
//   is the AAR's Framed-IP-Address names the UE; otherwise "in" = from the UE, "out" = to the UE,
//   §5.3.8), then the SDP m-sections in Codec-Data (uplink = the UE's SDP, downlink = the remote
//   side's, TS 29.214 §5.3.7 and Kamailio ims_qos);
// - RTCP: multiplexed when an RTCP flow uses the RTP port or the UE's SDP has a=rtcp-mux
//   (RFC 5761), else on RTP port + 1 (the dataplane's only other layout);
// - keys: MSF-Media-Protection AVPs (inside the Media-Component-Description, or at the top with
//   or without a Media-Component-Number), then the a=crypto lines of Codec-Data: the UE's SDP
//   carries the key the UE sends with (RFC 4568 §6.1: a=crypto declares the sender's key), the
//   remote side's SDP the key the UE expects to receive with. A missing network->UE key is
//   generated (policy), in the suite of the UE's key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "controlplane/diameter/message.hpp"
#include "controlplane/rx/media_policy.hpp"
#include "controlplane/sessions/model.hpp"

namespace msf::rx {

// TS 29.214 §5.5: Experimental-Result-Code values (Vendor-Id 10415).
enum class RxExperimentalCode : uint32_t {
    invalid_service_information = 5061,
    filter_restrictions = 5062,
    requested_service_not_authorized = 5063,
    duplicated_af_session = 5064,
    ip_can_session_not_available = 5065,
    temporary_network_failure = 5068,
};

// Why a request is refused, as its answer will say.
struct RxError {
    uint32_t code = 0;           // Result-Code, or Experimental-Result-Code when experimental
    bool experimental = false;   // a TS 29.214 code, sent as Experimental-Result with 10415
    std::string message;         // Error-Message: says what was wrong
    std::vector<uint8_t> failed_avp;  // one encoded AVP, or empty

    static RxError base(diameter::ResultCode code, std::string message, std::vector<uint8_t> failed = {}) {
        return {static_cast<uint32_t>(code), false, std::move(message), std::move(failed)};
    }
    static RxError rx(RxExperimentalCode code, std::string message) {
        return {static_cast<uint32_t>(code), true, std::move(message), {}};
    }
};

// "DIAMETER_INVALID_AVP_VALUE (5004): ..." or "INVALID_SERVICE_INFORMATION (5061): ...".
std::string to_string(const RxError& error);

template <class T>
class RxResult {
public:
    RxResult(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
    RxResult(RxError error) : state_(std::move(error)) {}    // NOLINT: implicit by design
    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    T* operator->() { return &value(); }
    const RxError& error() const { return std::get<1>(state_); }

private:
    std::variant<T, RxError> state_;
};

// What an AAR asks for, against the state the session has now.
struct AarPlan {
    sessions::ControlSession desired;   // streams sorted by component number
    bool initial = true;                 // no session with this Session-Id existed
    // Components the MSF does not relay (no key and protection not required, or not RTP):
    // they get no MSF-Media-Address, so the P-CSCF leaves their media where it is.
    std::vector<uint32_t> not_relayed;
};

// The plan for a validated AAR from `peer`/`realm`. `existing` is the installed session with the
// AAR's Session-Id, or nullptr. A component with Flow-Status REMOVED is dropped from an update;
// components an update does not mention stay as they are; a component an update mentions keeps
// its keys and endpoints where the update does not give new ones. Random bytes for generated keys
// come from OpenSSL's CSPRNG.
RxResult<AarPlan> plan_aar(const diameter::Message& aar, const sessions::ControlSession* existing,
                           const MediaPolicy& policy);

}  // namespace msf::rx
