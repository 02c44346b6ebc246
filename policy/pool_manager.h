// PoolManager: function-level management of the container pool on a tick (Incendio's Container Manager,
// §V-B of seed 002; HotC's pool sizing). Every tick_interval() of time the engine asks which containers
// of which function to prewarm or terminate on which node, and does it:
//   - prewarm: start that many containers of the function on the node in the background (a cold start
//     that no request waits for); the engine starts only what fits in the node's free memory without
//     evicting anything, and says nothing about the rest;
//   - terminate: destroy that many idle containers of the function on the node (those idle longest
//     first); fewer if it has fewer.
// The keep-alive policy still decides each idle container's expiry and eviction order; a pool manager
// adds to it. Deterministic given its inputs; no I/O, no clock.
// Cost: on_tick O(functions the manager tracks + actions); the hooks O(1).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/cluster_view.h"
#include "model/container.h"
#include "model/function_spec.h"
#include "model/invocation.h"
#include "model/time.h"

namespace hearth::policy {

struct PoolAction {
  model::FunctionId function = 0;
  model::NodeId node = 0;
  std::int32_t prewarm = 0;    // containers of `function` to start on `node` now
  std::int32_t terminate = 0;  // idle containers of `function` to destroy on `node` now
};

class PoolManager {
 public:
  virtual ~PoolManager() = default;
  virtual std::string_view name() const = 0;
  virtual model::Micros tick_interval() const = 0;
  virtual void on_function_added(const model::FunctionSpec& fn) { (void)fn; }
  virtual void on_arrival(const model::Invocation& inv, model::Micros now) { (void)inv, (void)now; }
  // An invocation on_arrival announced starts now in a container (warm, prewarmed or cold): from here
  // until on_completed it holds a busy container; before it, it waits for one (or for CPU).
  virtual void on_started(const model::Invocation& inv, model::Micros now) { (void)inv, (void)now; }
  // An activation finished (start kind, start-up and execution as run): the Function Info Table's input.
  virtual void on_completed(const model::Invocation& inv, model::StartKind kind, model::Micros startup_us,
                            model::Micros exec_us, model::Micros now) {
    (void)inv, (void)kind, (void)startup_us, (void)exec_us, (void)now;
  }
  // An invocation on_arrival announced will never run: the engine dropped it (queue full or timed out,
  // no node). Every arrival ends in exactly one on_completed or on_dropped.
  virtual void on_dropped(const model::Invocation& inv, model::Micros now) { (void)inv, (void)now; }
  // A container of `fn` was destroyed; destroying it took `term_us`.
  virtual void on_terminated(model::FunctionId fn, model::Micros term_us) { (void)fn, (void)term_us; }
  // What one activation of `fn` used, as the live platform measured it from the container's cgroup
  // (FunctionInfoTable::on_resources: cores, peak MB, I/O share in [0, 1]). The simulator never calls it.
  virtual void on_resources(model::FunctionId fn, double cpu_cores, model::MegaBytes memory_mb, double io_share) {
    (void)fn, (void)cpu_cores, (void)memory_mb, (void)io_share;
  }
  // A hint, no effect on decisions: start loading the state on_arrival of `fn` will touch, so that an
  // engine can ask a few invocations ahead (issue 15: at 50,000 functions per-function state misses the
  // cache; at a completion, asked just before the hook, such a hint saved nothing).
  virtual void prefetch_arrival(model::FunctionId fn) const { (void)fn; }
  virtual std::vector<PoolAction> on_tick(const model::ClusterView& view, model::Micros now) = 0;
};

}  // namespace hearth::policy
