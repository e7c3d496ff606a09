#include "drivers/port.hpp"

#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "dataplane/config/config.hpp"

namespace msf::drivers {
namespace {

// RSS on source/destination address and UDP ports keeps each media flow on one queue, so one
// worker owns each stream direction.
constexpr uint64_t kWantedRss = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP;
constexpr uint64_t kRxChecksums = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;

std::string call_failed(const std::string& device, const char* call, int ret) {
    return device + ": " + call + ": " + rte_strerror(ret < 0 ? -ret : ret);
}

rte_ether_addr to_ether(const net::MacAddr& mac) {
    rte_ether_addr addr;
    std::memcpy(addr.addr_bytes, mac.bytes.data(), RTE_ETHER_ADDR_LEN);
    return addr;
}

}  // namespace

std::unique_ptr<Port> Port::open(const PortConfig& config, std::string* error) {
    std::string ignored;
    std::string& err = error != nullptr ? *error : ignored;

    const auto device = config::DeviceSpec::parse(config.device);
    if (!device) {
        err = "'" + config.device + "': not a PCI address or vdev devargs (net_<driver><n>,...)";
        return nullptr;
    }
    const std::string& name = device->name;
    if (config.rx_queues == 0 || config.tx_queues == 0) {
        err = name + ": needs at least one rx and one tx queue";
        return nullptr;
    }
    if (config.pool == nullptr) {
        err = name + ": no mempool for the rx queues";
        return nullptr;
    }

    std::unique_ptr<Port> port(new Port());
    port->name_ = name;
    int ret = rte_eth_dev_get_port_by_name(name.c_str(), &port->id_);
    if (ret != 0) {
        err = call_failed(name, "rte_eth_dev_get_port_by_name", ret) +
              " (no such port: was the device given to the EAL with -a or --vdev?)";
        return nullptr;
    }
    const uint16_t id = port->id_;

    if ((ret = rte_eth_dev_owner_new(&port->owner_)) != 0) {
        err = call_failed(name, "rte_eth_dev_owner_new", ret);
        return nullptr;
    }
    rte_eth_dev_owner owner{};
    owner.id = port->owner_;
    std::snprintf(owner.name, sizeof(owner.name), "msf-dataplane");
    if ((ret = rte_eth_dev_owner_set(id, &owner)) != 0) {
        rte_eth_dev_owner_delete(port->owner_);
        err = call_failed(name, "rte_eth_dev_owner_set", ret) + " (already open?)";
        return nullptr;
    }
    port->owned_ = true;

    rte_eth_dev_info info{};
    if ((ret = rte_eth_dev_info_get(id, &info)) != 0) {
        err = call_failed(name, "rte_eth_dev_info_get", ret);
        return nullptr;
    }
    port->driver_ = info.driver_name != nullptr ? info.driver_name : "";
    if (info.max_rx_queues == 0 || info.max_tx_queues == 0) {
        err = name + ": the device has no rx or no tx queue";
        return nullptr;
    }

    port->rx_queues_ = std::min<uint16_t>(config.rx_queues, info.max_rx_queues);
    port->tx_queues_ = std::min<uint16_t>(config.tx_queues, info.max_tx_queues);
    if (port->rx_queues_ != config.rx_queues) {
        port->notices_.push_back(name + ": " + std::to_string(config.rx_queues) +
                                 " rx queues requested, the device has " +
                                 std::to_string(port->rx_queues_));
    }
    if (port->tx_queues_ != config.tx_queues) {
        port->notices_.push_back(name + ": " + std::to_string(config.tx_queues) +
                                 " tx queues requested, the device has " +
                                 std::to_string(port->tx_queues_));
    }

    rte_eth_conf conf{};
    const uint64_t rss = kWantedRss & info.flow_type_rss_offloads;
    if (port->rx_queues_ > 1) {
        if (rss != 0) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_key = nullptr;  // the driver's default key
            conf.rx_adv_conf.rss_conf.rss_hf = rss;
            port->rss_hf_ = rss;
        } else {
            port->notices_.push_back(name + ": no IP/UDP RSS; the driver decides which of the " +
                                     std::to_string(port->rx_queues_) + " rx queues gets a flow");
        }
    }
    conf.rxmode.offloads = info.rx_offload_capa & kRxChecksums;
    conf.txmode.offloads =
        info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
    port->rx_checksum_ = (conf.rxmode.offloads & kRxChecksums) == kRxChecksums;
    port->tx_ipv4_checksum_ = (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
    port->tx_udp_checksum_ = (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;

    if ((ret = rte_eth_dev_configure(id, port->rx_queues_, port->tx_queues_, &conf)) != 0) {
        err = call_failed(name, "rte_eth_dev_configure", ret);
        return nullptr;
    }

    port->rx_ring_ = config.rx_ring;
    port->tx_ring_ = config.tx_ring;
    if ((ret = rte_eth_dev_adjust_nb_rx_tx_desc(id, &port->rx_ring_, &port->tx_ring_)) != 0) {
        err = call_failed(name, "rte_eth_dev_adjust_nb_rx_tx_desc", ret);
        return nullptr;
    }
    if (port->rx_ring_ != config.rx_ring || port->tx_ring_ != config.tx_ring) {
        port->notices_.push_back(name + ": rings of " + std::to_string(config.rx_ring) + " rx / " +
                                 std::to_string(config.tx_ring) + " tx descriptors became " +
                                 std::to_string(port->rx_ring_) + " / " +
                                 std::to_string(port->tx_ring_));
    }

    // Queues and their descriptors on the NIC's NUMA node; vdevs have none (SOCKET_ID_ANY).
    port->socket_ = rte_eth_dev_socket_id(id);
    const unsigned socket = port->socket_ < 0 ? static_cast<unsigned>(SOCKET_ID_ANY)
                                              : static_cast<unsigned>(port->socket_);
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    for (uint16_t q = 0; q < port->rx_queues_; ++q) {
        ret = rte_eth_rx_queue_setup(id, q, port->rx_ring_, socket, &rxconf, config.pool);
        if (ret != 0) {
            err = call_failed(name, "rte_eth_rx_queue_setup", ret) + " (queue " +
                  std::to_string(q) + ")";
            return nullptr;
        }
    }
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    for (uint16_t q = 0; q < port->tx_queues_; ++q) {
        ret = rte_eth_tx_queue_setup(id, q, port->tx_ring_, socket, &txconf);
        if (ret != 0) {
            err = call_failed(name, "rte_eth_tx_queue_setup", ret) + " (queue " +
                  std::to_string(q) + ")";
            return nullptr;
        }
    }

    if (config.mac) {
        rte_ether_addr addr = to_ether(*config.mac);
        const int set = rte_eth_dev_default_mac_addr_set(id, &addr);
        if (set != 0) {
            const int add = rte_eth_dev_mac_addr_add(id, &addr, 0);
            if (add != 0) {
                if ((ret = rte_eth_promiscuous_enable(id)) != 0) {
                    err = call_failed(name, "rte_eth_dev_default_mac_addr_set", set) +
                          "; rte_eth_dev_mac_addr_add and rte_eth_promiscuous_enable: " +
                          rte_strerror(-ret) + " (MAC " + config.mac->to_string() + ")";
                    return nullptr;
                }
                port->promiscuous_ = true;
            }
            port->notices_.push_back(
                name + ": cannot make " + config.mac->to_string() + " its MAC (" +
                rte_strerror(-set) + "); " +
                (add == 0 ? "added it as a unicast filter" : "receiving promiscuously"));
        }
    }

    if ((ret = rte_eth_dev_start(id)) != 0) {
        err = call_failed(name, "rte_eth_dev_start", ret);
        return nullptr;
    }
    port->started_ = true;

    if (config.mac) {
        port->mac_ = *config.mac;
    } else {
        rte_ether_addr addr{};
        if ((ret = rte_eth_macaddr_get(id, &addr)) != 0) {
            err = call_failed(name, "rte_eth_macaddr_get", ret);
            return nullptr;
        }
        std::memcpy(port->mac_.bytes.data(), addr.addr_bytes, RTE_ETHER_ADDR_LEN);
    }
    port->opened_ = true;
    return port;
}

Port::~Port() { release(opened_); }

// A port that failed half-way is stopped and disowned but left open: a vdev that is closed
// is gone until the process restarts.
void Port::release(bool close) {
    if (started_) rte_eth_dev_stop(id_);
    started_ = false;
    if (owned_) {
        rte_eth_dev_owner_unset(id_, owner_);
        rte_eth_dev_owner_delete(owner_);
        owned_ = false;
    }
    if (close) rte_eth_dev_close(id_);
}

api::PortStatus Port::status() const {
    api::PortStatus s;
    s.port_id = id_;
    s.name = name_;
    s.driver = driver_;
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(id_, &link) == 0) {
        s.link_up = link.link_status == RTE_ETH_LINK_UP;
        s.speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
    }
    rte_eth_stats stats{};
    if (rte_eth_stats_get(id_, &stats) == 0) {
        s.rx_packets = stats.ipackets;
        s.tx_packets = stats.opackets;
        s.rx_bytes = stats.ibytes;
        s.tx_bytes = stats.obytes;
        s.rx_missed = stats.imissed;
        s.rx_errors = stats.ierrors;
        s.tx_errors = stats.oerrors;
        s.rx_nombuf = stats.rx_nombuf;
    }
    return s;
}

std::vector<std::pair<std::string, uint64_t>> Port::xstats() const {
    const int count = rte_eth_xstats_get_names(id_, nullptr, 0);
    if (count <= 0) return {};
    std::vector<rte_eth_xstat_name> names(static_cast<size_t>(count));
    std::vector<rte_eth_xstat> values(static_cast<size_t>(count));
    const int named = rte_eth_xstats_get_names(id_, names.data(), static_cast<unsigned>(count));
    const int got = rte_eth_xstats_get(id_, values.data(), static_cast<unsigned>(count));
    if (named <= 0 || got <= 0) return {};
    std::vector<std::pair<std::string, uint64_t>> out;
    for (int i = 0; i < std::min({count, named, got}); ++i) {
        const uint64_t index = values[static_cast<size_t>(i)].id;
        if (index >= static_cast<uint64_t>(named)) continue;
        out.emplace_back(names[index].name, values[static_cast<size_t>(i)].value);
    }
    return out;
}

}  // namespace msf::drivers
