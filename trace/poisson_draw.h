// Fast draws for the synthetic generator's arrival process (trace/synth_source.cc): a uniform double in
// [0, 1) from one 64-bit draw, a uniform integer in [0, n) by multiply-shift, and a Poisson count of any
// mean in O(1) expected time — inversion (sequential search from 0) below kPoissonInversionMax, Hörmann's
// transformed rejection with squeeze (PTRS, "The transformed rejection method for generating Poisson random
// variables", Insurance: Mathematics and Economics 12, 1993; as numpy's random_poisson_ptrs) above.
// std::poisson_distribution rebuilds its tables whenever the mean changes, which the generator's does every
// minute. Deterministic for a given engine state; the engine is the caller's (not thread-safe).
#pragma once

#include <cstdint>
#include <random>

namespace hearth::trace {

inline constexpr double kPoissonInversionMax = 10;

inline double unit_uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Uniform in [0, n) for n < 2^32 (the high 32 bits of a draw, scaled: bias below 2^-32 · n).
inline std::uint64_t uniform_below(std::uint64_t n, std::mt19937_64& rng) { return ((rng() >> 32) * n) >> 32; }

// A Poisson(mean) count; mean >= 0 and finite (0 for mean 0).
std::uint64_t draw_poisson(double mean, std::mt19937_64& rng);

}  // namespace hearth::trace
