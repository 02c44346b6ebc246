// ZygoteSets: which library sets a node keeps Python zygotes for (SOCK's import cache; docs/zygotes.md).
// Pure: it learns each set's popularity from the cold starts it is told of (a count decayed with
// half-life `half_life_us`) and plans, for a memory budget, the zygotes to keep: the empty set first
// (every Python function can fork from it), then the other sets by popularity per MB while they fit.
// Each kept set's parent is its largest kept proper subset (the zygote it is forked from, ties broken by
// order), so the plan is a tree rooted at the empty set. Under memory pressure the caller passes a
// smaller budget: the least valuable sets drop out first, as idle containers are evicted. Where a set is
// kept (which node) is not decided here: a Scorpius-style lookup picks the node and asks its plan.
// A function forks from the largest kept set its libraries contain (best_for).
// Cost: on_cold_start O(L log S); plan O(S log S + K^2 L) for S sets seen, K kept, L libraries per set.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/time.h"

namespace hearth::policy {

using LibrarySet = std::vector<std::string>;  // import names, sorted, no duplicates

struct ZygotePlanEntry {
  LibrarySet set;
  int parent = -1;             // index in the plan of the zygote it is forked from; -1: the root
  std::int64_t memory_mb = 0;  // its estimated memory
  double popularity = 0;       // decayed cold starts of functions importing exactly this set
};

class ZygoteSets {
 public:
  // `base_mb`: the empty set's zygote (an interpreter); `half_life_us` > 0. Throws std::invalid_argument.
  explicit ZygoteSets(std::int64_t base_mb = 16, model::Micros half_life_us = 10 * 60 * model::kMicrosPerSecond);

  // A cold start of a function importing `libraries` (any order, duplicates ignored) whose zygote takes
  // about `memory_mb` (> 0; the largest estimate seen for a set is kept). Throws std::invalid_argument.
  void on_cold_start(LibrarySet libraries, std::int64_t memory_mb, model::Micros now);
  // The zygotes to keep within `budget_mb` at `now`: the root first, every parent before its children.
  std::vector<ZygotePlanEntry> plan(std::int64_t budget_mb, model::Micros now) const;
  // The entry of `plan` a function importing `libraries` forks from: the largest set it contains
  // (-1 when none, i.e. the plan is empty).
  static int best_for(const std::vector<ZygotePlanEntry>& plan, LibrarySet libraries);

  static LibrarySet normalise(LibrarySet libraries);

 private:
  struct Seen {
    double weight = 0;
    model::Micros at = 0;
    std::int64_t memory_mb = 0;
  };
  double popularity(const Seen& s, model::Micros now) const;

  std::int64_t base_mb_;
  model::Micros half_life_us_;
  std::map<LibrarySet, Seen> seen_;
};

}  // namespace hearth::policy
