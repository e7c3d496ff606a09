// msf-fd-rx-client's command line: who the client is, which peer it connects to, and the script
// of actions it runs once the Diameter connection is open. One option table gives the parser and
// --help; one key table gives the --aar session spec parser.
//
//   msf-fd-rx-client --identity ID --realm REALM --peer ID --peer-host IP [--peer-port N]
//                    [OPTIONS] [ACTIONS...]
//
// Actions run in the order given; options may come anywhere. Values never reach freeDiameter's
// configuration file unchecked: identities are FQDN characters only, the peer host an IP literal.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/suite.hpp"
#include "dataplane/tools/cli_values.hpp"

namespace msf::fdrx {

// TS 29.214 §5.3.19 Media-Type.
enum class MediaType : uint32_t {
    audio = 0,
    video = 1,
    data = 2,
    application = 3,
    control = 4,
    text = 5,
    message = 6,
    other = 0xFFFFFFFF,
};

// How the media component carries RTCP: on RTP port + 1 (its own Media-Sub-Component, TS 29.214
// §5.3.33 Flow-Usage RTCP), on the RTP port (RFC 5761 a=rtcp-mux), or not described.
enum class RtcpMode : uint8_t { separate, mux, none };

// The master key and salt of one direction and the suite they belong to (RFC 4568 §6.1 inline
// keys concatenate them the same way: key || salt).
struct DirectionKeys {
    srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    std::vector<uint8_t> key;
    std::vector<uint8_t> salt;
};

// One media component of a call, as a P-CSCF knows it from the SDP offer (the UE's) and answer
// (the core side's), and the keys it may push to the MSF.
struct SessionSpec {
    net::Endpoint ue;    // the UE's RTP address and port (its offer's c= and m=)
    net::Endpoint core;  // the core side's RTP address and port (the answer's)
    uint32_t media_component_number = 1;
    MediaType media_type = MediaType::audio;
    RtcpMode rtcp = RtcpMode::separate;
    std::optional<DirectionKeys> sdes;     // an a=crypto line in the offer: the UE's sending key
    std::optional<DirectionKeys> from_ue;  // MSF-Media-Protection, MSF-Direction UE_TO_NETWORK
    std::optional<DirectionKeys> to_ue;    // MSF-Media-Protection, MSF-Direction NETWORK_TO_UE
    bool framed_ip = true;                 // Framed-IP-Address / Framed-IPv6-Prefix of the UE
};

// "ue=IP:PORT,core=IP:PORT[,key=value...]"; see client_help() for the keys.
tools::Parsed<SessionSpec> parse_session_spec(std::string_view text);

enum class ActionKind : uint8_t {
    aar,          // new Rx session: AAR, wait for the AAA
    aar_update,   // AAR on the newest open session (TS 29.214 §4.4.1 modification)
    str,          // STR for the newest open session, wait for the STA
    str_aborted,  // STR for the session the last ASR aborted
    wait_dwa,     // until one DWR/DWA exchange has completed, either way round
    wait_rar,     // until the peer's next RAR has been answered
    wait_asr,     // until the peer's next ASR has been answered
    sleep,        // a pause, for the peer's timers
    dpr,          // shut down: DPR, wait for the DPA; always the last action
};

struct Action {
    ActionKind kind = ActionKind::aar;
    SessionSpec spec;       // aar, aar_update
    uint64_t sleep_ms = 0;  // sleep
};

// "--aar", "--wait-dwa", ... as the command line spells the action.
std::string_view action_name(ActionKind kind);

enum class LogLevel : uint8_t { quiet, verbose, debug };

// How the CER names Rx: Vendor-Specific-Application-Id {Vendor-Id 10415, Auth-Application-Id}
// (what Kamailio's cdp sends) or a bare Auth-Application-Id.
enum class CerApplication : uint8_t { vendor_specific, plain };

struct ClientOptions {
    std::string identity;    // our DiameterIdentity (Origin-Host)
    std::string realm;       // our Origin-Realm
    std::string peer;        // the peer's DiameterIdentity (Destination-Host)
    std::string peer_realm;  // Destination-Realm; defaults to realm
    net::IpAddr peer_host;
    uint16_t peer_port = 3868;
    uint32_t tw_s = 6;  // freeDiameter refuses a watchdog interval under 6 s
    uint32_t tc_s = 5;
    uint64_t timeout_ms = 15000;  // per action, and for the connection
    uint32_t msf_vendor_id = 32473;  // RFC 5612 documentation enterprise number
    CerApplication cer_application = CerApplication::vendor_specific;
    std::string work_dir;  // empty: a fresh directory under /tmp, removed at exit
    LogLevel log = LogLevel::quiet;
    std::vector<Action> actions;
};

struct HelpRequest {};

// exit_code 2: usage (unknown or repeated option, missing value or required option, --dpr not
// last); 1: a value that does not parse or makes no sense.
struct UsageError {
    int exit_code = 2;
    std::string message;
};

using ClientParse = std::variant<ClientOptions, HelpRequest, UsageError>;

// args excludes the program name.
ClientParse parse_client_args(std::span<const std::string_view> args);

std::string client_help();

// RFC 6733 §4.3.1 DiameterIdentity as this tool accepts it: an FQDN, letters, digits, '-' and
// '.', at most 255 characters, no empty label.
bool is_diameter_identity(std::string_view text);

}  // namespace msf::fdrx
