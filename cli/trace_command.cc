// `hearth trace synth`: write a synthetic Azure-2019-format workload; `hearth trace stats`: read a
// trace through the streaming reader (validating the whole file) and print the Shahrad et al. workload
// distributions (trace/trace_stats.h), with --out as CSVs and CDF plots.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/command_errors.h"
#include "cli/commands.h"
#include "cli/plots.h"
#include "cli/workload_loader.h"
#include "trace/synth.h"
#include "trace/trace_stats.h"

namespace hearth::cli {
namespace {

struct TraceFlags {
  WorkloadFlags workload;
  trace::SynthOptions synth;
  std::int64_t days = 0;
  std::vector<std::string> special_days;
  std::string out;
  std::string stats_out;
  std::int64_t day_start_minute = 0;
  std::uint32_t stats_synth = 0;
  bool expected = false;
};

// "4:2.0" → day 4, factor 2.0.
trace::SpecialDayFactor parse_special_day(const std::string& text) {
  const auto colon = text.find(':');
  trace::SpecialDayFactor s;
  std::size_t used_day = 0, used_factor = 0;
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    s.day = std::stoll(text.substr(0, colon), &used_day);
    s.factor = std::stod(text.substr(colon + 1), &used_factor);
  } catch (const std::exception&) {
    used_day = 0;
  }
  if (used_day == 0 || used_day != colon || used_factor != text.size() - colon - 1 || s.day < 1 || !(s.factor > 0))
    throw std::invalid_argument("--special-day '" + text + "': expected DAY:FACTOR, DAY >= 1 (1-based), FACTOR > 0");
  return s;
}

constexpr double kQuantiles[] = {0.01, 0.10, 0.25, 0.50, 0.75, 0.90, 0.99, 1.0};
constexpr const char* kQuantileNames[] = {"p1", "p10", "p25", "p50", "p75", "p90", "p99", "max"};

struct NamedDistribution {
  const char* name;   // CSV/plot file stem
  const char* label;  // printed
  const trace::Distribution* d;
  bool log_x;
};

std::vector<NamedDistribution> distributions(const trace::TraceSummary& s) {
  return {{"function_daily", "invocations/day per function", &s.function_daily, true},
          {"app_daily", "invocations/day per app", &s.app_daily, true},
          {"iat_cv", "IAT CV per function", &s.iat_cv, false},
          {"functions_per_app", "functions per app", &s.functions_per_app, true},
          {"exec_seconds", "exec time per function (s)", &s.exec_seconds, true},
          {"app_memory_mb", "memory per app (MB)", &s.app_memory_mb, true},
          {"minute_totals", "invocations per minute", &s.minute_totals, false}};
}

double pct(double share) { return 100 * share; }

void print_summary(const trace::TraceSummary& s) {
  std::printf("functions %zu, apps %zu, invocations %llu, span %.2f h\n", s.functions, s.apps,
              static_cast<unsigned long long>(s.invocations), static_cast<double>(s.span_us) / model::kMicrosPerHour);
  std::printf("\n%-30s %6s", "distribution", "n");
  for (const char* q : kQuantileNames) std::printf(" %10s", q);
  std::printf(" %10s\n", "mean");
  for (const NamedDistribution& d : distributions(s)) {
    std::printf("%-30s %6zu", d.label, d.d->sorted.size());
    for (double q : kQuantiles) std::printf(" %10.4g", d.d->quantile(q));
    std::printf(" %10.4g\n", d.d->mean());
  }
  std::printf("\npopularity: apps invoked <= once/hour %.1f %%, <= once/minute %.1f %%; top 18.6 %% of apps make %.2f %% "
              "of invocations; functions <= once/hour %.1f %%, <= once/minute %.1f %%\n",
              pct(s.app_daily.share_at_most(24)), pct(s.app_daily.share_at_most(1440)), pct(s.top_app_invocation_share(0.186)),
              pct(s.function_daily.share_at_most(24)), pct(s.function_daily.share_at_most(1440)));
  std::printf("burstiness: functions with IAT CV > 1: %.1f %%, CV < 0.1: %.1f %% (of %zu with >= %llu inter-arrival times)\n",
              pct(1 - s.iat_cv.share_at_most(1)), pct(s.iat_cv.share_at_most(0.1)), s.iat_cv.sorted.size(),
              static_cast<unsigned long long>(trace::kMinIatsForCv));
  std::printf("apps: 1 function %.1f %%, <= 10 functions %.1f %%; exec time < 1 s %.1f %%, < 60 s %.1f %%; "
              "app memory <= 170 MB %.1f %%, <= 400 MB %.1f %%\n",
              pct(s.functions_per_app.share_at_most(1)), pct(s.functions_per_app.share_at_most(10)),
              pct(s.exec_seconds.share_at_most(1)), pct(s.exec_seconds.share_at_most(60)),
              pct(s.app_memory_mb.share_at_most(170)), pct(s.app_memory_mb.share_at_most(400)));
  std::printf("\n%-14s %11s %11s\n", "trigger", "functions %", "invocations %");
  for (std::size_t t = 0; t < trace::kTriggerCount; ++t) {
    const trace::TriggerRow& r = s.triggers[t];
    std::printf("%-14s %11.2f %13.2f\n", model::trigger_name(static_cast<model::Trigger>(t)),
                s.functions ? pct(static_cast<double>(r.functions) / static_cast<double>(s.functions)) : 0.0,
                s.invocations ? pct(static_cast<double>(r.invocations) / static_cast<double>(s.invocations)) : 0.0);
  }
  // Busiest against quietest hour, over the hours the trace covers (a trace shorter than a day leaves some empty).
  double lo = 0, hi = 0;
  for (double h : s.hourly)
    if (h > 0) {
      lo = lo == 0 ? h : std::min(lo, h);
      hi = std::max(hi, h);
    }
  std::printf("\ninvocations per hour of day (%% of all; busiest/quietest non-empty hour %.2f):\n", lo > 0 ? hi / lo : 0.0);
  for (std::size_t h = 0; h < 24; ++h)
    std::printf("%02zu %5.2f%s", h, s.invocations ? pct(s.hourly[h] / static_cast<double>(s.invocations)) : 0.0,
                h % 8 == 7 ? "\n" : "   ");
}

std::FILE* open_out(const std::filesystem::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "w");
  if (!f) throw std::runtime_error(p.string() + ": cannot open for writing");
  return f;
}

