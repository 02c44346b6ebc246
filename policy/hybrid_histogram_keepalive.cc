#include "policy/hybrid_histogram_keepalive.h"

#include <algorithm>
#include <cmath>

namespace hearth::policy {

HybridHistogramKeepAlive::HybridHistogramKeepAlive(const PolicyContext& ctx, HybridHistogramParams p)
    : p_(p), bin_count_(static_cast<std::size_t>(std::max<model::Micros>(1, p.range_us / p.bin_us))) {
  for (const auto& f : ctx.functions) on_function_added(f);
}

void HybridHistogramKeepAlive::on_function_added(const model::FunctionSpec& fn) {
  if (apps_.size() <= fn.app) apps_.resize(static_cast<std::size_t>(fn.app) + 1);
}

void HybridHistogramKeepAlive::on_arrival(const model::FunctionSpec& fn, model::Micros now) {
  AppState& s = apps_[fn.app];
  if (s.last_end < 0) return;
  const model::Micros idle = std::max<model::Micros>(0, now - s.last_end);
  s.last_end = -1;
  const auto bin = static_cast<std::size_t>(idle / p_.bin_us);
  if (bin < bin_count_) {
    if (s.bins.empty()) s.bins.assign(bin_count_, 0);
    ++s.bins[bin];
    ++s.in_range;
    const double minutes = static_cast<double>(idle) / static_cast<double>(model::kMicrosPerMinute);
    s.sum += minutes;
    s.sum_sq += minutes * minutes;
  } else {
    ++s.out_of_bounds;
  }
  s.dirty = true;
}

HybridHistogramKeepAlive::Windows HybridHistogramKeepAlive::compute(const AppState& s) const {
  Windows w;
  w.keepalive_us = p_.range_us;  // fallback: keep for the whole range, no prewarm
  const std::uint64_t total = s.in_range + s.out_of_bounds;
  if (s.in_range < static_cast<std::uint64_t>(p_.min_samples) || s.out_of_bounds * 2 > total) return w;
  const double n = static_cast<double>(s.in_range);
  const double mean = s.sum / n;
  const double cv = mean > 0 ? std::sqrt(std::max(0.0, s.sum_sq / n - mean * mean)) / mean : 0.0;
  if (cv > p_.max_cv) return w;
  // Percentile bins over the in-range idle times.
  const auto bin_at = [&](double percentile) {
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(s.in_range))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < s.bins.size(); ++i) {
      seen += s.bins[i];
      if (seen >= rank) return i;
    }
    return s.bins.size() - 1;
  };
  const std::size_t head = bin_at(p_.head_percentile), tail = bin_at(p_.tail_percentile);
  w.representative = true;
  w.prewarm_us = static_cast<model::Micros>(static_cast<double>(head * p_.bin_us) * (1.0 - p_.margin));
  w.keepalive_us = static_cast<model::Micros>(static_cast<double>((tail + 1) * p_.bin_us) * (1.0 + p_.margin));
  return w;
}

HybridHistogramKeepAlive::Windows HybridHistogramKeepAlive::windows(model::AppId app) {
  AppState& s = apps_[app];
  if (s.dirty) {
    s.cached = compute(s);
    s.dirty = false;
  }
  return s.cached;
}

IdleDecision HybridHistogramKeepAlive::on_idle(const model::Container&, const model::FunctionSpec& fn,
                                               model::Micros now) {
  apps_[fn.app].last_end = now;
  const Windows w = windows(fn.app);
  IdleDecision d;
  d.priority = static_cast<double>(now);
  if (w.prewarm_us > 0) {
    d.expires_us = now;
    d.prewarm_at_us = now + w.prewarm_us;
    d.prewarm_expires_us = now + w.keepalive_us;
  } else {
    d.expires_us = now + w.keepalive_us;
  }
  return d;
}

}  // namespace hearth::policy
