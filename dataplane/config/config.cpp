#include "dataplane/config/config.hpp"

#include <rte_build_config.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dataplane/config/ini.hpp"

#ifndef MSF_VERSION
#define MSF_VERSION "unknown"
#endif

namespace msf::config {
namespace po = boost::program_options;

namespace {

// ---- value converters: each throws ConfigError "<option>: <problem>" ------------------------

[[noreturn]] void fail(std::string_view name, const std::string& problem) {
    throw ConfigError(std::string(name) + ": " + problem);
}

[[noreturn]] void fail_at(std::string_view file, uint32_t line, const std::string& problem) {
    throw ConfigError(std::string(file) + ":" + std::to_string(line) + ": " + problem);
}

uint64_t to_uint(std::string_view name, std::string_view text, uint64_t min, uint64_t max) {
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size())
        fail(name, quote(text) + " is not a number");
    const std::string range = std::to_string(min) + ".." + std::to_string(max);
    if (ec == std::errc::result_out_of_range || value > max)
        fail(name, std::string(text) + " is too large (" + range + ")");
    if (value < min) {
        fail(name, value == 0 ? "0 is not allowed (" + range + ")"
                              : std::to_string(value) + " is too small (" + range + ")");
    }
    return value;
}

bool to_bool(std::string_view name, std::string_view text) {
    static constexpr std::array<std::string_view, 4> yes = {"true", "yes", "on", "1"};
    static constexpr std::array<std::string_view, 4> no = {"false", "no", "off", "0"};
    if (std::find(yes.begin(), yes.end(), text) != yes.end()) return true;
    if (std::find(no.begin(), no.end(), text) != no.end()) return false;
    fail(name, quote(text) + " is not a boolean (true/false, yes/no, on/off, 1/0)");
}

bool unicast(const net::IpAddr& a) {
    static constexpr std::array<uint8_t, 16> zero{};
    if (a.is_v4()) {
        const uint8_t b0 = a.bytes[0];
        const bool broadcast = a.bytes[0] == 255 && a.bytes[1] == 255 && a.bytes[2] == 255 &&
                               a.bytes[3] == 255;
        return b0 != 0 && b0 != 127 && (b0 & 0xf0) != 0xe0 && !broadcast;
    }
    std::array<uint8_t, 16> loopback{};
    loopback[15] = 1;
    return a.bytes != zero && a.bytes != loopback && a.bytes[0] != 0xff;
}

net::IpAddr to_ip(std::string_view name, std::string_view text, net::Family family) {
    const auto addr = net::IpAddr::parse(text);
    const char* what = family == net::Family::ipv4   ? "an IPv4 address"
                       : family == net::Family::ipv6 ? "an IPv6 address"
                                                     : "an IP address";
    if (!addr || (family != net::Family::none && addr->family != family))
        fail(name, quote(text) + " is not " + what);
    if (!unicast(*addr)) fail(name, addr->to_string() + " is not a unicast address");
    return *addr;
}

net::MacAddr to_mac(std::string_view name, std::string_view text) {
    const auto mac = net::MacAddr::parse(text);
    if (!mac) fail(name, quote(text) + " is not a MAC address (02:00:00:00:00:01)");
    if (mac->is_zero() || (mac->bytes[0] & 1))
        fail(name, mac->to_string() + " is not a unicast MAC address");
    return *mac;
}

// "0,2-5" -> {0,2,3,4,5}; order kept (the first is the main lcore).
std::vector<uint32_t> to_lcore_list(std::string_view name, std::string_view text) {
    std::vector<uint32_t> out;
    std::string_view rest = text;
    while (true) {
        const size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        const size_t dash = item.find('-');
        const uint64_t first = to_uint(name, item.substr(0, dash), 0, RTE_MAX_LCORE - 1);
        const uint64_t last = dash == std::string_view::npos
                                  ? first
                                  : to_uint(name, item.substr(dash + 1), 0, RTE_MAX_LCORE - 1);
        if (last < first) fail(name, quote(item) + " is a descending range");
        for (uint64_t id = first; id <= last; ++id) {
            if (std::find(out.begin(), out.end(), id) != out.end())
                fail(name, "lcore " + std::to_string(id) + " is listed twice");
            out.push_back(static_cast<uint32_t>(id));
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return out;
}

// Splits like a shell without expansions: whitespace separates, '...' and "..." group.
std::vector<std::string> split_arguments(std::string_view name, std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (const char c : text) {
        if (quote != 0) {
            if (c == quote) quote = 0;
            else current += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word) out.push_back(std::move(current));
            current.clear();
            in_word = false;
        } else {
            current += c;
            in_word = true;
        }
    }
    if (quote != 0) fail(name, std::string("unterminated ") + quote + " quote");
    if (in_word) out.push_back(std::move(current));
    return out;
}

// EAL options the table owns: giving them in `eal` too would make two sources disagree.
struct OwnedEalFlag {
    std::string_view flag;
    std::string_view option;
};
constexpr std::array<OwnedEalFlag, 11> kOwnedEalFlags = {{
    {"-l", "lcores"},
    {"-c", "lcores"},
    {"--lcores", "lcores"},
    {"--main-lcore", "lcores"},
    {"--file-prefix", "file-prefix"},
    {"--in-memory", "hugepages"},
    {"--no-huge", "hugepages"},
    {"-m", "memory-mb"},
    {"--socket-mem", "memory-mb"},
    {"--telemetry", "telemetry"},
    {"--no-telemetry", "telemetry"},
}};

void check_eal_extra(std::string_view name, const std::vector<std::string>& args) {
    for (const auto& arg : args) {
        for (const auto& owned : kOwnedEalFlags) {
            const bool is_short = owned.flag.size() == 2;
            const bool hit = arg == owned.flag ||
                             (is_short ? arg.starts_with(owned.flag)
                                       : arg.starts_with(std::string(owned.flag) + "="));
            if (hit) {
                fail(name, quote(arg) + " is set by the " + std::string(owned.option) +
                               " option; remove it from eal");
            }
        }
    }
}

SideConfig& side_of(DataplaneConfig& c, std::string_view name) {
    return name.starts_with("core.") ? c.core : c.access;
}
const SideConfig& side_of(const DataplaneConfig& c, std::string_view name) {
    return name.starts_with("core.") ? c.core : c.access;
}

template <typename T>
std::vector<std::string> one(const T& value) {
    return {std::to_string(value)};
}
std::vector<std::string> one(const std::string& value) { return {value}; }
std::vector<std::string> one(bool value) { return {value ? "true" : "false"}; }

std::vector<std::string> addresses(const std::vector<net::IpAddr>& list) {
    std::vector<std::string> out;
    for (const auto& a : list) out.push_back(a.to_string());
    return out;
}

// ---- the option table -----------------------------------------------------------------------

constexpr std::string_view kGeneral = "General";
constexpr std::string_view kEal = "EAL";
constexpr std::string_view kWorkers = "Workers and queues";
constexpr std::string_view kSessions = "Sessions";
constexpr std::string_view kAccess = "Access side, [access] in the file (toward the UEs, SRTP)";
constexpr std::string_view kCore = "Core side, [core] in the file (toward the IMS core, RTP)";

using Show = std::vector<std::string> (*)(const DataplaneConfig&, std::string_view);

struct Row {
    OptionSpec spec;
    Show show;  // the stored value(s) as the file spells them; nullptr: not printed
};

constexpr auto kPort = [](DataplaneConfig& c, std::string_view n, const std::string& v) {
    const auto device = DeviceSpec::parse(v);
    if (!device) {
        fail(n, quote(v) + " is neither a PCI address (0000:03:00.0) nor a vdev "
                            "(net_<driver><n>[,key=value...])");
    }
    side_of(c, n).port = *device;
};
constexpr auto kIpv4 = [](DataplaneConfig& c, std::string_view n, const std::string& v) {
    side_of(c, n).ipv4.push_back(to_ip(n, v, net::Family::ipv4));
};
constexpr auto kIpv6 = [](DataplaneConfig& c, std::string_view n, const std::string& v) {
    side_of(c, n).ipv6.push_back(to_ip(n, v, net::Family::ipv6));
};
constexpr auto kGateway = [](DataplaneConfig& c, std::string_view n, const std::string& v) {
    const net::IpAddr gw = to_ip(n, v, net::Family::none);
    auto& slot = gw.is_v4() ? side_of(c, n).gateway_v4 : side_of(c, n).gateway_v6;
    if (slot) {
        fail(n, std::string("a second ") + (gw.is_v4() ? "IPv4" : "IPv6") + " gateway " +
                    gw.to_string() + " (one per family)");
    }
    slot = gw;
};
constexpr auto kVlan = [](DataplaneConfig& c, std::string_view n, const std::string& v) {
    side_of(c, n).vlan = static_cast<uint16_t>(to_uint(n, v, 1, 4094));
};
constexpr auto kNeighbour = [](DataplaneConfig& c, std::string_view n, const std::string& v) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos) fail(n, quote(v) + " is not ip=mac");
    side_of(c, n).neighbours.push_back(StaticNeighbour{
        to_ip(n, std::string_view(v).substr(0, eq), net::Family::none),
        to_mac(n, std::string_view(v).substr(eq + 1))});
};
constexpr auto kMac = [](DataplaneConfig& c, std::string_view n, const std::string& v) {
    side_of(c, n).mac = to_mac(n, v);
};

