#include "sim/recorded_run.h"

#include <algorithm>

namespace hearth::sim {
namespace {

double ms(double us) { return us / model::kMicrosPerMilli; }

// The q-quantile (nearest rank) of `values`, which it sorts; 0 when empty.
double quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

}  // namespace

SimResult recorded_result(const RecordedRunInput& in) {
  SimResult r;
  r.metrics = Metrics(in.functions, model::kMicrosPerMinute);
  std::vector<const model::RecordedInvocation*> order;
  order.reserve(in.records.size());
  for (const auto& rec : in.records) order.push_back(&rec);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->sent_us < b->sent_us; });
  model::InvocationId id = 0;
  for (const model::RecordedInvocation* rec : order) {
    model::Invocation inv{id++, rec->function, rec->sent_us, rec->run_us};
    const model::Micros wait = std::max<model::Micros>(0, rec->latency_us - rec->init_us - rec->run_us);
    r.metrics.record_start(inv, rec->kind, rec->sent_us + wait, rec->init_us);
    const model::Micros done = rec->sent_us + wait + rec->init_us + rec->run_us;
    r.metrics.record_completion(done);
    r.end_us = std::max(r.end_us, done);
    r.containers_created += rec->kind == model::StartKind::kCold;
  }
  for (model::FunctionId f : in.unsent) r.metrics.record_drop(model::Invocation{id++, f, 0, 0}, model::DropReason::kQueueFull);
  for (model::FunctionId f : in.failed) r.metrics.record_drop(model::Invocation{id++, f, 0, 0}, model::DropReason::kNoNode);
  r.wall_seconds = in.wall_seconds;
  return r;
}

MeasuredCosts measure_costs(const std::vector<model::RecordedInvocation>& records,
                            const std::vector<model::MegaBytes>& memory_mb) {
  MeasuredCosts c;
  std::vector<double> cold_init, warm_overhead, lag, run_over_exec;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& rec : records) {
    lag.push_back(static_cast<double>(rec.sent_us - rec.scheduled_us));
    if (rec.exec_us >= model::kMicrosPerMilli)
      run_over_exec.push_back(static_cast<double>(rec.run_us) / static_cast<double>(rec.exec_us));
    if (rec.kind == model::StartKind::kCold) {
      const double x = rec.function < memory_mb.size() ? static_cast<double>(memory_mb[rec.function]) : 0.0;
      const double y = static_cast<double>(rec.init_us);
      cold_init.push_back(y);
      sx += x, sy += y, sxx += x * x, sxy += x * y;
    } else if (rec.kind == model::StartKind::kWarm) {
      warm_overhead.push_back(static_cast<double>(rec.latency_us - rec.wait_us - rec.run_us));
    }
  }
  c.cold_samples = cold_init.size();
  c.warm_samples = warm_overhead.size();
  if (!cold_init.empty()) {
    const double n = static_cast<double>(cold_init.size());
    c.cold_init_mean_ms = ms(sy / n);
    const double var = sxx - sx * sx / n;
    const double slope = var > 1e-9 ? (sxy - sx * sy / n) / var : 0.0;
    if (slope > 0 && sy / n - slope * sx / n >= 0) {
      c.cold_per_mb_ms = ms(slope);
      c.cold_base_ms = ms(sy / n - slope * sx / n);
    } else {
      c.cold_base_ms = c.cold_init_mean_ms;
    }
    c.cold_init_p50_ms = ms(quantile(cold_init, 0.5));
  }
  c.warm_overhead_p50_ms = ms(quantile(warm_overhead, 0.5));
  c.send_lag_p50_ms = ms(quantile(lag, 0.5));
  c.send_lag_p99_ms = ms(quantile(lag, 0.99));
  c.send_lag_max_ms = lag.empty() ? 0 : ms(lag.back());
  c.run_over_exec_p50 = quantile(run_over_exec, 0.5);
  c.run_over_exec_p99 = quantile(run_over_exec, 0.99);
  return c;
}

}  // namespace hearth::sim
