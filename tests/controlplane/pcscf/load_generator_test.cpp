// The load generator end to end over a real Diameter connection to an MSF made of msf-controld's
// Rx code (rx_msf_peer.hpp), both on one EventLoop.
#include "controlplane/pcscf/load_generator.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "controlplane/keying/sdes.hpp"
#include "controlplane/pcscf/call_record.hpp"
#include "tests/controlplane/pcscf/rx_msf_peer.hpp"

namespace msf::pcscf {
namespace {

using testing::RxMsfPeer;

PcscfOptions options_for(const net::Endpoint& msf) {
    PcscfOptions o;
    o.msf = msf;
    o.ues = 6;  // two of each key source
    o.calls = 30;
    o.concurrency = 4;
    o.timeout_ms = 3000;
    return o;
}

std::string temp_path(const std::string& name) {
    return ::testing::TempDir() + "pcscf_" + std::to_string(getpid()) + "_" + name;
}

TEST(LoadGenerator, RunsEveryCallThroughTheMsfAndTearsItDown) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    LoadGenerator generator(loop, options_for(msf.endpoint()));
    const RunReport r = generator.run();
    EXPECT_TRUE(r.ok()) << format_report_text(r);
    EXPECT_EQ(r.registered, 6u);
    EXPECT_EQ(r.e2ae_acknowledged, 6u);
    EXPECT_EQ(r.invites_e2ae, 30u);
    EXPECT_EQ(r.aar_sent, 30u);
    EXPECT_EQ(r.aaa_results.at("2001"), 30u);
    EXPECT_EQ(r.sdp_rewritten, 30u);
    EXPECT_EQ(r.ue_keys_agree, 30u);
    EXPECT_EQ(r.bye, 30u);
    EXPECT_EQ(r.sta_ok, 30u);
    EXPECT_EQ(r.aar_latency.count, 30u);
    EXPECT_EQ(r.str_latency.count, 30u);
    EXPECT_GT(r.installs_per_s, 0);
    EXPECT_EQ(msf.aars, 30u);
    EXPECT_EQ(msf.strs, 30u);
    EXPECT_TRUE(msf.sessions.empty());
}

// What a UE simulator does with a calls-out line: derive the keys from the record's SA and
// binding. They must be the keys the MSF holds for that session.
void expect_ue_derives_the_msfs_keys(const CallRecord& record, const sessions::ControlSession& session) {
    ASSERT_EQ(session.streams.size(), 1u);
    const api::SessionSpec& spec = session.streams[0].spec;
    EXPECT_EQ(spec.access.local, record.msf_access);
    EXPECT_EQ(spec.core.local, record.msf_core);
    EXPECT_EQ(spec.core.remote, record.core);
    auto from_ue = ue_media_keys(record.ue_sa, record.call_id, record.media_index, keying::Direction::ue_to_network,
                                 record.suite);
    ASSERT_TRUE(from_ue.ok());
    EXPECT_EQ(spec.from_ue.master_key, from_ue->master_key);
    EXPECT_EQ(spec.from_ue.master_salt, from_ue->master_salt);
    keying::MediaKeys to_ue;
    if (record.to_ue_crypto) {
        auto attribute = keying::parse_crypto_attribute(*record.to_ue_crypto);
        ASSERT_TRUE(attribute.ok());
        to_ue = *keying::media_keys(*attribute);
    } else {
        auto derived = ue_media_keys(record.ue_sa, record.call_id, record.media_index, keying::Direction::network_to_ue,
                                     record.suite);
        ASSERT_TRUE(derived.ok());
        to_ue = *derived;
    }
    EXPECT_EQ(spec.to_ue.master_key, to_ue.master_key);
    EXPECT_EQ(spec.to_ue.master_salt, to_ue.master_salt);
}

std::vector<CallRecord> read_records(const std::string& path) {
    std::vector<CallRecord> records;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        auto record = parse_call_record(line);
        EXPECT_TRUE(record.ok()) << record.error().message;
        if (record.ok()) records.push_back(std::move(record.value()));
    }
    return records;
}

class KeptSessions : public ::testing::TestWithParam<std::pair<KeysIn, ToUeKey>> {};

