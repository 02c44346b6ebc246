#include "sim/parallel_runs.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/engine.h"
#include "sim/report.h"
#include "trace/synth.h"

namespace hearth::sim {
namespace {

TEST(ParallelRuns, EveryIndexOnceIntoItsOwnSlot) {
  for (unsigned jobs : {1u, 2u, 3u, 8u}) {
    std::vector<int> out(17, 0);
    std::atomic<int> calls{0};
    run_parallel(out.size(), jobs, [&](std::size_t i) {
      out[i] += static_cast<int>(i * i);
      ++calls;
    });
    EXPECT_EQ(calls.load(), 17) << jobs;
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], static_cast<int>(i * i)) << jobs;
  }
  run_parallel(0, 2, [](std::size_t) { FAIL() << "no task to run"; });
}

TEST(ParallelRuns, RethrowsTheLowestFailedIndexAfterJoining) {
  std::atomic<int> ran{0};
  try {
    run_parallel(6, 2, [&](std::size_t i) {
      ++ran;
      if (i == 1 || i == 2) throw std::runtime_error("task " + std::to_string(i));
    });
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "task 1");
  }
  EXPECT_GE(ran.load(), 2);  // tasks 0 and 1 at least; the ones after a failure may be skipped
  EXPECT_LE(ran.load(), 6);
}

// A run's reported results without its wall-clock fields.
std::string deterministic_json(const SimResult& r, const SimConfig& c) {
  NamedResult n{c.keepalive, c.placement, c.keepalive, c.prewarm, &r};
  std::string json = result_json(n, -1);
  for (const char* key : {"\"wall_seconds\":", "\"invocations_per_second\":", "\"peak_rss_mb\":"}) {
    const std::size_t at = json.find(key);
    if (at == std::string::npos) continue;
    const std::size_t end = json.find_first_of(",}", at);
    json.erase(at, end - at);
  }
  return json;
}

// Four policy combinations on a synthetic workload, one after the other and two at a time: the same
// results (latencies, cold starts, memory, series) run for run.
TEST(ParallelRuns, ParallelSimulationsGiveTheSerialResults) {
  const std::vector<std::pair<std::string, std::string>> combos = {
      {"ttl:10m", "none"}, {"greedy-dual", "none"}, {"hybrid-histogram", "none"}, {"openwhisk", "openwhisk"}};
  const auto simulate_all = [&](unsigned jobs) {
    std::vector<std::string> out(combos.size());
    run_parallel(combos.size(), jobs, [&](std::size_t i) {
      trace::SynthOptions o;
      o.functions = 300;
      o.minutes = 20;
      o.seed = 7;
      trace::Workload w = trace::synth_workload(o);
      SimConfig c;
      c.nodes = 3;
      c.node_memory_mb = 8192;
      c.keepalive = combos[i].first;
      c.prewarm = combos[i].second;
      out[i] = deterministic_json(run_simulation(w, c), c);
    });
    return out;
  };
  const std::vector<std::string> serial = simulate_all(1);
  const std::vector<std::string> parallel = simulate_all(2);
  ASSERT_EQ(serial.size(), parallel.size());
  for (std::size_t i = 0; i < serial.size(); ++i) {
    EXPECT_NE(serial[i].find("\"cold_starts\""), std::string::npos);
    EXPECT_EQ(serial[i], parallel[i]) << combos[i].first;
  }
  EXPECT_NE(serial[0], serial[1]);  // the combinations differ: the comparison is not vacuous
}

}  // namespace
}  // namespace hearth::sim
