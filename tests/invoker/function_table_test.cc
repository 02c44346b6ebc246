#include "invoker/function_table.h"

#include <gtest/gtest.h>

#include "invoker/latency_metric.h"

namespace hearth::invoker {
namespace {

net::ActionRecord action(const std::string& ns, const std::string& name, const std::string& kind, std::int64_t memory) {
  net::ActionRecord a;
  a.ns = ns;
  a.name = name;
  a.kind = kind;
  a.memory_mb = memory;
  return a;
}

TEST(FunctionTable, DenseIdsPerNamespacedActionAndMemoryUpdatesInPlace) {
  FunctionTable t;
  bool added = false;
  EXPECT_EQ(t.id_of(action("a", "f", "python:3", 256), &added), 0u);
  EXPECT_TRUE(added);
  EXPECT_EQ(t.id_of(action("b", "f", "nodejs:20", 128), &added), 1u);  // same name, other namespace
  EXPECT_TRUE(added);
  EXPECT_EQ(t.id_of(action("a", "f", "python:3", 512), &added), 0u);
  EXPECT_FALSE(added);
  EXPECT_EQ(t[0].memory_mb, 512);
  EXPECT_EQ(t[0].cpu_millicores, 0);
  net::ActionRecord limited = action("a", "f", "python:3", 512);
  limited.cpu_millicores = 500;
  EXPECT_EQ(t.id_of(limited, &added), 0u);  // an update's CPU limit, in place too
  EXPECT_EQ(t[0].cpu_millicores, 500);
  EXPECT_EQ(t[0].name, "a/f");
  EXPECT_EQ(t[1].runtime, model::RuntimeKind::kNodejs);
  EXPECT_EQ(t.find("b/f"), 1);
  EXPECT_EQ(t.find("c/f"), -1);
  EXPECT_EQ(t.specs().size(), 2u);
  EXPECT_EQ(runtime_of("native"), model::RuntimeKind::kNative);
}

TEST(FunctionTable, ColdStartIsTheMeanOfThoseMeasured) {
  FunctionTable t;
  bool added = false;
  t.id_of(action("a", "f", "python:3", 128), &added);
  EXPECT_EQ(t[0].cold_start_us, 0);  // none measured yet
  t.observe_cold_start(0, 1'000'000);
  EXPECT_EQ(t[0].cold_start_us, 1'000'000);
  t.observe_cold_start(0, 2'000'000);
  t.observe_cold_start(0, 3'000'000);
  EXPECT_EQ(t[0].cold_start_us, 2'000'000);  // (1 + 2 + 3) / 3 s
  t.id_of(action("a", "f", "python:3", 256), &added);  // an update keeps what was measured
  EXPECT_EQ(t[0].cold_start_us, 2'000'000);
}

TEST(LatencyMetric, CumulativeBucketsSumAndCount) {
  LatencyMetric m;
  m.observe(100);      // ≤ 250 µs
  m.observe(3000);     // ≤ 5 ms
  m.observe(20'000'000);  // above every bound
  std::string out;
  m.render("x", out);
  EXPECT_NE(out.find("# TYPE x histogram\n"), std::string::npos);
  EXPECT_NE(out.find("x_bucket{le=\"0.00025\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"0.005\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"10\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_count 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_sum 20.0031"), std::string::npos) << out;
}

}  // namespace
}  // namespace hearth::invoker
