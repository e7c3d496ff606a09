#include "tests/tools/fd_rx_client/fd_config.hpp"

namespace msf::fdrx {

std::string fd_config_text(const ClientOptions& o) {
    // Every quoted value was checked by the argument parser: identities are FQDN characters and
    // the peer host an IP literal, so none can close a quoted string.
    const std::string tc = std::to_string(o.tc_s);
    const std::string tw = std::to_string(o.tw_s);
    std::string out;
    out += "# freeDiameter 1.2.1 configuration written by msf-fd-rx-client for one run.\n";
    out += "Identity = \"" + o.identity + "\";\n";
    out += "Realm = \"" + o.realm + "\";\n";
    out += "Port = 0;\n";
    out += "SecPort = 0;\n";
    out += "No_SCTP;\n";
    out += "NoRelay;\n";
    out += "AppServThreads = 2;\n";
    out += "TcTimer = " + tc + ";\n";
    out += "TwTimer = " + tw + ";\n";
    out += "ConnectPeer = \"" + o.peer + "\" { ConnectTo = \"" + o.peer_host.to_string() +
           "\"; Port = " + std::to_string(o.peer_port) + "; No_TLS; No_SCTP; TcTimer = " + tc +
           "; TwTimer = " + tw + "; };\n";
    return out;
}

}  // namespace msf::fdrx
