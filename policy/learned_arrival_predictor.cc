#include "policy/learned_arrival_predictor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

namespace hearth::policy {
namespace {

constexpr std::size_t kLagFeatures = 7;
constexpr std::size_t kProphetFeatures = 4;
constexpr std::int64_t kDay = 1440;
// Rows start at this minute (earlier ones have too little history for the lags; the 60-minute mean counts the
// minutes before 0 as zeros, the day lags are missing before a day).
constexpr std::int64_t kMaxLag = 10;
const float kMissing = std::numeric_limits<float>::quiet_NaN();

}  // namespace

LearnedArrivalPredictor::LearnedArrivalPredictor(std::span<const model::FunctionSpec> functions,
                                                 LearnedPredictorParams params)
    : p_(std::move(params)) {
  if (p_.first_fit < model::kMicrosPerMinute * 2 || p_.refit_every < model::kMicrosPerMinute)
    throw std::invalid_argument("arrival predictor: first fit must be >= 2m and refit >= 1m");
  if (p_.bucket_minutes < 1) throw std::invalid_argument("arrival predictor: bucket must be >= 1 minute");
  if (p_.max_rows < 1) throw std::invalid_argument("arrival predictor: max_rows must be >= 1");
  if (!(p_.capacity_factor > 0)) throw std::invalid_argument("arrival predictor: capacity factor must be > 0");
  for (const auto& f : functions) on_function_added(f);
}

void LearnedArrivalPredictor::on_function_added(const model::FunctionSpec& fn) {
  history_.ensure(fn.id);
  if (prophet_.size() <= fn.id) prophet_.resize(static_cast<std::size_t>(fn.id) + 1);
}

void LearnedArrivalPredictor::on_arrival(model::FunctionId fn, model::Micros now) {
  history_.add(fn, now);
  if (prophet_.size() <= fn) prophet_.resize(static_cast<std::size_t>(fn) + 1);
}

std::size_t LearnedArrivalPredictor::feature_count() const {
  return kLagFeatures + (p_.prophet_features ? kProphetFeatures : 0);
}

void LearnedArrivalPredictor::row(model::FunctionId fn, std::int64_t t, float* out) const {
  const auto mean = [&](std::int64_t from, std::int64_t to) {
    return static_cast<float>(static_cast<double>(history_.window_sum(fn, from, to)) / static_cast<double>(to - from));
  };
  out[0] = static_cast<float>(history_.count(fn, t - 1));
  out[1] = static_cast<float>(history_.count(fn, t - 2));
  out[2] = static_cast<float>(history_.count(fn, t - 3));
  out[3] = mean(t - 10, t);
  out[4] = mean(t - 60, t);
  const bool day_back = t - kDay - 5 >= 0;
  out[5] = day_back ? static_cast<float>(history_.count(fn, t - kDay)) : kMissing;
  out[6] = day_back ? mean(t - kDay - 5, t - kDay + 6) : kMissing;
  if (!p_.prophet_features) return;
  const ProphetModel* m = fn < prophet_.size() ? prophet_[fn].get() : nullptr;
  const ProphetModel::Components c = m ? m->components(static_cast<double>(t) + 0.5) : ProphetModel::Components{};
  out[7] = static_cast<float>(c.trend);
  out[8] = static_cast<float>(c.seasonal());
  out[9] = static_cast<float>(c.holiday);
  out[10] = static_cast<float>(c.total());
}

std::vector<float> LearnedArrivalPredictor::features(model::FunctionId fn, std::int64_t target_minute) const {
  std::vector<float> out(feature_count());
  row(fn, target_minute, out.data());
  return out;
}

void LearnedArrivalPredictor::fit_prophet(std::int64_t end) {
  const std::size_t n_fn = history_.functions();
  const std::int64_t b = p_.bucket_minutes;
  const std::int64_t buckets = end / b;
  std::vector<double> t, y;
  for (model::FunctionId fn = 0; fn < n_fn; ++fn) {
    prophet_[fn].reset();
    if (buckets < 2 || history_.total_before(fn, buckets * b) < static_cast<std::uint64_t>(p_.min_prophet_arrivals))
      continue;
    t.clear();
    y.clear();
    double peak = 0;
    for (std::int64_t k = 0; k < buckets; ++k) {
      t.push_back(static_cast<double>(k * b) + static_cast<double>(b) / 2);
      y.push_back(static_cast<double>(history_.window_sum(fn, k * b, (k + 1) * b)) / static_cast<double>(b));
      peak = std::max(peak, y.back());
    }
    ProphetOptions o;
    o.growth = p_.growth;
    o.capacity = std::max(1e-3, p_.capacity_factor * peak);
    o.special_days = p_.special_days;
    auto m = std::make_unique<ProphetModel>(o);
    m->fit(t, y);
    prophet_[fn] = std::move(m);
  }
}

void LearnedArrivalPredictor::fit(std::int64_t end) {
  const std::size_t n_fn = history_.functions();
  if (end <= kMaxLag + 1 || n_fn == 0) return;
  if (prophet_.size() < n_fn) prophet_.resize(n_fn);
  // Stacking without leakage: the boosted model learns from rows of the last `holdout` minutes, whose
  // Prophet features come from a fit on the history before them (extrapolated, as at prediction time);
  // an in-sample fit would have seen each row's own minute. Then Prophet is refitted on everything.
  std::int64_t first_row = kMaxLag;
  if (p_.prophet_features) {
    const std::int64_t holdout = std::clamp<std::int64_t>(
        std::min(ArrivalHistory::minute_of(p_.refit_every), end / 4), 1, end - kMaxLag - 1);
    first_row = end - holdout;
    fit_prophet(first_row);
  }
  // Rows: every (function, minute τ) with first_row ≤ τ < end, sampled down to max_rows.
  const auto per_fn = static_cast<std::uint64_t>(end - first_row);
  const std::uint64_t all = per_fn * n_fn;
  const auto want = std::min<std::uint64_t>(all, static_cast<std::uint64_t>(p_.max_rows));
  std::vector<std::uint64_t> picks;
  picks.reserve(want);
  if (want == all) {
    for (std::uint64_t i = 0; i < all; ++i) picks.push_back(i);
  } else {
    // Selection sampling (Knuth's Algorithm S): `want` of `all` uniformly, in order, deterministically.
    std::mt19937_64 rng(p_.seed + static_cast<std::uint64_t>(end));
    std::uniform_real_distribution<double> u(0, 1);
    for (std::uint64_t i = 0; i < all && picks.size() < want; ++i)
      if (static_cast<double>(all - i) * u(rng) < static_cast<double>(want - picks.size())) picks.push_back(i);
  }
  const std::size_t cols = feature_count();
  std::vector<float> x(picks.size() * cols), y(picks.size());
  for (std::size_t r = 0; r < picks.size(); ++r) {
    const auto fn = static_cast<model::FunctionId>(picks[r] / per_fn);
    const std::int64_t tau = first_row + static_cast<std::int64_t>(picks[r] % per_fn);
    row(fn, tau, x.data() + r * cols);
    y[r] = static_cast<float>(history_.count(fn, tau));
  }
  XgbParams xp = p_.xgb;
  xp.seed = p_.seed;
  xgb_.train(x, picks.size(), cols, y, xp);
  if (p_.prophet_features) fit_prophet(end);
  last_fit_minute_ = end;
  ++fits_;
  cached_target_ = -1;
}

void LearnedArrivalPredictor::predict_all(std::int64_t target) {
  const std::int64_t complete = target;  // minutes before the target are complete
  const auto first = ArrivalHistory::minute_of(p_.first_fit), every = ArrivalHistory::minute_of(p_.refit_every);
  if ((last_fit_minute_ < 0 && complete >= first) || (last_fit_minute_ >= 0 && complete - last_fit_minute_ >= every))
    fit(complete);
  const std::size_t n_fn = history_.functions();
  cached_.assign(n_fn, 0);
  if (!xgb_.trained()) {
    for (model::FunctionId fn = 0; fn < n_fn; ++fn) cached_[fn] = history_.count(fn, target - 1);
  } else {
    const std::size_t cols = feature_count();
    batch_.resize(n_fn * cols);
    for (model::FunctionId fn = 0; fn < n_fn; ++fn) row(fn, target, batch_.data() + fn * cols);
    const std::vector<float> out = xgb_.predict(batch_, n_fn);
    for (std::size_t i = 0; i < n_fn; ++i) cached_[i] = std::max(0.0, static_cast<double>(out[i]));
  }
  cached_target_ = target;
}

double LearnedArrivalPredictor::predict_next_minute(model::FunctionId fn, model::Micros now) {
  const std::int64_t target = ArrivalHistory::minute_of(now) + 1;
  history_.ensure(fn);
  if (prophet_.size() <= fn) prophet_.resize(static_cast<std::size_t>(fn) + 1);
  if (target != cached_target_ || cached_.size() <= fn) predict_all(target);
  return cached_[fn];
}

}  // namespace hearth::policy
