// RequestScheduler: which of a node's waiting requests run next (Incendio §VI, seed 002). Each node keeps
// a request queue; whenever capacity may have appeared there (a request completed, a container was
// destroyed, a request arrived) the engine asks the scheduler which pending requests to start now. The
// choice is the 0-1 multiple-knapsack of Eqs. 5-7: maximise the total priority of the chosen requests
// under the node's available memory and CPU and each request's timeout. A request not chosen keeps
// waiting: that is the "wait to reuse a busy container" action.
//
// The engine's side of the contract (both engines):
//   - pending is the node's queue, oldest first; capacity is what the node has now for new starts;
//   - it starts the chosen requests in the order given, each on an idle container of its function if
//     there is one, else on a new one (evicting idle containers by the keep-alive policy as usual), and
//     stops at the first that does not fit what the earlier ones left;
//   - when the node runs nothing and the answer starts nothing, it starts the oldest request anyway
//     (nobody waits for a completion that cannot come);
//   - it reports arrivals, completions and container terminations (the Function Info Table's inputs);
//   - a request that waited longer than the queue timeout is dropped (the simulator's --queue-timeout,
//     `hearth up --queue-timeout`; default kDefaultSchedulerQueueTimeoutUs with a scheduler other than fifo).
// Deterministic given its inputs and seed; no I/O, no clock. Cost: stated by each implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "model/function_spec.h"
#include "model/invocation.h"
#include "model/time.h"

namespace hearth::policy {

// The queue timeout's default with a scheduler other than fifo (both engines; 0 = never for fifo).
inline constexpr model::Micros kDefaultSchedulerQueueTimeoutUs = 60 * model::kMicrosPerSecond;

struct PendingRequest {
  model::InvocationId id = 0;
  model::FunctionId function = 0;
  model::Micros arrival_us = 0;
  model::MegaBytes memory_mb = 0;  // its container's memory
  double cpu_cores = 0;            // its container's CPU allocation
  bool warm = false;               // an idle container of its function is on the node now
  std::int32_t busy_same = 0;      // containers of its function running on the node now
};

struct NodeCapacity {
  model::MegaBytes available_mb = 0;  // free memory plus memory of idle containers the engine may evict
  double available_cores = 0;         // the node's cores minus the CPU allocations of running requests
};

class RequestScheduler {
 public:
  virtual ~RequestScheduler() = default;
  virtual std::string_view name() const = 0;
  virtual void on_function_added(const model::FunctionSpec& fn) { (void)fn; }
  virtual void on_arrival(const model::Invocation& inv, const model::FunctionSpec& fn, model::Micros now) {
    (void)inv, (void)fn, (void)now;
  }
  // `inv` finished: its start kind, its start-up and its execution time as run.
  virtual void on_completed(const model::Invocation& inv, const model::FunctionSpec& fn, model::StartKind kind,
                            model::Micros startup_us, model::Micros exec_us, model::Micros now) {
    (void)inv, (void)fn, (void)kind, (void)startup_us, (void)exec_us, (void)now;
  }
  // A container of `fn` was destroyed; destroying it took `term_us`.
  virtual void on_terminated(const model::FunctionSpec& fn, model::Micros term_us) { (void)fn, (void)term_us; }
  // What one activation of `fn` used, as the live platform measured it from the container's cgroup
  // (FunctionInfoTable::on_resources: cores, peak MB, I/O share in [0, 1]). The simulator never calls it.
  virtual void on_resources(const model::FunctionSpec& fn, double cpu_cores, model::MegaBytes memory_mb,
                            double io_share) {
    (void)fn, (void)cpu_cores, (void)memory_mb, (void)io_share;
  }
  // A hint, no effect on decisions: start loading the state on_arrival of `fn` will touch, so that an
  // engine can ask a few invocations ahead (issue 15: at 50,000 functions per-function state misses the
  // cache; at a completion, asked just before the hook, such a hint saved nothing).
  virtual void prefetch_arrival(model::FunctionId fn) const { (void)fn; }
  // Indices into `pending` to start now, in start order.
  virtual std::vector<std::size_t> select(std::span<const PendingRequest> pending, const NodeCapacity& capacity,
                                          model::Micros now) = 0;
};

}  // namespace hearth::policy
