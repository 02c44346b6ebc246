#include "policy/code_scaler.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace hearth::policy {

CodeScalerConfig parse_code_scaler(std::string_view spec) {
  CodeScalerConfig c;
  if (spec == "none") return c;
  if (spec == "scorpius") {
    c.mode = LiveCodeScaling::kScorpius;
    return c;
  }
  if (spec == "fixed" || spec.starts_with("fixed:")) {
    c.mode = LiveCodeScaling::kFixed;
    if (spec.starts_with("fixed:")) {
      const std::string number(spec.substr(6));
      std::size_t used = 0;
      double f = -1;
      try {
        f = std::stod(number, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != number.size() || !(f >= 0 && f <= 1))
        throw std::invalid_argument("code scaling '" + std::string(spec) + "': the fraction must be a number in [0, 1]");
      c.fixed_fraction = f;
    }
    return c;
  }
  throw std::invalid_argument("unknown code scaling '" + std::string(spec) + "' (expected none, fixed[:F] or scorpius)");
}

std::string code_scaler_name(const CodeScalerConfig& config) {
  switch (config.mode) {
    case LiveCodeScaling::kNone: return "none";
    case LiveCodeScaling::kScorpius: return "scorpius";
    case LiveCodeScaling::kFixed: break;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "fixed:%g", config.fixed_fraction);
  return buf;
}

CodeScaler::CodeScaler(CodeScalerConfig config) : config_(std::move(config)) {
  switch (config_.mode) {
    case LiveCodeScaling::kNone: throw std::invalid_argument("code scaler: mode none has no scaler");
    case LiveCodeScaling::kFixed: initial_ = fixed_thresholds(config_.thresholds, config_.fixed_fraction); break;
    case LiveCodeScaling::kScorpius: initial_ = on_demand_thresholds(config_.thresholds); break;
  }
  if (config_.exact_window_us < 0) throw std::invalid_argument("code scaler: exact_window_us must be >= 0");
}

ThresholdArray& CodeScaler::array(model::FunctionId fn) {
  auto it = arrays_.find(fn);
  if (it == arrays_.end()) it = arrays_.emplace(fn, ThresholdArray(initial_, config_.thresholds)).first;
  return it->second;
}

std::vector<std::int32_t> CodeScaler::thresholds(model::FunctionId fn) {
  const auto v = array(fn).values();
  return {v.begin(), v.end()};
}

int CodeScaler::on_start(model::FunctionId fn, std::int32_t in_flight, std::int32_t held, bool on_demand) {
  ThresholdArray& a = array(fn);
  if (on_demand && held >= 2) {
    ++stats_.late;
    if (config_.mode == LiveCodeScaling::kScorpius) a.on_late(held);
  }
  held = std::max(held, in_flight);
  const std::int32_t usage = in_flight * a.units();
  // Usage above the held codes is the on-demand start itself (done by the engine), not a preparation.
  if (usage > held * a.units() || a.codes_wanted(usage, held) <= held) return 0;
  ++stats_.prepared;
  return 1;
}

void CodeScaler::on_prepared_used(model::FunctionId fn, std::int32_t code, model::Micros ready_us, model::Micros now) {
  if (now - ready_us > config_.exact_window_us) {
    on_prepared_unused(fn, code);
    return;
  }
  ++stats_.exact;
}

void CodeScaler::on_prepared_unused(model::FunctionId fn, std::int32_t code) {
  ++stats_.early;
  if (config_.mode == LiveCodeScaling::kScorpius) array(fn).on_early(code);
}

}  // namespace hearth::policy
