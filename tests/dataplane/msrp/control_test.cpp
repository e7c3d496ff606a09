// The control socket's JSON-lines protocol: what each op answers, and every bad request
// refused with an error line that names the problem (and nothing installed).
#include "dataplane/msrp/control.hpp"

#include <gtest/gtest.h>

#include "msrp_peers.hpp"

namespace msf::msrp {
namespace {

using nlohmann::json;
using testing::RelayUnderTest;

const std::string kPsk(64, 'a');  // 32 bytes in hex

json add_request(std::string id = "s1") {
    return json{{"op", "add_session"},         {"session", id},
                {"psk_identity", "id-" + id},  {"psk", kPsk},
                {"ue_path", "msrps://10.0.0.5:3000/ue1;tcp"},
                {"core_path", "msrp://127.0.0.1:9/core1;tcp"}};
}

std::string error_of(const Outcome<json>& response) {
    EXPECT_TRUE(response.ok());
    if (!response) return response.error();
    EXPECT_FALSE(response.value()["ok"].get<bool>()) << response.value().dump();
    return response.value().value("error", "");
}

TEST(MsrpControl, AddSessionAnswersTheGatewayPaths) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    const Outcome<json> response = control.request(add_request());
    ASSERT_TRUE(response.ok());
    ASSERT_TRUE(response.value()["ok"].get<bool>()) << response.value().dump();
    const std::optional<Uri> access = parse_uri(response.value()["gw_access_path"].get<std::string>());
    const std::optional<Uri> core = parse_uri(response.value()["gw_core_path"].get<std::string>());
    ASSERT_TRUE(access && core);
    EXPECT_TRUE(access->secure);
    EXPECT_EQ(access->port, relay.port());
    EXPECT_EQ(access->transport, "tcp");
    EXPECT_FALSE(core->secure);
    EXPECT_GE(access->session_id.size(), 16u);
    EXPECT_NE(access->session_id, core->session_id);
}

TEST(MsrpControl, GatewayPathsChosenByTheControllerAreKept) {
    // msf-controld reinstalls a session after msf-msrpd restarts: with the URIs the SDP has.
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    SessionSpec spec{"kept", "id-kept", std::vector<uint8_t>(16, 7), "msrps://10.0.0.5:3000/ue1;tcp",
                     "msrp://127.0.0.1:9/core1;tcp", std::nullopt, "msrps://192.0.2.20:2855/fromSdp1;tcp",
                     "msrp://198.51.100.20:2855/fromSdp2;tcp"};
    const Outcome<AddedSession> added = control.add_session(spec);
    ASSERT_TRUE(added.ok()) << added.error();
    EXPECT_EQ(added->gw_access_path, spec.gw_access_path);
    EXPECT_EQ(added->gw_core_path, spec.gw_core_path);
    const Outcome<json> session = control.get_session("kept");
    ASSERT_TRUE(session.ok());
    EXPECT_EQ(session.value()["gw_access_path"], spec.gw_access_path);
    EXPECT_EQ(session.value()["gw_core_path"], spec.gw_core_path);

    json wrong_scheme = add_request("x");
    wrong_scheme["gw_access_path"] = "msrp://192.0.2.20:2855/a;tcp";
    EXPECT_NE(error_of(control.request(wrong_scheme)).find("gw_access_path: not an msrps"), std::string::npos);
    json malformed = add_request("y");
    malformed["gw_core_path"] = "msrp://nothing";
    EXPECT_NE(error_of(control.request(malformed)).find("gw_core_path:"), std::string::npos);
    json empty = add_request("z");
    empty["gw_core_path"] = "";
    EXPECT_NE(error_of(control.request(empty)).find("gw_core_path is empty"), std::string::npos);
}

TEST(MsrpControl, GetListAndStatsShowCountersButNeverThePsk) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    ASSERT_TRUE(control.request(add_request("a")).ok());
    ASSERT_TRUE(control.request(add_request("b")).ok());
    const Outcome<json> session = control.get_session("a");
    ASSERT_TRUE(session.ok()) << session.error();
    EXPECT_EQ(session.value()["session"], "a");
    EXPECT_EQ(session.value()["ue_allow"], nullptr);
    for (const auto& [name, member] : kSessionCounters)
        EXPECT_EQ(session.value()["counters"][std::string(name)], 0) << name;
    const Outcome<json> list = control.list_sessions();
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list.value().size(), 2u);
    EXPECT_EQ(list.value().dump().find(kPsk), std::string::npos);
    const Outcome<json> stats = control.stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats.value()["sessions"], 2);
    EXPECT_EQ(stats.value()["sessions_added"], 2);
}

