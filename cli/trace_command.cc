// `hearth trace synth`: write a synthetic Azure-2019-format workload; `hearth trace stats`: read a
// trace through the streaming reader and summarise it (validates the whole file).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/command_errors.h"
#include "cli/commands.h"
#include "cli/workload_loader.h"
#include "trace/synth.h"

namespace hearth::cli {
namespace {

struct TraceFlags {
  WorkloadFlags workload;
  trace::SynthOptions synth;
  std::int64_t days = 0;
  std::vector<std::string> special_days;
  std::string out;
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

int stats(const TraceFlags& f) {
  const auto start = std::chrono::steady_clock::now();
  trace::Workload w = load_workload(f.workload);
  std::vector<model::Invocation> batch;
  std::uint64_t count = 0;
  model::Micros last = 0;
  while (w.invocations->next_batch(batch)) {
    count += batch.size();
    if (!batch.empty()) last = batch.back().arrival_us;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s\nfunctions %zu\ninvocations %llu\nlast arrival %.1f s\nread in %.3f s (%.2e invocations/s)\n",
              w.description.c_str(), w.functions.size(), static_cast<unsigned long long>(count),
              static_cast<double>(last) / model::kMicrosPerSecond, secs, static_cast<double>(count) / secs);
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
  synth->add_option("--out", flags->out, "Output directory")->required();
  CLI::App* st = cmd->add_subcommand("stats", "Stream a trace and summarise it");
  add_workload_flags(*st, flags->workload);
  return [flags, synth, st] {
    return run_reporting_errors("hearth trace", [&] {
      if (synth->parsed()) {
        if (flags->days > 0) flags->synth.minutes = flags->days * 1440;
        for (const std::string& d : flags->special_days) flags->synth.special_days.push_back(parse_special_day(d));
        trace::write_synth_azure2019(flags->synth, flags->out);
        std::printf("wrote %u functions x %lld minutes to %s\n", static_cast<unsigned>(flags->synth.functions),
                    static_cast<long long>(flags->synth.minutes), flags->out.c_str());
        return 0;
      }
      if (st->parsed()) return stats(*flags);
      return 2;
    });
  };
}

}  // namespace hearth::cli
