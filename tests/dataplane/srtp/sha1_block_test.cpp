// sha1_block_state must write exactly what ipsec-mb's own one-block SHA-1 writes: its HMAC jobs
// read the precomputed inner and outer states in that layout.
#include "dataplane/srtp/sha1_block.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>

#include "dataplane/srtp/ipsec_mb.hpp"

namespace msf::srtp {
namespace {

TEST(Sha1BlockState, MatchesIpsecMbOneBlockSha1) {
    IMB_MGR* mgr = thread_imb_mgr();
    ASSERT_NE(mgr, nullptr);
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        alignas(16) std::array<uint8_t, 64> block;
        for (uint8_t& b : block) b = static_cast<uint8_t>(rng());
        if (round == 0) block.fill(0x36);  // HMAC's ipad block of an empty key
        alignas(16) std::array<uint8_t, 20> ours{}, theirs{};
        sha1_block_state(block.data(), ours.data());
        IMB_SHA1_ONE_BLOCK(mgr, block.data(), theirs.data());
        ASSERT_EQ(ours, theirs) << "round " << round;
    }
}

TEST(Sha1BlockState, IsTheCompressionOfTheFirstBlockOfAbc) {
    // FIPS 180-4's "abc" fits one padded block, so one compression gives its digest; the state
    // words are in host order (little-endian here), the digest in big-endian bytes.
    alignas(16) std::array<uint8_t, 64> block{};
    block[0] = 'a';
    block[1] = 'b';
    block[2] = 'c';
    block[3] = 0x80;
    block[63] = 24;  // message length in bits
    std::array<uint8_t, 20> state{};
    sha1_block_state(block.data(), state.data());
    const std::array<uint32_t, 5> digest = {0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c, 0x9cd0d89d};
    for (size_t w = 0; w < 5; ++w) {
        uint32_t word = 0;
        for (size_t b = 0; b < 4; ++b) word |= static_cast<uint32_t>(state[4 * w + b]) << (8 * b);
        EXPECT_EQ(word, digest[w]) << "word " << w;
    }
}

}  // namespace
}  // namespace msf::srtp
