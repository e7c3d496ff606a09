// msfctl's printing: golden text for every command from the sample results, --json as the
// result object, and results a broken or hostile daemon might send ("-" for what is missing or
// mistyped, no control characters reach the terminal, nothing throws).
#include "controlplane/cli/msfctl_output.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sample_results.hpp"

namespace msf::cli::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MsfctlOutput, SessionsAsATable) {
    EXPECT_EQ(result_text(Command::sessions, sample_sessions()),
              "SESSION-ID                      PEER                MEDIA          AGE  PKTS-FROM-UE  PKTS-TO-UE  AUTH-FAILURES  REPLAYS\n"
              "pcscf.example.net;1700000000;1  pcscf.example.net   audio,video  5m07s         15000       14990              3        1\n"
              "pcscf.example.net;1700000000;2  pcscf2.example.net  audio        850ms            42          40              0        0\n"
              "2 sessions\n");
}

TEST(MsfctlOutput, OneSessionWithItsStreamsAndCounters) {
    EXPECT_EQ(result_text(Command::session, sample_session()),
              "session pcscf.example.net;1700000000;1\n"
              "  peer     pcscf.example.net, realm example.net\n"
              "  created  2023-11-14 22:13:20 UTC (age 5m07s)\n"
              "\n"
              "stream 1: audio, dataplane id 17, rtcp-mux\n"
              "  suites   from UE AES_CM_128_HMAC_SHA1_80, to UE AEAD_AES_128_GCM\n"
              "  access   local 192.0.2.10:20000, remote -, latched 203.0.113.5:40000\n"
              "  core     local 198.51.100.10:20000, remote 198.51.100.20:30000\n"
              "  LEG     PKTS-IN  BYTES-IN  PKTS-OUT  BYTES-OUT  AUTH-FAILURES  REPLAYS  UNKNOWN-SOURCE  MALFORMED  OTHER-DROPS  LAST-SEEN\n"
              "  access    15000   2580000     14990    2578280              3        1               2          0            0   20ms ago\n"
              "  core      14990   2428380     14996    2429352              0        0               0          0            0      never\n");
}

TEST(MsfctlOutput, KeysAsFingerprints) {
    EXPECT_EQ(result_text(Command::keys, sample_keys()),
              "keys of session pcscf.example.net;1700000000;1 (fingerprints; root may add --reveal)\n"
              "STREAM  DIRECTION  SUITE                    MKI  LIFETIME  FINGERPRINT  GENERATED\n"
              "     1  from UE    AES_CM_128_HMAC_SHA1_80  -         max  3f2a9c1e     -\n"
              "     1  to UE      AEAD_AES_128_GCM         01    1048576  9b1c77d0     yes\n");
}

TEST(MsfctlOutput, RevealedKeysAddKeyAndSaltColumns) {
    EXPECT_EQ(result_text(Command::keys, sample_revealed_keys()),
              "keys of session pcscf.example.net;1700000000;1 (revealed: keep them secret)\n"
              "STREAM  DIRECTION  SUITE                    MKI  LIFETIME  FINGERPRINT  GENERATED  MASTER-KEY                        MASTER-SALT\n"
              "     1  from UE    AES_CM_128_HMAC_SHA1_80  -         max  3f2a9c1e     -          e1f97a0d3e018be0d64fa32c06de4139  0ec675ad498afeebb6960b3aabe6\n"
              "     1  to UE      AEAD_AES_128_GCM         01    1048576  9b1c77d0     yes        000102030405060708090a0b0c0d0e0f  a0a1a2a3a4a5a6a7a8a9aaab\n");
}

TEST(MsfctlOutput, KeyMaterialIsNotPrintedUnlessTheResultSaysRevealed) {
    nlohmann::json keys = sample_revealed_keys();
    keys["revealed"] = false;
    const std::string text = result_text(Command::keys, keys);
    EXPECT_THAT(text, Not(HasSubstr(kFromUeKey)));
    EXPECT_THAT(text, Not(HasSubstr("MASTER")));
}

TEST(MsfctlOutput, StatsOfDaemonDataplaneDiameterAndStore) {
    EXPECT_EQ(result_text(Command::stats, sample_stats()),
              "sessions   2\n"
              "dataplane  connected, 2 sessions\n"
              "  LCORE  RX-PACKETS  TX-PACKETS  DROPS-OVERLOAD  DROPS-NO-SESSION  DROPS-MALFORMED\n"
              "      1       30032       29986               0                40                6\n"
              "      2          29          29               0                 0                0\n"
              "  PORT  NAME    LINK  RX-PACKETS  TX-PACKETS  RX-MISSED  RX-ERRORS  TX-ERRORS\n"
              "     0  access  up         15042       15030          0          0          0\n"
              "     1  core    down       15019       14985         12          1          0\n"
              "diameter\n"
              "  COMMAND  RECEIVED  SENT  ERRORS\n"
              "  AAR             2     0       0\n"
              "  AAA             0     2       0\n"
              "  STR             0     0       0\n"
              "store      /var/lib/msf/sessions.db, 2 sessions\n");
}

TEST(MsfctlOutput, StatsWithoutADataplaneSkipItsTables) {
    nlohmann::json stats = sample_stats();
    stats["dataplane"] = {{"connected", false}, {"sessions", 0}, {"workers", nlohmann::json::array()},
                          {"ports", nlohmann::json::array()}};
    const std::string text = result_text(Command::stats, stats);
    EXPECT_THAT(text, HasSubstr("dataplane  not connected, 0 sessions\ndiameter\n"));
    EXPECT_THAT(text, Not(HasSubstr("LCORE")));
}

