// Environment clustering for CRL (seed 002 §VI-C "Environment"): each minute of history is an arrival
// vector e = [N_j] over the model's functions, normalised to a distribution (each count divided by the
// minute's total; a minute with no arrivals is the zero vector), so environments group minutes by *which*
// functions arrive, not by load. The paper names kNN, a classifier that needs labelled groups first; we form
// the groups with k-means (k-means++ seeding, Lloyd iterations, Euclidean distance) and then classify a
// current vector by its nearest centroid (1-NN over the environments), e = kNN(E, Z).
// Deterministic given the seed (ties: lowest index). Cost: O(iterations · n · k · d) to cluster;
// nearest_environment O(k · d).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hearth::crl {

struct Clustering {
  std::vector<std::vector<double>> centroids;  // k' ≤ k (at most the number of distinct vectors)
  std::vector<std::size_t> assignment;         // per input vector: its centroid
  int iterations = 0;
};

// `counts` → distribution (sum 1), or all zeros if the sum is 0.
std::vector<double> normalise_arrivals(std::span<const float> counts);

// Clusters `vectors` (all the same size, at least one) into at most k groups. Throws std::invalid_argument
// for k = 0, no vectors or ragged vectors.
Clustering cluster_environments(std::span<const std::vector<double>> vectors, std::size_t k, std::uint64_t seed,
                                int max_iterations = 100);

// The index of the centroid nearest to `v` (Euclidean; ties: lowest index).
std::size_t nearest_environment(std::span<const std::vector<double>> centroids, std::span<const double> v);

}  // namespace hearth::crl
