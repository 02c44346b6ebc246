#include "trace/synth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>
#include <random>
#include <stdexcept>

#include "model/stable_hash.h"
#include "trace/function_model.h"
#include "trace/synth_source.h"

namespace hearth::trace {
namespace {

using model::Micros;
using model::Trigger;

// Share of functions per trigger (Shahrad et al., Fig. 2; the paper's "others" 5 % split into storage and
// others as in the generator's first version).
constexpr std::pair<Trigger, double> kTriggerMix[] = {
    {Trigger::kHttp, 0.550},  {Trigger::kTimer, 0.156},   {Trigger::kQueue, 0.152},         {Trigger::kOrchestration, 0.069},
    {Trigger::kStorage, 0.028}, {Trigger::kEvent, 0.022}, {Trigger::kOthers, 0.022}};

// Share of invocations per trigger (Fig. 2): HTTP 36 %, queue 34 %, event 25 %, timer 2 %, orchestration 2 %,
// others (with storage) 1 %, split between storage and others in proportion to their function shares.
double invocation_share(Trigger t) {
  switch (t) {
    case Trigger::kHttp: return 0.36;
    case Trigger::kQueue: return 0.34;
    case Trigger::kEvent: return 0.25;
    case Trigger::kTimer: return 0.02;
    case Trigger::kOrchestration: return 0.02;
    case Trigger::kStorage: return 0.01 * 0.028 / 0.050;
    default: return 0.01 * 0.022 / 0.050;
  }
}

// log10 of a function's rate relative to its app's base rate: log10(invocation share / function share),
// centred so that the function-weighted mean is 0. In expectation (the base rate is independent of the
// trigger) each trigger then gets its published share of the invocations.
double trigger_shift(Trigger t) {
  double mean = 0, share = 0;
  for (const auto& [u, f] : kTriggerMix) {
    mean += f * std::log10(invocation_share(u) / f);
    if (u == t) share = f;
  }
  return std::log10(invocation_share(t) / share) - mean;
}

// Popularity (docs/traces.md, "Synthetic workloads"): an app's base rate B is log-normal, log10(B per day) ~
// N(kAppLog10Mean, kAppLog10Sigma); a function's rate per day is 10^(log10 B + trigger_shift + e), e ~ N(0,
// kFunctionLog10Sigma), at most 10^kMaxLog10PerDay. kAppLog10Mean and kAppLog10Sigma are fitted (Monte Carlo
// over this model, app sizes and timer periods included: scripts/synth-fit-popularity) so that an app's total
// rate is at most once an hour for 45 % of apps and at most once a minute for 81 % (§3.3);
// kFunctionLog10Sigma (the spread within an app) and the cap (about 2·10^5 a minute, 4.6σ above the mean)
// are assumptions.
constexpr double kAppLog10Mean = 1.22, kAppLog10Sigma = 1.57, kFunctionLog10Sigma = 0.5, kMaxLog10PerDay = 8.5;

// Execution time: the log-normal fit of the average per function (Fig. 7: ln seconds mean -0.38, sigma 2.36),
// correlated with the function's rate: ln exec = mu + sigma (rho z + sqrt(1 - rho^2) n), z the function's
// standardised log rate, n ~ N(0, 1), so the marginal stays (about) the paper's fit. The paper gives no
// correlation; rho is from the shared sample azure2019-500, where popular functions are short: Spearman -0.34
// between a function's rate and its Average, i.e. rho = 2 sin(pi (-0.34) / 6) = -0.35 for a bivariate normal.
// Without it, invocations are as long as functions are on average (11 s, not the sample's 0.5 s).
constexpr double kExecLnMean = -0.38, kExecLnSigma = 2.36, kExecRateCorrelation = -0.35;

// Timer periods: Azure timers are CRON schedules down to seconds (the shared sample has timers at 60 a minute).
constexpr Micros kTimerPeriodsUs[] = {
    1 * model::kMicrosPerSecond,   5 * model::kMicrosPerSecond,    10 * model::kMicrosPerSecond,
    15 * model::kMicrosPerSecond,  30 * model::kMicrosPerSecond,   1 * model::kMicrosPerMinute,
    2 * model::kMicrosPerMinute,   5 * model::kMicrosPerMinute,    10 * model::kMicrosPerMinute,
    15 * model::kMicrosPerMinute,  30 * model::kMicrosPerMinute,   60 * model::kMicrosPerMinute,
    120 * model::kMicrosPerMinute, 360 * model::kMicrosPerMinute,  720 * model::kMicrosPerMinute,
    1440 * model::kMicrosPerMinute};

// Burstiness (inter-arrival CV > 1 for many non-timer apps, §3.3 Fig. 6): a share kBurstyShare of the
// non-timer functions slower than kMaxBurstyPerMinute arrive as an interrupted Poisson process — on periods
// at rate / on_fraction, off periods silent, exponential lengths with a mean cycle of kSynthBurstCycleMinutes,
// on_fraction log-uniform in [kMinOnFraction, kMaxOnFraction]. The others are Poisson (CV 1). From the shared
// sample azure2019-500: 50-60 % of its non-timer functions at 0.01-10 invocations a minute have IAT CV > 1,
// while the ones at >= 10 a minute are steady (per-minute count CV 0.1-0.23 median, 0.43 at most above 100 a
// minute). The cycle and the on-fraction range are assumptions: the paper shows CVs, not a process.
constexpr double kBurstyShare = 0.5, kMaxBurstyPerMinute = 10, kMinOnFraction = 0.02,
                 kMaxOnFraction = 0.5;

// The standard deviation of a function's log10 rate before the cap (app base, trigger shift, own shift).
double function_log10_sigma() {
  double var = kAppLog10Sigma * kAppLog10Sigma + kFunctionLog10Sigma * kFunctionLog10Sigma;
  for (const auto& [t, f] : kTriggerMix) var += f * trigger_shift(t) * trigger_shift(t);  // shifts have mean 0
  return std::sqrt(var);
}

Trigger draw_trigger(std::mt19937_64& rng) {
  double p = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  for (const auto& [t, share] : kTriggerMix) {
    if (p < share) return t;
    p -= share;
  }
  return Trigger::kOthers;
}

// Functions per app (Shahrad et al., §3.1): 1 (54 %), 2 (16 %), 3 (10 %), 4-5 (8 %), 6-10 (7 %), 11+ (5 %;
// drawn uniformly in 11..50, the paper gives no finer split).
int draw_app_size(std::mt19937_64& rng) {
  const double p = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  const auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  if (p < 0.54) return 1;
  if (p < 0.70) return 2;
  if (p < 0.80) return 3;
  if (p < 0.88) return between(4, 5);
  if (p < 0.95) return between(6, 10);
  return between(11, 50);
}

// Allocated memory per app, Burr XII fit (c = 11.652, k = 0.221, λ = 107.083 MB).
double draw_app_memory_mb(std::mt19937_64& rng) {
  const double u = std::uniform_real_distribution<double>(0.0, 0.999)(rng);
  constexpr double c = 11.652, k = 0.221, lambda = 107.083;
  return lambda * std::pow(std::pow(1 - u, -1 / k) - 1, 1 / c);
}

constexpr Micros kDay = 24 * model::kMicrosPerHour;
constexpr Micros kWeek = 7 * kDay;

// 1 + amplitude · sin(2π (phase of t in the period − 0.375)).
double cycle(double amplitude, Micros t, Micros period) {
  if (amplitude == 0) return 1.0;
  const double fraction = static_cast<double>(t % period) / static_cast<double>(period);
  return 1.0 + amplitude * std::sin(2 * std::numbers::pi * (fraction - 0.375));
}

std::string hex_name(std::uint64_t seed, const char* kind, std::uint64_t i) {
  char key[96];
  std::snprintf(key, sizeof key, "%s%llu:%llu", kind, static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(i));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(model::stable_hash(key)));
  return buf;
}

}  // namespace

