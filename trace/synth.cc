#include "trace/synth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>
#include <queue>
#include <random>
#include <stdexcept>

#include "model/stable_hash.h"
#include "trace/function_model.h"

namespace hearth::trace {
namespace {

using model::Micros;
using model::Trigger;

// Share of functions per trigger (Shahrad et al., Fig. 2).
constexpr std::pair<Trigger, double> kTriggerMix[] = {
    {Trigger::kHttp, 0.550},  {Trigger::kTimer, 0.156},   {Trigger::kQueue, 0.152},         {Trigger::kOrchestration, 0.069},
    {Trigger::kStorage, 0.028}, {Trigger::kEvent, 0.022}, {Trigger::kOthers, 0.022}};

constexpr std::int64_t kTimerPeriods[] = {1, 5, 10, 15, 30, 60, 120, 360, 720, 1440};

// Mean invocations per minute, log10 drawn piecewise: 45 % of functions at most once per hour, 81 % at
// most once per minute, and a tail up to 10^3.5 per minute, spanning 8 orders of magnitude in all.
double draw_rate(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double p = u(rng);
  double log10_rate;
  if (p < 0.45) log10_rate = -4.5 + (std::log10(1.0 / 60) + 4.5) * (p / 0.45);
  else if (p < 0.81) log10_rate = std::log10(1.0 / 60) * (1 - (p - 0.45) / 0.36);
  else log10_rate = 3.5 * std::pow((p - 0.81) / 0.19, 2.0);  // mass concentrated near 1/min
  return std::pow(10.0, log10_rate);
}

Trigger draw_trigger(std::mt19937_64& rng) {
  double p = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  for (const auto& [t, share] : kTriggerMix) {
    if (p < share) return t;
    p -= share;
  }
  return Trigger::kOthers;
}

// Functions per app: 54 % of apps have one, 95 % at most 10 (Shahrad et al., §3.1).
int draw_app_size(std::mt19937_64& rng) {
  const double p = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  if (p < 0.54) return 1;
  if (p < 0.95) return 2 + static_cast<int>((p - 0.54) / 0.41 * 9);  // 2..10
  return 11 + static_cast<int>((p - 0.95) / 0.05 * 40);              // 11..50
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

class SynthSource final : public InvocationSource {
 public:
  SynthSource(std::vector<SynthFunction> fns, SynthOptions opts) : fns_(std::move(fns)), opts_(opts), rng_(opts.seed ^ 0x5eed) {
    for (const SynthFunction& f : fns_) {
      if (f.timer_period_minutes > 0) push(f.timer_phase_us, f.spec.id);
      else schedule(f.spec.id, 0);
    }
  }

  bool next_batch(std::vector<model::Invocation>& out) override {
    out.clear();
    while (out.empty()) {
      if (minute_ >= opts_.minutes) return false;
      const Micros end = (minute_ + 1) * model::kMicrosPerMinute;
      while (!heap_.empty() && heap_.top().first < end) {
        const auto [t, fn] = heap_.top();
        heap_.pop();
        const SynthFunction& f = fns_[fn];
        const bool accept = f.timer_period_minutes > 0 ||
                            std::uniform_real_distribution<double>(0, 1)(rng_) < synth_modulation(opts_, t) / peak_;
        if (accept) {
          model::Invocation inv;
          inv.function = fn;
          inv.arrival_us = t;
          inv.exec_us = f.spec.warm_us;
          out.push_back(inv);
        }
        schedule(fn, t);
      }
      ++minute_;
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.arrival_us != b.arrival_us ? a.arrival_us < b.arrival_us : a.function < b.function;
    });
    for (auto& inv : out) inv.id = next_id_++;
    return true;
  }

  Micros span_us() const override { return opts_.minutes * model::kMicrosPerMinute; }

 private:
  void schedule(model::FunctionId fn, Micros after) {
    const SynthFunction& f = fns_[fn];
    if (f.timer_period_minutes > 0) {
      push(after + f.timer_period_minutes * model::kMicrosPerMinute, fn);
    } else {
      // Thinning: candidates at the peak rate, accepted with probability modulation(t) / peak.
      const double per_us = f.rate_per_minute * peak_ / model::kMicrosPerMinute;
      push(after + 1 + static_cast<Micros>(std::exponential_distribution<double>(per_us)(rng_)), fn);
    }
  }
  void push(Micros t, model::FunctionId fn) {
    if (t < opts_.minutes * model::kMicrosPerMinute) heap_.emplace(t, fn);
  }

  std::vector<SynthFunction> fns_;
  SynthOptions opts_;
  double peak_ = synth_modulation_max(opts_);
  std::mt19937_64 rng_;
  std::priority_queue<std::pair<Micros, model::FunctionId>, std::vector<std::pair<Micros, model::FunctionId>>,
                      std::greater<>>
      heap_;
  std::int64_t minute_ = 0;
  model::InvocationId next_id_ = 0;
};

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
  std::lognormal_distribution<double> exec_seconds(-0.38, 2.36);  // Shahrad et al. Fig. 7 fit
  TraceOptions model_opts;
  model_opts.cold = ColdModel::kLinear;
  std::vector<SynthFunction> fns;
  fns.reserve(opts.functions);
  model::AppId app = 0;
  while (fns.size() < opts.functions) {
    const int size = std::min<int>(draw_app_size(rng), static_cast<int>(opts.functions - fns.size()));
    const double app_memory = draw_app_memory_mb(rng);
    for (int i = 0; i < size; ++i) {
      SynthFunction f;
      f.spec.id = static_cast<model::FunctionId>(fns.size());
      f.spec.app = app;
      f.spec.name = hex_name(opts.seed, "f", f.spec.id);
      f.spec.trigger = draw_trigger(rng);
      f.spec.memory_mb = std::max<model::MegaBytes>(1, std::llround(app_memory / size));
      DurationStats d;
      d.average_ms = std::clamp(exec_seconds(rng) * 1000.0, 1.0, 600'000.0);
      d.maximum_ms = d.average_ms;
      apply_function_model(d, model_opts, f.spec);
      f.rate_per_minute = draw_rate(rng);
      if (f.spec.trigger == Trigger::kTimer) {
        const double period = 1.0 / f.rate_per_minute;
        f.timer_period_minutes = kTimerPeriods[std::size(kTimerPeriods) - 1];
        for (std::int64_t p : kTimerPeriods) {
          if (static_cast<double>(p) >= period) {
            f.timer_period_minutes = p;
            break;
          }
        }
        f.rate_per_minute = 1.0 / static_cast<double>(f.timer_period_minutes);
        f.timer_phase_us = std::uniform_int_distribution<Micros>(0, f.timer_period_minutes * model::kMicrosPerMinute - 1)(rng);
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
  w.description = "synthetic Azure-calibrated workload (" + std::to_string(opts.functions) + " functions, " +
                  std::to_string(opts.minutes) + " minutes, seed " + std::to_string(opts.seed) + ")";
  w.invocations = std::make_unique<SynthSource>(std::move(fns), opts);
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
