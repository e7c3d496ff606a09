// RxApplication with a real msf-dataplane and two Diameter nodes on one EventLoop, the MSF's and a
// P-CSCF's, wired as the daemon wires them: the installs of one iteration stay in flight to the
// dataplane until the next (issue 4), and a request that touches a session in flight finishes the
// batch first, so that it is answered as it would be had the install been answered already.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "controlplane/controld/daemon.hpp"
#include "controlplane/controld/rx_application.hpp"
#include "tests/controlplane/diameter/peer_harness.hpp"
#include "tests/controlplane/rx/rx_samples.hpp"
#include "tests/controlplane/support/dataplane_process.hpp"

namespace msf::controld {
namespace {

using namespace std::chrono_literals;
namespace avp = diameter::avp;
using diameter::testing::kLoopback;
using diameter::testing::run_until;

constexpr const char* kMsfIdentity = "msf.msf.test";
constexpr const char* kPcscfIdentity = "pcscf.ims.test";  // as rx::samples::base_aar names it

// A scratch directory, removed with everything in it.
struct ScratchDir {
    std::filesystem::path path;
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "msf-rx-in-flight-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    std::string file(const char* name) const { return (path / name).string(); }
};

// msf-dataplane on net_ring vdevs, without hugepages, with the media ranges the test configures.
const std::vector<std::string> kDataplaneOptions = {
    "--access.port=net_ring0", "--core.port=net_ring1",
    "--access.mac=02:00:00:00:0a:01", "--core.mac=02:00:00:00:0c:01",
    "--access.ipv4=192.0.2.10", "--core.ipv4=198.51.100.10", "--hugepages=false",
    "--memory-mb=256", "--mbufs=8191", "--telemetry=false", "--workers=1",
    "--max-sessions=4096", "--port-min=16384", "--port-max=65535"};

uint32_t result_code(const diameter::Message& answer) {
    const auto code = answer.find(avp::result_code);
    return code ? code->unsigned32().value_or(0) : 0;
}

// An initial or update AAR for one audio component whose core peer is 198.51.100.<core_host>.
diameter::Message aar(const std::string& session_id, int core_host) {
    using namespace rx::samples;
    diameter::Message m = base_aar(session_id);
    const std::string core = "198.51.100." + std::to_string(core_host);
    add_component(m, 1,
                  {{"permit in 17 from 192.0.2.2 49170 to " + core + " 30000", false},
                   {"permit out 17 from " + core + " 30000 to 192.0.2.2 49170", false}},
                  {uplink_offer(crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kUeKeyB64)),
                   "downlink\nanswer\nm=audio 30000 RTP/SAVP 0\r\nc=IN IP4 " + core + "\r\n" +
                       crypto_line(1, "AES_CM_128_HMAC_SHA1_80", kNetKeyB64) + std::string(1, '\0')});
    return m;
}

diameter::Message str(const std::string& session_id) {
    diameter::Message m = diameter::Message::request(diameter::cmd::str);
    m.add(avp::session_id, session_id)
        .add(avp::origin_host, kPcscfIdentity)
        .add(avp::origin_realm, "ims.test")
        .add(avp::destination_realm, "msf.test")
        .add(avp::auth_application_id, diameter::app::rx)
        .add(avp::termination_cause, 1u);
    return m;
}

// msf-controld's parts as Daemon wires them, minus the CLI and signals, and a P-CSCF node.
class RxInFlightTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(dataplane_.start(), "");
        const std::vector<std::string> args = {
            "msf-controld", "--dataplane-socket=" + dataplane_.socket(), "--store=" + dir_.file("c.db"),
            "--store-key=" + dir_.file("c.key"), "--cli-socket=" + dir_.file("cli.sock"),
            std::string("--diameter.identity=") + kMsfIdentity, "--diameter.realm=msf.test",
            "--diameter.listen=127.0.0.1:" + std::to_string(port_.port()),
            std::string("--diameter.peer=") + kPcscfIdentity + ",address=127.0.0.1",
            "--media.access-ipv4=192.0.2.10", "--media.core-ipv4=198.51.100.10",
        };
        std::vector<const char*> argv;
        for (const std::string& a : args) argv.push_back(a.c_str());
        ParseResult parsed = parse_controld_config_text("", static_cast<int>(argv.size()), argv.data());
        ASSERT_TRUE(std::holds_alternative<ControldConfig>(parsed));
        config_ = std::get<ControldConfig>(std::move(parsed));

