#include "sim/engine.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "policy/registry.h"
#include "sim/cluster.h"
#include "sim/cold_contention.h"
#include "sim/container_cpu.h"
#include "sim/event_queue.h"
#include "sim/huge_page_allocator.h"
#include "sim/metrics_pipe.h"
#include "sim/pending_instants.h"
#include "sim/processor_sharing.h"
#include "sim/pair_counts.h"
#include "sim/scaling_state.h"
#include "trace/prefetch_source.h"

namespace hearth::sim {
namespace {

using model::ContainerId;
using model::ContainerState;
using model::FunctionSpec;
using model::Invocation;
using model::Micros;
using model::NodeId;
using model::StartKind;

// The contention model of `config`, scaled from the calibration machine's cores to the node's.
ColdContention make_contention(const SimConfig& config) {
  if (config.cold_contention_cores <= 0)
    throw std::invalid_argument("--cold-contention-cores must be positive (got " +
                                std::to_string(config.cold_contention_cores) + ")");
  const double scale =
      static_cast<double>(config.cold_contention_cores) / static_cast<double>(std::max(config.node_cores, 1));
  return ColdContention(config.nodes, config.cold_contention * scale,
                        static_cast<Micros>(std::llround(static_cast<double>(config.cold_contention_us) * scale)));
}

// The workload's functions with memory clamped to [min, max] (0: that side unlimited).
std::vector<FunctionSpec> clamp_memory(const std::vector<FunctionSpec>& functions, model::MegaBytes min,
                                       model::MegaBytes max) {
  std::vector<FunctionSpec> out = functions;
  for (FunctionSpec& f : out) {
    if (min > 0) f.memory_mb = std::max(f.memory_mb, min);
    if (max > 0) f.memory_mb = std::min(f.memory_mb, max);
  }
  return out;
}

class Engine {
 public:
  Engine(trace::Workload& workload, const SimConfig& config)
      : workload_(workload),
        config_(config),
        clamped_(config.memory_min_mb > 0 || config.memory_max_mb > 0
                     ? clamp_memory(workload.functions, config.memory_min_mb, config.memory_max_mb)
                     : std::vector<FunctionSpec>{}),
        functions_(config.memory_min_mb > 0 || config.memory_max_mb > 0 ? clamped_ : workload.functions),
        cluster_(config.nodes, config.node_memory_mb, config.node_cores, functions_.size()),
        queues_(config.nodes),
        contention_(make_contention(config)) {
    if (config.nodes == 0) throw std::invalid_argument("--nodes must be at least 1");
    if (config.node_memory_mb <= 0) throw std::invalid_argument("--node-memory-mb must be positive");
    if (config.node_cores <= 0) throw std::invalid_argument("--node-cores must be positive");
    if (!(config.cpu_fraction > 0 && config.cpu_fraction <= 1))
      throw std::invalid_argument("--cpu-fraction must be in (0, 1] (got " + std::to_string(config.cpu_fraction) + ")");
    if (shares()) {
      cpu_.assign(config.nodes, ProcessorSharing(config.node_cores));
      cpu_pending_.assign(config.nodes, {});
      if (config.cpu_weights != policy::CpuWeights::kEqual)
        for (const FunctionSpec& f : functions_)
          weights_.push_back(policy::cpu_weight(config.cpu_weights, config.node_memory_mb, f.memory_mb));
    }
    if (config.series_interval_us <= 0) throw std::invalid_argument("series interval must be positive");
    if (config.memory_min_mb < 0 || config.memory_max_mb < 0 ||
        (config.memory_max_mb > 0 && config.memory_min_mb > config.memory_max_mb))
      throw std::invalid_argument("action memory limits: min " + std::to_string(config.memory_min_mb) + " MB, max " +
                                  std::to_string(config.memory_max_mb) + " MB are not 0 <= min <= max");
    policy::PolicyContext ctx;
    ctx.seed = config.seed;
    ctx.node_count = config.nodes;
    ctx.hash_namespace = config.hash_namespace;
    ctx.functions = functions_;
    if (config.libraries) {
      libs_ = std::make_unique<LibraryPrep>(*config.libraries, config.nodes, functions_.size());
      ctx.libraries = &libs_->status();
    }
    placement_ = policy::make_placement(config.placement, ctx);
    keepalive_ = policy::make_keepalive(config.keepalive, ctx);
    prewarm_ = policy::make_prewarm(config.prewarm, ctx);
    scaling_ = policy::make_scaling(config.scaling, ctx);
    if (scaling_) scaling_state_ = std::make_unique<ScalingState>(functions_.size(), scaling_.get());
    init_scheduling(ctx);
    result_.metrics = Metrics(functions_.size(), config.series_interval_us);
    if (config.measure_from_us < 0) throw std::invalid_argument("measure-from must be 0 or positive");
    result_.metrics.set_measure_from(config.measure_from_us);
    metrics_.emplace(result_.metrics, config.metrics_thread,
                     config.metrics_batch ? config.metrics_batch : MetricsPipe::kDefaultBatch,
                     config.metrics_batch ? 2 : MetricsPipe::kDefaultSlots);
    result_.timeline = LatencyTimeline(config.timeline, functions_.size());
    if (result_.timeline.enabled()) {
      window_marks_left_ = 2;
      window_mark_ = config.timeline.from_us;
    }
  }

  SimResult run() {
    const auto wall_start = std::chrono::steady_clock::now();
    const Micros span = workload_.invocations->span_us();
    events_.push(0, EventType::kSample);
    events_.push(0, EventType::kActiveSample);
    if (prewarm_) events_.push(0, EventType::kPrewarmTick);
    if (pool_) events_.push(pool_->tick_interval(), EventType::kPoolTick);
    if (scaling_) events_.push(scaling_->tick_interval(), EventType::kScalingTick);

    std::vector<Invocation> batch;
    Micros last_progress = 0;
    trace::PrefetchSource source(*workload_.invocations);  // the next batch is made while this one runs
    while (source.next_batch(batch)) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const Invocation& inv = batch[i];
        if (prefetch_) prefetch_arrivals(batch, i);
        run_events_until(inv.arrival_us);
        advance(inv.arrival_us);
        arrive(inv);
        if (config_.check_invariants) check_invariants();
      }
      if (config_.progress && span > 0 && now_ - last_progress >= span / 100) {
        last_progress = now_;
        config_.progress(static_cast<double>(now_) / static_cast<double>(span));
      }
    }
    arrivals_done_ = true;
    end_ = std::max(span, now_);
    // Drain: run until the last invocation completes; periodic and keep-alive events past the end of
    // the trace are not run (idle memory is accounted up to the end).
    while (!events_.empty() && (busy_ > 0 || waiting_ > 0 || events_.top().time <= end_)) {
      Event e = events_.pop();
      if (prefetch_) prefetch_next_event();
      advance(e.time);
      handle(e);
    }
    end_ = std::max(end_, now_);
    advance(end_);
    metrics_->finish();  // every record folded into result_.metrics (the barrier)
    cluster_.settle();
    if (window_marks_left_ == 1) close_window();  // the window outlasts the run: count it up to the end

    result_.end_us = end_;
    result_.warm_benefit_s = warm_benefit_us_ / model::kMicrosPerSecond;
    result_.total_memory_gb_s = cluster_.used_mb_us() / 1024.0 / model::kMicrosPerSecond;
    result_.idle_memory_gb_s = cluster_.idle_mb_us() / 1024.0 / model::kMicrosPerSecond;
    result_.peak_memory_mb = cluster_.peak_used_mb();
    result_.mean_memory_balance = balance_samples_ ? balance_sum_ / static_cast<double>(balance_samples_) : 0;
    for (const policy::DecisionCount& d : placement_->decision_counts())
      result_.placement_decisions.emplace_back(std::string(d.name), d.count);
    result_.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (libs_) result_.libraries = libs_->report(end_);
    if (config_.progress) config_.progress(1.0);
    return std::move(result_);
  }

 private:
  // The state the next event reads first (its job, its container), loaded while this one runs: events
  // hit a random job or container each, one miss apiece otherwise. A hint: nothing changes.
  void prefetch_next_event() {
    if (events_.empty()) return;
    const Event& next = events_.top();
    switch (next.type) {
      case EventType::kCpuDone:  // b: the job that was the node's next to finish when it was armed
        if (next.b < jobs_.size()) __builtin_prefetch(&jobs_[next.b]);
        cpu_[next.a].prefetch_next();
        break;
      case EventType::kCpuEnter:
        __builtin_prefetch(&jobs_[next.a]);
        break;
      case EventType::kExpiry:
      case EventType::kCompletion:
        __builtin_prefetch(&cluster_.container(next.a));
        break;
      default:
        break;
    }
  }

