#include "trace/synth.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <stdexcept>

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
  // The model's mean rates (the measured trace is checked in synth_calibration_test.cc): an app's rate is the
  // sum of its functions'. 45 % of apps at most once an hour, 81 % at most once a minute, the most popular
  // 18.6 % of apps making 99.6 % of invocations (Shahrad et al. §3.3); tolerances: 3 points, and 99 % for the
  // share (a log-normal's top share is dominated by its few largest draws).
  SynthOptions o;
  o.functions = 20000;
  const auto fns = synth_functions(o);
  std::map<model::AppId, double> app_per_day;
  double lo = 1e18, hi = 0;
  for (const auto& f : fns) {
    app_per_day[f.spec.app] += f.rate_per_minute * 1440;
    lo = std::min(lo, f.rate_per_minute);
    hi = std::max(hi, f.rate_per_minute);
  }
  std::vector<double> apps;
  double hourly = 0, minutely = 0, total = 0;
  for (const auto& [app, per_day] : app_per_day) {
    apps.push_back(per_day);
    hourly += per_day <= 24;
    minutely += per_day <= 1440;
    total += per_day;
  }
  std::sort(apps.rbegin(), apps.rend());
  double top = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(0.186 * static_cast<double>(apps.size())); ++i) top += apps[i];
  EXPECT_NEAR(hourly / static_cast<double>(apps.size()), 0.45, 0.03);
  EXPECT_NEAR(minutely / static_cast<double>(apps.size()), 0.81, 0.03);
  EXPECT_GT(top / total, 0.99);
  EXPECT_GE(std::log10(hi / lo), 8.0);  // "an 8-order-of-magnitude range"
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

TEST(Synth, ModulationByHand) {
  SynthOptions o;
  o.daily_amplitude = 0.5;
  o.weekly_amplitude = 0.3;
  o.special_days = {{4, 2.0}};
  const auto at = [](double day, double hour) {
    return static_cast<model::Micros>((day * 24 + hour) * static_cast<double>(model::kMicrosPerHour));
  };
  // Day 1 (index 0) 15:00: daily peak (fraction 0.625) 1.5; week fraction (15/24)/7 = 0.0893: 1 + 0.3 sin(2π(−0.2857)).
  EXPECT_NEAR(synth_modulation(o, at(0, 15)), 1.5 * (1 + 0.3 * std::sin(2 * std::numbers::pi * (15.0 / 24 / 7 - 0.375))), 1e-12);
  // Day 1 03:00: daily trough 0.5.
  EXPECT_NEAR(synth_modulation(o, at(0, 3)), 0.5 * (1 + 0.3 * std::sin(2 * std::numbers::pi * (3.0 / 24 / 7 - 0.375))), 1e-12);
  // Day 4 (index 3) 09:00: daily factor 1 (fraction 0.375), week fraction (3 + 0.375)/7, times the special 2.
  EXPECT_NEAR(synth_modulation(o, at(3, 9)), 2 * (1 + 0.3 * std::sin(2 * std::numbers::pi * (3.375 / 7 - 0.375))), 1e-12);
  EXPECT_NEAR(synth_modulation_max(o), 1.5 * 1.3 * 2, 1e-12);
  // Defaults: the original diurnal curve, peak 4/3.
  EXPECT_EQ(synth_modulation_max(SynthOptions{}), 4.0 / 3.0);
  EXPECT_NEAR(synth_modulation(SynthOptions{}, at(2, 15)), 4.0 / 3.0, 1e-12);
}

