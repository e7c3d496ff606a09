#include "controlplane/pcscf/run_report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <numeric>

namespace msf::pcscf {
namespace {

TEST(LatencySummary, NearestRankPercentiles) {
    std::vector<uint64_t> samples(100);
    std::iota(samples.begin(), samples.end(), 1);  // 1..100, shuffled order does not matter
    std::reverse(samples.begin(), samples.end());
    const LatencySummary s = summarize_latencies(samples);
    EXPECT_EQ(s.count, 100u);
    EXPECT_EQ(s.min_us, 1u);
    EXPECT_EQ(s.median_us, 50u);
    EXPECT_EQ(s.p99_us, 99u);
    EXPECT_EQ(s.max_us, 100u);

    const LatencySummary one = summarize_latencies({7});
    EXPECT_EQ(one.median_us, 7u);
    EXPECT_EQ(one.p99_us, 7u);
    const LatencySummary three = summarize_latencies({5, 1, 9});
    EXPECT_EQ(three.median_us, 5u);
    EXPECT_EQ(three.p99_us, 9u);
    EXPECT_EQ(summarize_latencies({}).count, 0u);
}

RunReport clean_run() {
    RunReport r;
    r.msf = "msf.localdomain at 127.0.0.1:3868";
    r.ues = 2;
    r.calls = 3;
    r.key_source = "mixed";
    r.keys_in = "avp";
    r.to_ue_key = "derived";
    r.suite = "AES_CM_128_HMAC_SHA1_80";
    r.registered = 2;
    r.e2ae_acknowledged = 2;
    r.invites = r.invites_e2ae = 3;
    r.aar_sent = r.aaa_ok = 3;
    r.aaa_results["2001"] = 3;
    r.sdp_rewritten = r.ue_keys_agree = r.bye = r.str_sent = r.sta_ok = r.calls_ok = 3;
    r.sta_results["2001"] = 3;
    r.aar_latency = summarize_latencies({100, 200, 300});
    r.installs_per_s = 1500;
    r.install_window_s = 0.002;
    return r;
}

TEST(RunReport, OkOnlyWhenEveryStepSucceeded) {
    EXPECT_TRUE(clean_run().ok());
    RunReport r = clean_run();
    r.aaa_ok = 2;
    EXPECT_FALSE(r.ok());
    r = clean_run();
    r.aar_failures["timeout"] = 1;
    EXPECT_FALSE(r.ok());
    r = clean_run();
    r.sta_ok = 2;
    EXPECT_FALSE(r.ok());
    r = clean_run();
    r.calls_ok = 2;
    EXPECT_FALSE(r.ok());
    r = clean_run();
    r.call_errors = 1;
    EXPECT_FALSE(r.ok());
    r = clean_run();
    r.fatal = "no connection";
    EXPECT_FALSE(r.ok());
    r = clean_run();
    r.registered = 1;
    EXPECT_FALSE(r.ok());
}

TEST(RunReport, TextNamesEveryStep) {
    const std::string text = format_report_text(clean_run());
    for (const char* line : {"registered          2 (e2ae acknowledged 2)", "aaa                 2001: 3",
                             "AAR->AAA latency    min 100, median 200, p99 300, max 300 us (3 samples)",
                             "installs            1500.0/s (3 in 0.002 s)", "sta                 2001: 3",
                             "str no answer       none", "result              ok"})
        EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
    RunReport failed = clean_run();
    failed.errors.push_back("AAA x: 3GPP 5061");
    failed.aaa_ok = 2;
    EXPECT_NE(format_report_text(failed).find("result              FAILED"), std::string::npos);
}

TEST(RunReport, JsonHasTheDocumentedFields) {
    EXPECT_EQ(nlohmann::json::parse(format_report_json(clean_run()))["ok"], true);
    RunReport r = clean_run();
    r.aar_sent = 4;  // one more AAR, refused
    r.aaa_results["3GPP 5061"] = 1;
    const auto j = nlohmann::json::parse(format_report_json(r));
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["counts"]["aaa"]["2001"], 3);
    EXPECT_EQ(j["counts"]["aaa"]["3GPP 5061"], 1);
    EXPECT_EQ(j["latency_us"]["aar_aaa"]["median"], 200);
    EXPECT_EQ(j["latency_us"]["str_sta"]["count"], 0);
    EXPECT_EQ(j["rates"]["installs_per_s"], 1500.0);
    EXPECT_EQ(j["settings"]["ues"], 2);
    EXPECT_EQ(j["msf"], "msf.localdomain at 127.0.0.1:3868");
    for (const char* key : {"registered", "e2ae_acknowledged", "invites", "invites_e2ae", "invites_plain", "aar_sent",
                            "aar_failures", "aaa_ok", "sdp_rewritten", "ue_keys_agree", "bye", "str_sent", "sta",
                            "str_failures", "sta_ok", "calls_ok", "call_errors", "rar_received", "asr_received",
                            "calls_out_written"})
        EXPECT_TRUE(j["counts"].contains(key)) << key;
}

}  // namespace
}  // namespace msf::pcscf