  // What the arrivals a few ahead of batch[i] will read, in stages (each needs the last one's load in
  // cache): 8 ahead their function's spec and placement state, 4 ahead the idle index's entry for the
  // node the placement will likely pick, 2 ahead the record it finds, 1 ahead the slot of the container
  // it would take. The node and the record are asked once and remembered for the later stages in ahead_
  // (a ring by batch position). Otherwise every arrival is a chain
  // of misses (50,000 functions' specs alone are 4 MB). Hints: nothing changes.
  // All prefetching (here, prefetch_next_event, finish_job) only with more than kPrefetchFunctions
  // functions: with fewer, their state stays in cache and the hints cost more than they save (the
  // 500-function sample ran ~5 % slower with them).
  static constexpr std::size_t kPrefetchFunctions = 4096;
  void prefetch_arrivals(const std::vector<Invocation>& batch, std::size_t i) {
    if (i + 8 < batch.size()) {
      prefetch_function(batch[i + 8].function);
      placement_->prefetch(batch[i + 8].function);
      if (hooks_) prefetch_hooks_arrival(batch[i + 8].function);
    }
    // A new batch: the stages before 4 ahead were never asked for its first arrivals.
    for (std::size_t k = i == 0 ? 1 : 4; k <= 4 && i + k < batch.size(); ++k) {
      const model::FunctionId fn = batch[i + k].function;
      Ahead& a = ahead_[(i + k) % kAhead];
      a = Ahead{placement_->likely_node(fn), IdleIndex::kNil};
      if (a.node < cluster_.nodes().size()) cluster_.prefetch_idle(fn, a.node);
    }
    if (i + 2 < batch.size()) {
      Ahead& a = ahead_[(i + 2) % kAhead];
      if (a.node < cluster_.nodes().size()) a.record = cluster_.prefetch_idle_record(batch[i + 2].function, a.node);
    }
    if (i + 1 < batch.size()) cluster_.prefetch_idle_container(ahead_[(i + 1) % kAhead].record);
  }
  // prefetch_arrivals' answers for the arrivals 1-4 ahead: the likely node, the idle record found there.
  // (Each entry is written for a batch's position before it is read there.)
  struct Ahead {
    NodeId node;
    IdleIndex::Id record;
  };
  static constexpr std::size_t kAhead = 8;
  std::array<Ahead, kAhead> ahead_{};
  // The request scheduler's and pool manager's state for `fn`'s arrival (their hooks' rows).
  void prefetch_hooks_arrival(model::FunctionId fn) const {
    if (scheduler_) scheduler_->prefetch_arrival(fn);
    if (pool_) pool_->prefetch_arrival(fn);
  }
  void prefetch_function(model::FunctionId fn) const {
    const char* spec = reinterpret_cast<const char*>(&functions_[fn]);
    __builtin_prefetch(spec);
    __builtin_prefetch(spec + sizeof(FunctionSpec) - 1);
  }

  // Library preparation a cold start of `fn` on `node` pays now (0 without --libraries).
  Micros library_prep(NodeId node, const FunctionSpec& fn) {
    return libs_ ? libs_->cold_start(node, fn, now_, cluster_) : 0;
  }

  struct Queued {
    Invocation inv;
  };

  // An invocation running under processor sharing (SimConfig::CpuModel::kShares): start-up and waiting
  // elapse first, then its CPU work joins its node's ProcessorSharing; its latency is recorded when it
  // completes. Numbered (the processor sharing's ties go by number); one cache line, so that a
  // completion reads it and its container's slot (the pending expiry included) only.
  struct alignas(64) Job {
    Invocation inv;
    Micros start_us = 0;
    Micros startup_us = 0;
    ContainerId container = 0;
    NodeId node = 0;
    StartKind kind = StartKind::kWarm;
  };
  static_assert(sizeof(Job) == 64, "a Job is one cache line");

  bool shares() const { return config_.cpu_model == SimConfig::CpuModel::kShares; }

  // The request scheduler and pool manager of the config (SimConfig::scheduler, pool_manager): fifo
  // without CPU admission and timeout keeps the queue's own drain (no scheduler object at all).
  void init_scheduling(const policy::PolicyContext& ctx) {
    scheduler_ = policy::make_request_scheduler(config_.scheduler, ctx);
    const bool fifo = scheduler_->name() == "fifo";
    cpu_admission_ = config_.cpu_admission.value_or(!fifo);
    queue_timeout_ = config_.queue_timeout_us.value_or(fifo ? 0 : kDefaultSchedulerQueueTimeoutUs);
    if (queue_timeout_ < 0)
      throw std::invalid_argument("--queue-timeout must be 0 (never) or positive (got " +
                                  std::to_string(queue_timeout_) + "us)");
    if (!(config_.termination_fraction >= 0))
      throw std::invalid_argument("termination fraction must be 0 or positive");
    sched_path_ = !fifo || cpu_admission_ || queue_timeout_ > 0;
    if (!sched_path_) scheduler_.reset();
    if (config_.pool_manager_instance) {
      pool_ = config_.pool_manager_instance;
      for (const FunctionSpec& f : functions_) pool_->on_function_added(f);
    } else {
      pool_owned_ = policy::make_pool_manager(config_.pool_manager, ctx);
      pool_ = pool_owned_.get();
    }
    if (pool_ && pool_->tick_interval() <= 0)
      throw std::invalid_argument("pool manager '" + std::string(pool_->name()) + "': tick interval must be positive");
    if (scaling_ && (sched_path_ || pool_))
      throw std::invalid_argument("--scheduler (other than fifo), --cpu-admission, --queue-timeout and --pool-manager "
                                  "apply to the one-invocation-per-container path, not with --scaling " +
                                  config_.scaling);
    hooks_ = (scheduler_ && !fifo) || pool_;
    if (cpu_admission_) {
      node_millicores_ = static_cast<std::int64_t>(config_.node_cores) * 1000;
      for (const FunctionSpec& f : functions_)
        fn_millicores_.push_back(std::min(node_millicores_, f.memory_mb * 1000 / kMegaBytesPerCore));
      alloc_millicores_.assign(config_.nodes, 0);
    }
  }

  void advance(Micros t) {
    if (window_marks_left_ > 0 && t >= window_mark_) cross_window_marks(t);
    if (t > now_) now_ = t;
    cluster_.set_now(now_);
  }

  // Memory over the timeline's window: memory is constant between events, so settling the cluster's
  // integral at the window's edges (as time passes them) is exact.
  void cross_window_marks(Micros t) {
    for (; window_marks_left_ > 0 && t >= window_mark_; --window_marks_left_) {
      cluster_.set_now(std::max(now_, window_mark_));
      cluster_.settle();
      if (window_marks_left_ == 2) {
        window_start_mb_us_ = cluster_.used_mb_us();
        cluster_.mark_peak();
        window_mark_ = config_.timeline.to_us;
      } else {
        close_window();
      }
    }
  }

  void close_window() {
    result_.window_memory_gb_s = (cluster_.used_mb_us() - window_start_mb_us_) / 1024.0 / model::kMicrosPerSecond;
    result_.window_peak_memory_mb = cluster_.peak_used_since_mark_mb();
  }

  void run_events_until(Micros t) {
    for (Event e; events_.pop_until(t, &e);) {
      if (prefetch_) prefetch_next_event();
      advance(e.time);
      handle(e);
    }
  }

  void check_invariants() const {
    for (const model::NodeState& n : cluster_.nodes()) {
      // Under processor sharing (scaling path aside) a node runs as many invocations as its memory holds.
      const bool core_bound = !shares() || scaling_;
      if (n.used_mb > n.capacity_mb || n.used_mb < 0 || (core_bound && n.busy_cores > n.cores) ||
          n.busy_cores < 0 || n.reserved_mb < 0 || (shares() && cpu_[n.id].running() > n.busy_cores))
        throw std::logic_error("node " + std::to_string(n.id) + " at t=" + std::to_string(now_) +
                               "us: used " + std::to_string(n.used_mb) + "/" + std::to_string(n.capacity_mb) +
                               " MB, busy cores " + std::to_string(n.busy_cores) + "/" + std::to_string(n.cores) +
                               (shares() ? ", " + std::to_string(cpu_[n.id].running()) + " computing" : ""));
      if (cpu_admission_ && (alloc_millicores_[n.id] > node_millicores_ || alloc_millicores_[n.id] < 0))
        throw std::logic_error("node " + std::to_string(n.id) + " at t=" + std::to_string(now_) + "us: CPU allocations " +
                               std::to_string(alloc_millicores_[n.id]) + " millicores of " +
                               std::to_string(node_millicores_));
    }
    cluster_.check_room_index();
    if (scaling_) check_scaling_invariants();
  }

