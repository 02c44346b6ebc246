#include "trace/window_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hearth::trace {
namespace {

using model::Invocation;
using model::Micros;

constexpr std::size_t kBatch = 4096;

// Streams a prepared vector of invocations in batches.
class VectorSource final : public InvocationSource {
 public:
  VectorSource(std::vector<Invocation> invocations, Micros span_us)
      : invocations_(std::move(invocations)), span_us_(span_us) {}

  bool next_batch(std::vector<Invocation>& out) override {
    out.clear();
    if (next_ >= invocations_.size()) return false;
    const std::size_t end = std::min(invocations_.size(), next_ + kBatch);
    out.assign(invocations_.begin() + static_cast<std::ptrdiff_t>(next_),
               invocations_.begin() + static_cast<std::ptrdiff_t>(end));
    next_ = end;
    return true;
  }
  Micros span_us() const override { return span_us_; }

 private:
  std::vector<Invocation> invocations_;
  Micros span_us_;
  std::size_t next_ = 0;
};

// The rate profile: linear ramp from 0 to `rate` over [0, ramp_s], then steady. Λ is its integral.
struct RateProfile {
  double rate = 0;    // invocations per second after the ramp
  double ramp_s = 0;  // ramp length in seconds

  // The time (seconds) at which Λ reaches x.
  double inverse(double x) const {
    const double ramp_area = rate * ramp_s / 2;
    if (x <= ramp_area && ramp_s > 0) return std::sqrt(2 * ramp_s * x / rate);
    return ramp_s + (x - ramp_area) / rate;
  }
};

// The window's invocations, arrivals shifted to start at 0, ids renumbered. Reads the source only up to the end.
std::vector<Invocation> read_window(InvocationSource& source, Micros start_us, Micros end_us, Micros* last_seen) {
  std::vector<Invocation> window;
  std::vector<Invocation> batch;
  while (source.next_batch(batch)) {
    for (const Invocation& inv : batch) {
      *last_seen = std::max(*last_seen, inv.arrival_us);
      if (inv.arrival_us < start_us || inv.arrival_us >= end_us) continue;
      Invocation shifted = inv;
      shifted.arrival_us -= start_us;
      window.push_back(shifted);
    }
    if (!batch.empty() && batch.back().arrival_us >= end_us) break;
  }
  return window;
}

// How many times each window invocation is drawn, N in total: ⌊N/W⌋ each plus N mod W distinct ones
// (selection sampling, Knuth's Algorithm S, so the choice is uniform and in one pass).
std::vector<std::uint32_t> draw_counts(std::size_t window, std::uint64_t n, std::mt19937_64& rng) {
  const std::uint64_t each = n / window;
  std::uint64_t extra = n % window;
  std::vector<std::uint32_t> counts(window, static_cast<std::uint32_t>(each));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t i = 0; i < window && extra > 0; ++i) {
    const double remaining = static_cast<double>(window - i);
    if (u(rng) * remaining < static_cast<double>(extra)) {
      ++counts[i];
      --extra;
    }
  }
  return counts;
}

// Arrival offsets (seconds) of n draws under `profile` over a window whose Λ totals `area`, nondecreasing.
std::vector<double> arrival_seconds(std::uint64_t n, double area, const RateProfile& profile, Spread spread,
                                    std::mt19937_64& rng) {
  std::vector<double> x(n);
  const double scale = area / static_cast<double>(n);  // 1 unless rounding N moved it
  if (spread == Spread::kUniform) {
    for (std::uint64_t k = 0; k < n; ++k) x[k] = (static_cast<double>(k) + 0.5) * scale;
  } else {
    // Given its count, a Poisson process's points are independent and uniform in Λ-space.
    std::uniform_real_distribution<double> u(0.0, area);
    for (double& v : x) v = u(rng);
    std::sort(x.begin(), x.end());
  }
  for (double& v : x) v = profile.inverse(v);
  return x;
}

}  // namespace

