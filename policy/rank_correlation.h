// Rank correlation (Spearman's rho) for Incendio's factor analysis (§IV of seed 002) and anything else
// that asks whether two quantities move together monotonically.
//   average_ranks  1-based ranks, tied values sharing the mean of the ranks they span
//                  ([10, 20, 20, 30] → [1, 2.5, 2.5, 4]), as scipy.stats.rankdata's "average"
//   spearman       Pearson's correlation of the average ranks (scipy.stats.spearmanr); NaN when fewer
//                  than two pairs or either side is constant (the correlation is undefined there).
//                  Throws std::invalid_argument when the sides differ in length or hold a NaN.
// Pure; no I/O. Cost: O(n log n).
#pragma once

#include <span>
#include <vector>

namespace hearth::policy {

std::vector<double> average_ranks(std::span<const double> values);
double spearman(std::span<const double> x, std::span<const double> y);

}  // namespace hearth::policy
