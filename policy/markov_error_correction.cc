#include "policy/markov_error_correction.h"

#include <algorithm>

namespace hearth::policy {

MarkovErrorCorrection::MarkovErrorCorrection(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      transitions_(states() * states(), 0),
      error_sum_(states(), 0),
      error_count_(states(), 0),
      current_(0) {}

std::size_t MarkovErrorCorrection::state_of(double e) const {
  return static_cast<std::size_t>(std::upper_bound(bounds_.begin(), bounds_.end(), e) - bounds_.begin());
}

void MarkovErrorCorrection::observe(double forecast, double actual) {
  const double e = (actual - forecast) / std::max(forecast, 1.0);
  const std::size_t s = state_of(e);
  error_sum_[s] += e;
  ++error_count_[s];
  if (has_current_) ++transitions_[current_ * states() + s];
  current_ = s;
  has_current_ = true;
}

double MarkovErrorCorrection::expected_error() const {
  if (!has_current_) return 0;
  std::uint64_t out = 0;
  double sum = 0;
  for (std::size_t j = 0; j < states(); ++j) {
    const std::uint32_t n = transitions_[current_ * states() + j];
    if (n == 0) continue;
    out += n;
    sum += n * (error_sum_[j] / error_count_[j]);
  }
  return out == 0 ? 0 : sum / static_cast<double>(out);
}

double MarkovErrorCorrection::correct(double forecast) const {
  return std::max(0.0, forecast + expected_error() * std::max(forecast, 1.0));
}

}  // namespace hearth::policy
