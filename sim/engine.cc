#include "sim/engine.h"

#include <chrono>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "policy/registry.h"
#include "sim/cluster.h"
#include "sim/event_queue.h"

namespace hearth::sim {
namespace {

using model::ContainerId;
using model::ContainerState;
using model::FunctionSpec;
using model::Invocation;
using model::Micros;
using model::NodeId;
using model::StartKind;

class Engine {
 public:
  Engine(trace::Workload& workload, const SimConfig& config)
      : workload_(workload),
        config_(config),
        functions_(workload.functions),
        cluster_(config.nodes, config.node_memory_mb, config.node_cores, functions_.size()),
        queues_(config.nodes),
        pending_expiry_() {
    if (config.nodes == 0) throw std::invalid_argument("--nodes must be at least 1");
    if (config.node_memory_mb <= 0) throw std::invalid_argument("--node-memory-mb must be positive");
    if (config.node_cores <= 0) throw std::invalid_argument("--node-cores must be positive");
    if (config.series_interval_us <= 0) throw std::invalid_argument("series interval must be positive");
    policy::PolicyContext ctx;
    ctx.seed = config.seed;
    ctx.node_count = config.nodes;
    ctx.functions = functions_;
    placement_ = policy::make_placement(config.placement, ctx);
    keepalive_ = policy::make_keepalive(config.keepalive, ctx);
    prewarm_ = policy::make_prewarm(config.prewarm, ctx);
    result_.metrics = Metrics(functions_.size(), config.series_interval_us);
  }

