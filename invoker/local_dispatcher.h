// LocalDispatcher: the platform's invocation path on one machine, driven by the same policy objects as
// `hearth sim`: placement picks an invoker (through this object's ClusterView), the invoker's pool gives
// an idle (warm) container of the action, else a generic stem cell of its runtime specialised with its
// code (prewarm; the prewarm policy's targets are topped up every tick), else starts a new one (cold), evicting idle containers in the
// keep-alive policy's priority order when its memory is short. An invocation that waits for memory takes
// the first container of its own function that frees (warm) instead of evicting it for a new one, so a
// steady overload of one function cold-starts at most the containers the invoker's memory holds. The
// keep-alive policy decides each
// idle container's expiry (a reaper destroys expired ones every `reap_interval_ms`). A policy that
// releases idle containers into snapshots (snapshot-and-release, policy/snapshot_release_keepalive.h)
// needs a factory with snapshots: a container it releases (expired or evicted with the policy now keeping a
// snapshot of its function there) is destroyed and the factory snapshots its revision unless it has; a
// cold start the policy restores asks the factory to restore (a plain start if it cannot). The policy's
// FunctionSpec::cold_start_us is then the mean start-up of the function's plain cold starts here.
// Invokers here are in-process (each with `concurrency` worker threads); an out-of-process invoker
// (`hearth invoker`, InvokerAgent) runs one LocalDispatcher of one invoker behind the wire protocol. Policies are not thread-safe: one mutex guards them and the
// pools; code runs outside it. The policies are built once; when a new action appears the function table
// grows and each policy hears of it through on_function_added (policy/placement.h), keeping what it learned.
// With a scaling policy (`scaling`, policy/scaling.h: hyperfaas, knative) the path is the simulator's
// scaling path instead (local_dispatcher_scaling.cc): invocations wait in a per-function buffer; the
// policy admits each into a container with a free worker, raising the container's workers (more runtime
// workers forked in place, and CPU quota per worker — the action's CPU limit (limits.cpu) when it has one,
// else `cpu_millicores_per_worker`: HyperFaaS's phase 1)
// or asking for containers to start in the background; its tick retires idle containers and lowers
// workers' admission limits.
// Request scheduling (Incendio §VI, policy/request_scheduler.h): with a scheduler other than `fifo` an
// invoker's waiting invocations sit in its own queue and the scheduler picks which start whenever capacity
// may have appeared (an arrival, a completion, a container destroyed or prewarmed). A start needs a free
// worker thread, the function's CPU allocation (its action's CPU limit, limits.cpu, when it has one, else
// its memory / 512 MB, a core per 512 MB as §IV normalises) within the invoker's `concurrency` cores, and
// its memory (an idle container of its function, a stem cell, or free memory after evicting idle
// containers); the container is claimed when it is chosen, so the worker runs it at once. `fifo` (the default) keeps the path above unchanged: workers take invocations in
// arrival order and wait for memory. A pool manager (policy/pool_manager.h) ticks on the reaper thread:
// it prewarms containers of a function in the background from free memory (never evicting) and destroys
// idle ones. Both hear of arrivals, completions (start kind, start-up, execution) and destroyed
// containers (how long destroying one took), and, where the container's cgroup can be read, what each
// run used (cores, peak MB, I/O share).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "invoker/dispatcher.h"
#include "invoker/function_table.h"
#include "net/invoker_state.h"
#include "invoker/latency_metric.h"
#include "invoker/live_container.h"
#include "invoker/run_multiplexer.h"
#include "model/cluster_view.h"
#include "policy/code_scaler.h"
#include "policy/keepalive.h"
#include "policy/placement.h"
#include "policy/pool_manager.h"
#include "policy/prewarm.h"
#include "policy/request_scheduler.h"
#include "policy/scaling.h"

