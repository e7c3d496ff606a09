// aes_enc_schedule must give exactly the encryption schedule of ipsec-mb's own expansion, which
// also computes the decryption one: contexts, the KDF and the engine's jobs read it.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>

#include "dataplane/srtp/ipsec_mb.hpp"

namespace msf::srtp {
namespace {

TEST(AesEncSchedule, EqualsTheEncryptionHalfOfIpsecMbsExpansion) {
    IMB_MGR* mgr = thread_imb_mgr();
    ASSERT_NE(mgr, nullptr);
    std::mt19937 rng(11);
    for (const size_t key_len : {size_t{16}, size_t{32}}) {
        for (int round = 0; round < 100; ++round) {
            std::array<uint8_t, 32> key;
            for (uint8_t& b : key) b = static_cast<uint8_t>(rng());
            alignas(16) std::array<uint8_t, 16 * 15> ours{}, theirs{}, dec{};
            aes_enc_schedule(mgr, key.data(), key_len, ours.data());
            if (key_len == 16) IMB_AES_KEYEXP_128(mgr, key.data(), theirs.data(), dec.data());
            else IMB_AES_KEYEXP_256(mgr, key.data(), theirs.data(), dec.data());
            ASSERT_EQ(ours, theirs) << key_len << "-byte key, round " << round;
        }
    }
}

TEST(AesEncSchedule, Aes128ScheduleOfFips197AppendixA1) {
    // FIPS 197 A.1: key 2b7e1516 28aed2a6 abf71588 09cf4f3c; the last round key is
    // d014f9a8 c9ee2589 e13f0cc8 b6630ca6.
    const std::array<uint8_t, 16> key = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                         0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
    alignas(16) std::array<uint8_t, 16 * 15> schedule{};
    aes_enc_schedule(thread_imb_mgr(), key.data(), 16, schedule.data());
    const std::array<uint8_t, 16> last = {0xd0, 0x14, 0xf9, 0xa8, 0xc9, 0xee, 0x25, 0x89,
                                          0xe1, 0x3f, 0x0c, 0xc8, 0xb6, 0x63, 0x0c, 0xa6};
    EXPECT_TRUE(std::equal(last.begin(), last.end(), schedule.begin() + 16 * 10));
    EXPECT_TRUE(std::equal(key.begin(), key.end(), schedule.begin()));  // round key 0 is the key
}

}  // namespace
}  // namespace msf::srtp