// CSVs (one CDF file per distribution, at most 1,000 points each; quantiles; triggers; hours) and CDF plots.
void write_stats_files(const trace::TraceSummary& s, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create directory: " + ec.message());
  const fs::path base(dir);
  std::FILE* q = open_out(base / "quantiles.csv");
  std::fprintf(q, "distribution,n");
  for (const char* n : kQuantileNames) std::fprintf(q, ",%s", n);
  std::fprintf(q, ",mean\n");
  std::vector<std::string> plotted;
  for (const NamedDistribution& d : distributions(s)) {
    std::fprintf(q, "%s,%zu", d.name, d.d->sorted.size());
    for (double p : kQuantiles) std::fprintf(q, ",%.6g", d.d->quantile(p));
    std::fprintf(q, ",%.6g\n", d.d->mean());
    std::FILE* c = open_out(base / ("cdf_" + std::string(d.name) + ".csv"));
    std::fprintf(c, "value,cdf\n");
    for (const auto& [v, p] : trace::cdf_points(*d.d, 1000)) std::fprintf(c, "%.6g,%.6g\n", v, p);
    std::fclose(c);
  }
  std::fclose(q);
  std::FILE* t = open_out(base / "triggers.csv");
  std::fprintf(t, "trigger,functions,invocations\n");
  for (std::size_t i = 0; i < trace::kTriggerCount; ++i)
    std::fprintf(t, "%s,%llu,%llu\n", model::trigger_name(static_cast<model::Trigger>(i)),
                 static_cast<unsigned long long>(s.triggers[i].functions),
                 static_cast<unsigned long long>(s.triggers[i].invocations));
  std::fclose(t);
  std::FILE* h = open_out(base / "hourly.csv");
  std::fprintf(h, "hour,invocations\n");
  for (std::size_t i = 0; i < 24; ++i) std::fprintf(h, "%zu,%.0f\n", i, s.hourly[i]);
  std::fclose(h);
  std::vector<CdfPlot> plots;
  for (const NamedDistribution& d : distributions(s))
    if (!d.d->sorted.empty()) plots.push_back({d.name, d.label, d.log_x && d.d->sorted.back() > 0});  // gnuplot skips values <= 0 on a log axis
  std::string error;
  const std::vector<std::string> pngs = write_cdf_plots(plots, dir, &error);
  if (!error.empty()) std::fprintf(stderr, "hearth trace stats: %s\n", error.c_str());
  std::printf("\nwrote CSVs%s to %s\n", pngs.empty() ? "" : " and CDF plots", dir.c_str());
}