constexpr Show kShowPort = [](const DataplaneConfig& c, std::string_view n) {
    return side_of(c, n).port.devargs.empty() ? std::vector<std::string>{}
                                              : one(side_of(c, n).port.devargs);
};
constexpr Show kShowIpv4 = [](const DataplaneConfig& c, std::string_view n) {
    return addresses(side_of(c, n).ipv4);
};
constexpr Show kShowIpv6 = [](const DataplaneConfig& c, std::string_view n) {
    return addresses(side_of(c, n).ipv6);
};
constexpr Show kShowGateway = [](const DataplaneConfig& c, std::string_view n) {
    std::vector<std::string> out;
    if (side_of(c, n).gateway_v4) out.push_back(side_of(c, n).gateway_v4->to_string());
    if (side_of(c, n).gateway_v6) out.push_back(side_of(c, n).gateway_v6->to_string());
    return out;
};
constexpr Show kShowVlan = [](const DataplaneConfig& c, std::string_view n) {
    const auto& vlan = side_of(c, n).vlan;
    return vlan ? one(*vlan) : std::vector<std::string>{};
};
constexpr Show kShowNeighbour = [](const DataplaneConfig& c, std::string_view n) {
    std::vector<std::string> out;
    for (const auto& nb : side_of(c, n).neighbours)
        out.push_back(nb.ip.to_string() + "=" + nb.mac.to_string());
    return out;
};
constexpr Show kShowMac = [](const DataplaneConfig& c, std::string_view n) {
    const auto& mac = side_of(c, n).mac;
    return mac ? one(mac->to_string()) : std::vector<std::string>{};
};

