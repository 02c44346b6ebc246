#include "cli/plots.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace hearth::cli {
namespace {

// A gnuplot `plot` clause with one line per policy, each selecting its rows from a long-format CSV.
std::string per_policy_plot(const std::vector<std::string>& names, const std::string& csv, int x, int y) {
  std::string s = "plot ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) s += ", ";
    s += "'" + csv + "' using (strcol(1) eq '" + names[i] + "' ? $" + std::to_string(x) + " : NaN):" +
         std::to_string(y) + " with lines lw 2 title '" + names[i] + "'";
  }
  return s + "\n";
}

// Runs gnuplot on `script`; on failure sets `error` (pointing at the log) and returns false.
bool run_gnuplot(const std::filesystem::path& script, const std::string& dir, std::string* error) {
  const std::filesystem::path log = std::filesystem::path(dir) / "gnuplot.log";
  const std::string command = "gnuplot '" + script.string() + "' 2>'" + log.string() + "'";
  if (std::system(command.c_str()) == 0) return true;
  *error = "gnuplot failed or is not installed (see " + log.string() + "); CSV files are in " + dir;
  return false;
}

}  // namespace

std::vector<std::string> write_cdf_plots(const std::vector<CdfPlot>& plots, const std::string& dir, std::string* error) {
  const std::filesystem::path base(dir);
  const std::filesystem::path script = base / "cdf_plots.gp";
  std::vector<std::string> pngs;
  {
    std::ofstream gp(script);
    if (!gp) {
      *error = script.string() + ": cannot open for writing";
      return {};
    }
    gp << "set datafile separator ','\nset key off\nset grid\nset terminal pngcairo size 800,500 noenhanced\n"
       << "set ylabel 'CDF'\nset yrange [0:1]\n";
    for (const CdfPlot& p : plots) {
      const std::string png = (base / ("cdf_" + p.name + ".png")).string();
      gp << (p.log_x ? "set logscale x\n" : "unset logscale x\n") << "set output '" << png << "'\n"
         << "set title '" << p.label << "'\nset xlabel '" << p.label << "'\n"
         << "plot '" << (base / ("cdf_" + p.name + ".csv")).string() << "' using 1:2 every ::1 with steps lw 2\n";
      pngs.push_back(png);
    }
  }
  if (!run_gnuplot(script, dir, error)) return {};
  return pngs;
}

std::vector<std::string> write_burst_plots(const std::vector<std::string>& names, const std::string& dir,
                                           std::string* error) {
  const std::filesystem::path base(dir);
  const std::filesystem::path script = base / "burst_plots.gp";
  const std::string csv = (base / "burst_timeline.csv").string();
  {
    std::ofstream gp(script);
    if (!gp) {
      *error = script.string() + ": cannot open for writing";
      return {};
    }
    gp << "set datafile separator ','\nset key below\nset grid\nset terminal pngcairo size 900,560 noenhanced\n"
       << "set xlabel 'arrival time (s since trace start)'\nset logscale y\n";
    gp << "set output '" << (base / "latency_over_time.png").string() << "'\n"
       << "set title 'p99 latency per second, bursting functions'\nset ylabel 'ms (log scale)'\n"
       << per_policy_plot(names, csv, 2, 5);
    gp << "set output '" << (base / "latency_p50_over_time.png").string() << "'\n"
       << "set title 'p50 latency per second, bursting functions'\nset ylabel 'ms (log scale)'\n"
       << per_policy_plot(names, csv, 2, 4);
  }
  if (!run_gnuplot(script, dir, error)) return {};
  return {(base / "latency_over_time.png").string(), (base / "latency_p50_over_time.png").string()};
}

std::vector<std::string> write_plots(const std::vector<std::string>& names, const std::string& dir, std::string* error) {
  namespace fs = std::filesystem;
  const fs::path base(dir);
  const fs::path script = base / "plots.gp";
  {
    std::ofstream gp(script);
    if (!gp) {
      *error = script.string() + ": cannot open for writing";
      return {};
    }
    gp << "set datafile separator ','\nset key bottom right\nset grid\n"
          "set terminal pngcairo size 900,560 noenhanced\n";
    gp << "set output '" << (base / "latency_cdf.png").string() << "'\n"
       << "set title 'Latency CDF'\nset xlabel 'latency (ms, log scale)'\nset ylabel 'fraction of invocations'\n"
       << "set logscale x\nset yrange [0:1]\n"
       << per_policy_plot(names, (base / "latency_cdf.csv").string(), 2, 3) << "unset logscale x\nset autoscale y\n";
    gp << "set output '" << (base / "start_latency_cdf.png").string() << "'\n"
       << "set title 'Start latency CDF (arrival to start of execution)'\n"
       << "set xlabel 'start latency (ms, log scale)'\nset ylabel 'fraction of invocations'\n"
       << "set logscale x\nset yrange [0:1]\nset xrange [1:*]\n"  // warm starts without a wait start at 0 ms
       << per_policy_plot(names, (base / "start_latency_cdf.csv").string(), 2, 3)
       << "unset logscale x\nset autoscale x\nset autoscale y\n";
    gp << "set key below\n";
    gp << "set output '" << (base / "throughput.png").string() << "'\n"
       << "set title 'Completions per second (10-second windows)'\nset xlabel 'second'\n"
       << "set ylabel 'invocations/s'\n"
       << per_policy_plot(names, (base / "throughput.csv").string(), 2, 3);
    gp << "set output '" << (base / "cold_start_ratio.png").string() << "'\n"
       << "set title 'Cold-start ratio per minute'\nset xlabel 'minute'\nset ylabel 'cold starts / starts'\n"
       << per_policy_plot(names, (base / "series.csv").string(), 2, 5);
    gp << "set output '" << (base / "memory.png").string() << "'\n"
       << "set title 'Memory held by containers'\nset xlabel 'minute'\nset ylabel 'GB'\n"
       << per_policy_plot(names, (base / "series.csv").string(), 2, 7);
  }
  if (!run_gnuplot(script, dir, error)) return {};
  return {(base / "latency_cdf.png").string(), (base / "start_latency_cdf.png").string(),
          (base / "throughput.png").string(), (base / "cold_start_ratio.png").string(),
          (base / "memory.png").string()};
}

}  // namespace hearth::cli