TEST_P(KeptSessions, CallsOutLetsTheUeDeriveExactlyTheKeysTheMsfHolds) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    PcscfOptions o = options_for(msf.endpoint());
    o.calls = 9;
    o.keep = true;
    o.keys_in = GetParam().first;
    o.to_ue_key = GetParam().second;
    o.suite = srtp::Suite::aes_256_cm_hmac_sha1_80;
    o.calls_out = temp_path("calls.jsonl");
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_TRUE(r.ok()) << format_report_text(r);
    EXPECT_EQ(r.bye, 0u);
    EXPECT_EQ(r.str_sent, 0u);
    EXPECT_EQ(r.calls_out_written, 9u);
    EXPECT_EQ(msf.sessions.size(), 9u);

    struct stat st {};
    ASSERT_EQ(::stat(o.calls_out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // the records hold SAs
    const std::vector<CallRecord> records = read_records(o.calls_out);
    ASSERT_EQ(records.size(), 9u);
    for (const CallRecord& record : records) {
        SCOPED_TRACE(record.call_id);
        auto session = msf.sessions.find(record.session_id);
        ASSERT_NE(session, msf.sessions.end());
        EXPECT_EQ(record.to_ue_crypto.has_value(), o.to_ue_key == ToUeKey::generated);
        EXPECT_EQ(session->second.streams[0].to_ue_key_generated, o.to_ue_key == ToUeKey::generated);
        expect_ue_derives_the_msfs_keys(record, session->second);
    }
    ::unlink(o.calls_out.c_str());
}

INSTANTIATE_TEST_SUITE_P(Modes, KeptSessions,
                         ::testing::Values(std::pair{KeysIn::avp, ToUeKey::derived}, std::pair{KeysIn::sdes, ToUeKey::derived},
                                           std::pair{KeysIn::avp, ToUeKey::generated},
                                           std::pair{KeysIn::sdes, ToUeKey::generated}),
                         [](const auto& info) {
                             return std::string(info.param.first == KeysIn::avp ? "avp_" : "sdes_") +
                                    (info.param.second == ToUeKey::derived ? "derived" : "generated");
                         });

// --hairpin-pairs: in the MSF, session 2k+1's UE->network key is session 2k's network->UE key,
// and the calls-out records say so (call_index, from_ue_crypto) so msf-gen finds both.
TEST(LoadGenerator, HairpinPairsGiveOddCallsTheirPartnersNetworkToUeKey) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    PcscfOptions o = options_for(msf.endpoint());
    o.calls = 6;
    o.keep = true;
    o.hairpin_pairs = true;
    o.calls_out = temp_path("hairpin.jsonl");
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_TRUE(r.ok()) << format_report_text(r);
    ASSERT_EQ(msf.sessions.size(), 6u);
    std::vector<CallRecord> records = read_records(o.calls_out);
    ::unlink(o.calls_out.c_str());
    ASSERT_EQ(records.size(), 6u);
    std::map<uint64_t, const CallRecord*> by_index;
    for (const CallRecord& record : records) {
        ASSERT_TRUE(record.call_index.has_value());
        by_index[*record.call_index] = &record;
        EXPECT_EQ(record.from_ue_crypto.has_value(), *record.call_index % 2 == 1);
        // Every record still gives exactly the keys the MSF holds (record_media_keys reads the
        // carried key of a paired call).
        const api::SessionSpec& spec = msf.sessions.at(record.session_id).streams[0].spec;
        auto from_ue = record_media_keys(record, keying::Direction::ue_to_network);
        auto to_ue = record_media_keys(record, keying::Direction::network_to_ue);
        ASSERT_TRUE(from_ue.ok() && to_ue.ok());
        EXPECT_EQ(spec.from_ue.master_key, from_ue->master_key);
        EXPECT_EQ(spec.from_ue.master_salt, from_ue->master_salt);
        EXPECT_EQ(spec.to_ue.master_key, to_ue->master_key);
    }
    ASSERT_EQ(by_index.size(), 6u);
    for (uint64_t a = 0; a < 6; a += 2) {
        const api::SessionSpec& spec_a = msf.sessions.at(by_index.at(a)->session_id).streams[0].spec;
        const api::SessionSpec& spec_b = msf.sessions.at(by_index.at(a + 1)->session_id).streams[0].spec;
        EXPECT_EQ(spec_b.from_ue.master_key, spec_a.to_ue.master_key) << "pair " << a;
        EXPECT_EQ(spec_b.from_ue.master_salt, spec_a.to_ue.master_salt) << "pair " << a;
        EXPECT_NE(spec_a.from_ue.master_key, spec_a.to_ue.master_key);
    }
}

