#include "trace/synth.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "tests/trace/temp_dir.h"
#include "trace/azure2019_reader.h"

namespace hearth::trace {
namespace {

TEST(Synth, TriggerMixMatchesAzure) {
  SynthOptions o;
  o.functions = 20000;
  const auto fns = synth_functions(o);
  std::map<model::Trigger, double> share;
  for (const auto& f : fns) share[f.spec.trigger] += 1.0 / static_cast<double>(fns.size());
  EXPECT_NEAR(share[model::Trigger::kHttp], 0.55, 0.02);
  EXPECT_NEAR(share[model::Trigger::kTimer], 0.156, 0.015);
  EXPECT_NEAR(share[model::Trigger::kQueue], 0.152, 0.015);
}

TEST(Synth, PopularityCalibration) {
  SynthOptions o;
  o.functions = 20000;
  const auto fns = synth_functions(o);
  double hourly = 0, minutely = 0, lo = 1e18, hi = 0;
  for (const auto& f : fns) {
    hourly += f.rate_per_minute <= 1.0 / 60;
    minutely += f.rate_per_minute <= 1.0;
    lo = std::min(lo, f.rate_per_minute);
    hi = std::max(hi, f.rate_per_minute);
  }
  // Timers round their rate to a period, so allow a few points of slack.
  EXPECT_NEAR(hourly / fns.size(), 0.45, 0.04);
  EXPECT_NEAR(minutely / fns.size(), 0.81, 0.04);
  EXPECT_GE(std::log10(hi / lo), 7.0);  // spans about 8 orders of magnitude
}

TEST(Synth, MemoryAndExecutionDistributions) {
  SynthOptions o;
  o.functions = 20000;
  std::vector<double> exec_s;
  for (const auto& f : synth_functions(o)) exec_s.push_back(static_cast<double>(f.spec.warm_us) / 1e6);
  std::nth_element(exec_s.begin(), exec_s.begin() + exec_s.size() / 2, exec_s.end());
  EXPECT_NEAR(exec_s[exec_s.size() / 2], std::exp(-0.38), 0.1);  // log-normal median = e^μ
}

TEST(Synth, WrittenLayoutReadsBack) {
  hearth::testing::TempDir d;
  SynthOptions o;
  o.functions = 30;
  o.minutes = 1500;  // two day files, the second partial
  write_synth_azure2019(o, d.str());
  Workload back = load_azure2019(d.str(), TraceOptions{});
  Workload direct = synth_workload(o);
  EXPECT_EQ(back.functions.size(), 30u);
  std::vector<model::Invocation> batch;
  std::uint64_t n_back = 0, n_direct = 0;
  while (back.invocations->next_batch(batch)) n_back += batch.size();
  while (direct.invocations->next_batch(batch)) n_direct += batch.size();
  EXPECT_EQ(n_back, n_direct);
  EXPECT_EQ(back.invocations->span_us(), 1500 * model::kMicrosPerMinute);
}

RC_GTEST_PROP(SynthProperty, DeterministicAndOrdered, ()) {
  SynthOptions o;
  o.functions = *rc::gen::inRange(1u, 60u);
  o.minutes = *rc::gen::inRange<std::int64_t>(1, 30);
  o.seed = *rc::gen::inRange<std::uint64_t>(0, 1000);
  Workload a = synth_workload(o), b = synth_workload(o);
  std::vector<model::Invocation> x, y;
  model::Micros last = 0;
  std::uint64_t id = 0;
  while (a.invocations->next_batch(x)) {
    RC_ASSERT(b.invocations->next_batch(y));
    RC_ASSERT(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      RC_ASSERT(x[i].arrival_us == y[i].arrival_us);
      RC_ASSERT(x[i].function == y[i].function);
      RC_ASSERT(x[i].arrival_us >= last);
      RC_ASSERT(x[i].arrival_us < o.minutes * model::kMicrosPerMinute);
      RC_ASSERT(x[i].id == id++);
      last = x[i].arrival_us;
    }
  }
  RC_ASSERT(!b.invocations->next_batch(y));
}

}  // namespace
}  // namespace hearth::trace
