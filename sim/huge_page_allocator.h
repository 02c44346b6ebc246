// HugePageAllocator: the allocator of the simulator's large randomly accessed arrays (container slots,
// jobs, the idle index). An allocation of 2 MB or more is aligned to 2 MB and advised to the kernel as a
// huge-page candidate (madvise MADV_HUGEPAGE: transparent huge pages in Debian's default "madvise" mode),
// so that random accesses over tens of MB (50,000 functions) do not each miss the TLB as well as the
// cache: 8 % less CPU at 50,000 functions on 512 nodes (BENCHMARKS.md). Smaller ones are std::allocator's.
// Only memory placement changes: contents and results are the same. The advice is a hint; where the
// kernel declines it (THP "never"), the pages are ordinary.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace hearth::sim {

template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT(google-explicit-constructor): allocators convert

  T* allocate(std::size_t n) {
    if (n > (static_cast<std::size_t>(PTRDIFF_MAX) - kHugePage) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return std::allocator<T>().allocate(n);
    const std::size_t rounded = (bytes + kHugePage - 1) & ~(kHugePage - 1);
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
    madvise(p, rounded, MADV_HUGEPAGE);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < kHugePage) std::allocator<T>().deallocate(p, n);
    else std::free(p);
  }
  bool operator==(const HugePageAllocator&) const { return true; }
};

// A vector whose storage takes huge pages once it reaches 2 MB.
template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace hearth::sim
