#include "controlplane/pcscf/ue_security.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace msf::pcscf {
namespace {

using keying::Direction;

UeSecurity establish(SaKind kind, TlsHandshaker* tls) {
    auto sa = establish_ue_security(kind, "ue1@ims.example", "ims.example", tls);
    EXPECT_TRUE(sa.ok()) << (sa.ok() ? "" : sa.error().message);
    return sa.ok() ? std::move(sa.value()) : UeSecurity{};
}

class UeSecurityTest : public ::testing::TestWithParam<SaKind> {
protected:
    static void SetUpTestSuite() {
        auto created = TlsHandshaker::create();
        ASSERT_TRUE(created.ok()) << created.error().message;
        tls_ = std::move(created.value()).release();
    }
    static void TearDownTestSuite() {
        delete tls_;
        tls_ = nullptr;
    }
    static TlsHandshaker* tls_;
};
TlsHandshaker* UeSecurityTest::tls_ = nullptr;

TEST_P(UeSecurityTest, UeAndPcscfDeriveTheSameKeysFromTheirOwnCopiesForEverySuiteAndDirection) {
    const UeSecurity sa = establish(GetParam(), tls_);
    for (const srtp::SuiteInfo& info : srtp::kSuites) {
        for (const Direction direction : {Direction::ue_to_network, Direction::network_to_ue}) {
            SCOPED_TRACE(info.name);
            auto ue = ue_media_keys(sa.ue_side, "a84b4c76e66710@pc33.example", 0, direction, info.suite);
            auto pcscf = ue_media_keys(sa.network_side, "a84b4c76e66710@pc33.example", 0, direction, info.suite);
            ASSERT_TRUE(ue.ok() && pcscf.ok());
            EXPECT_EQ(*ue, *pcscf);
            EXPECT_EQ(ue->master_key.size(), info.key_len);
            EXPECT_EQ(ue->master_salt.size(), info.salt_len);
        }
    }
}

TEST_P(UeSecurityTest, KeysAreBoundToCallMediaIndexAndDirection) {
    const UeSecurity sa = establish(GetParam(), tls_);
    const auto suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    auto base = ue_media_keys(sa.ue_side, "call-1", 0, Direction::ue_to_network, suite);
    auto other_call = ue_media_keys(sa.ue_side, "call-2", 0, Direction::ue_to_network, suite);
    auto other_index = ue_media_keys(sa.ue_side, "call-1", 1, Direction::ue_to_network, suite);
    auto other_direction = ue_media_keys(sa.ue_side, "call-1", 0, Direction::network_to_ue, suite);
    ASSERT_TRUE(base.ok() && other_call.ok() && other_index.ok() && other_direction.ok());
    EXPECT_NE(base->master_key, other_call->master_key);
    EXPECT_NE(base->master_key, other_index->master_key);
    EXPECT_NE(base->master_key, other_direction->master_key);
}

TEST_P(UeSecurityTest, TwoUesGetDifferentAssociations) {
    const UeSecurity a = establish(GetParam(), tls_);
    const UeSecurity b = establish(GetParam(), tls_);
    auto ka = ue_media_keys(a.ue_side, "c", 0, Direction::ue_to_network, srtp::Suite::aead_aes_128_gcm);
    auto kb = ue_media_keys(b.ue_side, "c", 0, Direction::ue_to_network, srtp::Suite::aead_aes_128_gcm);
    ASSERT_TRUE(ka.ok() && kb.ok());
    EXPECT_NE(ka->master_key, kb->master_key);
}

INSTANTIATE_TEST_SUITE_P(KeySources, UeSecurityTest, ::testing::Values(SaKind::aka, SaKind::tls, SaKind::digest),
                         [](const auto& info) { return std::string(sa_kind_name(info.param)); });

TEST(UeSecurityForms, EachSideHoldsTheFormItWouldReallyHave) {
    auto created = TlsHandshaker::create();
    ASSERT_TRUE(created.ok());
    const UeSecurity aka = establish(SaKind::aka, nullptr);
    EXPECT_TRUE(std::holds_alternative<keying::AkaKeys>(aka.ue_side));
    EXPECT_EQ(std::get<keying::AkaKeys>(aka.ue_side).ck.size(), 16u);
    const UeSecurity tls = establish(SaKind::tls, created->get());
    ASSERT_TRUE(std::holds_alternative<keying::TlsExporter>(tls.ue_side));
    ASSERT_TRUE(std::holds_alternative<keying::TlsExporter>(tls.network_side));
    // The exporter of each end of one handshake: equal values, separately obtained.
    EXPECT_EQ(std::get<keying::TlsExporter>(tls.ue_side).secret, std::get<keying::TlsExporter>(tls.network_side).secret);
    EXPECT_EQ(std::get<keying::TlsExporter>(tls.ue_side).secret.size(), keying::kTlsExporterLen);
    const UeSecurity digest = establish(SaKind::digest, nullptr);
    ASSERT_TRUE(std::holds_alternative<keying::DigestPassword>(digest.ue_side));
    ASSERT_TRUE(std::holds_alternative<keying::DigestHA1>(digest.network_side));
    const auto& password = std::get<keying::DigestPassword>(digest.ue_side);
    EXPECT_EQ(password.username, "ue1@ims.example");
    EXPECT_EQ(password.realm, "ims.example");
    EXPECT_EQ(password.password.size(), 16u);
    EXPECT_EQ(std::get<keying::DigestHA1>(digest.network_side).ha1, keying::digest_ha1(password)->ha1);
}

TEST(UeSecurityForms, TlsNeedsAHandshaker) {
    auto sa = establish_ue_security(SaKind::tls, "u@r", "r", nullptr);
    ASSERT_FALSE(sa.ok());
    EXPECT_EQ(sa.error().code, keying::ErrorCode::invalid_argument);
}

TEST(UeSecurityForms, KindNamesRoundTrip) {
    for (SaKind kind : {SaKind::aka, SaKind::tls, SaKind::digest}) EXPECT_EQ(sa_kind_from_name(sa_kind_name(kind)), kind);
    EXPECT_FALSE(sa_kind_from_name("AKA"));
    EXPECT_FALSE(sa_kind_from_name(""));
}

}  // namespace
}  // namespace msf::pcscf
