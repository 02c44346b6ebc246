#include "policy/prophet_model.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace hearth::policy {
namespace {

constexpr double kMinutesPerDay = 1440;
constexpr double kMinutesPerWeek = 7 * 1440;
constexpr double kBasePriorScale = 5;  // Prophet's Normal(0, 5) on k and m
constexpr double kL1Epsilon = 1e-6;    // IRLS floor on |δ|
constexpr double kMinNoiseVariance = 1e-6;

double logistic(double cap, double x) { return cap / (1.0 + std::exp(-x)); }

}  // namespace

ProphetModel::ProphetModel(ProphetOptions options) : opt_(std::move(options)) {
  if (opt_.changepoints < 0) throw std::invalid_argument("prophet: changepoints must be >= 0");
  if (!(opt_.changepoint_range > 0 && opt_.changepoint_range <= 1))
    throw std::invalid_argument("prophet: changepoint_range must lie in (0, 1]");
  if (opt_.daily_order < 0 || opt_.weekly_order < 0) throw std::invalid_argument("prophet: Fourier orders must be >= 0");
  if (!(opt_.changepoint_prior_scale > 0) || !(opt_.seasonality_prior_scale > 0) || !(opt_.holidays_prior_scale > 0))
    throw std::invalid_argument("prophet: prior scales must be positive");
  if (opt_.growth == TrendGrowth::kLogistic && !(opt_.capacity > 0))
    throw std::invalid_argument("prophet: logistic growth needs a positive capacity");
  for (const SpecialDay& h : opt_.special_days)
    if (h.lower_window < 0 || h.upper_window < 0)
      throw std::invalid_argument("prophet: special day '" + h.name + "': windows must be >= 0");
}

std::size_t ProphetModel::linear_feature_count() const {
  return 2 * static_cast<std::size_t>(daily_order_ + weekly_order_) + holiday_feature_count_;
}

void ProphetModel::linear_features(double t, double* out) const {
  std::size_t c = 0;
  const auto fourier = [&](double period, int order) {
    for (int n = 1; n <= order; ++n) {
      const double x = 2 * std::numbers::pi * n * t / period;
      out[c++] = std::cos(x);
      out[c++] = std::sin(x);
    }
  };
  fourier(kMinutesPerDay, daily_order_);
  fourier(kMinutesPerWeek, weekly_order_);
  for (std::size_t i = 0; i < holiday_feature_count_; ++i) out[c + i] = 0;
  const auto day = static_cast<std::int64_t>(std::floor(t / kMinutesPerDay));
  for (const HolidayColumn& h : holiday_columns_)
    if (h.day == day) out[c + h.column] += 1;
}

double ProphetModel::trend_scaled(double ts, const double* p) const {
  const double k = p[0], m = p[1];
  const double* delta = p + 2;
  const std::size_t s = changepoints_.size();
  if (opt_.growth == TrendGrowth::kLinear) {
    double g = k * ts + m;
    for (std::size_t j = 0; j < s && changepoints_[j] <= ts; ++j) g += delta[j] * (ts - changepoints_[j]);
    return g;
  }
  // Logistic: rate k + Σδ, offsets γ keep the curve continuous at each changepoint (Prophet's piecewise_logistic).
  const double cap = opt_.capacity / y_scale_;
  double rate = k, offset = m;
  for (std::size_t j = 0; j < s && changepoints_[j] <= ts; ++j) {
    const double next = rate + delta[j];
    if (std::abs(next) < 1e-12) break;  // a zero rate has no continuous continuation: keep the last piece
    const double gamma = (changepoints_[j] - offset) * (1 - rate / next);
    offset += gamma;
    rate = next;
  }
  return logistic(cap, rate * (ts - offset));
}

