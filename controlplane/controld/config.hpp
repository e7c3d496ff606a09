// msf-controld's configuration, built exactly like msf-dataplane's (dataplane/config/config.hpp):
// one option table (option_table()) from which --help, the INI config file and the command-line
// overrides all come, and the plain ControldConfig it yields. The file is read with the same INI
// reader (dataplane/config/ini.hpp), errors are the same ConfigError, --help and --version the
// same InfoRequest.
//
// Precedence: command line > config file (--config FILE) > the table's default. In the file,
// options without a dot sit at the top, before any section; "diameter.peer" is `peer` under
// [diameter]. A list option given on the command line replaces the file's list.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dataplane/config/config.hpp"
#include "dataplane/net/addr.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::controld {

using config::ConfigError;  // one line naming the option; "file:line: " first for file values
using config::InfoRequest;  // --help or --version: print text to stdout and exit 0
using config::OptionUse;

enum class LogLevel : uint8_t { error, warning, notice, info, debug };

// How the access leg's RTCP travels when a session is installed (RFC 5761).
enum class RtcpMux : uint8_t {
    from_request,  // "auto": as the AAR's flow description says (RTCP flow present or not)
    always,        // "yes": RTCP on the RTP port
    never,         // "no": RTCP on RTP port + 1 (RFC 3550 §11)
};

// Where the MSF connects to a peer: an IP literal or a DNS name, and a port.
struct ConnectTarget {
    std::string host;   // "192.0.2.5", "2001:db8::5" (no brackets) or "pcscf.example.net"
    uint16_t port = 0;  // 1..65535

    std::string to_string() const;  // "host:port", "[v6]:port"
    bool operator==(const ConnectTarget&) const = default;
};

// One allow-listed Diameter peer, from
//   peer = identity[,address=IP][,connect=HOST:PORT][,tls=yes|no][,realm=REALM]
//          [,max-sessions=N][,require-protection=yes|no]
// Only listed peers are accepted: the CER's Origin-Host must be `identity` (RFC 6733 §5.3) and,
// when `address` is set, the connection must come from it.
struct PeerConfig {
    std::string identity;                    // DiameterIdentity (RFC 6733 §4.3.1)
    std::optional<net::IpAddr> address;      // required source address of its connections
    std::optional<ConnectTarget> connect;    // set: we connect (again every reconnect-ms, Tc)
    bool tls = false;                        // TLS from the first byte (RFC 6733 §2.1)
    std::string realm;                       // "": any Origin-Realm; else it must match
    uint32_t max_sessions = 0;               // 0: policy.max-sessions-per-peer applies
    std::optional<bool> require_protection;  // nullopt: policy.require-protection applies

    // The peer option's value that parses back to this peer.
    std::string to_string() const;
    bool operator==(const PeerConfig&) const = default;
};

struct DiameterConfig {
    std::string identity;                 // our Origin-Host
    std::string realm;                    // our Origin-Realm
    std::vector<net::Endpoint> listen;    // plain TCP listeners (empty: "listen = none")
    std::vector<net::Endpoint> tls_listen;
    std::string tls_cert;                 // PEM paths; "" when not set
    std::string tls_key;
    std::string tls_ca;
    uint32_t vendor_id = 0;               // of the vendor-specific AVPs (32473: RFC 5612)
    std::string product_name;             // Product-Name AVP of the CER/CEA
    uint32_t watchdog_ms = 0;             // Tw (RFC 6733 §5.5, RFC 3539 §3.4.1)
    uint32_t reconnect_ms = 0;            // Tc (RFC 6733 §2.1)
    uint32_t max_message_bytes = 0;       // larger messages are refused
    std::vector<PeerConfig> peers;

    bool uses_tls() const;                // a TLS listener or a TLS peer
    bool operator==(const DiameterConfig&) const = default;
};

// The MSF's own media addresses: the dataplane's access.ipv4/ipv6 and core.ipv4/ipv6.
struct MediaConfig {
    std::vector<net::IpAddr> access_ipv4;
    std::vector<net::IpAddr> access_ipv6;
    std::vector<net::IpAddr> core_ipv4;
    std::vector<net::IpAddr> core_ipv6;
    uint16_t port_min = 0;               // even: RTP even, RTCP odd (RFC 3550 §11)
    uint16_t port_max = 0;
    uint32_t replay_window = 0;          // RFC 3711 §3.3.2, power of two
    uint32_t inactivity_timeout_ms = 0;  // 0: sessions never time out for lack of media
    RtcpMux rtcp_mux = RtcpMux::from_request;