  SimResult run() {
    const auto wall_start = std::chrono::steady_clock::now();
    const Micros span = workload_.invocations->span_us();
    events_.push(0, EventType::kSample);
    if (prewarm_) events_.push(0, EventType::kPrewarmTick);

    std::vector<Invocation> batch;
    Micros last_progress = 0;
    while (workload_.invocations->next_batch(batch)) {
      for (const Invocation& inv : batch) {
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
    while (!events_.empty() && (busy_ > 0 || events_.top().time <= end_)) {
      Event e = events_.pop();
      advance(e.time);
      handle(e);
    }
    end_ = std::max(end_, now_);
    advance(end_);
    cluster_.settle();

    result_.end_us = end_;
    result_.total_memory_gb_s = cluster_.used_mb_us() / 1024.0 / model::kMicrosPerSecond;
    result_.idle_memory_gb_s = cluster_.idle_mb_us() / 1024.0 / model::kMicrosPerSecond;
    result_.peak_memory_mb = cluster_.peak_used_mb();
    result_.mean_memory_balance = balance_samples_ ? balance_sum_ / static_cast<double>(balance_samples_) : 0;
    result_.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (config_.progress) config_.progress(1.0);
    return std::move(result_);
  }

 private:
  struct Queued {
    Invocation inv;
  };

  void advance(Micros t) {
    if (t > now_) now_ = t;
    cluster_.set_now(now_);
  }

  void run_events_until(Micros t) {
    while (!events_.empty() && events_.top().time <= t) {
      Event e = events_.pop();
      advance(e.time);
      handle(e);
    }
  }

  void check_invariants() const {
    for (const model::NodeState& n : cluster_.nodes()) {
      if (n.used_mb > n.capacity_mb || n.used_mb < 0 || n.busy_cores > n.cores || n.busy_cores < 0 ||
          n.reserved_mb < 0)
        throw std::logic_error("node " + std::to_string(n.id) + " at t=" + std::to_string(now_) +
                               "us: used " + std::to_string(n.used_mb) + "/" + std::to_string(n.capacity_mb) +
                               " MB, busy cores " + std::to_string(n.busy_cores) + "/" + std::to_string(n.cores));
    }
  }

  void handle(const Event& e) {
    switch (e.type) {
      case EventType::kCompletion: complete(e.a); break;
      case EventType::kExpiry: expire(e.a, e.b, e.time); break;
      case EventType::kPrewarmLoad: prewarm_load(e.a, e.b, e.time2); break;
      case EventType::kPrewarmTick: prewarm_tick(); break;
      case EventType::kSample: sample(); break;
    }
    if (config_.check_invariants) check_invariants();
  }

  void arrive(const Invocation& inv) {
    const FunctionSpec& fn = functions_[inv.function];
    keepalive_->on_arrival(fn, now_);
    if (fn.memory_mb > config_.node_memory_mb) {
      result_.metrics.record_drop(inv, model::DropReason::kTooLarge);
      return;
    }
    const auto node = placement_->place(inv, fn, cluster_);
    if (!node) {
      result_.metrics.record_drop(inv, model::DropReason::kNoNode);
      return;
    }
    std::deque<Queued>& queue = queues_[*node];
    if (!queue.empty() || !try_start(*node, inv)) {
      if (config_.queue_limit && queue.size() >= config_.queue_limit) {
        result_.metrics.record_drop(inv, model::DropReason::kQueueFull);
        return;
      }
      queue.push_back(Queued{inv});
      ++cluster_.node(*node).queued;
    }
    cluster_.node(*node).reserved_mb += fn.memory_mb;
  }

  // Starts `inv` on `node` now if a core and a container (or the memory for one) are available.
  bool try_start(NodeId node, const Invocation& inv) {
    model::NodeState& ns = cluster_.node(node);
    if (ns.busy_cores >= ns.cores) return false;
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
    } else if (auto stem = cluster_.take_stem_cell(node, fn.runtime, fn.memory_mb)) {
      id = *stem;
      cluster_.container(id).function = fn.id;
      kind = StartKind::kPrewarm;
      startup = fn.init_us;
    } else {
      if (!make_room(node, fn.memory_mb)) return false;
      id = cluster_.create(node, fn.id, fn.runtime, fn.memory_mb, ContainerState::kStarting);
      ++result_.containers_created;
      kind = StartKind::kCold;
      startup = fn.cold_start_us;
    }
    cluster_.set_busy(id);
    ++ns.busy_cores;
    ++busy_;
    const model::Container& c = cluster_.container(id);
    result_.metrics.record_start(inv, kind, now_, startup);
    keepalive_->on_start(c, fn, kind, now_);
    if (prewarm_) prewarm_->on_start(c, kind, now_);
    events_.push(now_ + startup + inv.exec_us, EventType::kCompletion, id, c.generation);
    return true;
  }

  // Evicts idle containers on `node` in keep-alive priority order until `need` MB are free.
  // Evicts nothing and returns false if even evicting every idle container would not be enough.
  bool make_room(NodeId node, model::MegaBytes need) {
    const model::NodeState& ns = cluster_.node(node);
    if (ns.free_mb() >= need) return true;
    if (ns.free_mb() + cluster_.evictable_mb(node) < need) return false;
    while (ns.free_mb() < need) {
      const auto victim = cluster_.eviction_candidate(node);
      if (!victim) return false;  // unreachable while evictable_mb is exact
      keepalive_->on_evict(cluster_.container(*victim), /*pressure=*/true, now_);
      cluster_.destroy(*victim);
      ++result_.evictions;
    }
    return true;
  }

  void complete(ContainerId id) {
    model::Container& c = cluster_.container(id);
    const FunctionSpec& fn = functions_[c.function];
    const NodeId node = c.node;
    model::NodeState& ns = cluster_.node(node);
    --ns.busy_cores;
    --busy_;
    ns.reserved_mb -= fn.memory_mb;
    result_.metrics.record_completion(now_);
    const policy::IdleDecision d = keepalive_->on_idle(c, fn, now_);
    if (d.expires_us <= now_) {
      keepalive_->on_evict(c, /*pressure=*/false, now_);
      cluster_.destroy(id);
      ++result_.expirations;
    } else {
      cluster_.put_idle(id, ContainerState::kIdle, d.priority);
      schedule_expiry(id, d.expires_us);
    }
    if (d.prewarm_at_us != model::kNever) {
      events_.push(std::max(d.prewarm_at_us, now_), EventType::kPrewarmLoad, node, fn.id, d.prewarm_expires_us);
    }
    drain(node);
  }

  void drain(NodeId node) {
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
    if (pending_expiry_.size() <= id) pending_expiry_.resize(id + 1, model::kNever);
    if (pending_expiry_[id] == model::kNever || deadline < pending_expiry_[id] ||
        pending_generation(id) != c.generation) {
      pending_expiry_[id] = deadline;
      set_pending_generation(id, c.generation);
      events_.push(deadline, EventType::kExpiry, id, c.generation);
    }
  }

  void expire(ContainerId id, std::uint32_t generation, Micros at) {
    model::Container& c = cluster_.container(id);
    if (c.generation != generation || pending_generation(id) != generation || pending_expiry_[id] != at) return;
    pending_expiry_[id] = model::kNever;
    const bool idle = c.state == ContainerState::kIdle || c.state == ContainerState::kPrewarmed ||
                      c.state == ContainerState::kPaused;
    if (!idle) return;  // busy: its next idle period schedules again
    if (c.expires_us <= now_) {
      keepalive_->on_evict(c, /*pressure=*/false, now_);
      cluster_.destroy(id);
      ++result_.expirations;
    } else {
      schedule_expiry(id, c.expires_us);
    }
  }

  std::uint32_t pending_generation(ContainerId id) const {
    return id < pending_gen_.size() ? pending_gen_[id] : 0;
  }
  void set_pending_generation(ContainerId id, std::uint32_t g) {
    if (pending_gen_.size() <= id) pending_gen_.resize(id + 1, 0);
    pending_gen_[id] = g;
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

  void prewarm_tick() {
    for (const policy::PrewarmTarget& t : prewarm_->on_tick(cluster_, now_)) {
      int have = cluster_.stem_cells(t.node, t.runtime, t.memory_mb);
      for (; have < t.desired && cluster_.node(t.node).free_mb() >= t.memory_mb; ++have) {
        const ContainerId id =
            cluster_.create(t.node, model::kNoFunction, t.runtime, t.memory_mb, ContainerState::kPrewarmed);
        ++result_.containers_created;
        cluster_.put_idle(id, ContainerState::kPrewarmed, static_cast<double>(now_));
        schedule_expiry(id, t.ttl_us == model::kNever ? model::kNever : now_ + t.ttl_us);
      }
    }
    if (!arrivals_done_ || now_ + prewarm_->tick_interval() <= end_)
      events_.push(now_ + prewarm_->tick_interval(), EventType::kPrewarmTick);
  }

  void sample() {
    const double balance = cluster_.memory_balance();
    result_.metrics.record_memory(now_, static_cast<double>(cluster_.used_mb()),
                                  static_cast<double>(cluster_.idle_mb()), balance);
    balance_sum_ += balance;
    ++balance_samples_;
    if (!arrivals_done_ || now_ + config_.series_interval_us <= end_)
      events_.push(now_ + config_.series_interval_us, EventType::kSample);
  }

  trace::Workload& workload_;
  const SimConfig& config_;
  const std::vector<FunctionSpec>& functions_;
  Cluster cluster_;
  std::vector<std::deque<Queued>> queues_;
  std::vector<Micros> pending_expiry_;
  std::vector<std::uint32_t> pending_gen_;
  std::unique_ptr<policy::PlacementPolicy> placement_;
  std::unique_ptr<policy::KeepAlivePolicy> keepalive_;
  std::unique_ptr<policy::PrewarmPolicy> prewarm_;
  EventQueue events_;
  SimResult result_;
  Micros now_ = 0;
  Micros end_ = 0;
  bool arrivals_done_ = false;
  std::uint64_t busy_ = 0;
  double balance_sum_ = 0;
  std::uint64_t balance_samples_ = 0;
};

}  // namespace

SimResult run_simulation(trace::Workload& workload, const SimConfig& config) {
  if (!workload.invocations) throw std::invalid_argument("workload has no invocation source");
  Engine engine(workload, config);
  return engine.run();
}

}  // namespace hearth::sim
