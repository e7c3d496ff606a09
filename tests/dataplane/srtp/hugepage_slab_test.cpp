// The slab that SRTP contexts, sessions and flow blocks are allocated from.
#include "dataplane/srtp/hugepage_slab.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "dataplane/srtp/context.hpp"

namespace msf::srtp {
namespace {

TEST(HugePageSlab, BlocksAreCacheLineAlignedDistinctAndDoNotOverlap) {
    HugePageSlab slab(100);  // rounded up to 128
    EXPECT_EQ(slab.block_size(), 128u);
    std::set<uintptr_t> seen;
    std::vector<void*> blocks;
    for (int i = 0; i < 1000; ++i) {
        void* b = slab.allocate();
        const auto a = reinterpret_cast<uintptr_t>(b);
        EXPECT_EQ(a % HugePageSlab::kAlign, 0u);
        EXPECT_TRUE(seen.insert(a).second);
        std::memset(b, i & 0xff, slab.block_size());  // the whole block is writable
        blocks.push_back(b);
    }
    for (size_t i = 0; i < blocks.size(); ++i)  // nothing overwrote another block
        EXPECT_EQ(static_cast<uint8_t*>(blocks[i])[slab.block_size() - 1], i & 0xff);
    for (void* b : blocks) slab.deallocate(b);
}

TEST(HugePageSlab, AFreedBlockIsReusedBeforeTheSlabGrows) {
    HugePageSlab slab(HugePageSlab::kChunk / 4);  // four blocks per chunk
    std::vector<void*> blocks;
    for (int i = 0; i < 4; ++i) blocks.push_back(slab.allocate());
    EXPECT_EQ(slab.chunks(), 1u);
    slab.deallocate(blocks[2]);
    EXPECT_EQ(slab.allocate(), blocks[2]);
    EXPECT_EQ(slab.chunks(), 1u);
    void* fifth = slab.allocate();  // the chunk is full: a second one
    EXPECT_EQ(slab.chunks(), 2u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(fifth) % HugePageSlab::kChunk, 0u);
}

TEST(HugePageSlab, RefusesBlocksLargerThanAChunk) {
    EXPECT_THROW(HugePageSlab(HugePageSlab::kChunk + 1), std::bad_alloc);
    EXPECT_THROW(HugePageSlab(0), std::bad_alloc);
}

TEST(HugePageSlab, AnObjectThatDoesNotFitABlockIsRefused) {
    HugePageSlab slab(128);
    void* b = slab.allocate(128, std::align_val_t{64});
    EXPECT_NE(b, nullptr);
    slab.deallocate(b);
    EXPECT_THROW(slab.allocate(129, std::align_val_t{64}), std::bad_alloc);
    EXPECT_THROW(slab.allocate(64, std::align_val_t{128}), std::bad_alloc);
}

TEST(HugePageSlab, ThreadsTakingAndGivingBackNeverShareABlock) {
    HugePageSlab slab(64);
    auto work = [&slab](uint8_t tag, bool* ok) {
        std::vector<uint8_t*> mine;
        for (int round = 0; round < 200; ++round) {
            for (int i = 0; i < 50; ++i) {
                auto* b = static_cast<uint8_t*>(slab.allocate());
                std::memset(b, tag, 64);
                mine.push_back(b);
            }
            for (uint8_t* b : mine)
                for (int k = 0; k < 64; ++k) *ok &= b[k] == tag;
            for (uint8_t* b : mine) slab.deallocate(b);
            mine.clear();
        }
    };
    bool ok[4] = {true, true, true, true};
    std::vector<std::thread> threads;
    for (uint8_t t = 0; t < 4; ++t) threads.emplace_back(work, static_cast<uint8_t>(t + 1), &ok[t]);
    for (auto& t : threads) t.join();
    for (bool o : ok) EXPECT_TRUE(o);
}

TEST(HugePageSlab, ContextsComeFromTheSlabAndStillWork) {
    Policy p;
    p.suite = Suite::aes_cm_128_hmac_sha1_80;
    p.master_key.assign(16, 0x11);
    p.master_salt.assign(14, 0x22);
    std::vector<std::unique_ptr<Context>> contexts;
    for (int i = 0; i < 100; ++i) {
        contexts.push_back(Context::create(p));
        ASSERT_TRUE(contexts.back());
        EXPECT_EQ(reinterpret_cast<uintptr_t>(contexts.back().get()) % HugePageSlab::kAlign, 0u);
    }
    contexts.clear();  // destroyed (keys zeroed) and given back
    EXPECT_TRUE(Context::create(p));
}

}  // namespace
}  // namespace msf::srtp
