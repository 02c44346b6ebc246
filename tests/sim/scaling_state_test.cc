#include "sim/scaling_state.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "policy/hyperfaas_scaling.h"
#include "sim/cluster.h"

namespace hearth::sim {
namespace {

using policy::ContainerLoad;

bool same(const ContainerLoad& a, const ContainerLoad& b) {
  return a.id == b.id && a.node == b.node && a.active == b.active && a.slots == b.slots && a.ready == b.ready &&
         a.max_slots == b.max_slots && a.cores == b.cores;
}

std::vector<ContainerLoad> kept(const ScalingState& state, model::FunctionId fn) {
  const auto loads = state.loads(fn);
  return {loads.begin(), loads.end()};
}

TEST(ScalingState, LoadsFollowTheMutatorsAndKeepTheirOrderAcrossRemovals) {
  Cluster cluster(3, 16384, 8, 1);
  ScalingState state(1);
  std::vector<model::ContainerId> ids;
  for (model::NodeId node : {2u, 0u, 1u}) {
    ids.push_back(cluster.create(node, 0, model::RuntimeKind{}, 128, model::ContainerState::kStarting));
    state.add(0, ids.back(), node, /*slots=*/10, /*cores=*/4, /*ready_us=*/100);
  }
  state.set_ready(ids[2]);
  state.add_active(ids[2], +1);
  state.add_active(ids[2], +1);
  state.set_slots(ids[2], 12);
  state.set_max_slots(ids[0], 1);
  state.remove(ids[1]);  // the middle one: the last moves down a place and must still be found by id
  state.add_active(ids[2], -1);
  const std::vector<ContainerLoad> loads = kept(state, 0);
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_TRUE(same(loads[0], ContainerLoad{ids[0], 2, 0, 10, false, 1, 4}));
  EXPECT_TRUE(same(loads[1], ContainerLoad{ids[2], 1, 1, 12, true, std::numeric_limits<std::int32_t>::max(), 4}));
  EXPECT_EQ(state.slot(ids[2]).active, 1);
  EXPECT_EQ(state.slot(ids[2]).slots, 12);
  EXPECT_FALSE(state.tracked(ids[1]));
}

// After any sequence of starts, removals and changes of a container's running invocations, slots,
// readiness and worker cap, each function's kept loads are the list a rebuild from the slots and the
// cluster gives, and a model's (containers in the order they started, the removed ones gone); and each
// function's count of containers that could lend a worker (HyperFaaS's rule) is the count afresh.
RC_GTEST_PROP(ScalingStateProperty, KeptLoadsEqualARebuild, ()) {
  const auto functions = *rc::gen::inRange<std::uint32_t>(1, 5);
  const auto nodes = *rc::gen::inRange<std::uint32_t>(1, 6);
  Cluster cluster(nodes, 1 << 20, 64, functions);
  const policy::HyperFaaSScaling lender(policy::HyperFaaSParams{});
  ScalingState state(functions, &lender);
  std::map<model::FunctionId, std::vector<ContainerLoad>> model;
  const auto find = [&](model::ContainerId id) -> ContainerLoad& {
    for (auto& [fn, list] : model)
      for (ContainerLoad& l : list)
        if (l.id == id) return l;
    RC_FAIL("container not in the model");
  };
  std::vector<model::ContainerId> live;
  const auto steps = *rc::gen::inRange(1, 300);
  std::vector<ContainerLoad> rebuilt;
  for (int step = 0; step < steps; ++step) {
    const int op = live.empty() ? 0 : *rc::gen::inRange(0, 9);
    if (op == 0) {
      const auto fn = *rc::gen::inRange<model::FunctionId>(0, functions);
      const auto node = *rc::gen::inRange<model::NodeId>(0, nodes);
      const auto slots = *rc::gen::inRange(1, 20);
      const auto cores = *rc::gen::element(1, 4, policy::kUnlimitedCores);
      const model::ContainerId id = cluster.create(node, fn, model::RuntimeKind{}, 64, model::ContainerState::kStarting);
      state.add(fn, id, node, slots, cores, step);
      model[fn].push_back(ContainerLoad{id, node, 0, slots, false, std::numeric_limits<std::int32_t>::max(), cores});
      live.push_back(id);
      continue;
    }
    const std::size_t pick = *rc::gen::inRange<std::size_t>(0, live.size());
    const model::ContainerId id = live[pick];
    ContainerLoad& m = find(id);
    switch (op) {
      case 1: {  // destroyed
        std::vector<ContainerLoad>& list = model[state.slot(id).function];
        list.erase(std::find_if(list.begin(), list.end(), [&](const ContainerLoad& l) { return l.id == id; }));
        state.remove(id);
        cluster.destroy(id);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(pick));
        break;
      }
      case 2:
        state.set_ready(id);
        m.ready = true;
        break;
      case 3:
      case 4: {  // an invocation starts or ends
        const int delta = op == 3 || m.active == 0 ? +1 : -1;
        state.add_active(id, delta);
        m.active += delta;
        break;
      }
      case 5: {
        const auto slots = *rc::gen::inRange(1, 40);
        state.set_slots(id, slots);
        m.slots = slots;
        break;
      }
      case 6:
        state.set_max_slots(id, 1);
        m.max_slots = 1;
        break;
      case 7:  // lends to a guest, or stops
        state.set_lent_to(id, *rc::gen::arbitrary<bool>() ? std::optional<model::ContainerId>(id + 1) : std::nullopt);
        break;
      case 8:  // a guest of some host
        state.set_host(id, id + 1);
        break;
    }
    for (model::FunctionId fn = 0; fn < functions; ++fn) {
      const std::vector<ContainerLoad> loads = kept(state, fn);
      state.rebuild_loads(fn, cluster, rebuilt);
      const std::vector<ContainerLoad>& expected = model[fn];
      RC_ASSERT(loads.size() == expected.size());
      RC_ASSERT(rebuilt.size() == expected.size());
      std::int32_t lendable = 0;
      for (std::size_t i = 0; i < loads.size(); ++i) {
        RC_ASSERT(same(loads[i], expected[i]));
        RC_ASSERT(same(loads[i], rebuilt[i]));
        const ScalingState::Slot& s = state.slot(loads[i].id);
        const bool could = s.ready && !s.lent_to && !s.host && lender.lends(loads[i]);
        RC_ASSERT(s.lendable == could);
        lendable += could ? 1 : 0;
      }
      RC_ASSERT(state.lendable(fn) == lendable);
    }
  }
}

// The functions for_each_lender visits are those of tracked_functions() with a container that could lend,
// in that order, after any sequence of starts, removals, readiness and load changes, concurrency changes
// (tracking functions) and untrack_quiet (moving every position): many functions, so that the bit set
// spans several words; and a visit returning false stops the walk there.
RC_GTEST_PROP(ScalingStateProperty, LendersAreTheTrackedFunctionsThatCouldLendInOrder, ()) {
  const auto functions = *rc::gen::inRange<std::uint32_t>(1, 400);
  Cluster cluster(4, 1 << 20, 64, functions);
  const policy::HyperFaaSScaling lender(policy::HyperFaaSParams{});
  ScalingState state(functions, &lender);
  std::vector<model::ContainerId> live;
  const auto steps = *rc::gen::inRange(1, 600);
  for (int step = 0; step < steps; ++step) {
    const int op = live.empty() ? *rc::gen::element(0, 6) : *rc::gen::inRange(0, 7);
    const auto fn = *rc::gen::inRange<model::FunctionId>(0, functions);
    if (op == 0) {
      const auto node = *rc::gen::inRange<model::NodeId>(0, 4);
      const model::ContainerId id = cluster.create(node, fn, model::RuntimeKind{}, 64, model::ContainerState::kStarting);
      state.add(fn, id, node, 10, 10, step);
      live.push_back(id);
    } else if (op == 5) {
      state.untrack_quiet();
    } else if (op == 6) {
      const int delta = state.concurrency(fn) > 0 && *rc::gen::arbitrary<bool>() ? -1 : +1;
      state.change_concurrency(fn, delta, step);
    } else {
      const std::size_t pick = *rc::gen::inRange<std::size_t>(0, live.size());
      const model::ContainerId id = live[pick];
      if (op == 1) {
        state.remove(id);
        cluster.destroy(id);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(pick));
      } else if (op == 2) {
        state.set_ready(id);
      } else if (op == 3) {
        state.add_active(id, state.slot(id).active == 0 || *rc::gen::arbitrary<bool>() ? +6 : -6);
      } else {
        state.set_lent_to(id, *rc::gen::arbitrary<bool>() ? std::optional<model::ContainerId>(id + 1) : std::nullopt);
      }
    }
    std::vector<model::FunctionId> expected, visited;
    for (model::FunctionId f : state.tracked_functions())
      if (state.lendable(f) > 0) expected.push_back(f);
    state.for_each_lender([&](model::FunctionId f) {
      visited.push_back(f);
      return true;
    });
    RC_ASSERT(visited == expected);
    if (!expected.empty()) {  // stopping at the k-th
      const std::size_t k = *rc::gen::inRange<std::size_t>(0, expected.size());
      std::size_t seen = 0;
      state.for_each_lender([&](model::FunctionId) { return seen++ < k; });
      RC_ASSERT(seen == k + 1);
    }
  }
}

}  // namespace
}  // namespace hearth::sim