  // Every tracked container runs at most its slots, and the nodes' busy cores are exactly the cores
  // their containers hold (min(running, quota) each).
  void check_scaling_invariants() const {
    std::vector<std::int32_t> running(cluster_.nodes().size(), 0);
    std::vector<policy::ContainerLoad> rebuilt;
    for (model::FunctionId fn : scaling_state_->tracked_functions()) {
      scaling_state_->rebuild_loads(fn, cluster_, rebuilt);
      const std::span<const policy::ContainerLoad> kept = scaling_state_->loads(fn);
      for (std::size_t i = 0; i < kept.size(); ++i) {
        const policy::ContainerLoad &k = kept[i], &r = rebuilt[i];
        if (k.id != r.id || k.node != r.node || k.active != r.active || k.slots != r.slots || k.ready != r.ready ||
            k.max_slots != r.max_slots || k.cores != r.cores)
          throw std::logic_error("function " + std::to_string(fn) + " at t=" + std::to_string(now_) +
                                 "us: the kept load of container " + std::to_string(k.id) +
                                 " differs from its slot's");
      }
      for (const policy::ContainerLoad& l : kept) {
        const ContainerId id = l.id;
        const ScalingState::Slot& s = scaling_state_->slot(id);
        if (s.lendable != scaling_state_->could_lend(id))
          throw std::logic_error("container " + std::to_string(id) + " at t=" + std::to_string(now_) +
                                 "us: kept as " + (s.lendable ? "" : "not ") + "lendable, wrongly");
        if (s.active < 0 || s.active > s.slots || (!s.ready && s.active > 0))
          throw std::logic_error("container " + std::to_string(id) + " at t=" + std::to_string(now_) + "us runs " +
                                 std::to_string(s.active) + " invocations with " + std::to_string(s.slots) +
                                 " slots" + (s.ready ? "" : " before it is ready"));
        running[cluster_.container(id).node] += s.held();
      }
    }
    for (const model::NodeState& n : cluster_.nodes())
      if (running[n.id] != n.busy_cores)
        throw std::logic_error("node " + std::to_string(n.id) + " at t=" + std::to_string(now_) + "us: " +
                               std::to_string(n.busy_cores) + " busy cores but " + std::to_string(running[n.id]) +
                               " invocations running in its containers");
  }

  void handle(const Event& e) {
    switch (e.type) {
      case EventType::kCompletion: complete(e.a); break;
      case EventType::kExpiry: expire(e.a, e.b, e.time); break;
      case EventType::kPrewarmLoad: prewarm_load(e.a, e.b, e.time2); break;
      case EventType::kPrewarmTick: prewarm_tick(); break;
      case EventType::kSample: sample(); break;
      case EventType::kActiveSample: sample_active(); break;
      case EventType::kContainerReady: container_ready(e.a, e.b); break;
      case EventType::kScalingTick: scaling_tick(); break;
      case EventType::kContainerCpuCompletion: container_cpu_complete(e.a, e.b); break;
      case EventType::kCpuEnter: cpu_enter(e.a); break;
      case EventType::kCpuDone: cpu_done(e.a); break;
      case EventType::kPoolTick: pool_tick(); break;
      case EventType::kPoolReady: pool_ready(e.a, e.b); break;
    }
    if (config_.check_invariants) check_invariants();
  }

  // `inv`, announced to the policies on arrival, will never run.
  void drop(const Invocation& inv, model::DropReason reason) {
    metrics_->drop(inv, reason);
    if (pool_) pool_->on_dropped(inv, now_);
  }

  void arrive(const Invocation& inv) {
    const FunctionSpec& fn = functions_[inv.function];
    keepalive_->on_arrival(fn, now_);
    if (libs_) libs_->on_arrival(fn, now_, cluster_);
    if (hooks_) {
      if (scheduler_) scheduler_->on_arrival(inv, fn, now_);
      if (pool_) pool_->on_arrival(inv, now_);
    }
    if (fn.memory_mb > config_.node_memory_mb) {
      drop(inv, model::DropReason::kTooLarge);
      return;
    }
    if (scaling_) {
      arrive_scaled(inv);
      return;
    }
    if (held_.empty() && dispatch(inv)) return;  // the controller's FIFO: nobody overtakes a held one
    held_.push_back(inv);
    ++waiting_;
  }

  // Places `inv` and queues or starts it on its node; false if the placement holds it at the controller.
  bool dispatch(const Invocation& inv) {
    const FunctionSpec& fn = functions_[inv.function];
    const auto node = placement_->place(inv, fn, cluster_);
    if (!node) {
      drop(inv, model::DropReason::kNoNode);
      return true;
    }
    if (*node == policy::kHoldAtController) return false;
    std::deque<Queued>& queue = queues_[*node];
    if (sched_path_) {
      enqueue_scheduled(*node, inv);
      return true;
    }
    if (!queue.empty() || !try_start(*node, inv)) {
      if (config_.queue_limit && queue.size() >= config_.queue_limit) {
        drop(inv, model::DropReason::kQueueFull);
        return true;
      }
      queue.push_back(Queued{inv});
      ++cluster_.node(*node).queued;
    }
    cluster_.reserve(*node, fn.memory_mb);
    return true;
  }

  // Non-forced scheduling: memory freed, so the oldest held invocations are placed again, in order,
  // until the placement holds one again.
  void dispatch_held() {
    while (!held_.empty()) {
      if (!dispatch(held_.front())) return;
      held_.pop_front();
      --waiting_;
    }
  }

  // Starts `inv` on `node` now if a core and a container (or the memory for one) are available (and,
  // with CPU admission, its CPU allocation on a node running anything).
  bool try_start(NodeId node, const Invocation& inv) {
    model::NodeState& ns = cluster_.node(node);
    if (!shares() && ns.busy_cores >= ns.cores) return false;
    if (cpu_admission_ && ns.busy_cores > 0 &&
        alloc_millicores_[node] + fn_millicores_[inv.function] > node_millicores_)
      return false;
    const FunctionSpec& fn = functions_[inv.function];
    StartKind kind;
    Micros startup = 0;
    ContainerId id;
    if (auto warm = cluster_.take_idle(node, fn.id)) {
      id = *warm;
      const model::Container& c = cluster_.container(id);
      if (c.state == ContainerState::kPrewarmed) {
        kind = StartKind::kPrewarm;
      } else {
        kind = StartKind::kWarm;
        startup = keepalive_->resume_cost(c, now_);
      }
    } else if (auto stem = take_stem_cell(node, fn)) {
      id = *stem;
      kind = StartKind::kPrewarm;
      startup = fn.init_us + library_prep(node, fn);
    } else {
      if (!make_room(node, fn.memory_mb)) return false;
      id = cluster_.create(node, fn.id, fn.runtime, fn.memory_mb, ContainerState::kStarting);
      ++result_.containers_created;
      if (const std::optional<Micros> restore = keepalive_->restore_from_snapshot(node, fn, now_)) {
        kind = StartKind::kSnapshot;  // the snapshot holds the initialised runtime, libraries included
        startup = contention_.begin(node, now_, *restore);
      } else {
        kind = StartKind::kCold;
        startup = contention_.begin(node, now_, fn.cold_start_us) + library_prep(node, fn);
      }
    }
    cluster_.set_busy(id);
    ++ns.busy_cores;
    ++busy_;
    if (cpu_admission_) alloc_millicores_[node] += fn_millicores_[fn.id];
    if (pool_) pool_->on_started(inv, now_);
    if (sched_path_) busy_same_.add(node, fn.id, +1);
    const model::Container& c = cluster_.container(id);
    keepalive_->on_start(c, fn, kind, now_);
    if (prewarm_) prewarm_->on_start(c, kind, now_);
    begin_run(id, inv, kind, startup);
    return true;
  }

