#include "policy/priority_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace hearth::policy {
namespace {

constexpr std::size_t kInit = static_cast<std::size_t>(PriorityFactor::kInit);
constexpr std::size_t kFreq = static_cast<std::size_t>(PriorityFactor::kFreq);
constexpr std::size_t kMem = static_cast<std::size_t>(PriorityFactor::kMem);

FactorVector row(std::size_t a, double va, std::size_t b, double vb) {
  FactorVector x{};
  x[a] = va;
  x[b] = vb;
  return x;
}

TEST(BoundedLeastSquares, ClampsToTheBox) {
  const std::vector<std::vector<double>> rows = {{1}, {1}};
  const std::vector<double> b = {3, 5};
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> lo = {-inf}, hi = {inf}, hi2 = {2}, lo6 = {6};
  EXPECT_NEAR(bounded_least_squares(rows, b, lo, hi)[0], 4, 1e-9);   // the mean
  EXPECT_NEAR(bounded_least_squares(rows, b, lo, hi2)[0], 2, 1e-9);  // capped
  EXPECT_NEAR(bounded_least_squares(rows, b, lo6, hi)[0], 6, 1e-9);  // floored
}

TEST(PriorityFit, LinearRecoversSimplexWeightsAndEpsilon) {
  // b = 2·init + 1·freq (+ 0.6): v = (2, 1), c = 0 (0.6) → w = (2/3, 1/3), ε = 0 (0.6 / 3 = 0.2).
  const std::vector<FactorVector> x = {row(kInit, 1, kFreq, 0), row(kInit, 0, kFreq, 1), row(kInit, 1, kFreq, 1),
                                       row(kInit, 2, kFreq, 3)};
  std::vector<double> b = {2, 1, 3, 7};
  LinearFit fit = fit_linear_priority(x, b);
  EXPECT_NEAR(fit.weights[kInit], 2.0 / 3, 1e-9);
  EXPECT_NEAR(fit.weights[kFreq], 1.0 / 3, 1e-9);
  EXPECT_NEAR(fit.eps, 0, 1e-9);
  for (double& v : b) v += 0.6;
  fit = fit_linear_priority(x, b);
  EXPECT_NEAR(fit.weights[kInit], 2.0 / 3, 1e-9);
  EXPECT_NEAR(fit.eps, 0.2, 1e-9);
  double sum = 0;
  for (double w : fit.weights) sum += w;
  EXPECT_NEAR(sum, 1, 1e-12);
  // The spec it writes builds the same priorities.
  EXPECT_NO_THROW(make_priority_model(linear_spec(fit.weights, fit.eps)));
}

TEST(PriorityFit, LinearNeverGoesNegative) {
  // b falls with init: an unconstrained fit would give init a negative weight; NNLS gives it 0.
  const std::vector<FactorVector> x = {row(kInit, 1, kFreq, 1), row(kInit, 2, kFreq, 1), row(kInit, 3, kFreq, 2)};
  const std::vector<double> b = {3, 2, 3};
  const LinearFit fit = fit_linear_priority(x, b);
  for (double w : fit.weights) EXPECT_GE(w, 0);
  EXPECT_NEAR(fit.weights[kFreq], 1, 1e-9);
}

TEST(PriorityFit, LogLinearRecoversSignedExponents) {
  // log(1 + b) = 0.5·log(1 + init) − 0.25·log(1 + mem) + 0.5
  std::vector<FactorVector> x;
  std::vector<double> b;
  for (double init : {0.0, 1.0, 3.0, 7.0})
    for (double mem : {0.0, 1.0, 3.0}) {
      x.push_back(row(kInit, init, kMem, mem));
      b.push_back(std::exp(0.5 * std::log1p(init) - 0.25 * std::log1p(mem) + 0.5) - 1);
    }
  const FactorVector w = fit_loglinear_priority(x, b);
  EXPECT_NEAR(w[kInit], 0.5, 1e-7);
  EXPECT_NEAR(w[kMem], -0.25, 1e-7);
  EXPECT_NEAR(w[kFreq], 0, 1e-12);  // a factor 0 everywhere gets no weight
  EXPECT_NO_THROW(make_priority_model(loglinear_spec(w)));
}

TEST(PriorityFit, IdenticalFactorsGiveTheWeightToTheLaterOne) {
  // cpu = mem on every row (a trace's CPU is memory / 512): b = 3·mem → mem 1, cpu 0 in both models.
  const std::size_t kCpu = static_cast<std::size_t>(PriorityFactor::kCpu);
  std::vector<FactorVector> x;
  std::vector<double> b;
  for (double v : {0.25, 0.5, 1.0, 2.0}) {
    x.push_back(row(kCpu, v, kMem, v));
    b.push_back(3 * v);
  }
  const LinearFit fit = fit_linear_priority(x, b);
  EXPECT_EQ(fit.weights[kCpu], 0);
  EXPECT_NEAR(fit.weights[kMem], 1, 1e-12);
  EXPECT_EQ(fit_loglinear_priority(x, b)[kCpu], 0);
}

TEST(PriorityFit, BadInput) {
  const std::vector<FactorVector> one = {row(kInit, 1, kFreq, 1)}, zero = {FactorVector{}};
  const std::vector<double> two = {1, 2}, b1 = {1};
  EXPECT_THROW(fit_linear_priority(one, two), std::invalid_argument);
  EXPECT_THROW(fit_linear_priority({}, {}), std::invalid_argument);
  EXPECT_THROW(fit_linear_priority(zero, b1), std::invalid_argument);
  EXPECT_THROW(fit_loglinear_priority(zero, b1), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::policy
