#include "crl/environment_clusters.h"

#include <limits>
#include <random>
#include <stdexcept>
#include <string>

namespace hearth::crl {
namespace {

double squared_distance(std::span<const double> a, std::span<const double> b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += (a[i] - b[i]) * (a[i] - b[i]);
  return d;
}

}  // namespace

std::vector<double> normalise_arrivals(std::span<const float> counts) {
  double sum = 0;
  for (float c : counts) sum += c;
  std::vector<double> out(counts.size(), 0.0);
  if (sum > 0)
    for (std::size_t i = 0; i < counts.size(); ++i) out[i] = counts[i] / sum;
  return out;
}

std::size_t nearest_environment(std::span<const std::vector<double>> centroids, std::span<const double> v) {
  std::size_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < centroids.size(); ++c) {
    const double d = squared_distance(centroids[c], v);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

Clustering cluster_environments(std::span<const std::vector<double>> vectors, std::size_t k, std::uint64_t seed,
                                int max_iterations) {
  if (k == 0) throw std::invalid_argument("environment clustering: k must be at least 1");
  if (vectors.empty()) throw std::invalid_argument("environment clustering: no arrival vectors to cluster");
  const std::size_t d = vectors[0].size();
  for (std::size_t i = 0; i < vectors.size(); ++i)
    if (vectors[i].size() != d)
      throw std::invalid_argument("environment clustering: vector " + std::to_string(i) + " has " +
                                  std::to_string(vectors[i].size()) + " entries, vector 0 has " + std::to_string(d));
  std::mt19937_64 rng(seed);
  Clustering out;
  // k-means++: the first centroid uniformly, each next with probability ∝ squared distance to the nearest.
  out.centroids.push_back(vectors[std::uniform_int_distribution<std::size_t>(0, vectors.size() - 1)(rng)]);
  std::vector<double> dist(vectors.size());
  while (out.centroids.size() < k) {
    double total = 0;
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      dist[i] = squared_distance(vectors[i], out.centroids[nearest_environment(out.centroids, vectors[i])]);
      total += dist[i];
    }
    if (total <= 0) break;  // every vector coincides with a centroid: fewer distinct vectors than k
    double r = std::uniform_real_distribution<double>(0, total)(rng);
    std::size_t pick = 0;
    for (; pick + 1 < vectors.size(); ++pick) {
      if (r < dist[pick]) break;
      r -= dist[pick];
    }
    while (dist[pick] <= 0) pick = pick == 0 ? vectors.size() - 1 : pick - 1;  // never a duplicate centroid
    out.centroids.push_back(vectors[pick]);
  }
  out.assignment.assign(vectors.size(), 0);
  for (out.iterations = 0; out.iterations < max_iterations; ++out.iterations) {
    bool changed = out.iterations == 0;
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      const std::size_t c = nearest_environment(out.centroids, vectors[i]);
      if (c != out.assignment[i]) out.assignment[i] = c, changed = true;
    }
    if (!changed) break;
    std::vector<std::vector<double>> sums(out.centroids.size(), std::vector<double>(d, 0.0));
    std::vector<std::size_t> sizes(out.centroids.size(), 0);
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      ++sizes[out.assignment[i]];
      for (std::size_t j = 0; j < d; ++j) sums[out.assignment[i]][j] += vectors[i][j];
    }
    for (std::size_t c = 0; c < out.centroids.size(); ++c)
      if (sizes[c] > 0)  // an emptied cluster keeps its centroid
        for (std::size_t j = 0; j < d; ++j) out.centroids[c][j] = sums[c][j] / static_cast<double>(sizes[c]);
  }
  return out;
}

}  // namespace hearth::crl
