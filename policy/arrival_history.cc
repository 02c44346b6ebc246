#include "policy/arrival_history.h"

#include <algorithm>

namespace hearth::policy {

void ArrivalHistory::ensure(model::FunctionId fn) {
  if (counts_.size() <= fn) counts_.resize(static_cast<std::size_t>(fn) + 1);
}

void ArrivalHistory::add(model::FunctionId fn, model::Micros now) {
  ensure(fn);
  auto& c = counts_[fn];
  const auto m = static_cast<std::size_t>(minute_of(std::max<model::Micros>(0, now)));
  if (c.size() <= m) c.resize(m + 1, 0);
  ++c[m];
}

std::uint32_t ArrivalHistory::count(model::FunctionId fn, std::int64_t minute) const {
  if (fn >= counts_.size() || minute < 0) return 0;
  const auto& c = counts_[fn];
  return static_cast<std::size_t>(minute) < c.size() ? c[static_cast<std::size_t>(minute)] : 0;
}

std::uint64_t ArrivalHistory::window_sum(model::FunctionId fn, std::int64_t from, std::int64_t to) const {
  if (fn >= counts_.size()) return 0;
  const auto& c = counts_[fn];
  const auto lo = static_cast<std::size_t>(std::max<std::int64_t>(0, from));
  const auto hi = std::min(c.size(), static_cast<std::size_t>(std::max<std::int64_t>(0, to)));
  std::uint64_t s = 0;
  for (std::size_t m = lo; m < hi; ++m) s += c[m];
  return s;
}

}  // namespace hearth::policy