  // `inv` starts in container `id` now and completes after `startup` plus its execution: at once known
  // under the fifo model, as its node's CPU is shared under processor sharing.
  void begin_run(ContainerId id, const Invocation& inv, StartKind kind, Micros startup) {
    if (!shares()) {
      record_start(inv, kind, now_, startup, inv.exec_us, false);
      events_.push(now_ + startup + inv.exec_us, EventType::kCompletion, id, cluster_.container(id).generation);
      return;
    }
    const std::uint32_t job =
        store_job(jobs_, free_jobs_, Job{inv, now_, startup, id, cluster_.container(id).node, kind});
    const Micros enter = now_ + startup + (inv.exec_us - cpu_work(inv));
    if (enter > now_) events_.push(enter, EventType::kCpuEnter, job);
    else cpu_enter(job);
  }

  // Stores `job` in a free entry of `jobs` (listed in `free`) or a new one; returns its number.
  template <class Jobs>
  static std::uint32_t store_job(Jobs& jobs, std::vector<std::uint32_t>& free, typename Jobs::value_type job) {
    if (free.empty()) {
      jobs.push_back(std::move(job));
      return static_cast<std::uint32_t>(jobs.size() - 1);
    }
    const std::uint32_t n = free.back();
    free.pop_back();
    jobs[n] = std::move(job);
    return n;
  }

  // The part of `inv`'s duration that is CPU work (SimConfig::cpu_fraction).
  Micros cpu_work(const Invocation& inv) const {
    if (config_.cpu_fraction >= 1) return inv.exec_us;
    return static_cast<Micros>(std::llround(config_.cpu_fraction * static_cast<double>(inv.exec_us)));
  }

  // A job's start-up and waiting are over: its CPU work joins its node's processor sharing.
  void cpu_enter(std::uint32_t job) {
    const NodeId node = jobs_[job].node;
    ProcessorSharing& cpu = cpu_[node];
    cpu.advance(now_);
    const Invocation& inv = jobs_[job].inv;
    cpu.add(job, cpu_work(inv), weights_.empty() ? 1 : weights_[inv.function]);
    arm_cpu(node);
  }

  // A node's kCpuDone events only make it look at its CPU again, so any of them is valid: a new one is
  // needed only when the node's next finish comes before every event it has pending. One that fires early
  // (the node got busier since) finishes nobody and arms again; an earlier finish (the node got less busy)
  // adds an event and leaves the later ones to fire harmlessly. Mostly one event per invocation.
  void arm_cpu(NodeId node) {
    if (node == cpu_draining_) return;  // cpu_done arms once, after its loop
    const Micros next = cpu_[node].next_finish();
    PendingInstants& pending = cpu_pending_[node];
    if (next == model::kNever || (!pending.empty() && pending.front() <= next)) return;
    pending.push(next);
    events_.push(next, EventType::kCpuDone, node, cpu_[node].next_job());
  }

  void cpu_done(NodeId node) {
    cpu_pending_[node].pop_front();  // this event: the node's earliest
    ProcessorSharing& cpu = cpu_[node];
    cpu.advance(now_);
    cpu_draining_ = node;
    for (std::uint32_t job; cpu.pop_done(&job);) finish_job(job);
    cpu_draining_ = kNoNode;
    arm_cpu(node);
  }

  void finish_job(std::uint32_t job_id) {
    const Job job = jobs_[job_id];
    if (prefetch_) {  // what the completion reads next, loaded at once rather than one miss after another
      cluster_.prefetch(job.container, job.inv.function, job.node);
      prefetch_function(job.inv.function);
      metrics_->prefetch(job.inv.function);
    }
    free_jobs_.push_back(job_id);
    if (config_.check_invariants && now_ - job.start_us - job.startup_us < job.inv.exec_us)
      throw std::logic_error("invocation " + std::to_string(job.inv.id) + " ran " + std::to_string(job.inv.exec_us) +
                             "us of work in " + std::to_string(now_ - job.start_us - job.startup_us) +
                             "us: faster than one core");
    record_start(job.inv, job.kind, job.start_us, job.startup_us, now_ - job.start_us - job.startup_us,
                 /*completes_now=*/true);
    complete(job.container, /*completion_recorded=*/true);
  }

  // Evicts idle containers on `node` in keep-alive priority order until `need` MB are free; pinned stem
  // cells (never evicted in favour of anything idle) go last, only if the run cannot fit otherwise:
  // OpenWhisk keeps its prewarmed containers outside the pool's memory, so they never block a run there.
  // Evicts nothing and returns false if even evicting all of them would not be enough.
  bool make_room(NodeId node, model::MegaBytes need) {
    const model::NodeState& ns = cluster_.node(node);
    if (ns.free_mb() >= need) return true;
    if (ns.free_mb() + cluster_.evictable_mb(node) + cluster_.pinned_mb(node) < need) return false;
    while (ns.free_mb() < need) {
      auto victim = cluster_.eviction_candidate(node);
      if (!victim) victim = cluster_.pinned_stem_cell(node);
      if (!victim) return false;  // unreachable while evictable_mb and pinned_mb are exact
      keepalive_->on_evict(cluster_.container(*victim), /*pressure=*/true, now_);
      destroy(*victim);
      ++result_.evictions;
    }
    return true;
  }

  // `inv` started at `start` after `startup` and ran for `run` (its trace duration, or longer where it
  // shared a CPU: its node's or its container's quota). The timeline's overhead is latency − trace
  // duration (sim/latency_timeline.h): wait + start-up + stretch (run − exec).
  // With completes_now its completion (now: start + startup + run) is recorded too.
  void record_start(const Invocation& inv, StartKind kind, Micros start, Micros startup, Micros run,
                    bool completes_now) {
    if (completes_now) metrics_->start_and_completion(inv, kind, start, startup, run);
    else metrics_->start(inv, kind, start, startup, run);
    if (kind != StartKind::kCold && inv.arrival_us >= config_.measure_from_us)
      warm_benefit_us_ += static_cast<double>(std::max<Micros>(functions_[inv.function].cold_start_us - startup, 0));
    if (hooks_) {
      const Micros end = start + startup + run;
      if (scheduler_) scheduler_->on_completed(inv, functions_[inv.function], kind, startup, run, end);
      if (pool_) pool_->on_completed(inv, kind, startup, run, end);
    }
    if (result_.timeline.enabled()) {
      const Micros overhead = start - inv.arrival_us + startup + (run - inv.exec_us);
      result_.timeline.record(inv, overhead + inv.exec_us, overhead);
    }
  }

  void destroy(ContainerId id) {
    if (hooks_) {
      const model::FunctionId f = cluster_.container(id).function;
      if (f != model::kNoFunction) {
        const FunctionSpec& fn = functions_[f];
        const auto term = static_cast<Micros>(
            std::llround(config_.termination_fraction * static_cast<double>(fn.cold_start_us)));
        if (scheduler_) scheduler_->on_terminated(fn, term);
        if (pool_) pool_->on_terminated(f, term);
      }
    }
    if (scaling_ && scaling_state_->tracked(id)) {
      // A guest gone: its host (if it is still the one that lent to it) may lend again.
      const std::optional<ContainerId> host = scaling_state_->slot(id).host;
      if (host && scaling_state_->tracked(*host) && scaling_state_->slot(*host).lent_to == id)
        scaling_state_->set_lent_to(*host, std::nullopt);
      scaling_state_->remove(id);
    }
    cluster_.destroy(id);
  }

  // completion_recorded: its completion is in the metrics already (record_start's completes_now).
  void complete(ContainerId id, bool completion_recorded = false) {
    if (scaling_) {
      complete_scaled(id, completion_recorded);
      return;
    }
    model::Container& c = cluster_.container(id);
    const FunctionSpec& fn = functions_[c.function];
    const NodeId node = c.node;
    model::NodeState& ns = cluster_.node(node);
    --ns.busy_cores;
    --busy_;
    cluster_.reserve(node, -fn.memory_mb);
    if (cpu_admission_) alloc_millicores_[node] -= fn_millicores_[fn.id];
    if (sched_path_) busy_same_.add(node, fn.id, -1);
    if (!completion_recorded) metrics_->completion(now_);
    const policy::IdleDecision d = settle_idle(id, ContainerState::kIdle);
    if (d.prewarm_at_us != model::kNever) {
      events_.push(std::max(d.prewarm_at_us, now_), EventType::kPrewarmLoad, node, fn.id, d.prewarm_expires_us);
    }
    drain(node);
    dispatch_held();
  }

