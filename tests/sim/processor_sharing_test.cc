// ProcessorSharing by hand (GPS finish instants on one and several cores, with and without CPU weights and
// the one-core cap) and against a direct simulation of weighted processor sharing (every job's remaining
// work advanced at every step, rates water-filled from scratch) on random jobs and weights.
#include "sim/processor_sharing.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace hearth::sim {
namespace {

using model::seconds;
using model::millis;

// Advances to the next finish and returns the jobs done there, in order.
std::vector<std::uint32_t> step(ProcessorSharing& cpu, model::Micros* at) {
  *at = cpu.next_finish();
  cpu.advance(*at);
  std::vector<std::uint32_t> done;
  for (std::uint32_t j; cpu.pop_done(&j);) done.push_back(j);
  return done;
}

// The jobs done at each of the next finish instants, in order.
struct Finish {
  std::vector<std::uint32_t> jobs;
  model::Micros at;
};
void expect_finishes(ProcessorSharing& cpu, const std::vector<Finish>& finishes) {
  for (const Finish& f : finishes) {
    model::Micros at = 0;
    EXPECT_EQ(step(cpu, &at), f.jobs);
    EXPECT_EQ(at, f.at);
  }
}

TEST(ProcessorSharing, TwoEqualJobsOnOneCoreFinishTogetherAtTwiceTheirWork) {
  ProcessorSharing cpu(1);
  cpu.advance(0);
  cpu.add(7, seconds(1));
  cpu.add(8, seconds(1));
  EXPECT_DOUBLE_EQ(cpu.rate(), 0.5);
  model::Micros at = 0;
  EXPECT_EQ(step(cpu, &at), (std::vector<std::uint32_t>{7, 8}));
  EXPECT_EQ(at, seconds(2));
  EXPECT_EQ(cpu.next_finish(), model::kNever);
}

TEST(ProcessorSharing, ALaterJobSlowsTheFirstOnlyWhileBothRun) {
  // A (1 s) alone for 0.5 s, then A and B (2 s) at half speed: A's last 0.5 s takes 1 s (done at 1.5 s);
  // B has 0.5 s done by then and runs its last 1.5 s alone (done at 3 s).
  ProcessorSharing cpu(1);
  cpu.add(0, seconds(1));
  EXPECT_EQ(cpu.next_finish(), seconds(1));
  cpu.advance(millis(500));
  cpu.add(1, seconds(2));
  model::Micros at = 0;
  EXPECT_EQ(step(cpu, &at), std::vector<std::uint32_t>{0});
  EXPECT_EQ(at, millis(1500));
  EXPECT_EQ(step(cpu, &at), std::vector<std::uint32_t>{1});
  EXPECT_EQ(at, seconds(3));
}

TEST(ProcessorSharing, NoJobRunsFasterThanOneCore) {
  ProcessorSharing cpu(4);
  cpu.add(0, seconds(1));
  cpu.add(1, seconds(1));
  EXPECT_DOUBLE_EQ(cpu.rate(), 1.0);
  EXPECT_EQ(cpu.next_finish(), seconds(1));
}

TEST(ProcessorSharing, ThreeJobsOnTwoCoresEachGetTwoThirdsOfACore) {
  ProcessorSharing cpu(2);
  for (std::uint32_t j = 0; j < 3; ++j) cpu.add(j, seconds(3));
  model::Micros at = 0;
  EXPECT_EQ(step(cpu, &at), (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_EQ(at, millis(4500));
}

TEST(ProcessorSharing, AnIdleNodeRestartsItsVirtualClock) {
  ProcessorSharing cpu(1);
  cpu.add(0, seconds(1));
  model::Micros at = 0;
  step(cpu, &at);
  cpu.advance(seconds(100));
  cpu.add(1, 3);
  EXPECT_EQ(cpu.next_finish(), seconds(100) + 3);
}

TEST(ProcessorSharing, FinishInstantsRoundUpToTheMicrosecond) {
  ProcessorSharing cpu(1);
  for (std::uint32_t j = 0; j < 3; ++j) cpu.add(j, 1);  // 3 jobs of 1 µs: exactly done at 3 µs
  EXPECT_EQ(cpu.next_finish(), 3);
  cpu.advance(1);
  cpu.add(3, 1);  // 4 jobs, the first three with 2/3 µs left at rate 1/4: 8/3 µs → done at 1 + 3 µs
  EXPECT_EQ(cpu.next_finish(), 4);
  model::Micros at = 0;
  EXPECT_EQ(step(cpu, &at), (std::vector<std::uint32_t>{0, 1, 2}));  // 3/4 µs received by then
  EXPECT_EQ(at, 4);
}

TEST(ProcessorSharing, WeightsOneToThreeOnOneCoreSplitItAQuarterToThreeQuarters) {
  // A (weight 1, 2 s) at 1/4 core, B (weight 3, 3 s) at 3/4: B is done at 4 s, when A has 1 s done; A
  // then runs alone for its last 1 s (done at 5 s).
  ProcessorSharing cpu(1);
  cpu.add(0, seconds(2), 1);
  cpu.add(1, seconds(3), 3);
  EXPECT_DOUBLE_EQ(cpu.rate(1), 0.25);
  EXPECT_DOUBLE_EQ(cpu.rate(3), 0.75);
  expect_finishes(cpu, {{{1}, seconds(4)}});
  EXPECT_DOUBLE_EQ(cpu.rate(1), 1.0);
  expect_finishes(cpu, {{{0}, seconds(5)}});
  EXPECT_EQ(cpu.running(), 0);
}

TEST(ProcessorSharing, AHeavyJobJoiningEqualOnesTakesItsShareFromThen) {
  // A (weight 1, 2 s) alone for 1 s; then B (weight 3, 1.5 s): A at 1/4, B at 3/4 core. B is done at
  // 1 + 2 = 3 s, A has 1 + 0.5 s done by then and its last 0.5 s alone ends at 3.5 s.
  ProcessorSharing cpu(1);
  cpu.add(0, seconds(2));
  cpu.advance(seconds(1));
  cpu.add(1, millis(1500), 3);
  expect_finishes(cpu, {{{1}, seconds(3)}, {{0}, millis(3500)}});
}

TEST(ProcessorSharing, EqualWeightsOtherThanOneShareAsWeightOneDoes) {
  ProcessorSharing cpu(2);
  for (std::uint32_t j = 0; j < 3; ++j) cpu.add(j, seconds(3), 5);
  EXPECT_DOUBLE_EQ(cpu.rate(5), 2.0 / 3.0);
  expect_finishes(cpu, {{{0, 1, 2}, millis(4500)}});
}

TEST(ProcessorSharing, AHeavyJobIsCappedAtOneCoreAndTheOthersShareTheRest) {
  // Two cores, weights 1, 1, 8: in proportion the heavy job would get 1.6 cores; capped at one, the two
  // light ones share the other core (1/2 each). All 1 s of work: the heavy one is done at 1 s, the light
  // ones (1/2 s done) then run at a core each and are done at 1.5 s.
  ProcessorSharing cpu(2);
  cpu.add(0, seconds(1), 1);
  cpu.add(1, seconds(1), 1);
  cpu.add(2, seconds(1), 8);
  EXPECT_DOUBLE_EQ(cpu.rate(8), 1.0);
  EXPECT_DOUBLE_EQ(cpu.rate(1), 0.5);
  expect_finishes(cpu, {{{2}, seconds(1)}, {{0, 1}, millis(1500)}});
}

TEST(ProcessorSharing, ACapReleasedWhenMoreJobsArriveThenBindsAgain) {
  // Two cores. H (weight 4, 3 s) and L1 (weight 1, 3 s): n <= c, both at one core until 1 s, when L2
  // and L3 (weight 1, 1 s each) join: weights 4,1,1,1 in proportion would give H 8/7 of a core, so H is
  // capped at one and the three light jobs share the other (1/3 each). H's last 2 s end at 3 s, when each
  // light job has 2/3 s more done. From 3 s the three share two cores (2/3 each): L2 and L3 (1/3 s left)
  // are done at 3.5 s, L1 (1 + 2/3 + 1/3 = 2 s done) then runs its last 1 s alone: done at 4.5 s.
  ProcessorSharing cpu(2);
  cpu.add(0, seconds(3), 4);
  cpu.add(1, seconds(3), 1);
  EXPECT_DOUBLE_EQ(cpu.rate(1), 1.0);
  cpu.advance(seconds(1));
  cpu.add(2, seconds(1), 1);
  cpu.add(3, seconds(1), 1);
  EXPECT_DOUBLE_EQ(cpu.rate(4), 1.0);
  EXPECT_DOUBLE_EQ(cpu.rate(1), 1.0 / 3.0);
  expect_finishes(cpu, {{{0}, seconds(3)}});
  EXPECT_DOUBLE_EQ(cpu.rate(1), 2.0 / 3.0);
  expect_finishes(cpu, {{{2, 3}, millis(3500)}, {{1}, millis(4500)}});
}

TEST(ProcessorSharing, FewerJobsThanCoresRunAtOneCoreWhateverTheirWeights) {
  ProcessorSharing cpu(4);
  cpu.add(0, seconds(1), 2);
  cpu.add(1, seconds(2), 200);
  EXPECT_DOUBLE_EQ(cpu.rate(2), 1.0);
  expect_finishes(cpu, {{{0}, seconds(1)}, {{1}, seconds(2)}});
  // Idle again: back to equal weights.
  cpu.advance(seconds(10));
  cpu.add(2, seconds(1));
  EXPECT_EQ(cpu.next_finish(), seconds(11));
}

struct Arrival {
  model::Micros at;
  model::Micros work;
  std::uint32_t weight = 1;
};

// Weighted processor sharing's rates computed directly: all jobs at one core if they fit, else raise a
// common level L, capping every job with L·w >= 1 at one core, until the rest share what is left.
std::vector<double> direct_rates(const std::vector<Arrival>& jobs, const std::vector<std::size_t>& running,
                                 int cores) {
  std::vector<double> rate(running.size(), 1.0);
  if (static_cast<int>(running.size()) <= cores) return rate;
  std::vector<bool> capped(running.size(), false);
  for (bool again = true; again;) {
    again = false;
    double weight = 0, left = cores;
    for (std::size_t i = 0; i < running.size(); ++i) {
      if (capped[i]) left -= 1;
      else weight += jobs[running[i]].weight;
    }
    for (std::size_t i = 0; i < running.size(); ++i) {
      if (capped[i]) continue;
      rate[i] = left / weight * jobs[running[i]].weight;
      if (rate[i] > 1) capped[i] = again = true;
    }
  }
  for (std::size_t i = 0; i < running.size(); ++i)
    if (capped[i]) rate[i] = 1;
  return rate;
}

// Processor sharing simulated directly: between consecutive arrivals and finishes every running job's
// remaining work drops by dt · its rate. Finish instants as doubles.
std::vector<double> direct_finishes(const std::vector<Arrival>& jobs, int cores) {
  std::vector<double> finish(jobs.size(), -1), left(jobs.size(), 0);
  std::vector<std::size_t> running;
  double t = 0;
  std::size_t next = 0;
  while (next < jobs.size() || !running.empty()) {
    const std::vector<double> rate = direct_rates(jobs, running, cores);
    double t_finish = 1e300;
    for (std::size_t i = 0; i < running.size(); ++i) t_finish = std::min(t_finish, t + left[running[i]] / rate[i]);
    const double t_arrival = next < jobs.size() ? static_cast<double>(jobs[next].at) : 1e300;
    const double to = std::min(t_finish, t_arrival);
    for (std::size_t i = 0; i < running.size(); ++i) left[running[i]] -= (to - t) * rate[i];
    t = to;
    if (t_finish <= t_arrival) {
      std::erase_if(running, [&](std::size_t j) {
        if (left[j] > 1e-6) return false;
        finish[j] = t;
        return true;
      });
    } else {
      left[next] = static_cast<double>(jobs[next].work);
      running.push_back(next++);
    }
  }
  return finish;
}

// Jobs with weight 1 (the equal-weights path) or, where `weighted`, random weights (a third of them 1, so
// that nodes switch between the two paths mid-run).
void check_against_direct_simulation(bool weighted) {
  const int cores = *rc::gen::inRange(1, 5);
  const auto weight = weighted ? rc::gen::oneOf(rc::gen::just<std::uint32_t>(1), rc::gen::inRange<std::uint32_t>(1, 5),
                                                rc::gen::inRange<std::uint32_t>(2, 40))
                               : rc::gen::just<std::uint32_t>(1);
  std::vector<Arrival> jobs = *rc::gen::container<std::vector<Arrival>>(
      rc::gen::construct<Arrival>(rc::gen::inRange<model::Micros>(0, 5'000'000),
                                  rc::gen::inRange<model::Micros>(1, 3'000'000), weight));
  std::sort(jobs.begin(), jobs.end(), [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
  const std::vector<double> expected = direct_finishes(jobs, cores);

  ProcessorSharing cpu(cores);
  std::vector<model::Micros> got(jobs.size(), -1);
  std::size_t next = 0;
  while (next < jobs.size() || cpu.running() > 0) {
    const model::Micros finish = cpu.next_finish();
    if (next < jobs.size() && jobs[next].at < finish) {
      cpu.advance(jobs[next].at);
      cpu.add(static_cast<std::uint32_t>(next), jobs[next].work, jobs[next].weight);
      ++next;
    } else {
      cpu.advance(finish);
      for (std::uint32_t j; cpu.pop_done(&j);) got[j] = finish;
    }
  }
  // Each finish instant rounds up by under 1 µs, and the job finished late held its share meanwhile, so
  // the others are late too: each has at most 1 µs of work per finish event up to its own still to do
  // (and 1 µs of its own rounding). A late job that an arrival then slows does that work at its slower
  // rate, so its lateness is bounded by that work at the slowest rate a job can have here:
  // min(1, cores · lightest weight / all weights) (with equal weights min(1, cores / jobs)).
  double weight_sum = 0, lightest = 1e9;
  for (const Arrival& a : jobs) {
    weight_sum += a.weight;
    lightest = std::min<double>(lightest, a.weight);
  }
  const double slowest = std::min(1.0, cores * lightest / std::max(1.0, weight_sum));
  std::vector<double> order = expected;
  std::sort(order.begin(), order.end());
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const auto events_before = static_cast<double>(std::upper_bound(order.begin(), order.end(), expected[j]) -
                                                   order.begin());
    RC_ASSERT(static_cast<double>(got[j]) >= expected[j] - 1e-3);  // never early (beyond rounding)
    RC_ASSERT(static_cast<double>(got[j]) <= expected[j] + (events_before + 1) / slowest + 1e-3);
  }
}

RC_GTEST_PROP(ProcessorSharingProperty, FinishesWhereDirectSimulationDoesUpToRounding, ()) {
  check_against_direct_simulation(false);
}

RC_GTEST_PROP(ProcessorSharingProperty, WeightedFinishesWhereDirectWaterFillingDoesUpToRounding, ()) {
  check_against_direct_simulation(true);
}

}  // namespace
}  // namespace hearth::sim