double synth_modulation(const SynthOptions& opts, Micros t) {
  double m = cycle(opts.daily_amplitude, t, kDay) * cycle(opts.weekly_amplitude, t, kWeek);
  const std::int64_t day = t / kDay + 1;
  for (const SpecialDayFactor& s : opts.special_days)
    if (s.day == day) m *= s.factor;
  return m;
}

double synth_modulation_max(const SynthOptions& opts) {
  // The original curve's peak, kept as the exact constant so the default workload is unchanged bit for bit.
  double m = opts.daily_amplitude == 1.0 / 3.0 ? 4.0 / 3.0 : 1.0 + opts.daily_amplitude;
  if (opts.weekly_amplitude != 0) m *= 1.0 + opts.weekly_amplitude;
  double special = 1.0;
  for (const SpecialDayFactor& s : opts.special_days) special = std::max(special, s.factor);
  return m * special;
}

double synth_expected_invocations(const SynthOptions& opts, const std::vector<SynthFunction>& fns) {
  const Micros span = opts.minutes * model::kMicrosPerMinute;
  double modulated_minutes = 0;  // the modulation's integral over the span, in minutes (midpoint rule)
  for (std::int64_t m = 0; m < opts.minutes; ++m)
    modulated_minutes += synth_modulation(opts, m * model::kMicrosPerMinute + model::kMicrosPerMinute / 2);
  double expected = 0;
  for (const SynthFunction& f : fns) {
    if (f.timer_period_us > 0) {
      if (f.timer_phase_us < span) expected += static_cast<double>(1 + (span - 1 - f.timer_phase_us) / f.timer_period_us);
    } else {
      expected += f.rate_per_minute * modulated_minutes;
    }
  }
  return expected;
}

