// msf-fd-rx-client: a P-CSCF's Rx client built on freeDiameter 1.2.1, the second, independent
// Diameter implementation the system tests run against msf-controld (and, to keep this tool
// honest, against freeDiameterd). See client_args.hpp for the command line and
// message_report.hpp for the output.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "dataplane/tools/json_writer.hpp"
#include "tests/tools/fd_rx_client/client_args.hpp"
#include "tests/tools/fd_rx_client/fd_config.hpp"
#include "tests/tools/fd_rx_client/rx_client.hpp"

namespace {

using namespace msf::fdrx;

void done(JsonLines& out, bool ok) {
    msf::tools::JsonWriter json;
    json.begin_object().member("event", "done").member("ok", ok).end_object();
    out.write(json.str());
}

// The work directory: the caller's (kept), or a fresh one removed when the run ends.
class WorkDir {
public:
    explicit WorkDir(const std::string& given) {
        if (!given.empty()) {
            path_ = given;
            std::error_code ec;
            std::filesystem::create_directories(path_, ec);
            return;
        }
        std::string pattern = (std::filesystem::temp_directory_path() / "msf-fd-rx-client.XXXXXX").string();
        if (mkdtemp(pattern.data())) {
            path_ = pattern;
            owned_ = true;
        }
    }
    ~WorkDir() {
        std::error_code ec;
        if (owned_) std::filesystem::remove_all(path_, ec);
    }
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;

    const std::string& path() const { return path_; }

private:
    std::string path_;
    bool owned_ = false;
};

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const ClientParse parsed = parse_client_args(args);
    if (std::holds_alternative<HelpRequest>(parsed)) {
        std::fputs(client_help().c_str(), stdout);
        return 0;
    }
    if (const auto* error = std::get_if<UsageError>(&parsed)) {
        std::fprintf(stderr, "msf-fd-rx-client: %s\n", error->message.c_str());
        return error->exit_code;
    }
    const ClientOptions& options = std::get<ClientOptions>(parsed);

    JsonLines out;
    const WorkDir work(options.work_dir);
    if (work.path().empty()) {
        std::fprintf(stderr, "msf-fd-rx-client: cannot create a work directory under /tmp\n");
        return 1;
    }
    const std::string config_path = work.path() + "/freeDiameter.conf";
    {
        std::ofstream config(config_path);
        config << fd_config_text(options);
        if (!config.flush()) {
            std::fprintf(stderr, "msf-fd-rx-client: cannot write %s\n", config_path.c_str());
            return 1;
        }
    }

    RxClient client(options, out);
    if (const auto error = client.start(config_path)) {
        msf::tools::JsonWriter json;
        json.begin_object().member("event", "error").member("reason", *error).end_object();
        out.write(json.str());
        done(out, false);
        return 1;
    }
    bool ok = client.wait_open();
    bool shut_down = false;
    for (const Action& action : options.actions) {
        if (!ok) break;
        ok = client.run(action);
        shut_down |= action.kind == ActionKind::dpr;
    }
    if (!shut_down) client.shutdown(false);
    done(out, ok);
    return ok ? 0 : 1;
}
