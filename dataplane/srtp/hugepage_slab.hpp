// Fixed-size blocks carved from 2 MiB chunks that the kernel is asked to back with transparent
// huge pages. A million sessions' SRTP contexts and session records span gigabytes; on 4 KiB
// pages nearly every packet's context read is also a TLB miss, on 2 MiB pages the translations
// of ten thousand sessions fit in the TLB.
#pragma once

#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

namespace msf::srtp {

inline constexpr size_t kHugePage = size_t{2} << 20;

// `bytes` (rounded up to 2 MiB) of zeroed memory, 2 MiB aligned, freshly mapped and advised as
// transparent huge pages before anything touches it. Advice on memory that malloc hands back
// after an earlier use comes too late for the pages already touched: those stay 4 KiB pages
// (28% of the chunks of the 1,000,000-session worker bench did). Throws std::bad_alloc, also
// for 0 bytes.
void* map_huge(size_t bytes);
// Returns what map_huge(bytes) gave.
void unmap_huge(void* p, size_t bytes) noexcept;

class HugePageSlab {
public:
    static constexpr size_t kChunk = kHugePage;
    static constexpr size_t kAlign = 64;  // blocks start on a cache line

    // block_size is rounded up to kAlign; at most kChunk.
    explicit HugePageSlab(size_t block_size);
    ~HugePageSlab();
    HugePageSlab(const HugePageSlab&) = delete;
    HugePageSlab& operator=(const HugePageSlab&) = delete;

    // A block of block_size() bytes, 64-byte aligned; throws std::bad_alloc when out of memory.
    // Thread-safe (a mutex: blocks are taken and given back on the control path only).
    void* allocate();
    // allocate() for a class-specific operator new: bad_alloc unless an object of `size` bytes
    // and `align` alignment fits a block.
    void* allocate(std::size_t size, std::align_val_t align);
    // Gives a block of this slab back for reuse (memory is not returned to the system).
    void deallocate(void* block) noexcept;

    size_t block_size() const { return block_; }
    size_t chunks() const;

private:
    const size_t block_;
    mutable std::mutex mu_;
    std::vector<void*> free_;    // blocks given back
    std::vector<void*> chunks_;  // everything obtained, freed with the slab
    char* next_ = nullptr;       // the unused tail of the newest chunk
    size_t left_ = 0;
};

}  // namespace msf::srtp