// --msrp: every call also has an MSRP component; the MSF holds the PSK the UE derives from its
// own SA, and the UE's record names the relay's URIs from the AAA.
TEST(LoadGenerator, MsrpComponentsCarryThePskTheUeDerivesAndTheRecordsNameTheRelay) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    msf.enable_msrp_relay();
    PcscfOptions o = options_for(msf.endpoint());
    o.calls = 6;
    o.keep = true;
    o.msrp_core = *net::Endpoint::parse("198.51.100.20:2855");
    o.calls_out = temp_path("msrp.jsonl");
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_TRUE(r.ok()) << format_report_text(r);
    ASSERT_EQ(msf.sessions.size(), 6u);
    std::vector<CallRecord> records = read_records(o.calls_out);
    ::unlink(o.calls_out.c_str());
    ASSERT_EQ(records.size(), 6u);
    for (const CallRecord& record : records) {
        SCOPED_TRACE(record.call_id);
        ASSERT_TRUE(record.msrp.has_value());
        const sessions::ControlSession& session = msf.sessions.at(record.session_id);
        ASSERT_EQ(session.messages.size(), 1u);
        const sessions::MessageStream& m = session.messages[0];
        auto psk = record_msrp_psk(record);
        ASSERT_TRUE(psk.ok()) << psk.error().message;
        EXPECT_EQ(m.psk_identity, psk->identity);
        EXPECT_EQ(m.psk, std::vector<uint8_t>(psk->psk.bytes().begin(), psk->psk.bytes().end()));
        EXPECT_EQ(m.ue_path, record.msrp->ue_path);
        EXPECT_EQ(m.core_path, record.msrp->core_path);
        EXPECT_EQ(m.gw_access_path, record.msrp->gw_access_path);
        EXPECT_EQ(m.gw_core_path, record.msrp->gw_core_path);
        EXPECT_EQ(m.core_path.rfind("msrp://198.51.100.20:2855/", 0), 0u);
        EXPECT_EQ(session.streams.size(), 1u);  // the audio stream is still there
    }
}

// --rx-only (bench/install_rate.py): no registration or SIP, but the same AARs with random keys,
// each of its suite's length and different from every other call's.
TEST(LoadGenerator, RxOnlyCallsInstallWithRandomKeysAndNoSip) {
    for (const ToUeKey to_ue : {ToUeKey::derived, ToUeKey::generated}) {
        SCOPED_TRACE(to_ue == ToUeKey::derived ? "network->UE key in the AAR" : "network->UE key generated");
        controld::EventLoop loop;
        RxMsfPeer msf(loop, "pcscf.localdomain");
        PcscfOptions o = options_for(msf.endpoint());
        o.rx_only = true;
        o.keep = true;
        o.calls = 12;
        o.to_ue_key = to_ue;
        o.suite = srtp::Suite::aes_256_cm_hmac_sha1_80;
        LoadGenerator generator(loop, o);
        const RunReport r = generator.run();
        EXPECT_TRUE(r.ok()) << format_report_text(r);
        EXPECT_TRUE(r.rx_only);
        EXPECT_EQ(r.registered, 0u);
        EXPECT_EQ(r.invites, 0u);
        EXPECT_EQ(r.sdp_rewritten, 0u);
        EXPECT_EQ(r.aaa_ok, 12u);
        EXPECT_EQ(r.calls_ok, 12u);
        ASSERT_EQ(msf.sessions.size(), 12u);
        std::set<std::string> keys;  // as text: GCC 12 warns falsely on a set of vectors
        for (const auto& [id, session] : msf.sessions) {
            ASSERT_EQ(session.streams.size(), 1u);
            const api::SessionSpec& spec = session.streams[0].spec;
            EXPECT_EQ(spec.from_ue.master_key.size(), 32u);
            EXPECT_EQ(spec.from_ue.master_salt.size(), 14u);
            EXPECT_EQ(spec.to_ue.master_key.size(), 32u);
            EXPECT_EQ(session.streams[0].to_ue_key_generated, to_ue == ToUeKey::generated);
            keys.emplace(spec.from_ue.master_key.begin(), spec.from_ue.master_key.end());
            keys.emplace(spec.to_ue.master_key.begin(), spec.to_ue.master_key.end());
        }
        EXPECT_EQ(keys.size(), 24u);  // no key repeats, none is shared between directions
        EXPECT_NE(format_report_text(r).find("Diameter only"), std::string::npos);
    }
}

