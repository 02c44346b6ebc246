#include <gtest/gtest.h>

#include "policy/openwhisk_prewarm.h"
#include "policy/registry.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

model::Container cold_container(model::NodeId node, model::RuntimeKind r, model::MegaBytes memory) {
  model::Container c;
  c.node = node;
  c.runtime = r;
  c.memory_mb = memory;
  return c;
}

int desired(const std::vector<PrewarmTarget>& targets, model::NodeId node, model::RuntimeKind r) {
  for (const auto& t : targets)
    if (t.node == node && t.runtime == r) return t.desired;
  return -1;
}

TEST(OpenWhiskPrewarm, InitialThenReactiveDesiredCounts) {
  PolicyContext ctx;
  ctx.node_count = 2;
  auto p = make_prewarm("openwhisk", ctx);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->tick_interval(), model::kMicrosPerMinute);
  testing::FakeCluster cluster(2);
  const auto first = p->on_tick(cluster, 0);
  EXPECT_EQ(desired(first, 0, model::RuntimeKind::kNodejs), 2);  // initialCount
  EXPECT_EQ(desired(first, 1, model::RuntimeKind::kPython), 2);
  EXPECT_EQ(first[0].memory_mb, 256);
  EXPECT_EQ(first[0].ttl_us, 2 * model::kMicrosPerMinute);
  // Node 0: 3 nodejs cold starts (one too big for the 256 MB stem cell), one warm start.
  for (int i = 0; i < 3; ++i) p->on_start(cold_container(0, model::RuntimeKind::kNodejs, 128), model::StartKind::kCold, 1);
  p->on_start(cold_container(0, model::RuntimeKind::kNodejs, 512), model::StartKind::kCold, 1);
  p->on_start(cold_container(0, model::RuntimeKind::kNodejs, 128), model::StartKind::kWarm, 1);
  const auto second = p->on_tick(cluster, model::kMicrosPerMinute);
  EXPECT_EQ(desired(second, 0, model::RuntimeKind::kNodejs), 3);  // min(max(1, 3/1×1), 4)
  EXPECT_EQ(desired(second, 0, model::RuntimeKind::kPython), 1);  // minCount
  EXPECT_EQ(desired(second, 1, model::RuntimeKind::kNodejs), 1);
  for (int i = 0; i < 9; ++i) p->on_start(cold_container(1, model::RuntimeKind::kNodejs, 64), model::StartKind::kCold, 2);
  const auto third = p->on_tick(cluster, 2 * model::kMicrosPerMinute);
  EXPECT_EQ(desired(third, 1, model::RuntimeKind::kNodejs), 4);  // capped at maxCount
  EXPECT_EQ(desired(third, 0, model::RuntimeKind::kNodejs), 1);  // counts reset every tick
}

TEST(OpenWhiskPrewarm, ThresholdAndIncrement) {
  PolicyContext ctx;
  ctx.node_count = 1;
  auto p = make_prewarm("openwhisk:runtimes=python,threshold=2,increment=3,max=10", ctx);
  testing::FakeCluster cluster(1);
  p->on_tick(cluster, 0);
  for (int i = 0; i < 5; ++i) p->on_start(cold_container(0, model::RuntimeKind::kPython, 100), model::StartKind::kCold, 1);
  const auto t = p->on_tick(cluster, model::kMicrosPerMinute);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].desired, 6);  // (5 / 2) × 3
}

TEST(Registry, NamesPresetsAndErrors) {
  PolicyContext ctx;
  EXPECT_EQ(make_prewarm("none", ctx), nullptr);
  EXPECT_THROW(make_prewarm("openwhisk:runtimes=cobol", ctx), std::invalid_argument);
  try {
    make_keepalive("nope", ctx);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("greedy-dual"), std::string::npos) << e.what();  // lists valid names
  }
  for (const char* preset : {"openwhisk", "ttl", "faascache", "hybrid-histogram"}) {
    const Preset* p = find_preset(preset);
    ASSERT_NE(p, nullptr) << preset;
    EXPECT_NO_THROW(make_placement(p->placement, ctx));
    EXPECT_NO_THROW(make_keepalive(p->keepalive, ctx));
    EXPECT_NO_THROW(make_prewarm(p->prewarm, ctx));
  }
  for (const PolicyInfo& info : all_policies())
    for (const ParamDef& d : info.params) EXPECT_FALSE(d.default_value.empty()) << info.name << "." << d.name;
}

}  // namespace
}  // namespace hearth::policy
