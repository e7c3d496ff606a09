#include "controlplane/pcscf/pcscf_options.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace msf::pcscf {
namespace {

PcscfParse parse(std::vector<std::string_view> args) { return parse_pcscf_args(args); }

PcscfOptions options_of(std::vector<std::string_view> args) {
    const PcscfParse p = parse(std::move(args));
    if (const auto* e = std::get_if<PcscfUsageError>(&p)) ADD_FAILURE() << e->message;
    const auto* o = std::get_if<PcscfOptions>(&p);
    return o ? *o : PcscfOptions{};
}

PcscfUsageError error_of(std::vector<std::string_view> args) {
    const PcscfParse p = parse(std::move(args));
    const auto* e = std::get_if<PcscfUsageError>(&p);
    EXPECT_NE(e, nullptr);
    return e ? *e : PcscfUsageError{};
}

TEST(PcscfOptions, DefaultsMatchMsfControldsDefaults) {
    const PcscfOptions o = options_of({});
    EXPECT_EQ(o.msf.to_string(), "127.0.0.1:3868");
    EXPECT_EQ(o.msf_identity, "msf.localdomain");
    EXPECT_EQ(o.realm, "localdomain");
    EXPECT_EQ(o.key_source, KeySourceChoice::mixed);
    EXPECT_EQ(o.keys_in, KeysIn::avp);
    EXPECT_EQ(o.to_ue_key, ToUeKey::derived);
    EXPECT_TRUE(o.acknowledge_e2ae);
    EXPECT_FALSE(o.keep);
}

TEST(PcscfOptions, ReadsEveryOptionInBothSpellings) {
    const PcscfOptions o = options_of({"--msf", "[::1]:3869", "--identity=p.test", "--realm", "test", "--msf-identity",
                                       "m.test", "--msf-realm=mr.test", "--msf-vendor-id", "99", "--ues", "5", "--calls=7",
                                       "--rate", "12.5", "--concurrency", "3", "--hold-ms", "20", "--keep", "--key-source",
                                       "digest", "--keys-in", "sdes", "--to-ue-key", "generated", "--suite",
                                       "AEAD_AES_256_GCM", "--e2ae-policy", "refuse", "--ue-base", "192.0.2.1:50000",
                                       "--core-base", "198.51.100.1:2000", "--json", "--calls-out", "/tmp/x.jsonl",
                                       "--timeout-ms", "900", "--verbose"});
    EXPECT_EQ(o.msf.to_string(), "[::1]:3869");
    EXPECT_EQ(o.identity, "p.test");
    EXPECT_EQ(o.realm, "test");
    EXPECT_EQ(o.msf_identity, "m.test");
    EXPECT_EQ(o.msf_realm, "mr.test");
    EXPECT_EQ(o.msf_vendor_id, 99u);
    EXPECT_EQ(o.ues, 5u);
    EXPECT_EQ(o.calls, 7u);
    EXPECT_DOUBLE_EQ(o.rate, 12.5);
    EXPECT_EQ(o.concurrency, 3u);
    EXPECT_EQ(o.hold_ms, 20u);
    EXPECT_TRUE(o.keep);
    EXPECT_EQ(o.key_source, KeySourceChoice::digest);
    EXPECT_EQ(o.keys_in, KeysIn::sdes);
    EXPECT_EQ(o.to_ue_key, ToUeKey::generated);
    EXPECT_EQ(o.suite, srtp::Suite::aead_aes_256_gcm);
    EXPECT_FALSE(o.acknowledge_e2ae);
    EXPECT_EQ(o.ue_base.to_string(), "192.0.2.1:50000");
    EXPECT_EQ(o.core_base.to_string(), "198.51.100.1:2000");
    EXPECT_TRUE(o.json);
    EXPECT_EQ(o.calls_out, "/tmp/x.jsonl");
    EXPECT_EQ(o.timeout_ms, 900u);
    EXPECT_TRUE(o.verbose);
}

TEST(PcscfOptions, HelpListsEveryOption) {
    EXPECT_TRUE(std::holds_alternative<PcscfHelpRequest>(parse({"--help"})));
    EXPECT_TRUE(std::holds_alternative<PcscfHelpRequest>(parse({"--ues", "3", "-h"})));
    const std::string help = pcscf_help();
    for (const char* name : {"--msf ", "--ues ", "--calls ", "--rate ", "--concurrency ", "--hold-ms ", "--keep",
                             "--key-source ", "--keys-in ", "--to-ue-key ", "--ue-base ", "--core-base ", "--json",
                             "--calls-out ", "--timeout-ms ", "--e2ae-policy "})
        EXPECT_NE(help.find(name), std::string::npos) << name;
}

TEST(PcscfOptions, UsageErrorsExitTwo) {
    EXPECT_EQ(error_of({"--bogus"}).exit_code, 2);
    EXPECT_EQ(error_of({"ues"}).exit_code, 2);
    EXPECT_EQ(error_of({"--ues"}).exit_code, 2);
    EXPECT_EQ(error_of({"--ues", "1", "--ues", "2"}).exit_code, 2);
    EXPECT_EQ(error_of({"--keep=yes"}).exit_code, 2);
}

TEST(PcscfOptions, BadValuesExitOneNamingTheOption) {
    const std::vector<std::vector<std::string_view>> bad = {
        {"--ues", "0"},           {"--ues", "x"},          {"--rate", "-1"},        {"--rate", "1e3"},
        {"--rate", "nan"},        {"--concurrency", "0"},  {"--key-source", "psk"}, {"--keys-in", "both"},
        {"--to-ue-key", "none"},  {"--suite", "NULL"},     {"--msf", "host:3868"},  {"--msf", "127.0.0.1:0"},
        {"--identity", "a..b"},   {"--ue-base", "192.0.2.1:40001"},                 {"--core-base", "198.51.100.1:80"},
        {"--ue-base", "[2001:db8::1]:40000"},  // family differs from --core-base's
        {"--e2ae-policy", "maybe"}, {"--calls-out", ""},  {"--timeout-ms", "0"},
        {"--identity", "msf.localdomain"},  // same as --msf-identity
    };
    for (const auto& args : bad) {
        const PcscfUsageError e = error_of(args);
        EXPECT_EQ(e.exit_code, 1) << args[0] << " " << args[1] << ": " << e.message;
        EXPECT_FALSE(e.message.empty());
    }
    EXPECT_NE(error_of({"--ues", "x"}).message.find("--ues"), std::string::npos);
}

TEST(PcscfOptions, KeySourcesGoRoundRobinWhenMixed) {
    EXPECT_EQ(sa_kind_for_ue(KeySourceChoice::mixed, 0), SaKind::aka);
    EXPECT_EQ(sa_kind_for_ue(KeySourceChoice::mixed, 1), SaKind::tls);
    EXPECT_EQ(sa_kind_for_ue(KeySourceChoice::mixed, 2), SaKind::digest);
    EXPECT_EQ(sa_kind_for_ue(KeySourceChoice::mixed, 3), SaKind::aka);
    EXPECT_EQ(sa_kind_for_ue(KeySourceChoice::tls, 7), SaKind::tls);
}

TEST(PcscfOptions, MediaPortsStepByTwoAndWrapBeforePassing65534) {
    const net::Endpoint base = *net::Endpoint::parse("192.0.2.10:65530");
    EXPECT_EQ(stepped_endpoint(base, 0).port, 65530);
    EXPECT_EQ(stepped_endpoint(base, 1).port, 65532);
    EXPECT_EQ(stepped_endpoint(base, 2).port, 65530);
    EXPECT_EQ(stepped_endpoint(base, 2).addr, base.addr);
    const net::Endpoint low = *net::Endpoint::parse("192.0.2.10:40000");
    EXPECT_EQ(stepped_endpoint(low, 12766).port, 65532);
    EXPECT_EQ(stepped_endpoint(low, 12767).port, 40000);
}

TEST(PcscfOptions, RxOnlyExcludesWhatNeedsAUesSecurityAssociation) {
    EXPECT_TRUE(options_of({"--rx-only"}).rx_only);
    EXPECT_FALSE(options_of({}).rx_only);
    EXPECT_NE(pcscf_help().find("--rx-only"), std::string::npos);
    for (const std::vector<std::string_view>& args : std::vector<std::vector<std::string_view>>{
             {"--rx-only", "--hairpin-pairs"}, {"--rx-only", "--msrp", "198.51.100.9:2855"},
             {"--rx-only", "--calls-out", "/tmp/x.jsonl"}}) {
        const PcscfUsageError e = error_of(args);
        EXPECT_EQ(e.exit_code, 1) << args[1];
        EXPECT_NE(e.message.find("--rx-only"), std::string::npos) << e.message;
    }
}

TEST(PcscfOptions, HairpinPairsNeedDerivedNetworkToUeKeys) {
    EXPECT_TRUE(options_of({"--hairpin-pairs"}).hairpin_pairs);
    EXPECT_FALSE(options_of({}).hairpin_pairs);
    const PcscfUsageError e = error_of({"--hairpin-pairs", "--to-ue-key", "generated"});
    EXPECT_EQ(e.exit_code, 1);
    EXPECT_NE(e.message.find("--hairpin-pairs"), std::string::npos) << e.message;
    EXPECT_EQ(error_of({"--hairpin-pairs=yes"}).exit_code, 2);
}

TEST(PcscfOptions, MsrpNamesTheCoreEndpointInTheUesFamily) {
    EXPECT_FALSE(options_of({}).msrp_core.has_value());
    EXPECT_EQ(options_of({"--msrp", "198.51.100.20:2855"}).msrp_core, *net::Endpoint::parse("198.51.100.20:2855"));
    EXPECT_NE(error_of({"--msrp", "nowhere"}).message.find("--msrp"), std::string::npos);
    EXPECT_NE(error_of({"--msrp", "198.51.100.20:0"}).message.find("--msrp"), std::string::npos);
    EXPECT_NE(error_of({"--msrp", "[2001:db8::1]:2855"}).message.find("same IP family"), std::string::npos);
    EXPECT_NE(pcscf_help().find("--msrp "), std::string::npos);
}

}  // namespace
}  // namespace msf::pcscf
