#include "policy/cpu_shares.h"

#include <algorithm>

namespace hearth::policy {

std::uint32_t openwhisk_cpu_shares(model::MegaBytes user_memory_mb, model::MegaBytes memory_mb) {
  const model::MegaBytes divisor = std::max<model::MegaBytes>(1, user_memory_mb / std::max<model::MegaBytes>(1, memory_mb));
  return std::max(static_cast<std::uint32_t>(1024.0 / static_cast<double>(divisor)), 2U);
}

std::uint32_t cpu_weight(CpuWeights weights, model::MegaBytes user_memory_mb, model::MegaBytes memory_mb) {
  return weights == CpuWeights::kMemory ? openwhisk_cpu_shares(user_memory_mb, memory_mb) : 1;
}

std::optional<CpuWeights> parse_cpu_weights(std::string_view name) {
  if (name == "equal") return CpuWeights::kEqual;
  if (name == "memory") return CpuWeights::kMemory;
  return std::nullopt;
}

const char* cpu_weights_name(CpuWeights weights) { return weights == CpuWeights::kMemory ? "memory" : "equal"; }

}  // namespace hearth::policy
