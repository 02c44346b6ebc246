#include "sim/pair_counts.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <utility>

namespace hearth::sim {
namespace {

TEST(PairCounts, CountsPerPairAndForgetsPairsBackAtZero) {
  PairCounts c;
  EXPECT_EQ(c.get(3, 7), 0);
  c.add(3, 7, +1);
  c.add(3, 7, +1);
  c.add(7, 3, +1);  // the pair is ordered: (7, 3) is another
  EXPECT_EQ(c.get(3, 7), 2);
  EXPECT_EQ(c.get(7, 3), 1);
  EXPECT_EQ(c.size(), 2u);
  c.add(3, 7, -2);
  EXPECT_EQ(c.get(3, 7), 0);
  EXPECT_EQ(c.size(), 1u);
  c.add(0, 0, 0);  // adding nothing stores nothing
  EXPECT_EQ(c.size(), 1u);
  c.add(0, 0, -1);  // a count may go negative; it is still a pair in use
  EXPECT_EQ(c.get(0, 0), -1);
  EXPECT_EQ(c.size(), 2u);
}

// After any sequence of changes (many pairs colliding in a small key space, counts returning to 0 so that
// backward-shift deletion runs amid the probe runs, growth) every pair's count equals a std::map's, and
// for_each visits exactly the non-zero ones.
RC_GTEST_PROP(PairCountsProperty, EqualsAMapAfterRandomChanges, ()) {
  const auto steps = *rc::gen::resize(600, rc::gen::container<std::vector<std::tuple<std::uint32_t, std::uint32_t, int>>>(
      rc::gen::tuple(rc::gen::inRange<std::uint32_t>(0, 6), rc::gen::inRange<std::uint32_t>(0, 60),
                     rc::gen::element(1, 1, 1, -1, -1, 2, -2, 0))));
  PairCounts c;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::int32_t> model;
  for (const auto& [node, fn, delta] : steps) {
    c.add(node, fn, delta);
    if ((model[{node, fn}] += delta) == 0) model.erase({node, fn});
    RC_ASSERT(c.get(node, fn) == (model.count({node, fn}) ? model.at({node, fn}) : 0));
  }
  RC_ASSERT(c.size() == model.size());
  for (const auto& [pair, count] : model) RC_ASSERT(c.get(pair.first, pair.second) == count);
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::int32_t> seen;
  c.for_each([&](std::uint32_t node, std::uint32_t fn, std::int32_t count) { seen[{node, fn}] = count; });
  RC_ASSERT(seen == model);
}

}  // namespace
}  // namespace hearth::sim
