// The slab that SRTP contexts, sessions and flow blocks are allocated from.
#include "dataplane/srtp/hugepage_slab.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
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

// The "THPeligible" line of the mapping that holds p in /proc/self/smaps: 1 when the kernel may
// back it with transparent huge pages; -1 when there is no such mapping or line.
int thp_eligible(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto a = reinterpret_cast<uintptr_t>(p);
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        uintptr_t lo, hi;
        char dash;
        std::istringstream head(line);
        if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
            inside = lo <= a && a < hi;
        } else if (inside && line.rfind("THPeligible:", 0) == 0) {
            return std::stoi(line.substr(12));
        }
    }
    return -1;
}

bool thp_never() {
    std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string mode;
    std::getline(f, mode);
    return !f || mode.find("[never]") != std::string::npos;
}

TEST(MapHuge, GivesZeroedMemoryAlignedToAndRoundedUpToHugePages) {
    const size_t bytes = kHugePage + 100;
    auto* p = static_cast<uint8_t*>(map_huge(bytes));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePage, 0u);
    for (size_t i = 0; i < 2 * kHugePage; i += 4096) EXPECT_EQ(p[i], 0) << i;
    std::memset(p, 0xa5, 2 * kHugePage);  // the rounded-up size is all ours
    EXPECT_EQ(p[2 * kHugePage - 1], 0xa5);
    unmap_huge(p, bytes);
    EXPECT_THROW(map_huge(0), std::bad_alloc);
    EXPECT_THROW(map_huge(SIZE_MAX), std::bad_alloc);  // would wrap when rounded up
    EXPECT_THROW(map_huge(SIZE_MAX - kHugePage), std::bad_alloc);
    unmap_huge(nullptr, 0);  // like free(nullptr)
}

TEST(MapHuge, TheMappingIsAdvisedForHugePages) {
    if (thp_never()) GTEST_SKIP() << "transparent huge pages are off on this machine";
    void* p = map_huge(2 * kHugePage);
    // THP in "madvise" mode makes only advised mappings eligible (in "always" mode every one is,
    // which this cannot tell apart).
    EXPECT_EQ(thp_eligible(p), 1);
    EXPECT_EQ(thp_eligible(static_cast<uint8_t*>(p) + 2 * kHugePage - 1), 1);
    unmap_huge(p, 2 * kHugePage);
}

TEST(MapHuge, SlabChunksAreHugePageAligned) {
    HugePageSlab slab(HugePageSlab::kChunk);  // one block per chunk: each block is a chunk
    void* a = slab.allocate();
    void* b = slab.allocate();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % kHugePage, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % kHugePage, 0u);
    if (!thp_never()) {
        EXPECT_EQ(thp_eligible(b), 1);
    }
}

}  // namespace
}  // namespace msf::srtp