        std::string error;
        manager_ = sessions::SessionManager::open(manager_options(config_), &error);
        ASSERT_NE(manager_, nullptr) << error;
        ASSERT_TRUE(manager_->restore().ok());
        ASSERT_TRUE(manager_->connect_dataplane().ok());
        rx_ = std::make_unique<RxApplication>(config_, *manager_, [this](std::string_view line) {
            log_.emplace_back(line);
        });
        diameter::NodeSettings msf = node_settings(config_);
        msf.log = [this](std::string_view line) { log_.emplace_back(line); };
        msf_ = std::make_unique<diameter::Node>(loop_, std::move(msf), *rx_);
        rx_->attach(*msf_);
        loop_.add_end_of_iteration_hook([this] { rx_->commit_and_answer(); });
        loop_.set_wake_source([this] { return rx_->install_in_flight() ? manager_->dataplane_fd() : -1; });

        diameter::NodeSettings pcscf = diameter::testing::base_settings(kPcscfIdentity, {});
        pcscf.realm = "ims.test";
        pcscf.log = [this](std::string_view line) { log_.emplace_back(line); };
        pcscf.peers = {diameter::testing::peer(kMsfIdentity, net::Endpoint{kLoopback, port_.port()})};
        pcscf_ = std::make_unique<diameter::Node>(loop_, std::move(pcscf), pcscf_handler_);
        ASSERT_TRUE(run_until(loop_, [this] { return diameter::is_open(diameter::testing::state_of(*pcscf_, kMsfIdentity)); }));
    }

    // Sends at once (the node would flush at the end of the loop iteration): the MSF reads it in
    // the next iteration, before that iteration's end finishes the batch in flight.
    void send(std::string what, diameter::Message request) {
        const diameter::RequestFailure failure = pcscf_->send_request(
            kMsfIdentity, std::move(request), [this, what](diameter::RequestOutcome&& outcome) {
                answers_.emplace_back(what, outcome.answer ? result_code(*outcome.answer) : 0);
            });
        ASSERT_EQ(failure, diameter::RequestFailure::none);
        pcscf_->flush();
    }

    // The dataplane streams' core remotes.
    std::vector<std::string> dataplane_core_remotes() {
        api::ControlClient client(2000);
        EXPECT_TRUE(client.connect(dataplane_.socket()).ok());
        EXPECT_TRUE(client.hello("rx-in-flight-test").ok());
        std::vector<std::string> out;
        for (const api::SessionInfo& info : client.list_all().value) out.push_back(info.spec.core.remote.to_string());
        return out;
    }

    ScratchDir dir_;
    test_support::DataplaneProcess dataplane_{dir_.path, "rx-in-flight", kDataplaneOptions};
    diameter::testing::ReservedPort port_;
    ControldConfig config_;
    EventLoop loop_;
    std::unique_ptr<sessions::SessionManager> manager_;
    std::unique_ptr<RxApplication> rx_;
    std::unique_ptr<diameter::Node> msf_;
    diameter::testing::RecordingHandler pcscf_handler_;
    std::unique_ptr<diameter::Node> pcscf_;
    std::vector<std::string> log_;
    std::vector<std::pair<std::string, uint32_t>> answers_;  // in the order they came
};

