#include "trace/trace_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace hearth::trace {
namespace {

// Per-minute totals are kept for at most this many minutes (8 MiB, about two years of trace time).
constexpr std::int64_t kMaxMinutes = std::int64_t{1} << 20;

Distribution sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return Distribution{std::move(v)};
}

}  // namespace

double Distribution::quantile(double q) const {
  if (sorted.empty()) return 0;
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

double Distribution::share_at_most(double x) const {
  if (sorted.empty()) return 0;
  const auto n = std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin();
  return static_cast<double>(n) / static_cast<double>(sorted.size());
}

double Distribution::mean() const {
  if (sorted.empty()) return 0;
  return std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(sorted.size());
}

double TraceSummary::top_app_invocation_share(double app_share) const {
  const double total = std::accumulate(app_daily.sorted.begin(), app_daily.sorted.end(), 0.0);
  if (total <= 0) return 0;
  const auto n = static_cast<std::size_t>(std::llround(app_share * static_cast<double>(app_daily.sorted.size())));
  const double top = std::accumulate(app_daily.sorted.end() - static_cast<std::ptrdiff_t>(std::min(n, app_daily.sorted.size())),
                                     app_daily.sorted.end(), 0.0);
  return top / total;
}

TraceStats::TraceStats(const std::vector<model::FunctionSpec>& functions, std::int64_t day_start_minute)
    : functions_(functions), day_start_minute_(day_start_minute), per_function_(functions.size()) {
  if (day_start_minute < 0 || day_start_minute >= 1440)
    throw std::invalid_argument("trace stats: day start minute " + std::to_string(day_start_minute) +
                                " must lie in [0, 1440)");
}

void TraceStats::add(const std::vector<model::Invocation>& batch) {
  for (const model::Invocation& inv : batch) {
    const auto where = [&] { return "trace stats: invocation " + std::to_string(inv.id); };
    if (inv.function >= per_function_.size())
      throw std::invalid_argument(where() + " names function " + std::to_string(inv.function) + " of " +
                                  std::to_string(per_function_.size()));
    if (inv.arrival_us < last_arrival_)
      throw std::invalid_argument(where() + " arrives at " + std::to_string(inv.arrival_us) + " us, before " +
                                  std::to_string(last_arrival_) + " us");
    const std::int64_t minute = inv.arrival_us / model::kMicrosPerMinute;
    if (minute >= kMaxMinutes)
      throw std::invalid_argument(where() + " arrives at minute " + std::to_string(minute) + ", beyond the " +
                                  std::to_string(kMaxMinutes) + " minutes trace stats keeps per-minute totals for");
    last_arrival_ = inv.arrival_us;
    ++invocations_;
    if (per_minute_.size() <= static_cast<std::size_t>(minute)) per_minute_.resize(static_cast<std::size_t>(minute) + 1, 0);
    ++per_minute_[static_cast<std::size_t>(minute)];
    hourly_[static_cast<std::size_t>((minute + day_start_minute_) / 60 % 24)] += 1;
    PerFunction& f = per_function_[inv.function];
    if (f.last >= 0) {
      const double iat = static_cast<double>(inv.arrival_us - f.last);
      const auto n = static_cast<double>(f.count);  // inter-arrival times so far, this one included
      const double delta = iat - f.iat_mean;
      f.iat_mean += delta / n;
      f.iat_m2 += delta * (iat - f.iat_mean);
    }
    f.last = inv.arrival_us;
    ++f.count;
  }
}

TraceSummary TraceStats::finish(model::Micros span_us) const {
  TraceSummary s;
  s.functions = functions_.size();
  s.invocations = invocations_;
  s.span_us = span_us > 0 ? span_us : (invocations_ > 0 ? last_arrival_ + 1 : 0);
  const double days = static_cast<double>(s.span_us) / static_cast<double>(24 * model::kMicrosPerHour);
  std::unordered_map<model::AppId, std::size_t> app_index;
  std::vector<double> app_count, app_functions, app_memory, function_daily, cv, exec;
  function_daily.reserve(functions_.size());
  exec.reserve(functions_.size());
  for (std::size_t i = 0; i < functions_.size(); ++i) {
    const model::FunctionSpec& spec = functions_[i];
    const PerFunction& f = per_function_[i];
    const auto [it, added] = app_index.emplace(spec.app, app_count.size());
    if (added) {
      app_count.push_back(0);
      app_functions.push_back(0);
      app_memory.push_back(0);
    }
    app_count[it->second] += static_cast<double>(f.count);
    app_functions[it->second] += 1;
    app_memory[it->second] += static_cast<double>(spec.memory_mb);
    function_daily.push_back(days > 0 ? static_cast<double>(f.count) / days : 0);
    exec.push_back(static_cast<double>(spec.warm_us) / model::kMicrosPerSecond);
    if (f.count >= kMinIatsForCv + 1 && f.iat_mean > 0)
      cv.push_back(std::sqrt(f.iat_m2 / static_cast<double>(f.count - 1)) / f.iat_mean);
    TriggerRow& t = s.triggers[static_cast<std::size_t>(spec.trigger)];
    ++t.functions;
    t.invocations += f.count;
  }
  for (double& c : app_count) c = days > 0 ? c / days : 0;
  s.apps = app_count.size();
  s.function_daily = sorted(std::move(function_daily));
  s.app_daily = sorted(std::move(app_count));
  s.iat_cv = sorted(std::move(cv));
  s.functions_per_app = sorted(std::move(app_functions));
  s.exec_seconds = sorted(std::move(exec));
  s.app_memory_mb = sorted(std::move(app_memory));
  const auto minutes = static_cast<std::size_t>((s.span_us + model::kMicrosPerMinute - 1) / model::kMicrosPerMinute);
  std::vector<double> totals(std::max(minutes, per_minute_.size()), 0);
  for (std::size_t m = 0; m < per_minute_.size(); ++m) totals[m] = static_cast<double>(per_minute_[m]);
  s.minute_totals = sorted(std::move(totals));
  s.hourly = hourly_;
  return s;
}

std::vector<std::pair<double, double>> cdf_points(const Distribution& d, std::size_t points) {
  std::vector<std::pair<double, double>> out;
  if (d.sorted.empty() || points < 2) return out;
  const std::size_t n = std::min(points, d.sorted.size());
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = n == 1 ? 0 : i * (d.sorted.size() - 1) / (n - 1);
    out.emplace_back(d.sorted[k], static_cast<double>(k + 1) / static_cast<double>(d.sorted.size()));
  }
  return out;
}

}  // namespace hearth::trace