TEST(LoadGenerator, RxOnlyCallsAreRemovedByTheirStr) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    PcscfOptions o = options_for(msf.endpoint());
    o.rx_only = true;
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_TRUE(r.ok()) << format_report_text(r);
    EXPECT_EQ(r.bye, 0u);  // no SIP: the STR is the end of the call
    EXPECT_EQ(r.str_sent, 30u);
    EXPECT_EQ(r.sta_ok, 30u);
    EXPECT_EQ(msf.strs, 30u);
    EXPECT_TRUE(msf.sessions.empty());
}

TEST(LoadGenerator, RefusedAarsAreCountedByResultCodeAndFailTheRun) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    msf.refuse = rx::RxError::rx(rx::RxExperimentalCode::requested_service_not_authorized, "policy says no");
    PcscfOptions o = options_for(msf.endpoint());
    o.calls = 5;
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.aaa_results.at("3GPP 5063"), 5u);
    EXPECT_EQ(r.aaa_ok, 0u);
    EXPECT_EQ(r.str_sent, 0u);
    ASSERT_FALSE(r.errors.empty());
    EXPECT_NE(r.errors[0].find("REQUESTED_SERVICE_NOT_AUTHORIZED: policy says no"), std::string::npos) << r.errors[0];
}

TEST(LoadGenerator, RefusingPolicyMakesPlainCallsThatNeverReachTheMsf) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    PcscfOptions o = options_for(msf.endpoint());
    o.acknowledge_e2ae = false;
    o.calls = 7;
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_TRUE(r.ok()) << format_report_text(r);
    EXPECT_EQ(r.registered, 6u);
    EXPECT_EQ(r.e2ae_acknowledged, 0u);
    EXPECT_EQ(r.invites_plain, 7u);
    EXPECT_EQ(r.aar_sent, 0u);
    EXPECT_EQ(msf.aars, 0u);
}

TEST(LoadGenerator, NoMsfIsFatalAfterTheTimeout) {
    controld::EventLoop loop;
    testing::RefusingPort nobody;
    PcscfOptions o = options_for(nobody.endpoint());
    o.timeout_ms = 300;
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.fatal.find("no Diameter connection to msf.localdomain"), std::string::npos) << r.fatal;
    EXPECT_EQ(r.aar_sent, 0u);
}

TEST(LoadGenerator, RateSpacesTheAars) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    PcscfOptions o = options_for(msf.endpoint());
    o.calls = 11;
    o.rate = 100;  // AAR i not before start + i/100 s: the last one at 0.1 s at the earliest
    o.key_source = KeySourceChoice::aka;
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_TRUE(r.ok()) << format_report_text(r);
    EXPECT_GE(r.install_window_s, 0.095);
}

TEST(LoadGenerator, HeldCallsStayUpBeforeTheirBye) {
    controld::EventLoop loop;
    RxMsfPeer msf(loop, "pcscf.localdomain");
    PcscfOptions o = options_for(msf.endpoint());
    o.calls = 4;
    o.hold_ms = 150;
    o.key_source = KeySourceChoice::digest;
    LoadGenerator generator(loop, o);
    const RunReport r = generator.run();
    EXPECT_TRUE(r.ok()) << format_report_text(r);
    EXPECT_EQ(r.sta_ok, 4u);
    EXPECT_GE(r.wall_s, 0.15);
    EXPECT_TRUE(msf.sessions.empty());
}

}  // namespace
}  // namespace msf::pcscf