  // Container `id` has nothing to run: the keep-alive policy decides its fate. Destroyed now if it expires
  // now, else idle in `state` (kIdle or kPrewarmed) until its expiry. Returns the decision.
  policy::IdleDecision settle_idle(ContainerId id, ContainerState state) {
    model::Container& c = cluster_.container(id);
    const policy::IdleDecision d = keepalive_->on_idle(c, functions_[c.function], now_);
    if (d.expires_us <= now_) {
      keepalive_->on_evict(c, /*pressure=*/false, now_);
      destroy(id);
      ++result_.expirations;
    } else {
      cluster_.put_idle(id, state, d.priority);
      schedule_expiry(id, d.expires_us);
    }
    return d;
  }

  void drain(NodeId node) {
    if (sched_path_) {
      schedule_node(node);
      return;
    }
    std::deque<Queued>& queue = queues_[node];
    while (!queue.empty() && try_start(node, queue.front().inv)) {
      queue.pop_front();
      --cluster_.node(node).queued;
    }
  }

  // One pending expiry event per container at most: an earlier deadline adds an event, a later one is
  // picked up when the pending event fires (so a hot container costs no event per invocation).
  void schedule_expiry(ContainerId id, Micros deadline) {
    model::Container& c = cluster_.container(id);
    c.expires_us = deadline;
    if (deadline == model::kNever) return;
    Cluster::ExpiryEvent& pending = cluster_.expiry_event(id);
    if (pending.at == model::kNever || deadline < pending.at || pending.generation != c.generation) {
      pending.at = deadline;
      pending.generation = c.generation;
      events_.push(deadline, EventType::kExpiry, id, c.generation);
    }
  }

  void expire(ContainerId id, std::uint32_t generation, Micros at) {
    model::Container& c = cluster_.container(id);
    Cluster::ExpiryEvent& pending = cluster_.expiry_event(id);
    if (c.generation != generation || pending.generation != generation || pending.at != at) return;
    pending.at = model::kNever;
    const bool idle = c.state == ContainerState::kIdle || c.state == ContainerState::kPrewarmed ||
                      c.state == ContainerState::kPaused;
    if (!idle) return;  // busy: its next idle period schedules again
    if (c.expires_us <= now_) {
      keepalive_->on_evict(c, /*pressure=*/false, now_);
      destroy(id);
      ++result_.expirations;
    } else {
      schedule_expiry(id, c.expires_us);
    }
  }

  // Hybrid-histogram pre-load: a container of `fn` loaded ahead of its predicted next invocation.
  void prewarm_load(NodeId node, model::FunctionId fn_id, Micros keep_until) {
    if (keep_until <= now_ || cluster_.idle_containers(node, fn_id) > 0) return;
    const FunctionSpec& fn = functions_[fn_id];
    if (cluster_.node(node).free_mb() < fn.memory_mb) return;  // pre-loading never evicts
    const ContainerId id = cluster_.create(node, fn_id, fn.runtime, fn.memory_mb, ContainerState::kPrewarmed);
    ++result_.containers_created;
    cluster_.put_idle(id, ContainerState::kPrewarmed, static_cast<double>(now_));
    schedule_expiry(id, keep_until);
  }

  // A stem cell on `node` that serves `fn` (the prewarm policy says whether memory must match exactly),
  // specialised to `fn`; the policy may ask for its replacement at once.
  std::optional<ContainerId> take_stem_cell(NodeId node, const FunctionSpec& fn) {
    if (!prewarm_) return std::nullopt;
    const auto stem = cluster_.take_stem_cell(node, fn.runtime, fn.memory_mb, prewarm_->exact_memory());
    if (!stem) return std::nullopt;
    model::Container& c = cluster_.container(*stem);
    c.function = fn.id;
    if (const auto refill = prewarm_->on_use(c, now_)) top_up(*refill);
    return stem;
  }

  // Starts stem cells on the target's node until it holds `desired` of its kind or memory runs short.
  void top_up(const policy::PrewarmTarget& t) {
    int have = cluster_.stem_cells(t.node, t.runtime, t.memory_mb);
    for (; have < t.desired && cluster_.node(t.node).free_mb() >= t.memory_mb; ++have) {
      const ContainerId id =
          cluster_.create(t.node, model::kNoFunction, t.runtime, t.memory_mb, ContainerState::kPrewarmed);
      ++result_.containers_created;
      cluster_.put_idle(id, ContainerState::kPrewarmed, static_cast<double>(now_), t.pinned);
      schedule_expiry(id, t.ttl_us == model::kNever ? model::kNever : now_ + t.ttl_us);
    }
  }

  void prewarm_tick() {
    for (const policy::PrewarmTarget& t : prewarm_->on_tick(cluster_, now_)) top_up(t);
    if (!arrivals_done_ || now_ + prewarm_->tick_interval() <= end_)
      events_.push(now_ + prewarm_->tick_interval(), EventType::kPrewarmTick);
  }

  // ---- Scheduler path (SimConfig::scheduler other than plain fifo; policy/request_scheduler.h) ----

  // `inv` placed on `node`: started at once if the queue is empty and it fits (any scheduler would choose
  // the only request that fits), else queued and the node's scheduler asked.
  void enqueue_scheduled(NodeId node, const Invocation& inv) {
    std::deque<Queued>& queue = queues_[node];
    model::NodeState& ns = cluster_.node(node);
    const bool was_empty = queue.empty();
    if (was_empty && try_start(node, inv)) {
      cluster_.reserve(node, functions_[inv.function].memory_mb);
      return;
    }
    if (config_.queue_limit && queue.size() >= config_.queue_limit) {
      drop(inv, model::DropReason::kQueueFull);
      return;
    }
    queue.push_back(Queued{inv});
    ++ns.queued;
    cluster_.reserve(node, functions_[inv.function].memory_mb);
    if (!was_empty) schedule_node(node);  // alone and not fitting: nothing changed for the scheduler
  }

  // Drops the node's requests that waited past the queue timeout, asks the scheduler which of the rest
  // to start, starts them in its order up to the first that does not fit; a node running nothing starts
  // its oldest request if the scheduler started none.
  void schedule_node(NodeId node) {
    std::deque<Queued>& queue = queues_[node];
    model::NodeState& ns = cluster_.node(node);
    if (queue_timeout_ > 0 && !queue.empty()) {
      const auto expired = [&](const Queued& q) { return now_ - q.inv.arrival_us > queue_timeout_; };
      if (std::any_of(queue.begin(), queue.end(), expired)) {
        std::erase_if(queue, [&](const Queued& q) {
          if (!expired(q)) return false;
          drop(q.inv, model::DropReason::kTimeout);
          cluster_.reserve(node, -functions_[q.inv.function].memory_mb);
          --ns.queued;
          return true;
        });
      }
    }
    if (queue.empty()) return;
    pending_.clear();
    for (const Queued& q : queue) {
      policy::PendingRequest r;
      r.id = q.inv.id;
      r.function = q.inv.function;
      r.arrival_us = q.inv.arrival_us;
      r.memory_mb = functions_[q.inv.function].memory_mb;
      r.cpu_cores = cpu_admission_ ? static_cast<double>(fn_millicores_[q.inv.function]) / 1000.0 : 0.0;
      r.warm = cluster_.idle_containers(node, q.inv.function) > 0;
      r.busy_same = busy_same_.get(node, q.inv.function);
      pending_.push_back(r);
    }
    policy::NodeCapacity cap;
    cap.available_mb = ns.free_mb() + cluster_.evictable_mb(node) + cluster_.pinned_mb(node);
    if (cpu_admission_)
      cap.available_cores = static_cast<double>(node_millicores_ - alloc_millicores_[node]) / 1000.0;
    else
      cap.available_cores = shares() ? std::numeric_limits<double>::infinity() : ns.cores - ns.busy_cores;
    const std::vector<std::size_t> chosen = scheduler_->select(pending_, cap, now_);
    ++result_.scheduler_decisions;
    started_.assign(queue.size(), 0);
    std::size_t started = 0;
    for (std::size_t i : chosen) {
      if (i >= queue.size() || started_[i])
        throw std::logic_error("scheduler '" + std::string(scheduler_->name()) + "' chose request " +
                               std::to_string(i) + " of " + std::to_string(queue.size()) + " (out of range or twice)");
      if (!try_start(node, queue[i].inv)) break;
      started_[i] = 1;
      ++started;
    }
    if (started == 0 && ns.busy_cores == 0 && try_start(node, queue.front().inv)) {
      started_[0] = 1;
      started = 1;
    }
    if (started == 0) return;
    std::size_t k = 0;
    std::erase_if(queue, [&](const Queued&) { return started_[k++] != 0; });
    ns.queued -= static_cast<std::int32_t>(started);
  }

