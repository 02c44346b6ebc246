// OpenWhisk's placement over the simulator's cluster, which answers "nodes with room" from its room index
// (sim/node_room_index.h), picks exactly what the plain probe scan of every node picked before the index.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "policy/openwhisk_placement.h"
#include "policy/registry.h"
#include "sim/cluster.h"

namespace hearth::sim {
namespace {

// The placement as it was before the index: probe home, home+step, … over the whole pool; if none has
// room, `wait` holds and `force` picks the pick-th healthy node by a scan.
class ScanPlacement {
 public:
  ScanPlacement(const policy::PolicyContext& ctx, double managed, bool wait)
      : managed_(managed), wait_(wait), sequence_(ctx), rng_(ctx.seed) {}
  std::optional<model::NodeId> place(const model::FunctionSpec& fn, const model::ClusterView& view) {
    const auto nodes = view.nodes();
    const std::uint32_t pool = policy::managed_invokers(static_cast<std::uint32_t>(nodes.size()), managed_);
    std::uint32_t index = 0, step = 1;
    if (!sequence_.over(fn.id, pool, &index, &step)) return std::nullopt;
    for (std::uint32_t probe = 0; probe < pool; ++probe) {
      const model::NodeState& s = nodes[index];
      if (s.healthy && s.unreserved_mb() >= fn.memory_mb) return s.id;
      index = (index + step) % pool;
    }
    if (wait_) {
      for (std::uint32_t i = 0; i < pool; ++i)
        if (nodes[i].healthy) return policy::kHoldAtController;
      return std::nullopt;
    }
    std::uint32_t healthy = 0;
    for (std::uint32_t i = 0; i < pool; ++i) healthy += nodes[i].healthy;
    if (healthy == 0) return std::nullopt;
    std::uint32_t pick = std::uniform_int_distribution<std::uint32_t>(0, healthy - 1)(rng_);
    for (std::uint32_t i = 0; i < pool; ++i) {
      if (!nodes[i].healthy) continue;
      if (pick-- == 0) return nodes[i].id;
    }
    return std::nullopt;
  }

 private:
  double managed_;
  bool wait_;
  policy::StickySequence sequence_;
  std::mt19937_64 rng_;
};

model::FunctionSpec function(model::FunctionId id, model::MegaBytes memory) {
  model::FunctionSpec f;
  f.id = id;
  f.name = "fn" + std::to_string(id * 7919);
  f.memory_mb = memory;
  return f;
}

TEST(IndexedPlacement, FarProbeFoundThroughTheIndex) {
  // 16 nodes of 1000 MB; only node 13 has room: far past the direct probes of any step.
  Cluster cluster(16, 1000, 4, 1);
  for (model::NodeId n = 0; n < 16; ++n) cluster.reserve(n, n == 13 ? 200 : 900);
  const std::vector<model::FunctionSpec> functions = {function(0, 500)};
  policy::PolicyContext ctx;
  ctx.node_count = 16;
  ctx.functions = functions;
  auto placement = policy::make_placement("openwhisk", ctx);
  EXPECT_EQ(placement->place({}, ctx.functions[0], cluster), 13u);
  // Two with room: the one earlier in the function's probe sequence.
  cluster.reserve(3, -700);
  ScanPlacement scan(ctx, 1.0, false);
  EXPECT_EQ(placement->place({}, ctx.functions[0], cluster), scan.place(ctx.functions[0], cluster));
  // Node 3 failed: back to 13.
  cluster.set_healthy(3, false);
  EXPECT_EQ(cluster.healthy_nodes(16), 15u);
  EXPECT_EQ(placement->place({}, ctx.functions[0], cluster), 13u);
}

TEST(IndexedPlacement, RoomIndexCheckCatchesAChangeBehindItsBack) {
  Cluster cluster(4, 1000, 4, 1);
  cluster.reserve(2, 300);
  cluster.set_healthy(1, false);
  EXPECT_NO_THROW(cluster.check_room_index());  // changed through the cluster: consistent
  cluster.node(2).reserved_mb += 100;           // behind its back
  EXPECT_THROW(cluster.check_room_index(), std::logic_error);
  cluster.node(2).reserved_mb -= 100;
  EXPECT_NO_THROW(cluster.check_room_index());
  cluster.node(0).healthy = false;
  EXPECT_THROW(cluster.check_room_index(), std::logic_error);
}

// Random clusters (up to 700 nodes, some failed, reservations from none to over-committed), random
// functions, force / wait and a managed fraction: the indexed placement and the scan answer the same, call
// after call (the forced fallback draws from the same seeded generator in the same order).
RC_GTEST_PROP(IndexedPlacementProperty, PicksWhatTheScanPicked, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 700);
  const double managed = *rc::gen::element(1.0, 0.9, 0.5);
  const bool wait = *rc::gen::arbitrary<bool>();
  std::vector<model::FunctionSpec> functions;
  for (model::FunctionId i = 0; i < 12; ++i) functions.push_back(function(i, *rc::gen::inRange(1, 1200)));
  policy::PolicyContext ctx;
  ctx.node_count = n;
  ctx.functions = functions;
  ctx.seed = *rc::gen::arbitrary<std::uint64_t>();
  std::string spec = "openwhisk:managed=" + std::to_string(managed) + ",overload=" + (wait ? "wait" : "force");
  auto indexed = policy::make_placement(spec, ctx);
  ScanPlacement scan(ctx, managed, wait);
  Cluster cluster(n, 1000, 4, functions.size());
  const int busy_percent = *rc::gen::inRange(0, 101);  // how full the cluster is
  for (int round = 0; round < 10; ++round) {
    for (model::NodeId i = 0; i < n; ++i) {
      cluster.set_healthy(i, *rc::gen::inRange(0, 10) != 0);
      const model::MegaBytes target =
          *rc::gen::inRange(0, 100) < busy_percent ? *rc::gen::inRange(800, 1500) : *rc::gen::inRange(0, 1000);
      cluster.reserve(i, target - cluster.nodes()[i].reserved_mb);
    }
    cluster.check_room_index();
    for (const auto& f : functions) RC_ASSERT(indexed->place({}, f, cluster) == scan.place(f, cluster));
  }
}

}  // namespace
}  // namespace hearth::sim
