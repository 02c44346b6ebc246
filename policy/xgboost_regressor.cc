#include "policy/xgboost_regressor.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace hearth::policy {
namespace {

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("xgboost: ") + what + ": " + XGBGetLastError());
}

// A DMatrix owned for one call.
class Matrix {
 public:
  Matrix(std::span<const float> x, std::size_t rows, std::size_t cols) {
    check(XGDMatrixCreateFromMat(x.data(), rows, cols, std::numeric_limits<float>::quiet_NaN(), &h_),
          "creating a matrix");
  }
  ~Matrix() { XGDMatrixFree(h_); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle get() const { return h_; }

 private:
  DMatrixHandle h_ = nullptr;
};

void set(BoosterHandle b, const char* name, const std::string& value) {
  check(XGBoosterSetParam(b, name, value.c_str()), name);
}

// One booster per process would share XGBoost's global thread pool; nthread = 1 keeps every call on the
// caller's thread and the result independent of the machine.
void set_common(BoosterHandle b) {
  set(b, "nthread", "1");
  set(b, "verbosity", "0");
}

}  // namespace

XgbRegressor::XgbRegressor(XgbRegressor&& other) noexcept
    : booster_(std::exchange(other.booster_, nullptr)), cols_(std::exchange(other.cols_, 0)) {}

XgbRegressor& XgbRegressor::operator=(XgbRegressor&& other) noexcept {
  if (this != &other) {
    reset();
    booster_ = std::exchange(other.booster_, nullptr);
    cols_ = std::exchange(other.cols_, 0);
  }
  return *this;
}

XgbRegressor::~XgbRegressor() { reset(); }

void XgbRegressor::reset() {
  if (booster_) XGBoosterFree(booster_);
  booster_ = nullptr;
  cols_ = 0;
}

void XgbRegressor::train(std::span<const float> x, std::size_t rows, std::size_t cols, std::span<const float> y,
                         const XgbParams& p) {
  if (rows == 0 || cols == 0) throw std::invalid_argument("xgboost: no training rows or no features");
  if (x.size() != rows * cols) throw std::invalid_argument("xgboost: feature matrix is not rows x cols");
  if (y.size() != rows) throw std::invalid_argument("xgboost: one label per row needed");
  if (p.rounds < 1 || p.rounds > 200) throw std::invalid_argument("xgboost: rounds must lie in 1..200");
  if (p.max_depth < 1 || !(p.eta > 0) || p.alpha < 0 || p.lambda < 0 || !(p.subsample > 0 && p.subsample <= 1))
    throw std::invalid_argument("xgboost: bad parameter (max_depth >= 1, eta > 0, alpha, lambda >= 0, subsample in (0, 1])");
  for (float v : y)
    if (!std::isfinite(v)) throw std::invalid_argument("xgboost: labels must be finite");
  reset();
  Matrix m(x, rows, cols);
  check(XGDMatrixSetFloatInfo(m.get(), "label", y.data(), rows), "setting labels");
  BoosterHandle b = nullptr;
  const DMatrixHandle train_set[] = {m.get()};
  check(XGBoosterCreate(train_set, 1, &b), "creating a booster");
  booster_ = b;
  set_common(b);
  set(b, "objective", p.objective);
  set(b, "max_depth", std::to_string(p.max_depth));
  set(b, "eta", std::to_string(p.eta));
  set(b, "alpha", std::to_string(p.alpha));
  set(b, "lambda", std::to_string(p.lambda));
  set(b, "subsample", std::to_string(p.subsample));
  set(b, "seed", std::to_string(p.seed));
  set(b, "tree_method", p.tree_method);
  for (int i = 0; i < p.rounds; ++i) check(XGBoosterUpdateOneIter(b, i, m.get()), "training");
  cols_ = cols;
}

std::vector<float> XgbRegressor::predict(std::span<const float> x, std::size_t rows) const {
  if (!booster_) throw std::logic_error("xgboost: predict before train or load");
  if (x.size() != rows * cols_) throw std::invalid_argument("xgboost: feature matrix is not rows x feature_count()");
  if (rows == 0) return {};
  Matrix m(x, rows, cols_);
  bst_ulong len = 0;
  const float* out = nullptr;
  check(XGBoosterPredict(booster_, m.get(), 0, 0, 0, &len, &out), "predicting");
  return {out, out + len};
}

std::vector<std::uint8_t> XgbRegressor::save() const {
  if (!booster_) throw std::logic_error("xgboost: save before train or load");
  bst_ulong len = 0;
  const char* data = nullptr;
  check(XGBoosterSaveModelToBuffer(booster_, R"({"format": "ubj"})", &len, &data), "saving the model");
  return {reinterpret_cast<const std::uint8_t*>(data), reinterpret_cast<const std::uint8_t*>(data) + len};
}

XgbRegressor XgbRegressor::load(std::span<const std::uint8_t> bytes, std::size_t feature_count) {
  if (bytes.empty()) throw std::runtime_error("xgboost: empty model");
  XgbRegressor r;
  BoosterHandle b = nullptr;
  check(XGBoosterCreate(nullptr, 0, &b), "creating a booster");
  r.booster_ = b;
  check(XGBoosterLoadModelFromBuffer(b, bytes.data(), bytes.size()), "loading the model");
  set_common(b);
  r.cols_ = feature_count;
  return r;
}

}  // namespace hearth::policy