TEST(MsfctlOutput, PeersAsATable) {
    EXPECT_EQ(result_text(Command::peers, sample_peers()),
              "IDENTITY            REALM        ADDRESS             STATE   CONNECTED  RECEIVED  SENT  LAST-WATCHDOG\n"
              "pcscf.example.net   example.net  192.0.2.1:3868      open        2h05m      1204  1203        12s ago\n"
              "pcscf2.example.net  example.net  [2001:db8::1]:3868  closed          -         0     0              -\n"
              "2 peers\n");
}

TEST(MsfctlOutput, SessionRemoved) {
    EXPECT_EQ(result_text(Command::session_remove, sample_session_remove()),
              "session pcscf.example.net;1700000000;1 removed\n");
}

TEST(MsfctlOutput, EmptyListsPrintTheHeaderAndACount) {
    EXPECT_EQ(result_text(Command::sessions, nlohmann::json::parse(R"({"sessions":[]})")),
              "SESSION-ID  PEER  MEDIA  AGE  PKTS-FROM-UE  PKTS-TO-UE  AUTH-FAILURES  REPLAYS\n0 sessions\n");
    EXPECT_EQ(result_text(Command::peers, nlohmann::json::parse(R"({"peers":[{}]})")),
              "IDENTITY  REALM  ADDRESS  STATE  CONNECTED  RECEIVED  SENT  LAST-WATCHDOG\n"
              "-         -      -        -              -         -     -              -\n"
              "1 peer\n");
}

TEST(MsfctlOutput, JsonIsTheResultObjectOnOneLine) {
    for (const CommandInfo& info : kCommands) {
        const nlohmann::json result = sample_result(info.command);
        const std::string json = result_json(result);
        EXPECT_EQ(json, result.dump() + "\n");
        EXPECT_EQ(json.find('\n'), json.size() - 1);
        EXPECT_EQ(nlohmann::json::parse(json), result);
    }
}

TEST(MsfctlOutput, MissingOrMistypedMembersPrintAsDashes) {
    const nlohmann::json odd = nlohmann::json::parse(R"({"sessions":[{"session_id":7,"peer":null,"media":"audio",
        "age_ms":-5,"packets_from_ue":"many","packets_to_ue":1.5,"auth_failures":true,"replays":[1]}]})");
    EXPECT_EQ(result_text(Command::sessions, odd),
              "SESSION-ID  PEER  MEDIA  AGE  PKTS-FROM-UE  PKTS-TO-UE  AUTH-FAILURES  REPLAYS\n"
              "7           -     -        -          many         1.5            yes        -\n"
              "1 session\n");
    // Any result with any command: never throws, always whole lines.
    for (const CommandInfo& info : kCommands) {
        for (const char* text : {"{}", R"({"streams":7,"sessions":{},"peers":"x","dataplane":[]})",
                                 R"({"streams":[1,null,{"counters":[],"access":5}],"session_id":{}})"}) {
            const std::string out = result_text(info.command, nlohmann::json::parse(text));
            EXPECT_EQ(out.back(), '\n') << info.name << " " << text;
        }
    }
}

TEST(MsfctlOutput, NamesFromTheDaemonCannotDriveTheTerminal) {
    nlohmann::json peers = sample_peers();
    peers["peers"][0]["identity"] = "evil\x1b[2J\x07\n\xc2\x9b" "31m";
    const std::string text = result_text(Command::peers, peers);
    EXPECT_THAT(text, HasSubstr("evil?[2J???31m"));
    for (char c : text) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int(c);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
}

TEST(MsfctlOutput, LongNamesAreCutSoTablesStayTables) {
    nlohmann::json sessions = sample_sessions();
    sessions["sessions"][0]["peer"] = std::string(5000, 'p');
    const std::string text = result_text(Command::sessions, sessions);
    EXPECT_THAT(text, HasSubstr(std::string(256, 'p') + "...  "));
    EXPECT_THAT(text, Not(HasSubstr(std::string(257, 'p'))));
}

TEST(MsfctlOutput, AlignsColumnsOfUtf8TextByCharacters) {
    nlohmann::json peers = nlohmann::json::parse(R"({"peers":[{"identity":"café.example"},{"identity":"cafe.example"}]})");
    const std::string text = result_text(Command::peers, peers);
    EXPECT_THAT(text, HasSubstr("\ncafé.example  -"));
    EXPECT_THAT(text, HasSubstr("\ncafe.example  -"));
}

TEST(MsfctlOutput, DurationsShowTheTwoLargestUnits) {
    EXPECT_EQ(duration_text(0), "0ms");
    EXPECT_EQ(duration_text(999), "999ms");
    EXPECT_EQ(duration_text(1000), "1s");
    EXPECT_EQ(duration_text(59999), "59s");
    EXPECT_EQ(duration_text(60000), "1m00s");
    EXPECT_EQ(duration_text(3599999), "59m59s");
    EXPECT_EQ(duration_text(3600000), "1h00m");
    EXPECT_EQ(duration_text(86399999), "23h59m");
    EXPECT_EQ(duration_text(86400000), "1d00h");
    EXPECT_EQ(duration_text(UINT64_MAX), "213503982334d14h");
}

TEST(MsfctlOutput, CreationTimesBeyondTheCalendarPrintAsNumbers) {
    nlohmann::json session = sample_session();
    session["created_unix_ms"] = UINT64_MAX;
    EXPECT_THAT(result_text(Command::session, session), HasSubstr("  created  18446744073709551615 (age 5m07s)\n"));
    session["created_unix_ms"] = "yesterday";
    EXPECT_THAT(result_text(Command::session, session), HasSubstr("  created  yesterday (age 5m07s)\n"));
}

}  // namespace
}  // namespace msf::cli::test
