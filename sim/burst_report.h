// Burst report: how runs fared during a burst (docs/autoscaling.md): latency of the bursting
// functions while the burst lasts, the worst 1-s p99, time to recover (sim/latency_timeline.h),
// memory held over the timeline's window (GB·s and peak; all functions); as a terminal table and CSV (burst_summary.csv, burst_timeline.csv) for plots. Pure
// formatting over SimResult::timeline; needs runs made with SimConfig::timeline enabled.
#pragma once

#include <string>
#include <vector>

#include "model/time.h"
#include "sim/report.h"

namespace hearth::sim {

struct BurstReportConfig {
  model::Micros start_us = 0, end_us = 0;       // the burst: first start, last end
  model::Micros recover_threshold_us = model::millis(100);  // p99 overhead a recovered interval stays under
  int recover_hold = 5;                         // consecutive intervals that must stay under it
};

std::string burst_table(const std::vector<NamedResult>& results, const BurstReportConfig& config);
// Writes burst_summary.csv and burst_timeline.csv into `dir` (which write_csv created).
void write_burst_csv(const std::vector<NamedResult>& results, const BurstReportConfig& config, const std::string& dir);

}  // namespace hearth::sim
