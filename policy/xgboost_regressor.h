// XgbRegressor: a gradient-boosted regression model through XGBoost's C API (Debian's libxgboost-dev;
// LightGBM, which Incendio uses, is not packaged in Debian). RAII over the booster handle; the C API's
// header stays in the .cc.
// Objective: Incendio (§V) "selected an L1 regularized regression model as the target ... with fewer than
// 200 iterations". In LightGBM's vocabulary the target is the objective and its L1 regression objective is
// `regression_l1` (absolute error), so the default is XGBoost's `reg:absoluteerror` (the L1 loss; 1.7+);
// `alpha` (L1 regularisation of the leaf weights) is a separate knob, 0 by default. Rounds are capped at 200.
// Deterministic: nthread = 1, fixed seed, exact tree method on the given rows.
// Cost: train O(rounds · rows · features · depth); predict O(rows · rounds · depth) plus a DMatrix per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hearth::policy {

struct XgbParams {
  std::string objective = "reg:absoluteerror";
  int rounds = 100;  // boosting iterations, 1..200
  int max_depth = 6;
  double eta = 0.1;
  double alpha = 0;   // L1 regularisation on leaf weights
  double lambda = 1;  // L2 regularisation on leaf weights
  double subsample = 1;
  std::uint64_t seed = 0;
  std::string tree_method = "exact";  // exact | hist | approx
};

class XgbRegressor {
 public:
  XgbRegressor() = default;
  XgbRegressor(XgbRegressor&& other) noexcept;
  XgbRegressor& operator=(XgbRegressor&& other) noexcept;
  XgbRegressor(const XgbRegressor&) = delete;
  XgbRegressor& operator=(const XgbRegressor&) = delete;
  ~XgbRegressor();

  // Trains a new model on `rows` rows of `cols` features (row-major, NaN = missing) with labels `y`.
  // Throws std::invalid_argument for inconsistent sizes or parameters, std::runtime_error with XGBoost's
  // message if the library fails.
  void train(std::span<const float> x, std::size_t rows, std::size_t cols, std::span<const float> y,
             const XgbParams& params);
  bool trained() const { return booster_ != nullptr; }
  std::size_t feature_count() const { return cols_; }

  // Predictions for `rows` rows of feature_count() features. Throws if not trained.
  std::vector<float> predict(std::span<const float> x, std::size_t rows) const;

  // The model as bytes (XGBoost's UBJSON model format) and back; load throws std::runtime_error on bad bytes.
  std::vector<std::uint8_t> save() const;
  static XgbRegressor load(std::span<const std::uint8_t> bytes, std::size_t feature_count);

 private:
  void reset();
  void* booster_ = nullptr;  // BoosterHandle
  std::size_t cols_ = 0;
};

}  // namespace hearth::policy
