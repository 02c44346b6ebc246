#include "cli/predict_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace hearth::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kDay = 1440;

}  // namespace

std::vector<std::string> split_model_specs(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.find('=') != std::string::npos && item.find(':') == std::string::npos && !out.empty())
      out.back() += "," + item;
    else if (!item.empty())
      out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

PredictReport evaluate_predictors(trace::Workload& w, std::vector<std::unique_ptr<policy::ArrivalPredictor>>& models,
                                  std::int64_t train_minutes, std::int64_t end_minute) {
  if (train_minutes < 1) throw std::invalid_argument("predict-report: the training part must be at least 1 minute");
  const std::size_t n_fn = w.functions.size();
  const std::size_t n_models = models.size();
  PredictReport r;
  r.train_minutes = train_minutes;
  r.total.resize(n_models);
  for (std::size_t k = 0; k < n_models; ++k) r.total[k].model = std::string(models[k]->name());
  std::vector<double> seconds(n_models, 0);
  std::vector<std::vector<double>> pred(n_models, std::vector<double>(n_fn, 0));
  std::vector<std::uint32_t> count(n_fn, 0);
  std::vector<model::FunctionId> touched;

  const auto day_row = [&](std::int64_t minute) -> std::vector<PredictScore>& {
    const std::int64_t day = minute / kDay;
    if (r.days.empty() || r.days.back() != day) {
      r.days.push_back(day);
      r.per_day.emplace_back(r.total);
      for (auto& s : r.per_day.back()) s.abs_error = s.actual = s.predicted = s.seconds = 0;
    }
    return r.per_day.back();
  };
  // Before minute m's arrivals: every model's prediction for m.
  const auto open_minute = [&](std::int64_t m) {
    if (m < train_minutes) return;
    const model::Micros now = m * model::kMicrosPerMinute - 1;
    for (std::size_t k = 0; k < n_models; ++k) {
      const auto t0 = Clock::now();
      for (model::FunctionId fn = 0; fn < n_fn; ++fn) pred[k][fn] = models[k]->predict_next_minute(fn, now);
      seconds[k] += std::chrono::duration<double>(Clock::now() - t0).count();
    }
  };
  // After minute m's arrivals: score.
  const auto close_minute = [&](std::int64_t m) {
    if (m >= train_minutes) {
      std::vector<PredictScore>& day = day_row(m);
      for (std::size_t k = 0; k < n_models; ++k) {
        double err = 0, act = 0, prd = 0;
        for (model::FunctionId fn = 0; fn < n_fn; ++fn) {
          err += std::abs(static_cast<double>(count[fn]) - pred[k][fn]);
          act += count[fn];
          prd += pred[k][fn];
        }
        for (PredictScore* s : {&r.total[k], &day[k]}) {
          s->abs_error += err;
          s->actual += act;
          s->predicted += prd;
        }
      }
      ++r.test_minutes;
    }
    for (model::FunctionId fn : touched) count[fn] = 0;
    touched.clear();
  };

  const std::int64_t span = w.invocations->span_us() > 0
                                ? (w.invocations->span_us() + model::kMicrosPerMinute - 1) / model::kMicrosPerMinute
                                : 0;
  const std::int64_t end = end_minute > 0 ? end_minute : span;
  std::int64_t cur = 0;
  open_minute(0);
  std::vector<model::Invocation> batch;
  bool done = false;
  while (!done && w.invocations->next_batch(batch)) {
    for (const model::Invocation& inv : batch) {
      const std::int64_t m = inv.arrival_us / model::kMicrosPerMinute;
      if (end > 0 && m >= end) {
        done = true;
        break;
      }
      while (cur < m) {
        close_minute(cur);
        open_minute(++cur);
      }
      if (inv.function >= n_fn) throw std::runtime_error("predict-report: invocation of an unknown function");
      if (count[inv.function]++ == 0) touched.push_back(inv.function);
      for (std::size_t k = 0; k < n_models; ++k) {
        const auto t0 = Clock::now();
        models[k]->on_arrival(inv.function, inv.arrival_us);
        seconds[k] += std::chrono::duration<double>(Clock::now() - t0).count();
      }
    }
  }
  close_minute(cur);
  while (cur + 1 < end) {  // trailing minutes without arrivals
    open_minute(++cur);
    close_minute(cur);
  }
  for (std::size_t k = 0; k < n_models; ++k) r.total[k].seconds = seconds[k];
  if (r.test_minutes == 0)
    throw std::invalid_argument("predict-report: no held-out minutes (the trace has " + std::to_string(cur + 1) +
                                " minutes, training takes " + std::to_string(train_minutes) + ")");
  return r;
}

}  // namespace hearth::cli
