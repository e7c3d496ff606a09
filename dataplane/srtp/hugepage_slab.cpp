#include "dataplane/srtp/hugepage_slab.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define MSF_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define MSF_LSAN 1
#endif
#endif
#ifdef MSF_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace msf::srtp {

namespace {
size_t huge_size(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
}  // namespace

void* map_huge(size_t bytes) {
    // Room for the rounding and the alignment slack below, without wrapping around.
    if (bytes == 0 || bytes > SIZE_MAX - 2 * kHugePage) throw std::bad_alloc();
    const size_t size = huge_size(bytes);
    // Map one huge page more than needed and trim both ends to the 2 MiB boundary: the kernel
    // only backs aligned 2 MiB ranges with huge pages.
    void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
    if (aligned > start) munmap(raw, aligned - start);
    if (const size_t tail = start + kHugePage - aligned; tail > 0)
        munmap(reinterpret_cast<void*>(aligned + size), tail);
    void* p = reinterpret_cast<void*>(aligned);
    // Advice only: with transparent huge pages off, this is ordinary memory.
    madvise(p, size, MADV_HUGEPAGE);
#ifdef MSF_LSAN
    // LeakSanitizer only looks for pointers in memory it allocated: objects in these blocks
    // (a session's spec, its contexts' owners) would make what they point to look leaked.
    __lsan_register_root_region(p, size);
#endif
    return p;
}

void unmap_huge(void* p, size_t bytes) noexcept {
    if (!p) return;
#ifdef MSF_LSAN
    __lsan_unregister_root_region(p, huge_size(bytes));
#endif
    munmap(p, huge_size(bytes));
}

HugePageSlab::HugePageSlab(size_t block_size)
    : block_((block_size + kAlign - 1) / kAlign * kAlign) {
    if (block_ == 0 || block_ > kChunk) throw std::bad_alloc();
}

HugePageSlab::~HugePageSlab() {
    for (void* c : chunks_) unmap_huge(c, kChunk);
}

void* HugePageSlab::allocate() {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
        void* block = free_.back();
        free_.pop_back();
        return block;
    }
    if (left_ < block_) {
        void* chunk = map_huge(kChunk);
        try {
            chunks_.push_back(chunk);
        } catch (...) {
            unmap_huge(chunk, kChunk);
            throw;
        }
        free_.reserve(chunks_.size() * (kChunk / block_));  // room for every block: deallocate never allocates
        next_ = static_cast<char*>(chunk);
        left_ = kChunk;
    }
    void* block = next_;
    next_ += block_;
    left_ -= block_;
    return block;
}

void* HugePageSlab::allocate(std::size_t size, std::align_val_t align) {
    if (size > block_ || static_cast<size_t>(align) > kAlign) throw std::bad_alloc();
    return allocate();
}

void HugePageSlab::deallocate(void* block) noexcept {
    if (!block) return;
    std::lock_guard lock(mu_);
    free_.push_back(block);  // capacity reserved in allocate(): cannot throw
}

size_t HugePageSlab::chunks() const {
    std::lock_guard lock(mu_);
    return chunks_.size();
}

}  // namespace msf::srtp
