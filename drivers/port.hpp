// One DPDK ethdev brought up for the dataplane: any device the EAL probed (PCI NIC or vdev:
// net_memif, net_af_packet, net_af_xdp, net_pcap, net_ring, net_null, net_tap). Queues are
// clamped to what the device has, RSS on IP addresses and UDP ports is used where offered and
// needed, checksum offloads are enabled where offered (the workers check the flags and compute
// checksums in software otherwise).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/api/types.hpp"
#include "dataplane/net/addr.hpp"

struct rte_mempool;

namespace msf::drivers {

struct PortConfig {
    // A PCI address or vdev devargs as the config names it; the port is the ethdev whose name
    // is the part before the first comma ("net_pcap0,rx_pcap=in.pcap" -> "net_pcap0").
    std::string device;
    uint16_t rx_queues = 1;
    uint16_t tx_queues = 1;
    uint16_t rx_ring = 1024;  // descriptors per queue; the driver may adjust them
    uint16_t tx_ring = 1024;
    rte_mempool* pool = nullptr;  // rx buffers
    // Source MAC to use instead of the device's. Programmed as the default MAC; where the
    // driver cannot, added as a secondary unicast filter, else received promiscuously.
    std::optional<net::MacAddr> mac;
};

class Port {
public:
    // Finds, configures and starts the port. nullptr with *error ("<device>: <call>: <reason>")
    // when it cannot. The port is owned (rte_eth_dev_owner_set) until destroyed, so a second
    // open of the same device fails.
    static std::unique_ptr<Port> open(const PortConfig& config, std::string* error);
    ~Port();  // stops and closes the port
    Port(const Port&) = delete;
    Port& operator=(const Port&) = delete;

    uint16_t id() const { return id_; }
    const std::string& name() const { return name_; }
    const std::string& driver() const { return driver_; }
    net::MacAddr mac() const { return mac_; }
    int numa_socket() const { return socket_; }  // -1: any
    bool has_rss() const { return rss_hf_ != 0; }
    uint64_t rss_hash_functions() const { return rss_hf_; }  // RTE_ETH_RSS_* in use
    // IPv4 header and UDP checksums both checked by the device (RTE_MBUF_F_RX_*_CKSUM_*).
    bool rx_checksum_offload() const { return rx_checksum_; }
    bool tx_ipv4_checksum_offload() const { return tx_ipv4_checksum_; }
    bool tx_udp_checksum_offload() const { return tx_udp_checksum_; }
    uint16_t rx_queues() const { return rx_queues_; }
    uint16_t tx_queues() const { return tx_queues_; }
    uint16_t rx_ring() const { return rx_ring_; }
    uint16_t tx_ring() const { return tx_ring_; }
    bool promiscuous() const { return promiscuous_; }
    // What open() changed from the request (clamped queues, adjusted rings, MAC fallback), one
    // line each, for the log.
    const std::vector<std::string>& notices() const { return notices_; }

    // Link (read without waiting) and the basic counters.
    api::PortStatus status() const;
    // Every extended statistic the driver reports, by name.
    std::vector<std::pair<std::string, uint64_t>> xstats() const;

private:
    Port() = default;
    void release(bool close);

    uint16_t id_ = 0;
    uint64_t owner_ = 0;
    bool owned_ = false;
    bool started_ = false;
    bool opened_ = false;  // open() succeeded: the destructor closes the port
    std::string name_;
    std::string driver_;
    net::MacAddr mac_;
    int socket_ = -1;
    uint64_t rss_hf_ = 0;
    bool rx_checksum_ = false;
    bool tx_ipv4_checksum_ = false;
    bool tx_udp_checksum_ = false;
    bool promiscuous_ = false;
    uint16_t rx_queues_ = 0;
    uint16_t tx_queues_ = 0;
    uint16_t rx_ring_ = 0;
    uint16_t tx_ring_ = 0;
    std::vector<std::string> notices_;
};

}  // namespace msf::drivers