    bool operator==(const MediaConfig&) const = default;
};

struct PolicyConfig {
    std::vector<srtp::Suite> suites;       // accepted suites, in the order given
    srtp::Suite default_suite = srtp::Suite::aes_cm_128_hmac_sha1_80;  // one of `suites`
    bool require_protection = false;       // refuse a media component without keys
    std::vector<std::string> require_protection_realms;  // protection required for these anyway
    uint32_t max_sessions = 0;
    uint32_t max_sessions_per_peer = 0;    // 0: no limit beyond max_sessions
    bool generate_to_ue_key = false;       // generate the network->UE key when the AAR has none
    uint32_t auth_failure_storm = 0;       // auth failures per second that trigger a RAR; 0: off

    bool operator==(const PolicyConfig&) const = default;
};

// MSRP components go to msf-msrpd (seed requirement 3: PSK-TLS for MSRP); off without a socket.
struct MsrpConfig {
    std::string socket;            // msf-msrpd's control socket; "": no MSRP relay
    net::Endpoint access_address;  // its TLS listener as the UEs reach it (in the UE's To-Path)
    net::Endpoint core_address;    // its address toward the core (in the core's view of the UE)

    bool enabled() const { return !socket.empty(); }
    bool operator==(const MsrpConfig&) const = default;
};

// Values come from parse_controld_config(); the defaults live in the option table only.
struct ControldConfig {
    std::string config_file;  // "" when none was read
    LogLevel log_level = LogLevel::notice;
    std::string cli_socket;
    std::string cli_group;    // "": the socket keeps the daemon's group
    std::string dataplane_socket;
    uint32_t dataplane_retry_ms = 0;
    std::string store;        // SQLite database of sessions
    std::string store_key;    // file with the key that seals media keys in the store

    DiameterConfig diameter;
    MediaConfig media;
    PolicyConfig policy;
    MsrpConfig msrp;

    bool operator==(const ControldConfig&) const = default;
};

using ParseResult = std::variant<ControldConfig, InfoRequest, ConfigError>;

// argv[0] is the program name. Reads the file --config names.
ParseResult parse_controld_config(int argc, const char* const* argv);
// The same with the config file's text given (tests, fuzzing): --config, if present, only names
// it in messages.
ParseResult parse_controld_config_text(std::string_view file_text, int argc,
                                       const char* const* argv);

// The effective configuration as an INI file that parses back to the same ControldConfig.
std::string format_controld_config(const ControldConfig& config);

std::string_view log_level_name(LogLevel level);
std::string_view rtcp_mux_name(RtcpMux mux);  // "auto", "yes", "no"

// DiameterIdentity as RFC 6733 §4.3.1 defines it: an FQDN, i.e. dot-separated labels of
// letters, digits and '-' (RFC 1123 §2.1), each 1..63 bytes and not starting or ending with
// '-', at most 255 bytes in all. Realms have the same form.
bool valid_diameter_identity(std::string_view text);

// ---- the option table ----------------------------------------------------------------------

struct OptionSpec {
    std::string_view name;           // --name; in the file: "key" at the top or "[section] key"
    char short_name;                 // -c, 0: none
    OptionUse use;
    std::string_view value_name;     // how --help shows the value
    std::string_view default_value;  // "": none (optional, or required where validation says)
    std::string_view group;          // --help section
    std::string_view help;
    // Converts and stores one value; throws ConfigError naming the option. nullptr for the
    // command-line-only rows, which the parser handles itself.
    void (*apply)(ControldConfig& config, std::string_view name, const std::string& value);
};

std::span<const OptionSpec> option_table();

// Limits the table and the cross-option checks enforce (the help text quotes them).
inline constexpr uint32_t kMaxSessions = 16u << 20;
inline constexpr uint32_t kMinWatchdogMs = 6000;       // RFC 3539 §3.4.1: Tw >= 6 s
inline constexpr uint32_t kMinMessageBytes = 4096;
inline constexpr uint32_t kMaxMessageBytes = 0xffffff;  // RFC 6733 §3: 24-bit Message Length
inline constexpr uint32_t kMinReplayWindow = 64;
inline constexpr uint32_t kMaxReplayWindow = 1024;
inline constexpr uint32_t kMinInactivityTimeoutMs = 1000;
inline constexpr size_t kMaxConfigFileBytes = 1u << 20;

}  // namespace msf::controld
