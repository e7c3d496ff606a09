#include "controlplane/pcscf/call_record.hpp"

#include <gtest/gtest.h>

#include <variant>

#include "controlplane/keying/sdes.hpp"
#include "controlplane/pcscf/ue_security.hpp"

namespace msf::pcscf {
namespace {

CallRecord sample(keying::SecurityAssociation sa) {
    CallRecord r;
    r.call_id = "0badf00d-1@192.0.2.10";
    r.session_id = "pcscf.localdomain;195948557;0";
    r.ue_user = "ue1";
    r.component = 1;
    r.media_index = 0;
    r.ue = *net::Endpoint::parse("192.0.2.10:40000");
    r.core = *net::Endpoint::parse("198.51.100.20:30000");
    r.msf_access = *net::Endpoint::parse("203.0.113.1:20000");
    r.msf_core = *net::Endpoint::parse("198.51.100.1:20002");
    r.suite = srtp::Suite::aead_aes_128_gcm;
    r.ue_sa = std::move(sa);
    return r;
}

keying::SecretBytes bytes(size_t n, uint8_t first) {
    std::vector<uint8_t> b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i);
    return keying::SecretBytes(std::span<const uint8_t>(b));
}

TEST(CallRecord, AkaRecordHasTheDocumentedLayout) {
    const std::string line = format_call_record(sample(keying::AkaKeys{bytes(16, 0), bytes(16, 0x10)}));
    EXPECT_EQ(line,
              "{\"call_id\":\"0badf00d-1@192.0.2.10\",\"component\":1,\"core\":\"198.51.100.20:30000\",\"media_index\":0,"
              "\"msf_access\":\"203.0.113.1:20000\",\"msf_core\":\"198.51.100.1:20002\",\"rtcp_mux\":false,"
              "\"session_id\":\"pcscf.localdomain;195948557;0\",\"suite\":\"AEAD_AES_128_GCM\",\"to_ue_key\":\"derived\","
              "\"ue\":\"192.0.2.10:40000\",\"ue_sa\":{\"ck\":\"000102030405060708090a0b0c0d0e0f\","
              "\"ik\":\"101112131415161718191a1b1c1d1e1f\",\"source\":\"aka\"},\"ue_user\":\"ue1\"}");
}

TEST(CallRecord, EverySaFormRoundTripsAndDerivesTheSameKeys) {
    const std::vector<keying::SecurityAssociation> forms = {
        keying::AkaKeys{bytes(16, 0), bytes(16, 0x10)},
        keying::TlsExporter{bytes(64, 0x40)},
        keying::TlsMasterSecret{bytes(48, 0xa0)},
        keying::DigestPassword{"alice@ims.example.com", "ims.example.com", keying::SecretBytes(std::string_view("secret")),
                               keying::DigestAlgorithm::sha256},
        keying::DigestHA1{keying::DigestAlgorithm::md5, bytes(16, 3)},
    };
    for (const auto& sa : forms) {
        const CallRecord record = sample(sa);
        auto back = parse_call_record(format_call_record(record) + "\n");
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(back->call_id, record.call_id);
        EXPECT_EQ(back->msf_access, record.msf_access);
        EXPECT_EQ(back->msf_core, record.msf_core);
        EXPECT_EQ(back->suite, record.suite);
        EXPECT_EQ(back->ue_sa.index(), sa.index());
        auto want = ue_media_keys(sa, record.call_id, 0, keying::Direction::ue_to_network, record.suite);
        auto got = ue_media_keys(back->ue_sa, back->call_id, back->media_index, keying::Direction::ue_to_network, back->suite);
        ASSERT_TRUE(want.ok() && got.ok());
        EXPECT_EQ(*want, *got);
        EXPECT_FALSE(back->to_ue_crypto);
    }
}

TEST(CallRecord, GeneratedNetworkToUeKeyTravelsAsTheAnswersCryptoValue) {
    CallRecord record = sample(keying::AkaKeys{bytes(16, 0), bytes(16, 0x10)});
    record.to_ue_crypto = "1 AES_CM_128_HMAC_SHA1_80 inline:4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm";
    const std::string line = format_call_record(record);
    EXPECT_NE(line.find("\"to_ue_key\":\"sdes\""), std::string::npos);
    auto back = parse_call_record(line);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->to_ue_crypto, record.to_ue_crypto);
}

std::string error_of(const std::string& line) {
    auto r = parse_call_record(line);
    EXPECT_FALSE(r.ok()) << line;
    return r.ok() ? std::string() : r.error().message;
}

std::string with(const std::string& line, const std::string& from, const std::string& to) {
    std::string out = line;
    const size_t at = out.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) out.replace(at, from.size(), to);
    return out;
}

