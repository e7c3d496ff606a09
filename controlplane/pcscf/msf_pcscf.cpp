// msf-pcscf: the reference P-CSCF client and load generator of msf-controld (load_generator.hpp
// has the flow, pcscf_options.hpp the command line, run_report.hpp the output).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <vector>

#include "controlplane/controld/event_loop.hpp"
#include "controlplane/pcscf/load_generator.hpp"
#include "controlplane/pcscf/pcscf_options.hpp"

int main(int argc, char** argv) {
    using namespace msf::pcscf;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    const PcscfParse parsed = parse_pcscf_args(args);
    if (std::holds_alternative<PcscfHelpRequest>(parsed)) {
        std::cout << pcscf_help();
        return 0;
    }
    if (const auto* error = std::get_if<PcscfUsageError>(&parsed)) {
        std::cerr << "msf-pcscf: " << error->message << "\n";
        return error->exit_code;
    }
    const PcscfOptions& options = std::get<PcscfOptions>(parsed);
    // A peer that closes while we write must not kill the process (the node sends with
    // MSG_NOSIGNAL; this covers anything else).
    std::signal(SIGPIPE, SIG_IGN);

    try {
        msf::controld::EventLoop loop;
        LoadGenerator generator(loop, options, [](std::string_view line) { std::cerr << "msf-pcscf: " << line << "\n"; });
        const RunReport report = generator.run();
        std::cout << (options.json ? format_report_json(report) : format_report_text(report));
        std::cout.flush();
        return report.ok() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "msf-pcscf: " << e.what() << "\n";
        return 1;
    }
}
