// CPU weights of invocations: how a node's cores are divided between the invocations running on it when
// more run than it has cores (the simulator's processor sharing, sim/processor_sharing.h).
//   kEqual: every invocation the same weight (1).
//   kMemory: OpenWhisk's Docker --cpu-shares, in proportion to the action's memory. ContainerPoolConfig
//     (core/invoker/.../containerpool/ContainerFactory.scala) computes
//       cpuShare(reservedMemory) = max((1024.0 / (userMemory.toBytes / reservedMemory.toBytes)).toInt, 2)
//     with userMemory the invoker's memory for actions; the division in parentheses is Long division, so
//     the weight is 1024 / floor(userMemory / memory), truncated, at least 2 (Docker's minimum); DockerContainer
//     passes it as `--cpu-shares`. Linux's CFS then divides CPU time between busy cgroups in proportion to
//     their shares, and a single-threaded action can use at most one core.
// Pure functions of their arguments; O(1).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "model/time.h"

namespace hearth::policy {

enum class CpuWeights : std::uint8_t { kEqual, kMemory };

// The weight of an invocation of a function of `memory_mb` on a node whose memory for actions is
// `user_memory_mb` (both positive): 1 under kEqual, OpenWhisk's cpu-shares under kMemory.
std::uint32_t cpu_weight(CpuWeights weights, model::MegaBytes user_memory_mb, model::MegaBytes memory_mb);

// OpenWhisk's cpuShare (above).
std::uint32_t openwhisk_cpu_shares(model::MegaBytes user_memory_mb, model::MegaBytes memory_mb);

// "equal" / "memory" (the --cpu-weights values) and back; nullopt for anything else.
std::optional<CpuWeights> parse_cpu_weights(std::string_view name);
const char* cpu_weights_name(CpuWeights weights);

}  // namespace hearth::policy
