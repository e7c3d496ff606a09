// parse_config: the option table's defaults, file and command-line precedence, every validation
// error, --help generated from the table, the example config, and format_config round trips.
#include "dataplane/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace msf::config {
namespace {

const std::vector<std::string> kMinimal = {
    "--access.port=net_null0", "--access.ipv4=192.0.2.1",
    "--core.port=net_null1",   "--core.ipv4=198.51.100.1",
};

ParseResult run(std::vector<std::string> args, const std::optional<std::string>& file = {},
                bool minimal = true) {
    std::vector<std::string> all = {"msf-dataplane"};
    // The minimal options, except those the case gives itself.
    for (const auto& m : minimal ? kMinimal : std::vector<std::string>{}) {
        const std::string option = m.substr(0, m.find('=') + 1);
        if (std::none_of(args.begin(), args.end(),
                         [&](const std::string& a) { return a.starts_with(option); }))
            all.push_back(m);
    }
    all.insert(all.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : all) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    const int argc = static_cast<int>(all.size());
    if (file) return parse_config_text(*file, argc, argv.data());
    return parse_config(argc, argv.data());
}

DataplaneConfig ok(std::vector<std::string> args, const std::optional<std::string>& file = {}) {
    auto result = run(std::move(args), file);
    if (const auto* e = std::get_if<ConfigError>(&result)) ADD_FAILURE() << e->what();
    if (auto* c = std::get_if<DataplaneConfig>(&result)) return *c;
    return {};
}

std::string error_of(const ParseResult& result) {
    if (const auto* e = std::get_if<ConfigError>(&result)) return e->what();
    return "(no error)";
}

const OptionSpec& row(std::string_view name) {
    for (const auto& spec : option_table())
        if (spec.name == name) return spec;
    throw std::runtime_error("no row " + std::string(name));
}

TEST(ParseConfig, AppliesEveryDefaultOfTheTable) {
    const DataplaneConfig c = ok({});
    // Every default in the table is what the config holds: format_config prints the stored
    // values under the table's names.
    const std::string formatted = format_config(c);
    for (const auto& spec : option_table()) {
        if (spec.default_value.empty() || spec.name == "file-prefix") continue;
        const size_t dot = spec.name.find('.');
        const std::string key(dot == std::string_view::npos ? spec.name : spec.name.substr(dot + 1));
        EXPECT_NE(formatted.find("\n" + key + " = " + std::string(spec.default_value) + "\n"),
                  std::string::npos)
            << spec.name;
    }
    EXPECT_EQ(c.workers, 1u);
    EXPECT_EQ(c.lcores, (std::vector<uint32_t>{0, 1}));
    EXPECT_TRUE(c.hugepages);
    EXPECT_EQ(c.memory_mb, 1024u);
    EXPECT_EQ(c.burst, 32u);
    EXPECT_EQ(c.max_sessions, 1000000u);
    EXPECT_EQ(c.port_min, 16384u);
    EXPECT_EQ(c.port_max, 65535u);
    EXPECT_EQ(c.replay_window, 128u);
    EXPECT_EQ(c.control_socket, "/run/msf/dataplane.sock");
    EXPECT_TRUE(c.telemetry);
    EXPECT_EQ(c.log_level, "notice");
    EXPECT_EQ(c.file_prefix, "msf-" + std::to_string(::getpid()));
    EXPECT_TRUE(c.eal_extra.empty());
    EXPECT_FALSE(c.access.vlan);
    EXPECT_FALSE(c.access.mac);
    EXPECT_EQ(c.access.port.name, "net_null0");
    EXPECT_EQ(c.core.ipv4.at(0).to_string(), "198.51.100.1");
}

TEST(ParseConfig, CommandLineOverridesFileOverridesDefault) {
    const std::string file =
        "workers = 2\n"
        "burst = 16\n"
        "[access]\n"
        "ipv4 = 192.0.2.7\n"
        "ipv4 = 192.0.2.8\n"
        "vlan = 10\n";
    const auto c = ok({"--workers=3"}, file);
    EXPECT_EQ(c.workers, 3u);   // command line
    EXPECT_EQ(c.burst, 16u);    // file
    EXPECT_EQ(c.rx_ring, 1024u);  // default
    EXPECT_EQ(c.access.vlan, 10);
    // kMinimal gives access.ipv4 on the command line: it replaces the file's list.
    ASSERT_EQ(c.access.ipv4.size(), 1u);
    EXPECT_EQ(c.access.ipv4[0].to_string(), "192.0.2.1");
}

TEST(ParseConfig, FileListsAreKeptInOrderWhenTheCommandLineHasNone) {
    const std::string file =
        "[access]\nport = net_null0\nipv4 = 192.0.2.7\nipv4 = 192.0.2.8\nipv6 = 2001:db8::7\n"
        "[core]\nport = net_null1\nipv6 = 2001:db8:1::1\n";
    const auto result = run({}, file, /*minimal=*/false);
    ASSERT_TRUE(std::holds_alternative<DataplaneConfig>(result)) << error_of(result);
    const auto& c = std::get<DataplaneConfig>(result);
    ASSERT_EQ(c.access.ipv4.size(), 2u);
    EXPECT_EQ(c.access.ipv4[1].to_string(), "192.0.2.8");
    EXPECT_EQ(c.access.ipv6.at(0).to_string(), "2001:db8::7");
    EXPECT_TRUE(c.core.ipv4.empty());
}

TEST(ParseConfig, FileAcceptsCommentLinesBlankLinesAndCrlf) {
    const std::string file =
        "# comment\r\n"
        "; also a comment\r\n"
        "\r\n"
        "  workers = 2   \r\n"
        "[access]   \r\n"
        "  mac=02:00:00:00:00:0a\r\n";
    const auto c = ok({}, file);
    EXPECT_EQ(c.workers, 2u);
    EXPECT_EQ(c.access.mac->to_string(), "02:00:00:00:00:0a");
}

TEST(ParseConfig, BooleansTakeTheUsualSpellings) {
    EXPECT_FALSE(ok({"--hugepages=false"}).hugepages);
    EXPECT_FALSE(ok({"--hugepages=no"}).hugepages);
    EXPECT_FALSE(ok({"--hugepages=off"}).hugepages);
    EXPECT_FALSE(ok({"--hugepages=0"}).hugepages);
    EXPECT_EQ(error_of(run({"--hugepages"})), "hugepages: needs a value (--hugepages=...)");
    EXPECT_FALSE(ok({}, "hugepages = false\n").hugepages);
    EXPECT_TRUE(ok({"--hugepages=yes"}, "hugepages = false\n").hugepages);
}

TEST(ParseConfig, AllowsOneDeviceForBothSides) {
    const auto c = ok({"--core.port=net_null0"});
    EXPECT_TRUE(c.shared_port());
}

TEST(ParseConfig, NormalisesPciAddressesAndKeepsDevargs) {
    const auto c = ok({"--access.port=03:00.0", "--core.port=0000:81:1f.7,txq_inline=128"});
    EXPECT_EQ(c.access.port.bus, DeviceSpec::Bus::pci);
    EXPECT_EQ(c.access.port.name, "0000:03:00.0");
    EXPECT_EQ(c.core.port.name, "0000:81:1f.7");
    EXPECT_EQ(c.core.port.devargs, "0000:81:1f.7,txq_inline=128");
}

TEST(DeviceSpec, ParsesVdevsAndPciAndRejectsTheRest) {
    auto pcap = DeviceSpec::parse("net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap");
    ASSERT_TRUE(pcap);
    EXPECT_EQ(pcap->bus, DeviceSpec::Bus::vdev);
    EXPECT_EQ(pcap->name, "net_pcap0");
    EXPECT_EQ(pcap->devargs, "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap");
    EXPECT_EQ(DeviceSpec::parse("net_af_packet0,iface=veth0")->name, "net_af_packet0");
    EXPECT_EQ(DeviceSpec::parse("0000:AF:00.1")->name, "0000:af:00.1");
    for (const char* bad : {"", "net_", "eth0", "net_Pcap0", "net_pcap 0", "0000:03:20.0",
                            "0000:03:00.8", "00000:03:00.0", "03:00", "03:00.0.1", ":03:00.0",
                            "0000:03:00.0x", "net_null0,\n", "1:2:3:4.0"}) {
        EXPECT_FALSE(DeviceSpec::parse(bad)) << bad;
    }
}

TEST(ParseConfig, ExplicitLcoresSetTheWorkerCount) {
    const auto c = ok({"--lcores=2,4-6"});
    EXPECT_EQ(c.lcores, (std::vector<uint32_t>{2, 4, 5, 6}));
    EXPECT_EQ(c.workers, 3u);
    EXPECT_EQ(ok({"--lcores=1-3", "--workers=2"}).workers, 2u);
}

TEST(ParseConfig, ReplacesPidInTheFilePrefix) {
    EXPECT_EQ(ok({"--file-prefix=test-<pid>-x"}).file_prefix,
              "test-" + std::to_string(::getpid()) + "-x");
    EXPECT_EQ(ok({"--file-prefix=fixed"}).file_prefix, "fixed");
}

TEST(ParseConfig, SplitsEalArgumentsWithQuotes) {
    const auto c = ok({"--eal=--vdev='net_tap0,iface=a b'  -d \"/usr/lib/x\" --log-level=pmd:debug"});
    EXPECT_EQ(c.eal_extra, (std::vector<std::string>{"--vdev=net_tap0,iface=a b", "-d",
                                                     "/usr/lib/x", "--log-level=pmd:debug"}));
}

TEST(ParseConfig, GatewaysNeighboursVlanAndMac) {
    const auto c = ok({"--access.ipv6=2001:db8::1", "--access.gateway=192.0.2.254",
                       "--access.gateway=2001:db8::fe", "--core.vlan=4094",
                       "--core.neighbour=198.51.100.7=02:00:00:00:00:07",
                       "--core.neighbour=2001:db8:9::7=02:00:00:00:00:08",
                       "--core.mac=02:aa:bb:cc:dd:ee"});
    EXPECT_EQ(c.access.gateway_v4->to_string(), "192.0.2.254");
    EXPECT_EQ(c.access.gateway_v6->to_string(), "2001:db8::fe");
    EXPECT_EQ(c.core.vlan, 4094);
    ASSERT_EQ(c.core.neighbours.size(), 2u);
    EXPECT_EQ(c.core.neighbours[1].mac.to_string(), "02:00:00:00:00:08");
    EXPECT_EQ(c.core.mac->to_string(), "02:aa:bb:cc:dd:ee");
}

struct BadCase {
    std::vector<std::string> args;
    std::optional<std::string> file;
    std::string message;
};

// Each case: the exact one-line message.
const std::vector<BadCase> kBadCases = {
    {{"--access.ipv4=x.y"}, {}, "access.ipv4: 'x.y' is not an IPv4 address"},
    {{"--access.ipv4=2001:db8::1"}, {}, "access.ipv4: '2001:db8::1' is not an IPv4 address"},
    {{"--access.ipv6=192.0.2.9"}, {}, "access.ipv6: '192.0.2.9' is not an IPv6 address"},
    {{"--access.ipv4=224.0.0.5"}, {}, "access.ipv4: 224.0.0.5 is not a unicast address"},
    {{"--access.ipv4=0.0.0.0"}, {}, "access.ipv4: 0.0.0.0 is not a unicast address"},
    {{"--core.ipv6=ff02::1"}, {}, "core.ipv6: ff02::1 is not a unicast address"},
    {{"--core.ipv6=::1"}, {}, "core.ipv6: ::1 is not a unicast address"},
    {{"--workers=0"}, {}, "workers: 0 is not allowed (1..127)"},
    {{"--workers=abc"}, {}, "workers: 'abc' is not a number"},
    {{"--workers=-1"}, {}, "workers: '-1' is not a number"},
    {{"--workers=2x"}, {}, "workers: '2x' is not a number"},
    {{"--workers=128"}, {}, "workers: 128 is too large (1..127)"},
    {{"--workers=99999999999999999999999"}, {},
     "workers: 99999999999999999999999 is too large (1..127)"},
    {{"--burst=65"}, {}, "burst: 65 is too large (1..64)"},
    {{"--rx-ring=32"}, {}, "rx-ring: 32 is too small (64..16384)"},
    {{"--replay-window=100"}, {}, "replay-window: 100 is not a power of two"},
    {{"--replay-window=32"}, {}, "replay-window: 32 is too small (64..1024)"},
    {{"--replay-window=2048"}, {}, "replay-window: 2048 is too large (64..1024)"},
    {{"--port-min=10001"}, {}, "port-min: must be even and below port-max (10001, port-max 65535)"},
    {{"--port-min=20000", "--port-max=20000"}, {},
     "port-min: must be even and below port-max (20000, port-max 20000)"},
    {{"--port-min=80"}, {}, "port-min: 80 is too small (1024..65534)"},
    {{"--max-sessions=0"}, {}, "max-sessions: 0 is not allowed (1..16777216)"},
    {{"--inactivity-check-ms=5"}, {}, "inactivity-check-ms: 5 is too small (10..3600000)"},
    {{"--hugepages=maybe"}, {},
     "hugepages: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)"},
    {{"--log-level=loud"}, {}, "log-level: 'loud' is not a log level (emergency .. debug)"},
    {{"--control-socket=" + std::string(120, 'x')}, {},
     "control-socket: path is longer than 107 bytes"},
    {{"--control-socket="}, {}, "control-socket: needs a value after '='"},
    {{}, "control-socket =\n", "config:1: control-socket: must not be empty"},
    {{"--file-prefix=a b"}, {},
     "file-prefix: 'a b' is not a name of 1..64 letters, digits, '-', '_', '.'"},
    {{"--eal=-l 0-3"}, {}, "eal: '-l' is set by the lcores option; remove it from eal"},
    {{"--eal=-l0-3"}, {}, "eal: '-l0-3' is set by the lcores option; remove it from eal"},
    {{"--eal=--file-prefix=x"}, {},
     "eal: '--file-prefix=x' is set by the file-prefix option; remove it from eal"},
    {{"--eal=--no-huge"}, {}, "eal: '--no-huge' is set by the hugepages option; remove it from eal"},
    {{"--eal=-m 512"}, {}, "eal: '-m' is set by the memory-mb option; remove it from eal"},
    {{"--eal=--vdev='net_tap0"}, {}, "eal: unterminated ' quote"},
    {{"--lcores=3-1"}, {}, "lcores: '3-1' is a descending range"},
    {{"--lcores=0,1,1"}, {}, "lcores: lcore 1 is listed twice"},
    {{"--lcores=0,x"}, {}, "lcores: 'x' is not a number"},
    {{"--lcores=0,"}, {}, "lcores: '' is not a number"},
    {{"--lcores=0,500"}, {}, "lcores: 500 is too large (0..127)"},
    {{"--lcores=0"}, {}, "lcores: needs the main lcore and at least one worker"},
    {{"--lcores=0-2", "--workers=4"}, {},
     "lcores: lists 3 lcores but workers=4 needs 5 (main + workers)"},
    {{"--access.port=eth0"}, {},
     "access.port: 'eth0' is neither a PCI address (0000:03:00.0) nor a vdev "
     "(net_<driver><n>[,key=value...])"},
    {{"--access.port=net_pcap0,rx_pcap=a", "--core.port=net_pcap0,rx_pcap=b"}, {},
     "core.port: 'net_pcap0,rx_pcap=b' names access.port's device net_pcap0 with other "
     "arguments"},
    {{"--core.ipv4=192.0.2.1"}, {}, "core.ipv4: 192.0.2.1 is also an address of the access side"},
    {{"--access.ipv4=192.0.2.1", "--access.ipv4=192.0.2.1"}, {},
     "access.ipv4: 192.0.2.1 is listed twice"},
    {{"--access.gateway=2001:db8::1"}, {},
     "access.gateway: 2001:db8::1 is IPv6 but access has no IPv6 address"},
    {{"--access.gateway=192.0.2.254", "--access.gateway=192.0.2.253"}, {},
     "access.gateway: a second IPv4 gateway 192.0.2.253 (one per family)"},
    {{"--core.gateway=192.0.2.1"}, {},
     "core.gateway: 192.0.2.1 is one of the gateway's own addresses"},
    {{"--access.gateway=gw"}, {}, "access.gateway: 'gw' is not an IP address"},
    {{"--access.vlan=4095"}, {}, "access.vlan: 4095 is too large (1..4094)"},
    {{"--access.vlan=0"}, {}, "access.vlan: 0 is not allowed (1..4094)"},
    {{"--access.neighbour=192.0.2.9"}, {}, "access.neighbour: '192.0.2.9' is not ip=mac"},
    {{"--access.neighbour=192.0.2.9=zz"}, {},
     "access.neighbour: 'zz' is not a MAC address (02:00:00:00:00:01)"},
    {{"--access.neighbour=192.0.2.9=01:00:5e:00:00:01"}, {},
     "access.neighbour: 01:00:5e:00:00:01 is not a unicast MAC address"},
    {{"--access.neighbour=198.51.100.1=02:00:00:00:00:01"}, {},
     "access.neighbour: 198.51.100.1 is one of the gateway's own addresses"},
    {{"--access.neighbour=192.0.2.9=02:00:00:00:00:01",
      "--access.neighbour=192.0.2.9=02:00:00:00:00:02"}, {},
     "access.neighbour: 192.0.2.9 is listed twice"},
    {{"--access.mac=00:00:00:00:00:00"}, {},
     "access.mac: 00:00:00:00:00:00 is not a unicast MAC address"},
    {{"--core.port=net_null0", "--access.mac=02:00:00:00:00:01", "--core.mac=02:00:00:00:00:02"},
     {}, "core.mac: differs from access.mac, but both sides use net_null0"},
    {{"--rx-ring=16384", "--tx-ring=16384", "--workers=4"}, {},
     "mbufs: 65535 is too few: 2 port(s) x 4 worker(s) x (16384 rx + 16384 tx descriptors) "
     "and the bursts need at least 262400"},
    {{"--memory-mb=64"}, {},
     "memory-mb: 64 MiB cannot hold mbufs=65535 (148 MiB) and the EAL (64 MiB); raise "
     "memory-mb or lower mbufs"},
    // Command line.
    {{"--acess.port=net_null0"}, {}, "unknown option '--acess.port' (see --help)"},
    {{"--workers=2", "--workers=3"}, {}, "workers: given more than once on the command line"},
    {{"--workers"}, {}, "workers: needs a value (--workers=...)"},
    {{"--help=yes"}, {}, "help: takes no value"},
    {{"stray"}, {}, "unexpected argument 'stray' (options are --name=value)"},
    {{"--config=/nonexistent/msf.conf"}, {},
     "config: cannot read '/nonexistent/msf.conf': No such file or directory"},
    // Config file: name and line first.
    {{"--config=t.conf"}, "workers = 2\n[access]\nprot = net_null0\n",
     "t.conf:3: unknown option 'access.prot'"},
    {{"--config=t.conf"}, "[access]\nworkers = 2\n",
     "t.conf:2: unknown option 'access.workers' (options without a dot go before the first "
     "section)"},
    {{"--config=t.conf"}, "\n[workers]\n", "t.conf:2: unknown section 'workers' (sections: access, core)"},
    {{"--config=t.conf"}, "[access\n", "t.conf:1: section header '[access' lacks its ']'"},
    {{"--config=t.conf"}, "garbage\n", "t.conf:1: expected 'name = value' or '[section]', got 'garbage'"},
    {{"--config=t.conf"}, "= 4\n", "t.conf:1: expected 'name = value' or '[section]', got '= 4'"},
    {{"--config=t.conf"}, "workers = 2\n\nworkers = 3\n",
     "t.conf:3: workers is set twice (first on line 1)"},
    {{"--config=t.conf"}, "config = other.conf\n", "t.conf:1: 'config' is a command-line option only"},
    {{"--config=t.conf"}, "help = 1\n", "t.conf:1: 'help' is a command-line option only"},
    {{"--config=t.conf"}, "# x\n[core]\nvlan = 9999\n", "t.conf:3: core.vlan: 9999 is too large (1..4094)"},
    {{}, "workers = 0\n", "config:1: workers: 0 is not allowed (1..127)"},
    {{}, "workers = \x01\n", "config:1: workers: '\\x01' contains a control character"},
    {{}, "workers = 2 # two\n", "config:1: workers: '2 # two' is not a number"},
    {{"--control-socket=/a\nb"}, {}, "control-socket: '/a\\x0ab' contains a control character"},
    {{"--eal=-d x\r"}, {}, "eal: '-d x\\x0d' contains a control character"},
};

TEST(ParseConfig, EveryBadValueGetsOneLineNamingTheOption) {
    for (const auto& bad : kBadCases) {
        std::string where;
        for (const auto& a : bad.args) where += a + " ";
        const auto result = run(bad.args, bad.file);
        EXPECT_EQ(error_of(result), bad.message) << where;
        EXPECT_EQ(error_of(result).find('\n'), std::string::npos) << where;
    }
}

TEST(ParseConfig, MissingPortsAndAddressesAreNamed) {
    EXPECT_EQ(error_of(run({}, {}, false)),
              "access.port: not set (a PCI address, or a vdev such as net_af_packet0,iface=eth1)");
    EXPECT_EQ(error_of(run({"--access.port=net_null0", "--core.port=net_null0"}, {}, false)),
              "access: no address; set access.ipv4 or access.ipv6");
    EXPECT_EQ(error_of(run({"--access.port=net_null0", "--core.port=net_null0",
                            "--access.ipv6=2001:db8::1"},
                           {}, false)),
              "core: no address; set core.ipv4 or core.ipv6");
}

TEST(ParseConfig, HelpListsEveryOptionOfTheTableWithItsDefault) {
    const auto result = run({"--help"});
    ASSERT_TRUE(std::holds_alternative<InfoRequest>(result));
    const std::string& help = std::get<InfoRequest>(result).text;
    for (const auto& spec : option_table()) {
        EXPECT_NE(help.find("--" + std::string(spec.name)), std::string::npos) << spec.name;
        EXPECT_NE(help.find(std::string(spec.help.substr(0, 30))), std::string::npos)
            << spec.name;
        if (spec.use == OptionUse::once && !spec.default_value.empty()) {
            EXPECT_NE(help.find("--" + std::string(spec.name) + " " +
                                std::string(spec.value_name) + " (=" +
                                std::string(spec.default_value) + ")"),
                      std::string::npos)
                << spec.name;
        }
        if (spec.short_name != 0) {
            EXPECT_NE(help.find(std::string("-") + spec.short_name + " [ --" +
                                std::string(spec.name) + " ]"),
                      std::string::npos);
        }
    }
    // Help wins over anything else on the line, even a broken option.
    EXPECT_TRUE(std::holds_alternative<InfoRequest>(run({"-h", "--workers=0"})));
}

TEST(ParseConfig, VersionNamesTheProgram) {
    const auto result = run({"--version"}, {}, false);
    ASSERT_TRUE(std::holds_alternative<InfoRequest>(result));
    EXPECT_EQ(std::get<InfoRequest>(result).text.rfind("msf-dataplane ", 0), 0u);
    EXPECT_NE(std::get<InfoRequest>(result).text.find("DPDK"), std::string::npos);
}

TEST(ParseConfig, TableRowsAreWellFormed) {
    std::vector<std::string_view> names;
    for (const auto& spec : option_table()) {
        EXPECT_EQ(std::count(names.begin(), names.end(), spec.name), 0) << spec.name;
        names.push_back(spec.name);
        EXPECT_FALSE(spec.help.empty()) << spec.name;
        const bool command_line_only =
            spec.use == OptionUse::command_line || spec.use == OptionUse::command_line_flag;
        EXPECT_EQ(spec.apply == nullptr, command_line_only) << spec.name;
        if (spec.use == OptionUse::repeatable) {
            EXPECT_TRUE(spec.default_value.empty()) << spec.name;
        }
    }
    // The access and core sides offer the same options.
    for (const auto& name : names) {
        if (!name.starts_with("access.")) continue;
        const std::string core = "core." + std::string(name.substr(7));
        EXPECT_NE(std::find(names.begin(), names.end(), core), names.end()) << core;
    }
    EXPECT_EQ(row("access.ipv4").use, OptionUse::repeatable);
}

std::string read_example() {
    std::ifstream in(MSF_EXAMPLE_CONFIG);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ExampleConfig, Parses) {
    const auto result = run({"--config=" MSF_EXAMPLE_CONFIG}, {}, false);
    ASSERT_TRUE(std::holds_alternative<DataplaneConfig>(result)) << error_of(result);
    const auto& c = std::get<DataplaneConfig>(result);
    EXPECT_EQ(c.config_file, MSF_EXAMPLE_CONFIG);
    EXPECT_EQ(c.workers, 2u);
    EXPECT_EQ(c.access.port.name, "0000:03:00.0");
    EXPECT_EQ(c.access.ipv4.size(), 2u);
    EXPECT_TRUE(c.access.gateway_v6);
    EXPECT_EQ(c.core.neighbours.size(), 1u);
    // Overrides on top of the example file work the same way.
    const auto small = run({"--config=" MSF_EXAMPLE_CONFIG, "--hugepages=false",
                            "--access.port=net_pcap0,rx_pcap=in.pcap", "--workers=1"},
                           {}, false);
    ASSERT_TRUE(std::holds_alternative<DataplaneConfig>(small)) << error_of(small);
    EXPECT_FALSE(std::get<DataplaneConfig>(small).hugepages);
}

TEST(ExampleConfig, DocumentsEveryFileOption) {
    const std::string text = read_example();
    ASSERT_FALSE(text.empty());
    for (const auto& spec : option_table()) {
        if (spec.use != OptionUse::once && spec.use != OptionUse::repeatable) continue;
        const size_t dot = spec.name.find('.');
        const std::string key(dot == std::string_view::npos ? spec.name : spec.name.substr(dot + 1));
        // Either set or shown commented.
        const bool present = text.find("\n" + key + " = ") != std::string::npos ||
                             text.find("\n# " + key + " = ") != std::string::npos;
        EXPECT_TRUE(present) << spec.name;
    }
}

TEST(FormatConfig, ParsesBackToTheSameConfig) {
    const auto original =
        ok({"--access.ipv6=2001:db8::1", "--access.gateway=2001:db8::fe", "--core.vlan=7",
            "--core.neighbour=198.51.100.7=02:00:00:00:00:07", "--access.mac=02:00:00:00:00:01",
            "--lcores=0,2-3", "--eal=--log-level=pmd:debug -d /x", "--hugepages=false",
            "--telemetry=false", "--replay-window=512", "--core.port=0000:03:00.1,a=b"});
    const std::string text = format_config(original);
    const std::vector<std::string> args = {"--config=effective.conf"};
    const auto again = run(args, text, /*minimal=*/false);
    ASSERT_TRUE(std::holds_alternative<DataplaneConfig>(again)) << error_of(again) << "\n" << text;
    DataplaneConfig expected = original;
    expected.config_file = "effective.conf";
    EXPECT_EQ(std::get<DataplaneConfig>(again), expected) << text;
}

}  // namespace
}  // namespace msf::config
