// Report: turns SimResults into what users read — one JSON object per run, a comparison table, and
// CSV files (summary, latency CDF, series over time) for plots. Pure formatting; no simulation.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/engine.h"

namespace hearth::sim {

struct NamedResult {
  std::string name;  // preset or policy combination
  std::string placement, keepalive, prewarm;
  const SimResult* result = nullptr;
  double peak_rss_mb = 0;  // the process's peak resident memory after the run, if measured (0 = not)
  std::string scaling{};   // autoscaler spec; empty when none
  double max_sustained_rate = -1;  // from a rate search (sim/rate_search.h), the run being at that rate; -1 = none
};

// The --json object: invocations, cold_starts, cold_start_ratio, latency_ms {mean,p50,p90,p99,p999},
// idle_memory_gb_s, dropped (+ by reason), wall_seconds, invocations_per_second, ...
std::string result_json(const NamedResult& r, int indent = 2);
// A fixed-width table, one row per result, for the terminal.
std::string comparison_table(const std::vector<NamedResult>& results);
// Writes summary.csv, latency_cdf.csv (arrival to completion), start_latency_cdf.csv (arrival to start of
// execution), throughput.csv (completions per second in 10-second windows) and series.csv into `dir`
// (created if missing).
// Throws std::runtime_error naming the file on an I/O error.
void write_csv(const std::vector<NamedResult>& results, const std::string& dir);
// One CSV file for a sweep (or any list of runs): a row per run, the `keys` columns first (a run's
// values for them: values[i][k]), then the summary.csv columns. Throws std::runtime_error naming the file.
void write_sweep_csv(const std::vector<NamedResult>& results, const std::vector<std::string>& keys,
                     const std::vector<std::vector<std::string>>& values, const std::string& path);
// Opens `path` for writing; throws std::runtime_error naming it if it cannot.
std::ofstream open_out(const std::filesystem::path& path);

}  // namespace hearth::sim