namespace hearth::invoker {

struct LocalDispatcherConfig {
  // freshen on a predicted arrival (docs/freshen.md): a container the pool manager prewarms for a
  // function it expects is told to run the function's freshen hook with this many ms once it is idle.
  // 0: never.
  std::int64_t freshen_timeout_ms = 0;
  int invokers = 1;
  std::int64_t invoker_memory_mb = 4096;
  int concurrency = 8;  // worker threads per invoker
  std::string placement = "openwhisk";
  std::string keepalive = "openwhisk";
  std::string prewarm = "none";  // "openwhisk": reactive stem cells (generic Python/Node.js runtimes)
  std::uint64_t seed = 1;
  std::int64_t reap_interval_ms = 1000;
  std::string scaling = "none";  // a ScalingPolicy spec (hyperfaas, knative) or none
  int max_workers = 16;          // workers per container under a scaling policy (≤ runtime::kMaxWorkers)
  // CPU quota a container gets per admitted worker under a scaling policy, for actions without a CPU
  // limit; an action's limit (limits.cpu) is its per-worker quota instead.
  std::int64_t cpu_millicores_per_worker = 1000;
  // Container sharing (HyperFaaS): a function that needs a new container first tries a spare worker of
  // another function's ready container (same runtime, at least its memory), specialised with its code.
  bool share_containers = false;
  // A RequestScheduler spec (policy/request_scheduler.h); "fifo": the arrival-order path (today's).
  std::string scheduler = "fifo";
  // A PoolManager spec (policy/pool_manager.h); "none": no pool manager.
  std::string pool_manager = "none";
  // Request scheduling: an invocation still queued this long after its arrival is dropped with a whisk
  // error ("Activation processing is not initiated for N ms", as OpenWhisk's scheduler drops stale
  // activations); checked by the reaper, so within one reap interval of the deadline. 0: never.
  model::Micros queue_timeout_us = 0;
  // Code scaling (policy/code_scaler.h: none, fixed[:F], scorpius): whenever an invocation starts, the
  // function's threshold array may ask for one more container of it, started in the background from free
  // memory (never evicting) and kept idle for the next arrival. FIFO path only (no scheduler, scaling).
  std::string code_scaling = "none";
};

// Policies handed to a dispatcher ready-made (tests; a policy not in the registry): they take the place
// of the config's scheduler and pool_manager specs.
struct InjectedPolicies {
  std::unique_ptr<policy::RequestScheduler> scheduler;
  std::unique_ptr<policy::PoolManager> pool_manager;
};

// Counters for /metrics and tests.
struct DispatcherStats {
  std::uint64_t invocations = 0, completed = 0, cold = 0, warm = 0, prewarm = 0, zygote = 0, snapshot = 0, stem_cells_started = 0, errors = 0, evictions = 0, expirations = 0;
  // Snapshot-and-release: idle containers the keep-alive policy released into a snapshot (expired or
  // evicted with one kept; their memory freed, the next start restores).
  std::uint64_t releases = 0;
  // Scaling path: containers started, workers added to running containers (phase 1 scale-ups), and
  // admissions by the policy's phase (HyperFaaS: 1 in-container, 2 re-placed, 3 burst buffer).
  std::uint64_t scaled_containers = 0, workers_added = 0, retired = 0, shared_workers = 0;
  std::uint64_t admissions_by_phase[4] = {0, 0, 0, 0};
  // Request scheduling and the pool manager: scheduler decisions, starts forced because the invoker ran
  // nothing, containers a pool manager prewarmed and terminated.
  std::uint64_t schedule_decisions = 0, forced_starts = 0, queue_timeouts = 0, pool_prewarmed = 0, pool_terminated = 0;
  // freshen: hooks asked of an idle container, and those its runtime started (docs/freshen.md).
  std::uint64_t freshen_requested = 0, freshen_started = 0;
  // Code scaling: containers prepared ahead, and how prepared codes turned out (policy/code_scaler.h).
  std::uint64_t code_prepared = 0, code_late = 0, code_early = 0, code_exact = 0;
};

class LocalDispatcher final : public Dispatcher, public model::ClusterView {
 public:
  LocalDispatcher(ContainerFactory& factory, LocalDispatcherConfig config, InjectedPolicies injected = {});
  ~LocalDispatcher() override;

