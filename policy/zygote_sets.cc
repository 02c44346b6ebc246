#include "policy/zygote_sets.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hearth::policy {

ZygoteSets::ZygoteSets(std::int64_t base_mb, model::Micros half_life_us) : base_mb_(base_mb), half_life_us_(half_life_us) {
  if (base_mb <= 0) throw std::invalid_argument("zygote sets: base_mb must be > 0, got " + std::to_string(base_mb));
  if (half_life_us <= 0)
    throw std::invalid_argument("zygote sets: half_life_us must be > 0, got " + std::to_string(half_life_us));
}

LibrarySet ZygoteSets::normalise(LibrarySet libraries) {
  std::sort(libraries.begin(), libraries.end());
  libraries.erase(std::unique(libraries.begin(), libraries.end()), libraries.end());
  return libraries;
}

double ZygoteSets::popularity(const Seen& s, model::Micros now) const {
  const double age = static_cast<double>(std::max<model::Micros>(0, now - s.at));
  return s.weight * std::exp2(-age / static_cast<double>(half_life_us_));
}

void ZygoteSets::on_cold_start(LibrarySet libraries, std::int64_t memory_mb, model::Micros now) {
  if (memory_mb <= 0) throw std::invalid_argument("zygote sets: memory_mb must be > 0, got " + std::to_string(memory_mb));
  Seen& s = seen_[normalise(std::move(libraries))];
  s.weight = popularity(s, now) + 1.0;
  s.at = std::max(s.at, now);
  s.memory_mb = std::max(s.memory_mb, memory_mb);
}

std::vector<ZygotePlanEntry> ZygoteSets::plan(std::int64_t budget_mb, model::Micros now) const {
  std::vector<ZygotePlanEntry> out;
  const auto root = seen_.find({});
  const std::int64_t root_mb = root == seen_.end() ? base_mb_ : std::max(base_mb_, root->second.memory_mb);
  if (budget_mb < root_mb) return out;  // not even an interpreter fits
  out.push_back({{}, -1, root_mb, root == seen_.end() ? 0.0 : popularity(root->second, now)});
  std::int64_t used = root_mb;
  std::vector<ZygotePlanEntry> candidates;
  for (const auto& [set, s] : seen_)
    if (!set.empty()) candidates.push_back({set, -1, s.memory_mb, popularity(s, now)});
  // Most popular per MB first; ties: smaller sets, then by name (deterministic).
  std::sort(candidates.begin(), candidates.end(), [](const ZygotePlanEntry& a, const ZygotePlanEntry& b) {
    const double da = a.popularity / static_cast<double>(a.memory_mb), db = b.popularity / static_cast<double>(b.memory_mb);
    if (da != db) return da > db;
    if (a.set.size() != b.set.size()) return a.set.size() < b.set.size();
    return a.set < b.set;
  });
  for (ZygotePlanEntry& c : candidates)
    if (used + c.memory_mb <= budget_mb) {
      used += c.memory_mb;
      out.push_back(std::move(c));
    }
  // A tree: order by set size (a parent is smaller than its children), then link each to its largest
  // kept proper subset.
  std::stable_sort(out.begin() + 1, out.end(),
                   [](const ZygotePlanEntry& a, const ZygotePlanEntry& b) { return a.set.size() < b.set.size(); });
  for (std::size_t i = 1; i < out.size(); ++i) {
    out[i].parent = 0;
    for (std::size_t j = 1; j < i; ++j)
      if (out[j].set.size() < out[i].set.size() &&
          std::includes(out[i].set.begin(), out[i].set.end(), out[j].set.begin(), out[j].set.end()) &&
          out[j].set.size() > out[static_cast<std::size_t>(out[i].parent)].set.size())
        out[i].parent = static_cast<int>(j);
  }
  return out;
}

int ZygoteSets::best_for(const std::vector<ZygotePlanEntry>& plan, LibrarySet libraries) {
  libraries = normalise(std::move(libraries));
  int best = -1;
  for (std::size_t i = 0; i < plan.size(); ++i)
    if (std::includes(libraries.begin(), libraries.end(), plan[i].set.begin(), plan[i].set.end()) &&
        (best < 0 || plan[i].set.size() > plan[static_cast<std::size_t>(best)].set.size()))
      best = static_cast<int>(i);
  return best;
}

}  // namespace hearth::policy