TEST(CallRecord, MalformedRecordsAreRefusedNamingTheField) {
    const std::string good = format_call_record(sample(keying::AkaKeys{bytes(16, 0), bytes(16, 0x10)}));
    EXPECT_NE(error_of("").find("not JSON"), std::string::npos);
    EXPECT_NE(error_of("[1,2]").find("not a JSON object"), std::string::npos);
    EXPECT_NE(error_of(with(good, "\"call_id\":\"0badf00d-1@192.0.2.10\"", "\"call_id\":7")).find("call_id"), std::string::npos);
    EXPECT_NE(error_of(with(good, "\"call_id\":\"0badf00d-1@192.0.2.10\"", "\"call_id\":\"\"")).find("empty"), std::string::npos);
    EXPECT_NE(error_of(with(good, "203.0.113.1:20000", "203.0.113.1")).find("msf_access"), std::string::npos);
    EXPECT_NE(error_of(with(good, "198.51.100.20:30000", "198.51.100.20:0")).find("core"), std::string::npos);
    EXPECT_NE(error_of(with(good, "AEAD_AES_128_GCM", "NULL_CIPHER")).find("suite"), std::string::npos);
    EXPECT_NE(error_of(with(good, "\"component\":1", "\"component\":-1")).find("component"), std::string::npos);
    EXPECT_NE(error_of(with(good, "\"media_index\":0", "\"media_index\":70000")).find("media_index"), std::string::npos);
    EXPECT_NE(error_of(with(good, "\"rtcp_mux\":false", "\"rtcp_mux\":0")).find("rtcp_mux"), std::string::npos);
    EXPECT_NE(error_of(with(good, "\"source\":\"aka\"", "\"source\":\"psk\"")).find("ue_sa.source"), std::string::npos);
    EXPECT_NE(error_of(with(good, "000102030405060708090a0b0c0d0e0f", "0001")).find("ue_sa.ck"), std::string::npos);
    EXPECT_NE(error_of(with(good, "000102030405060708090a0b0c0d0e0f", "zz0102030405060708090a0b0c0d0e0f")).find("ue_sa.ck"),
              std::string::npos);
    EXPECT_NE(error_of(with(good, "\"to_ue_key\":\"derived\"", "\"to_ue_key\":\"sdes\"")).find("to_ue_crypto"), std::string::npos);
    EXPECT_NE(error_of(with(good, "\"to_ue_key\":\"derived\"", "\"to_ue_key\":\"sdes\",\"to_ue_crypto\":\"1 X inline:AA\""))
                  .find("to_ue_crypto"),
              std::string::npos);
    EXPECT_NE(error_of(with(good, "\"to_ue_key\":\"derived\"", "\"to_ue_key\":\"both\"")).find("to_ue_key"), std::string::npos);
    EXPECT_EQ(parse_call_record(std::string(kMaxCallRecordLen + 1, ' ')).error().code, keying::ErrorCode::too_large);
}

}  // namespace
}  // namespace msf::pcscf

