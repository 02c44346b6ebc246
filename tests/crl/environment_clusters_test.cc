#include "crl/environment_clusters.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace hearth::crl {
namespace {

TEST(EnvironmentClusters, NormalisesCountsToADistribution) {
  const std::vector<float> counts = {3, 1, 0, 4};
  EXPECT_EQ(normalise_arrivals(counts), (std::vector<double>{0.375, 0.125, 0, 0.5}));
  const std::vector<float> none = {0, 0};
  EXPECT_EQ(normalise_arrivals(none), (std::vector<double>{0, 0}));
}

TEST(EnvironmentClusters, SeparatesTwoHandMadeGroups) {
  // Minutes where function 0 dominates and minutes where function 1 does.
  const std::vector<std::vector<double>> v = {{1.0, 0.0}, {0.9, 0.1}, {0.95, 0.05},
                                              {0.0, 1.0}, {0.1, 0.9}, {0.05, 0.95}};
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const Clustering c = cluster_environments(v, 2, seed);
    ASSERT_EQ(c.centroids.size(), 2u);
    EXPECT_EQ(c.assignment[0], c.assignment[1]);
    EXPECT_EQ(c.assignment[0], c.assignment[2]);
    EXPECT_EQ(c.assignment[3], c.assignment[4]);
    EXPECT_EQ(c.assignment[3], c.assignment[5]);
    EXPECT_NE(c.assignment[0], c.assignment[3]);
    // Centroids are the group means (hand-computed: 0.95/0.05 and 0.05/0.95).
    const std::size_t a = c.assignment[0];
    EXPECT_NEAR(c.centroids[a][0], 0.95, 1e-12);
    EXPECT_NEAR(c.centroids[a][1], 0.05, 1e-12);
    const std::vector<double> now = {0.8, 0.2};
    EXPECT_EQ(nearest_environment(c.centroids, now), a);
  }
}

TEST(EnvironmentClusters, DeterministicBySeedAndNeverMoreCentroidsThanDistinctVectors) {
  const std::vector<std::vector<double>> v = {{1, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0.5, 0.5}, {0, 0, 1}};
  const Clustering a = cluster_environments(v, 3, 42), b = cluster_environments(v, 3, 42);
  EXPECT_EQ(a.centroids, b.centroids);
  EXPECT_EQ(a.assignment, b.assignment);
  const std::vector<std::vector<double>> same = {{1, 0}, {1, 0}, {1, 0}};
  EXPECT_EQ(cluster_environments(same, 3, 1).centroids.size(), 1u);
}

TEST(EnvironmentClusters, RejectsBadInput) {
  const std::vector<std::vector<double>> ragged = {{1, 0}, {1}};
  EXPECT_THROW(cluster_environments(ragged, 2, 1), std::invalid_argument);
  EXPECT_THROW(cluster_environments({}, 2, 1), std::invalid_argument);
  const std::vector<std::vector<double>> one = {{1}};
  EXPECT_THROW(cluster_environments(one, 0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::crl
