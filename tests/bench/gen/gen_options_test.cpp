#include "bench/gen/gen_options.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace msf::gen {
namespace {

GenParse parse(std::vector<std::string_view> args) { return parse_gen_args(args); }

std::string usage_error(std::vector<std::string_view> args) {
    const GenParse p = parse(std::move(args));
    const auto* e = std::get_if<GenUsageError>(&p);
    EXPECT_NE(e, nullptr);
    return e ? e->message : "";
}

TEST(GenOptions, ReadsTheRunnersCommandLine) {
    const GenParse p = parse({"--calls", "c.jsonl", "--access-port", "net_memif0,role=client", "--core-port=net_memif1",
                              "--eal", "--no-huge -m 256", "--lcores", "1", "--file-prefix", "g", "--mode", "protect",
                              "--rate", "2000.5", "--size", "1200", "--duration", "3", "--warmup=0.5", "--ipv6", "--json",
                              "--verify-every", "7"});
    const auto* o = std::get_if<GenOptions>(&p);
    ASSERT_NE(o, nullptr) << usage_error({});
    EXPECT_EQ(o->calls, "c.jsonl");
    EXPECT_EQ(o->access_port, "net_memif0,role=client");
    EXPECT_EQ(o->core_port, "net_memif1");
    EXPECT_EQ(o->eal, "--no-huge -m 256");
    EXPECT_EQ(o->lcores, "1");
    EXPECT_EQ(o->file_prefix, "g");
    EXPECT_EQ(o->mode, GenMode::protect);
    EXPECT_DOUBLE_EQ(o->rate, 2000.5);
    EXPECT_EQ(o->size, 1200u);
    EXPECT_DOUBLE_EQ(o->duration_s, 3);
    EXPECT_DOUBLE_EQ(o->warmup_s, 0.5);
    EXPECT_TRUE(o->ipv6);
    EXPECT_TRUE(o->json);
    EXPECT_EQ(o->verify_every, 7u);
}

TEST(GenOptions, DefaultsAreHairpinAt172Bytes) {
    const GenParse p = parse({"--calls", "c", "--access-port", "a", "--core-port", "b"});
    const auto* o = std::get_if<GenOptions>(&p);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->mode, GenMode::hairpin);
    EXPECT_EQ(o->size, 172u);
    EXPECT_EQ(o->verify_every, 1000u);
    EXPECT_FALSE(o->json);
    EXPECT_EQ(o->queues, 1u);
    EXPECT_FALSE(o->serve);
}

TEST(GenOptions, ServeAndQueuesForTheRunner) {
    const GenParse p = parse({"--calls", "c", "--access-port", "a", "--core-port", "b", "--serve", "--queues", "4"});
    const auto* o = std::get_if<GenOptions>(&p);
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(o->serve);
    EXPECT_EQ(o->queues, 4u);
    for (const std::string_view bad : {"0", "17", "two", "-1"})
        EXPECT_NE(usage_error({"--calls", "c", "--access-port", "a", "--core-port", "b", "--queues", bad}).find("--queues"),
                  std::string::npos)
            << bad;
    EXPECT_NE(usage_error({"--calls", "c", "--access-port", "a", "--core-port", "b", "--serve=1"}).find("--serve"),
              std::string::npos);
}

TEST(GenOptions, ExportPcapHasItsOwnOptions) {
    const GenParse p = parse({"export-pcap", "--calls", "c", "--out", "o.pcap", "--packets-per-session", "50",
                              "--size", "64", "--direction", "core"});
    const auto* o = std::get_if<ExportOptions>(&p);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->out, "o.pcap");
    EXPECT_EQ(o->packets_per_session, 50u);
    EXPECT_EQ(o->size, 64u);
    EXPECT_EQ(o->direction, PcapDirection::core);
    EXPECT_NE(usage_error({"export-pcap", "--calls", "c", "--out", "o", "--rate", "5"}).find("--rate"), std::string::npos);
    EXPECT_NE(usage_error({"export-pcap", "--calls", "c"}).find("--out"), std::string::npos);
}

TEST(GenOptions, BadOrMissingValuesAreUsageErrorsNamingTheOption) {
    const std::vector<std::vector<std::string_view>> bad = {
        {"--calls", "c", "--access-port", "a"},
        {"--access-port", "a", "--core-port", "b"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--size", "35"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--size", "1401"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--rate", "-1"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--rate", "fast"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--mode", "mirror"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--duration", "0"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--verify-every", "0"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--json=yes"},
        {"--calls", "c", "--calls", "d", "--access-port", "a", "--core-port", "b"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--bogus"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "stray"},
        {"--calls"},
        {"--calls", "c", "--access-port", "a", "--core-port", "b", "--out", "x"},
    };
    for (const auto& args : bad) EXPECT_FALSE(usage_error(args).empty());
    EXPECT_NE(usage_error({"--calls", "c", "--access-port", "a", "--core-port", "b", "--size", "10"}).find("--size"),
              std::string::npos);
}

TEST(GenOptions, HelpListsEveryOption) {
    EXPECT_TRUE(std::holds_alternative<GenHelpRequest>(parse({"--help"})));
    const std::string help = gen_help();
    for (const char* name : {"--calls", "--access-port", "--core-port", "--eal", "--lcores", "--file-prefix", "--mode",
                             "--rate", "--size", "--duration", "--warmup", "--ipv6", "--json", "--verify-every", "--out",
                             "--packets-per-session", "--direction", "--queues", "--serve"})
        EXPECT_NE(help.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace msf::gen
