#include "drivers/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>

#include <algorithm>
#include <memory>

namespace msf::drivers {

std::vector<std::string> eal_arguments(const config::DataplaneConfig& config) {
    std::vector<std::string> args = {"msf-dataplane"};

    args.insert(args.end(), {"-l", config::format_lcores(config.lcores)});
    if (!config.lcores.empty())
        args.push_back("--main-lcore=" + std::to_string(config.lcores.front()));

    args.push_back("--file-prefix=" + config.file_prefix);
    if (config.hugepages) {
        // Hugepages without files in /dev/hugepages; implies --no-shconf.
        args.push_back("--in-memory");
    } else {
        args.insert(args.end(), {"--no-huge", "--no-shconf"});
    }
    args.insert(args.end(), {"-m", std::to_string(config.memory_mb)});

    bool any_pci = false;
    std::vector<std::string> seen;
    for (const auto* side : {&config.access, &config.core}) {
        const auto& port = side->port;
        if (port.name.empty() || std::find(seen.begin(), seen.end(), port.name) != seen.end())
            continue;
        seen.push_back(port.name);
        if (port.bus == config::DeviceSpec::Bus::pci) {
            any_pci = true;
            args.insert(args.end(), {"-a", port.devargs});
        } else {
            args.push_back("--vdev=" + port.devargs);
        }
    }
    // Without an allow-list the EAL would probe (and take) every NIC bound to a DPDK driver.
    if (!any_pci) args.push_back("--no-pci");

    if (!config.telemetry) args.push_back("--no-telemetry");
    if (!config.log_level.empty()) args.push_back("--log-level=" + config.log_level);
    args.insert(args.end(), config.eal_extra.begin(), config.eal_extra.end());
    return args;
}

bool start_eal(const std::vector<std::string>& arguments, std::string* error) {
    // The EAL may keep pointers into argv, and getopt permutes it: give it copies that live as
    // long as the process.
    static std::vector<std::unique_ptr<char[]>> storage;
    std::vector<char*> argv;
    for (const auto& arg : arguments) {
        auto copy = std::make_unique<char[]>(arg.size() + 1);
        std::copy(arg.begin(), arg.end(), copy.get());
        copy[arg.size()] = '\0';
        argv.push_back(copy.get());
        storage.push_back(std::move(copy));
    }
    argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(arguments.size()), argv.data()) >= 0) return true;
    if (error != nullptr) {
        std::string joined;
        for (const auto& arg : arguments) {
            if (!joined.empty()) joined += ' ';
            joined += arg;
        }
        *error = "rte_eal_init: " + std::string(rte_strerror(rte_errno)) + " (arguments: " +
                 joined + ")";
    }
    return false;
}

void stop_eal() { rte_eal_cleanup(); }

}  // namespace msf::drivers