  // ---- Pool manager (policy/pool_manager.h) ----

  void pool_tick() {
    for (const policy::PoolAction& a : pool_->on_tick(cluster_, now_)) {
      if (a.node >= cluster_.nodes().size() || a.function >= functions_.size() || a.prewarm < 0 || a.terminate < 0)
        throw std::logic_error("pool manager '" + std::string(pool_->name()) + "' asked for function " +
                               std::to_string(a.function) + " on node " + std::to_string(a.node) + " (prewarm " +
                               std::to_string(a.prewarm) + ", terminate " + std::to_string(a.terminate) + ")");
      for (std::int32_t i = 0; i < a.terminate; ++i) {
        const auto id = cluster_.take_oldest_idle(a.node, a.function);
        if (!id) break;
        keepalive_->on_evict(cluster_.container(*id), /*pressure=*/false, now_);
        destroy(*id);
        ++result_.pool_terminations;
      }
      for (std::int32_t i = 0; i < a.prewarm && pool_prewarm(a.node, functions_[a.function]); ++i) {
      }
    }
    const Micros next = now_ + pool_->tick_interval();
    if (!arrivals_done_ || next <= end_) events_.push(next, EventType::kPoolTick);
  }

  // A background cold start of `fn` on `node` (free memory only: a prewarm evicts nothing); nobody waits for it.
  bool pool_prewarm(NodeId node, const FunctionSpec& fn) {
    if (cluster_.node(node).free_mb() < fn.memory_mb) return false;
    const ContainerId id = cluster_.create(node, fn.id, fn.runtime, fn.memory_mb, ContainerState::kStarting);
    ++result_.containers_created;
    ++result_.pool_prewarms;
    const Micros startup = contention_.begin(node, now_, fn.cold_start_us) + library_prep(node, fn);
    events_.push(now_ + startup, EventType::kPoolReady, id, cluster_.container(id).generation);
    return true;
  }

  // A prewarmed container finished starting: idle (prewarmed) under the keep-alive policy's expiry; the
  // node's queue may use it.
  void pool_ready(ContainerId id, std::uint32_t generation) {
    model::Container& c = cluster_.container(id);
    if (c.generation != generation || c.state != ContainerState::kStarting) return;
    const NodeId node = c.node;
    const policy::IdleDecision d = settle_idle(id, ContainerState::kPrewarmed);
    if (d.expires_us > now_ && !queues_[node].empty()) drain(node);  // a queued request may take it
  }

  // ---- Scaling path (a ScalingPolicy decides container counts and slots; policy/scaling.h) ----

  // The invocation joins its function's buffer behind any earlier ones, then the buffer drains as far
  // as the policy admits. Still waiting behind queue_limit others: dropped.
  void arrive_scaled(const Invocation& inv) {
    std::deque<Invocation>& buffer = scaling_state_->buffer(inv.function);
    buffer.push_back(inv);
    ++waiting_;
    scaling_state_->change_concurrency(inv.function, +1, now_);
    drain_scaled(inv.function);
    if (config_.queue_limit && buffer.size() > config_.queue_limit) {
      buffer.pop_back();
      --waiting_;
      scaling_state_->change_concurrency(inv.function, -1, now_);
      drop(inv, model::DropReason::kQueueFull);
    }
    if (!buffer.empty()) mark_starved(inv.function);
  }

  // Offers the oldest buffered invocation of `fn` to the policy until it keeps one buffered.
  void drain_scaled(model::FunctionId fn) {
    std::deque<Invocation>& buffer = scaling_state_->buffer(fn);
    const FunctionSpec& spec = functions_[fn];
    while (!buffer.empty()) {
      const policy::FunctionLoad load{fn, scaling_state_->loads(fn), static_cast<std::int32_t>(buffer.size()) - 1};
      const policy::Admission a = scaling_->admit(spec, load, cluster_, now_);
      const Invocation front = buffer.front();
      if (a.container) {  // first, so that scale-out cannot evict the container it names
        buffer.pop_front();
        --waiting_;
        ++result_.admissions_by_phase[std::min<std::size_t>(a.phase, 3)];
        run_in(*a.container, front, a.slots);
      }
      for (std::int32_t i = 0; i < a.multiplex; ++i)
        if (!start_container(spec, front, Start::kBorrowOnly)) break;
      for (std::int32_t i = 0; i < a.scale_out; ++i)
        if (!start_container(spec, front)) break;
      if (!a.container) break;
    }
  }

  // Capacity may have appeared (a core freed): offer it to every function with buffered invocations.
  void drain_starved() {
    for (std::size_t i = 0; i < starved_.size();) {
      const model::FunctionId fn = starved_[i];
      drain_scaled(fn);
      if (scaling_state_->buffer(fn).empty()) {
        starved_flag_[fn] = false;
        starved_[i] = starved_.back();
        starved_.pop_back();
      } else {
        ++i;
      }
    }
  }

  void mark_starved(model::FunctionId fn) {
    if (starved_flag_.size() <= fn) starved_flag_.resize(functions_.size(), false);
    if (starved_flag_[fn]) return;
    starved_flag_[fn] = true;
    starved_.push_back(fn);
  }

  // Cores of `node` not running invocations nor promised to containers starting there.
  std::int32_t spare_cores(NodeId node) const {
    const model::NodeState& n = cluster_.nodes()[node];
    return n.cores - n.busy_cores - (node < starting_slots_.size() ? starting_slots_[node] : 0);
  }

  // Where a new container of `fn` needing `cores` goes: the placement policy's node if it has those
  // cores to spare, else the healthy node with the most spare cores (ties: the placement's node, then
  // the lowest id), as a CPU-request scheduler (Kubernetes) or HyperFaaS's global scheduler would.
  std::optional<NodeId> container_node(const FunctionSpec& fn, const Invocation& inv, std::int32_t cores) {
    auto placed = placement_->place(inv, fn, cluster_);
    if (!placed) return std::nullopt;
    if (*placed == policy::kHoldAtController) placed = 0;  // no controller FIFO here: no preference
    const std::int32_t need = std::min(cores, cluster_.node(*placed).cores);
    if (spare_cores(*placed) >= need) return placed;
    NodeId best = *placed;
    for (const model::NodeState& n : cluster_.nodes())
      if (n.healthy && spare_cores(n.id) > spare_cores(best)) best = n.id;
    return best;
  }

  // A ready container of another function that can lend `fn` a worker (see SimConfig::share_containers
  // and policy::Admission::multiplex): neither a guest itself nor lending already, and one the policy
  // lets lend (HyperFaaS: an under-utilised one).
  std::optional<ContainerId> share_host(const FunctionSpec& fn) const {
    std::optional<ContainerId> host;
    // Only functions with a container that could lend (ScalingState::lendable), in tracked order.
    scaling_state_->for_each_lender([&](model::FunctionId other) {
      if (other == fn.id || functions_[other].runtime != fn.runtime) return true;
      for (const policy::ContainerLoad& l : scaling_state_->loads(other)) {
        if (!scaling_state_->slot(l.id).lendable) continue;  // ready, no guest, no host, lends() accepts it
        const model::Container& c = cluster_.container(l.id);
        if (c.memory_mb >= fn.memory_mb && spare_cores(c.node) > 0) {
          host = l.id;
          return false;
        }
      }
      return true;
    });
    return host;
  }

  // Memory of a container of `fn` with `slots` workers: the function's, plus the policy's per-worker
  // memory for each worker beyond the first.
  model::MegaBytes container_mb(const FunctionSpec& fn, model::MegaBytes base, std::int32_t slots) const {
    const model::MegaBytes per_worker = scaling_->worker_mb(fn);
    return per_worker == 0 ? base : base + per_worker * (slots - 1);
  }

