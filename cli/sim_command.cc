// `hearth sim`: replay a trace (or the embedded synthetic default) under one policy combination, or
// several side by side: presets with --compare, placements with --compare-placements, autoscalers with
// --compare-scaling (table + CSV + plots in --out). --burst overlays steps and spikes on the workload
// and adds a burst table (latency during the burst, time to recover, memory; docs/autoscaling.md).
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command_errors.h"
#include "cli/library_flags.h"
#include "cli/commands.h"
#include "cli/plots.h"
#include "cli/terminal_progress.h"
#include "cli/workload_loader.h"
#include "policy/registry.h"
#include "sim/burst_report.h"
#include "sim/cluster_sizing.h"
#include "sim/engine.h"
#include "sim/faascache_engine.h"
#include "sim/parallel_runs.h"
#include "sim/rate_search.h"
#include "sim/report.h"
#include "sim/sweep_grid.h"
#include "trace/burst_workload.h"

namespace hearth::cli {
namespace {

struct SimFlags {
  WorkloadFlags workload;
  std::string preset;
  std::string placement, keepalive, prewarm;
  std::string scheduler, pool_manager;  // empty: the preset's (fifo, none without one)
  std::string compare;
  std::vector<std::string> compare_placements;  // one run per placement spec, the rest as resolved
  std::string scaling = "none";
  std::vector<std::string> compare_scaling;  // one run per scaling spec, the rest as resolved
  std::string burst;                         // trace/burst_workload.h spec
  double recover_ms = 100;
  std::string out;
  sim::SimConfig config;
  std::string semantics = "hearth";  // hearth | faascache (sim/faascache_engine.h)
  bool nodes_given = false;          // --nodes on the command line (faascache refuses more than 1)
  bool json = false;
  bool quiet = false;
  double find_max_rate = 0;  // > 0: search each run's max sustained rate up to this (needs a window)
  double rate_precision = 0.01;
  std::string cpu_weights;  // --cpu-weights: equal | memory; empty: the preset's (equal without one)
  LibraryFlags libraries;   // --libraries and its model (cli/library_flags.h)
  unsigned jobs = 0;        // --jobs: simulations at once (0: one per core)
  std::string sweep;        // --sweep grid (sim/sweep_grid.h)
  std::string csv;          // --csv: the sweep's (or comparison's) one CSV file
  bool nodes_auto = false;  // --nodes auto (sim/cluster_sizing.h)
  double auto_cold = 0.01;
  double auto_warmup_min = -1;  // < 0: 10 minutes, or half a shorter trace
  std::string metrics_thread = "auto";  // --metrics-thread: on | off | auto (on while one run goes at a time)
};

// SimConfig::metrics_thread for a simulation that runs alone (parallel = false) or beside others.
bool metrics_thread(const SimFlags& f, bool parallel) {
  return f.metrics_thread == "on" || (f.metrics_thread == "auto" && !parallel);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

// One run: a preset (or none) overridden by explicit --placement/--keepalive/--prewarm.
struct RunSpec {
  std::string name, placement, keepalive, prewarm;
  std::string scheduler = "fifo", pool_manager = "none";
  std::string scaling = "none";
  model::MegaBytes memory_min_mb = 0, memory_max_mb = 0;  // the preset's action memory limits
  policy::CpuWeights cpu_weights = policy::CpuWeights::kEqual;  // the preset's, or --cpu-weights
};

RunSpec resolve(const std::string& preset_name, const SimFlags& f) {
  RunSpec spec{"custom", "openwhisk", "openwhisk", "openwhisk"};
  if (!preset_name.empty()) {
    const policy::Preset* p = policy::find_preset(preset_name);
    if (!p) {
      std::string names;
      for (const auto& q : policy::all_presets()) names += (names.empty() ? "" : ", ") + q.name;
      throw std::invalid_argument("unknown preset '" + preset_name + "' (presets: " + names + ")");
    }
    spec = RunSpec{p->name, p->placement, p->keepalive, p->prewarm};
    spec.memory_min_mb = p->memory_min_mb;
    spec.memory_max_mb = p->memory_max_mb;
    spec.cpu_weights = p->cpu_weights;
    spec.scheduler = p->scheduler;
    spec.pool_manager = p->pool_manager;
  }
  if (!f.cpu_weights.empty()) spec.cpu_weights = *policy::parse_cpu_weights(f.cpu_weights);
  const bool overridden = !f.placement.empty() || !f.keepalive.empty() || !f.prewarm.empty() ||
                          !f.scheduler.empty() || !f.pool_manager.empty();
  if (!f.scheduler.empty()) spec.scheduler = f.scheduler;
  if (!f.pool_manager.empty()) spec.pool_manager = f.pool_manager;
  if (!f.placement.empty()) spec.placement = f.placement;
  if (!f.keepalive.empty()) spec.keepalive = f.keepalive;
  if (!f.prewarm.empty()) spec.prewarm = f.prewarm;
  if (overridden) spec.name = preset_name.empty() ? spec.keepalive : preset_name + "*";
  spec.scaling = f.scaling;
  return spec;
}

// One run per value of the compared field (placement or scaling spec), the rest as resolved; each run is
// named after its value (also a CSV field and a gnuplot title: no commas).
std::vector<RunSpec> one_per_column(const std::vector<std::string>& values, const SimFlags& f,
                                    std::string RunSpec::*field) {
  std::vector<RunSpec> specs;
  for (const std::string& value : values) {
    RunSpec spec = resolve(f.preset, f);
    spec.*field = value;
    spec.name = value;
    std::replace(spec.name.begin(), spec.name.end(), ',', ' ');
    specs.push_back(spec);
  }
  return specs;
}

// The workload, with --burst overlaid; `window` gets the burst's extent.
trace::Workload burst_workload(const SimFlags& f, sim::SimConfig& config, trace::BurstWindow* window) {
  WorkloadFlags workload_flags = f.workload;
  // FaasCache's semantics replay the trace as FaasCache's converter builds it (trace/trace_options.h).
  workload_flags.options.faascache = f.semantics == "faascache";
  trace::Workload workload = load_workload(workload_flags);
  if (f.burst.empty()) return workload;
  const std::vector<trace::Burst> bursts = trace::parse_bursts(f.burst);
  *window = trace::burst_window(workload, bursts);
  config.timeline.from_us = std::max<model::Micros>(0, window->start_us - model::seconds(60));
  config.timeline.to_us = window->end_us + model::seconds(300);
  config.timeline.functions = trace::burst_functions(workload, bursts);
  return trace::with_bursts(std::move(workload), bursts);
}

sim::SimResult run_one(const SimFlags& f, const RunSpec& spec, trace::BurstWindow* window) {
  sim::SimConfig config = f.config;
  trace::Workload workload = burst_workload(f, config, window);
  config.placement = spec.placement;
  config.keepalive = spec.keepalive;
  config.prewarm = spec.prewarm;
  config.scaling = spec.scaling;
  config.scheduler = spec.scheduler;
  config.pool_manager = spec.pool_manager;
  config.memory_min_mb = spec.memory_min_mb;
  config.memory_max_mb = spec.memory_max_mb;
  config.cpu_weights = spec.cpu_weights;
  config.libraries = build_library_setup(f.libraries, workload, f.workload, config.nodes, config.seed);
  if (!f.quiet) {
    std::fprintf(stderr, "hearth sim: %s on %s\n", spec.name.c_str(), workload.description.c_str());
    config.progress = terminal_progress(spec.name);
  }
  if (f.semantics == "faascache") {
    sim::FaasCacheConfig fc;
    fc.memory_mb = config.node_memory_mb;
    // Without a preset or --keepalive, FaasCache's own default policy (GD) rather than openwhisk.
    fc.keepalive = f.preset.empty() && f.keepalive.empty() ? "gd" : spec.keepalive;
    fc.series_interval_us = config.series_interval_us;
    fc.progress = config.progress;
    return sim::run_faascache(workload, fc);
  }
  return sim::run_simulation(workload, config);
}

// Bisects --rate for `spec` between 1/s and --find-max-rate (sim/rate_search.h); `window` gets the burst's extent.
sim::RateSearchResult search_rate(const SimFlags& f, const RunSpec& spec, trace::BurstWindow* window) {
  SimFlags at = f;
  at.quiet = true;
  sim::RateSearch search;
  search.high = f.find_max_rate;
  search.precision = f.rate_precision;
  const model::Micros window_us = f.workload.window.minutes * model::kMicrosPerMinute;
  sim::RateSearchResult found = sim::find_max_sustained_rate(
      [&](double rate) {
        at.workload.window.rate_per_s = rate;
        return run_one(at, spec, window);  // the burst report needs the burst's extent
      },
      window_us, search);
  if (!f.quiet)
    std::fprintf(stderr, "hearth sim: %s keeps up with %.1f/s (%d simulations)\n", spec.name.c_str(), found.rate,
                 found.simulations);
  return found;
}

// One simulation (or rate search) of the list a command asks for: its flags (a sweep point's values
// applied) and its resolved policies.
struct Run {
  SimFlags flags;
  RunSpec spec;
  std::vector<std::string> values;  // a sweep point's values, in the grid's key order
};

// `f` with a sweep point's values applied (sim/sweep_grid.h checked them).
SimFlags apply_point(const SimFlags& f, const sim::SweepPoint& point) {
  SimFlags g = f;
  for (const auto& [key, value] : point) {
    if (key == "preset") g.preset = value;
    else if (key == "placement") g.placement = value;
    else if (key == "keepalive") g.keepalive = value;
    else if (key == "prewarm") g.prewarm = value;
    else if (key == "scheduler") g.scheduler = value;
    else if (key == "pool-manager") g.pool_manager = value;
    else if (key == "scaling") g.scaling = value;
    else if (key == "nodes") g.config.nodes = static_cast<std::uint32_t>(std::stoul(value));
    else if (key == "node-memory-mb") g.config.node_memory_mb = std::stoll(value);
    else if (key == "node-cores") g.config.node_cores = std::stoi(value);
    else if (key == "seed") g.workload.options.seed = g.config.seed = std::stoull(value);
    else if (key == "cpu-model")
      g.config.cpu_model = value == "fifo" ? sim::SimConfig::CpuModel::kFifo : sim::SimConfig::CpuModel::kShares;
    else throw std::logic_error("--sweep: key '" + key + "' parsed but not applied");
  }
  return g;
}

// --nodes auto: the smallest cluster on which the workload's cold starts under `ttl` settle (sim/cluster_sizing.h);
// prints what it tried and picked (stdout, or stderr with --json) and returns the node count.
std::uint32_t size_cluster(const SimFlags& f, unsigned jobs) {
  SimFlags g = f;
  g.quiet = true;
  g.config.metrics_thread = metrics_thread(f, jobs > 1);
  g.preset = "ttl";
  g.placement = g.keepalive = g.prewarm = g.scheduler = g.pool_manager = "";
  g.scaling = "none";
  g.libraries = LibraryFlags{};
  g.burst.clear();
  const RunSpec ttl = resolve("ttl", g);
  sim::SizingGoal goal;
  goal.max_cold_ratio = f.auto_cold;
  goal.jobs = jobs;
  // One pass over the workload (generated or read, as each simulation will): its span, and the memory
  // its invocations keep running on average, Σ memory × execution time / span. A cluster with half that
  // memory cannot hold it (the queue grows for the whole run; 96-99 % cold wherever measured), so the
  // doubling starts at the largest power of two that small (sim/cluster_sizing.h: start_nodes).
  const auto t0 = std::chrono::steady_clock::now();
  double running_mb = 0;
  {
    trace::Workload w = load_workload(g.workload);
    std::vector<model::Invocation> batch;
    double mb_us = 0;
    model::Micros last_us = 0;
    while (w.invocations->next_batch(batch))
      for (const model::Invocation& inv : batch) {
        mb_us += static_cast<double>(w.functions[inv.function].memory_mb) * static_cast<double>(inv.exec_us);
        last_us = inv.arrival_us;
      }
    const model::Micros span = std::max<model::Micros>(w.invocations->span_us(), last_us);
    if (span > 0) running_mb = mb_us / static_cast<double>(span);
    if (f.auto_warmup_min < 0) goal.warmup_us = std::min<model::Micros>(10 * model::kMicrosPerMinute, span / 2);
  }
  if (f.auto_warmup_min >= 0)
    goal.warmup_us = static_cast<model::Micros>(f.auto_warmup_min * model::kMicrosPerMinute);
  const double half_nodes = running_mb / 2 / static_cast<double>(std::max<model::MegaBytes>(1, g.config.node_memory_mb));
  goal.start_nodes = static_cast<std::uint32_t>(std::clamp(half_nodes, 1.0, 65536.0));
  const sim::SizingResult found = sim::find_smallest_cluster(
      [&](std::uint32_t nodes) {
        SimFlags at = g;
        at.config.nodes = nodes;
        trace::BurstWindow window;
        if (!f.quiet) std::fprintf(stderr, "hearth sim: --nodes auto: trying %u nodes\n", nodes);
        return run_one(at, ttl, &window);
      },
      goal);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  FILE* out = f.json ? stderr : stdout;
  std::fprintf(out, "--nodes auto: cold-start ratio under ttl after the first %.1f min (the warm-up: first cold "
               "starts, no keep-alive expired yet), target <= %.2f%%; %zu simulations in %.1f s:\n",
               static_cast<double>(goal.warmup_us) / model::kMicrosPerMinute, 100.0 * goal.max_cold_ratio,
               found.steps.size(), seconds);
  std::vector<sim::SizingStep> steps = found.steps;
  std::sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.nodes < b.nodes; });
  if (!steps.empty() && steps.front().nodes > 1)
    std::fprintf(out, "  1-%u nodes: not simulated (their memory is at most half the %.0f MB the invocations keep "
                 "running on average)\n", steps.front().nodes / 2, running_mb);
  for (const sim::SizingStep& s : steps)
    std::fprintf(out, "  %6u nodes: %7.3f%% cold of %llu starts  %s\n", s.nodes, 100.0 * s.settled_cold_ratio,
                 static_cast<unsigned long long>(s.started), s.settles ? "settles" : "above target");
  if (found.saturated) {
    const sim::SizingStep& last = found.steps.back();
    const trace::Workload w = load_workload(g.workload);
    const model::FunctionSpec& fn = w.functions.at(last.coldest);
    throw std::invalid_argument(
        "--nodes auto: no cluster is likely to bring the cold-start ratio under ttl to " +
        std::to_string(goal.max_cold_ratio) + ": on " + std::to_string(found.steps[found.steps.size() - 2].nodes) +
        " and " + std::to_string(last.nodes) + " nodes the cold starts after the warm-up exceed it even less " +
        "every eviction under memory pressure (on " + std::to_string(last.nodes) + ": " +
        std::to_string(last.settled_cold) + " cold of " + std::to_string(last.started) + " starts, " +
        std::to_string(last.evictions) + " evictions), which more nodes could at most remove; function " +
        std::to_string(fn.id) + " ('" + fn.name + "') had " + std::to_string(last.coldest_cold_starts) + " of the run's " +
        std::to_string(last.cold_starts) + " cold starts (raise --auto-cold, or --auto-warmup-min)");
  }
  if (!found.found)
    throw std::invalid_argument("--nodes auto: no cluster of up to " + std::to_string(found.nodes) +
                                " nodes brings the cold-start ratio under ttl to " + std::to_string(goal.max_cold_ratio) +
                                " (raise --auto-cold or --node-memory-mb)");
  std::fprintf(out, "--nodes auto: picked %u nodes (the smallest that settles; %u does not)\n\n", found.nodes,
               found.nodes - 1);
  return found.nodes;
}

int run(const SimFlags& flags) {
  const SimFlags& f = flags;
  if (f.semantics != "hearth" && f.semantics != "faascache")
    throw std::invalid_argument("--semantics must be hearth or faascache, not '" + f.semantics + "'");
  if (f.semantics == "faascache" && (f.scaling != "none" || !f.compare_scaling.empty()))
    throw std::invalid_argument("--semantics faascache has no autoscaler: drop --scaling and --compare-scaling");
  if (f.semantics == "faascache" && f.nodes_auto)
    throw std::invalid_argument("--semantics faascache models one memory pool: --nodes auto does not apply");
  if (f.semantics == "faascache" && f.nodes_given && f.config.nodes > 1)
    throw std::invalid_argument("--semantics faascache models one memory pool: use --nodes 1 (pool = --node-memory-mb)");
  const unsigned jobs = f.jobs > 0 ? f.jobs : sim::default_jobs();
  std::vector<sim::SweepDimension> grid;
  if (!f.sweep.empty()) {
    if (!f.compare.empty() || !f.compare_placements.empty() || !f.compare_scaling.empty())
      throw std::invalid_argument("--sweep runs one grid: drop --compare, --compare-placements and --compare-scaling");
    grid = sim::parse_sweep(f.sweep);
    for (const sim::SweepDimension& d : grid)
      if (d.key == "nodes" && f.nodes_auto)
        throw std::invalid_argument("--sweep over nodes and --nodes auto: choose one");
  }
  if (f.find_max_rate > 0 && f.workload.window.minutes == 0)
    throw std::invalid_argument("--find-max-rate searches the rate of a window: give --window-minutes (and --rate is ignored)");
  SimFlags base = f;
  if (f.nodes_auto) base.config.nodes = size_cluster(f, jobs);

  std::vector<Run> runs;
  std::vector<std::string> keys;
  if (!grid.empty()) {
    for (const sim::SweepDimension& d : grid) keys.push_back(d.key);
    for (const sim::SweepPoint& point : sim::sweep_points(grid)) {
      Run r{apply_point(base, point), {}, {}};
      r.spec = resolve(r.flags.preset, r.flags);
      r.spec.name = sim::sweep_point_name(point);
      std::replace(r.spec.name.begin(), r.spec.name.end(), ',', '+');  // a CSV field and gnuplot title
      for (const auto& kv : point) r.values.push_back(kv.second);
      runs.push_back(std::move(r));
    }
  } else {
    std::vector<RunSpec> specs;
    if (!f.compare_scaling.empty()) {
      if (!f.compare.empty() || !f.compare_placements.empty() || f.scaling != "none")
        throw std::invalid_argument(
            "--compare-scaling runs one scaling policy per column: drop --compare, --compare-placements and --scaling");
      specs = one_per_column(f.compare_scaling, base, &RunSpec::scaling);
    } else if (!f.compare_placements.empty()) {
      if (!f.compare.empty() || !f.placement.empty())
        throw std::invalid_argument("--compare-placements runs one placement per column: drop --compare and --placement");
      specs = one_per_column(f.compare_placements, base, &RunSpec::placement);
    } else if (!f.compare.empty()) {
      for (const std::string& name : split_commas(f.compare)) specs.push_back(resolve(name, base));
    } else {
      specs.push_back(resolve(f.preset, base));
    }
    for (RunSpec& spec : specs) runs.push_back(Run{base, std::move(spec), {}});
  }

  // Every run on its own (deterministic) simulation, up to `jobs` at once; results by index.
  const bool parallel = jobs > 1 && runs.size() > 1;
  std::vector<sim::SimResult> results(runs.size());
  std::vector<double> rss_mb(runs.size(), 0), sustained;
  if (f.find_max_rate > 0) sustained.assign(runs.size(), 0);
  std::vector<trace::BurstWindow> windows(runs.size());
  if (parallel && !f.quiet)
    std::fprintf(stderr, "hearth sim: %zu runs, %u at a time (--jobs)\n", runs.size(), std::min<unsigned>(jobs, runs.size()));
  sim::run_parallel(runs.size(), jobs, [&](std::size_t i) {
    SimFlags at = runs[i].flags;
    at.config.metrics_thread = metrics_thread(f, parallel);
    if (parallel) at.quiet = true;  // one progress line per run instead of interleaved bars
    const auto t0 = std::chrono::steady_clock::now();
    if (f.find_max_rate > 0) {
      const sim::RateSearchResult found = search_rate(at, runs[i].spec, &windows[i]);
      sustained[i] = found.rate;
      results[i] = std::move(found.at_rate);
    } else {
      results[i] = run_one(at, runs[i].spec, &windows[i]);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    rss_mb[i] = static_cast<double>(usage.ru_maxrss) / 1024.0;  // cumulative peak of the process
    if (parallel && !f.quiet)
      std::fprintf(stderr, "hearth sim: %s done in %.1f s\n", runs[i].spec.name.c_str(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  });
  std::vector<RunSpec> specs;
  for (const Run& r : runs) specs.push_back(r.spec);
  const trace::BurstWindow window = windows.empty() ? trace::BurstWindow{} : windows[0];

  std::vector<sim::NamedResult> named;
  for (std::size_t i = 0; i < specs.size(); ++i)
    named.push_back({specs[i].name, specs[i].placement, specs[i].keepalive, specs[i].prewarm, &results[i], rss_mb[i],
                     specs[i].scaling == "none" ? "" : specs[i].scaling, sustained.empty() ? -1.0 : sustained[i]});
  sim::BurstReportConfig burst{window.start_us, window.end_us, static_cast<model::Micros>(f.recover_ms * 1000), 5};

  if (f.json) {
    if (named.size() == 1) {
      std::printf("%s\n", sim::result_json(named[0]).c_str());
    } else {
      std::printf("[\n");
      for (std::size_t i = 0; i < named.size(); ++i)
        std::printf("%s%s\n", sim::result_json(named[i]).c_str(), i + 1 < named.size() ? "," : "");
      std::printf("]\n");
    }
  } else {
    if (!sustained.empty()) {
      std::printf("%-18s %22s\n", "policy", "max sustained rate/s");
      for (std::size_t i = 0; i < named.size(); ++i)
        std::printf("%-18s %22.1f%s\n", named[i].name.c_str(), sustained[i],
                    sustained[i] >= f.find_max_rate ? "  (the search's upper bound)" : "");
      std::printf("\nat each policy's max sustained rate:\n");
    }
    std::printf("%s", sim::comparison_table(named).c_str());
    for (const auto& n : named)
      if (n.result->libraries) report_libraries(f.libraries, f.libraries.mode, *n.result->libraries);
    if (!f.burst.empty()) std::printf("\n%s", sim::burst_table(named, burst).c_str());
  }
  if (!f.csv.empty()) {
    std::vector<std::vector<std::string>> values;
    for (const Run& r : runs) values.push_back(r.values);
    sim::write_sweep_csv(named, keys, values, f.csv);
    std::fprintf(stderr, "wrote %s\n", f.csv.c_str());
  }
  if (!f.out.empty()) {
    sim::write_csv(named, f.out);
    std::vector<std::string> names;
    for (const auto& n : named) names.push_back(n.name);
    std::string error;
    const auto pngs = write_plots(names, f.out, &error);
    std::fprintf(stderr, "wrote %s/*.csv", f.out.c_str());
    if (pngs.empty())
      std::fprintf(stderr, "\nplots: %s\n", error.c_str());
    else
      std::fprintf(stderr, " and %zu plots in %s\n", pngs.size(), f.out.c_str());
    if (!f.burst.empty()) {
      sim::write_burst_csv(named, burst, f.out);
      const auto burst_pngs = write_burst_plots(names, f.out, &error);
      std::fprintf(stderr, "wrote %s/{burst_summary,burst_timeline}.csv and %zu plots (latency_over_time.png, "
                   "latency_p50_over_time.png)\n", f.out.c_str(), burst_pngs.size());
    }
  }
  return 0;
}

}  // namespace

Action add_sim_command(CLI::App& app) {
  auto flags = std::make_shared<SimFlags>();
  CLI::App* cmd = app.add_subcommand("sim", "Replay a trace in the discrete-event simulator");
  add_workload_flags(*cmd, flags->workload);
  cmd->add_option("--preset", flags->preset, "Policy bundle: openwhisk, ttl, faascache, hybrid-histogram, lru");
  cmd->add_option("--placement", flags->placement, "Placement policy spec (see `hearth policies`)");
  cmd->add_option("--keepalive", flags->keepalive, "Keep-alive policy spec");
  cmd->add_option("--prewarm", flags->prewarm, "Prewarm policy spec (none, openwhisk)");
  cmd->add_option("--scheduler", flags->scheduler,
                  "A node's request scheduler: fifo (default), greedy, exact, incendio[:priority=param2,solver=greedy,"
                  "slo=500ms,slo-fraction=0.3] (see `hearth policies`; docs/incendio.md)");
  cmd->add_option("--pool-manager", flags->pool_manager,
                  "Pool manager spec: none (default) or one of `hearth policies` (prewarms and terminates on a tick)");
  cmd->add_option_function<std::string>(
         "--cpu-admission",
         [flags](const std::string& v) { flags->config.cpu_admission = v == "on"; },
         "on: a node starts a request only while the CPU allocations (memory / 512 MB cores) of its running "
         "requests fit its cores; default: on with a scheduler other than fifo, off with fifo")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option_function<std::string>(
         "--queue-timeout",
         [flags](const std::string& v) { flags->config.queue_timeout_us = model::parse_duration(v, model::kMicrosPerMilli); },
         "Drop a request that waited this long in its node's queue (e.g. 60s; 0 = never); default: 60s with a "
         "scheduler other than fifo, never with fifo");
  cmd->add_option_function<double>(
         "--measure-from-min",
         [flags](double min) { flags->config.measure_from_us = static_cast<model::Micros>(min * model::kMicrosPerMinute); },
         "Held-out evaluation: replay the whole trace but count only invocations arriving from this minute on "
         "(the policies learn from the ones before)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--compare", flags->compare, "Comma-separated presets to run side by side");
  cmd->add_option("--compare-placements", flags->compare_placements,
                  "Placement specs to run side by side (space-separated; keep-alive and prewarm from --preset "
                  "or their flags), e.g. openwhisk sophon:MA/MC,sample=10");
  cmd->add_flag("--share-containers", flags->config.share_containers,
                "With a scaling policy: a container the policy asks for first borrows a worker of another "
                "function's ready container (HyperFaaS container sharing)");
  cmd->add_option("--scaling", flags->scaling, "Autoscaler spec: none (OpenWhisk: a container per invocation), "
                  "knative, hyperfaas (see `hearth policies`)");
  cmd->add_option("--compare-scaling", flags->compare_scaling,
                  "Scaling specs to run side by side (space-separated), e.g. none knative hyperfaas");
  cmd->add_option("--burst", flags->burst,
                  "Steps and spikes over the workload, e.g. 'spike:fn=F,at=120s,rate=200/s,for=10s;step:fn=F,at=5m,"
                  "rate=50/s' (F: function name or id)");
  cmd->add_option("--recover-ms", flags->recover_ms,
                  "Time to recover: per-second p99 of wait + start-up of the bursting functions back under this")
      ->check(CLI::Range(0.0, 1e12));  // ms; converted to int64 microseconds
  cmd->add_option("--out", flags->out, "Directory for CSV files and plots");
  flags->config.nodes = 8;
  CLI::Option* nodes = cmd->add_option_function<std::string>(
                              "--nodes",
                              [flags](const std::string& v) {
                                if (v == "auto") {
                                  flags->nodes_auto = true;
                                  return;
                                }
                                std::size_t end = 0;
                                unsigned long n = 0;
                                try {
                                  n = std::stoul(v, &end);
                                } catch (const std::exception&) {
                                  end = 0;
                                }
                                if (end != v.size() || v.empty() || n < 1 || n > 100000)
                                  throw CLI::ValidationError("--nodes", "'" + v + "' is not auto or an integer in [1, 100000]");
                                flags->config.nodes = static_cast<std::uint32_t>(n);
                              },
                              "Nodes (invokers), 1-100000, or auto: the smallest cluster on which the workload's "
                              "cold starts under ttl settle below --auto-cold (docs/sim-scale.md)")
                          ->default_str("8");
  cmd->add_option("--auto-cold", flags->auto_cold,
                  "--nodes auto: the cold-start ratio (after the warm-up) the cluster must settle below")
      ->default_val(0.01)
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--auto-warmup-min", flags->auto_warmup_min,
                  "--nodes auto: minutes from the trace's start not counted (default: 10, or half a shorter trace)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--jobs", flags->jobs,
                  "Simulations run at once by --compare, --compare-placements, --compare-scaling, --sweep, rate "
                  "searches and --nodes auto (default: one per core); results do not depend on it")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--metrics-thread", flags->metrics_thread,
                  "Fold a simulation's metrics on a second thread (same results): on, off, or auto (on while "
                  "simulations run one at a time, off when --jobs runs several at once)")
      ->default_val("auto")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd->add_option("--sweep", flags->sweep,
                  "A grid of runs: 'nodes=8,16,32;keepalive=ttl,greedy-dual' (keys: preset, placement, keepalive, "
                  "prewarm, scheduler, pool-manager, scaling, nodes, node-memory-mb, node-cores, seed, cpu-model); "
                  "one table, and one CSV with --csv");
  cmd->add_option("--csv", flags->csv, "Write one CSV file: a row per run (with --sweep, its keys first)");
  cmd->add_option("--node-memory-mb", flags->config.node_memory_mb, "Memory per node, MB")
      ->default_val(16384)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--node-cores", flags->config.node_cores,
                  "Cores per node (shared by its running invocations; with --cpu-model fifo one each)")
      ->default_val(64)
      ->check(CLI::PositiveNumber);
  cmd->add_option_function<std::string>(
         "--cpu-model",
         [flags](const std::string& m) {
           flags->config.cpu_model = m == "fifo" ? sim::SimConfig::CpuModel::kFifo : sim::SimConfig::CpuModel::kShares;
         },
         "shares: a node's invocations share its cores (processor sharing, at most one core each; as many run "
         "as memory holds); fifo: one core each, the rest wait in the node's queue")
      ->default_str("shares")
      ->check(CLI::IsMember({"shares", "fifo"}));
  cmd->add_option("--cpu-fraction", flags->config.cpu_fraction,
                  "With --cpu-model shares: share of a trace duration that is CPU work (shared); the rest is "
                  "waiting (I/O) at wall speed that slows nobody")
      ->default_val(1.0)
      ->check(CLI::Range(1e-9, 1.0));
  cmd->add_option("--cpu-weights", flags->cpu_weights,
                  "With --cpu-model shares: how a node's cores are divided when over-committed: equal, or memory "
                  "(OpenWhisk's --cpu-shares, in proportion to memory); default: the preset's (memory for openwhisk "
                  "and openwhisk-2020, equal otherwise)")
      ->check(CLI::IsMember({"equal", "memory"}));
  cmd->add_option("--cold-contention", flags->config.cold_contention,
                  "Cold-start contention, relative: a cold start beginning beside N-1 others on its node costs "
                  "(1 + K(N-1)) times its cold-start time (K scaled like --cold-contention-ms; docs/calibration.md)")
      ->default_val(0.0)
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option_function<double>(
         "--cold-contention-ms",
         [flags](double ms) { flags->config.cold_contention_us = static_cast<model::Micros>(ms * 1000.0); },
         "Cold-start contention, additive: each of the N-1 other creations in progress on the node adds this "
         "to a cold start (ms, on a machine of --cold-contention-cores; 0 disables; default: calibrated on "
         "Hearth's sandboxes, docs/calibration.md)")
      ->default_str(std::to_string(sim::kDefaultColdContentionUs / 1000))
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--cold-contention-cores", flags->config.cold_contention_cores,
                  "Cores of the machine the contention figures were measured on; a node of --node-cores sees "
                  "them scaled by this / --node-cores (set it to --node-cores to apply them unscaled)")
      ->default_val(sim::kColdContentionCalibrationCores)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--queue-limit", flags->config.queue_limit, "Per-node wait queue limit (0 = unbounded)");
  cmd->add_option("--semantics", flags->semantics,
                  "hearth (default) or faascache: FaasCache's simulator (one pool of --node-memory-mb, --nodes 1)");
  cmd->add_option("--find-max-rate", flags->find_max_rate,
                  "Search each run's max sustained rate (invocations/s) up to this bound: bisect --rate over the "
                  "window until at least 99% of its invocations start within it")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rate-precision", flags->rate_precision, "Relative precision of --find-max-rate")
      ->check(CLI::Range(0.0001, 1.0));
  cmd->add_option("--hash-namespace", flags->config.hash_namespace,
                  "OpenWhisk namespace of trace functions in the sticky placements' hash (default guest); "
                  "another namespace draws another assignment of functions to home invokers")
      ->check([](const std::string& ns) {
        return ns.empty() || ns.find('/') != std::string::npos ? std::string("a non-empty name without '/'")
                                                               : std::string();
      });
  add_library_flags(*cmd, flags->libraries);
  cmd->add_flag("--json", flags->json, "Print one JSON object per run");
  cmd->add_flag("--quiet", flags->quiet, "No progress on stderr");
  return [flags, nodes] {
    flags->nodes_given = nodes->count() > 0;
    flags->config.seed = flags->workload.options.seed;
    return run_reporting_errors("hearth sim", [&] { return run(*flags); });
  };
}

}  // namespace hearth::cli