namespace msf::pcscf {
namespace {

TEST(CallRecord, PairedUeToNetworkKeyTravelsAsCryptoValueWithTheCallIndex) {
    CallRecord record = sample(keying::AkaKeys{bytes(16, 0), bytes(16, 0x10)});
    const keying::MediaKeys partner_key(srtp::Suite::aead_aes_128_gcm, std::vector<uint8_t>(16, 0x5a),
                                        std::vector<uint8_t>(12, 0xa5));
    record.call_index = 7;
    record.from_ue_crypto = keying::format_crypto_value(keying::crypto_attribute_for(1, partner_key));
    const std::string line = format_call_record(record);
    EXPECT_NE(line.find("\"from_ue_key\":\"paired\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"call_index\":7"), std::string::npos) << line;
    auto back = parse_call_record(line);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->call_index, std::optional<uint64_t>(7));
    EXPECT_EQ(back->from_ue_crypto, record.from_ue_crypto);
    auto from_ue = record_media_keys(*back, keying::Direction::ue_to_network);
    ASSERT_TRUE(from_ue.ok()) << from_ue.error().message;
    EXPECT_EQ(*from_ue, partner_key);
    // The other direction is still the UE's own derivation.
    auto to_ue = record_media_keys(*back, keying::Direction::network_to_ue);
    ASSERT_TRUE(to_ue.ok());
    EXPECT_EQ(*to_ue, *ue_media_keys(record.ue_sa, record.call_id, record.media_index, keying::Direction::network_to_ue,
                                     record.suite));
}

TEST(CallRecord, RecordWithoutPairingFieldsDerivesBothDirections) {
    const CallRecord record = sample(keying::AkaKeys{bytes(16, 0), bytes(16, 0x10)});
    auto back = parse_call_record(format_call_record(record));
    ASSERT_TRUE(back.ok());
    EXPECT_FALSE(back->call_index.has_value());
    EXPECT_FALSE(back->from_ue_crypto.has_value());
    auto from_ue = record_media_keys(*back, keying::Direction::ue_to_network);
    ASSERT_TRUE(from_ue.ok());
    EXPECT_EQ(*from_ue, *ue_media_keys(record.ue_sa, record.call_id, record.media_index, keying::Direction::ue_to_network,
                                       record.suite));
}

TEST(CallRecord, MalformedPairingFieldsAreRefusedNamingTheField) {
    const std::string line = format_call_record(sample(keying::AkaKeys{bytes(16, 0), bytes(16, 0x10)}));
    const std::string tail = "\"ue_user\":\"ue1\"}";
    EXPECT_NE(error_of(with(line, tail, "\"ue_user\":\"ue1\",\"call_index\":-1}")).find("call_index"), std::string::npos);
    EXPECT_NE(error_of(with(line, tail, "\"ue_user\":\"ue1\",\"call_index\":\"3\"}")).find("call_index"), std::string::npos);
    EXPECT_NE(error_of(with(line, tail, "\"ue_user\":\"ue1\",\"from_ue_key\":\"stolen\"}")).find("from_ue_key"),
              std::string::npos);
    EXPECT_NE(error_of(with(line, tail, "\"ue_user\":\"ue1\",\"from_ue_key\":\"paired\"}")).find("from_ue_crypto"),
              std::string::npos);
    EXPECT_NE(error_of(with(line, tail, "\"ue_user\":\"ue1\",\"from_ue_key\":\"paired\",\"from_ue_crypto\":\"1 NONE x\"}"))
                  .find("from_ue_crypto"),
              std::string::npos);
}

TEST(CallRecord, MsrpComponentRoundTripsAndItsPskIsWhatTheNetworkSideDerives) {
    const keying::AkaKeys aka{bytes(16, 0), bytes(16, 0x10)};
    CallRecord r = sample(aka);
    r.msrp = MsrpRecord{2, 1, "msrps://192.0.2.10:2855/ue;tcp", "msrp://198.51.100.20:2855/core;tcp",
                        "msrps://203.0.113.1:2855/gw;tcp", "msrp://198.51.100.1:2855/gw;tcp"};
    auto back = parse_call_record(format_call_record(r));
    ASSERT_TRUE(back.ok()) << back.error().message;
    ASSERT_TRUE(back->msrp.has_value());
    EXPECT_EQ(*back->msrp, *r.msrp);
    auto psk = record_msrp_psk(*back);
    ASSERT_TRUE(psk.ok());
    auto network = keying::derive_msrp_psk(aka, keying::CallBinding{r.call_id, 1});
    ASSERT_TRUE(network.ok());
    EXPECT_EQ(psk->identity, network->identity);
    EXPECT_EQ(std::vector<uint8_t>(psk->psk.bytes().begin(), psk->psk.bytes().end()),
              std::vector<uint8_t>(network->psk.bytes().begin(), network->psk.bytes().end()));
    EXPECT_FALSE(record_msrp_psk(sample(aka)).ok());

    const std::string line = format_call_record(sample(aka));
    const std::string tail = "\"ue_user\":\"ue1\"}";
    EXPECT_NE(error_of(with(line, tail, "\"ue_user\":\"ue1\",\"msrp\":3}")).find("msrp"), std::string::npos);
    EXPECT_NE(error_of(with(line, tail, "\"ue_user\":\"ue1\",\"msrp\":{\"component\":2,\"media_index\":1}}"))
                  .find("ue_path"),
              std::string::npos);
}

TEST(CallRecord, PairedKeyOfAnotherSuiteIsRefusedWhenKeysAreTaken) {
    CallRecord record = sample(keying::AkaKeys{bytes(16, 0), bytes(16, 0x10)});  // GCM
    const keying::MediaKeys cm_key(srtp::Suite::aes_cm_128_hmac_sha1_80, std::vector<uint8_t>(16, 1),
                                   std::vector<uint8_t>(14, 2));
    record.from_ue_crypto = keying::format_crypto_value(keying::crypto_attribute_for(1, cm_key));
    auto keys = record_media_keys(record, keying::Direction::ue_to_network);
    ASSERT_FALSE(keys.ok());
    EXPECT_NE(keys.error().message.find("suite"), std::string::npos) << keys.error().message;
}

}  // namespace
}  // namespace msf::pcscf
