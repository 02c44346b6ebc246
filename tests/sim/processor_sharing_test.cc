// ProcessorSharing by hand (GPS finish instants on one and several cores) and against a direct
// simulation of processor sharing (every job's remaining work advanced at every step) on random jobs.
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
  while (const auto j = cpu.pop_done()) done.push_back(*j);
  return done;
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

struct Arrival {
  model::Micros at;
  model::Micros work;
};

// Processor sharing simulated directly: between consecutive arrivals and finishes every running job's
// remaining work drops by dt · min(1, cores/n). Finish instants as doubles.
std::vector<double> direct_finishes(const std::vector<Arrival>& jobs, int cores) {
  std::vector<double> finish(jobs.size(), -1), left(jobs.size(), 0);
  std::vector<std::size_t> running;
  double t = 0;
  std::size_t next = 0;
  while (next < jobs.size() || !running.empty()) {
    const double rate = running.empty() ? 1 : std::min(1.0, static_cast<double>(cores) / running.size());
    double soonest = 1e300;
    for (std::size_t j : running) soonest = std::min(soonest, left[j]);
    const double t_finish = running.empty() ? 1e300 : t + soonest / rate;
    const double t_arrival = next < jobs.size() ? static_cast<double>(jobs[next].at) : 1e300;
    const double to = std::min(t_finish, t_arrival);
    for (std::size_t j : running) left[j] -= (to - t) * rate;
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

RC_GTEST_PROP(ProcessorSharingProperty, FinishesWhereDirectSimulationDoesUpToRounding, ()) {
  const int cores = *rc::gen::inRange(1, 5);
  std::vector<Arrival> jobs = *rc::gen::container<std::vector<Arrival>>(
      rc::gen::construct<Arrival>(rc::gen::inRange<model::Micros>(0, 5'000'000),
                                  rc::gen::inRange<model::Micros>(1, 3'000'000)));
  std::sort(jobs.begin(), jobs.end(), [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
  const std::vector<double> expected = direct_finishes(jobs, cores);

  ProcessorSharing cpu(cores);
  std::vector<model::Micros> got(jobs.size(), -1);
  std::size_t next = 0;
  while (next < jobs.size() || cpu.running() > 0) {
    const model::Micros finish = cpu.next_finish();
    if (next < jobs.size() && jobs[next].at < finish) {
      cpu.advance(jobs[next].at);
      cpu.add(static_cast<std::uint32_t>(next), jobs[next].work);
      ++next;
    } else {
      cpu.advance(finish);
      while (const auto j = cpu.pop_done()) got[*j] = finish;
    }
  }
  // Each finish instant rounds up by under 1 µs, and the job finished late held its share meanwhile, so
  // the others are late too: by at most 1 µs per finish event up to theirs.
  std::vector<double> order = expected;
  std::sort(order.begin(), order.end());
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const auto events_before = static_cast<double>(std::upper_bound(order.begin(), order.end(), expected[j]) -
                                                   order.begin());
    RC_ASSERT(static_cast<double>(got[j]) >= expected[j] - 1e-3);  // never early (beyond rounding)
    RC_ASSERT(static_cast<double>(got[j]) <= expected[j] + events_before + 1e-3);
  }
}

}  // namespace
}  // namespace hearth::sim
