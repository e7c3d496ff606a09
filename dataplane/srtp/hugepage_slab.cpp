#include "dataplane/srtp/hugepage_slab.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace msf::srtp {

HugePageSlab::HugePageSlab(size_t block_size)
    : block_((block_size + kAlign - 1) / kAlign * kAlign) {
    if (block_ == 0 || block_ > kChunk) throw std::bad_alloc();
}

HugePageSlab::~HugePageSlab() {
    for (void* c : chunks_) std::free(c);
}

void* HugePageSlab::allocate() {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
        void* block = free_.back();
        free_.pop_back();
        return block;
    }
    if (left_ < block_) {
        void* chunk = std::aligned_alloc(kChunk, kChunk);
        if (!chunk) throw std::bad_alloc();
        // Advice only: with transparent huge pages off, the chunk is ordinary memory.
        madvise(chunk, kChunk, MADV_HUGEPAGE);
        chunks_.push_back(chunk);
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