  enum class Start { kAny, kBorrowOnly };
  // Starts a container of `fn` in the background on container_node() (a stem cell if the node has one,
  // else a cold start, evicting idle containers if memory is short), or on a worker borrowed from
  // share_host() with sharing on or when the policy multiplexes (kBorrowOnly: only that). A borrowed
  // worker is one worker (slots 1, capped there) with one core of quota and no memory of its own.
  bool start_container(const FunctionSpec& fn, const Invocation& inv, Start how = Start::kAny) {
    std::int32_t slots = scaling_->initial_slots(fn);
    if (const model::MegaBytes per_worker = scaling_->worker_mb(fn); per_worker > 0)  // as many as fit a node
      slots = static_cast<std::int32_t>(
          std::clamp<model::MegaBytes>((config_.node_memory_mb - fn.memory_mb) / per_worker + 1, 1, slots));
    std::int32_t cores = scaling_->container_cores(fn);
    std::optional<NodeId> node;
    std::optional<ContainerId> host;
    if ((how == Start::kBorrowOnly || config_.share_containers) && (host = share_host(fn))) {
      node = cluster_.container(*host).node;
      slots = 1;
      cores = 1;
    } else if (how == Start::kBorrowOnly) {
      return false;
    } else {
      node = container_node(fn, inv, std::min(slots, cores));
    }
    if (!node) return false;
    ContainerId id;
    Micros startup;
    const model::MegaBytes workers_mb = container_mb(fn, 0, slots);
    if (host) {  // a generic worker of the host's container, specialised: its init only, no memory of its own
      id = cluster_.create(*node, fn.id, fn.runtime, 0, ContainerState::kStarting);
      ++result_.shared_starts;
      startup = fn.init_us;
    } else if (auto stem = workers_mb == 0 || make_room(*node, workers_mb) ? take_stem_cell(*node, fn)
                                                                            : std::nullopt) {
      id = *stem;
      cluster_.container(id).function = fn.id;
      cluster_.container(id).state = ContainerState::kStarting;
      cluster_.resize(id, container_mb(fn, cluster_.container(id).memory_mb, slots));
      startup = fn.init_us;
    } else {
      const model::MegaBytes mb = container_mb(fn, fn.memory_mb, slots);
      if (!make_room(*node, mb)) return false;
      id = cluster_.create(*node, fn.id, fn.runtime, mb, ContainerState::kStarting);
      ++result_.containers_created;
      startup = contention_.begin(*node, now_, fn.cold_start_us) + library_prep(*node, fn);
    }
    cluster_.reserve(*node, fn.memory_mb);
    if (starting_slots_.size() <= *node) starting_slots_.resize(cluster_.nodes().size(), 0);
    starting_slots_[*node] += std::min(slots, cores);
    scaling_state_->add(fn.id, id, *node, slots, cores, now_ + startup);
    if (host) {
      scaling_state_->set_host(id, *host);
      scaling_state_->set_max_slots(id, 1);
      scaling_state_->set_lent_to(*host, id);
    }
    ++waiting_;
    events_.push(now_ + startup, EventType::kContainerReady, id, cluster_.container(id).generation);
    return true;
  }

  void container_ready(ContainerId id, std::uint32_t generation) {
    const model::Container& c = cluster_.container(id);
    if (c.generation != generation || !scaling_state_->tracked(id) || scaling_state_->slot(id).ready) return;
    scaling_state_->set_ready(id);
    const ScalingState::Slot& ready = scaling_state_->slot(id);
    starting_slots_[c.node] -= std::min(ready.slots, ready.cores);
    --waiting_;
    drain_scaled(c.function);
    if (scaling_state_->slot(id).active == 0) go_idle_scaled(id);
  }

  // Runs `inv` in container `id` (ready, with a free slot once its slots are raised to `slots`, below
  // its quota on a node with a free core or at its quota: the policy's promise, checked here). Raising
  // slots adds workers, and their memory (evicting idle containers on the node if it is short).
  void run_in(ContainerId id, const Invocation& inv, std::int32_t slots) {
    const ScalingState::Slot& s = scaling_state_->slot(id);
    model::Container& c = cluster_.container(id);
    model::NodeState& ns = cluster_.node(c.node);
    const FunctionSpec& fn = functions_[inv.function];
    const auto broken = [&](const char* what) {
      return std::logic_error(std::string("scaling policy '") + std::string(scaling_->name()) +
                              "' admitted an invocation of function " + std::to_string(inv.function) +
                              " to container " + std::to_string(id) + " " + what);
    };
    if (!scaling_state_->tracked(id)) throw broken("without a free slot and core");
    const std::int32_t old_slots = s.slots;
    if (slots > s.slots) scaling_state_->set_slots(id, slots);
    if ( c.function != inv.function || !s.ready || s.active >= s.slots ||
        (s.active < s.cores && ns.busy_cores >= ns.cores))
      throw broken("without a free slot and core");
    if (s.slots > s.max_slots) throw broken("past the workers it can have");
    Micros startup = 0;
    if (s.active == 0) {
      // Idle (in the cluster's indexes), or just ready, or just finished its last invocation (busy).
      if (c.state == ContainerState::kIdle || c.state == ContainerState::kPrewarmed ||
          c.state == ContainerState::kPaused) {
        cluster_.take(id);
        if (c.uses > 0) startup = keepalive_->resume_cost(c, now_);
        cluster_.reserve(c.node, fn.memory_mb);
      }
      if (c.state == ContainerState::kBusy) ++c.uses;
      else cluster_.set_busy(id);
    } else {
      ++c.uses;
    }
    if (s.slots > old_slots && !s.host) {  // new workers (a borrowed worker has none)
      const model::MegaBytes grown = container_mb(fn, c.memory_mb, s.slots - old_slots + 1);
      if (grown > c.memory_mb) {
        if (!make_room(c.node, grown - c.memory_mb)) throw broken("with no memory for its new workers");
        cluster_.resize(id, grown);
      }
    }
    StartKind kind = StartKind::kWarm;
    if (c.uses == 1) kind = inv.arrival_us < s.ready_us ? StartKind::kCold : StartKind::kPrewarm;
    if (s.active < s.cores) {  // below its quota: it takes a core of the node
      ++ns.busy_cores;
      scaling_state_->change_cores(fn.id, +1, now_);
    }
    scaling_state_->add_active(id, +1);
    result_.max_slots_used = std::max(result_.max_slots_used, s.active);
    ++busy_;
    keepalive_->on_start(c, fn, kind, now_);
    if (prewarm_) prewarm_->on_start(c, kind, now_);
    if (s.cores == policy::kUnlimitedCores) {  // no quota: a job of its node (processor sharing or fifo)
      begin_run(id, inv, kind, startup);
      return;
    }
    // Processor sharing in the container's quota: recorded when it completes. Its node's processor
    // sharing does not see it (nested sharing is not modelled: docs/autoscaling.md).
    const std::uint32_t job =
        store_job(container_jobs_, free_container_jobs_, RunningJob{inv, now_, startup, kind});
    container_cpu_.add(id, s.cores, now_, startup + inv.exec_us, job);
    arm_container_cpu(id);
  }

  // (Re)schedules the completion event of the container's first job to finish.
  void arm_container_cpu(ContainerId id) {
    if (container_cpu_.running(id) == 0) return;
    events_.push(container_cpu_.next_finish(id), EventType::kContainerCpuCompletion, id, container_cpu_.arm(id));
  }

  void container_cpu_complete(ContainerId id, std::uint32_t epoch) {
    if (!container_cpu_.armed(id, epoch)) return;  // the container's jobs changed since: a later event stands
    const std::uint32_t job = container_cpu_.pop(id, now_);
    const RunningJob& j = container_jobs_[job];
    const Micros run = std::max<Micros>(j.inv.exec_us, now_ - j.start_us - j.startup_us);  // exec + stretch
    record_start(j.inv, j.kind, j.start_us, j.startup_us, run, false);
    free_container_jobs_.push_back(job);
    arm_container_cpu(id);
    complete_scaled(id);
  }

  void complete_scaled(ContainerId id, bool completion_recorded = false) {
    const model::Container& c = cluster_.container(id);
    const model::FunctionId fn = c.function;
    const ScalingState::Slot& done = scaling_state_->slot(id);
    if (done.active <= done.cores) {  // it held a core
      --cluster_.node(c.node).busy_cores;
      scaling_state_->change_cores(fn, -1, now_);
    }
    --busy_;
    if (!completion_recorded) metrics_->completion(now_);
    scaling_state_->add_active(id, -1);
    scaling_state_->change_concurrency(fn, -1, now_);
    drain_scaled(fn);
    if (scaling_state_->slot(id).active == 0) go_idle_scaled(id);
    drain_starved();
  }

