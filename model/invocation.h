// Invocation: one request to run a function, as a trace or the API delivers it.
#pragma once

#include <cstdint>

#include "model/function_spec.h"
#include "model/time.h"

namespace hearth::model {

using InvocationId = std::uint64_t;

struct Invocation {
  InvocationId id = 0;  // arrival order, 0..n-1
  FunctionId function = 0;
  Micros arrival_us = 0;
  Micros exec_us = 0;  // warm execution time of this invocation
};

// kZygote: a cold start forked from a zygote holding the function's libraries (docs/zygotes.md).
// kSnapshot: a cold start restored from a checkpoint of the function's initialised runtime (docs/faasnap.md).
enum class StartKind : std::uint8_t { kWarm, kPrewarm, kCold, kZygote, kSnapshot };
inline constexpr int kStartKindCount = 5;
const char* start_kind_name(StartKind k);

enum class DropReason : std::uint8_t {
  kTooLarge,   // the function needs more memory than any node has
  kQueueFull,  // the node's wait queue was at its limit
  kNoMemory,   // FaasCache semantics: a miss found too little memory even after evicting idle containers
  kNoNode,     // no healthy node to place on
  kTimeout,    // it waited in its node's queue longer than the queue timeout (simulator, SimConfig::queue_timeout_us)
};
inline constexpr int kDropReasonCount = 5;
const char* drop_reason_name(DropReason r);

}  // namespace hearth::model
