#include "crl/snapshot_sampler.h"

#include <cassert>

namespace hearth::crl {

std::vector<SlotInfo> history_slots(const CrlHistory& history, std::int64_t minute) {
  std::vector<SlotInfo> slots;
  slots.reserve(history.functions.size());
  for (std::size_t i = 0; i < history.functions.size(); ++i) {
    const CrlFunction& f = history.functions[i];
    slots.push_back({history.priority(minute, i), f.memory_mb, f.cpu_cores});
  }
  return slots;
}

FpsInstance sample_snapshot(const CrlHistory& history, std::int64_t minute, const SnapshotOptions& o,
                            std::mt19937_64& rng) {
  const std::size_t f = history.functions.size();
  std::vector<double> weights(f);
  for (std::size_t i = 0; i < f; ++i) weights[i] = history.at(minute, i);
  std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
  const std::int32_t length = std::uniform_int_distribution<std::int32_t>(o.min_queue, o.max_queue)(rng);
  FpsInstance inst;
  inst.pending.assign(f, 0);
  inst.busy.assign(f, 0);
  double memory = 0, cores = 0;
  for (std::int32_t k = 0; k < length; ++k) {
    const std::size_t i = pick(rng);
    ++inst.pending[i];
    memory += static_cast<double>(history.functions[i].memory_mb);
    cores += history.functions[i].cpu_cores;
  }
  std::uniform_real_distribution<double> fill(o.min_fill, o.max_fill);
  inst.capacity_mb = static_cast<model::MegaBytes>(memory * fill(rng));
  inst.capacity_cores = cores * fill(rng);
  std::bernoulli_distribution busy(o.busy_probability);
  for (std::size_t i = 0; i < f; ++i)
    if (inst.pending[i] > 0 && minute > 0 && history.at(minute - 1, i) > 0) inst.busy[i] = busy(rng) ? 1 : 0;
  return inst;
}

}  // namespace hearth::crl
