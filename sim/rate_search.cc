#include "sim/rate_search.h"

#include <stdexcept>
#include <utility>

namespace hearth::sim {

bool keeps_up(const SimResult& result, model::Micros window_us, double keep_up) {
  const Metrics& m = result.metrics;
  if (m.invocations() == 0) return true;
  if (m.dropped() > 0) return false;
  std::uint64_t started = 0;
  for (const SeriesPoint& p : m.series())
    if (p.start_us + m.interval_us() <= window_us) started += p.started;
  return static_cast<double>(started) >= keep_up * static_cast<double>(m.invocations());
}

RateSearchResult find_max_sustained_rate(const std::function<SimResult(double)>& simulate, model::Micros window_us,
                                         const RateSearch& s) {
  if (!(s.low > 0) || !(s.high > s.low)) throw std::invalid_argument("rate search needs 0 < low < high");
  if (!(s.precision > 0)) throw std::invalid_argument("rate search precision must be positive");
  RateSearchResult out;
  auto attempt = [&](double rate, SimResult* kept) {
    SimResult r = simulate(rate);
    ++out.simulations;
    const bool ok = keeps_up(r, window_us, s.keep_up);
    if (ok || !kept->metrics.invocations()) *kept = std::move(r);
    return ok;
  };
  SimResult best;
  if (attempt(s.high, &best)) {
    out.rate = s.high;
    out.capped = true;
    out.at_rate = std::move(best);
    return out;
  }
  best = SimResult{};
  if (!attempt(s.low, &best)) {
    out.at_rate = std::move(best);  // the run at `low`, for the record
    return out;
  }
  double lower = s.low, upper = s.high;
  while (upper - lower > s.precision * lower) {
    const double mid = (lower + upper) / 2;
    if (!(mid > lower && mid < upper)) break;  // adjacent doubles: no finer precision exists
    if (attempt(mid, &best))
      lower = mid;
    else
      upper = mid;
  }
  out.rate = lower;
  out.at_rate = std::move(best);
  return out;
}

}  // namespace hearth::sim