  void dispatch(net::InvocationRequest request, std::function<void(net::ActivationRecord)> done) override;
  // Runs the invocation only if it starts warm: under the lock, on the invoker placement picks, takes an
  // idle container of the action's current code revision out of the pool (so no other invocation, expiry
  // or eviction can take it before it runs) and queues the run with it; true. When every worker of that
  // invoker is busy and the action has containers there (idle or running) it claims nothing (a claimed
  // container never waits in the queue behind invocations waiting for the memory it holds) and queues the
  // invocation as dispatch() would; true: it will run there, on an idle container of its function or the
  // first one that frees. False otherwise (no idle container, and a worker free or none of the action's
  // containers there): nothing runs, `done` is never called and no policy observes an arrival. What an invoker does
  // with an invoke the controller sent expecting a warm start (docs/wire-protocol.md, "stale").
  bool dispatch_if_warm(net::InvocationRequest request, std::function<void(net::ActivationRecord)> done);
  // A claimed warm run handed back to the caller instead of a worker (the FIFO path only): called once, on
  // the caller's thread, it runs the invocation (with `watch` passed to the container's wait for its
  // reply; may be null) and calls `done` — no hop to a worker thread.
  using RunHere = std::function<void(net::ReadWatch* watch)>;
  // dispatch_if_warm, except that when it claims an idle container whose runtime watches
  // (LiveContainer::watches) the run is not posted to a worker: `*run_here` is set and the caller runs it.
  // It still counts against the invoker's `concurrency` as a worker's run does.
  // With `runs` too, a claimed idle container that splits its runs (LiveContainer::splits_runs) and is
  // not run here is started on the caller's thread (begin_run: the request written to the runtime) and
  // added to `runs`, which the caller waits for; the run ends — `done` called — on the thread that steps
  // it. Parameters over kMaxSplitParamsBytes go to a worker instead (a request that large may not fit the
  // runtime's empty pipe at once).
  static constexpr std::size_t kMaxSplitParamsBytes = 16 * 1024;
  bool dispatch_if_warm(net::InvocationRequest request, std::function<void(net::ActivationRecord)> done, RunHere* run_here,
                        RunMultiplexer* runs = nullptr);
  // The reading thread's form with a RunMultiplexer (InvokerAgent): as dispatch_if_warm(req, done,
  // nullptr, &runs), except that when every worker is busy it does nothing and says kBusy — `req` and
  // `done` are left to the caller, who tries again when one of its runs ended (or hands it to
  // dispatch_if_warm, which queues it for a worker). kStarted: taken (moved from); kStale: nothing runs.
  enum class WarmStart { kStarted, kBusy, kStale };
  std::uint64_t split_runs() const { return split_runs_.load(); }  // runs begun into a RunMultiplexer so far
  WarmStart start_if_warm(net::InvocationRequest& req, std::function<void(net::ActivationRecord)>& done, RunMultiplexer& runs);
  // freshen (docs/freshen.md): claims an idle container of `action` (this revision) on any invoker, asks
  // its runtime to start the hook (answered at once) and returns it to the idle pool as it was (same
  // expiry; the policies see nothing). False if none is idle (never starts one: a hook warms a runtime,
  // it does not buy a container), under a scaling policy, or if the runtime refused (no hook).
  bool freshen(const net::ActionRecord& action, std::int64_t hook_timeout_ms) override;

  // ClusterView (call with the lock held: placement runs inside dispatch).
  std::span<const model::NodeState> nodes() const override { return nodes_; }
  std::int32_t idle_containers(model::NodeId node, model::FunctionId fn) const override;
  model::Micros now() const override;
  model::MegaBytes busy_mb(model::NodeId node) const override;
  bool for_each_eviction_candidate(model::NodeId node,
                                   const std::function<bool(const model::Container&)>& visit) const override;

  DispatcherStats stats();
  // Idle containers per invoker, for tests and /metrics.
  std::vector<int> idle_per_invoker();
  // When each idle container of `action` ("namespace/action") on invoker `node` expires, as the keep-alive
  // policy decided (now() clock; kNever: kept until evicted), in pool order; empty if none. Diagnostics.
  std::vector<model::Micros> idle_expiries(model::NodeId node, const std::string& action);
  // What invoker `node`'s pool holds now: the state report of the wire protocol.
  net::InvokerState state(model::NodeId node);
  // Prometheus text: invocations by start kind, errors, evictions, expirations, containers per state
  // per invoker, and an invocation latency histogram.
  std::string prometheus_metrics();
  void stop();