// clang-format off
const std::array kRows = std::to_array<Row>({
    // name, short, use, value, default, group, help, apply; show
    {{"config", 'c', OptionUse::command_line, "<file>", "", kGeneral,
      "INI file to read; command-line options override it", nullptr}, nullptr},
    {{"help", 'h', OptionUse::command_line_flag, "", "", kGeneral,
      "print this help and exit", nullptr}, nullptr},
    {{"version", 'V', OptionUse::command_line_flag, "", "", kGeneral,
      "print the version and exit", nullptr}, nullptr},
    {{"log-level", 0, OptionUse::once, "<level>", "notice", kGeneral,
      "emergency, alert, critical, error, warning, notice, info or debug (EAL and dataplane)",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          static constexpr std::array<std::string_view, 8> levels = {
              "emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"};
          if (std::find(levels.begin(), levels.end(), v) == levels.end())
              fail(n, quote(v) + " is not a log level (emergency .. debug)");
          c.log_level = v;
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.log_level); }},
    {{"control-socket", 0, OptionUse::once, "<path>", "/run/msf/dataplane.sock", kGeneral,
      "Unix socket of the control API (created 0660)",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          if (v.empty()) fail(n, "must not be empty");
          if (v.size() >= sizeof(sockaddr_un::sun_path))
              fail(n, "path is longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                          " bytes");
          c.control_socket = v;
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.control_socket); }},
    {{"telemetry", 0, OptionUse::once, "<bool>", "true", kGeneral,
      "DPDK telemetry socket with the /msf/... commands; false passes --no-telemetry",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.telemetry = to_bool(n, v);
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.telemetry); }},

    {{"eal", 0, OptionUse::once, "<args>", "", kEal,
      "extra EAL arguments, passed last; quote with ' or \" (on the command line: --eal='...')",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.eal_extra = split_arguments(n, v);
          check_eal_extra(n, c.eal_extra);
          c.eal = v;
      }},
     [](const DataplaneConfig& c, std::string_view) {
         return c.eal.empty() ? std::vector<std::string>{} : one(c.eal);
     }},
    {{"file-prefix", 0, OptionUse::once, "<name>", "msf-<pid>", kEal,
      "EAL runtime-directory prefix (telemetry socket in /run/dpdk/<name>/); <pid> becomes the "
      "process id",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          std::string prefix = v;
          if (const size_t at = prefix.find("<pid>"); at != std::string::npos)
              prefix.replace(at, 5, std::to_string(::getpid()));
          const bool ok = !prefix.empty() && prefix.size() <= 64 &&
                          std::all_of(prefix.begin(), prefix.end(), [](char ch) {
                              return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ||
                                     ch == '_' || ch == '.';
                          });
          if (!ok) fail(n, quote(v) + " is not a name of 1..64 letters, digits, '-', '_', '.'");
          c.file_prefix = prefix;
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.file_prefix); }},
    {{"hugepages", 0, OptionUse::once, "<bool>", "true", kEal,
      "hugepage memory (--in-memory); false: ordinary pages (--no-huge), slower",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.hugepages = to_bool(n, v);
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.hugepages); }},
    {{"memory-mb", 0, OptionUse::once, "<MiB>", "1024", kEal,
      "DPDK memory reserved at start (-m): mbuf pools (about 2.3 KiB per mbuf) and tables",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.memory_mb = static_cast<uint32_t>(to_uint(n, v, 64, 1u << 20));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.memory_mb); }},

    {{"workers", 0, OptionUse::once, "<n>", "1", kWorkers,
      "worker lcores; each polls one rx queue of every port",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.workers = static_cast<uint32_t>(to_uint(n, v, 1, RTE_MAX_LCORE - 1));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.workers); }},
    {{"lcores", 0, OptionUse::once, "<list>", "", kWorkers,
      "CPUs to run on, main lcore first then one per worker (\"0,2-5\"); default 0..workers",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.lcores = v.empty() ? std::vector<uint32_t>{} : to_lcore_list(n, v);
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(format_lcores(c.lcores)); }},
    {{"rx-ring", 0, OptionUse::once, "<n>", "1024", kWorkers,
      "rx descriptors per queue (the driver may round it)",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.rx_ring = static_cast<uint16_t>(to_uint(n, v, 64, 16384));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.rx_ring); }},
    {{"tx-ring", 0, OptionUse::once, "<n>", "1024", kWorkers,
      "tx descriptors per queue (the driver may round it)",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.tx_ring = static_cast<uint16_t>(to_uint(n, v, 64, 16384));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.tx_ring); }},
    {{"burst", 0, OptionUse::once, "<n>", "32", kWorkers,
      "packets per rx burst and crypto submission (at most 64)",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.burst = static_cast<uint16_t>(to_uint(n, v, 1, kMaxBurst));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.burst); }},
    {{"mbufs", 0, OptionUse::once, "<n>", "65535", kWorkers,
      "packet buffers in the pool (2^n - 1 fits the mempool best)",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.mbufs = static_cast<uint32_t>(to_uint(n, v, 1024, 1u << 26));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.mbufs); }},

    {{"max-sessions", 0, OptionUse::once, "<n>", "1000000", kSessions,
      "session table size; every session holds two SRTP contexts (2 x 2.4 KiB of heap), so "
      "1,000,000 sessions need about 5 GiB",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.max_sessions = static_cast<uint32_t>(to_uint(n, v, 1, kMaxSessions));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.max_sessions); }},
    {{"port-min", 0, OptionUse::once, "<port>", "16384", kSessions,
      "lowest media port (even: RTP even, RTCP odd, RFC 3550 §11)",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.port_min = static_cast<uint16_t>(to_uint(n, v, 1024, 65534));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.port_min); }},
    {{"port-max", 0, OptionUse::once, "<port>", "65535", kSessions,
      "highest media port",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.port_max = static_cast<uint16_t>(to_uint(n, v, 1025, 65535));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.port_max); }},
    {{"replay-window", 0, OptionUse::once, "<n>", "128", kSessions,
      "SRTP replay window in packets for sessions that set none, power of two 64..1024 "
      "(RFC 3711 §3.3.2)",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          const auto w = static_cast<uint32_t>(to_uint(n, v, kMinReplayWindow, kMaxReplayWindow));
          if ((w & (w - 1)) != 0) fail(n, std::to_string(w) + " is not a power of two");
          c.replay_window = w;
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.replay_window); }},
    {{"inactivity-check-ms", 0, OptionUse::once, "<ms>", "1000", kSessions,
      "interval of the scan for sessions without media",
      [](DataplaneConfig& c, std::string_view n, const std::string& v) {
          c.inactivity_check_ms = static_cast<uint32_t>(to_uint(n, v, 10, 3600000));
      }},
     [](const DataplaneConfig& c, std::string_view) { return one(c.inactivity_check_ms); }},

    {{"access.port", 0, OptionUse::once, "<device>", "", kAccess,
      "DPDK device: PCI address, or vdev devargs such as net_pcap0,rx_pcap=in.pcap or "
      "net_af_packet0,iface=veth0; may be the core side's device", kPort}, kShowPort},
    {{"access.ipv4", 0, OptionUse::repeatable, "<addr>", "", kAccess,
      "the gateway's IPv4 address toward the UEs (repeatable)", kIpv4}, kShowIpv4},
    {{"access.ipv6", 0, OptionUse::repeatable, "<addr>", "", kAccess,
      "the gateway's IPv6 address toward the UEs (repeatable)", kIpv6}, kShowIpv6},
    {{"access.gateway", 0, OptionUse::repeatable, "<addr>", "", kAccess,
      "next-hop router, at most one IPv4 and one IPv6; peers without one must be on-link",
      kGateway}, kShowGateway},
    {{"access.vlan", 0, OptionUse::once, "<id>", "", kAccess,
      "802.1Q VLAN id 1..4094 of this side's traffic", kVlan}, kShowVlan},
    {{"access.neighbour", 0, OptionUse::repeatable, "<ip=mac>", "", kAccess,
      "static neighbour entry, never resolved by ARP/ND (repeatable)", kNeighbour},
     kShowNeighbour},
    {{"access.mac", 0, OptionUse::once, "<mac>", "", kAccess,
      "source MAC instead of the port's own", kMac}, kShowMac},

    {{"core.port", 0, OptionUse::once, "<device>", "", kCore,
      "DPDK device, as access.port; may be the access side's device", kPort}, kShowPort},
    {{"core.ipv4", 0, OptionUse::repeatable, "<addr>", "", kCore,
      "the gateway's IPv4 address toward the core (repeatable)", kIpv4}, kShowIpv4},
    {{"core.ipv6", 0, OptionUse::repeatable, "<addr>", "", kCore,
      "the gateway's IPv6 address toward the core (repeatable)", kIpv6}, kShowIpv6},
    {{"core.gateway", 0, OptionUse::repeatable, "<addr>", "", kCore,
      "next-hop router, at most one IPv4 and one IPv6; peers without one must be on-link",
      kGateway}, kShowGateway},
    {{"core.vlan", 0, OptionUse::once, "<id>", "", kCore,
      "802.1Q VLAN id 1..4094 of this side's traffic", kVlan}, kShowVlan},
    {{"core.neighbour", 0, OptionUse::repeatable, "<ip=mac>", "", kCore,
      "static neighbour entry, never resolved by ARP/ND (repeatable)", kNeighbour},
     kShowNeighbour},
    {{"core.mac", 0, OptionUse::once, "<mac>", "", kCore,
      "source MAC instead of the port's own", kMac}, kShowMac},
});
// clang-format on

