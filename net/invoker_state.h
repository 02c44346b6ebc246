// InvokerState: what an invoker reports about its container pool, piggy-backed on every result and
// heartbeat of the wire protocol (docs/wire-protocol.md), so the controller's placement sees each
// invoker's containers without asking.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hearth::net {

// An idle container as the invoker would evict it (see InvokerState::evictable).
struct EvictableContainer {
  std::string action;       // "namespace/action"
  std::int64_t memory_mb = 0;
  std::int64_t idle_ms = 0;  // how long it has been idle
  bool operator==(const EvictableContainer&) const = default;
};

struct InvokerState {
  std::int64_t memory_mb = 0;  // the invoker's capacity
  std::int64_t used_mb = 0;    // held by busy, idle and prewarmed containers
  std::int64_t busy_mb = 0;    // held by containers running or starting an invocation (ClusterView::busy_mb)
  std::int32_t busy = 0;       // invocations running now
  std::int32_t prewarmed = 0;  // generic stem cells ready
  std::map<std::string, std::int32_t> idle;  // "namespace/action" → idle (warm) containers
  // The first kMaxEvictable idle containers in the order the invoker evicts them under memory pressure:
  // what Sophon's MC rule prices (policy/sophon_placement.h).
  std::vector<EvictableContainer> evictable;
  static constexpr std::size_t kMaxEvictable = 32;
  std::int64_t idle_mb = 0;         // held by idle containers (optional on the wire: older invokers 0)
  std::int64_t snapshot_bytes = 0;  // function snapshot images on the invoker's disk (docs/faasnap.md)
  std::int64_t releases = 0;        // idle containers released into snapshots so far (snapshot-and-release)
};

}  // namespace hearth::net
