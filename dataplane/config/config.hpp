// msf-dataplane's configuration: one option table (option_table()) from which --help, the INI
// config file and the command-line overrides all come, and the plain DataplaneConfig it yields.
//
// Precedence: command line > config file (--config FILE) > the table's default. In the file,
// options without a dot sit at the top, before any section; "access.port" is `port` under
// [access]. A list option given on the command line replaces the file's list.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dataplane/net/addr.hpp"

namespace msf::config {

// A DPDK device as access.port / core.port name it: a PCI address ("0000:03:00.0", optionally
// ",devargs") or a virtual device's devargs ("net_pcap0,rx_pcap=in.pcap").
struct DeviceSpec {
    enum class Bus : uint8_t { pci, vdev };
    Bus bus = Bus::vdev;
    std::string name;     // the ethdev name: "0000:03:00.0" (normalised) or "net_pcap0"
    std::string devargs;  // the whole string as EAL wants it: name[,key=value...]

    // nullopt when `text` is neither form.
    static std::optional<DeviceSpec> parse(std::string_view text);
    bool operator==(const DeviceSpec&) const = default;
};

struct StaticNeighbour {
    net::IpAddr ip;
    net::MacAddr mac;
    bool operator==(const StaticNeighbour&) const = default;
};

// One side of the gateway: access faces the UEs (SRTP), core faces the IMS core (RTP).
struct SideConfig {
    DeviceSpec port;
    std::vector<net::IpAddr> ipv4;  // the gateway's own addresses on this side
    std::vector<net::IpAddr> ipv6;
    std::optional<net::IpAddr> gateway_v4;  // next hop for peers that are not directly connected
    std::optional<net::IpAddr> gateway_v6;
    std::optional<uint16_t> vlan;           // 802.1Q id, 1..4094
    std::vector<StaticNeighbour> neighbours;
    std::optional<net::MacAddr> mac;        // overrides the port's MAC

    bool owns(const net::IpAddr& addr) const;
    bool operator==(const SideConfig&) const = default;
};

// Values come from parse_config(); the defaults live in the option table only.
struct DataplaneConfig {
    std::string config_file;            // "" when none was read

    // EAL
    std::string eal;                    // extra EAL arguments as written
    std::vector<std::string> eal_extra; // the same, split (quotes honoured)
    std::string file_prefix;            // "<pid>" already replaced
    bool hugepages = false;
    uint32_t memory_mb = 0;
    bool telemetry = false;
    std::string log_level;              // a DPDK level name: emergency .. debug

    // Workers and queues
    uint32_t workers = 0;
    std::vector<uint32_t> lcores;       // main lcore first, then one per worker
    uint16_t rx_ring = 0;
    uint16_t tx_ring = 0;
    uint16_t burst = 0;
    uint32_t mbufs = 0;

    SideConfig access;
    SideConfig core;

    // Sessions
    uint32_t max_sessions = 0;
    uint16_t port_min = 0;              // media ports, RTP on even ports
    uint16_t port_max = 0;
    uint32_t replay_window = 0;
    uint32_t inactivity_check_ms = 0;
    std::string control_socket;

    bool shared_port() const { return access.port.name == core.port.name; }
    bool operator==(const DataplaneConfig&) const = default;
};

// One line naming the option: "access.ipv4: 'x.y' is not an IPv4 address". Values read from
// the config file carry its name and line first: "dp.conf:7: access.ipv4: ...".
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// --help or --version: print `text` to stdout and exit 0.
struct InfoRequest {
    std::string text;
};

using ParseResult = std::variant<DataplaneConfig, InfoRequest, ConfigError>;

// argv[0] is the program name. Reads the file --config names.
ParseResult parse_config(int argc, const char* const* argv);
// The same with the config file's text given (tests, fuzzing): --config, if present, only names
// it in messages.
ParseResult parse_config_text(std::string_view file_text, int argc, const char* const* argv);

// The effective configuration as an INI file that parses back to the same DataplaneConfig
// (printed at start-up; file_prefix as resolved).
std::string format_config(const DataplaneConfig& config);

// "0,2,3": the list as lcores and EAL's -l spell it.
std::string format_lcores(std::span<const uint32_t> lcores);

// ---- the option table ----------------------------------------------------------------------

enum class OptionUse : uint8_t {
    once,             // a value, at most once per source
    repeatable,       // a list: every occurrence adds one value
    command_line,     // a value, command line only (config)
    command_line_flag,  // no value, command line only (help, version)
};

struct OptionSpec {
    std::string_view name;           // --name; in the file: "key" at the top or "[side] key"
    char short_name;                 // -c, 0: none
    OptionUse use;
    std::string_view value_name;     // how --help shows the value
    std::string_view default_value;  // "": none (optional, or required where validation says)
    std::string_view group;          // --help section
    std::string_view help;
    // Converts and stores one value; throws ConfigError naming the option. nullptr for the
    // command-line-only rows, which parse_config handles itself.
    void (*apply)(DataplaneConfig& config, std::string_view name, const std::string& value);
};

std::span<const OptionSpec> option_table();

// Limits the table and the cross-option checks enforce (the help text quotes them).
inline constexpr uint32_t kMaxBurst = 64;
inline constexpr uint32_t kMinReplayWindow = 64;
inline constexpr uint32_t kMaxReplayWindow = 1024;
inline constexpr uint32_t kMaxSessions = 16u << 20;
inline constexpr size_t kMaxConfigFileBytes = 1u << 20;
// DPDK memory one mbuf takes: 2048 data + 128 headroom + 128 rte_mbuf + 64 mempool header.
inline constexpr uint64_t kMbufFootprintBytes = 2048 + 128 + 128 + 64;
// What the EAL, rings and tables take beside the mbuf pool, for the memory-mb check.
inline constexpr uint32_t kEalBaseMemoryMb = 64;

}  // namespace msf::config
