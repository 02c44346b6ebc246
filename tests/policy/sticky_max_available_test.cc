// Sticky-Max Available's walk that stops early (policy/sticky_max_available_placement.h) against the full
// scan it replaced: same node for every call, by hand and on random clusters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <rapidcheck/gtest.h>

#include "policy/openwhisk_placement.h"
#include "policy/registry.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using testing::FakeCluster;
using testing::fn;

// The scan before the early stop (every node of the sequence scored, a division per step), kept as the
// reference; nullopt where the policy falls back to a random node (not compared: the draw is the same).
std::optional<model::NodeId> full_scan(double alpha, StickySequence& sticky, const model::FunctionSpec& f,
                                       const model::ClusterView& view) {
  const auto nodes = view.nodes();
  const auto n = static_cast<std::uint32_t>(nodes.size());
  std::uint32_t index = 0, step = 1;
  if (!sticky.over(f.id, n, &index, &step)) return std::nullopt;
  std::optional<model::NodeId> best;
  double best_score = 0;
  for (std::uint32_t position = 0; position < n; ++position, index = (index + step) % n) {
    const model::NodeState& s = nodes[index];
    if (!s.healthy || s.capacity_mb <= 0 || s.unreserved_mb() < f.memory_mb) continue;
    const double d = static_cast<double>(position) / n;
    const double l = static_cast<double>(std::max<model::MegaBytes>(0, s.reserved_mb)) / static_cast<double>(s.capacity_mb);
    const double score = alpha * d + (1 - alpha) * l;
    if (!best || score < best_score) {
      best = index;
      best_score = score;
    }
  }
  return best;
}

// By hand: 10 nodes of 1000 MB, function 0 (fn(0) of 100 MB). α = 0.3: a node at position p with r MB
// reserved scores 0.03·p + 0.0007·r. The home (position 0) at 500 MB scores 0.35; a node at position 1 with
// nothing reserved scores 0.03 and wins; from position 1 on (0.03 >= 0.03) no later node can beat it, and
// one later in the sequence that also scores 0.03 would not (ties keep the earlier position).
TEST(StickyMaxAvailable, StopsOnlyWhereNoLaterNodeCanWin) {
  std::vector<model::FunctionSpec> functions{fn(0, 100)};
  PolicyContext ctx;
  ctx.node_count = 10;
  ctx.functions = functions;
  auto p = make_placement("sticky-ma", ctx);
  StickySequence sticky(ctx);
  std::uint32_t home = 0, step = 0;
  ASSERT_TRUE(sticky.over(0, 10, &home, &step));
  const auto at = [&](std::uint32_t position) { return (home + position * step) % 10; };
  FakeCluster cluster(10);
  for (std::uint32_t i = 0; i < 10; ++i) cluster.node(i).reserved_mb = 900;  // load 0.9 everywhere
  cluster.node(at(0)).reserved_mb = 500;
  EXPECT_EQ(p->place({}, functions[0], cluster), at(0));  // 0.35 against 0.03·p + 0.63 elsewhere
  cluster.node(at(1)).reserved_mb = 0;
  EXPECT_EQ(p->place({}, functions[0], cluster), at(1));
  // A node far along with nothing reserved scores 0.03·p >= 0.03: the earlier one keeps it.
  cluster.node(at(7)).reserved_mb = 0;
  EXPECT_EQ(p->place({}, functions[0], cluster), at(1));
  // The home with nothing reserved scores 0: nothing later can score below it.
  cluster.node(at(0)).reserved_mb = 0;
  EXPECT_EQ(p->place({}, functions[0], cluster), at(0));
  // α = 0: least reserved memory; every position term is 0, so the walk stops only at a node with nothing
  // reserved (0 cannot be beaten).
  auto least = make_placement("sticky-ma:alpha=0", ctx);
  for (std::uint32_t i = 0; i < 10; ++i) cluster.node(i).reserved_mb = 100 + 10 * static_cast<int>(i);
  EXPECT_EQ(least->place({}, functions[0], cluster), 0u);
  cluster.node(6).reserved_mb = 0;
  EXPECT_EQ(least->place({}, functions[0], cluster), 6u);
}

// Random clusters (up to 300 nodes, mixed capacities, unhealthy nodes, reservations above capacity: forced
// placements), random α (0 and 1 included): the early stop answers as the full scan, call after call, also
// when the node count changes between calls.
RC_GTEST_PROP(StickyMaxAvailableProperty, AnswersAsTheFullScan, ()) {
  std::vector<model::FunctionSpec> functions;
  for (model::FunctionId i = 0; i < 12; ++i) functions.push_back(fn(i, *rc::gen::inRange(1, 1500)));
  const double alpha = *rc::gen::element(0.0, 0.3, 0.5, 1.0, 0.123456789);
  PolicyContext ctx;
  ctx.functions = functions;
  ctx.seed = *rc::gen::arbitrary<std::uint64_t>();
  auto policy = make_placement("sticky-ma:alpha=" + std::to_string(alpha), ctx);
  StickySequence sticky(ctx);
  for (int round = 0; round < 6; ++round) {
    const auto n = *rc::gen::inRange<std::uint32_t>(1, 300);
    FakeCluster cluster(n);
    const int busy_percent = *rc::gen::inRange(0, 101);  // how loaded this round's cluster is
    for (std::uint32_t i = 0; i < n; ++i) {
      model::NodeState& s = cluster.node(i);
      s.capacity_mb = *rc::gen::element<model::MegaBytes>(1000, 1000, 1000, 2048, 0);
      s.healthy = *rc::gen::inRange(0, 10) != 0;
      s.reserved_mb = *rc::gen::inRange(0, 100) < busy_percent ? *rc::gen::inRange<model::MegaBytes>(0, 2600) : 0;
    }
    for (const auto& f : functions) {
      const auto expected = full_scan(std::stod(std::to_string(alpha)), sticky, f, cluster);
      const auto got = policy->place({}, f, cluster);
      if (expected) RC_ASSERT(got == expected);
      else if (got) RC_ASSERT(cluster.nodes()[*got].healthy);  // the random fallback (or none)
    }
  }
}

}  // namespace
}  // namespace hearth::policy