void sample_window(Workload& workload, const WindowOptions& o) {
  if (o.start_minute < 0) throw std::invalid_argument("window start must be >= 0 minutes, not " + std::to_string(o.start_minute));
  if (o.minutes <= 0) throw std::invalid_argument("window length must be positive, not " + std::to_string(o.minutes));
  if (!(o.rate_per_s >= 0) || !std::isfinite(o.rate_per_s))
    throw std::invalid_argument("window rate must be a finite number >= 0 invocations/s");
  if (!(o.ramp_fraction >= 0 && o.ramp_fraction <= 1))
    throw std::invalid_argument("window ramp fraction must be in [0, 1]");
  constexpr std::int64_t kMaxMinutes = std::numeric_limits<Micros>::max() / model::kMicrosPerMinute;
  if (o.start_minute > kMaxMinutes || o.minutes > kMaxMinutes - o.start_minute)
    throw std::invalid_argument("window minutes [" + std::to_string(o.start_minute) + ", +" + std::to_string(o.minutes) +
                                ") end past int64 microseconds (" + std::to_string(kMaxMinutes) + " minutes)");
  const Micros start_us = o.start_minute * model::kMicrosPerMinute;
  const Micros span_us = o.minutes * model::kMicrosPerMinute;
  Micros last_seen = 0;
  std::vector<Invocation> window = read_window(*workload.invocations, start_us, start_us + span_us, &last_seen);
  const std::string where = "minutes [" + std::to_string(o.start_minute) + ", " +
                            std::to_string(o.start_minute + o.minutes) + ") of " + workload.description;
  if (window.empty())
    throw std::invalid_argument("no invocations in " + where + " (last arrival at minute " +
                                std::to_string(last_seen / model::kMicrosPerMinute) + ")");

  std::vector<Invocation> out;
  std::string what;
  if (o.rate_per_s == 0) {
    out = std::move(window);
    what = "all " + std::to_string(out.size()) + " invocations";
  } else {
    const double seconds = static_cast<double>(o.minutes) * 60.0;
    const double area = o.rate_per_s * seconds * (1 - o.ramp_fraction / 2);  // Λ over the window
    // Draws are buffered (and counted per invocation in 32 bits): past that, an error rather than an
    // unspecified llround or an allocation that cannot succeed.
    constexpr double kMaxDraws = std::numeric_limits<std::uint32_t>::max();
    if (!(area <= kMaxDraws))
      throw std::invalid_argument("window rate " + std::to_string(o.rate_per_s) + "/s offers " + std::to_string(area) +
                                  " invocations over " + std::to_string(o.minutes) + " minutes, more than the " +
                                  std::to_string(std::numeric_limits<std::uint32_t>::max()) + " a window can draw");
    const auto n = static_cast<std::uint64_t>(std::llround(area));
    if (n == 0) throw std::invalid_argument("window rate " + std::to_string(o.rate_per_s) + "/s offers no invocation");
    std::mt19937_64 rng(o.seed ^ 0x5a3b1e5ULL);
    const std::vector<std::uint32_t> counts = draw_counts(window.size(), n, rng);
    const std::vector<double> at = arrival_seconds(n, area, RateProfile{o.rate_per_s, o.ramp_fraction * seconds}, o.spread, rng);
    out.reserve(n);
    std::size_t k = 0;
    for (std::size_t i = 0; i < window.size(); ++i) {
      for (std::uint32_t c = 0; c < counts[i]; ++c) {
        Invocation inv = window[i];
        inv.arrival_us = static_cast<Micros>(at[k++] * model::kMicrosPerSecond);
        out.push_back(inv);
      }
    }
    char rate[96];
    std::snprintf(rate, sizeof rate, ", ramp %.0f%% then %.1f/s", 100 * o.ramp_fraction, o.rate_per_s);
    what = std::to_string(n) + " of " + std::to_string(window.size()) + " invocations" +
           (n > window.size() ? " (drawn with replacement)" : "") + rate;
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i].id = i;
  workload.description = what + " from " + where;
  workload.invocations = std::make_unique<VectorSource>(std::move(out), span_us);
}

}  // namespace hearth::trace
