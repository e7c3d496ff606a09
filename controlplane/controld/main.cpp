// msf-controld: the MSF's control daemon (Diameter Rx-style with the P-CSCF, session manager and
// store, CLI socket). Options: msf-controld --help.
#include <cstdio>
#include <exception>
#include <variant>

#include "controlplane/controld/config.hpp"
#include "controlplane/controld/daemon.hpp"

int main(int argc, char** argv) {
    using namespace msf::controld;
    ParseResult parsed = parse_controld_config(argc, argv);
    if (auto* info = std::get_if<InfoRequest>(&parsed)) {
        std::fputs(info->text.c_str(), stdout);
        return 0;
    }
    if (auto* error = std::get_if<ConfigError>(&parsed)) {
        std::fprintf(stderr, "msf-controld: %s\n", error->what());
        return 2;
    }
    try {
        Daemon daemon(std::get<ControldConfig>(std::move(parsed)));
        return daemon.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msf-controld: %s\n", e.what());
        return 1;
    }
}