TEST(MsrpControl, BadRequestsAreRefusedWithAReason) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    ASSERT_TRUE(control.request(add_request("dup")).ok());
    struct Case {
        json request;
        std::string error;
    };
    json bad_hex = add_request("x1");
    bad_hex["psk"] = std::string(64, 'g');
    json short_psk = add_request("x2");
    short_psk["psk"] = "00112233";
    json bad_ue = add_request("x3");
    bad_ue["ue_path"] = "msrp://10.0.0.5:3000/ue1;tcp";
    json bad_core = add_request("x4");
    bad_core["core_path"] = "msrp://core.example:9/c;tcp";
    json bad_allow = add_request("x5");
    bad_allow["ue_allow"] = "not-an-ip";
    json extra = add_request("x6");
    extra["colour"] = "blue";
    json wrong_type = add_request("x7");
    wrong_type["psk_identity"] = 7;
    json same_identity = add_request("x8");
    same_identity["psk_identity"] = "id-dup";
    const std::vector<Case> cases = {
        {json{{"op", "frobnicate"}}, "unknown op"},
        {json{{"session", "a"}}, "\"op\""},
        {json::array(), "not a JSON object"},
        {add_request("dup"), "exists"},
        {bad_hex, "psk: not hex"},
        {short_psk, "psk:"},
        {bad_ue, "ue_path"},
        {bad_core, "core_path: the host is not an IP address"},
        {bad_allow, "ue_allow"},
        {extra, "unknown member \"colour\""},
        {wrong_type, "\"psk_identity\" is not a string"},
        {same_identity, "psk_identity is in use"},
        {json{{"op", "get_session"}, {"session", "nope"}}, "no session nope"},
        {json{{"op", "remove_session"}}, "\"session\" is missing"},
    };
    for (const Case& c : cases)
        EXPECT_NE(error_of(control.request(c.request)).find(c.error), std::string::npos) << c.request.dump();
    const Outcome<json> stats = control.stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats.value()["sessions"], 1);
}

TEST(MsrpControl, LineThatIsNotJsonGetsAnErrorAndTheConnectionGoesOn) {
    RelayUnderTest relay;
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, relay.socket_path().c_str());
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    testing::set_timeouts(fd, 5000);
    const std::string lines = "{not json\n{\"op\":\"stats\"}\n";
    ASSERT_EQ(send(fd, lines.data(), lines.size(), 0), static_cast<ssize_t>(lines.size()));
    std::string answer;
    char buffer[4096];
    while (std::count(answer.begin(), answer.end(), '\n') < 2) {
        const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        ASSERT_GT(n, 0);
        answer.append(buffer, static_cast<size_t>(n));
    }
    close(fd);
    const size_t newline = answer.find('\n');
    EXPECT_EQ(json::parse(answer.substr(0, newline))["error"], "not JSON");
    EXPECT_TRUE(json::parse(answer.substr(newline + 1))["ok"].get<bool>());
}

TEST(MsrpControl, OverlongLineIsRefusedAndTheConnectionClosed) {
    RelayUnderTest relay;
    ControlClient control(relay.socket_path());
    json huge = add_request("huge");
    huge["session"] = std::string(kMaxControlLine + 10, 'x');
    const Outcome<json> response = control.request(huge);
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_NE(response.value()["error"].get<std::string>().find("longer than"), std::string::npos);
}

TEST(MsrpControl, ClientReportsAnAbsentDaemon) {
    ControlClient control("/nonexistent/msrpd.sock");
    const Outcome<json> stats = control.stats();
    ASSERT_FALSE(stats.ok());
    EXPECT_NE(stats.error().find("connect"), std::string::npos);
}

}  // namespace
}  // namespace msf::msrp
