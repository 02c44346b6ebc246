#include "trace/workload_scaling.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace hearth::trace {
namespace {

class ScaledSource : public InvocationSource {
 public:
  ScaledSource(std::unique_ptr<InvocationSource> inner, const ScaleOptions& options)
      : inner_(std::move(inner)), options_(options) {}
  bool next_batch(std::vector<model::Invocation>& out) override {
    if (!inner_->next_batch(out)) return false;
    for (model::Invocation& inv : out) inv.exec_us = scale_exec(inv.exec_us, options_);
    return true;
  }
  model::Micros span_us() const override { return inner_->span_us(); }

 private:
  std::unique_ptr<InvocationSource> inner_;
  ScaleOptions options_;
};

model::Micros scale_time(model::Micros us, double factor) {
  return static_cast<model::Micros>(std::llround(static_cast<double>(us) * factor));
}

}  // namespace

void validate(const ScaleOptions& o) {
  if (!(o.time_scale > 0) || !std::isfinite(o.time_scale))
    throw std::invalid_argument("--time-scale must be a positive number, got " + std::to_string(o.time_scale));
  if (!(o.memory_scale > 0) || !std::isfinite(o.memory_scale))
    throw std::invalid_argument("--memory-scale must be a positive number, got " + std::to_string(o.memory_scale));
  if (o.max_exec_us < 0) throw std::invalid_argument("--max-exec-ms must be >= 0 (0 = no cap)");
  if (o.min_memory_mb < 0) throw std::invalid_argument("--min-memory-mb must be >= 0 (0 = no floor)");
  if (o.max_memory_mb < 0) throw std::invalid_argument("--max-memory-mb must be >= 0 (0 = no cap)");
  if (o.max_memory_mb > 0 && o.max_memory_mb < o.min_memory_mb)
    throw std::invalid_argument("--max-memory-mb (" + std::to_string(o.max_memory_mb) + ") is below --min-memory-mb (" +
                                std::to_string(o.min_memory_mb) + ")");
}

model::Micros scale_exec(model::Micros exec_us, const ScaleOptions& o) {
  const model::Micros scaled = scale_time(exec_us, o.time_scale);
  return o.max_exec_us > 0 ? std::min(scaled, o.max_exec_us) : scaled;
}

model::MegaBytes scale_memory(model::MegaBytes memory_mb, const ScaleOptions& o) {
  auto mb = static_cast<model::MegaBytes>(std::ceil(static_cast<double>(memory_mb) * o.memory_scale - 1e-9));
  mb = std::max<model::MegaBytes>({mb, 1, o.min_memory_mb});
  return o.max_memory_mb > 0 ? std::min(mb, o.max_memory_mb) : mb;
}

void scale_workload(Workload& workload, const ScaleOptions& o) {
  validate(o);
  if (o.identity()) return;
  for (model::FunctionSpec& f : workload.functions) {
    f.warm_us = scale_exec(f.warm_us, o);
    f.cold_start_us = scale_time(f.cold_start_us, o.time_scale);
    f.init_us = scale_time(f.init_us, o.time_scale);
    f.memory_mb = scale_memory(f.memory_mb, o);
  }
  workload.invocations = std::make_unique<ScaledSource>(std::move(workload.invocations), o);
  char note[64];
  std::snprintf(note, sizeof note, "; scaled: time x%g", o.time_scale);
  workload.description += note;
  if (o.max_exec_us > 0) workload.description += " capped at " + std::to_string(o.max_exec_us / model::kMicrosPerMilli) + " ms";
  std::snprintf(note, sizeof note, ", memory x%g", o.memory_scale);
  workload.description += note;
  if (o.min_memory_mb > 0) workload.description += " at least " + std::to_string(o.min_memory_mb) + " MB";
  if (o.max_memory_mb > 0) workload.description += " at most " + std::to_string(o.max_memory_mb) + " MB";
}

}  // namespace hearth::trace
