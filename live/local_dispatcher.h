// LocalDispatcher: the platform's invocation path on one machine, driven by the same policy objects as
// `hearth sim`: placement picks an invoker (through this object's ClusterView), the invoker's pool gives
// an idle (warm) container of the action, else a generic stem cell of its runtime specialised with its
// code (prewarm; the prewarm policy's targets are topped up every tick), else starts a new one (cold), evicting idle containers in the
// keep-alive policy's priority order when its memory is short, and the keep-alive policy decides each
// idle container's expiry (a reaper destroys expired ones every `reap_interval_ms`).
// Invokers here are in-process (each with `concurrency` worker threads); an out-of-process invoker
// (`hearth invoker`, InvokerAgent) runs one LocalDispatcher of one invoker behind the wire protocol. Policies are not thread-safe: one mutex guards them and the
// pools; code runs outside it. When a new action appears the function table grows and the policies are
// rebuilt (their learned state is reset) — deploys are rare next to invocations.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "live/dispatcher.h"
#include "live/function_table.h"
#include "live/invoker_state.h"
#include "live/latency_metric.h"
#include "live/live_container.h"
#include "model/cluster_view.h"
#include "policy/keepalive.h"
#include "policy/placement.h"
#include "policy/prewarm.h"

namespace hearth::live {

struct LocalDispatcherConfig {
  int invokers = 1;
  std::int64_t invoker_memory_mb = 4096;
  int concurrency = 8;  // worker threads per invoker
  std::string placement = "openwhisk";
  std::string keepalive = "openwhisk";
  std::string prewarm = "none";  // "openwhisk": reactive stem cells (generic Python/Node.js runtimes)
  std::uint64_t seed = 1;
  std::int64_t reap_interval_ms = 1000;
};

// Counters for /metrics and tests.
struct DispatcherStats {
  std::uint64_t invocations = 0, completed = 0, cold = 0, warm = 0, prewarm = 0, stem_cells_started = 0, errors = 0, evictions = 0, expirations = 0;
};

class LocalDispatcher final : public Dispatcher, public model::ClusterView {
 public:
  LocalDispatcher(ContainerFactory& factory, LocalDispatcherConfig config);
  ~LocalDispatcher() override;

  void dispatch(InvocationRequest request, std::function<void(ActivationRecord)> done) override;
  // Runs the invocation only if it starts warm: under the lock, on the invoker placement picks, takes an
  // idle container of the action's current code version out of the pool (so no other invocation, expiry
  // or eviction can take it before it runs) and queues the run with it; true. False if that invoker holds
  // none: nothing runs, `done` is never called and no policy observes an arrival. What an invoker does
  // with an invoke the controller sent expecting a warm start (docs/wire-protocol.md, "stale").
  bool dispatch_if_warm(InvocationRequest request, std::function<void(ActivationRecord)> done);

  // ClusterView (call with the lock held: placement runs inside dispatch).
  std::span<const model::NodeState> nodes() const override { return nodes_; }
  std::int32_t idle_containers(model::NodeId node, model::FunctionId fn) const override;
  model::Micros now() const override;
  bool for_each_eviction_candidate(model::NodeId node,
                                   const std::function<bool(const model::Container&)>& visit) const override;

  DispatcherStats stats();
  // Idle containers per invoker, for tests and /metrics.
  std::vector<int> idle_per_invoker();
  // What invoker `node`'s pool holds now: the state report of the wire protocol.
  InvokerState state(model::NodeId node);
  // Prometheus text: invocations by start kind, errors, evictions, expirations, containers per state
  // per invoker, and an invocation latency histogram.
  std::string prometheus_metrics();
  void stop();

 private:
  struct Idle {
    std::unique_ptr<LiveContainer> container;
    model::Container meta;  // what the keep-alive policy sees
    std::int64_t version;   // of the action's code it runs: an update makes it stale
  };
  struct StemCell {
    std::unique_ptr<LiveContainer> container;
    model::RuntimeKind runtime;
    model::MegaBytes memory_mb;
    model::Micros expires_us;
  };
  struct Pool {
    std::map<model::FunctionId, std::vector<Idle>> idle;
    std::vector<StemCell> stem_cells;
  };
  class Worker;

  // The first `limit` idle containers of `node` in eviction order: lowest keep-alive priority first,
  // equal priorities in pool order (lock held). make_room evicts in it; state() reports it.
  std::vector<const model::Container*> eviction_order(model::NodeId node, std::size_t limit = SIZE_MAX) const;
  model::FunctionId function_for(const ActionRecord& a);
  void rebuild_policies();
  // The invoker placement picks for `fn` (lock held).
  model::NodeId place(model::FunctionId fn);
  // Counts the invocation in on `node` (lock held): keep-alive arrival, reservation, queue.
  void admit(model::NodeId node, model::FunctionId fn);
  // Takes idle containers of `fn` on `node` whose code is not `version` out of the pool (they never run
  // again) into `dropped`, to destroy without the lock (lock held).
  void drop_outdated_idle(model::NodeId node, model::FunctionId fn, std::int64_t version,
                          std::vector<std::unique_ptr<LiveContainer>>& dropped);
  // Runs the invocation on `node`: in `claimed` if given (dispatch_if_warm), else warm → prewarm → cold.
  void execute(model::NodeId node, InvocationRequest req, model::FunctionId fn, std::function<void(ActivationRecord)> done,
               std::shared_ptr<Idle> claimed);
  // Frees memory on `node` by evicting idle containers in eviction_order (lock held); returns the evicted
  // ones to destroy. If even all of them are not enough, evicts them all and returns false.
  bool make_room(model::NodeId node, model::MegaBytes need, std::vector<std::unique_ptr<LiveContainer>>& evicted);
  void reap();
  // Runs the prewarm policy's tick (lock held on entry and exit; starts runtimes without it).
  void prewarm_tick(std::unique_lock<std::mutex>& lock);

  ContainerFactory& factory_;
  LocalDispatcherConfig config_;
  std::mutex mu_;
  std::condition_variable memory_freed_;
  std::vector<model::NodeState> nodes_;
  std::vector<Pool> pools_;
  FunctionTable functions_;
  std::unique_ptr<policy::PlacementPolicy> placement_;
  std::unique_ptr<policy::KeepAlivePolicy> keepalive_;
  std::unique_ptr<policy::PrewarmPolicy> prewarm_;
  model::Micros next_prewarm_tick_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;  // one per invoker
  DispatcherStats stats_;
  LatencyMetric latency_;
  std::uint32_t next_container_ = 1;
  bool stopping_ = false;
  std::thread reaper_;
  std::condition_variable reaper_wake_;
};

}  // namespace hearth::live
