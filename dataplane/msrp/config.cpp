#include "dataplane/msrp/config.hpp"

#include <arpa/inet.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <sstream>

#include "dataplane/msrp/control.hpp"

namespace msf::msrp {
namespace po = boost::program_options;
namespace {

void check_range(const char* name, uint64_t value, uint64_t min, uint64_t max) {
    if (value < min || value > max)
        throw ConfigError(std::string(name) + ": " + std::to_string(value) + " is outside " +
                          std::to_string(min) + ".." + std::to_string(max));
}

bool is_ip(const std::string& text) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// "ip:port" or "[ipv6]:port".
void parse_listen(const std::string& text, RelayConfig& relay) {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) throw ConfigError("listen: \"" + text + "\" is not address:port");
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (!is_ip(host)) throw ConfigError("listen: \"" + host + "\" is not an IP address");
    const std::string port_text = text.substr(colon + 1);
    uint32_t port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
        throw ConfigError("listen: \"" + port_text + "\" is not a port");
    relay.listen_address = host;
    relay.listen_port = static_cast<uint16_t>(port);
}

}  // namespace

DaemonConfig parse_config(int argc, const char* const* argv) {
    DaemonConfig config;
    const RelayConfig defaults;
    const Limits limits;
    std::string config_file;
    std::string listen;
    uint64_t core_port = 0, max_header = 0, max_chunk = 0, max_message = 0, max_chunks = 0, max_open = 0,
             out_limit = 0, per_session = 0, max_connections = 0, handshake_timeout = 0;

    po::options_description options("msf-msrpd options (also in the --config file, same names)");
    options.add_options()
        ("help", "print this help and exit")
        ("config", po::value(&config_file), "INI file with any of the options below")
        ("listen", po::value(&listen)->default_value("0.0.0.0:2855"),
         "TLS-PSK listener toward the UEs, ip:port or [ipv6]:port (port 0: any)")
        ("access-host", po::value(&config.relay.access_host)->default_value(defaults.access_host),
         "host the UEs reach this relay at, written into gw_access_path")
        ("core-host", po::value(&config.relay.core_host)->default_value(defaults.core_host),
         "host the core sees this relay as, written into gw_core_path")
        ("core-port", po::value(&core_port)->default_value(defaults.core_port), "port written into gw_core_path")
        ("control-socket", po::value(&config.control_socket)->default_value(std::string(kDefaultControlSocket)),
         "Unix socket of the JSON-lines control protocol (mode 0660)")
        ("max-header-bytes", po::value(&max_header)->default_value(limits.max_header_bytes),
         "bytes of an MSRP start line and header lines")
        ("max-chunk-size", po::value(&max_chunk)->default_value(limits.max_chunk_size),
         "body bytes of one MSRP request (chunk)")
        ("max-message-size", po::value(&max_message)->default_value(limits.max_message_size),
         "body bytes of all chunks of one message")
        ("max-chunks-per-message", po::value(&max_chunks)->default_value(limits.max_chunks_per_message),
         "chunks of one message")
        ("max-open-messages", po::value(&max_open)->default_value(limits.max_open_messages),
         "chunked messages in progress per connection and direction")
        ("out-buffer-limit", po::value(&out_limit)->default_value(defaults.out_buffer_limit),
         "bytes queued toward one side before the other side stops being read")
        ("max-connections-per-session", po::value(&per_session)->default_value(defaults.max_connections_per_session),
         "UE connections one session may have at once")
        ("max-connections", po::value(&max_connections)->default_value(defaults.max_connections),
         "UE connections in all, handshakes included")
        ("handshake-timeout-ms", po::value(&handshake_timeout)->default_value(defaults.handshake_timeout_ms),
         "time a UE has to finish the TLS handshake");

    po::variables_map values;
    try {
        po::store(po::parse_command_line(argc, argv, options), values);
        if (values.count("help") != 0) {
            std::ostringstream usage;
            usage << "Usage: msf-msrpd [--config FILE] [options]\n" << options;
            config.help = true;
            config.usage = usage.str();
            return config;
        }
        if (values.count("config") != 0) {
            const std::string file = values["config"].as<std::string>();
            std::ifstream in(file);
            if (!in) throw ConfigError("config: cannot read " + file);
            // Command-line values were stored first and win.
            po::store(po::parse_config_file(in, options), values);
        }
        po::notify(values);
    } catch (const po::error& e) {
        throw ConfigError(e.what());
    }

    parse_listen(listen, config.relay);
    check_range("core-port", core_port, 1, 65535);
    check_range("max-header-bytes", max_header, 256, 1024 * 1024);
    check_range("max-chunk-size", max_chunk, 1, 256u * 1024 * 1024);
    check_range("max-message-size", max_message, 1, uint64_t{1} << 40);
    check_range("max-chunks-per-message", max_chunks, 1, 1u << 20);
    check_range("max-open-messages", max_open, 1, 1u << 16);
    check_range("out-buffer-limit", out_limit, 1024, 1024u * 1024 * 1024);
    check_range("max-connections-per-session", per_session, 1, 1u << 16);
    check_range("max-connections", max_connections, 1, 1u << 20);
    check_range("handshake-timeout-ms", handshake_timeout, 10, 3600 * 1000);
    if (config.relay.access_host.empty() || config.relay.core_host.empty())
        throw ConfigError("access-host and core-host must not be empty");
    config.relay.core_port = static_cast<uint16_t>(core_port);
    config.relay.limits = Limits{max_header, max_chunk, max_message, static_cast<uint32_t>(max_chunks),
                                 static_cast<uint32_t>(max_open)};
    config.relay.out_buffer_limit = out_limit;
    config.relay.max_connections_per_session = static_cast<uint32_t>(per_session);
    config.relay.max_connections = static_cast<uint32_t>(max_connections);
    config.relay.handshake_timeout_ms = static_cast<uint32_t>(handshake_timeout);
    return config;
}

}  // namespace msf::msrp