 private:
  struct Idle {
    std::unique_ptr<LiveContainer> container;
    model::Container meta;  // what the keep-alive policy sees
    std::int64_t revision;  // of the action's code it runs (ActionRecord::revision): an update makes it stale
    // Code scaling: when a container prepared ahead became ready (-1: not one, or used since) and which
    // code of its function it was.
    model::Micros prepared_ready_us = -1;
    std::int32_t prepared_code = 0;
    // Snapshot-and-release: its last run's parameters (a released container's snapshot records with them).
    std::string params_json{};
  };
  struct StemCell {
    std::unique_ptr<LiveContainer> container;
    model::RuntimeKind runtime;
    model::MegaBytes memory_mb;
    model::Micros expires_us;
  };
  // A container leaving the pool, to destroy without the lock; `function` < 0: a stem cell. Destroying
  // one is timed and reported to the scheduler and pool manager (the Function Info Table's Term).
  struct Doomed {
    std::unique_ptr<LiveContainer> container;
    std::int64_t function = -1;
  };
  using DoomedList = std::vector<Doomed>;
  // An invocation waiting in an invoker's queue (request scheduling).
  struct Queued {
    model::InvocationId id = 0;
    model::FunctionId fn = 0;
    model::Micros arrival_us = 0;  // now() clock
    net::InvocationRequest req;
    std::function<void(net::ActivationRecord)> done;
  };
  // What a scheduled start claimed for its invocation before a worker runs it.
  struct Claim {
    std::shared_ptr<Idle> idle;      // warm
    std::shared_ptr<StemCell> stem;  // prewarm (stem cell)
    bool cold = false;               // a new container; its memory is already counted in used_mb
    double cores = 0;                // CPU allocation held while it runs
    net::ReadWatch* watch = nullptr;  // run on the caller's thread with this watch (RunHere)
  };
  struct Pool {
    std::map<model::FunctionId, std::vector<Idle>> idle;
    std::map<model::FunctionId, std::int32_t> running;  // invocations running (or starting) per function
    std::vector<StemCell> stem_cells;
    // Request scheduling: the queue (oldest first), invocations handed to a worker and not finished,
    // and the CPU allocations they hold.
    std::deque<Queued> queue;
    std::int32_t started = 0;
    double cores_running = 0;
  };
  class Worker;
  // Scaling path: a container that runs several invocations at once.
  struct Scaled {
    std::shared_ptr<LiveContainer> container;  // null while it starts
    model::ContainerId id = 0;
    model::NodeId node = 0;
    std::int64_t revision = 0;
    std::int32_t slots = 1;    // admission limit (the policy's)
    std::int32_t workers = 0;  // runtime workers started (≥ slots once ready; only grows)
    std::int32_t active = 0;
    std::vector<bool> busy;  // by worker index 1..max (index 0 unused)
    bool ready = false;
    bool multi = false;    // the runtime has worker channels (runs go to workers 1..n, never channel 0)
    bool growing = false;  // add_workers in progress (control channel: one at a time)
    // Container sharing: a guest is one worker (`guest_worker`) of another function's container (the
    // host's LiveContainer; its memory stays the host's); a host lends at most one worker at a time.
    bool guest = false;
    std::int32_t guest_worker = 0;
    bool hosting = false;
    model::MegaBytes memory_mb = 0;
    model::Micros idle_since = 0;
    model::Micros expires_us = model::kNever;  // while idle: the keep-alive policy's expiry
  };
  struct Pending {
    net::InvocationRequest req;
    std::function<void(net::ActivationRecord)> done;
    bool cold = false;  // no ready container of its function when it arrived
  };
  struct ScaledFunction {
    net::ActionRecord action;  // the latest action record (what new containers start)
    std::vector<std::shared_ptr<Scaled>> containers;  // oldest first
    std::deque<Pending> buffer;
    double load_integral = 0;  // ∫ (running + buffered) dt since the last tick, in µs
    double cpu_integral = 0;   // ∫ running dt (a worker has a core: its quota grows per worker), in µs
    model::Micros load_since = 0;
  };

