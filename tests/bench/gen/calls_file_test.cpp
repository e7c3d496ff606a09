#include "bench/gen/calls_file.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "controlplane/keying/sdes.hpp"
#include "controlplane/pcscf/call_record.hpp"
#include "controlplane/pcscf/ue_security.hpp"

namespace msf::gen {
namespace {

keying::SecretBytes bytes(size_t n, uint8_t first) {
    std::vector<uint8_t> b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i);
    return keying::SecretBytes(std::span<const uint8_t>(b));
}

pcscf::CallRecord record(uint64_t index) {
    pcscf::CallRecord r;
    r.call_id = "call-" + std::to_string(index) + "@192.0.2.20";
    r.session_id = "pcscf;1;" + std::to_string(index);
    r.ue_user = "ue" + std::to_string(index);
    r.ue = *net::Endpoint::parse("192.0.2.20:" + std::to_string(40000 + 2 * index));
    r.core = *net::Endpoint::parse("198.51.100.20:" + std::to_string(30000 + 2 * index));
    r.msf_access = *net::Endpoint::parse("192.0.2.10:" + std::to_string(20000 + 2 * index));
    r.msf_core = *net::Endpoint::parse("198.51.100.10:" + std::to_string(20000 + 2 * index));
    r.ue_sa = keying::AkaKeys{bytes(16, static_cast<uint8_t>(index)), bytes(16, static_cast<uint8_t>(0x80 + index))};
    r.call_index = index;
    return r;
}

// What msf-pcscf --hairpin-pairs writes: call 2k+1 carries call 2k's network->UE key.
std::string hairpin_file(uint64_t calls, bool reversed = false) {
    std::vector<std::string> lines;
    keying::MediaKeys partner_key;
    for (uint64_t i = 0; i < calls; ++i) {
        pcscf::CallRecord r = record(i);
        if (i % 2 == 0) {
            partner_key = *pcscf::record_media_keys(r, keying::Direction::network_to_ue);
        } else {
            r.from_ue_crypto = keying::format_crypto_value(keying::crypto_attribute_for(1, partner_key));
        }
        lines.push_back(pcscf::format_call_record(r));
    }
    if (reversed) std::reverse(lines.begin(), lines.end());
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
}

keying::Expected<std::vector<GenSession>> read(const std::string& text) {
    std::istringstream in(text);
    return read_calls(in, "calls.jsonl");
}

TEST(CallsFile, ReadsEndpointsAndBothKeysInCallIndexOrder) {
    auto sessions = read(hairpin_file(4, /*reversed=*/true));
    ASSERT_TRUE(sessions.ok()) << sessions.error().message;
    ASSERT_EQ(sessions->size(), 4u);
    for (uint64_t i = 0; i < 4; ++i) {
        const GenSession& s = (*sessions)[i];
        EXPECT_EQ(s.call_index, i);
        EXPECT_EQ(s.ue.port, 40000 + 2 * i);
        EXPECT_EQ(s.msf_core.to_string(), "198.51.100.10:" + std::to_string(20000 + 2 * i));
        EXPECT_EQ(s.to_ue.master_key.size(), 16u);
        EXPECT_EQ(s.from_ue.master_salt.size(), 14u);
    }
    const pcscf::CallRecord r0 = record(0);
    EXPECT_EQ((*sessions)[0].from_ue, *pcscf::ue_media_keys(r0.ue_sa, r0.call_id, 0, keying::Direction::ue_to_network,
                                                           r0.suite));
}

TEST(CallsFile, HairpinPairsAreEvenWithTheFollowingOdd) {
    auto sessions = read(hairpin_file(5));
    ASSERT_TRUE(sessions.ok());
    auto pairs = hairpin_pairs(*sessions);
    ASSERT_TRUE(pairs.ok()) << pairs.error().message;
    ASSERT_EQ(pairs->size(), 2u);  // call 4 has no partner and is left out
    EXPECT_EQ((*pairs)[0].a, 0u);
    EXPECT_EQ((*pairs)[0].b, 1u);
    EXPECT_EQ((*pairs)[1].a, 2u);
    EXPECT_EQ((*pairs)[1].b, 3u);
    EXPECT_EQ((*sessions)[1].from_ue, (*sessions)[0].to_ue);
}

TEST(CallsFile, CallsWithoutHairpinKeysCannotBePaired) {
    std::string text;
    for (uint64_t i = 0; i < 4; ++i) text += pcscf::format_call_record(record(i)) + "\n";
    auto sessions = read(text);
    ASSERT_TRUE(sessions.ok());
    auto pairs = hairpin_pairs(*sessions);
    ASSERT_FALSE(pairs.ok());
    EXPECT_NE(pairs.error().message.find("--hairpin-pairs"), std::string::npos) << pairs.error().message;
}

TEST(CallsFile, MissingPartnerOrSingleCallIsRefused) {
    auto sessions = read(hairpin_file(1));
    ASSERT_TRUE(sessions.ok());
    EXPECT_FALSE(hairpin_pairs(*sessions).ok());
    std::string text = hairpin_file(4);
    text.erase(0, text.find('\n') + 1);  // drop call 0: call 1 has no partner
    auto rest = read(text);
    ASSERT_TRUE(rest.ok());
    auto pairs = hairpin_pairs(*rest);
    ASSERT_FALSE(pairs.ok());
    EXPECT_NE(pairs.error().message.find("call 1"), std::string::npos) << pairs.error().message;
}

TEST(CallsFile, BadLinesAreRefusedNamingTheLine) {
    auto bad = read(pcscf::format_call_record(record(0)) + "\n{\"call_id\":1}\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("calls.jsonl:2:"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(read("").ok());
    EXPECT_FALSE(read("\n\n").ok());
    const std::string line = pcscf::format_call_record(record(0));
    auto twice = read(line + "\n" + line + "\n");
    ASSERT_FALSE(twice.ok());
    EXPECT_NE(twice.error().message.find("twice"), std::string::npos);
    EXPECT_FALSE(load_calls("/nonexistent/calls.jsonl").ok());
}

TEST(CallsFile, RecordsWithoutCallIndexKeepFileOrder) {
    std::string text;
    for (uint64_t i = 0; i < 3; ++i) {
        pcscf::CallRecord r = record(i);
        r.call_index.reset();
        text += pcscf::format_call_record(r) + "\n";
    }
    auto sessions = read(text);
    ASSERT_TRUE(sessions.ok());
    for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ((*sessions)[i].ue.port, 40000 + 2 * i);
}

}  // namespace
}  // namespace msf::gen

namespace msf::gen {
namespace {

TEST(CallsFile, FingerprintChangesWithEveryNewInstall) {
    auto a = read(hairpin_file(4));
    ASSERT_TRUE(a.ok());
    const uint64_t first = calls_fingerprint(*a);
    EXPECT_EQ(calls_fingerprint(*a), first);
    (*a)[3].session_id += "x";
    EXPECT_NE(calls_fingerprint(*a), first);
}

}  // namespace
}  // namespace msf::gen
