// Port on real vdevs (net_ring, net_null) in an EAL started through parse_config, eal_arguments
// and start_eal. DPDK initialises the EAL once per process, so this binary has its own main()
// and every test uses its own device: a closed vdev is gone until the process restarts.
#include "drivers/port.hpp"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "drivers/eal.hpp"

namespace msf::drivers {
namespace {

rte_mempool* g_pool = nullptr;

PortConfig port_config(const std::string& device, uint16_t queues = 1) {
    PortConfig c;
    c.device = device;
    c.rx_queues = queues;
    c.tx_queues = queues;
    c.rx_ring = 256;
    c.tx_ring = 256;
    c.pool = g_pool;
    return c;
}

std::unique_ptr<Port> open_ok(const PortConfig& config) {
    std::string error;
    auto port = Port::open(config, &error);
    EXPECT_TRUE(port) << error;
    EXPECT_TRUE(error.empty()) << error;
    return port;
}

uint64_t xstat(const Port& port, const std::string& name) {
    for (const auto& [n, v] : port.xstats())
        if (n == name) return v;
    ADD_FAILURE() << port.name() << " has no xstat " << name;
    return 0;
}

TEST(Eal, StartedWithTheArgumentsOfTheConfig) {
    EXPECT_EQ(rte_eal_has_hugepages(), 0);  // --no-huge
    EXPECT_EQ(rte_lcore_count(), 2u);       // main + 1 worker
    uint16_t id = 0;
    for (const char* name : {"net_ring0", "net_null0", "net_ring1", "net_ring2", "net_null1",
                             "net_null2"})
        EXPECT_EQ(rte_eth_dev_get_port_by_name(name, &id), 0) << name;
}

TEST(Port, OpensRingPortWithQueuesStatusAndMac) {
    auto port = open_ok(port_config("net_ring0", 2));
    ASSERT_TRUE(port);
    uint16_t id = 0;
    ASSERT_EQ(rte_eth_dev_get_port_by_name("net_ring0", &id), 0);
    EXPECT_EQ(port->id(), id);
    EXPECT_EQ(port->name(), "net_ring0");
    EXPECT_EQ(port->driver(), "net_ring");
    EXPECT_EQ(port->rx_queues(), 2u);
    EXPECT_EQ(port->tx_queues(), 2u);
    // net_ring has no RSS and no checksum offloads: the port says so.
    EXPECT_FALSE(port->has_rss());
    EXPECT_FALSE(port->rx_checksum_offload());
    EXPECT_FALSE(port->tx_ipv4_checksum_offload());
    EXPECT_FALSE(port->tx_udp_checksum_offload());
    ASSERT_EQ(port->notices().size(), 1u);
    EXPECT_NE(port->notices()[0].find("no IP/UDP RSS"), std::string::npos);

    rte_ether_addr mac{};
    ASSERT_EQ(rte_eth_macaddr_get(id, &mac), 0);
    EXPECT_TRUE(std::equal(mac.addr_bytes, mac.addr_bytes + 6, port->mac().bytes.begin()));

    const api::PortStatus s = port->status();
    EXPECT_EQ(s.port_id, id);
    EXPECT_EQ(s.name, "net_ring0");
    EXPECT_EQ(s.driver, "net_ring");
    EXPECT_TRUE(s.link_up);
    EXPECT_EQ(s.rx_packets, 0u);
    EXPECT_EQ(s.tx_packets, 0u);
}

TEST(Port, RingSendsTxBackToRxAndCountsIt) {
    // An argument-less net_ring uses one ring per queue for both directions.
    auto port = open_ok(port_config("net_ring1"));
    ASSERT_TRUE(port);
    rte_mbuf* out[3];
    ASSERT_EQ(rte_pktmbuf_alloc_bulk(g_pool, out, 3), 0);
    for (auto* m : out) ASSERT_NE(rte_pktmbuf_append(m, 60), nullptr);
    ASSERT_EQ(rte_eth_tx_burst(port->id(), 0, out, 3), 3u);
    rte_mbuf* in[8];
    const uint16_t got = rte_eth_rx_burst(port->id(), 0, in, 8);
    EXPECT_EQ(got, 3u);
    for (uint16_t i = 0; i < got; ++i) rte_pktmbuf_free(in[i]);

    const api::PortStatus s = port->status();
    EXPECT_EQ(s.tx_packets, 3u);
    EXPECT_EQ(s.rx_packets, 3u);
    // net_ring counts packets only, no bytes.
    EXPECT_EQ(xstat(*port, "tx_good_packets"), 3u);
    EXPECT_EQ(xstat(*port, "rx_good_packets"), 3u);
}

TEST(Port, ClampsQueuesToTheDeviceAndSaysSo) {
    uint16_t id = 0;
    ASSERT_EQ(rte_eth_dev_get_port_by_name("net_ring2", &id), 0);
    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(id, &info), 0);
    const uint16_t asked = static_cast<uint16_t>(info.max_rx_queues + 4);
    auto port = open_ok(port_config("net_ring2", asked));
    ASSERT_TRUE(port);
    EXPECT_EQ(port->rx_queues(), info.max_rx_queues);
    EXPECT_EQ(port->tx_queues(), std::min<uint16_t>(asked, info.max_tx_queues));
    const std::string wanted = std::to_string(asked) + " rx queues requested, the device has " +
                               std::to_string(info.max_rx_queues);
    EXPECT_TRUE(std::any_of(port->notices().begin(), port->notices().end(),
                            [&](const std::string& n) { return n.find(wanted) != n.npos; }));
}

TEST(Port, NullPortReceivesGeneratedPackets) {
    auto port = open_ok(port_config("net_null0"));
    ASSERT_TRUE(port);
    EXPECT_EQ(port->driver(), "net_null");
    EXPECT_FALSE(port->mac().is_zero());
    rte_mbuf* in[16];
    const uint16_t got = rte_eth_rx_burst(port->id(), 0, in, 16);
    EXPECT_GT(got, 0u);
    for (uint16_t i = 0; i < got; ++i) rte_pktmbuf_free(in[i]);
    EXPECT_EQ(port->status().rx_packets, got);
    EXPECT_EQ(xstat(*port, "rx_good_packets"), got);
    EXPECT_TRUE(port->status().link_up);
}

TEST(Port, SecondOpenOfAnOpenDeviceFails) {
    auto first = open_ok(port_config("net_null1"));
    ASSERT_TRUE(first);
    std::string error;
    EXPECT_FALSE(Port::open(port_config("net_null1"), &error));
    EXPECT_NE(error.find("net_null1: rte_eth_dev_owner_set"), std::string::npos) << error;
    // The first is untouched.
    EXPECT_TRUE(first->status().link_up);
}

TEST(Port, MacOverrideIsUsed) {
    PortConfig c = port_config("net_null2");
    c.mac = net::MacAddr::parse("02:00:00:00:00:42");
    auto port = open_ok(c);
    ASSERT_TRUE(port);
    EXPECT_EQ(port->mac().to_string(), "02:00:00:00:00:42");
    rte_ether_addr mac{};
    ASSERT_EQ(rte_eth_macaddr_get(port->id(), &mac), 0);
    const bool programmed = std::equal(mac.addr_bytes, mac.addr_bytes + 6, c.mac->bytes.begin());
    // Programmed as the device's MAC, or a notice says which fallback took it.
    EXPECT_TRUE(programmed || !port->notices().empty());
}

TEST(Port, ClosingReleasesTheDevice) {
    uint16_t id = 0;
    ASSERT_EQ(rte_eth_dev_get_port_by_name("net_null3", &id), 0);
    auto port = open_ok(port_config("net_null3"));
    ASSERT_TRUE(port);
    port.reset();
    EXPECT_FALSE(rte_eth_dev_is_valid_port(id));
    std::string error;
    EXPECT_FALSE(Port::open(port_config("net_null3"), &error));
    EXPECT_NE(error.find("net_null3: rte_eth_dev_get_port_by_name"), std::string::npos) << error;
}

TEST(Port, BadDevicesGetAClearError) {
    std::string error;
    EXPECT_FALSE(Port::open(port_config("net_ring9"), &error));
    EXPECT_NE(error.find("net_ring9: rte_eth_dev_get_port_by_name: "), std::string::npos) << error;
    EXPECT_NE(error.find("-a or --vdev"), std::string::npos) << error;

    EXPECT_FALSE(Port::open(port_config("0000:99:00.0"), &error));
    EXPECT_NE(error.find("0000:99:00.0: rte_eth_dev_get_port_by_name"), std::string::npos) << error;

    EXPECT_FALSE(Port::open(port_config("eth0"), &error));
    EXPECT_EQ(error, "'eth0': not a PCI address or vdev devargs (net_<driver><n>,...)");

    EXPECT_FALSE(Port::open(port_config("net_ring9", 0), &error));
    EXPECT_EQ(error, "net_ring9: needs at least one rx and one tx queue");

    PortConfig no_pool = port_config("net_ring9");
    no_pool.pool = nullptr;
    EXPECT_FALSE(Port::open(no_pool, &error));
    EXPECT_EQ(error, "net_ring9: no mempool for the rx queues");
}

// The first two CPUs this process may run on: the main lcore and one worker.
std::string two_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu)
            if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
    if (cpus.size() < 2) return "";
    return std::to_string(cpus[0]) + "," + std::to_string(cpus[1]);
}

}  // namespace
}  // namespace msf::drivers

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    const std::string cpus = msf::drivers::two_cpus();
    if (cpus.empty()) {
        std::fprintf(stderr, "port_test: needs two CPUs\n");
        return 1;
    }
    const std::string lcores = "--lcores=" + cpus;
    const char* args[] = {
        "msf-dataplane", "--hugepages=false", "--memory-mb=256", "--mbufs=4095",
        "--rx-ring=256", "--tx-ring=256", "--telemetry=false", "--log-level=error",
        "--file-prefix=msf-port-test-<pid>", lcores.c_str(),
        "--access.port=net_ring0", "--access.ipv4=192.0.2.1",
        "--core.port=net_null0", "--core.ipv4=198.51.100.1",
        "--eal=--vdev=net_ring1 --vdev=net_ring2 --vdev=net_null1 --vdev=net_null2 "
        "--vdev=net_null3",
    };
    auto parsed = msf::config::parse_config(static_cast<int>(std::size(args)), args);
    if (auto* e = std::get_if<msf::config::ConfigError>(&parsed)) {
        std::fprintf(stderr, "port_test: %s\n", e->what());
        return 1;
    }
    std::string error;
    if (!msf::drivers::start_eal(std::get<msf::config::DataplaneConfig>(parsed), &error)) {
        std::fprintf(stderr, "port_test: %s\n", error.c_str());
        return 1;
    }
    msf::drivers::g_pool = rte_pktmbuf_pool_create("port_test_pool", 4095, 128, 0,
                                                   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (msf::drivers::g_pool == nullptr) {
        std::fprintf(stderr, "port_test: rte_pktmbuf_pool_create: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    const int rc = RUN_ALL_TESTS();
    rte_mempool_free(msf::drivers::g_pool);
    msf::drivers::stop_eal();
    return rc;
}