  // A container with nothing running (after its last invocation, or ready with nothing to serve):
  // the keep-alive policy decides its fate, as for any idle container. Pre-loading is not modelled here.
  void go_idle_scaled(ContainerId id) {
    model::Container& c = cluster_.container(id);
    const FunctionSpec& fn = functions_[c.function];
    cluster_.reserve(c.node, -fn.memory_mb);
    settle_idle(id, c.uses > 0 ? ContainerState::kIdle : ContainerState::kPrewarmed);
  }

  void scaling_tick() {
    tick_loads_.clear();
    for (model::FunctionId fn : scaling_state_->tracked_functions()) {
      policy::TickLoad l;
      l.function = fn;
      for (const policy::ContainerLoad& c : scaling_state_->loads(fn)) {
        (c.ready ? l.ready : l.starting) += 1;
        l.in_flight += c.active;
      }
      l.buffered = static_cast<std::int32_t>(scaling_state_->buffer(fn).size());
      std::tie(l.mean_concurrency, l.mean_cores_used) = scaling_state_->take_means(fn, last_tick_, now_);
      tick_loads_.push_back(l);
    }
    for (const policy::ScaleTarget& t : scaling_->on_tick(tick_loads_, now_)) reconcile(t);
    scaling_state_->untrack_quiet();
    last_tick_ = now_;
    const Micros next = now_ + scaling_->tick_interval();
    if (!arrivals_done_ || next <= end_ || waiting_ > 0) events_.push(next, EventType::kScalingTick);
  }

  // Moves `t.function` towards `t.desired` containers: starts missing ones in the background, retires
  // idle ones (newest first) above it; never retires busy or starting ones. Buffered work always has
  // at least one container.
  void reconcile(const policy::ScaleTarget& t) {
    const FunctionSpec& fn = functions_[t.function];
    std::vector<ContainerId> ids;  // a copy: retiring edits the list
    for (const policy::ContainerLoad& c : scaling_state_->loads(t.function)) ids.push_back(c.id);
    const std::size_t buffered = scaling_state_->buffer(t.function).size();
    const std::int32_t desired = std::max(t.desired, buffered > 0 ? 1 : 0);
    auto live = static_cast<std::int32_t>(ids.size());
    if (t.slots > 0)
      for (ContainerId id : ids) {
        const ScalingState::Slot& s = scaling_state_->slot(id);
        if (!s.ready) continue;  // starting with its initial workers
        const std::int32_t lowered = std::max(t.slots, s.active);
        if (lowered >= s.slots) continue;  // lowered only: workers are added at admission
        if (!s.host) {                     // workers gone: their memory too
          const model::MegaBytes per_worker = scaling_->worker_mb(fn);
          cluster_.resize(id, cluster_.container(id).memory_mb - per_worker * (s.slots - lowered));
        }
        scaling_state_->set_slots(id, lowered);
      }
    if (desired > live) {
      Invocation probe;
      probe.function = fn.id;
      probe.arrival_us = now_;
      probe.exec_us = fn.warm_us;
      for (; live < desired; ++live)
        if (!start_container(fn, probe)) break;
    }
    for (auto it = ids.rbegin(); it != ids.rend() && live > desired; ++it) {
      const ScalingState::Slot& s = scaling_state_->slot(*it);
      if (!scaling_state_->tracked(*it) || !s.ready || s.active > 0) continue;
      keepalive_->on_evict(cluster_.container(*it), /*pressure=*/false, now_);
      destroy(*it);
      ++result_.retired;
      --live;
    }
    if (buffered > 0) drain_scaled(t.function);
  }

  void sample() {
    const double balance = cluster_.memory_balance();
    metrics_->memory(now_, static_cast<double>(cluster_.used_mb()),
                                  static_cast<double>(cluster_.idle_mb()), balance);
    balance_sum_ += balance;
    ++balance_samples_;
    if (!arrivals_done_ || now_ + config_.series_interval_us <= end_)
      events_.push(now_ + config_.series_interval_us, EventType::kSample);
  }

  // Every second from 0 to the end of the trace (the workload's duration, as §4.6.1 averages it).
  void sample_active() {
    if (arrivals_done_ && now_ > end_) return;  // popped during the drain, past the trace
    double mean = 0, stddev = 0;
    cluster_.active_memory(&mean, &stddev);
    metrics_->active_memory(mean, stddev);
    if (!arrivals_done_ || now_ + model::kMicrosPerSecond <= end_)
      events_.push(now_ + model::kMicrosPerSecond, EventType::kActiveSample);
  }

  trace::Workload& workload_;
  const SimConfig& config_;
  std::vector<FunctionSpec> clamped_;  // the functions with memory limits applied (empty without limits)
  const std::vector<FunctionSpec>& functions_;
  Cluster cluster_;
  std::vector<std::deque<Queued>> queues_;
  std::deque<Invocation> held_;  // non-forced scheduling: invocations held at the controller, FIFO
  ColdContention contention_;
  std::vector<ProcessorSharing> cpu_;          // node → its CPU (kShares only)
  std::vector<std::uint32_t> weights_;         // function → CPU weight (empty: all equal)
  std::vector<PendingInstants> cpu_pending_;     // node → its pending kCpuDone instants
  static constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();
  NodeId cpu_draining_ = kNoNode;                 // the node whose finished jobs cpu_done is completing
  HugeVector<Job> jobs_;                       // invocations running under processor sharing, by number
  std::vector<std::uint32_t> free_jobs_;
  std::unique_ptr<LibraryPrep> libs_;
  std::unique_ptr<policy::PlacementPolicy> placement_;
  std::unique_ptr<policy::KeepAlivePolicy> keepalive_;
  std::unique_ptr<policy::PrewarmPolicy> prewarm_;
  std::unique_ptr<policy::ScalingPolicy> scaling_;     // null: one invocation per container (OpenWhisk)
  std::unique_ptr<ScalingState> scaling_state_;        // with scaling_ only
  std::unique_ptr<policy::RequestScheduler> scheduler_;  // null: the node queues drain oldest first (fifo)
  std::unique_ptr<policy::PoolManager> pool_owned_;
  policy::PoolManager* pool_ = nullptr;                  // pool_owned_ or the config's test instance
  bool sched_path_ = false;     // node queues drained by scheduler_
  bool cpu_admission_ = false;  // SimConfig::cpu_admission as resolved
  bool hooks_ = false;          // a scheduler other than fifo or a pool manager listens
  Micros queue_timeout_ = 0;    // 0: never
  std::int64_t node_millicores_ = 0;
  std::vector<std::int64_t> fn_millicores_;     // function → CPU allocation (cpu_admission_ only)
  std::vector<std::int64_t> alloc_millicores_;  // node → allocations of its running requests
  PairCounts busy_same_;                        // (node, function) → its running requests (sched_path_ only)
  std::vector<policy::PendingRequest> pending_;  // scratch for schedule_node
  std::vector<char> started_;
  // Invocations running in containers with a CPU quota, by job number (their latency is known at the end).
  struct RunningJob {
    Invocation inv;
    Micros start_us = 0, startup_us = 0;
    StartKind kind = StartKind::kWarm;
  };
  ContainerCpu container_cpu_;
  std::vector<RunningJob> container_jobs_;
  std::vector<std::uint32_t> free_container_jobs_;
  std::vector<policy::TickLoad> tick_loads_;           // scratch for ticks
  std::vector<model::FunctionId> starved_;             // functions with buffered invocations
  std::vector<bool> starved_flag_;
  std::vector<std::int32_t> starting_slots_;           // node → slots of containers starting there
  std::uint64_t waiting_ = 0;                          // buffered invocations + containers starting
  Micros last_tick_ = 0;
  int window_marks_left_ = 0;  // timeline window edges not yet passed (2, 1, 0)
  Micros window_mark_ = 0;     // the next one
  double window_start_mb_us_ = 0;
  EventQueue events_;
  SimResult result_;
  // Every write to result_.metrics, here or on a thread of its own (SimConfig::metrics_thread); after
  // result_, so that it ends (and joins) first.
  std::optional<MetricsPipe> metrics_;
  Micros now_ = 0;
  Micros end_ = 0;
  bool arrivals_done_ = false;
  bool prefetch_ = functions_.size() > kPrefetchFunctions;
  std::uint64_t busy_ = 0;
  double balance_sum_ = 0;
  double warm_benefit_us_ = 0;
  std::uint64_t balance_samples_ = 0;
};

}  // namespace

SimResult run_simulation(trace::Workload& workload, const SimConfig& config) {
  if (!workload.invocations) throw std::invalid_argument("workload has no invocation source");
  Engine engine(workload, config);
  return engine.run();
}

}  // namespace hearth::sim
