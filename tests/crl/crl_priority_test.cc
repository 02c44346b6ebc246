// CRL's priorities are Incendio's priority model over a Function Info Table: in the training history
// (make_history) and in the scheduler (fed by the engine's hooks). Hand-worked cases with one-factor
// linear specs, so each expected number is the factor itself.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "crl/crl_history.h"
#include "crl/crl_scheduler.h"

namespace hearth::crl {
namespace {

// f0 arrives 5 times in every minute; f1 once, in minute 0 only (at 30 s: arrivals spread over the minute).
trace::ArrivalCounts counts(std::int64_t minutes) {
  trace::ArrivalCounts c;
  c.minutes = minutes;
  c.functions = 2;
  c.counts.assign(static_cast<std::size_t>(minutes) * 2, 0);
  for (std::int64_t m = 0; m < minutes; ++m) c.counts[static_cast<std::size_t>(m) * 2] = 5;
  c.counts[1] = 1;
  return c;
}

std::vector<model::FunctionSpec> two_specs() {
  std::vector<model::FunctionSpec> s(2);
  s[0].id = 0, s[0].name = "f0", s[0].memory_mb = 256, s[0].cold_start_us = 1'000'000;
  s[1].id = 1, s[1].name = "f1", s[1].memory_mb = 512, s[1].cold_start_us = 2'000'000;
  return s;
}

TEST(CrlHistory, PrioritiesAreTheModelOverTheTableAtEachMinutesEnd) {
  const std::vector<model::FunctionSpec> specs = two_specs();
  const std::vector<model::FunctionId> chosen = {0, 1};
  // Freq = arrivals over the last 10 minutes / 10; the history starts at minute 2, but the table has seen
  // minutes 0 and 1 too.
  const CrlHistory freq = make_history(specs, chosen, counts(14), 2, 14, "linear:freq=1,eps=0");
  ASSERT_EQ(freq.minutes, 12);
  EXPECT_EQ(freq.priority_spec, "linear:freq=1,eps=0");
  EXPECT_DOUBLE_EQ(freq.priority(0, 0), 1.5);   // end of minute 2: 15 arrivals / 10
  EXPECT_DOUBLE_EQ(freq.priority(7, 0), 5.0);   // end of minute 9: 50 / 10
  EXPECT_DOUBLE_EQ(freq.priority(11, 0), 5.0);  // end of minute 13: still 50 in the window
  EXPECT_DOUBLE_EQ(freq.priority(0, 1), 0.1);   // f1's one arrival
  EXPECT_DOUBLE_EQ(freq.priority(11, 1), 0.0);  // left the window
  EXPECT_DOUBLE_EQ(freq.functions[0].priority, 5.0);  // as of the last minute
  EXPECT_DOUBLE_EQ(freq.max_priority(), 5.0);
  EXPECT_FLOAT_EQ(freq.at(0, 0), 5.f);
  // Clock = minutes since the last arrival: f1's only one was at 30 s; the end of minute 2 is 180 s − 1 µs.
  const CrlHistory clock = make_history(specs, chosen, counts(4), 2, 4, "linear:clock=1,eps=0");
  EXPECT_NEAR(clock.priority(0, 1), 2.5, 1e-6);
  EXPECT_NEAR(clock.priority(1, 1), 3.5, 1e-6);
  EXPECT_THROW(make_history(specs, chosen, counts(4), 0, 4, "param9"), std::invalid_argument);
}

// The scheduler's own table, fed through its hooks: priority() is what the knapsack schedulers see.
class Probe final : public CrlScheduler {
 public:
  using CrlScheduler::CrlScheduler;
  double priority_of(model::FunctionId fn, model::Micros now) { return priority(fn, now); }
};

TEST(CrlScheduler, PriorityComesFromItsFunctionInfoTable) {
  CrlModel m;
  m.functions = {{"f0", 256, 0.5, 1.0}};
  m.priority_spec = "linear:freq=1,eps=0";
  m.hidden = {4};
  m.centroids = {{1.0}};
  m.networks.emplace_back(m.shape(), 1);
  Probe s(std::make_shared<const CrlModel>(std::move(m)));
  for (const model::FunctionSpec& fn : two_specs()) s.on_function_added(fn);
  const std::vector<model::FunctionSpec> specs = two_specs();
  EXPECT_DOUBLE_EQ(s.priority_of(0, 0), 0.0);
  for (int k = 0; k < 20; ++k) {
    const model::Micros now = 1'000'000 * k;
    s.on_arrival({static_cast<model::InvocationId>(k), 0, now, 0}, specs[0], now);
  }
  EXPECT_DOUBLE_EQ(s.priority_of(0, 20'000'000), 2.0);  // 20 arrivals in the 10-minute window / 10
  EXPECT_DOUBLE_EQ(s.priority_of(1, 20'000'000), 0.0);  // a function outside the model has a row too
}

}  // namespace
}  // namespace hearth::crl
