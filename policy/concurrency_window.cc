#include "policy/concurrency_window.h"

#include <algorithm>

namespace hearth::policy {

void ConcurrencyWindows::record(model::FunctionId fn, std::int64_t tick, double mean) {
  if (rings_.size() <= fn) rings_.resize(fn + 1);
  Ring& r = rings_[fn];
  if (r.values.empty()) r.values.assign(ticks_, 0.0);
  const auto n = static_cast<std::int64_t>(ticks_);
  for (std::int64_t t = std::max(r.last_tick + 1, tick - n + 1); t < tick; ++t) r.values[t % n] = 0.0;
  r.values[tick % n] = mean;
  r.last_tick = tick;
}

std::int64_t ConcurrencyWindows::record(std::span<const TickLoad> loads, model::Micros now, model::Micros tick_us) {
  const std::int64_t tick = now / tick_us;
  for (const TickLoad& l : loads) record(l.function, tick, l.mean_concurrency);
  return tick;
}

double ConcurrencyWindows::at(const Ring& r, std::int64_t tick) const {
  const auto n = static_cast<std::int64_t>(ticks_);
  if (tick < 0 || tick > r.last_tick || tick <= r.last_tick - n) return 0.0;
  return r.values[tick % n];
}

template <typename F>
void ConcurrencyWindows::visit(model::FunctionId fn, std::int64_t tick, std::size_t last, F&& f) const {
  last = std::clamp<std::size_t>(last, 1, ticks_);
  const Ring* r = fn < rings_.size() ? &rings_[fn] : nullptr;
  for (std::int64_t t = tick - static_cast<std::int64_t>(last) + 1; t <= tick; ++t) f(r ? at(*r, t) : 0.0);
}

double ConcurrencyWindows::mean(model::FunctionId fn, std::int64_t tick, std::size_t last) const {
  double sum = 0;
  visit(fn, tick, last, [&](double v) { sum += v; });
  return sum / static_cast<double>(std::clamp<std::size_t>(last, 1, ticks_));
}

double ConcurrencyWindows::max(model::FunctionId fn, std::int64_t tick, std::size_t last) const {
  double m = 0;
  visit(fn, tick, last, [&](double v) { m = std::max(m, v); });
  return m;
}

}  // namespace hearth::policy
