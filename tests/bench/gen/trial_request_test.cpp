#include "bench/gen/trial_request.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

namespace msf::gen {
namespace {

const TrialSettings kDefaults{1000, 172, 5, 1};

std::string error_of(std::string_view line) {
    const auto r = parse_trial_request(line, kDefaults);
    EXPECT_FALSE(r.ok()) << line;
    return r.ok() ? "" : r.error().message;
}

TEST(TrialRequest, ReadsEveryField) {
    const auto r = parse_trial_request(R"({"rate": 250000, "duration": 2.0, "warmup": 0.5, "size": 1200})", kDefaults);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, (TrialSettings{250000, 1200, 2.0, 0.5}));
}

TEST(TrialRequest, AbsentFieldsKeepTheCommandLineValues) {
    const auto only_rate = parse_trial_request(R"({"rate": 0.5})", kDefaults);
    ASSERT_TRUE(only_rate.ok());
    EXPECT_EQ(*only_rate, (TrialSettings{0.5, 172, 5, 1}));
    const auto empty = parse_trial_request("  {}  ", kDefaults);
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(*empty, kDefaults);
}

TEST(TrialRequest, TakesTheCommandLineValuesAsDefaults) {
    GenOptions o;
    o.rate = 7;
    o.size = 64;
    o.duration_s = 3;
    o.warmup_s = 0;
    EXPECT_EQ(trial_settings(o), (TrialSettings{7, 64, 3, 0}));
}

TEST(TrialRequest, RateZeroMeansAsFastAsPossibleAndWarmupZeroIsAllowed) {
    const auto r = parse_trial_request(R"({"rate": 0, "warmup": 0})", kDefaults);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->rate, 0);
    EXPECT_EQ(r->warmup_s, 0);
}

TEST(TrialRequest, RefusesTextThatIsNotJson) {
    EXPECT_EQ(error_of("rate=1000"), "request is not JSON");
    EXPECT_EQ(error_of(R"({"rate": 1000)"), "request is not JSON");
    EXPECT_EQ(error_of(""), "request is not JSON");
    EXPECT_EQ(error_of(R"({"rate": 1} {"rate": 2})"), "request is not JSON");
}

TEST(TrialRequest, RefusesJsonThatIsNotAnObject) {
    EXPECT_EQ(error_of("[1000]"), "request is not a JSON object");
    EXPECT_EQ(error_of("1000"), "request is not a JSON object");
    EXPECT_EQ(error_of("null"), "request is not a JSON object");
}

TEST(TrialRequest, RefusesWrongTypesNamingTheField) {
    EXPECT_NE(error_of(R"({"rate": "1000"})").find("rate"), std::string::npos);
    EXPECT_NE(error_of(R"({"rate": true})").find("rate"), std::string::npos);
    EXPECT_NE(error_of(R"({"duration": null})").find("duration"), std::string::npos);
    EXPECT_NE(error_of(R"({"warmup": [1]})").find("warmup"), std::string::npos);
    EXPECT_NE(error_of(R"({"size": 172.5})").find("size"), std::string::npos);
    EXPECT_NE(error_of(R"({"size": "172"})").find("size"), std::string::npos);
}

TEST(TrialRequest, RefusesValuesOutOfRange) {
    EXPECT_NE(error_of(R"({"rate": -1})").find("rate"), std::string::npos);
    EXPECT_NE(error_of(R"({"rate": 2e9})").find("rate"), std::string::npos);
    EXPECT_FALSE(error_of(R"({"rate": 1e400})").empty());  // beyond a double: the JSON parser refuses it
    EXPECT_NE(error_of(R"({"size": 35})").find("size"), std::string::npos);
    EXPECT_NE(error_of(R"({"size": 1401})").find("size"), std::string::npos);
    EXPECT_NE(error_of(R"({"size": -172})").find("size"), std::string::npos);
    EXPECT_NE(error_of(R"({"duration": 0})").find("duration"), std::string::npos);
    EXPECT_NE(error_of(R"({"duration": 86401})").find("duration"), std::string::npos);
    EXPECT_NE(error_of(R"({"warmup": -0.1})").find("warmup"), std::string::npos);
    // The limits themselves are fine.
    const auto edge = parse_trial_request(R"({"rate": 1e9, "size": 36, "duration": 86400, "warmup": 86400})", kDefaults);
    ASSERT_TRUE(edge.ok()) << edge.error().message;
    const auto largest = parse_trial_request(R"({"size": 1400})", kDefaults);
    EXPECT_TRUE(largest.ok());
}

TEST(TrialRequest, RefusesAnUnknownKeyNamingIt) {
    EXPECT_EQ(error_of(R"({"rate": 1000, "sessions": 4})"), R"(unknown key "sessions" (rate, size, duration, warmup))");
    EXPECT_NE(error_of(R"({"Rate": 1000})").find("\"Rate\""), std::string::npos);
}

TEST(TrialRequest, QuotesAHostileKeyAndCutsItShort) {
    const std::string key(300, 'k');
    const std::string message = error_of("{\"" + key + "\\n\\\"x\": 1}");
    EXPECT_LT(message.size(), 120u);
    EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(TrialRequest, RefusesAnOverLongLineWithoutParsingIt) {
    std::string line = R"({"rate": 1000, "pad": ")";
    line.append(kMaxRequestLine, ' ');
    line += "\"}";
    EXPECT_NE(error_of(line).find("longer than 4096"), std::string::npos);
}

TEST(TrialRequest, ErrorLineIsOneJsonObjectWithTheMessage) {
    const std::string line = format_trial_error("unknown key \"x\"\nsecond line");
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto parsed = nlohmann::json::parse(line);
    EXPECT_EQ(parsed.at("error"), "unknown key \"x\"\nsecond line");
    EXPECT_EQ(parsed.size(), 1u);
}

TEST(TrialRequest, ErrorLineSurvivesInvalidUtf8) {
    const std::string line = format_trial_error("bad \xff byte");
    const auto parsed = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << line;
    EXPECT_TRUE(parsed.at("error").is_string());
}

}  // namespace
}  // namespace msf::gen
