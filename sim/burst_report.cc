#include "sim/burst_report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hearth::sim {
namespace {

double ms(model::Micros us) { return static_cast<double>(us) / 1000.0; }

struct BurstFigures {
  TimelinePoint during;
  Recovery recovered;
};

BurstFigures figures(const SimResult& r, const BurstReportConfig& c) {
  return {r.timeline.summary(c.start_us, c.end_us),
          recovery(r.timeline.points(), c.start_us, c.recover_threshold_us, c.recover_hold)};
}

std::string recover_text(const Recovery& r) {
  if (!r.recovered) return "never";
  char s[32];
  std::snprintf(s, sizeof s, "%.0f s", static_cast<double>(r.recovered_after_us) / model::kMicrosPerSecond);
  return s;
}

}  // namespace

std::string burst_table(const std::vector<NamedResult>& results, const BurstReportConfig& config) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "%-22s %9s %10s %10s %12s %10s %8s %12s %15s\n", "scaling (burst fns)", "burst inv",
                "p50 ms", "p99 ms", "peak 1s p99", "recover", "cold", "window GB·s", "window peak GB");
  out << line;
  for (const NamedResult& nr : results) {
    const SimResult& r = *nr.result;
    const BurstFigures f = figures(r, config);
    std::snprintf(line, sizeof line, "%-22s %9llu %10.1f %10.1f %12.1f %10s %8llu %11.0f %14.2f\n", nr.name.c_str(),
                  static_cast<unsigned long long>(f.during.count), ms(f.during.p50_us), ms(f.during.p99_us),
                  ms(f.recovered.peak_p99_us), recover_text(f.recovered).c_str(),
                  static_cast<unsigned long long>(r.metrics.cold_starts()), r.window_memory_gb_s,
                  static_cast<double>(r.window_peak_memory_mb) / 1024.0);
    out << line;
  }
  return out.str();
}

void write_burst_csv(const std::vector<NamedResult>& results, const BurstReportConfig& config, const std::string& dir) {
  const std::filesystem::path base(dir);
  {
    auto out = open_out(base / "burst_summary.csv");
    out << "policy,burst_start_s,burst_end_s,burst_invocations,burst_p50_ms,burst_p99_ms,peak_interval_p99_ms,"
           "recovered,time_to_recover_s,cold_starts,containers_created,retired,window_memory_gb_s,window_peak_memory_gb,"
           "total_memory_gb_s,peak_memory_gb\n";
    for (const NamedResult& nr : results) {
      const SimResult& r = *nr.result;
      const BurstFigures f = figures(r, config);
      out << nr.name << ',' << static_cast<double>(config.start_us) / model::kMicrosPerSecond << ','
          << static_cast<double>(config.end_us) / model::kMicrosPerSecond << ',' << f.during.count << ','
          << ms(f.during.p50_us) << ',' << ms(f.during.p99_us) << ',' << ms(f.recovered.peak_p99_us) << ','
          << (f.recovered.recovered ? 1 : 0) << ','
          << (f.recovered.recovered ? static_cast<double>(f.recovered.recovered_after_us) / model::kMicrosPerSecond : -1)
          << ',' << r.metrics.cold_starts() << ',' << r.containers_created << ',' << r.retired << ','
          << r.window_memory_gb_s << ',' << static_cast<double>(r.window_peak_memory_mb) / 1024.0 << ','
          << r.total_memory_gb_s << ',' << static_cast<double>(r.peak_memory_mb) / 1024.0 << '\n';
    }
  }
  auto out = open_out(base / "burst_timeline.csv");
  out << "policy,second,count,p50_ms,p99_ms,overhead_p99_ms\n";
  for (const NamedResult& nr : results)
    for (const TimelinePoint& p : nr.result->timeline.points())
      out << nr.name << ',' << static_cast<double>(p.start_us) / model::kMicrosPerSecond << ',' << p.count << ','
          << ms(p.p50_us) << ',' << ms(p.p99_us) << ',' << ms(p.overhead_p99_us) << '\n';
}

}  // namespace hearth::sim