std::vector<SynthFunction> synth_functions(const SynthOptions& opts) {
  if (opts.functions == 0) throw std::invalid_argument("synth: functions must be at least 1");
  if (opts.minutes <= 0) throw std::invalid_argument("synth: minutes must be positive");
  if (!(opts.daily_amplitude >= 0 && opts.daily_amplitude < 1) || !(opts.weekly_amplitude >= 0 && opts.weekly_amplitude < 1))
    throw std::invalid_argument("synth: daily and weekly amplitudes must lie in [0, 1)");
  for (const SpecialDayFactor& s : opts.special_days)
    if (s.day < 1 || !(s.factor > 0) || !std::isfinite(s.factor))
      throw std::invalid_argument("synth: special day " + std::to_string(s.day) + ":" + std::to_string(s.factor) +
                                  ": the day must be >= 1 and the factor positive");
  std::mt19937_64 rng(opts.seed);
  std::normal_distribution<double> standard(0, 1);
  const double log10_sigma = function_log10_sigma();
  std::normal_distribution<double> app_log10_rate(kAppLog10Mean, kAppLog10Sigma), function_log10_shift(0, kFunctionLog10Sigma);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  TraceOptions model_opts;
  model_opts.cold = ColdModel::kLinear;
  std::vector<SynthFunction> fns;
  fns.reserve(opts.functions);
  model::AppId app = 0;
  while (fns.size() < opts.functions) {
    const int size = std::min<int>(draw_app_size(rng), static_cast<int>(opts.functions - fns.size()));
    const double app_memory = draw_app_memory_mb(rng);
    const double app_log10 = app_log10_rate(rng);
    for (int i = 0; i < size; ++i) {
      SynthFunction f;
      f.spec.id = static_cast<model::FunctionId>(fns.size());
      f.spec.app = app;
      f.spec.name = hex_name(opts.seed, "f", f.spec.id);
      f.spec.trigger = draw_trigger(rng);
      f.spec.memory_mb = std::max<model::MegaBytes>(1, std::llround(app_memory / size));
      const double log10_per_day = app_log10 + trigger_shift(f.spec.trigger) + function_log10_shift(rng);
      f.rate_per_minute = std::pow(10.0, std::min(kMaxLog10PerDay, log10_per_day)) / 1440.0;
      const double z = (log10_per_day - kAppLog10Mean) / log10_sigma;
      const double ln_exec = kExecLnMean + kExecLnSigma * (kExecRateCorrelation * z +
                                                           std::sqrt(1 - kExecRateCorrelation * kExecRateCorrelation) * standard(rng));
      DurationStats d;
      d.average_ms = std::clamp(std::exp(ln_exec) * 1000.0, 1.0, 600'000.0);
      d.maximum_ms = d.average_ms;
      apply_function_model(d, model_opts, f.spec);
      if (f.spec.trigger == Trigger::kTimer) {
        // The shortest period not faster than the drawn rate (a day at most).
        const double period_us = static_cast<double>(model::kMicrosPerMinute) / f.rate_per_minute;
        f.timer_period_us = kTimerPeriodsUs[std::size(kTimerPeriodsUs) - 1];
        for (Micros p : kTimerPeriodsUs) {
          if (static_cast<double>(p) >= period_us) {
            f.timer_period_us = p;
            break;
          }
        }
        f.rate_per_minute = static_cast<double>(model::kMicrosPerMinute) / static_cast<double>(f.timer_period_us);
        f.timer_phase_us = std::uniform_int_distribution<Micros>(0, f.timer_period_us - 1)(rng);
      } else if (unit(rng) < kBurstyShare && f.rate_per_minute < kMaxBurstyPerMinute) {
        f.on_fraction = std::pow(10.0, std::uniform_real_distribution<double>(std::log10(kMinOnFraction),
                                                                              std::log10(kMaxOnFraction))(rng));
      }
      fns.push_back(f);
    }
    ++app;
  }
  return fns;
}

Workload synth_workload(const SynthOptions& opts) {
  std::vector<SynthFunction> fns = synth_functions(opts);
  Workload w;
  for (const auto& f : fns) w.functions.push_back(f.spec);
  char expected[32];
  std::snprintf(expected, sizeof expected, "%.4g", synth_expected_invocations(opts, fns));
  w.description = "synthetic Azure-calibrated workload (" + std::to_string(opts.functions) + " functions, " +
                  std::to_string(opts.minutes) + " minutes, seed " + std::to_string(opts.seed) + ", " + expected +
                  " invocations expected)";
  w.invocations = make_synth_source(std::move(fns), opts);
  return w;
}

void write_synth_azure2019(const SynthOptions& opts, const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw std::runtime_error(out_dir + ": cannot create directory: " + ec.message());
  const std::vector<SynthFunction> fns = synth_functions(opts);
  Workload w = synth_workload(opts);
  std::vector<model::Invocation> batch;
  bool more = w.invocations->next_batch(batch);
  const auto open = [](const fs::path& p) {
    std::FILE* f = std::fopen(p.c_str(), "w");
    if (!f) throw std::runtime_error(p.string() + ": cannot open for writing");
    return f;
  };
  for (std::int64_t day = 0; day * 1440 < opts.minutes; ++day) {
    const std::int64_t first = day * 1440, count = std::min<std::int64_t>(1440, opts.minutes - first);
    // Sparse per-function counts for the day: (minute in day, count).
    std::vector<std::vector<std::pair<std::uint16_t, std::uint32_t>>> cells(fns.size());
    while (more && !batch.empty() && batch.front().arrival_us < (first + count) * model::kMicrosPerMinute) {
      for (const auto& inv : batch) {
        const auto m = static_cast<std::uint16_t>(inv.arrival_us / model::kMicrosPerMinute - first);
        auto& c = cells[inv.function];
        if (!c.empty() && c.back().first == m) ++c.back().second;
        else c.emplace_back(m, 1);
      }
      more = w.invocations->next_batch(batch);
    }
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, "d%02lld.csv", static_cast<long long>(day + 1));
    const fs::path base(out_dir);
    std::FILE* inv = open(base / ("invocations_per_function_md.anon." + std::string(suffix)));
    std::FILE* dur = open(base / ("function_durations_percentiles.anon." + std::string(suffix)));
    std::FILE* mem = open(base / ("app_memory_percentiles.anon." + std::string(suffix)));
    std::fprintf(inv, "HashOwner,HashApp,HashFunction,Trigger");
    for (std::int64_t m = 1; m <= count; ++m) std::fprintf(inv, ",%lld", static_cast<long long>(m));
    std::fprintf(inv, "\n");
    std::fprintf(dur, "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
                      "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
                      "percentile_Average_99,percentile_Average_100\n");
    std::fprintf(mem, "HashOwner,HashApp,SampleCount,AverageAllocatedMb\n");
    model::AppId last_app = ~0u;
    std::vector<int> app_functions;
    for (const auto& f : fns) {
      if (app_functions.size() <= f.spec.app) app_functions.resize(f.spec.app + 1, 0);
      ++app_functions[f.spec.app];
    }
    for (const SynthFunction& f : fns) {
      const std::string owner = hex_name(opts.seed, "o", f.spec.app), app = hex_name(opts.seed, "a", f.spec.app);
      std::fprintf(inv, "%s,%s,%s,%s", owner.c_str(), app.c_str(), f.spec.name.c_str(), model::trigger_name(f.spec.trigger));
      std::size_t next = 0;
      for (std::int64_t m = 0; m < count; ++m) {
        std::uint32_t n = 0;
        if (next < cells[f.spec.id].size() && cells[f.spec.id][next].first == m) n = cells[f.spec.id][next++].second;
        std::fprintf(inv, ",%u", n);
      }
      std::fprintf(inv, "\n");
      const double avg = static_cast<double>(f.spec.warm_us) / 1000.0;
      const double max = avg + static_cast<double>(f.spec.cold_start_us) / 1000.0;
      std::fprintf(dur, "%s,%s,%s,%.3f,1,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f\n", owner.c_str(), app.c_str(),
                   f.spec.name.c_str(), avg, avg, max, avg, avg, avg, avg, avg, avg, avg);
      if (f.spec.app != last_app) {
        std::fprintf(mem, "%s,%s,1,%lld\n", owner.c_str(), app.c_str(),
                     static_cast<long long>(f.spec.memory_mb * app_functions[f.spec.app]));
        last_app = f.spec.app;
      }
    }
    std::fclose(inv);
    std::fclose(dur);
    std::fclose(mem);
  }
}

}  // namespace hearth::trace