TEST_F(RxInFlightTest, InstallIsAnsweredWhenTheDataplaneAnswersWithoutAnotherRequest) {
    dataplane_.signal(SIGSTOP);
    send("aar", aar("pcscf.ims.test;quiet", 20));
    ASSERT_TRUE(run_until(loop_, [this] { return rx_->install_in_flight(); }));
    dataplane_.signal(SIGCONT);
    // Nothing else arrives and no timer is due for seconds: the dataplane's answer alone ends the
    // wait, and that iteration answers.
    const int64_t start = EventLoop::now_ms();
    loop_.run_once(3000);
    EXPECT_LT(EventLoop::now_ms() - start, 2000);
    EXPECT_FALSE(rx_->install_in_flight());
    ASSERT_TRUE(run_until(loop_, [this] { return answers_.size() == 1; }));
    EXPECT_EQ(answers_[0], std::make_pair(std::string("aar"), 2001u));
    EXPECT_FALSE(rx_->install_in_flight());
    ASSERT_NE(manager_->find("pcscf.ims.test;quiet"), nullptr);
    EXPECT_EQ(dataplane_core_remotes(), std::vector<std::string>{"198.51.100.20:30000"});
}

TEST_F(RxInFlightTest, UpdateOfASessionWhoseInstallIsInFlightIsAnsweredAsAnUpdate) {
    dataplane_.signal(SIGSTOP);
    send("initial", aar("pcscf.ims.test;update", 20));
    ASSERT_TRUE(run_until(loop_, [this] { return rx_->install_in_flight(); }));
    EXPECT_EQ(manager_->find("pcscf.ims.test;update"), nullptr);  // in flight: not in memory yet
    send("update", aar("pcscf.ims.test;update", 21));
    dataplane_.signal(SIGCONT);
    ASSERT_TRUE(run_until(loop_, [this] { return answers_.size() == 2; }));
    // Both succeed, in order: the update found the session installed.
    EXPECT_EQ(answers_[0], std::make_pair(std::string("initial"), 2001u));
    EXPECT_EQ(answers_[1], std::make_pair(std::string("update"), 2001u));
    EXPECT_EQ(rx_->counters().aar_initial, 1u);
    EXPECT_EQ(rx_->counters().aar_update, 1u);
    EXPECT_EQ(rx_->counters().aar_refused, 0u);
    const sessions::ControlSession* s = manager_->find("pcscf.ims.test;update");
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->streams.size(), 1u);
    EXPECT_EQ(s->streams[0].spec.core.remote.to_string(), "198.51.100.21:30000");
    EXPECT_EQ(dataplane_core_remotes(), std::vector<std::string>{"198.51.100.21:30000"});
}

TEST_F(RxInFlightTest, StrOfASessionWhoseInstallIsInFlightRemovesItAndIsAnswered) {
    dataplane_.signal(SIGSTOP);
    send("kept", aar("pcscf.ims.test;kept", 20));
    send("ended", aar("pcscf.ims.test;ended", 22));
    ASSERT_TRUE(run_until(loop_, [this] { return rx_->install_in_flight(); }));
    send("str", str("pcscf.ims.test;ended"));
    dataplane_.signal(SIGCONT);
    ASSERT_TRUE(run_until(loop_, [this] { return answers_.size() == 3; }));
    ASSERT_EQ(answers_.size(), 3u);
    // The installs come first, whichever iterations they were read in; then the STA.
    EXPECT_EQ(answers_[2], std::make_pair(std::string("str"), 2001u));
    for (size_t i = 0; i < 2; ++i) EXPECT_EQ(answers_[i].second, 2001u) << answers_[i].first;
    EXPECT_EQ(rx_->counters().str, 1u);
    EXPECT_EQ(rx_->counters().str_unknown, 0u);
    EXPECT_EQ(manager_->find("pcscf.ims.test;ended"), nullptr);
    ASSERT_NE(manager_->find("pcscf.ims.test;kept"), nullptr);
    EXPECT_EQ(dataplane_core_remotes(), std::vector<std::string>{"198.51.100.20:30000"});
    EXPECT_EQ(rx_->sessions_of(kPcscfIdentity), 1u);
}

}  // namespace
}  // namespace msf::controld