TEST(Synth, CountsFollowTheDailyWeeklyAndSpecialDayCycles) {
  SynthOptions o;
  o.functions = 60;  // about 72,000 arrivals of Poisson functions in 14 days at seed 1
  o.minutes = 14 * 1440;
  o.daily_amplitude = 0.5;
  o.weekly_amplitude = 0.3;
  o.special_days = {{4, 2.0}};
  const auto fns = synth_functions(o);
  Workload w = synth_workload(o);
  // Arrivals of the Poisson functions (neither timers nor bursty) per day and per hour of day.
  std::vector<double> per_day(14, 0), per_hour(24, 0);
  std::vector<model::Invocation> batch;
  double total = 0;
  while (w.invocations->next_batch(batch)) {
    for (const auto& inv : batch) {
      if (fns[inv.function].timer_period_us > 0 || fns[inv.function].on_fraction < 1) continue;
      per_day[static_cast<std::size_t>(inv.arrival_us / (24 * model::kMicrosPerHour))] += 1;
      per_hour[static_cast<std::size_t>(inv.arrival_us / model::kMicrosPerHour % 24)] += 1;
      total += 1;
    }
  }
  ASSERT_GT(total, 50000);
  // Expected shares: the modulation integrated per day / per hour (minute steps).
  std::vector<double> day_weight(14, 0), hour_weight(24, 0);
  double weight = 0;
  for (std::int64_t m = 0; m < o.minutes; ++m) {
    const double v = synth_modulation(o, m * model::kMicrosPerMinute + model::kMicrosPerMinute / 2);
    day_weight[static_cast<std::size_t>(m / 1440)] += v;
    hour_weight[static_cast<std::size_t>(m / 60 % 24)] += v;
    weight += v;
  }
  for (std::size_t d = 0; d < 14; ++d) EXPECT_NEAR(per_day[d] / total, day_weight[d] / weight, 0.1 * day_weight[d] / weight) << d;
  for (std::size_t h = 0; h < 24; ++h) EXPECT_NEAR(per_hour[h] / total, hour_weight[h] / weight, 0.1 * hour_weight[h] / weight) << h;
  // The special day (4) against the same weekday a week later (11): twice the arrivals.
  EXPECT_NEAR(per_day[3] / per_day[10], 2.0, 0.2);
  // Peak hour (15:00) against the trough (03:00): (1 + 0.5) / (1 − 0.5) = 3, roughly.
  EXPECT_NEAR(per_hour[15] / per_hour[3], 3.0, 0.4);
}

TEST(Synth, RejectsBadCycleOptions) {
  SynthOptions o;
  o.daily_amplitude = 1.0;
  EXPECT_THROW(synth_functions(o), std::invalid_argument);
  o.daily_amplitude = 0.5;
  o.special_days = {{0, 2.0}};
  EXPECT_THROW(synth_functions(o), std::invalid_argument);
  o.special_days = {{3, 0.0}};
  EXPECT_THROW(synth_functions(o), std::invalid_argument);
}

TEST(Synth, CountsMatchTheExpectedRates) {
  // Over 6 hours with a weekly cycle and a special day on the 1st, each steady function's count (the
  // per-minute Poisson path, trace/synth_source.h) is Poisson with mean rate × the modulation's integral:
  // within 5 standard deviations for all but 1 in 10^5 or so; and the whole trace's count within 1 % of
  // synth_expected_invocations (the bursty functions' on/off periods add variance beyond Poisson).
  SynthOptions o;
  o.functions = 3000;
  o.minutes = 360;
  o.weekly_amplitude = 0.2;
  o.special_days = {{1, 1.5}};
  const auto fns = synth_functions(o);
  Workload w = synth_workload(o);
  std::vector<double> counts(fns.size());
  std::vector<model::Invocation> batch;
  double total = 0;
  while (w.invocations->next_batch(batch)) {
    for (const auto& inv : batch) ++counts[inv.function];
    total += static_cast<double>(batch.size());
  }
  const double expected_total = synth_expected_invocations(o, fns);
  EXPECT_NEAR(total / expected_total, 1.0, 0.01);
  int steady = 0, outside = 0;
  for (const auto& f : fns) {
    if (f.timer_period_us > 0 || f.on_fraction < 1 || f.rate_per_minute < 1) continue;
    const double expected = synth_expected_invocations(o, {f});
    ++steady;
    if (std::fabs(counts[f.spec.id] - expected) > 5 * std::sqrt(expected)) ++outside;
  }
  EXPECT_GT(steady, 100);
  EXPECT_EQ(outside, 0);
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
      if (i > 0 && x[i].arrival_us == x[i - 1].arrival_us) RC_ASSERT(x[i].function >= x[i - 1].function);  // a fast function may repeat a µs
      RC_ASSERT(x[i].arrival_us < o.minutes * model::kMicrosPerMinute);
      RC_ASSERT(x[i].id == id++);
      last = x[i].arrival_us;
    }
  }
  RC_ASSERT(!b.invocations->next_batch(y));
}

}  // namespace
}  // namespace hearth::trace
