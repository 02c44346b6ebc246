// InvokerState: what an invoker reports about its container pool, piggy-backed on every result and
// heartbeat of the wire protocol (docs/wire-protocol.md), so the controller's placement sees each
// invoker's containers without asking.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace hearth::live {

struct InvokerState {
  std::int64_t memory_mb = 0;  // the invoker's capacity
  std::int64_t used_mb = 0;    // held by busy, idle and prewarmed containers
  std::int32_t busy = 0;       // invocations running now
  std::int32_t prewarmed = 0;  // generic stem cells ready
  std::map<std::string, std::int32_t> idle;  // "namespace/action" → idle (warm) containers
};

}  // namespace hearth::live
