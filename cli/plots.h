// Plots: renders the CSV files written by sim::write_csv into PNGs with gnuplot (latency and start-latency
// CDFs, throughput, cold-start ratio and memory over time). Returns the PNG paths written; if gnuplot is
// missing or fails, returns an empty list and sets `error` (the CSV files remain the primary output).
#pragma once

#include <string>
#include <vector>

namespace hearth::cli {

std::vector<std::string> write_plots(const std::vector<std::string>& names, const std::string& dir, std::string* error);
// Latency over time during a burst (burst_timeline.csv from sim::write_burst_csv): per-second p99 and
// p50 of the bursting functions, one line per policy (latency_over_time.png, latency_p50_over_time.png).
std::vector<std::string> write_burst_plots(const std::vector<std::string>& names, const std::string& dir,
                                           std::string* error);

// CDFs of `hearth trace stats` (cdf_<name>.csv with columns value,cdf, in `dir`): one PNG per entry,
// cdf_<name>.png, with a log-scale x axis when log_x.
struct CdfPlot {
  std::string name;
  std::string label;
  bool log_x = false;
};
std::vector<std::string> write_cdf_plots(const std::vector<CdfPlot>& plots, const std::string& dir, std::string* error);

}  // namespace hearth::cli
