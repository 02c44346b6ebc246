// PairCounts: a signed count per (node, function) pair, kept only for pairs whose count is not 0, so that
// memory follows the pairs in use rather than nodes × functions (the scheduler path's running requests of
// a function on a node: a dense matrix was 98 MB at 493 nodes × 50,000 functions, one random miss per
// start and completion). An open-addressing hash table keyed by (node, function): linear probing,
// deletion by backward shift when a count returns to 0 (no tombstones), at most half full.
// Cost: add, get O(1) expected. Memory: 16 bytes per slot, slots ≤ 4 × the most pairs ever non-zero at once
// (a power of two, at least 64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hearth::sim {

class PairCounts {
 public:
  // The count of (node, fn); 0 for a pair never changed or back at 0.
  std::int32_t get(std::uint32_t node, std::uint32_t fn) const;
  // Adds `delta` to the count of (node, fn); a pair reaching 0 leaves the table.
  void add(std::uint32_t node, std::uint32_t fn, std::int32_t delta);
  // Pairs with a non-zero count.
  std::size_t size() const { return used_; }
  // visit(node, fn, count) for every pair with a non-zero count, in table order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (const Slot& s : table_)
      if (s.count != 0) visit(static_cast<std::uint32_t>(s.key >> 32), static_cast<std::uint32_t>(s.key), s.count);
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::int32_t count = 0;  // 0: empty
  };
  static std::uint64_t key(std::uint32_t node, std::uint32_t fn) {
    return (static_cast<std::uint64_t>(node) << 32) | fn;
  }
  std::size_t home(std::uint64_t k) const { return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_); }
  void erase_at(std::size_t hole);
  void grow();

  std::vector<Slot> table_;
  std::size_t used_ = 0;
  int shift_ = 64;
};

}  // namespace hearth::sim