  // The first `limit` idle containers of `node` in eviction order: lowest keep-alive priority first,
  // equal priorities in pool order (lock held). make_room evicts in it; state() reports it.
  std::vector<const model::Container*> eviction_order(model::NodeId node, std::size_t limit = SIZE_MAX) const;
  model::FunctionId function_for(const net::ActionRecord& a);
  void build_policies();
  // The invoker placement picks for `fn` (lock held).
  model::NodeId place(model::FunctionId fn);
  // Counts the invocation in on `node` (lock held): keep-alive arrival, reservation, queue.
  void admit(model::NodeId node, model::FunctionId fn);
  // Tells the scheduler and pool manager an invocation of `fn` arrived now (lock held); the invocation.
  model::Invocation observe_arrival(model::FunctionId fn);
  // Request scheduling (lock held): admits the invocation into `node`'s queue and drains it.
  void enqueue(model::NodeId node, model::FunctionId fn, net::InvocationRequest req,
               std::function<void(net::ActivationRecord)> done, DoomedList& evicted);
  // Takes idle containers of `fn` on `node` whose code is not `revision` out of the pool (they never run
  // again) into `dropped`, to destroy without the lock (lock held).
  void drop_outdated_idle(model::NodeId node, model::FunctionId fn, std::int64_t revision, DoomedList& dropped);
  // Runs the invocation on `node`: in what `claim` holds if anything (dispatch_if_warm, a scheduled
  // start), else warm → prewarm → cold.
  void execute(model::NodeId node, net::InvocationRequest req, model::FunctionId fn, std::function<void(net::ActivationRecord)> done,
               Claim claim);
  // An invocation from its start to its end: execute()'s state, kept by a split run while it waits.
  struct Execution {
    model::NodeId node;
    model::FunctionId fn;
    net::InvocationRequest req;
    std::function<void(net::ActivationRecord)> done;
    Claim claim;
    net::ActivationRecord rec{};
    std::unique_ptr<LiveContainer> container{};  // null: it failed to start (rec says why)
    model::Container meta{};
    model::StartKind kind = model::StartKind::kCold;
    bool created_plain = false;  // a cold start without a snapshot: its start-up is the function's cold start
    std::optional<ResourceUsage> before{};  // the cgroup's counters before the run, when a policy measures
    std::int64_t run_start = 0;
  };
  // execute()'s halves: everything up to the run (the start kind, a container created or specialised,
  // the policies told), and everything after it (`keep`: the container may run again) ending in done().
  void begin_execution(Execution& e);
  void end_execution(Execution& e, bool keep);
  class SplitRun;  // a warm run waited for by a RunMultiplexer (local_dispatcher_split.cc)
  std::atomic<std::uint64_t> split_runs_{0};
  // begin_execution, then the container's begin_run: into `runs` while it runs on, else ended here.
  void begin_split(Execution e, RunMultiplexer& runs);
  // dispatch_if_warm and start_if_warm: `req` and `done` are moved from only when taken; with `busy`, a
  // busy invoker sets it and takes nothing.
  bool warm_impl(net::InvocationRequest& req, std::function<void(net::ActivationRecord)>& done, RunHere* run_here,
                 RunMultiplexer* runs, bool* busy);
  // A split run's end: its outcome recorded (none: it never started, rec says why), end_execution.
  void end_split(Execution& e, std::optional<RunOutcome> outcome);
  // Frees memory on `node` by evicting idle containers in eviction_order (lock held); returns the evicted
  // ones to destroy. If even all of them are not enough, evicts them all and returns false.
  bool make_room(model::NodeId node, model::MegaBytes need, DoomedList& evicted);
  // Snapshot-and-release (lock held): an idle container of `fn` (code `revision`, last run with
  // `params_json`) on `node` left the pool and the keep-alive policy heard of it; if the policy keeps a
  // snapshot of `fn` there now, the container was released: counted, and the factory snapshots that
  // revision unless it has (docs/faasnap.md).
  void note_release(model::NodeId node, model::FunctionId fn, std::int64_t revision, const std::string& params_json);
  // Memory held by `node`'s idle containers (lock held).
  model::MegaBytes idle_mb(model::NodeId node) const;
  // Destroys `doomed` (lock NOT held), timing each function container's destruction, and reports the
  // times to the scheduler and pool manager (taking the lock briefly).
  void destroy(DoomedList& doomed);
  // Request scheduling (lock held): asks the scheduler which of `node`'s queued invocations start now and
  // hands them to its workers with what they claimed; containers evicted for them go to `evicted`.
  void drain(model::NodeId node, DoomedList& evicted);
  // Request scheduling (lock held): moves the invocations queued longer than the queue timeout to
  // `timed_out`, undoing their admission; the caller answers them once the lock is released.
  void take_timed_out(std::vector<Queued>& timed_out);
  // Ends a queued invocation that never started with a whisk error saying `why` (lock NOT held).
  static void answer_unstarted(Queued& q, const std::string& why);
  // Claims a container (idle, stem cell, or room for a new one) for `q` on `node` if its CPU allocation
  // and memory fit now, or whatever it takes when `force` (lock held); false if it does not fit.
  bool claim_for(model::NodeId node, const Queued& q, bool force, Claim& claim, DoomedList& evicted);
  // Tells the scheduler and pool manager an activation of `fn` completed, and what it used when both
  // readings exist (lock held).
  void observe_completion(model::FunctionId fn, model::StartKind kind, const net::ActivationRecord& rec,
                          const std::optional<ResourceUsage>& before, const std::optional<ResourceUsage>& after);
  // A queued invocation's CPU allocation in cores: its action's CPU limit (limits.cpu) when given, else
  // its memory / 512 MB (§IV's normalisation); at most the invoker's.
  double cpu_allocation(const Queued& q) const;
  // A container of `fn` started ahead of demand (pool manager, code scaling) as an idle one of `node`,
  // with the keep-alive policy's expiry (lock held; the node's memory already counts it).
  Idle started_idle(model::NodeId node, model::FunctionId fn, std::unique_ptr<LiveContainer> container,
                    const net::ActionRecord& action);
  // The pool manager's tick (lock held on entry and exit; starts containers without it).
  void pool_manager_tick(std::unique_lock<std::mutex>& lock, DoomedList& terminated);
  void reap();
  // Scaling path (local_dispatcher_scaling.cc; lock held unless stated).
  void dispatch_scaled(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done, model::FunctionId fn);
  // Whether an invocation of `fn` (code `revision`) arriving now would run at once: nothing of `fn` waits
  // and the policy admits it into a ready container of that revision that can take it (asks the policy,
  // changes nothing). The in-container scheduler's test before it bounces work back to the controller.
  bool admits_now(model::FunctionId fn, std::int64_t revision);
  // Offers `fn`'s buffered invocations to the policy, oldest first, until it keeps one buffered.
  void offer(model::FunctionId fn);
  // Starts a container for `fn` in the background (first trying a shared worker when `share`).
  void start_scaled(model::FunctionId fn, const net::ActionRecord& action, bool share = true);
  // Container sharing: specialises a spare worker of another function's container for `fn`; false if no
  // container can lend one.
  bool share_worker(model::FunctionId fn, const net::ActionRecord& action);
  // Runs one admitted invocation on worker `worker` of `c` (without the lock; `grow` adds workers first).
  void run_scaled(std::shared_ptr<Scaled> c, int worker, bool grow, std::int32_t slots, model::FunctionId fn,
                  Pending p);
  void account_load(ScaledFunction& f);
  // What the policy sees of `f`'s containers (into `out`): their loads, each capped at its workers.
  void container_loads(const ScaledFunction& f, std::vector<policy::ContainerLoad>& out) const;
  // The invocations `c` can run at once: its worker channels (a guest: its one lent worker).
  static std::int32_t worker_cap(const Scaled& c);
  // The CPU quota a scaled container gets per worker for `action`: its CPU limit, else the config's.
  std::int64_t per_worker_millicores(const net::ActionRecord& action) const {
    return action.cpu_millicores > 0 ? action.cpu_millicores : config_.cpu_millicores_per_worker;
  }
  // Gives back the node memory `c` holds (a guest holds none: its host's memory is its).
  void release_memory(const Scaled& c);
  // `c` of `fn` just became idle: its keep-alive expiry from the keep-alive policy.
  void became_idle(Scaled& c, model::FunctionId fn);
  // Queues `task` on invoker `node`'s worker threads.
  void post(model::NodeId node, std::function<void()> task);
  // The policy's tick: retires idle containers above each target into `retired` (destroyed without the lock).
  void scaling_tick(std::vector<std::shared_ptr<LiveContainer>>& retired);
  // Runs the prewarm policy's tick (lock held on entry and exit; starts runtimes without it).
  void prewarm_tick(std::unique_lock<std::mutex>& lock);
  // Code scaling (local_dispatcher_code_scaling.cc; lock held): an invocation of `fn` started on `node`
  // in `claimed` (an idle container, possibly prepared ahead) or on demand (`cold`); queues the start of
  // one more container when the code scaler asks and the node's free memory holds it.
  void code_scaling_on_start(model::NodeId node, model::FunctionId fn, const net::ActionRecord& action,
                             const Idle* claimed, bool cold);
  // An idle container leaves the pool unused (expired, evicted, outdated): a prepared one was early.
  void code_scaling_dropped(model::FunctionId fn, const Idle& idle);
  // The preparer thread: starts the queued containers (without the lock) into the idle pool.
  void prepare_codes();

