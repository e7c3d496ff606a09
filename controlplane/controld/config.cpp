#include "controlplane/controld/config.hpp"

#include <sys/un.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
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

namespace msf::controld {
namespace po = boost::program_options;
using config::IniEntry;
using config::quote;
using config::read_ini;

namespace {

// ---- value converters: each throws ConfigError "<option>: <problem>" ------------------------
// The same converters and messages as msf-dataplane's (dataplane/config/config.cpp), so both
// daemons word the same mistake the same way.

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

uint32_t to_u32(std::string_view name, std::string_view text, uint64_t min, uint64_t max) {
    return static_cast<uint32_t>(to_uint(name, text, min, max));
}

bool to_bool(std::string_view name, std::string_view text) {
    static constexpr std::array<std::string_view, 4> yes = {"yes", "true", "on", "1"};
    static constexpr std::array<std::string_view, 4> no = {"no", "false", "off", "0"};
    if (std::find(yes.begin(), yes.end(), text) != yes.end()) return true;
    if (std::find(no.begin(), no.end(), text) != no.end()) return false;
    fail(name, quote(text) + " is not a boolean (yes/no, true/false, on/off, 1/0)");
}

// RFC 3629 §4: shortest forms only, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        const auto b0 = static_cast<unsigned char>(text[i]);
        size_t length = 0;
        uint32_t cp = 0;
        if (b0 < 0x80) {
            ++i;
            continue;
        }
        if (b0 >= 0xc2 && b0 <= 0xdf) length = 2, cp = b0 & 0x1f;
        else if (b0 >= 0xe0 && b0 <= 0xef) length = 3, cp = b0 & 0x0f;
        else if (b0 >= 0xf0 && b0 <= 0xf4) length = 4, cp = b0 & 0x07;
        else return false;
        if (i + length > text.size()) return false;
        for (size_t k = 1; k < length; ++k) {
            const auto b = static_cast<unsigned char>(text[i + k]);
            if ((b & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3f);
        }
        const uint32_t min = length == 3 ? 0x800 : length == 4 ? 0x10000 : 0x80;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += length;
    }
    return true;
}

std::string_view yes_no(bool value) { return value ? "yes" : "no"; }

// What an address is, for the rules that differ per option: Diameter may listen on a wildcard
// and talk over loopback, media addresses are the dataplane's and must be plain unicast.
enum class AddressKind : uint8_t { unspecified, loopback, multicast, broadcast, other, unicast };

AddressKind kind_of(const net::IpAddr& a) {
    if (a.is_v4()) {
        const uint8_t b0 = a.bytes[0];
        if (a.bytes[0] == 0 && a.bytes[1] == 0 && a.bytes[2] == 0 && a.bytes[3] == 0)
            return AddressKind::unspecified;
        if (b0 == 127) return AddressKind::loopback;
        if ((b0 & 0xf0) == 0xe0) return AddressKind::multicast;
        if (a.bytes[0] == 255 && a.bytes[1] == 255 && a.bytes[2] == 255 && a.bytes[3] == 255)
            return AddressKind::broadcast;
        if (b0 == 0) return AddressKind::other;  // RFC 1122 §3.2.1.3: "this network"
        return AddressKind::unicast;
    }
    static constexpr std::array<uint8_t, 16> zero{};
    std::array<uint8_t, 16> loopback{};
    loopback[15] = 1;
    if (a.bytes == zero) return AddressKind::unspecified;
    if (a.bytes == loopback) return AddressKind::loopback;
    if (a.bytes[0] == 0xff) return AddressKind::multicast;
    return AddressKind::unicast;
}

enum class AddressUse : uint8_t {
    listen,  // a local address to bind: the wildcard and loopback too
    peer,    // a remote Diameter node: loopback too
    media,   // the dataplane's own media address: unicast only, as its config demands
};

void check_address(std::string_view name, const net::IpAddr& a, AddressUse use) {
    const AddressKind kind = kind_of(a);
    const bool ok = kind == AddressKind::unicast ||
                    (kind == AddressKind::loopback && use != AddressUse::media) ||
                    (kind == AddressKind::unspecified && use == AddressUse::listen);
    if (ok) return;
    if (kind == AddressKind::unspecified && use == AddressUse::peer)
        fail(name, a.to_string() + " is the unspecified address, not a peer's");
    fail(name, a.to_string() + " is not a unicast address");
}

net::IpAddr to_ip(std::string_view name, std::string_view text, net::Family family,
                  AddressUse use) {
    const auto addr = net::IpAddr::parse(text);
    const char* what = family == net::Family::ipv4   ? "an IPv4 address"
                       : family == net::Family::ipv6 ? "an IPv6 address"
                                                     : "an IP address";
    if (!addr || (family != net::Family::none && addr->family != family))
        fail(name, quote(text) + " is not " + what);
    check_address(name, *addr, use);
    return *addr;
}

// "addr:port" or "[v6]:port" to listen on.
net::Endpoint to_listen_endpoint(std::string_view name, std::string_view text) {
    const auto endpoint = net::Endpoint::parse(text);
    if (!endpoint) {
        fail(name, quote(text) +
                       " is not address:port (192.0.2.1:3868, [2001:db8::1]:3868, 0.0.0.0:3868)");
    }
    check_address(name, endpoint->addr, AddressUse::listen);
    if (endpoint->port == 0) fail(name, endpoint->to_string() + ": port 0 is not allowed");
    return *endpoint;
}

// A unicast (or loopback) address and a port other than 0: msf-msrpd's, as a peer reaches it.
net::Endpoint to_msrp_address(std::string_view name, std::string_view text) {
    const auto endpoint = net::Endpoint::parse(text);
    if (!endpoint) fail(name, quote(text) + " is not address:port (192.0.2.10:2855, [2001:db8::10]:2855)");
    check_address(name, endpoint->addr, AddressUse::peer);
    if (endpoint->port == 0) fail(name, endpoint->to_string() + ": port 0 is not allowed");
    return *endpoint;
}

// "HOST:PORT" or "[v6]:PORT"; HOST an IP literal or a DNS name.
ConnectTarget to_connect_target(std::string_view name, std::string_view text) {
    const auto bad = [&]() {
        fail(name, quote(text) +
                       " is not HOST:PORT (pcscf.example.net:3868, 192.0.2.5:3868, "
                       "[2001:db8::5]:3868)");
    };
    ConnectTarget target;
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            bad();
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        const auto addr = net::IpAddr::parse(host);
        if (!addr || !addr->is_v6()) bad();
        check_address(name, *addr, AddressUse::peer);
        target.host = addr->to_string();
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) bad();
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            fail(name, quote(text) + ": an IPv6 address goes in brackets ([2001:db8::5]:3868)");
        if (const auto addr = net::IpAddr::parse(host)) {
            check_address(name, *addr, AddressUse::peer);
            target.host = addr->to_string();
        } else if (valid_diameter_identity(host)) {
            target.host = host;
        } else {
            bad();
        }
    }
    target.port = static_cast<uint16_t>(to_uint(name, port, 1, 65535));
    return target;
}