void ProphetModel::fit(std::span<const double> t, std::span<const double> y) {
  if (t.size() != y.size()) throw std::invalid_argument("prophet: t and y differ in length");
  const std::size_t n = t.size();
  if (n < 2) throw std::invalid_argument("prophet: at least 2 samples needed");
  for (std::size_t i = 1; i < n; ++i)
    if (!(t[i] > t[i - 1])) throw std::invalid_argument("prophet: times must be strictly increasing");

  t0_ = t.front();
  t_scale_ = t.back() - t.front();
  const double span = t_scale_;
  y_scale_ = 0;
  for (double v : y) y_scale_ = std::max(y_scale_, std::abs(v));
  if (opt_.growth == TrendGrowth::kLogistic) y_scale_ = std::max(y_scale_, opt_.capacity);
  if (y_scale_ == 0) y_scale_ = 1;
  daily_order_ = span >= kMinutesPerDay ? opt_.daily_order : 0;
  weekly_order_ = span >= kMinutesPerWeek ? opt_.weekly_order : 0;

  // Changepoints: evenly over the first changepoint_range of the samples (Prophet: quantiles of the history).
  changepoints_.clear();
  const auto history = static_cast<std::size_t>(std::floor(static_cast<double>(n) * opt_.changepoint_range));
  const std::size_t cps = std::min<std::size_t>(static_cast<std::size_t>(opt_.changepoints), history > 1 ? history - 1 : 0);
  for (std::size_t j = 1; j <= cps; ++j) {
    const auto i = static_cast<std::size_t>(std::llround(static_cast<double>(j) * static_cast<double>(history - 1) /
                                                         static_cast<double>(cps)));
    changepoints_.push_back((t[i] - t0_) / t_scale_);
  }
  // Holiday columns: one per (special day, offset); a holiday's dates share its per-offset coefficients.
  holiday_columns_.clear();
  holiday_feature_count_ = 0;
  for (const SpecialDay& h : opt_.special_days) {
    for (int o = -h.lower_window; o <= h.upper_window; ++o) {
      for (std::int64_t d : h.days) holiday_columns_.push_back({d + o, holiday_feature_count_});
      ++holiday_feature_count_;
    }
  }

  const std::size_t trend_p = 2 + changepoints_.size();
  const std::size_t lin_p = linear_feature_count();
  const std::size_t p = trend_p + lin_p;
  Eigen::MatrixXd lin(n, lin_p);
  std::vector<double> row(lin_p);
  Eigen::VectorXd ys(n), ts(n);
  for (std::size_t i = 0; i < n; ++i) {
    ts[i] = (t[i] - t0_) / t_scale_;
    ys[i] = y[i] / y_scale_;
    linear_features(t[i], row.data());
    for (std::size_t c = 0; c < lin_p; ++c) lin(i, c) = row[c];
  }
  // Prior precisions (per unit noise variance): k, m ~ N(0, 5²); seasonal ~ N(0, σs²); holiday ~ N(0, σh²);
  // δ ~ Laplace(0, τ) through reweighting.
  Eigen::VectorXd prior(p);
  prior.setZero();
  prior[0] = prior[1] = 1 / (kBasePriorScale * kBasePriorScale);
  const std::size_t seasonal_p = 2 * static_cast<std::size_t>(daily_order_ + weekly_order_);
  for (std::size_t c = 0; c < lin_p; ++c) {
    const double s = c < seasonal_p ? opt_.seasonality_prior_scale : opt_.holidays_prior_scale;
    prior[trend_p + c] = 1 / (s * s);
  }
  const double tau = opt_.changepoint_prior_scale;
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(p);
  double noise = 0.01;  // σ² of the scaled series; re-estimated from the residuals

  // Penalty diagonal (in "Σr² + θᵀDθ" form, i.e. multiplied by 2σ²) at the current δ.
  const auto penalty = [&](const Eigen::VectorXd& th) {
    Eigen::VectorXd d = noise * prior;
    for (std::size_t j = 0; j < changepoints_.size(); ++j)
      d[2 + j] = noise / (tau * std::max(std::abs(th[2 + j]), kL1Epsilon));
    return d;
  };

  if (opt_.growth == TrendGrowth::kLinear) {
    Eigen::MatrixXd x(n, p);
    for (std::size_t i = 0; i < n; ++i) {
      x(i, 0) = ts[i];
      x(i, 1) = 1;
      for (std::size_t j = 0; j < changepoints_.size(); ++j) x(i, 2 + j) = std::max(0.0, ts[i] - changepoints_[j]);
    }
    x.rightCols(lin_p) = lin;
    const Eigen::MatrixXd xtx = x.transpose() * x;
    const Eigen::VectorXd xty = x.transpose() * ys;
    // Start from a ridge fit (changepoint weights as if |δ| = τ), then reweight.
    Eigen::VectorXd d0 = noise * prior;
    for (std::size_t j = 0; j < changepoints_.size(); ++j) d0[2 + j] = noise / (tau * tau);
    Eigen::MatrixXd a = xtx;
    a.diagonal() += d0;
    theta = a.ldlt().solve(xty);
    for (int it = 0; it < opt_.max_iterations; ++it) {
      noise = std::max(kMinNoiseVariance, (ys - x * theta).squaredNorm() / static_cast<double>(n));
      a = xtx;
      a.diagonal() += penalty(theta);
      const Eigen::VectorXd next = a.ldlt().solve(xty);
      const double change = (next - theta).lpNorm<Eigen::Infinity>();
      theta = next;
      if (change < 1e-7) break;
    }
  } else {
    // Prophet's logistic_growth_init from the means of the first and last 5 % of the samples.
    const double cap = opt_.capacity / y_scale_;
    const std::size_t w = std::max<std::size_t>(1, n / 20);
    double y0 = 0, y1 = 0;
    for (std::size_t i = 0; i < w; ++i) {
      y0 += ys[i];
      y1 += ys[n - 1 - i];
    }
    y0 = std::clamp(y0 / static_cast<double>(w), 0.01 * cap, 0.99 * cap);
    y1 = std::clamp(y1 / static_cast<double>(w), 0.01 * cap, 0.99 * cap);
    double r0 = cap / y0, r1 = cap / y1;
    if (std::abs(r0 - r1) <= 0.01) r0 *= 1.05;
    const double l0 = std::log(r0 - 1), l1 = std::log(r1 - 1);
    theta[0] = l0 - l1;  // k over the scaled span T = 1
    theta[1] = l0 / (l0 - l1);
    const auto model = [&](const Eigen::VectorXd& th, Eigen::VectorXd& f) {
      for (std::size_t i = 0; i < n; ++i) f[i] = trend_scaled(ts[i], th.data());
      f += lin * th.tail(lin_p);
    };
    const auto objective = [&](const Eigen::VectorXd& th, const Eigen::VectorXd& f) {
      double obj = (ys - f).squaredNorm() / (2 * noise);
      for (std::size_t c = 0; c < p; ++c) obj += prior[c] * th[c] * th[c] / 2;
      for (std::size_t j = 0; j < changepoints_.size(); ++j) obj += std::abs(th[2 + j]) / tau;
      return obj;
    };
    Eigen::VectorXd f(n), f_try(n);
    model(theta, f);
    noise = std::max(kMinNoiseVariance, (ys - f).squaredNorm() / static_cast<double>(n));
    double lambda = 1e-3;
    Eigen::MatrixXd jac(n, p);
    jac.rightCols(lin_p) = lin;
    Eigen::VectorXd probe(p);
    for (int it = 0; it < 4 * opt_.max_iterations; ++it) {
      // Numeric Jacobian of the trend block (central differences); the linear block is `lin`.
      for (std::size_t c = 0; c < trend_p; ++c) {
        const double h = 1e-6 * std::max(1.0, std::abs(theta[c]));
        probe = theta;
        probe[c] += h;
        for (std::size_t i = 0; i < n; ++i) jac(i, static_cast<Eigen::Index>(c)) = trend_scaled(ts[i], probe.data());
        probe[c] -= 2 * h;
        for (std::size_t i = 0; i < n; ++i)
          jac(i, static_cast<Eigen::Index>(c)) = (jac(i, static_cast<Eigen::Index>(c)) - trend_scaled(ts[i], probe.data())) / (2 * h);
      }
      const Eigen::VectorXd d = penalty(theta);
      Eigen::MatrixXd a = jac.transpose() * jac;
      a.diagonal() += d;
      const Eigen::VectorXd g = jac.transpose() * (ys - f) - d.cwiseProduct(theta);
      const double before = objective(theta, f);
      bool accepted = false;
      for (int tries = 0; tries < 10 && !accepted; ++tries) {
        Eigen::MatrixXd damped = a;
        damped.diagonal() += lambda * a.diagonal().cwiseMax(1e-9);
        const Eigen::VectorXd step = damped.ldlt().solve(g);
        const Eigen::VectorXd next = theta + step;
        model(next, f_try);
        if (objective(next, f_try) < before) {
          const double change = step.lpNorm<Eigen::Infinity>();
          theta = next;
          f = f_try;
          lambda = std::max(1e-9, lambda / 10);
          accepted = true;
          if (change < 1e-8) it = 4 * opt_.max_iterations;
        } else {
          lambda *= 10;
        }
      }
      if (!accepted) break;
      noise = std::max(kMinNoiseVariance, (ys - f).squaredNorm() / static_cast<double>(n));
    }
  }
  theta_.assign(theta.data(), theta.data() + p);
  fitted_ = true;
}

