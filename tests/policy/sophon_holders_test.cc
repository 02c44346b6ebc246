// Sophon's warm rule puts the nodes holding an idle container of the function in id order before drawing
// its sample (policy/sophon_placement.h: a comparison sort for a few, a bit set for many). With many
// holders (the bit set) the answers must not depend on the order the view visits them in, and with the
// whole pool sampled the answer is the holder with the most available memory, lowest id on ties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <rapidcheck/gtest.h>
#include <vector>

#include "policy/registry.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using testing::FakeCluster;
using testing::fn;

// A view of `inner` that visits a function's holders in the order given (instead of by id).
class ReorderedView final : public model::ClusterView {
 public:
  ReorderedView(const FakeCluster& inner, std::vector<model::NodeId> order) : inner_(inner), order_(std::move(order)) {}
  std::span<const model::NodeState> nodes() const override { return inner_.nodes(); }
  std::int32_t idle_containers(model::NodeId node, model::FunctionId f) const override {
    return inner_.idle_containers(node, f);
  }
  model::Micros now() const override { return inner_.now(); }
  model::MegaBytes busy_mb(model::NodeId node) const override { return inner_.busy_mb(node); }
  void for_each_idle_node(model::FunctionId f, const std::function<void(model::NodeId)>& visit) const override {
    for (const model::NodeId n : order_)
      if (inner_.idle_containers(n, f) > 0) visit(n);
  }

 private:
  const FakeCluster& inner_;
  std::vector<model::NodeId> order_;
};

RC_GTEST_PROP(SophonWarmHolders, ManyHoldersInAnyVisitOrder, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(40, 400);
  std::vector<model::FunctionSpec> functions{fn(0, 100)};
  PolicyContext ctx;
  ctx.node_count = n;
  ctx.functions = functions;
  ctx.seed = *rc::gen::arbitrary<std::uint64_t>();
  FakeCluster cluster(n);
  std::vector<model::NodeId> order;
  for (model::NodeId i = 0; i < n; ++i) {
    cluster.node(i).healthy = *rc::gen::inRange(0, 10) != 0;
    cluster.set_busy(i, *rc::gen::inRange<model::MegaBytes>(0, 1000));
    if (*rc::gen::inRange(0, 4) != 0) cluster.set_idle(i, 0, 1);  // about 3 nodes in 4 hold one: the bit set
    order.push_back(i);
  }
  std::vector<model::NodeId> shuffled = order;
  std::mt19937_64 shuffle_rng(*rc::gen::arbitrary<std::uint64_t>());
  std::shuffle(shuffled.begin(), shuffled.end(), shuffle_rng);
  const ReorderedView by_id(cluster, order), mixed(cluster, shuffled);
  auto a = make_placement("sophon:MA/MA,sample=10", ctx), b = make_placement("sophon:MA/MA,sample=10", ctx);
  for (int call = 0; call < 5; ++call) RC_ASSERT(a->place({}, functions[0], by_id) == b->place({}, functions[0], mixed));
  // Whole pool, ties to the lowest id: the holder that fits with the most available memory.
  auto all = make_placement("sophon:MA/MA,sample=0,ties=lowest", ctx);
  std::optional<model::NodeId> expected;
  model::MegaBytes best = 0;
  for (model::NodeId i = 0; i < n; ++i) {
    const model::NodeState& s = cluster.nodes()[i];
    const model::MegaBytes available = s.capacity_mb - std::max(cluster.busy_mb(i), s.reserved_mb);
    if (cluster.idle_containers(i, 0) == 0 || !s.healthy || available < 100) continue;
    if (!expected || available > best) expected = i, best = available;
  }
  if (expected) RC_ASSERT(all->place({}, functions[0], mixed) == expected);
}

}  // namespace
}  // namespace hearth::policy
