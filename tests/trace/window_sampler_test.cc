#include "trace/window_sampler.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

#include "tests/sim/fixed_workload.h"

namespace hearth::trace {
namespace {

using model::Invocation;
using model::Micros;
using model::kMicrosPerSecond;
using sim::testing::call;
using sim::testing::function;

// `count` invocations every `gap_us` from 0; exec_us = the invocation's original index, to track draws.
Workload evenly_spaced(std::size_t count, Micros gap_us) {
  std::vector<Invocation> calls;
  for (std::size_t i = 0; i < count; ++i)
    calls.push_back(call(static_cast<model::FunctionId>(i % 3), static_cast<Micros>(i) * gap_us, static_cast<Micros>(i)));
  return sim::testing::workload({function(0, 128, 1000, 5000), function(1, 128, 1000, 5000), function(2, 128, 1000, 5000)},
                                std::move(calls), static_cast<Micros>(count) * gap_us);
}

std::vector<Invocation> drain(Workload& w) {
  std::vector<Invocation> all, batch;
  while (w.invocations->next_batch(batch)) all.insert(all.end(), batch.begin(), batch.end());
  return all;
}

TEST(WindowSampler, WithoutARateKeepsTheWindowShiftedToZero) {
  Workload w = evenly_spaced(40, 30 * kMicrosPerSecond);  // one every 30 s for 20 minutes
  sample_window(w, WindowOptions{.start_minute = 5, .minutes = 3});
  const std::vector<Invocation> got = drain(w);
  ASSERT_EQ(got.size(), 6u);  // minutes 5.0, 5.5, ..., 7.5
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, i);
    EXPECT_EQ(got[i].arrival_us, static_cast<Micros>(i) * 30 * kMicrosPerSecond);
    EXPECT_EQ(got[i].exec_us, static_cast<Micros>(10 + i));  // original indexes 10..15
  }
  EXPECT_EQ(w.invocations->span_us(), 3 * model::kMicrosPerMinute);
  EXPECT_NE(w.description.find("minutes [5, 8)"), std::string::npos) << w.description;
}

// One minute at 2/s with half of it ramping: N = 2 · 60 · (1 − 0.25) = 90. Λ(t) = t²/30 on the 30-s ramp
// (Λ(30) = 30), then 30 + 2 (t − 30). Draw k arrives at Λ⁻¹(k + ½).
TEST(WindowSampler, RetimesDrawsToTheSlowStartProfile) {
  Workload w = evenly_spaced(600, kMicrosPerSecond / 4);  // 4/s for 150 s: 240 in the first minute
  sample_window(w, WindowOptions{.start_minute = 0, .minutes = 1, .rate_per_s = 2, .ramp_fraction = 0.5});
  const std::vector<Invocation> got = drain(w);
  ASSERT_EQ(got.size(), 90u);
  auto at = [&](std::size_t k) { return static_cast<double>(got[k].arrival_us) / kMicrosPerSecond; };
  EXPECT_NEAR(at(0), std::sqrt(15.0), 1e-5);    // Λ = t²/30 = 0.5
  EXPECT_NEAR(at(29), std::sqrt(885.0), 1e-5);  // Λ = 29.5
  EXPECT_NEAR(at(30), 30.25, 1e-5);             // steady: 30 + (30.5 − 30) / 2
  EXPECT_NEAR(at(89), 59.75, 1e-5);
  // Distinct draws (90 of 240) in the window's order.
  for (std::size_t k = 1; k < got.size(); ++k) EXPECT_LT(got[k - 1].exec_us, got[k].exec_us);
  EXPECT_LT(got.back().exec_us, 240);
}

TEST(WindowSampler, DrawsWithReplacementEvenlyWhenTheRateNeedsMoreThanTheWindowHas) {
  Workload w = evenly_spaced(40, kMicrosPerSecond);  // 40 invocations in the first minute
  sample_window(w, WindowOptions{.minutes = 1, .rate_per_s = 1.5, .ramp_fraction = 0});  // N = 90
  const std::vector<Invocation> got = drain(w);
  ASSERT_EQ(got.size(), 90u);
  std::map<Micros, int> times_drawn;
  for (const Invocation& inv : got) ++times_drawn[inv.exec_us];
  ASSERT_EQ(times_drawn.size(), 40u);
  int thrice = 0;
  for (const auto& [original, n] : times_drawn) {
    EXPECT_TRUE(n == 2 || n == 3) << original << " drawn " << n << " times";
    thrice += n == 3;
  }
  EXPECT_EQ(thrice, 10);  // 90 = 2 · 40 + 10
  EXPECT_NE(w.description.find("with replacement"), std::string::npos);
}

TEST(WindowSampler, PoissonSpreadIsDeterministicPerSeedAndStaysInTheWindow) {
  auto run = [](std::uint64_t seed) {
    Workload w = evenly_spaced(600, kMicrosPerSecond / 4);
    sample_window(w, WindowOptions{.minutes = 1, .rate_per_s = 2, .spread = Spread::kPoisson, .seed = seed});
    return drain(w);
  };
  const auto a = run(7), b = run(7), c = run(8);
  ASSERT_EQ(a.size(), 90u);
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].arrival_us, b[k].arrival_us);
    EXPECT_EQ(a[k].exec_us, b[k].exec_us);
    EXPECT_GE(a[k].arrival_us, k ? a[k - 1].arrival_us : 0);
    EXPECT_LE(a[k].arrival_us, model::kMicrosPerMinute);
  }
  bool differs = false;
  for (std::size_t k = 0; k < a.size(); ++k) differs |= a[k].arrival_us != c[k].arrival_us;
  EXPECT_TRUE(differs);
}

