#include "trace/function_model.h"

#include <algorithm>
#include <cmath>

#include "model/stable_hash.h"

namespace hearth::trace {

model::RuntimeKind assumed_runtime(const std::string& name) {
  const auto bucket = model::stable_hash(name) % 10;
  if (bucket < 5) return model::RuntimeKind::kNodejs;
  if (bucket < 9) return model::RuntimeKind::kPython;
  return model::RuntimeKind::kNative;
}

static model::Micros ms_to_us(double ms) { return static_cast<model::Micros>(std::llround(std::max(0.0, ms) * 1000.0)); }

void apply_function_model(const DurationStats& d, const TraceOptions& opts, model::FunctionSpec& spec) {
  // FaasCache's converter takes int(Average) and int(Maximum): whole ms, truncated.
  const double average_ms = opts.faascache ? std::trunc(d.average_ms) : d.average_ms;
  const double maximum_ms = opts.faascache ? std::trunc(d.maximum_ms) : d.maximum_ms;
  spec.warm_us = ms_to_us(average_ms);
  if (opts.cold == ColdModel::kMaximum) {
    spec.cold_start_us = ms_to_us(maximum_ms - average_ms);
  } else {
    spec.cold_start_us = opts.cold_base_us + opts.cold_per_mb_us * spec.memory_mb;
  }
  spec.init_us = static_cast<model::Micros>(std::llround(opts.stemcell_init_fraction * static_cast<double>(spec.cold_start_us)));
  spec.runtime = assumed_runtime(spec.name);
}

model::Micros sample_exec_us(const DurationStats& d, std::mt19937_64& rng) {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  for (std::size_t i = 1; i < kDurationPercentiles.size(); ++i) {
    if (u <= kDurationPercentiles[i]) {
      const double lo = kDurationPercentiles[i - 1], hi = kDurationPercentiles[i];
      const double t = hi > lo ? (u - lo) / (hi - lo) : 0.0;
      return ms_to_us(d.percentiles_ms[i - 1] + t * (d.percentiles_ms[i] - d.percentiles_ms[i - 1]));
    }
  }
  return ms_to_us(d.percentiles_ms.back());
}

}  // namespace hearth::trace