const std::array kSpecs = [] {
    std::array<OptionSpec, kRows.size()> specs{};
    for (size_t i = 0; i < kRows.size(); ++i) specs[i] = kRows[i].spec;
    return specs;
}();

// Sections of the file: the prefixes of dotted names.
std::vector<std::string_view> file_sections() {
    std::vector<std::string_view> out;
    for (const auto& row : kRows) {
        const size_t dot = row.spec.name.find('.');
        if (dot == std::string_view::npos) continue;
        const std::string_view section = row.spec.name.substr(0, dot);
        if (std::find(out.begin(), out.end(), section) == out.end()) out.push_back(section);
    }
    return out;
}

// Every value, from either source, trimmed and free of control bytes (tab aside), so that each
// can be written back as one `name = value` line.
void apply_value(DataplaneConfig& config, const OptionSpec& spec, std::string_view raw) {
    const auto space = [](char c) { return c == ' ' || c == '\t'; };
    while (!raw.empty() && space(raw.front())) raw.remove_prefix(1);
    while (!raw.empty() && space(raw.back())) raw.remove_suffix(1);
    for (const char c : raw) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7f)
            fail(spec.name, quote(raw) + " contains a control character");
    }
    spec.apply(config, spec.name, std::string(raw));
}

const Row* find_row(std::string_view name) {
    for (const auto& row : kRows)
        if (row.spec.name == name) return &row;
    return nullptr;
}

