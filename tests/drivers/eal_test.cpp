// eal_arguments: the EAL argv for each combination of memory mode, device kinds, shared
// devices, lcores, telemetry, log level and extra arguments.
#include "drivers/eal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace msf::drivers {
namespace {

using Args = std::vector<std::string>;

config::DataplaneConfig configure(Args args) {
    Args all = {"msf-dataplane", "--access.ipv4=192.0.2.1", "--core.ipv4=198.51.100.1",
                "--memory-mb=256", "--mbufs=8191", "--rx-ring=512", "--tx-ring=512"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : all) argv.push_back(a.c_str());
    auto result = config::parse_config(static_cast<int>(argv.size()), argv.data());
    if (auto* e = std::get_if<config::ConfigError>(&result)) ADD_FAILURE() << e->what();
    if (auto* c = std::get_if<config::DataplaneConfig>(&result)) return *c;
    return {};
}

size_t count(const Args& args, const std::string& arg) {
    return static_cast<size_t>(std::count(args.begin(), args.end(), arg));
}

// `flag` immediately followed by `value`.
bool has_pair(const Args& args, const std::string& flag, const std::string& value) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == flag && args[i + 1] == value) return true;
    return false;
}

TEST(EalArguments, WithoutHugepagesUsesNoHugeAndNoShconf) {
    const Args a = eal_arguments(
        configure({"--hugepages=false", "--access.port=net_ring0", "--core.port=net_null0"}));
    EXPECT_EQ(a.front(), "msf-dataplane");
    EXPECT_EQ(count(a, "--no-huge"), 1u);
    EXPECT_EQ(count(a, "--no-shconf"), 1u);
    EXPECT_EQ(count(a, "--in-memory"), 0u);
    EXPECT_TRUE(has_pair(a, "-m", "256"));
}

TEST(EalArguments, WithHugepagesUsesInMemory) {
    const Args a = eal_arguments(
        configure({"--hugepages=true", "--access.port=net_ring0", "--core.port=net_null0"}));
    EXPECT_EQ(count(a, "--in-memory"), 1u);
    EXPECT_EQ(count(a, "--no-huge"), 0u);
    EXPECT_EQ(count(a, "--no-shconf"), 0u);  // implied by --in-memory
    EXPECT_TRUE(has_pair(a, "-m", "256"));
}

TEST(EalArguments, VdevsOnlyGiveEachDeviceAndNoPci) {
    const Args a = eal_arguments(configure(
        {"--access.port=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap", "--core.port=net_null0"}));
    EXPECT_EQ(count(a, "--vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap"), 1u);
    EXPECT_EQ(count(a, "--vdev=net_null0"), 1u);
    EXPECT_EQ(count(a, "--no-pci"), 1u);
    EXPECT_EQ(count(a, "-a"), 0u);
}

TEST(EalArguments, DeviceSharedByBothSidesAppearsOnce) {
    const Args vdev = eal_arguments(configure(
        {"--access.port=net_af_packet0,iface=veth0", "--core.port=net_af_packet0,iface=veth0"}));
    EXPECT_EQ(count(vdev, "--vdev=net_af_packet0,iface=veth0"), 1u);
    const Args pci =
        eal_arguments(configure({"--access.port=03:00.0", "--core.port=0000:03:00.0"}));
    EXPECT_EQ(count(pci, "-a"), 1u);
    EXPECT_TRUE(has_pair(pci, "-a", "0000:03:00.0"));
}

TEST(EalArguments, PciPortsAreAllowListedWithTheirDevargs) {
    const Args a = eal_arguments(
        configure({"--access.port=0000:03:00.0,txq_inline=128", "--core.port=0000:03:00.1"}));
    EXPECT_TRUE(has_pair(a, "-a", "0000:03:00.0,txq_inline=128"));
    EXPECT_TRUE(has_pair(a, "-a", "0000:03:00.1"));
    EXPECT_EQ(count(a, "--no-pci"), 0u);
}

TEST(EalArguments, MixesPciAndVdev) {
    const Args a =
        eal_arguments(configure({"--access.port=0000:03:00.0", "--core.port=net_tap0,iface=c"}));
    EXPECT_TRUE(has_pair(a, "-a", "0000:03:00.0"));
    EXPECT_EQ(count(a, "--vdev=net_tap0,iface=c"), 1u);
    EXPECT_EQ(count(a, "--no-pci"), 0u);
}

TEST(EalArguments, LcoresPutTheMainLcoreFirst) {
    const Args def = eal_arguments(
        configure({"--workers=3", "--access.port=net_ring0", "--core.port=net_null0"}));
    EXPECT_TRUE(has_pair(def, "-l", "0,1,2,3"));
    EXPECT_EQ(count(def, "--main-lcore=0"), 1u);
    const Args explicit_list = eal_arguments(
        configure({"--lcores=2,4-5", "--access.port=net_ring0", "--core.port=net_null0"}));
    EXPECT_TRUE(has_pair(explicit_list, "-l", "2,4,5"));
    EXPECT_EQ(count(explicit_list, "--main-lcore=2"), 1u);
}

TEST(EalArguments, FilePrefixTelemetryAndLogLevel) {
    const Args def = eal_arguments(configure({"--access.port=net_ring0", "--core.port=net_null0"}));
    EXPECT_EQ(count(def, "--file-prefix=msf-" + std::to_string(::getpid())), 1u);
    EXPECT_EQ(count(def, "--no-telemetry"), 0u);
    EXPECT_EQ(count(def, "--log-level=notice"), 1u);
    const Args set = eal_arguments(
        configure({"--file-prefix=dp1", "--telemetry=false", "--log-level=debug",
                   "--access.port=net_ring0", "--core.port=net_null0"}));
    EXPECT_EQ(count(set, "--file-prefix=dp1"), 1u);
    EXPECT_EQ(count(set, "--no-telemetry"), 1u);
    EXPECT_EQ(count(set, "--log-level=debug"), 1u);
}

TEST(EalArguments, ExtraArgumentsComeLastInOrder) {
    const Args a = eal_arguments(configure(
        {"--eal=--vdev='net_tap0,iface=x y' -d /usr/lib/pmd.so", "--access.port=net_ring0",
         "--core.port=net_null0"}));
    ASSERT_GE(a.size(), 3u);
    EXPECT_EQ(Args(a.end() - 3, a.end()),
              (Args{"--vdev=net_tap0,iface=x y", "-d", "/usr/lib/pmd.so"}));
}

}  // namespace
}  // namespace msf::drivers
