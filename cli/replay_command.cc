// `hearth replay`: replay a trace (or a window of one) against a running platform (`hearth up`) over its
// REST API, at the trace's timing, and report the same metrics, table and CSV files as `hearth sim`
// (docs/calibration.md). Every function becomes one native action running the same body
// (runtime/native/replay_function.cc) that runs for the invocation's (scaled) execution time and holds the
// function's (scaled) memory.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/client_flags.h"
#include "cli/command_errors.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "cli/workload_loader.h"
#include "cli/trace_replayer.h"
#include "sim/recorded_run.h"
#include "sim/report.h"
#include "trace/replay_plan.h"

#ifndef HEARTH_REPLAY_FUNCTION
#define HEARTH_REPLAY_FUNCTION "replay_function.so"
#endif

namespace hearth::cli {
namespace {

struct ReplayFlags {
  WorkloadFlags workload;
  ClientFlags client;
  std::string name = "replay";
  std::string body = HEARTH_REPLAY_FUNCTION;
  std::string prefix = "replay-";
  std::size_t max_in_flight = 64;
  std::size_t max_invocations = 200'000;
  double cpu_fraction = 0;
  std::int64_t headroom_mb = 16;
  std::int64_t timeout_ms = 0;  // 0: twice the function's longest run + 10 s
  bool keep_actions = false;
  std::string out;
  bool json = false;
  bool quiet = false;
};

constexpr std::int64_t kMaxTimeoutMs = 300'000;  // live/api.h ApiConfig::max_timeout_ms

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("--body " + path + ": cannot read the function body (build target hearth_replay_function)");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<cli::ReplayFunction> actions_for(const ReplayFlags& f, const trace::Workload& w, const trace::ReplayPlan& plan) {
  std::vector<cli::ReplayFunction> out(w.functions.size());
  for (std::size_t i = 0; i < w.functions.size(); ++i) {
    if (!plan.function_used[i]) continue;
    const model::Micros longest = plan.function_max_exec_us[i];
    cli::ReplayFunction& a = out[i];
    a.action = f.prefix + std::to_string(i);
    a.memory_mb = w.functions[i].memory_mb;
    const std::int64_t longest_ms = longest / model::kMicrosPerMilli;
    if (longest_ms + 10'000 > kMaxTimeoutMs)
      throw std::invalid_argument("function '" + w.functions[i].name + "' runs up to " + std::to_string(longest_ms) +
                                  " ms, too close to the platform's 300 s time limit: cap it with --max-exec-ms or "
                                  "--time-scale");
    if (f.timeout_ms > 0 && f.timeout_ms <= longest_ms)
      throw std::invalid_argument("--timeout-ms " + std::to_string(f.timeout_ms) + " is not above the longest run of function '" +
                                  w.functions[i].name + "' (" + std::to_string(longest_ms) + " ms)");
    a.timeout_ms = f.timeout_ms > 0 ? f.timeout_ms : std::min(kMaxTimeoutMs, 2 * longest_ms + 10'000);
  }
  return out;
}

void progress_line(const cli::ReplayProgress& p) {
  char line[200];
  std::snprintf(line, sizeof line, "\rreplay %6.1f/%.1f s  sent %zu/%zu  in flight %zu  done %zu  unsent %zu  failed %zu ",
                static_cast<double>(p.elapsed_us) / model::kMicrosPerSecond,
                static_cast<double>(p.span_us) / model::kMicrosPerSecond, p.due - p.unsent, p.total, p.in_flight,
                p.completed, p.unsent, p.failed);
  std::fputs(line, stderr);
  std::fflush(stderr);
}

void write_invocations_csv(const std::string& dir, const trace::Workload& w,
                           const std::vector<cli::ReplayFunction>& actions, const cli::ReplayOutcome& o) {
  auto out = sim::open_out(std::filesystem::path(dir) / "invocations.csv");
  out << "function,action,memory_mb,exec_ms,scheduled_ms,sent_ms,lag_ms,latency_ms,start_kind,wait_ms,init_ms,run_ms,success\n";
  auto ms = [](model::Micros us) { return static_cast<double>(us) / model::kMicrosPerMilli; };
  for (const model::RecordedInvocation& r : o.records)
    out << w.functions[r.function].name << ',' << actions[r.function].action << ',' << actions[r.function].memory_mb << ','
        << ms(r.exec_us) << ',' << ms(r.scheduled_us) << ',' << ms(r.sent_us) << ',' << ms(r.sent_us - r.scheduled_us) << ',' << ms(r.latency_us)
        << ',' << model::start_kind_name(r.kind) << ',' << ms(r.wait_us) << ',' << ms(r.init_us) << ',' << ms(r.run_us)
        << ',' << (r.success ? 1 : 0) << '\n';
}

int run(const ReplayFlags& f) {
  if (f.cpu_fraction < 0 || f.cpu_fraction > 1) throw std::invalid_argument("--cpu-fraction must be in [0, 1]");
  const net::ApiEndpoint endpoint = resolve_endpoint(f.client);
  trace::Workload workload = load_workload(f.workload);
  trace::ReplayLimits limits;
  limits.max_invocations = f.max_invocations;
  const trace::ReplayPlan plan = trace::plan_replay(workload, limits);
  const std::vector<cli::ReplayFunction> actions = actions_for(f, workload, plan);
  const std::string code = read_file(f.body);
  if (!f.quiet)
    std::fprintf(stderr, "hearth replay: %zu invocations of %zu functions over %.1f s on %s:%u (%s)\n",
                 plan.invocations.size(), plan.used_functions, static_cast<double>(plan.span_us) / model::kMicrosPerSecond,
                 endpoint.host.c_str(), endpoint.port, workload.description.c_str());
  cli::deploy_actions(endpoint, actions, code);

  cli::ReplayOptions options;
  options.max_in_flight = f.max_in_flight;
  options.cpu_fraction = f.cpu_fraction;
  options.runtime_headroom_mb = f.headroom_mb;
  const bool terminal = !f.quiet && stderr_is_terminal();
  if (terminal) options.progress = progress_line;
  const cli::ReplayOutcome outcome = cli::replay_trace(endpoint, actions, plan.invocations, options);
  if (terminal) std::fputs("\n", stderr);
  if (!f.keep_actions) cli::delete_actions(endpoint, actions);

  std::vector<model::MegaBytes> memory;
  for (const auto& fn : workload.functions) memory.push_back(fn.memory_mb);
  const sim::MeasuredCosts costs = sim::measure_costs(outcome.records, memory);
  sim::RecordedRunInput input{outcome.records, outcome.unsent, outcome.failed, workload.functions.size(),
                              outcome.wall_seconds};
  const sim::SimResult result = sim::recorded_result(input);
  const sim::NamedResult named{f.name, "live", "live", "live", &result};
  std::size_t unsuccessful = 0;
  for (const auto& r : outcome.records) unsuccessful += !r.success;

  if (f.json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(sim::result_json(named));
    j["replay"] = {{"planned", plan.invocations.size()},
                   {"functions", plan.used_functions},
                   {"unsent", outcome.unsent.size()},
                   {"failed", outcome.failed.size()},
                   {"unsuccessful", unsuccessful},
                   {"max_in_flight", f.max_in_flight},
                   {"cpu_fraction", f.cpu_fraction},
                   {"send_lag_ms", {{"p50", costs.send_lag_p50_ms}, {"p99", costs.send_lag_p99_ms}, {"max", costs.send_lag_max_ms}}},
                   {"run_over_exec", {{"p50", costs.run_over_exec_p50}, {"p99", costs.run_over_exec_p99}}},
                   {"measured_costs",
                    {{"cold_samples", costs.cold_samples},
                     {"warm_samples", costs.warm_samples},
                     {"cold_base_ms", costs.cold_base_ms},
                     {"cold_per_mb_ms", costs.cold_per_mb_ms},
                     {"cold_init_p50_ms", costs.cold_init_p50_ms},
                     {"cold_init_mean_ms", costs.cold_init_mean_ms},
                     {"warm_overhead_p50_ms", costs.warm_overhead_p50_ms}}}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s", sim::comparison_table({named}).c_str());
    std::printf("sent %zu of %zu (unsent: %zu, in-flight bound %zu), failed %zu, function errors %zu; send lag p50 "
                "%.2f ms, p99 %.2f ms, max %.2f ms\n",
                plan.invocations.size() - outcome.unsent.size(), plan.invocations.size(), outcome.unsent.size(),
                f.max_in_flight, outcome.failed.size(), unsuccessful, costs.send_lag_p50_ms, costs.send_lag_p99_ms,
                costs.send_lag_max_ms);
    std::printf("function body: run time / asked-for time p50 %.3f, p99 %.3f\n", costs.run_over_exec_p50,
                costs.run_over_exec_p99);
    std::printf("measured: cold init p50 %.1f ms (%zu cold starts), fit %.2f ms + %.4f ms/MB; warm overhead p50 %.2f ms\n",
                costs.cold_init_p50_ms, costs.cold_samples, costs.cold_base_ms, costs.cold_per_mb_ms,
                costs.warm_overhead_p50_ms);
    std::printf("hearth sim flags for these costs: --cold-model linear --cold-base-ms %.2f --cold-per-mb-ms %.4f\n",
                costs.cold_base_ms, costs.cold_per_mb_ms);
  }
  for (const std::string& e : outcome.errors) std::fprintf(stderr, "hearth replay: failed: %s\n", e.c_str());
  if (!f.out.empty()) {
    sim::write_csv({named}, f.out);
    write_invocations_csv(f.out, workload, actions, outcome);
    if (!f.quiet) std::fprintf(stderr, "wrote %s/*.csv (the sim's files and invocations.csv)\n", f.out.c_str());
  }
  return outcome.failed.empty() ? 0 : 1;
}

}  // namespace

Action add_replay_command(CLI::App& app) {
  auto f = std::make_shared<ReplayFlags>();
  CLI::App* cmd = app.add_subcommand("replay", "Replay a trace against a running platform (hearth up) at the trace's timing");
  add_workload_flags(*cmd, f->workload);
  add_client_flags(*cmd, f->client);
  cmd->add_option("--name", f->name, "Name of the run in the table and CSV files");
  cmd->add_option("--body", f->body, "The function body (shared object) every action runs");
  cmd->add_option("--action-prefix", f->prefix, "Actions are named PREFIX + function index");
  cmd->add_option("--max-in-flight", f->max_in_flight,
                  "Invocations in flight at most; one due while all are busy is not sent (and counted)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--max-invocations", f->max_invocations, "Refuse workloads with more invocations than this")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--cpu-fraction", f->cpu_fraction,
                  "Share of each execution time the body spins on a CPU; the rest it sleeps (0 = sleep only)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--headroom-mb", f->headroom_mb, "The body holds its function's memory minus this (the runtime's own)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout-ms", f->timeout_ms, "Actions' time limit (0 = twice the function's longest run + 10 s, at most 300 s)")
      ->check(CLI::Range(std::int64_t{0}, kMaxTimeoutMs));
  cmd->add_flag("--keep-actions", f->keep_actions, "Leave the actions deployed after the replay");
  cmd->add_option("--out", f->out, "Directory for CSV files (as hearth sim's, plus invocations.csv)");
  cmd->add_flag("--json", f->json, "Print one JSON object (hearth sim's fields plus a replay section)");
  cmd->add_flag("--quiet", f->quiet, "No progress or messages on stderr");
  return [f] { return run_reporting_errors("hearth replay", [&] { return run(*f); }); };
}

}  // namespace hearth::cli