bool takes_file_value(const OptionSpec& spec) {
    return spec.use == OptionUse::once || spec.use == OptionUse::repeatable;
}

// ---- boost: command line and help -----------------------------------------------------------

po::options_description describe_options() {
    constexpr unsigned kLineLength = 100;
    po::options_description all(kLineLength, kLineLength / 2);
    std::string_view group;
    std::optional<po::options_description> current;
    for (const auto& row : kRows) {
        const OptionSpec& s = row.spec;
        if (s.group != group) {
            if (current) all.add(*current);
            current.emplace(std::string(s.group), kLineLength, kLineLength / 2);
            group = s.group;
        }
        std::string names(s.name);
        if (s.short_name != 0) names += std::string(",") + s.short_name;
        const std::string help(s.help);
        if (s.use == OptionUse::command_line_flag) {
            current->add_options()(names.c_str(), help.c_str());
            continue;
        }
        if (s.use == OptionUse::repeatable) {
            current->add_options()(
                names.c_str(),
                po::value<std::vector<std::string>>()->value_name(std::string(s.value_name)),
                help.c_str());
            continue;
        }
        auto* value = po::value<std::string>()->value_name(std::string(s.value_name));
        if (!s.default_value.empty()) value->default_value(std::string(s.default_value));
        current->add_options()(names.c_str(), value, help.c_str());
    }
    if (current) all.add(*current);
    return all;
}

std::string help_text() {
    std::ostringstream out;
    out << "usage: msf-dataplane [--config FILE] [--option=value ...]\n"
           "Values come from the command line, else the config file, else the default shown.\n"
           "In the file, names without a dot go before the first section; access.port is\n"
           "`port = ...` under [access]. A list option given on the command line replaces the\n"
           "file's list.\n"
        << describe_options();
    return out.str();
}

