#include "cli/incendio_history.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "policy/registry.h"
#include "sim/engine.h"

namespace hearth::cli {
namespace {

struct TraceStats {
  std::uint64_t count = 0;
  model::Micros first = 0, last = 0;
  double exec_sum_us = 0;
  double exec_floor_sum_us = 0;  // Σ max(exec, 1 ms): the simulator's slowdown denominator
};

sim::SimConfig sim_config(const HistoryFlags& f) {
  const policy::Preset* p = policy::find_preset(f.preset);
  if (!p) {
    std::string names;
    for (const auto& q : policy::all_presets()) names += (names.empty() ? "" : ", ") + q.name;
    throw std::invalid_argument("unknown preset '" + f.preset + "' (presets: " + names + ")");
  }
  sim::SimConfig config;
  config.nodes = f.nodes;
  config.node_memory_mb = f.node_memory_mb;
  config.node_cores = f.node_cores;
  config.placement = p->placement;
  config.keepalive = p->keepalive;
  config.prewarm = p->prewarm;
  config.memory_min_mb = p->memory_min_mb;
  config.memory_max_mb = p->memory_max_mb;
  config.cpu_weights = p->cpu_weights;
  config.seed = f.workload.options.seed;
  return config;
}

}  // namespace

void add_history_flags(CLI::App& cmd, HistoryFlags& f) {
  add_workload_flags(cmd, f.workload);
  cmd.add_option("--preset", f.preset, "Baseline whose simulated latency is analysed (default ttl: the paper's Native)")
      ->capture_default_str();
  cmd.add_option("--nodes", f.nodes, "Simulated nodes")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd.add_option("--node-memory-mb", f.node_memory_mb, "Memory per simulated node, MB")->capture_default_str();
  cmd.add_option("--node-cores", f.node_cores, "Cores per simulated node")->capture_default_str();
  cmd.add_option("--min-invocations", f.min_invocations, "Leave out functions with fewer arrivals")
      ->capture_default_str();
}

History collect_history(const HistoryFlags& f) {
  const sim::SimConfig config = sim_config(f);
  History h;
  h.preset = f.preset;
  // Pass 1: the trace's own statistics.
  trace::Workload stats_pass = load_workload(f.workload);
  h.description = stats_pass.description;
  std::vector<TraceStats> stats(stats_pass.functions.size());
  std::vector<model::Invocation> batch;
  model::Micros last_arrival = 0;
  while (stats_pass.invocations->next_batch(batch))
    for (const model::Invocation& inv : batch) {
      TraceStats& s = stats[inv.function];
      if (s.count == 0) s.first = inv.arrival_us;
      s.last = inv.arrival_us;
      ++s.count;
      s.exec_sum_us += static_cast<double>(inv.exec_us);
      s.exec_floor_sum_us += static_cast<double>(std::max<model::Micros>(inv.exec_us, model::kMicrosPerMilli));
      last_arrival = std::max(last_arrival, inv.arrival_us);
    }
  // The minutes the arrivals span (from time 0), whatever --minutes asked for.
  h.minutes = std::ceil(static_cast<double>(last_arrival + 1) / static_cast<double>(model::kMicrosPerMinute));
  // Pass 2: the baseline's latency per function.
  trace::Workload sim_pass = load_workload(f.workload);
  const sim::SimResult run = sim::run_simulation(sim_pass, config);
  const auto& per_function = run.metrics.per_function();
  for (std::size_t id = 0; id < stats.size(); ++id) {
    const TraceStats& s = stats[id];
    if (s.count < f.min_invocations || id >= per_function.size() || per_function[id].invocations == 0) continue;
    const sim::FunctionStats& m = per_function[id];
    const model::FunctionSpec& spec = stats_pass.functions[id];
    const double n = static_cast<double>(s.count), started = static_cast<double>(m.invocations);
    FunctionHistory fh;
    fh.id = static_cast<model::FunctionId>(id);
    fh.invocations = s.count;
    fh.row.memory_mb = spec.memory_mb;
    fh.row.cpu_cores = static_cast<double>(spec.memory_mb) / 512.0;
    fh.row.init_us = spec.cold_start_us;
    fh.row.exec_us = static_cast<model::Micros>(s.exec_sum_us / n + 0.5);
    fh.row.freq_per_min = n / h.minutes;
    fh.row.since_last_arrival_us = s.count > 1 ? (s.last - s.first) / static_cast<model::Micros>(s.count - 1) : 0;
    fh.factors = policy::normalised_factors(fh.row);
    fh.latency_s = m.slowdown_sum / started * (s.exec_floor_sum_us / n) / model::kMicrosPerSecond;
    fh.cold_ratio = static_cast<double>(m.cold_starts) / started;
    fh.benefit = std::max(0.0, fh.latency_s - s.exec_sum_us / n / model::kMicrosPerSecond) * fh.row.freq_per_min;
    h.functions.push_back(fh);
  }
  return h;
}

}  // namespace hearth::cli
