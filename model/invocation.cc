#include "model/invocation.h"

namespace hearth::model {

const char* start_kind_name(StartKind k) {
  switch (k) {
    case StartKind::kWarm: return "warm";
    case StartKind::kPrewarm: return "prewarm";
    case StartKind::kCold: return "cold";
    case StartKind::kZygote: return "zygote";
    case StartKind::kSnapshot: return "snapshot";
  }
  return "cold";
}

const char* drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::kTooLarge: return "too_large";
    case DropReason::kQueueFull: return "queue_full";
    case DropReason::kNoMemory: return "no_memory";
    case DropReason::kNoNode: return "no_node";
    case DropReason::kTimeout: return "timeout";
  }
  return "unknown";
}

}  // namespace hearth::model