std::string version_line() {
    return "msf-dataplane " MSF_VERSION " (DPDK " + std::to_string(RTE_VER_YEAR) + "." +
           std::to_string(RTE_VER_MONTH) + "." + std::to_string(RTE_VER_MINOR) + ")";
}

std::string option_of(const po::error_with_option_name& e) {
    std::string name = e.get_option_name();
    while (!name.empty() && name.front() == '-') name.erase(0, 1);
    return name;
}

// Boost's messages, reworded to start with the option like every other error.
[[noreturn]] void rethrow_command_line_error(const po::error& e) {
    if (const auto* u = dynamic_cast<const po::unknown_option*>(&e)) {
        const std::string token = u->get_option_name();
        throw ConfigError("unknown option " + quote(token.substr(0, token.find('='))) +
                          " (see --help)");
    }
    if (const auto* m = dynamic_cast<const po::multiple_occurrences*>(&e))
        fail(option_of(*m), "given more than once on the command line");
    if (const auto* s = dynamic_cast<const po::invalid_command_line_syntax*>(&e)) {
        if (s->kind() == po::invalid_syntax::missing_parameter)
            fail(option_of(*s), "needs a value (--" + option_of(*s) + "=...)");
        if (s->kind() == po::invalid_syntax::extra_parameter)
            fail(option_of(*s), "takes no value");
        if (s->kind() == po::invalid_syntax::empty_adjacent_parameter)
            fail(option_of(*s), "needs a value after '='");
    }
    throw ConfigError(std::string("command line: ") + e.what());
}

// ---- cross-option checks --------------------------------------------------------------------

void check_side(const DataplaneConfig& c, const SideConfig& side, std::string_view name,
                const SideConfig& other, std::string_view other_name) {
    const std::string prefix(name);
    if (side.port.name.empty()) {
        fail(prefix + ".port",
             "not set (a PCI address, or a vdev such as net_af_packet0,iface=eth1)");
    }
    if (side.ipv4.empty() && side.ipv6.empty())
        fail(prefix, "no address; set " + prefix + ".ipv4 or " + prefix + ".ipv6");

    for (const auto* list : {&side.ipv4, &side.ipv6}) {
        const std::string option = prefix + (list == &side.ipv4 ? ".ipv4" : ".ipv6");
        for (size_t i = 0; i < list->size(); ++i) {
            const auto& a = (*list)[i];
            if (std::find(list->begin(), list->begin() + static_cast<ptrdiff_t>(i), a) !=
                list->begin() + static_cast<ptrdiff_t>(i))
                fail(option, a.to_string() + " is listed twice");
            // Reported on the core side: the access side's list is read first.
            if (name == "core" && other.owns(a))
                fail(option, a.to_string() + " is also an address of the " +
                                 std::string(other_name) + " side");
        }
    }
    for (const auto& gw : {side.gateway_v4, side.gateway_v6}) {
        if (!gw) continue;
        const std::string option = prefix + ".gateway";
        const auto& own = gw->is_v4() ? side.ipv4 : side.ipv6;
        if (own.empty()) {
            fail(option, gw->to_string() + " is " + (gw->is_v4() ? "IPv4" : "IPv6") + " but " +
                             prefix + " has no " + (gw->is_v4() ? "IPv4" : "IPv6") + " address");
        }
        if (c.access.owns(*gw) || c.core.owns(*gw))
            fail(option, gw->to_string() + " is one of the gateway's own addresses");
    }
    for (size_t i = 0; i < side.neighbours.size(); ++i) {
        const auto& nb = side.neighbours[i];
        const std::string option = prefix + ".neighbour";
        if (c.access.owns(nb.ip) || c.core.owns(nb.ip))
            fail(option, nb.ip.to_string() + " is one of the gateway's own addresses");
        for (size_t j = 0; j < i; ++j) {
            if (side.neighbours[j].ip == nb.ip)
                fail(option, nb.ip.to_string() + " is listed twice");
        }
    }
}

