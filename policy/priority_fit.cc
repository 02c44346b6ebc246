#include "policy/priority_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace hearth::policy {
namespace {

constexpr int kMaxSweeps = 100000;
constexpr double kTolerance = 1e-13;

void check_sizes(std::span<const FactorVector> factors, std::span<const double> benefit) {
  if (factors.size() != benefit.size())
    throw std::invalid_argument("priority fit: " + std::to_string(factors.size()) + " factor rows but " +
                                std::to_string(benefit.size()) + " benefits");
  if (factors.empty()) throw std::invalid_argument("priority fit: no functions to fit on");
}

// Factors equal on every row to a later factor (CPU when it is memory / 512, as traces make it): their
// split is arbitrary, so they are pinned at 0 and the later one carries the weight.
std::vector<bool> duplicated_factors(std::span<const FactorVector> factors) {
  std::vector<bool> dup(kPriorityFactors, false);
  for (std::size_t i = 0; i < kPriorityFactors; ++i)
    for (std::size_t j = i + 1; j < kPriorityFactors && !dup[i]; ++j)
      dup[i] = std::all_of(factors.begin(), factors.end(), [&](const FactorVector& x) { return x[i] == x[j]; });
  return dup;
}

}  // namespace

std::vector<double> bounded_least_squares(const std::vector<std::vector<double>>& rows, std::span<const double> b,
                                          std::span<const double> lo, std::span<const double> hi) {
  const std::size_t n = lo.size();
  // Column norms: solving for y = norm · x makes every diagonal of the normal equations 1.
  std::vector<double> norm(n, 0);
  for (const auto& r : rows)
    for (std::size_t j = 0; j < n; ++j) norm[j] += r[j] * r[j];
  for (double& v : norm) v = std::sqrt(v);
  std::vector<double> ata(n * n, 0), atb(n, 0);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    for (std::size_t i = 0; i < n; ++i) {
      if (norm[i] == 0) continue;
      const double ri = r[i] / norm[i];
      atb[i] += ri * b[k];
      for (std::size_t j = 0; j < n; ++j)
        if (norm[j] > 0) ata[i * n + j] += ri * r[j] / norm[j];
    }
  }
  std::vector<double> y(n, 0);
  for (std::size_t j = 0; j < n; ++j)
    if (norm[j] > 0) y[j] = std::clamp(0.0, lo[j] * norm[j], hi[j] * norm[j]);
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    double moved = 0, size = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (norm[j] == 0) continue;
      double grad = -atb[j];
      for (std::size_t i = 0; i < n; ++i) grad += ata[j * n + i] * y[i];
      const double next = std::clamp(y[j] - grad / ata[j * n + j], lo[j] * norm[j], hi[j] * norm[j]);
      moved = std::max(moved, std::fabs(next - y[j]));
      size = std::max(size, std::fabs(next));
      y[j] = next;
    }
    if (moved <= kTolerance * std::max(1.0, size)) break;
  }
  std::vector<double> x(n, 0);
  for (std::size_t j = 0; j < n; ++j)
    if (norm[j] > 0) x[j] = y[j] / norm[j];
  return x;
}

LinearFit fit_linear_priority(std::span<const FactorVector> factors, std::span<const double> benefit) {
  check_sizes(factors, benefit);
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> rows;
  for (const FactorVector& x : factors) {
    std::vector<double> r(x.begin(), x.end());
    r.push_back(1);  // the intercept c
    rows.push_back(std::move(r));
  }
  std::vector<double> lo(kPriorityFactors + 1, 0.0), hi(kPriorityFactors + 1, inf);
  const std::vector<bool> dup = duplicated_factors(factors);
  for (std::size_t i = 0; i < kPriorityFactors; ++i)
    if (dup[i]) hi[i] = 0;
  const std::vector<double> v = bounded_least_squares(rows, benefit, lo, hi);
  double sum = 0;
  for (std::size_t i = 0; i < kPriorityFactors; ++i) sum += v[i];
  if (!(sum > 0))
    throw std::invalid_argument("priority fit: no factor explains the benefit (every linear weight fitted 0)");
  LinearFit fit;
  for (std::size_t i = 0; i < kPriorityFactors; ++i) fit.weights[i] = v[i] / sum;
  fit.eps = v[kPriorityFactors] / sum;
  return fit;
}

FactorVector fit_loglinear_priority(std::span<const FactorVector> factors, std::span<const double> benefit) {
  check_sizes(factors, benefit);
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> rows;
  std::vector<double> target;
  for (std::size_t k = 0; k < factors.size(); ++k) {
    std::vector<double> r;
    for (double x : factors[k]) r.push_back(std::log1p(std::max(0.0, x)));
    r.push_back(1);  // the constant c
    rows.push_back(std::move(r));
    target.push_back(std::log1p(std::max(0.0, benefit[k])));
  }
  std::vector<double> lo(kPriorityFactors + 1, -1.0), hi(kPriorityFactors + 1, 1.0);
  lo.back() = -inf;
  hi.back() = inf;
  const std::vector<bool> dup = duplicated_factors(factors);
  for (std::size_t i = 0; i < kPriorityFactors; ++i)
    if (dup[i]) lo[i] = hi[i] = 0;
  const std::vector<double> w = bounded_least_squares(rows, target, lo, hi);
  FactorVector out{};
  bool any = false;
  for (std::size_t i = 0; i < kPriorityFactors; ++i) {
    out[i] = w[i];
    any = any || w[i] != 0;
  }
  if (!any) throw std::invalid_argument("priority fit: no factor explains the benefit (every log-linear weight fitted 0)");
  return out;
}

}  // namespace hearth::policy