int stats(const TraceFlags& f) {
  const auto start = std::chrono::steady_clock::now();
  trace::Workload w = load_workload(f.workload);
  trace::TraceStats acc(w.functions, f.day_start_minute);
  std::vector<model::Invocation> batch;
  while (w.invocations->next_batch(batch)) acc.add(batch);
  const trace::TraceSummary s = acc.finish(w.invocations->span_us());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s\nread in %.3f s (%.2e invocations/s)\n", w.description.c_str(), secs,
              static_cast<double>(s.invocations) / secs);
  print_summary(s);
  if (!f.stats_out.empty()) write_stats_files(s, f.stats_out);
  return 0;
}

}  // namespace

Action add_trace_command(CLI::App& app) {
  auto flags = std::make_shared<TraceFlags>();
  CLI::App* cmd = app.add_subcommand("trace", "Generate or inspect workloads");
  cmd->require_subcommand(1);
  CLI::App* synth = cmd->add_subcommand("synth", "Write a synthetic workload in the Azure 2019 per-day layout");
  synth->add_option("--functions", flags->synth.functions, "Functions")->default_val(50000);
  synth->add_option("--minutes", flags->synth.minutes, "Minutes (14 days = 20160)")->default_val(1440);
  synth->add_option("--days", flags->days, "Days (sets --minutes to days x 1440)")->check(CLI::PositiveNumber);
  synth->add_option("--seed", flags->synth.seed, "Seed")->default_val(1);
  synth->add_option("--daily", flags->synth.daily_amplitude,
                    "Daily cycle amplitude a in [0, 1): rate x (1 + a sin(...)), peak mid-afternoon (default 1/3)");
  synth->add_option("--weekly", flags->synth.weekly_amplitude, "Weekly cycle amplitude in [0, 1) (peak on day 5; default 0)");
  synth->add_option("--special-day", flags->special_days,
                    "DAY:FACTOR — every rate of day DAY (1-based) times FACTOR (repeatable), e.g. 4:2.0");
  synth->add_option("--out", flags->out, "Output directory (required unless --expected)");
  synth->add_flag("--expected", flags->expected,
                  "Print the workload's expected invocation count (mean rates x the daily/weekly curve, timers' "
                  "fires) and write nothing");
  CLI::App* st = cmd->add_subcommand("stats", "Stream a trace and summarise it");
  add_workload_flags(*st, flags->workload);
  st->add_option("--synth", flags->stats_synth, "Summarise the synthetic generator with this many functions (as --synth-functions)")
      ->check(CLI::PositiveNumber);
  st->add_option("--day-start-minute", flags->day_start_minute,
                 "Minute of the day at trace time 0, for the per-hour-of-day load (480 for azure2019-500)")
      ->check(CLI::Range(0, 1439));
  st->add_option("--out", flags->stats_out, "Write CSVs (quantiles, CDFs, triggers, hours) and CDF plots here");
  return [flags, synth, st] {
    return run_reporting_errors("hearth trace", [&] {
      if (synth->parsed()) {
        if (flags->days > 0) flags->synth.minutes = flags->days * 1440;
        for (const std::string& d : flags->special_days) flags->synth.special_days.push_back(parse_special_day(d));
        if (flags->expected) {
          std::printf("%u functions x %lld minutes, seed %llu: %.0f invocations expected\n",
                      static_cast<unsigned>(flags->synth.functions), static_cast<long long>(flags->synth.minutes),
                      static_cast<unsigned long long>(flags->synth.seed),
                      trace::synth_expected_invocations(flags->synth, trace::synth_functions(flags->synth)));
          return 0;
        }
        if (flags->out.empty()) throw std::invalid_argument("synth: --out DIR is required (or --expected)");
        trace::write_synth_azure2019(flags->synth, flags->out);
        std::printf("wrote %u functions x %lld minutes to %s\n", static_cast<unsigned>(flags->synth.functions),
                    static_cast<long long>(flags->synth.minutes), flags->out.c_str());
        return 0;
      }
      if (st->parsed()) {
        if (flags->stats_synth > 0) {
          if (!flags->workload.trace.empty()) throw std::invalid_argument("--synth and --trace: give one of them");
          flags->workload.synth_functions = flags->stats_synth;
        }
        return stats(*flags);
      }
      return 2;
    });
  };
}

}  // namespace hearth::cli