std::string to_identity(std::string_view name, std::string_view text) {
    if (!valid_diameter_identity(text)) {
        fail(name, quote(text) +
                       " is not a DiameterIdentity (an FQDN: dot-separated labels of letters, "
                       "digits and '-', RFC 6733 §4.3.1)");
    }
    return std::string(text);
}

// DNS names compare case-insensitively (RFC 4343), so do identities and realms.
bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
               return lower(x) == lower(y);
           });
}

std::string to_path(std::string_view name, const std::string& value) {
    if (value.empty()) fail(name, "must not be empty");
    return value;
}

std::string to_socket_path(std::string_view name, const std::string& value) {
    if (value.empty()) fail(name, "must not be empty");
    if (value.size() >= sizeof(sockaddr_un::sun_path))
        fail(name, "path is longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                       " bytes");
    return value;
}

srtp::Suite to_suite(std::string_view name, std::string_view text) {
    // RFC 4568 §9.2: the names are case-sensitive.
    for (const auto& info : srtp::kSuites)
        if (info.name == text) return info.suite;
    std::string known;
    for (const auto& info : srtp::kSuites) {
        if (!known.empty()) known += ", ";
        known += info.name;
    }
    fail(name, quote(text) + " is not an SRTP suite (" + known + ")");
}

std::string_view suite_name(srtp::Suite suite) { return srtp::suite_info(suite).name; }

// The default of policy.suites: every suite of the srtp table, in its order.
const std::string kAllSuites = [] {
    std::string out;
    for (const auto& info : srtp::kSuites) {
        if (!out.empty()) out += ' ';
        out += info.name;
    }
    return out;
}();

constexpr std::array<std::string_view, 5> kLogLevelNames = {"error", "warning", "notice", "info",
                                                             "debug"};
constexpr std::array<std::string_view, 3> kRtcpMuxNames = {"auto", "yes", "no"};

// ---- the peer option ------------------------------------------------------------------------

struct PeerKey {
    std::string_view key;
    void (*apply)(PeerConfig& peer, std::string_view name, std::string_view value);
};

constexpr std::array<PeerKey, 6> kPeerKeys = {{
    {"address",
     [](PeerConfig& p, std::string_view n, std::string_view v) {
         p.address = to_ip(n, v, net::Family::none, AddressUse::peer);
     }},
    {"connect",
     [](PeerConfig& p, std::string_view n, std::string_view v) {
         p.connect = to_connect_target(n, v);
     }},
    {"tls", [](PeerConfig& p, std::string_view n, std::string_view v) { p.tls = to_bool(n, v); }},
    {"realm",
     [](PeerConfig& p, std::string_view n, std::string_view v) { p.realm = to_identity(n, v); }},
    {"max-sessions",
     [](PeerConfig& p, std::string_view n, std::string_view v) {
         p.max_sessions = to_u32(n, v, 1, kMaxSessions);
     }},
    {"require-protection",
     [](PeerConfig& p, std::string_view n, std::string_view v) {
         p.require_protection = to_bool(n, v);
     }},
}};

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Blanks around the commas and '=' are ignored: "a.example, tls = yes" is "a.example,tls=yes".
PeerConfig to_peer(std::string_view name, std::string_view text) {
    const size_t first_comma = text.find(',');
    PeerConfig peer;
    peer.identity = to_identity(name, trim_blanks(text.substr(0, first_comma)));
    // Errors below name the option and the peer: "diameter.peer: pcscf.example: tls: ...".
    const std::string prefix = std::string(name) + ": " + peer.identity;
    std::set<std::string_view> seen;
    bool more = first_comma != std::string_view::npos;
    std::string_view rest = more ? text.substr(first_comma + 1) : std::string_view{};
    while (more) {
        const size_t comma = rest.find(',');
        const std::string_view item = trim_blanks(rest.substr(0, comma));
        more = comma != std::string_view::npos;
        if (more) rest.remove_prefix(comma + 1);
        const size_t eq = item.find('=');
        if (eq == std::string_view::npos)
            fail(prefix, quote(item) + " is not key=value");
        const std::string_view key = trim_blanks(item.substr(0, eq));
        const auto* spec = std::find_if(kPeerKeys.begin(), kPeerKeys.end(),
                                        [&](const PeerKey& k) { return k.key == key; });
        if (spec == kPeerKeys.end()) {
            std::string known;
            for (const auto& k : kPeerKeys) {
                if (!known.empty()) known += ", ";
                known += k.key;
            }
            fail(prefix, "unknown key " + quote(key) + " (keys: " + known + ")");
        }
        if (!seen.insert(spec->key).second) fail(prefix, std::string(key) + " is given twice");
        spec->apply(peer, prefix + ": " + std::string(key), trim_blanks(item.substr(eq + 1)));
    }
    return peer;
}

// ---- formatting helpers ---------------------------------------------------------------------

template <typename T>
std::vector<std::string> one(const T& value) {
    return {std::to_string(value)};
}
std::vector<std::string> one(const std::string& value) { return {value}; }
std::vector<std::string> one(std::string_view value) { return {std::string(value)}; }
std::vector<std::string> one(bool value) { return {std::string(yes_no(value))}; }

std::vector<std::string> optional_text(const std::string& value) {
    return value.empty() ? std::vector<std::string>{} : one(value);
}

std::vector<std::string> addresses(const std::vector<net::IpAddr>& list) {
    std::vector<std::string> out;
    for (const auto& a : list) out.push_back(a.to_string());
    return out;
}

std::vector<std::string> endpoints(const std::vector<net::Endpoint>& list) {
    std::vector<std::string> out;
    for (const auto& e : list) out.push_back(e.to_string());
    return out;
}

// The list of media.<side>-ipv<n> (Config: ControldConfig, const or not).
template <typename Config>
auto& media_list(Config& c, std::string_view name) {
    if (name == "media.access-ipv4") return c.media.access_ipv4;
    if (name == "media.access-ipv6") return c.media.access_ipv6;
    if (name == "media.core-ipv4") return c.media.core_ipv4;
    return c.media.core_ipv6;
}

// ---- the option table -----------------------------------------------------------------------

constexpr std::string_view kGeneral = "General";
constexpr std::string_view kDiameter = "Diameter, [diameter] in the file (Rx-style, RFC 6733)";
constexpr std::string_view kMedia = "Media, [media] in the file (the dataplane's addresses)";
constexpr std::string_view kPolicy = "Policy, [policy] in the file (what is accepted)";
constexpr std::string_view kMsrp = "MSRP, [msrp] in the file (msf-msrpd, the TLS-PSK relay)";

using Show = std::vector<std::string> (*)(const ControldConfig&, std::string_view);

struct Row {
    OptionSpec spec;
    Show show;  // the stored value(s) as the file spells them; nullptr: not printed
};

constexpr auto kMediaIpv4 = [](ControldConfig& c, std::string_view n, const std::string& v) {
    media_list(c, n).push_back(to_ip(n, v, net::Family::ipv4, AddressUse::media));
};
constexpr auto kMediaIpv6 = [](ControldConfig& c, std::string_view n, const std::string& v) {
    media_list(c, n).push_back(to_ip(n, v, net::Family::ipv6, AddressUse::media));
};
constexpr Show kShowMedia = [](const ControldConfig& c, std::string_view n) {
    return addresses(media_list(c, n));
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
      "error, warning, notice, info or debug",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          const auto* it = std::find(kLogLevelNames.begin(), kLogLevelNames.end(), v);
          if (it == kLogLevelNames.end())
              fail(n, quote(v) + " is not a log level (error, warning, notice, info, debug)");
          c.log_level = static_cast<LogLevel>(it - kLogLevelNames.begin());
      }},
     [](const ControldConfig& c, std::string_view) { return one(log_level_name(c.log_level)); }},
    {{"cli-socket", 0, OptionUse::once, "<path>", "/run/msf/controld.sock", kGeneral,
      "Unix socket msfctl talks to (created 0660)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.cli_socket = to_socket_path(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.cli_socket); }},
    {{"cli-group", 0, OptionUse::once, "<group>", "", kGeneral,
      "group that owns cli-socket, so its members may run msfctl; default: the daemon's group",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          // POSIX portable user/group names (POSIX.1-2017 §3.437), 32 bytes as shadow-utils.
          const bool ok = !v.empty() && v.size() <= 32 && v.front() != '-' &&
                          std::all_of(v.begin(), v.end(), [](char ch) {
                              return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                     (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                                     ch == '.';
                          });
          if (!ok) {
              fail(n, quote(v) + " is not a group name (1..32 letters, digits, '_', '-', '.'; "
                                 "not starting with '-')");
          }
          c.cli_group = v;
      }},
     [](const ControldConfig& c, std::string_view) { return optional_text(c.cli_group); }},
    {{"dataplane-socket", 0, OptionUse::once, "<path>", "/run/msf/dataplane.sock", kGeneral,
      "msf-dataplane's control socket (its control-socket option)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.dataplane_socket = to_socket_path(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.dataplane_socket); }},
    {{"dataplane-retry-ms", 0, OptionUse::once, "<ms>", "1000", kGeneral,
      "wait between attempts to reach the dataplane (it is repopulated from the store on "
      "every connect)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.dataplane_retry_ms = to_u32(n, v, 10, 3600000);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.dataplane_retry_ms); }},
    {{"store", 0, OptionUse::once, "<path>", "/var/lib/msf/controld.db", kGeneral,
      "SQLite database of the sessions; a restarted daemon resumes from it",
      [](ControldConfig& c, std::string_view n, const std::string& v) { c.store = to_path(n, v); }},
     [](const ControldConfig& c, std::string_view) { return one(c.store); }},
    {{"store-key", 0, OptionUse::once, "<path>", "/var/lib/msf/store.key", kGeneral,
      "file with the key that seals the media keys in the store (created 0600 if missing)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.store_key = to_path(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.store_key); }},

    {{"diameter.identity", 0, OptionUse::once, "<fqdn>", "msf.localdomain", kDiameter,
      "our DiameterIdentity: Origin-Host of every message (RFC 6733 §6.3)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.identity = to_identity(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.diameter.identity); }},
    {{"diameter.realm", 0, OptionUse::once, "<realm>", "localdomain", kDiameter,
      "our Origin-Realm (RFC 6733 §6.4)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.realm = to_identity(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.diameter.realm); }},
    {{"diameter.listen", 0, OptionUse::repeatable, "<addr:port>", "127.0.0.1:3868", kDiameter,
      "plain TCP listener, address:port or [v6]:port (repeatable; 0.0.0.0 and [::] listen on "
      "all addresses); none: no plain listener",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.listen.push_back(to_listen_endpoint(n, v));
      }},
     [](const ControldConfig& c, std::string_view) { return endpoints(c.diameter.listen); }},
    {{"diameter.tls-listen", 0, OptionUse::repeatable, "<addr:port>", "", kDiameter,
      "TLS listener, TLS from the first byte (RFC 6733 §2.1, port 5658), repeatable",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.tls_listen.push_back(to_listen_endpoint(n, v));
      }},
     [](const ControldConfig& c, std::string_view) { return endpoints(c.diameter.tls_listen); }},
    {{"diameter.tls-cert", 0, OptionUse::once, "<path>", "", kDiameter,
      "our certificate chain (PEM); needed with tls-listen or a tls=yes peer",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.tls_cert = to_path(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return optional_text(c.diameter.tls_cert); }},
    {{"diameter.tls-key", 0, OptionUse::once, "<path>", "", kDiameter,
      "the private key of tls-cert (PEM)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.tls_key = to_path(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return optional_text(c.diameter.tls_key); }},
    {{"diameter.tls-ca", 0, OptionUse::once, "<path>", "", kDiameter,
      "CA certificates (PEM) that peers' certificates must chain to; default: the system's",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.tls_ca = to_path(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return optional_text(c.diameter.tls_ca); }},
    {{"diameter.vendor-id", 0, OptionUse::once, "<id>", "32473", kDiameter,
      "Vendor-Id of the MSF's own AVPs (keys, media addresses); 32473 is the enterprise number "
      "for documentation (RFC 5612)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.vendor_id = to_u32(n, v, 1, 0xffffffffu);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.diameter.vendor_id); }},
    {{"diameter.product-name", 0, OptionUse::once, "<text>", "msf-controld", kDiameter,
      "Product-Name of our CER/CEA (RFC 6733 §5.3.7)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          // RFC 6733 §5.3.7: a UTF8String AVP.
          if (v.empty() || v.size() > 255) fail(n, "must be 1..255 bytes");
          if (!valid_utf8(v)) fail(n, quote(v) + " is not UTF-8");
          c.diameter.product_name = v;
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.diameter.product_name); }},
    {{"diameter.watchdog-ms", 0, OptionUse::once, "<ms>", "30000", kDiameter,
      "Tw: a DWR after this long without traffic (RFC 6733 §5.5; at least 6000, RFC 3539 "
      "§3.4.1)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.watchdog_ms = to_u32(n, v, kMinWatchdogMs, 3600000);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.diameter.watchdog_ms); }},
    {{"diameter.reconnect-ms", 0, OptionUse::once, "<ms>", "30000", kDiameter,
      "Tc: wait before connecting again to a connect= peer (RFC 6733 §2.1)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.reconnect_ms = to_u32(n, v, 1000, 3600000);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.diameter.reconnect_ms); }},
    {{"diameter.max-message-bytes", 0, OptionUse::once, "<bytes>", "65536", kDiameter,
      "longest Diameter message accepted (4096..16777215, the 24-bit Message Length of RFC "
      "6733 §3)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.max_message_bytes = to_u32(n, v, kMinMessageBytes, kMaxMessageBytes);
      }},
     [](const ControldConfig& c, std::string_view) {
         return one(c.diameter.max_message_bytes);
     }},
    {{"diameter.peer", 0, OptionUse::repeatable,
      "<identity[,key=value...]>", "", kDiameter,
      "an allowed peer (only listed peers are accepted), repeatable; keys: address=IP (its "
      "connections must come from there), connect=HOST:PORT (we connect, again every "
      "reconnect-ms), tls=yes|no, realm=REALM, max-sessions=N, require-protection=yes|no",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.diameter.peers.push_back(to_peer(n, v));
      }},
     [](const ControldConfig& c, std::string_view) {
         std::vector<std::string> out;
         for (const auto& peer : c.diameter.peers) out.push_back(peer.to_string());
         return out;
     }},

    {{"media.access-ipv4", 0, OptionUse::repeatable, "<addr>", "", kMedia,
      "the MSF's IPv4 media address toward the UEs, as the dataplane's access.ipv4 "
      "(repeatable)", kMediaIpv4}, kShowMedia},
    {{"media.access-ipv6", 0, OptionUse::repeatable, "<addr>", "", kMedia,
      "the MSF's IPv6 media address toward the UEs, as the dataplane's access.ipv6 "
      "(repeatable)", kMediaIpv6}, kShowMedia},
    {{"media.core-ipv4", 0, OptionUse::repeatable, "<addr>", "", kMedia,
      "the MSF's IPv4 media address toward the core, as the dataplane's core.ipv4 (repeatable)",
      kMediaIpv4}, kShowMedia},
    {{"media.core-ipv6", 0, OptionUse::repeatable, "<addr>", "", kMedia,
      "the MSF's IPv6 media address toward the core, as the dataplane's core.ipv6 (repeatable)",
      kMediaIpv6}, kShowMedia},
    {{"media.port-min", 0, OptionUse::once, "<port>", "16384", kMedia,
      "lowest media port allocated (even: RTP even, RTCP odd, RFC 3550 §11)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.media.port_min = static_cast<uint16_t>(to_uint(n, v, 1024, 65534));
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.media.port_min); }},
    {{"media.port-max", 0, OptionUse::once, "<port>", "65535", kMedia,
      "highest media port allocated",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.media.port_max = static_cast<uint16_t>(to_uint(n, v, 1025, 65535));
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.media.port_max); }},
    {{"media.replay-window", 0, OptionUse::once, "<n>", "128", kMedia,
      "SRTP replay window in packets, power of two 64..1024 (RFC 3711 §3.3.2)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          const uint32_t w = to_u32(n, v, kMinReplayWindow, kMaxReplayWindow);
          if ((w & (w - 1)) != 0) fail(n, std::to_string(w) + " is not a power of two");
          c.media.replay_window = w;
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.media.replay_window); }},
    {{"media.inactivity-timeout-ms", 0, OptionUse::once, "<ms>", "0", kMedia,
      "remove a session after this long without media (0: never; else at least 1000)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          const uint32_t ms = to_u32(n, v, 0, 86400000);
          if (ms != 0 && ms < kMinInactivityTimeoutMs)
              fail(n, std::to_string(ms) + " is too small (0, or 1000..86400000)");
          c.media.inactivity_timeout_ms = ms;
      }},
     [](const ControldConfig& c, std::string_view) {
         return one(c.media.inactivity_timeout_ms);
     }},
    {{"media.rtcp-mux", 0, OptionUse::once, "<auto|yes|no>", "auto", kMedia,
      "RTCP on the RTP port (RFC 5761): auto follows the request's flows; yes; no",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          const auto* it = std::find(kRtcpMuxNames.begin(), kRtcpMuxNames.end(), v);
          if (it == kRtcpMuxNames.end()) fail(n, quote(v) + " is not auto, yes or no");
          c.media.rtcp_mux = static_cast<RtcpMux>(it - kRtcpMuxNames.begin());
      }},
     [](const ControldConfig& c, std::string_view) {
         return one(rtcp_mux_name(c.media.rtcp_mux));
     }},

    {{"policy.suites", 0, OptionUse::repeatable, "<suite>", kAllSuites, kPolicy,
      "SRTP suites accepted, RFC 4568/6188/7714 names (repeatable); default: every suite the "
      "dataplane implements",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.policy.suites.push_back(to_suite(n, v));
      }},
     [](const ControldConfig& c, std::string_view) {
         std::vector<std::string> out;
         for (const auto suite : c.policy.suites) out.emplace_back(suite_name(suite));
         return out;
     }},
    {{"policy.default-suite", 0, OptionUse::once, "<suite>", "AES_CM_128_HMAC_SHA1_80", kPolicy,
      "suite of a key the MSF generates when the request names none; one of suites",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.policy.default_suite = to_suite(n, v);
      }},
     [](const ControldConfig& c, std::string_view) {
         return one(suite_name(c.policy.default_suite));
     }},
    {{"policy.require-protection", 0, OptionUse::once, "<yes|no>", "yes", kPolicy,
      "refuse a media component without keys (a peer's require-protection overrides it)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.policy.require_protection = to_bool(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.policy.require_protection); }},
    {{"policy.require-protection-realm", 0, OptionUse::repeatable, "<realm>", "", kPolicy,
      "Origin-Realm whose requests need keys even with require-protection=no (repeatable)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.policy.require_protection_realms.push_back(to_identity(n, v));
      }},
     [](const ControldConfig& c, std::string_view) {
         return c.policy.require_protection_realms;
     }},
    {{"policy.max-sessions", 0, OptionUse::once, "<n>", "100000", kPolicy,
      "Diameter sessions held at once; more are refused",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.policy.max_sessions = to_u32(n, v, 1, kMaxSessions);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.policy.max_sessions); }},
    {{"policy.max-sessions-per-peer", 0, OptionUse::once, "<n>", "0", kPolicy,
      "sessions one peer may hold (0: no limit but max-sessions; a peer's max-sessions "
      "overrides it)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.policy.max_sessions_per_peer = to_u32(n, v, 0, kMaxSessions);
      }},
     [](const ControldConfig& c, std::string_view) {
         return one(c.policy.max_sessions_per_peer);
     }},
    {{"policy.generate-to-ue-key", 0, OptionUse::once, "<yes|no>", "yes", kPolicy,
      "generate the network->UE key (CSPRNG) when the request carries none, and return it in "
      "the answer; no: refuse such a request",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.policy.generate_to_ue_key = to_bool(n, v);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.policy.generate_to_ue_key); }},
    {{"policy.auth-failure-storm", 0, OptionUse::once, "<n>", "50", kPolicy,
      "SRTP authentication failures of one session per second that make the MSF tell its "
      "peer with a RAR (0: off)",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.policy.auth_failure_storm = to_u32(n, v, 0, 1000000);
      }},
     [](const ControldConfig& c, std::string_view) { return one(c.policy.auth_failure_storm); }},

    {{"msrp.socket", 0, OptionUse::once, "<path>", "", kMsrp,
      "msf-msrpd's control socket; MSRP media components are relayed only when it is set",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.msrp.socket = to_socket_path(n, v);
      }},
     [](const ControldConfig& c, std::string_view) {
         return c.msrp.socket.empty() ? std::vector<std::string>{} : one(c.msrp.socket);
     }},
    {{"msrp.access-address", 0, OptionUse::once, "<addr:port>", "", kMsrp,
      "msf-msrpd's TLS listener as the UEs reach it (its access-listen), for the URIs the UEs send to",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.msrp.access_address = to_msrp_address(n, v);
      }},
     [](const ControldConfig& c, std::string_view) {
         return c.msrp.socket.empty() ? std::vector<std::string>{} : one(c.msrp.access_address.to_string());
     }},
    {{"msrp.core-address", 0, OptionUse::once, "<addr:port>", "", kMsrp,
      "msf-msrpd's address toward the core, for the URI the core sees the UE under",
      [](ControldConfig& c, std::string_view n, const std::string& v) {
          c.msrp.core_address = to_msrp_address(n, v);
      }},
     [](const ControldConfig& c, std::string_view) {
         return c.msrp.socket.empty() ? std::vector<std::string>{} : one(c.msrp.core_address.to_string());
     }},
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
void apply_value(ControldConfig& config, const OptionSpec& spec, std::string_view raw) {
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

// A list's default is its values separated by spaces (policy.suites has six).
void apply_default(ControldConfig& config, const OptionSpec& spec) {
    if (spec.use != OptionUse::repeatable) return apply_value(config, spec, spec.default_value);
    std::string_view rest = spec.default_value;
    while (!rest.empty()) {
        const size_t space = rest.find(' ');
        apply_value(config, spec, rest.substr(0, space));
        rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
    }
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
            auto* value =
                po::value<std::vector<std::string>>()->value_name(std::string(s.value_name));
            // Shown as "(=default)"; defaulted() tells it from a value given on the line.
            if (!s.default_value.empty())
                value->default_value({std::string(s.default_value)},
                                     std::string(s.default_value));
            current->add_options()(names.c_str(), value, help.c_str());
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
    out << "usage: msf-controld [--config FILE] [--option=value ...]\n"
           "Values come from the command line, else the config file, else the default shown.\n"
           "In the file, names without a dot go before the first section; diameter.peer is\n"
           "`peer = ...` under [diameter]. A list option given on the command line replaces the\n"
           "file's list.\n"
        << describe_options();
    return out.str();
}

std::string version_line() { return "msf-controld " MSF_VERSION; }

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
    std::string message = e.what();
    for (char& c : message)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    throw ConfigError("command line: " + message);
}

// ---- cross-option checks --------------------------------------------------------------------

const char* family_name(const net::IpAddr& a) { return a.is_v4() ? "IPv4" : "IPv6"; }

void check_media(const ControldConfig& c) {
    const MediaConfig& m = c.media;
    if (m.access_ipv4.empty() && m.access_ipv6.empty())
        fail("media", "no access address; set media.access-ipv4 or media.access-ipv6");
    if (m.core_ipv4.empty() && m.core_ipv6.empty())
        fail("media", "no core address; set media.core-ipv4 or media.core-ipv6");
    const std::array<std::pair<std::string_view, const std::vector<net::IpAddr>*>, 4> lists = {{
        {"media.access-ipv4", &m.access_ipv4},
        {"media.access-ipv6", &m.access_ipv6},
        {"media.core-ipv4", &m.core_ipv4},
        {"media.core-ipv6", &m.core_ipv6},
    }};
    // Each address once, and on one side only: the dataplane tells the legs apart by address.
    for (size_t l = 0; l < lists.size(); ++l) {
        const auto& [name, list] = lists[l];
        for (size_t i = 0; i < list->size(); ++i) {
            const auto& a = (*list)[i];
            if (std::count(list->begin(), list->begin() + static_cast<ptrdiff_t>(i), a) != 0)
                fail(name, a.to_string() + " is listed twice");
            for (size_t other = 0; other < l; ++other) {
                const auto* earlier = lists[other].second;
                if (std::find(earlier->begin(), earlier->end(), a) != earlier->end())
                    fail(name, a.to_string() + " is also in " + std::string(lists[other].first));
            }
        }
    }
    if (m.port_min % 2 != 0 || m.port_min >= m.port_max)
        fail("media.port-min", "must be even and below media.port-max (" +
                                   std::to_string(m.port_min) + ", media.port-max " +
                                   std::to_string(m.port_max) + ")");
}

// Two listeners collide when they bind the same port of one family and one of them is the
// wildcard or both are the same address (bind() would fail with EADDRINUSE).
void check_listeners(const DiameterConfig& d) {
    struct Listener {
        std::string_view option;
        const net::Endpoint* endpoint;
    };
    std::vector<Listener> all;
    for (const auto& e : d.listen) all.push_back({"diameter.listen", &e});
    for (const auto& e : d.tls_listen) all.push_back({"diameter.tls-listen", &e});
    for (size_t j = 0; j < all.size(); ++j) {
        for (size_t i = 0; i < j; ++i) {
            const net::Endpoint& a = *all[i].endpoint;
            const net::Endpoint& b = *all[j].endpoint;
            if (a.port != b.port || a.addr.family != b.addr.family) continue;
            if (a == b && all[i].option == all[j].option)
                fail(all[j].option, b.to_string() + " is listed twice");
            const bool wildcard = kind_of(a.addr) == AddressKind::unspecified ||
                                  kind_of(b.addr) == AddressKind::unspecified;
            if (a == b || wildcard) {
                fail(all[j].option, b.to_string() + " overlaps " + std::string(all[i].option) +
                                        " " + a.to_string() + " (same port)");
            }
        }
    }
}

void check_tls(const DiameterConfig& d) {
    if (!d.tls_key.empty() && d.tls_cert.empty())
        fail("diameter.tls-cert", "not set, but diameter.tls-key is");
    if (!d.tls_cert.empty() && d.tls_key.empty())
        fail("diameter.tls-key", "not set, but diameter.tls-cert is");
    if (!d.tls_cert.empty()) return;
    if (!d.tls_listen.empty()) fail("diameter.tls-cert", "not set, but diameter.tls-listen is");
    for (const auto& peer : d.peers) {
        if (peer.tls) fail("diameter.tls-cert", "not set, but peer " + peer.identity + " uses TLS");
    }
}

void check_peers(const ControldConfig& c) {
    const DiameterConfig& d = c.diameter;
    constexpr std::string_view kPeer = "diameter.peer";
    for (size_t i = 0; i < d.peers.size(); ++i) {
        const PeerConfig& peer = d.peers[i];
        const std::string prefix = std::string(kPeer) + ": " + peer.identity;
        if (same_name(peer.identity, d.identity))
            fail(kPeer, peer.identity + " is this MSF's own identity (diameter.identity)");
        for (size_t j = 0; j < i; ++j) {
            const PeerConfig& other = d.peers[j];
            if (same_name(other.identity, peer.identity))
                fail(kPeer, peer.identity + " is listed twice");
            if (peer.connect && other.connect && peer.connect->port == other.connect->port &&
                same_name(peer.connect->host, other.connect->host)) {
                fail(prefix, "connect=" + peer.connect->to_string() + " is also peer " +
                                 other.identity + "'s");
            }
        }
        if (peer.max_sessions > c.policy.max_sessions) {
            fail(prefix, "max-sessions=" + std::to_string(peer.max_sessions) +
                             " exceeds policy.max-sessions " +
                             std::to_string(c.policy.max_sessions));
        }
        if (peer.connect) continue;
        // A peer we do not connect to must be able to reach a listener of its kind.
        const auto& listeners = peer.tls ? d.tls_listen : d.listen;
        const std::string_view listen_option =
            peer.tls ? "diameter.tls-listen" : "diameter.listen";
        if (listeners.empty()) {
            fail(prefix, std::string(peer.tls ? "tls=yes" : "tls=no") + " but no " +
                             std::string(listen_option) +
                             " address to reach us on (add one, or connect=HOST:PORT)");
        }
        if (peer.address &&
            std::none_of(listeners.begin(), listeners.end(), [&](const net::Endpoint& e) {
                return e.addr.family == peer.address->family;
            })) {
            fail(prefix, "address " + peer.address->to_string() + " is " +
                             family_name(*peer.address) + " but no " +
                             std::string(listen_option) + " address is");
        }
    }
}

void check_policy(const PolicyConfig& p) {
    if (p.suites.empty()) fail("policy.suites", "none; at least one suite is needed");
    for (size_t i = 0; i < p.suites.size(); ++i) {
        if (std::count(p.suites.begin(), p.suites.begin() + static_cast<ptrdiff_t>(i),
                       p.suites[i]) != 0)
            fail("policy.suites", std::string(suite_name(p.suites[i])) + " is listed twice");
    }
    if (std::find(p.suites.begin(), p.suites.end(), p.default_suite) == p.suites.end()) {
        fail("policy.default-suite",
             std::string(suite_name(p.default_suite)) + " is not in policy.suites");
    }
    const auto& realms = p.require_protection_realms;
    for (size_t i = 0; i < realms.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            if (same_name(realms[i], realms[j]))
                fail("policy.require-protection-realm", realms[i] + " is listed twice");
        }
    }
    if (p.max_sessions_per_peer > p.max_sessions) {
        fail("policy.max-sessions-per-peer",
             std::to_string(p.max_sessions_per_peer) + " exceeds policy.max-sessions " +
                 std::to_string(p.max_sessions));
    }
}

void validate(const ControldConfig& c) {
    if (c.cli_socket == c.dataplane_socket)
        fail("cli-socket", quote(c.cli_socket) + " is also the dataplane-socket");
    if (c.store == c.store_key) fail("store-key", quote(c.store_key) + " is also the store");
    check_listeners(c.diameter);
    check_tls(c.diameter);
    check_media(c);
    check_policy(c.policy);
    check_peers(c);
    if (c.msrp.enabled() && (c.msrp.access_address.addr.empty() || c.msrp.core_address.addr.empty()))
        fail("msrp.socket", "needs msrp.access-address and msrp.core-address");
    if (!c.msrp.enabled() && !(c.msrp.access_address.addr.empty() && c.msrp.core_address.addr.empty()))
        fail("msrp.access-address", "is set but msrp.socket is not");
    if (c.msrp.enabled() && (c.msrp.socket == c.cli_socket || c.msrp.socket == c.dataplane_socket))
        fail("msrp.socket", quote(c.msrp.socket) + " is also the cli-socket or the dataplane-socket");
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

// A list option with a default (diameter.listen, policy.suites) is emptied by the single value
// "none"; format_controld_config writes an empty one so.
bool empties_list(const OptionSpec& spec) {
    return spec.use == OptionUse::repeatable && !spec.default_value.empty();
}

// The list's values, or none for "none"; with the error a mix of "none" and values deserves.
bool is_none(const OptionSpec& spec, size_t values, std::string_view value) {
    if (!empties_list(spec) || trim_blanks(value) != "none") return false;
    if (values > 1) fail(spec.name, "'none' cannot be combined with other values");
    return true;
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
                // are declared; msf-controld takes none.
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

        ControldConfig config;
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

        // Command line, else file, else default.
        for (const auto& row : kRows) {
            const OptionSpec& s = row.spec;
            if (s.apply == nullptr) continue;
            const std::string name(s.name);
            if (vm.count(name) && !vm[name].defaulted()) {
                if (s.use == OptionUse::repeatable) {
                    const auto& values = vm[name].as<std::vector<std::string>>();
                    for (const auto& v : values)
                        if (!is_none(s, values.size(), v)) apply_value(config, s, v);
                } else {
                    apply_value(config, s, vm[name].as<std::string>());
                }
                continue;
            }
            const size_t in_file = static_cast<size_t>(std::count_if(
                file.begin(), file.end(), [&](const IniEntry& e) { return e.name == s.name; }));
            for (const auto& entry : file) {
                if (entry.name != s.name) continue;
                try {
                    if (!is_none(s, in_file, entry.value)) apply_value(config, s, entry.value);
                } catch (const ConfigError& e) {
                    fail_at(source, entry.line, e.what());
                }
            }
            if (in_file == 0 && !s.default_value.empty()) apply_default(config, s);
        }
        validate(config);
        return config;
    } catch (const ConfigError& e) {
        return e;
    }
}

}  // namespace

std::string ConnectTarget::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string PeerConfig::to_string() const {
    std::string out = identity;
    if (address) out += ",address=" + address->to_string();
    if (connect) out += ",connect=" + connect->to_string();
    if (tls) out += ",tls=yes";
    if (!realm.empty()) out += ",realm=" + realm;
    if (max_sessions != 0) out += ",max-sessions=" + std::to_string(max_sessions);
    if (require_protection)
        out += std::string(",require-protection=") + std::string(yes_no(*require_protection));
    return out;
}

bool DiameterConfig::uses_tls() const {
    return !tls_listen.empty() ||
           std::any_of(peers.begin(), peers.end(), [](const PeerConfig& p) { return p.tls; });
}

std::string_view log_level_name(LogLevel level) {
    return kLogLevelNames[static_cast<size_t>(level)];
}

std::string_view rtcp_mux_name(RtcpMux mux) { return kRtcpMuxNames[static_cast<size_t>(mux)]; }

bool valid_diameter_identity(std::string_view text) {
    // RFC 1035 §2.3.4: 255 bytes in all, 63 per label; RFC 1123 §2.1: letters, digits, '-',
    // not at a label's ends. A last label of digits only would read as an IPv4 address
    // (RFC 3696 §2), so it is refused.
    if (text.empty() || text.size() > 255) return false;
    std::string_view rest = text;
    std::string_view label;
    while (true) {
        const size_t dot = rest.find('.');
        label = rest.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        const bool chars_ok = std::all_of(label.begin(), label.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-';
        });
        if (!chars_ok) return false;
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    return !std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ParseResult parse_controld_config(int argc, const char* const* argv) {
    return parse(nullptr, argc, argv);
}

ParseResult parse_controld_config_text(std::string_view file_text, int argc,
                                       const char* const* argv) {
    const std::string text(file_text);
    return parse(&text, argc, argv);
}

std::string format_controld_config(const ControldConfig& config) {
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
        const auto values = row.show(config, name);
        if (values.empty() && empties_list(row.spec)) out += key + " = none\n";
        for (const auto& value : values) out += key + " = " + value + "\n";
    }
    return out;
}

std::span<const OptionSpec> option_table() { return kSpecs; }

}  // namespace msf::controld
