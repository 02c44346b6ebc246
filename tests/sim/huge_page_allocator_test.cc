#include "sim/huge_page_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

namespace hearth::sim {
namespace {

// A vector grown one element at a time past 2 MB (its storage moves from std::allocator's to 2 MB-aligned
// blocks on the way) keeps every element, and its large storage is 2 MB-aligned.
TEST(HugePageAllocator, GrowingPastTwoMegabytesKeepsContentsAndAligns) {
  HugeVector<std::uint64_t> v;
  const std::size_t n = (3 * HugePageAllocator<std::uint64_t>::kHugePage) / sizeof(std::uint64_t);
  for (std::size_t i = 0; i < n; ++i) v.push_back(i * 7 + 1);
  ASSERT_EQ(v.size(), n);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(v[i], i * 7 + 1) << "element " << i;
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data()) % HugePageAllocator<std::uint64_t>::kHugePage, 0u);
  v.resize(10);
  v.shrink_to_fit();  // back to a small block: std::allocator's
  EXPECT_EQ(std::accumulate(v.begin(), v.end(), std::uint64_t{0}), 10u + 7u * 45u);
}

// Over-aligned elements (the simulator's 64-byte jobs and slots) keep their alignment in small blocks too.
TEST(HugePageAllocator, SmallBlocksKeepTheElementsAlignment) {
  struct alignas(64) Line {
    char bytes[64];
  };
  HugeVector<Line> v(3);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data()) % 64, 0u);
}

}  // namespace
}  // namespace hearth::sim
