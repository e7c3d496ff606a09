// msf-dpctl's printing: valid JSON (RFC 8259 escaping, commas), field names as in
// dataplane/api/types.hpp, and never a key byte even when the spec handed in holds keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dataplane/tools/cli_values.hpp"
#include "dataplane/tools/dpctl_output.hpp"
#include "dataplane/tools/json_writer.hpp"

namespace msf::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(JsonWriter, SeparatesMembersAndElementsWithCommas) {
    JsonWriter json;
    json.begin_object();
    json.member("a", uint64_t{1});
    json.key("list").begin_array().value(uint64_t{2}).value("x").null().value(true).end_array();
    json.key("empty").begin_object().end_object();
    json.member("n", int64_t{-3});
    json.end_object();
    EXPECT_EQ(json.str(), R"({"a":1,"list":[2,"x",null,true],"empty":{},"n":-3})");
}

TEST(JsonWriter, ArraysOfObjects) {
    JsonWriter json;
    json.begin_array();
    json.begin_object().member("i", 1).end_object();
    json.begin_object().member("i", 2).end_object();
    json.end_array();
    EXPECT_EQ(json.str(), R"([{"i":1},{"i":2}])");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
    std::string out;
    append_json_string(out, std::string("a\"b\\c\nd\te\x01\x7f", 11) + std::string(1, '\0'));
    EXPECT_EQ(out, R"("a\"b\\c\nd\te\u0001\u007f\u0000")");
}

api::SessionInfo sample_info() {
    api::SessionInfo info;
    api::SessionSpec& s = info.spec;
    s.id = 42;
    s.access.local = *net::Endpoint::parse("192.0.2.10:20000");
    s.core.local = *net::Endpoint::parse("198.51.100.10:20000");
    s.core.remote = *net::Endpoint::parse("198.51.100.20:30000");
    s.core.rtcp_mux = true;
    s.from_ue.suite = srtp::Suite::aead_aes_128_gcm;
    s.from_ue.master_key.assign(16, 0xab);  // a server never sends these; printing must not show them
    s.from_ue.master_salt.assign(12, 0xcd);
    s.from_ue.mki = {0x01, 0x02};
    s.to_ue.lifetime = 1000;
    info.latched_ue = *net::Endpoint::parse("[2001:db8::2]:40000");
    info.access.packets_in = 500;
    info.access.auth_failures = 3;
    info.core.packets_out = 7;
    info.age_ms = 1234;
    return info;
}

TEST(SessionJson, CarriesSpecLatchAndCountersButNoKeys) {
    const std::string json = session_json(sample_info());
    EXPECT_THAT(json, HasSubstr(R"("id":42)"));
    EXPECT_THAT(json, HasSubstr(R"("access":{"local":"192.0.2.10:20000","remote":null,"rtcp_mux":false})"));
    EXPECT_THAT(json, HasSubstr(R"("core":{"local":"198.51.100.10:20000","remote":"198.51.100.20:30000","rtcp_mux":true})"));
    EXPECT_THAT(json, HasSubstr(R"("from_ue":{"suite":"AEAD_AES_128_GCM","mki":"0102","lifetime":0})"));
    EXPECT_THAT(json, HasSubstr(R"("to_ue":{"suite":"AES_CM_128_HMAC_SHA1_80","mki":"","lifetime":1000})"));
    EXPECT_THAT(json, HasSubstr(R"("latched_ue":"[2001:db8::2]:40000")"));
    EXPECT_THAT(json, HasSubstr(R"("packets_in":500)"));
    EXPECT_THAT(json, HasSubstr(R"("auth_failures":3)"));
    EXPECT_THAT(json, HasSubstr(R"("age_ms":1234)"));
    EXPECT_THAT(json, Not(HasSubstr("abab")));
    EXPECT_THAT(json, Not(HasSubstr("cdcd")));
    EXPECT_THAT(json, Not(HasSubstr("master")));
    EXPECT_EQ(json.back(), '\n');
    EXPECT_EQ(json.find('\n'), json.size() - 1);
}

TEST(SessionText, ShowsTheLatchedUeAndNoKeys) {
    const std::string text = session_text(sample_info());
    EXPECT_THAT(text, HasSubstr("session 42"));
    EXPECT_THAT(text, HasSubstr("latched [2001:db8::2]:40000"));
    EXPECT_THAT(text, HasSubstr("auth 3"));
    EXPECT_THAT(text, Not(HasSubstr("abab")));
}

TEST(SessionJson, AnUnlatchedUeIsNull) {
    api::SessionInfo info = sample_info();
    info.latched_ue = {};
    EXPECT_THAT(session_json(info), HasSubstr(R"("latched_ue":null)"));
}

TEST(SessionsJson, ListsEverySessionWithACount) {
    std::vector<api::SessionInfo> list{sample_info(), sample_info()};
    list[1].spec.id = 43;
    const std::string json = sessions_json(list);
    EXPECT_THAT(json, HasSubstr(R"({"count":2,"sessions":[{"id":42,)"));
    EXPECT_THAT(json, HasSubstr(R"(},{"id":43,)"));
    EXPECT_THAT(sessions_json({}), HasSubstr(R"({"count":0,"sessions":[]})"));
    EXPECT_THAT(sessions_text(list), HasSubstr("2 sessions"));
}

TEST(StatsJson, HasTotalsWorkersAndPorts) {
    api::CountersReply c;
    c.session_count = 5;
    api::WorkerStats w;
    w.lcore = 1;
    w.drops_no_session = 9;
    c.workers.push_back(w);
    api::PortStatus p;
    p.name = "net_af_packet0";
    p.driver = "net_af_packet";
    p.link_up = true;
    c.ports.push_back(p);
    c.totals = api::sum_counters(c.workers, c.ports);
    const std::string json = stats_json(c);
    EXPECT_THAT(json, HasSubstr(R"("session_count":5)"));
    EXPECT_THAT(json, HasSubstr(R"("totals":{"rx_packets":0,"tx_packets":0,"drops_overload":0,"drops_no_session":9,)"));
    EXPECT_THAT(json, HasSubstr(R"("workers":[{"lcore":1,)"));
    EXPECT_THAT(json, HasSubstr(R"("ports":[{"port_id":0,"name":"net_af_packet0","driver":"net_af_packet","link_up":true,)"));
    EXPECT_THAT(stats_text(c), HasSubstr("no session 9"));
    EXPECT_THAT(ports_json(c.ports), HasSubstr(R"({"ports":[{"port_id":0,)"));
    EXPECT_THAT(ports_text(c.ports), HasSubstr("link up"));
}

TEST(EventJson, NamesTypeAndSide) {
    const api::Event e{api::EventType::auth_failure_storm, 9, api::Side::access, 77};
    EXPECT_EQ(event_json(e), "{\"type\":\"auth_failure_storm\",\"session_id\":9,\"side\":\"access\",\"value\":77}\n");
    const api::Event idle{api::EventType::inactivity, 3, api::Side::core, 1500};
    EXPECT_EQ(event_text(idle), "inactivity session 3 core: 1500 ms idle\n");
}

TEST(HelloOutput, ShowsVersionAndBuild) {
    api::HelloReply h;
    h.server_name = "msf-dataplane";
    h.server_build = "0.1.0";
    EXPECT_EQ(hello_json(h),
              "{\"version\":1,\"server_name\":\"msf-dataplane\",\"server_build\":\"0.1.0\",\"max_message_size\":1048576}\n");
    EXPECT_THAT(hello_text(h), HasSubstr("protocol 1"));
}

}  // namespace
}  // namespace msf::tools