TEST(WindowSampler, RejectsAnEmptyWindowAndBadOptionsWithClearMessages) {
  Workload w = evenly_spaced(10, kMicrosPerSecond);
  try {
    sample_window(w, WindowOptions{.start_minute = 30, .minutes = 10});
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no invocations in minutes [30, 40)"), std::string::npos) << e.what();
  }
  Workload v = evenly_spaced(10, kMicrosPerSecond);
  EXPECT_THROW(sample_window(v, WindowOptions{.minutes = 0}), std::invalid_argument);
  EXPECT_THROW(sample_window(v, WindowOptions{.minutes = 1, .ramp_fraction = 1.5}), std::invalid_argument);
  EXPECT_THROW(sample_window(v, WindowOptions{.minutes = 1, .rate_per_s = -1}), std::invalid_argument);
}

TEST(WindowSampler, RejectsAWindowPastInt64TimeInsteadOfWrappingIt) {
  // 2^56 + 1 minutes is 2^64 · 234375 + 60 s in microseconds: wrapped, it would be a 1-minute window.
  Workload w = evenly_spaced(10, kMicrosPerSecond);
  EXPECT_THROW(sample_window(w, WindowOptions{.minutes = (std::int64_t{1} << 56) + 1}), std::invalid_argument);
  Workload v = evenly_spaced(10, kMicrosPerSecond);
  EXPECT_THROW(sample_window(v, WindowOptions{.start_minute = (std::int64_t{1} << 56) + 1, .minutes = 1}),
               std::invalid_argument);
  Workload u = evenly_spaced(10, kMicrosPerSecond);
  EXPECT_THROW(sample_window(u, WindowOptions{.start_minute = std::numeric_limits<std::int64_t>::max() / model::kMicrosPerMinute,
                                              .minutes = 2}),
               std::invalid_argument);  // each fits, their end does not
}

TEST(WindowSampler, ARateOfferingMoreDrawsThanAWindowHoldsIsAClearError) {
  // 1e300/s: N = rate · D · 0.75 is past int64 (llround's result unspecified) and past any memory.
  Workload w = evenly_spaced(10, kMicrosPerSecond);
  try {
    sample_window(w, WindowOptions{.minutes = 1, .rate_per_s = 1e300});
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("offers"), std::string::npos) << e.what();
  }
  Workload v = evenly_spaced(10, kMicrosPerSecond);
  EXPECT_THROW(sample_window(v, WindowOptions{.minutes = 10, .rate_per_s = 1e12}), std::invalid_argument);
}

// For any window size, rate and ramp: N = round(rate · D · (1 − ramp/2)) draws, ids consecutive, arrivals
// nondecreasing within [0, D], every window invocation drawn ⌊N/W⌋ or ⌈N/W⌉ times, in the window's order.
RC_GTEST_PROP(WindowSamplerProperty, DrawsTheProfilesCountInOrder, ()) {
  const auto window = *rc::gen::inRange<std::size_t>(1, 300);
  const double rate = *rc::gen::inRange(1, 2000) / 100.0;
  const double ramp = *rc::gen::inRange(0, 101) / 100.0;
  const bool poisson = *rc::gen::arbitrary<bool>();
  Workload w = evenly_spaced(window, model::kMicrosPerMinute / static_cast<Micros>(window));
  WindowOptions o{.minutes = 1, .rate_per_s = rate, .ramp_fraction = ramp,
                  .spread = poisson ? Spread::kPoisson : Spread::kUniform, .seed = *rc::gen::arbitrary<std::uint64_t>()};
  const auto n = static_cast<std::size_t>(std::llround(rate * 60 * (1 - ramp / 2)));
  if (n == 0) {
    RC_ASSERT_THROWS_AS(sample_window(w, o), std::invalid_argument);
    return;
  }
  sample_window(w, o);
  const std::vector<Invocation> got = drain(w);
  RC_ASSERT(got.size() == n);
  std::map<Micros, std::size_t> drawn;
  for (std::size_t k = 0; k < got.size(); ++k) {
    RC_ASSERT(got[k].id == k);
    RC_ASSERT(got[k].arrival_us >= 0 && got[k].arrival_us <= model::kMicrosPerMinute + 1);
    if (k) RC_ASSERT(got[k].arrival_us >= got[k - 1].arrival_us);
    if (k) RC_ASSERT(got[k].exec_us >= got[k - 1].exec_us);
    ++drawn[got[k].exec_us];
  }
  for (const auto& [original, times] : drawn) RC_ASSERT(times == n / window || times == n / window + 1);
  if (n >= window) RC_ASSERT(drawn.size() == window);
}

}  // namespace
}  // namespace hearth::trace
