// Container: one sandbox holding (or, when prewarmed as a stem cell, waiting for) one function's code.
// Owned by a node's ContainerPool; policies read it, only the pool changes it.
#pragma once

#include <cstdint>

#include "model/function_spec.h"
#include "model/time.h"

namespace hearth::model {

using ContainerId = std::uint32_t;  // index into the pool's slot table; reused after destruction
using NodeId = std::uint32_t;
inline constexpr FunctionId kNoFunction = 0xffffffffu;  // a generic stem cell not yet specialised

enum class ContainerState : std::uint8_t {
  kStarting,   // being created (cold start in progress)
  kBusy,       // running an invocation
  kIdle,       // warm, waiting for the next invocation
  kPrewarmed,  // created ahead of demand, never used yet
  kPaused,     // idle and frozen (OpenWhisk pauses after 10 s idle); still holds memory
};
const char* container_state_name(ContainerState s);

struct Container {
  ContainerId id = 0;
  NodeId node = 0;
  FunctionId function = kNoFunction;  // kNoFunction for a generic stem cell
  RuntimeKind runtime = RuntimeKind::kNodejs;
  ContainerState state = ContainerState::kStarting;
  MegaBytes memory_mb = 0;
  Micros created_us = 0;
  Micros last_used_us = 0;   // when it last became idle (or was created)
  Micros expires_us = kNever;  // keep-alive deadline while idle/prewarmed
  double priority = 0;       // eviction priority while idle: lower goes first
  std::uint64_t uses = 0;    // invocations served
  std::uint32_t generation = 0;  // bumped on each reuse of the slot; stale events compare it
};

}  // namespace hearth::model