ProphetModel::Components ProphetModel::components(double t) const {
  Components c;
  if (!fitted_) return c;
  const std::size_t trend_p = 2 + changepoints_.size();
  c.trend = y_scale_ * trend_scaled((t - t0_) / t_scale_, theta_.data());
  const std::size_t lin_p = linear_feature_count();
  std::vector<double> row(lin_p);
  linear_features(t, row.data());
  const std::size_t daily_p = 2 * static_cast<std::size_t>(daily_order_);
  const std::size_t seasonal_p = daily_p + 2 * static_cast<std::size_t>(weekly_order_);
  for (std::size_t i = 0; i < lin_p; ++i) {
    const double v = y_scale_ * theta_[trend_p + i] * row[i];
    if (i < daily_p) c.daily += v;
    else if (i < seasonal_p) c.weekly += v;
    else c.holiday += v;
  }
  return c;
}

double ProphetModel::trend_slope(double t) const {
  if (!fitted_ || opt_.growth != TrendGrowth::kLinear) return 0;
  const double ts = (t - t0_) / t_scale_;
  double rate = theta_[0];
  for (std::size_t j = 0; j < changepoints_.size() && changepoints_[j] <= ts; ++j) rate += theta_[2 + j];
  return rate * y_scale_ / t_scale_;
}

}  // namespace hearth::policy
