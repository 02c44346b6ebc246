#include "trace/poisson_draw.h"

#include <cmath>

namespace hearth::trace {
namespace {

// Inversion: the smallest k with F(k) > u, walking the pmf up from k = 0 (expected cost mean + 1 steps).
std::uint64_t draw_by_inversion(double mean, std::mt19937_64& rng) {
  double p = std::exp(-mean), cdf = p;
  const double u = unit_uniform(rng);
  std::uint64_t k = 0;
  while (u >= cdf && p > 0) {
    ++k;
    p *= mean / static_cast<double>(k);
    cdf += p;
  }
  return k;
}

// PTRS (Hörmann 1993), valid for mean >= 10.
std::uint64_t draw_by_ptrs(double mean, std::mt19937_64& rng) {
  const double slam = std::sqrt(mean), loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = unit_uniform(rng) - 0.5, v = unit_uniform(rng), us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    int sign = 0;
    const double log_factorial = ::lgamma_r(k + 1, &sign);  // lgamma_r: no shared signgam between threads
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <= -mean + k * loglam - log_factorial)
      return static_cast<std::uint64_t>(k);
  }
}

}  // namespace

std::uint64_t draw_poisson(double mean, std::mt19937_64& rng) {
  if (!(mean > 0)) return 0;
  return mean < kPoissonInversionMax ? draw_by_inversion(mean, rng) : draw_by_ptrs(mean, rng);
}

}  // namespace hearth::trace