void validate(DataplaneConfig& c, const std::set<std::string, std::less<>>& given) {
    check_side(c, c.access, "access", c.core, "core");
    check_side(c, c.core, "core", c.access, "access");

    if (c.shared_port()) {
        if (c.access.port.devargs != c.core.port.devargs) {
            fail("core.port", quote(c.core.port.devargs) + " names access.port's device " +
                                  c.access.port.name + " with other arguments");
        }
        if (c.access.mac && c.core.mac && *c.access.mac != *c.core.mac)
            fail("core.mac", "differs from access.mac, but both sides use " + c.core.port.name);
    }

    if (!c.lcores.empty()) {
        if (c.lcores.size() < 2) fail("lcores", "needs the main lcore and at least one worker");
        const auto needed = c.lcores.size() - 1;
        if (given.contains("workers") && c.workers != needed) {
            fail("lcores", "lists " + std::to_string(c.lcores.size()) + " lcores but workers=" +
                               std::to_string(c.workers) + " needs " +
                               std::to_string(c.workers + 1) + " (main + workers)");
        }
        c.workers = static_cast<uint32_t>(needed);
    } else {
        for (uint32_t id = 0; id <= c.workers; ++id) c.lcores.push_back(id);
    }

    if (c.port_min % 2 != 0 || c.port_min >= c.port_max)
        fail("port-min", "must be even and below port-max (" + std::to_string(c.port_min) +
                             ", port-max " + std::to_string(c.port_max) + ")");

    // Every rx and tx descriptor of every queue can hold an mbuf at once.
    const uint64_t ports = c.shared_port() ? 1 : 2;
    const uint64_t in_rings = ports * c.workers * (uint64_t{c.rx_ring} + c.tx_ring);
    const uint64_t needed = in_rings + uint64_t{c.workers} * c.burst * 2;
    if (c.mbufs < needed) {
        fail("mbufs", std::to_string(c.mbufs) + " is too few: " + std::to_string(ports) +
                          " port(s) x " + std::to_string(c.workers) + " worker(s) x (" +
                          std::to_string(c.rx_ring) + " rx + " + std::to_string(c.tx_ring) +
                          " tx descriptors) and the bursts need at least " +
                          std::to_string(needed));
    }
    const uint64_t pool_mb = (uint64_t{c.mbufs} * kMbufFootprintBytes + (1u << 20) - 1) >> 20;
    if (c.memory_mb < pool_mb + kEalBaseMemoryMb) {
        fail("memory-mb", std::to_string(c.memory_mb) + " MiB cannot hold mbufs=" +
                              std::to_string(c.mbufs) + " (" + std::to_string(pool_mb) +
                              " MiB) and the EAL (" + std::to_string(kEalBaseMemoryMb) +
                              " MiB); raise memory-mb or lower mbufs");
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("config", "cannot read " + quote(path) + ": " + std::strerror(errno));
    std::string text;
    char buf[4096];
    while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
        text.append(buf, static_cast<size_t>(in.gcount()));
        if (text.size() > kMaxConfigFileBytes)
            fail("config", quote(path) + " is larger than " +
                               std::to_string(kMaxConfigFileBytes >> 20) + " MiB");
    }
    if (in.bad()) fail("config", "cannot read " + quote(path));
    return text;
}

// file_text: nullptr reads the --config file, if any.
ParseResult parse(const std::string* file_text, int argc, const char* const* argv) {
    try {
        const po::options_description options = describe_options();
        po::variables_map vm;
        try {
            const auto style =
                po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
            const po::parsed_options parsed =
                po::command_line_parser(argc, argv).options(options).style(style).run();
            for (const auto& option : parsed.options) {
                // Boost keeps words without an option name aside when no positional options
                // are declared; msf-dataplane takes none.
                if (option.string_key.empty() || option.position_key >= 0) {
                    const std::string word = option.original_tokens.empty()
                                                 ? std::string()
                                                 : option.original_tokens.front();
                    throw ConfigError("unexpected argument " + quote(word) +
                                      " (options are --name=value)");
                }
            }
            po::store(parsed, vm);
        } catch (const po::error& e) {
            rethrow_command_line_error(e);
        }
        if (vm.count("help")) return InfoRequest{help_text()};
        if (vm.count("version")) return InfoRequest{version_line() + "\n"};

        DataplaneConfig config;
        std::vector<IniEntry> file;
        if (vm.count("config")) config.config_file = vm["config"].as<std::string>();
        const std::string source = config.config_file.empty() ? "config" : config.config_file;
        if (file_text != nullptr || !config.config_file.empty()) {
            const std::string text = file_text ? *file_text : read_file(config.config_file);
            const auto sections = file_sections();
            file = read_ini(text, source, sections);
            std::map<std::string, uint32_t, std::less<>> first_line;
            for (const auto& entry : file) {
                const Row* row = find_row(entry.name);
                if (row == nullptr) {
                    const size_t dot = entry.name.find('.');
                    const Row* top = dot == std::string::npos
                                         ? nullptr
                                         : find_row(std::string_view(entry.name).substr(dot + 1));
                    const bool misplaced = top != nullptr && takes_file_value(top->spec);
                    fail_at(source, entry.line,
                            "unknown option " + quote(entry.name) +
                                (misplaced ? " (options without a dot go before the first section)"
                                           : ""));
                }
                if (!takes_file_value(row->spec))
                    fail_at(source, entry.line,
                            quote(entry.name) + " is a command-line option only");
                const auto [it, fresh] = first_line.emplace(entry.name, entry.line);
                if (!fresh && row->spec.use == OptionUse::once) {
                    fail_at(source, entry.line,
                            entry.name + " is set twice (first on line " +
                                std::to_string(it->second) + ")");
                }
            }
        }

        // Command line, else file, else default; `given` records what was not defaulted.
        std::set<std::string, std::less<>> given;
        for (const auto& row : kRows) {
            const OptionSpec& s = row.spec;
            if (s.apply == nullptr) continue;
            const std::string name(s.name);
            if (vm.count(name) && !vm[name].defaulted()) {
                given.insert(name);
                if (s.use == OptionUse::repeatable) {
                    for (const auto& v : vm[name].as<std::vector<std::string>>())
                        apply_value(config, s, v);
                } else {
                    apply_value(config, s, vm[name].as<std::string>());
                }
                continue;
            }
            for (const auto& entry : file) {
                if (entry.name != s.name) continue;
                given.insert(name);
                try {
                    apply_value(config, s, entry.value);
                } catch (const ConfigError& e) {
                    fail_at(source, entry.line, e.what());
                }
            }
            if (!given.contains(name) && !s.default_value.empty())
                apply_value(config, s, s.default_value);
        }
        validate(config, given);
        return config;
    } catch (const ConfigError& e) {
        return e;
    }
}

}  // namespace

