#include "sim/pair_counts.h"

namespace hearth::sim {

std::int32_t PairCounts::get(std::uint32_t node, std::uint32_t fn) const {
  if (table_.empty()) return 0;
  const std::uint64_t k = key(node, fn);
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = home(k);; i = (i + 1) & mask) {
    const Slot& s = table_[i];
    if (s.count == 0) return 0;
    if (s.key == k) return s.count;
  }
}

void PairCounts::add(std::uint32_t node, std::uint32_t fn, std::int32_t delta) {
  if (delta == 0) return;
  if (2 * (used_ + 1) > table_.size()) grow();
  const std::uint64_t k = key(node, fn);
  const std::size_t mask = table_.size() - 1;
  std::size_t i = home(k);
  for (; table_[i].count != 0; i = (i + 1) & mask) {
    if (table_[i].key != k) continue;
    table_[i].count += delta;
    if (table_[i].count == 0) erase_at(i);
    return;
  }
  table_[i] = Slot{k, delta};
  ++used_;
}

// Backward shift: entries after the hole that could sit in it (their home is not in the cyclic interval
// (hole, i]) move back, so every probe sequence stays unbroken.
void PairCounts::erase_at(std::size_t hole) {
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = (hole + 1) & mask; table_[i].count != 0; i = (i + 1) & mask) {
    if (((i - home(table_[i].key)) & mask) >= ((i - hole) & mask)) {
      table_[hole] = table_[i];
      hole = i;
    }
  }
  table_[hole] = Slot{};
  --used_;
}

void PairCounts::grow() {
  std::vector<Slot> old = std::move(table_);
  const std::size_t size = old.empty() ? 64 : 2 * old.size();
  table_.assign(size, Slot{});
  shift_ = 64;
  for (std::size_t s = size; s > 1; s >>= 1) --shift_;
  used_ = 0;
  const std::size_t mask = size - 1;
  for (const Slot& s : old) {
    if (s.count == 0) continue;
    std::size_t i = home(s.key);
    while (table_[i].count != 0) i = (i + 1) & mask;
    table_[i] = s;
    ++used_;
  }
}

}  // namespace hearth::sim