  ContainerFactory& factory_;
  LocalDispatcherConfig config_;
  std::mutex mu_;
  std::condition_variable memory_freed_;
  std::vector<model::NodeState> nodes_;
  std::vector<Pool> pools_;
  FunctionTable functions_;
  std::unique_ptr<policy::PlacementPolicy> placement_;
  std::unique_ptr<policy::KeepAlivePolicy> keepalive_;
  bool releases_ = false;  // the keep-alive policy releases idle containers into snapshots
  std::vector<std::uint64_t> releases_per_node_;
  static constexpr std::size_t kMaxSnapshotParams = 64 * 1024;  // larger parameters: a snapshot records with {}
  static std::string snapshot_params(const std::string& params_json) {  // what a released container's snapshot records with
    return params_json.size() <= kMaxSnapshotParams ? params_json : "{}";
  }
  std::unique_ptr<policy::PrewarmPolicy> prewarm_;
  std::unique_ptr<policy::ScalingPolicy> scaling_;  // null: the OpenWhisk path
  std::unique_ptr<policy::RequestScheduler> scheduler_;  // null: fifo (workers take arrivals in order)
  std::unique_ptr<policy::PoolManager> pool_manager_;    // null: none
  std::map<model::FunctionId, net::ActionRecord> actions_;  // the latest record of each function (prewarm)
  model::InvocationId next_invocation_ = 0;
  model::Micros next_pool_tick_ = 0;
  std::vector<net::ActionRecord> to_freshen_;  // prewarmed on a prediction: freshened after the tick (lock held)
  std::map<model::FunctionId, ScaledFunction> scaled_;
  model::Micros next_prewarm_tick_ = 0;
  model::Micros next_scaling_tick_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;  // one per invoker
  DispatcherStats stats_;
  LatencyMetric latency_;
  std::uint32_t next_container_ = 1;
  bool stopping_ = false;
  std::thread reaper_;
  std::condition_variable reaper_wake_;
  // Code scaling: null for none; containers being prepared per (node, function); the preparer's queue.
  struct Preparation {
    model::NodeId node;
    model::FunctionId fn;
    net::ActionRecord action;
    std::int32_t code;
  };
  std::unique_ptr<policy::CodeScaler> code_scaler_;
  std::map<std::pair<model::NodeId, model::FunctionId>, std::int32_t> preparing_;
  std::deque<Preparation> to_prepare_;
  std::condition_variable prepare_wake_;
  std::thread preparer_;
};

}  // namespace hearth::invoker