std::optional<DeviceSpec> DeviceSpec::parse(std::string_view text) {
    const size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    const std::string_view args =
        comma == std::string_view::npos ? std::string_view{} : text.substr(comma);
    if (std::any_of(text.begin(), text.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return std::nullopt;

    DeviceSpec spec;
    if (name.starts_with("net_")) {
        const std::string_view driver = name.substr(4);
        const bool ok = !driver.empty() && std::all_of(driver.begin(), driver.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
        if (!ok) return std::nullopt;
        spec.bus = Bus::vdev;
        spec.name = name;
        spec.devargs = std::string(name) + std::string(args);
        return spec;
    }

    // PCI: [domain:]bus:device.function, hex; DPDK names the port with a 4-digit domain.
    uint32_t parts[4] = {0, 0, 0, 0};
    const size_t max_digits[4] = {4, 2, 2, 1};
    const char separators[4] = {':', ':', '.', '\0'};
    std::string_view rest = name;
    const size_t colons = static_cast<size_t>(std::count(name.begin(), name.end(), ':'));
    if (colons != 1 && colons != 2) return std::nullopt;
    for (size_t i = colons == 2 ? 0 : 1; i < 4; ++i) {
        const size_t end = separators[i] ? rest.find(separators[i]) : rest.size();
        if (end == std::string_view::npos || end == 0 || end > max_digits[i]) return std::nullopt;
        const auto [p, ec] = std::from_chars(rest.data(), rest.data() + end, parts[i], 16);
        if (ec != std::errc() || p != rest.data() + end) return std::nullopt;
        rest.remove_prefix(separators[i] ? end + 1 : end);
    }
    if (!rest.empty() || parts[2] > 0x1f || parts[3] > 7) return std::nullopt;
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", parts[0], parts[1], parts[2], parts[3]);
    spec.bus = Bus::pci;
    spec.name = buf;
    spec.devargs = spec.name + std::string(args);
    return spec;
}

std::string format_lcores(std::span<const uint32_t> lcores) {
    std::string list;
    for (const uint32_t id : lcores) {
        if (!list.empty()) list += ',';
        list += std::to_string(id);
    }
    return list;
}

bool SideConfig::owns(const net::IpAddr& addr) const {
    const auto& list = addr.is_v4() ? ipv4 : ipv6;
    return std::find(list.begin(), list.end(), addr) != list.end();
}

ParseResult parse_config(int argc, const char* const* argv) { return parse(nullptr, argc, argv); }

ParseResult parse_config_text(std::string_view file_text, int argc, const char* const* argv) {
    const std::string text(file_text);
    return parse(&text, argc, argv);
}

std::string format_config(const DataplaneConfig& config) {
    std::string out = "# " + version_line() + ", effective configuration\n";
    std::string section;
    for (const auto& row : kRows) {
        if (row.show == nullptr) continue;
        const std::string_view name = row.spec.name;
        const size_t dot = name.find('.');
        const std::string row_section(dot == std::string_view::npos ? "" : name.substr(0, dot));
        const std::string key(dot == std::string_view::npos ? name : name.substr(dot + 1));
        if (row_section != section) {
            out += "\n[" + row_section + "]\n";
            section = row_section;
        }
        for (const auto& value : row.show(config, name)) out += key + " = " + value + "\n";
    }
    return out;
}

std::span<const OptionSpec> option_table() { return kSpecs; }

}  // namespace msf::config
