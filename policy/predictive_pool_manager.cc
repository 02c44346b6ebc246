#include "policy/predictive_pool_manager.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hearth::policy {

PredictivePoolManager::Tracked& PredictivePoolManager::at(model::FunctionId fn) {
  if (fn >= functions_.size()) functions_.resize(std::size_t{fn} + 1);
  return functions_[fn];
}

PredictivePoolManager::InFlight& PredictivePoolManager::in_flight(model::FunctionId fn) {
  if (fn >= in_flight_.size()) in_flight_.resize(std::size_t{fn} + 1);
  return in_flight_[fn];
}

void PredictivePoolManager::on_function_added(const model::FunctionSpec& fn) {
  Tracked& t = at(fn.id);
  if (t.known) return;
  t.spec = fn;
  t.known = true;
  table_.on_function_added(fn);
  predictor_->on_function_added(fn);
}

void PredictivePoolManager::on_arrival(const model::Invocation& inv, model::Micros now) {
  ++in_flight(inv.function).waiting;
  table_.on_arrival(inv.function, now);
  predictor_->on_arrival(inv.function, now);
}

void PredictivePoolManager::on_completed(const model::Invocation& inv, model::StartKind kind,
                                         model::Micros startup_us, model::Micros exec_us, model::Micros now) {
  InFlight& t = in_flight(inv.function);
  std::int64_t& count = t.running > 0 ? t.running : t.waiting;
  count = std::max<std::int64_t>(0, count - 1);
  table_.on_completed(inv.function, kind, startup_us, exec_us, now);
}

void PredictivePoolManager::on_dropped(const model::Invocation& inv, model::Micros now) {
  (void)now;
  InFlight& t = in_flight(inv.function);
  t.waiting = std::max<std::int64_t>(0, t.waiting - 1);
}

void PredictivePoolManager::on_started(const model::Invocation& inv, model::Micros now) {
  (void)now;
  InFlight& t = in_flight(inv.function);
  t.waiting = std::max<std::int64_t>(0, t.waiting - 1);
  ++t.running;
}

void PredictivePoolManager::on_terminated(model::FunctionId fn, model::Micros term_us) {
  table_.on_terminated(fn, term_us);
}

void PredictivePoolManager::on_resources(model::FunctionId fn, double cpu_cores, model::MegaBytes memory_mb,
                                         double io_share) {
  table_.on_resources(fn, cpu_cores, memory_mb, io_share);
}

namespace {
std::int32_t capped(std::int64_t n) {
  return static_cast<std::int32_t>(std::min<std::int64_t>(n, std::numeric_limits<std::int32_t>::max()));
}
}  // namespace

std::int32_t PredictivePoolManager::running(model::FunctionId fn) const {
  return fn < in_flight_.size() ? capped(in_flight_[fn].running) : 0;
}

std::int32_t PredictivePoolManager::waiting(model::FunctionId fn) const {
  return fn < in_flight_.size() ? capped(in_flight_[fn].waiting) : 0;
}

std::int32_t PredictivePoolManager::needed_containers(double arrivals, model::Micros exec_us) {
  const double concurrency = arrivals * static_cast<double>(exec_us) / static_cast<double>(model::kMicrosPerMinute);
  return static_cast<std::int32_t>(std::clamp(std::ceil(concurrency), 1.0, 1e6));
}

}  // namespace hearth::policy
