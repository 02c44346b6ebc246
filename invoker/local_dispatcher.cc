#include "invoker/local_dispatcher.h"

#include <chrono>
#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <optional>
#include <nlohmann/json.hpp>

#include "policy/registry.h"

namespace hearth::invoker {

using model::Micros;

// A fixed set of threads draining a FIFO of tasks; the invoker's execution slots.
class LocalDispatcher::Worker {
 public:
  explicit Worker(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Worker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping and drained
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      // No exception may end a worker thread (std::terminate would take the invoker down with every
      // invocation it runs); the run path catches its own, so this is the last line, and it says so.
      try {
        task();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "hearth invoker: a worker task failed: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "hearth invoker: a worker task failed with an unknown exception\n");
      }
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  bool stop_ = false;
};

namespace {

Micros steady_us() {
  static const auto start = std::chrono::steady_clock::now();
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

LocalDispatcher::LocalDispatcher(ContainerFactory& factory, LocalDispatcherConfig config, InjectedPolicies injected)
    : factory_(factory), config_(std::move(config)) {
  scheduler_ = std::move(injected.scheduler);
  pool_manager_ = std::move(injected.pool_manager);
  if (config_.invokers < 1) throw std::invalid_argument("--invokers must be at least 1");
  nodes_.resize(static_cast<std::size_t>(config_.invokers));
  pools_ = std::vector<Pool>(nodes_.size());  // built in place (a Pool does not copy)
  releases_per_node_.assign(nodes_.size(), 0);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].id = static_cast<model::NodeId>(i);
    nodes_[i].capacity_mb = config_.invoker_memory_mb;
    nodes_[i].cores = config_.concurrency;
    workers_.push_back(std::make_unique<Worker>(config_.concurrency));
  }
  build_policies();  // validates the specs now, not at the first invocation
  if (keepalive_->releases_to_snapshots()) {  // snapshot-and-release: the factory snapshots when told
    if (scaling_) throw std::invalid_argument("--keepalive " + config_.keepalive + " runs on the fifo path: it takes no --scaling");
    std::string why;
    if (!factory_.release_to_snapshots(&why))
      throw std::invalid_argument("--keepalive " + config_.keepalive + " releases idle containers into function snapshots, but " +
                                  why + ": start with --snapshots vanilla, reap or faasnap");
    releases_ = true;
  }
  reaper_ = std::thread([this] { reap(); });
  if (code_scaler_) preparer_ = std::thread([this] { prepare_codes(); });
}

LocalDispatcher::~LocalDispatcher() { stop(); }

void LocalDispatcher::post(model::NodeId node, std::function<void()> task) { workers_[node]->post(std::move(task)); }

void LocalDispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  reaper_wake_.notify_all();
  memory_freed_.notify_all();
  prepare_wake_.notify_all();
  reaper_.join();
  if (preparer_.joinable()) preparer_.join();
  workers_.clear();  // drains queued invocations
  std::vector<Queued> abandoned;  // request scheduling: never started
  {
    std::lock_guard lock(mu_);
    for (Pool& p : pools_)
      for (Queued& q : p.queue) abandoned.push_back(std::move(q));
    for (Pool& p : pools_) p.queue.clear();
  }
  for (Queued& q : abandoned) answer_unstarted(q, "the invoker stopped before the activation started");
  std::lock_guard lock(mu_);
  for (Pool& p : pools_) {  // destroys idle containers and stem cells
    p.idle.clear();
    p.stem_cells.clear();
  }
  scaled_.clear();  // scaling path: its containers (nothing runs any more)
}

Micros LocalDispatcher::now() const { return steady_us(); }

model::MegaBytes LocalDispatcher::idle_mb(model::NodeId node) const {
  model::MegaBytes mb = 0;
  for (const auto& [fn, list] : pools_[node].idle)
    for (const Idle& i : list) mb += i.meta.memory_mb;
  return mb;
}

model::MegaBytes LocalDispatcher::busy_mb(model::NodeId node) const {
  model::MegaBytes idle = idle_mb(node);  // idle containers and stem cells; the rest of used_mb runs or starts work
  for (const StemCell& s : pools_[node].stem_cells) idle += s.memory_mb;
  for (const auto& [fn, f] : scaled_)  // scaling path: a ready container running nothing is idle
    for (const auto& c : f.containers)
      if (c->node == node && c->ready && c->active == 0) idle += c->memory_mb;
  return nodes_[node].used_mb - idle;
}

std::int32_t LocalDispatcher::idle_containers(model::NodeId node, model::FunctionId fn) const {
  const auto it = pools_[node].idle.find(fn);
  return it == pools_[node].idle.end() ? 0 : static_cast<std::int32_t>(it->second.size());
}

std::vector<const model::Container*> LocalDispatcher::eviction_order(model::NodeId node, std::size_t limit) const {
  std::vector<std::pair<const model::Container*, std::size_t>> order;  // (container, position in the pool)
  for (const auto& [f, list] : pools_[node].idle)
    for (const Idle& i : list) order.emplace_back(&i.meta, order.size());
  // Lowest priority first, equal priorities in pool order: a total order, so the first `limit` are the
  // same as a full stable sort's.
  const auto first = [](const auto& a, const auto& b) {
    return a.first->priority != b.first->priority ? a.first->priority < b.first->priority : a.second < b.second;
  };
  limit = std::min(limit, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(limit), order.end(), first);
  std::vector<const model::Container*> out;
  out.reserve(limit);
  for (std::size_t i = 0; i < limit; ++i) out.push_back(order[i].first);
  return out;
}

bool LocalDispatcher::for_each_eviction_candidate(model::NodeId node,
                                                  const std::function<bool(const model::Container&)>& visit) const {
  for (const model::Container* c : eviction_order(node))
    if (!visit(*c)) break;
  return true;
}

void LocalDispatcher::build_policies() {
  policy::PolicyContext ctx;
  ctx.seed = config_.seed;
  ctx.node_count = static_cast<std::uint32_t>(nodes_.size());
  ctx.functions = functions_.specs();
  placement_ = policy::make_placement(config_.placement, ctx);
  keepalive_ = policy::make_keepalive(config_.keepalive, ctx);
  prewarm_ = policy::make_prewarm(config_.prewarm, ctx);
  scaling_ = policy::make_scaling(config_.scaling, ctx);
  if (!scheduler_ && config_.scheduler != "fifo") scheduler_ = policy::make_request_scheduler(config_.scheduler, ctx);
  if (!pool_manager_ && config_.pool_manager != "none")
    pool_manager_ = policy::make_pool_manager(config_.pool_manager, ctx);
  if (scheduler_ && scheduler_->name() == "fifo") scheduler_.reset();  // fifo: the arrival-order path
  if (scaling_ && (scheduler_ || pool_manager_))
    throw std::invalid_argument("--scaling " + config_.scaling +
                                " runs its own per-function buffers: it takes no --scheduler or --pool-manager");
  const policy::CodeScalerConfig code_scaling = policy::parse_code_scaler(config_.code_scaling);
  if (code_scaling.mode != policy::LiveCodeScaling::kNone) {
    if (scaling_ || scheduler_)
      throw std::invalid_argument("--code-scaling " + config_.code_scaling +
                                  " runs on the fifo path: it takes no --scaling or --scheduler");
    code_scaler_ = std::make_unique<policy::CodeScaler>(code_scaling);
  }
}

model::FunctionId LocalDispatcher::function_for(const net::ActionRecord& a) {
  bool added = false;
  const model::FunctionId id = functions_.id_of(a, &added);
  if (added) {  // the policies grow their per-function state; what they learned of the others stays
    const model::FunctionSpec& spec = functions_[id];
    placement_->on_function_added(spec);
    keepalive_->on_function_added(spec);
    if (prewarm_) prewarm_->on_function_added(spec);
    if (scaling_) scaling_->on_function_added(spec);
    if (scheduler_) scheduler_->on_function_added(spec);
    if (pool_manager_) pool_manager_->on_function_added(spec);
  }
  if (pool_manager_ || releases_) actions_[id] = a;  // what a prewarmed container of it loads, or a snapshot
  return id;
}

model::NodeId LocalDispatcher::place(model::FunctionId fn) {
  model::Invocation inv;
  inv.function = fn;
  inv.arrival_us = now();
  const auto placed = placement_->place(inv, functions_[fn], *this);
  if (placed && *placed == policy::kHoldAtController) {  // not held live: forced, the most unreserved node
    model::NodeId best = 0;
    for (const model::NodeState& s : nodes_)
      if (s.unreserved_mb() > nodes_[best].unreserved_mb()) best = s.id;
    return best;
  }
  return placed ? *placed : 0;
}

void LocalDispatcher::admit(model::NodeId node, model::FunctionId fn) {
  keepalive_->on_arrival(functions_[fn], now());
  nodes_[node].reserved_mb += functions_[fn].memory_mb;
  ++nodes_[node].queued;
  ++stats_.invocations;
}

model::Invocation LocalDispatcher::observe_arrival(model::FunctionId fn) {
  model::Invocation inv;
  inv.id = next_invocation_++;
  inv.function = fn;
  inv.arrival_us = now();
  if (scheduler_) scheduler_->on_arrival(inv, functions_[fn], inv.arrival_us);
  if (pool_manager_) pool_manager_->on_arrival(inv, inv.arrival_us);
  return inv;
}

void LocalDispatcher::enqueue(model::NodeId node, model::FunctionId fn, net::InvocationRequest req,
                              std::function<void(net::ActivationRecord)> done, DoomedList& evicted) {
  admit(node, fn);
  const model::Invocation inv = observe_arrival(fn);
  pools_[node].queue.push_back(Queued{inv.id, fn, inv.arrival_us, std::move(req), std::move(done)});
  drain(node, evicted);
}

void LocalDispatcher::dispatch(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) {
  model::NodeId node;
  model::FunctionId fn;
  DoomedList evicted;
  {
    std::lock_guard lock(mu_);
    fn = function_for(req.action);
    if (scaling_) return dispatch_scaled(std::move(req), std::move(done), fn);
    node = place(fn);
    if (scheduler_) {  // waits in the invoker's queue until the scheduler starts it
      enqueue(node, fn, std::move(req), std::move(done), evicted);
    } else {
      admit(node, fn);
      if (pool_manager_) observe_arrival(fn);
    }
  }
  if (scheduler_) return destroy(evicted);
  workers_[node]->post([this, node, fn, req = std::move(req), done = std::move(done)]() mutable {
    execute(node, std::move(req), fn, std::move(done), Claim{});
  });
}

bool LocalDispatcher::freshen(const net::ActionRecord& action, std::int64_t hook_timeout_ms) {
  std::optional<Idle> claimed;
  model::NodeId node = 0;
  model::FunctionId fn = 0;
  {
    std::lock_guard lock(mu_);
    const long id = functions_.find(action.ns + "/" + action.name);
    if (stopping_ || scaling_ || id < 0) return false;
    fn = static_cast<model::FunctionId>(id);
    for (model::NodeId n = 0; n < static_cast<model::NodeId>(pools_.size()) && !claimed; ++n) {
      const auto it = pools_[n].idle.find(fn);
      if (it == pools_[n].idle.end()) continue;
      auto& list = it->second;
      for (std::size_t i = list.size(); i-- > 0;)
        if (list[i].revision == action.revision) {
          claimed.emplace(std::move(list[i]));
          list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
          node = n;
          break;
        }
    }
    if (!claimed) return false;
    ++stats_.freshen_requested;
  }
  std::string error;
  bool broken = false;
  const bool started = claimed->container->freshen(hook_timeout_ms, &error, &broken);
  DoomedList doomed;
  {
    std::lock_guard lock(mu_);
    stats_.freshen_started += started;
    if (stopping_ || broken) {  // a broken one gives its memory back, as an evicted one does
      if (broken && !stopping_) {
        keepalive_->on_evict(claimed->meta, /*pressure=*/false, now());
        nodes_[node].used_mb -= claimed->meta.memory_mb;
      }
      doomed.push_back(Doomed{std::move(claimed->container), fn});
    } else {
      pools_[node].idle[fn].push_back(std::move(*claimed));  // as it was: its expiry and the policies' view
    }
  }
  memory_freed_.notify_all();  // an invocation waiting for memory may take it (warm)
  destroy(doomed);
  return started;
}

bool LocalDispatcher::dispatch_if_warm(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) {
  return dispatch_if_warm(std::move(req), std::move(done), nullptr);
}

bool LocalDispatcher::dispatch_if_warm(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done,
                                       RunHere* run_here, RunMultiplexer* runs) {
  return warm_impl(req, done, run_here, runs, nullptr);
}

LocalDispatcher::WarmStart LocalDispatcher::start_if_warm(net::InvocationRequest& req,
                                                          std::function<void(net::ActivationRecord)>& done,
                                                          RunMultiplexer& runs) {
  bool busy = false;
  if (warm_impl(req, done, nullptr, &runs, &busy)) return WarmStart::kStarted;
  return busy ? WarmStart::kBusy : WarmStart::kStale;
}

bool LocalDispatcher::warm_impl(net::InvocationRequest& req, std::function<void(net::ActivationRecord)>& done,
                                RunHere* run_here, RunMultiplexer* runs, bool* busy) {
  model::NodeId node;
  model::FunctionId fn;
  std::shared_ptr<Idle> claimed;  // shared: the queued task must be copyable
  bool queued = false;           // accepted without a claim: every worker is busy
  bool deferred = false;         // every worker is busy and the caller takes that back (`busy`)
  DoomedList outdated;
  {
    std::lock_guard lock(mu_);
    fn = function_for(req.action);
    if (scaling_) {  // hierarchical scheduling: run only what a container admits at once, else bounce
      if (!admits_now(fn, req.action.revision)) return false;
      dispatch_scaled(std::move(req), std::move(done), fn);
      return true;
    }
    node = place(fn);
    drop_outdated_idle(node, fn, req.action.revision, outdated);
    auto& idle = pools_[node].idle[fn];
    if (scheduler_) {
      // Request scheduling: the invoker's queue decides when it runs; accepted when the function has a
      // container here (idle, or running and so idle when it finishes), else stale.
      if (!idle.empty() || pools_[node].running[fn] > 0) {
        enqueue(node, fn, std::move(req), std::move(done), outdated);
        queued = true;
      }
    } else {
      const bool workers_busy = nodes_[node].busy_cores + nodes_[node].queued >= config_.concurrency;
      if (!idle.empty() && !workers_busy) {
        claimed = std::make_shared<Idle>(std::move(idle.back()));  // a worker takes it at once
        idle.pop_back();
        admit(node, fn);
        if (pool_manager_) observe_arrival(fn);
      } else if (workers_busy && (!idle.empty() || pools_[node].running[fn] > 0) && busy) {
        deferred = *busy = true;  // nothing admitted: the caller tries again when a run ends
      } else if (workers_busy && (!idle.empty() || pools_[node].running[fn] > 0)) {
        // Every worker is busy and the function has containers here: queued like any invocation, claiming
        // nothing — a claimed container must not wait in the queue behind invocations waiting for the
        // memory it holds (they could all wait for ever) — and, when it runs, it takes an idle container of
        // its function or the first one that frees. Answering stale instead would only bounce it back here
        // (under overload about every other invocation, each a round trip).
        admit(node, fn);
        if (pool_manager_) observe_arrival(fn);
        queued = true;
      }  // else nothing runs: the caller is told (stale)
    }
  }
  if (!outdated.empty()) {
    destroy(outdated);  // outside the lock
    memory_freed_.notify_all();
  }
  if (deferred || (!claimed && !queued)) return false;
  if (scheduler_) return true;  // in the queue (or started by drain)
  if (claimed && run_here && claimed->container->watches()) {
    *run_here = [this, node, fn, req = std::move(req), done = std::move(done), claimed](net::ReadWatch* watch) mutable {
      execute(node, std::move(req), fn, std::move(done), Claim{claimed, nullptr, false, 0, watch});
    };
    return true;
  }
  if (claimed && runs && claimed->container->splits_runs() && req.params_json.size() <= kMaxSplitParamsBytes) {
    begin_split(Execution{node, fn, std::move(req), std::move(done), Claim{claimed, nullptr, false, 0}}, *runs);
    return true;
  }
  workers_[node]->post([this, node, fn, req = std::move(req), done = std::move(done), claimed]() mutable {
    execute(node, std::move(req), fn, std::move(done), Claim{claimed, nullptr, false, 0});
  });
  return true;
}

void LocalDispatcher::drop_outdated_idle(model::NodeId node, model::FunctionId fn, std::int64_t revision,
                                         DoomedList& dropped) {
  auto& idle = pools_[node].idle[fn];
  for (std::size_t i = idle.size(); i-- > 0;) {
    if (idle[i].revision == revision) continue;
    if (code_scaler_) code_scaling_dropped(fn, idle[i]);
    keepalive_->on_evict(idle[i].meta, /*pressure=*/false, now());
    nodes_[node].used_mb -= idle[i].meta.memory_mb;
    ++stats_.expirations;
    dropped.push_back(Doomed{std::move(idle[i].container), fn});
    idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

void LocalDispatcher::note_release(model::NodeId node, model::FunctionId fn, std::int64_t revision,
                                   const std::string& params_json) {
  if (!releases_ || !keepalive_->has_snapshot(node, fn)) return;  // expired or evicted, not released
  ++stats_.releases;
  ++releases_per_node_[node];
  const auto it = actions_.find(fn);
  if (it != actions_.end() && it->second.revision == revision) factory_.snapshot(it->second, params_json);
}

bool LocalDispatcher::make_room(model::NodeId node, model::MegaBytes need, DoomedList& evicted) {
  model::NodeState& ns = nodes_[node];
  // Victims in eviction_order (what the state report tells the controller), until enough is free.
  std::vector<std::pair<model::FunctionId, model::ContainerId>> victims;
  model::MegaBytes freed = 0;
  for (const model::Container* c : eviction_order(node)) {
    if (ns.free_mb() + freed >= need) break;
    victims.emplace_back(c->function, c->id);
    freed += c->memory_mb;
  }
  for (const auto& [fn, id] : victims) {
    auto& list = pools_[node].idle[fn];
    const auto it = std::find_if(list.begin(), list.end(), [id = id](const Idle& i) { return i.meta.id == id; });
    Idle victim = std::move(*it);
    list.erase(it);
    if (code_scaler_) code_scaling_dropped(fn, victim);
    keepalive_->on_evict(victim.meta, /*pressure=*/true, now());
    note_release(node, fn, victim.revision, victim.params_json);
    ns.used_mb -= victim.meta.memory_mb;
    ++stats_.evictions;
    evicted.push_back(Doomed{std::move(victim.container), fn});
  }
  return ns.free_mb() >= need;
}

void LocalDispatcher::execute(model::NodeId node, net::InvocationRequest req, model::FunctionId fn,
                              std::function<void(net::ActivationRecord)> done, Claim claim) {
  Execution e{node, fn, std::move(req), std::move(done), std::move(claim)};
  begin_execution(e);
  bool keep = false;
  if (e.container)
    keep = record_outcome(e.claim.watch ? e.container->run_watching(e.req.params_json, e.req.action.timeout_ms, *e.claim.watch)
                                        : e.container->run(e.req.params_json, e.req.action.timeout_ms),
                          e.rec);
  end_execution(e, keep);
}

void LocalDispatcher::begin_execution(Execution& e) {
  const model::NodeId node = e.node;
  const model::FunctionId fn = e.fn;
  net::InvocationRequest& req = e.req;
  Claim& claim = e.claim;
  net::ActivationRecord& rec = e.rec;
  rec = net::record_for(req);
  rec.invoker = "invoker" + std::to_string(node);
  const std::int64_t start_wall = net::wall_us();
  rec.start_us = start_wall;
  rec.wait_us = std::max<std::int64_t>(0, start_wall - req.arrival_us);

  std::unique_ptr<LiveContainer>& container = e.container;
  model::Container& meta = e.meta;
  model::StartKind& kind = e.kind;
  bool specialise = false;
  bool restore = false;        // snapshot-and-release: the policy restores this cold start
  bool& created_plain = e.created_plain;
  DoomedList evicted;
  {
    std::unique_lock lock(mu_);
    model::NodeState& ns = nodes_[node];
    --ns.queued;
    ++ns.busy_cores;
    std::shared_ptr<Idle> claimed = std::move(claim.idle);
    std::shared_ptr<StemCell> stem_cell = std::move(claim.stem);
    bool cold = claim.cold;  // a scheduled cold start: its memory is already counted
    const bool scheduled = claimed || stem_cell || cold;
    if (!scheduled) drop_outdated_idle(node, fn, req.action.revision, evicted);
    auto& idle = pools_[node].idle[fn];
    if (!scheduled && !idle.empty()) {
      claimed = std::make_shared<Idle>(std::move(idle.back()));
      idle.pop_back();
    }
    if (!scheduled && !claimed) {
      auto& stems = pools_[node].stem_cells;
      const bool exact = prewarm_ && prewarm_->exact_memory();  // OpenWhisk 2020: kind and memory equal
      const auto stem = std::find_if(stems.begin(), stems.end(), [&](const StemCell& c) {
        // A stem cell has no library mounts: an action that declares libraries starts cold.
        return c.runtime == functions_[fn].runtime && req.action.library_refs.empty() &&
               (exact ? c.memory_mb == req.action.memory_mb : c.memory_mb >= req.action.memory_mb);
      });
      if (stem != stems.end()) {
        stem_cell = std::make_shared<StemCell>(std::move(*stem));
        stems.erase(stem);
      }
    }
    if (!scheduled && !claimed && !stem_cell) {
      // Wait until this invoker can hold one more container (running ones release memory when done).
      // A container of this function that frees meanwhile is taken, warm, rather than evicted to make
      // room for a new one: under a steady overload every freed container would otherwise be evicted
      // and cold-started again (issue 11).
      memory_freed_.wait(lock, [&] {
        if (stopping_) return true;
        drop_outdated_idle(node, fn, req.action.revision, evicted);
        return !idle.empty() || make_room(node, req.action.memory_mb, evicted);
      });
      if (!idle.empty()) {
        claimed = std::make_shared<Idle>(std::move(idle.back()));
        idle.pop_back();
      } else {
        ns.used_mb += req.action.memory_mb;  // make_room made room for it above
        cold = true;
      }
    }
    if (claimed) {
      container = std::move(claimed->container);
      meta = claimed->meta;
      rec.start_kind = "warm";
      kind = model::StartKind::kWarm;
      ++stats_.warm;
    } else if (stem_cell) {  // its memory is already held by the node
      container = std::move(stem_cell->container);
      meta.id = next_container_++;
      meta.node = node;
      meta.function = fn;
      meta.memory_mb = stem_cell->memory_mb;
      meta.runtime = stem_cell->runtime;
      meta.created_us = now();
      if (prewarm_ && prewarm_->on_use(meta, now())) {  // replace it at once: the reaper ticks now
        next_prewarm_tick_ = now();
        reaper_wake_.notify_one();
      }
      rec.start_kind = "prewarm";
      kind = model::StartKind::kPrewarm;
      specialise = true;
      ++stats_.prewarm;
    } else {
      meta.id = next_container_++;
      meta.node = node;
      meta.function = fn;
      meta.memory_mb = req.action.memory_mb;
      meta.created_us = now();
      if (releases_ && keepalive_->restore_from_snapshot(node, functions_[fn], now())) {  // the policy released one here
        kind = model::StartKind::kSnapshot;
        restore = true;
      }
      rec.start_kind = "cold";
      ++stats_.cold;
    }
    meta.state = model::ContainerState::kBusy;
    meta.runtime = functions_[fn].runtime;
    ++pools_[node].running[fn];
    if (code_scaler_) code_scaling_on_start(node, fn, req.action, claimed.get(), !claimed && !stem_cell);
    if (pool_manager_) {
      model::Invocation started;
      started.function = fn;
      pool_manager_->on_started(started, now());
    }
    keepalive_->on_start(meta, functions_[fn], kind, now());
    if (prewarm_) prewarm_->on_start(meta, kind, now());
  }
  destroy(evicted);  // outside the lock

  if (specialise) {
    std::string error;
    if (!container->specialise(req.action, &rec.init_us, &error)) {
      container.reset();
      rec.status = "developer error";
      rec.result_json = nlohmann::json{{"error", error}}.dump();
    }
  } else if (!container) {
    std::string error;
    std::int64_t tried_us = 0;  // a restore that found no snapshot or failed, before the plain start
    if (restore) {
      container = factory_.restore(req.action, &tried_us, &error);
      if (!container && !error.empty())
        std::fprintf(stderr, "hearth invoker: %s/%s: %s; starting it without\n", req.action.ns.c_str(),
                     req.action.name.c_str(), error.c_str());
      if (container) rec.init_us = tried_us;
    }
    if (!container) {
      error.clear();
      container = factory_.create(req.action, &rec.init_us, &error);
      rec.init_us += tried_us;
      created_plain = container && !container->from_snapshot();
    }
    if (!container) {
      rec.status = "developer error";
      rec.result_json = nlohmann::json{{"error", error}}.dump();
    } else if (container->from_zygote()) {
      rec.start_kind = "zygote";  // counted as cold above; moved to zygote at completion
    } else if (container->from_snapshot()) {
      rec.start_kind = "snapshot";  // likewise, moved to snapshot at completion
    }
  }
  if (container) {
    rec.container = container->id();
    if (scheduler_ || pool_manager_) e.before = container->usage();
    e.run_start = net::wall_us();
  }
}

void LocalDispatcher::end_execution(Execution& e, bool keep) {
  const model::NodeId node = e.node;
  const model::FunctionId fn = e.fn;
  const net::InvocationRequest& req = e.req;
  const Claim& claim = e.claim;
  net::ActivationRecord& rec = e.rec;
  std::unique_ptr<LiveContainer>& container = e.container;
  model::Container& meta = e.meta;
  const model::StartKind kind = e.kind;
  const bool created_plain = e.created_plain;
  const std::optional<ResourceUsage>& before = e.before;
  std::optional<ResourceUsage> after;
  if (container && before) {
    after = container->usage();
    if (after) after->wall_us = std::max<std::int64_t>(1, net::wall_us() - e.run_start);  // at least 1 µs
  }
  rec.end_us = net::wall_us();

  DoomedList doomed;
  {
    std::lock_guard lock(mu_);
    model::NodeState& ns = nodes_[node];
    --ns.busy_cores;
    --pools_[node].running[fn];
    ns.reserved_mb -= functions_[fn].memory_mb;
    ++stats_.completed;
    if (rec.start_kind == "zygote") --stats_.cold, ++stats_.zygote;
    if (rec.start_kind == "snapshot") --stats_.cold, ++stats_.snapshot;
    if (releases_ && created_plain) functions_.observe_cold_start(fn, rec.init_us);  // the policy's cold_start_us
    if (rec.status != "success") ++stats_.errors;
    const std::int64_t latency = std::max<std::int64_t>(0, net::wall_us() - req.arrival_us);
    latency_.observe(latency);
    if (scheduler_ || pool_manager_) observe_completion(fn, kind, rec, before, after);
    if (keep) {
      meta.last_used_us = now();
      meta.state = model::ContainerState::kIdle;
      const policy::IdleDecision d = keepalive_->on_idle(meta, functions_[fn], now());
      meta.priority = d.priority;
      meta.expires_us = d.expires_us;
      if (d.expires_us > now()) {
        Idle idle{std::move(container), meta, req.action.revision};
        if (releases_) idle.params_json = snapshot_params(req.params_json);
        pools_[node].idle[fn].push_back(std::move(idle));
      } else {
        keepalive_->on_evict(meta, false, now());
        note_release(node, fn, req.action.revision, snapshot_params(req.params_json));
        ++stats_.expirations;
      }
    }
    if (container || !keep) {  // not kept: release its memory
      ns.used_mb -= meta.memory_mb;
      if (container) doomed.push_back(Doomed{std::move(container), fn});
    }
    if (scheduler_) {  // its worker, CPU allocation and perhaps its container are free: the next ones
      --pools_[node].started;
      pools_[node].cores_running = std::max(0.0, pools_[node].cores_running - claim.cores);
      drain(node, doomed);
    }
  }
  memory_freed_.notify_all();
  destroy(doomed);
  e.done(std::move(rec));
}

void LocalDispatcher::observe_completion(model::FunctionId fn, model::StartKind kind, const net::ActivationRecord& rec,
                                         const std::optional<ResourceUsage>& before,
                                         const std::optional<ResourceUsage>& after) {
  model::Invocation inv;
  inv.function = fn;
  inv.exec_us = rec.run_us;
  const model::Micros t = now();
  if (scheduler_) scheduler_->on_completed(inv, functions_[fn], kind, rec.init_us, rec.run_us, t);
  if (pool_manager_) pool_manager_->on_completed(inv, kind, rec.init_us, rec.run_us, t);
  if (!before || !after || after->wall_us <= 0) return;
  const MeasuredUse use = measured_use(*before, *after);
  if (scheduler_) scheduler_->on_resources(functions_[fn], use.cores, use.memory_mb, use.io_share);
  if (pool_manager_) pool_manager_->on_resources(fn, use.cores, use.memory_mb, use.io_share);
}

void LocalDispatcher::destroy(DoomedList& doomed) {
  if (doomed.empty()) return;
  const bool report = scheduler_ || pool_manager_;
  std::vector<std::pair<model::FunctionId, model::Micros>> times;
  for (Doomed& d : doomed) {
    const auto t0 = std::chrono::steady_clock::now();
    d.container.reset();
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    if (report && d.function >= 0) times.emplace_back(static_cast<model::FunctionId>(d.function), took.count());
  }
  doomed.clear();
  if (times.empty()) return;
  std::lock_guard lock(mu_);
  for (const auto& [fn, term_us] : times) {
    if (scheduler_) scheduler_->on_terminated(functions_[fn], term_us);
    if (pool_manager_) pool_manager_->on_terminated(fn, term_us);
  }
}

double LocalDispatcher::cpu_allocation(const Queued& q) const {
  // The action's CPU limit when it has one (its container's quota), else as the simulator's CPU
  // admission (sim/engine.cc): its memory / 512 MB; whole millicores, at most the invoker's cores (so a
  // function larger than that still runs, alone).
  constexpr model::MegaBytes kMegaBytesPerCore = 512;
  const std::int64_t wanted = q.req.action.cpu_millicores > 0 ? q.req.action.cpu_millicores
                                                              : functions_[q.fn].memory_mb * 1000 / kMegaBytesPerCore;
  const std::int64_t millicores = std::min<std::int64_t>(std::int64_t{config_.concurrency} * 1000, wanted);
  return static_cast<double>(millicores) / 1000.0;
}

bool LocalDispatcher::claim_for(model::NodeId node, const Queued& q, bool force, Claim& claim, DoomedList& evicted) {
  Pool& pool = pools_[node];
  model::NodeState& ns = nodes_[node];
  const double cores = cpu_allocation(q);
  constexpr double kTolerance = 1e-9;
  if (!force && (pool.started >= config_.concurrency || pool.cores_running + cores > ns.cores + kTolerance)) return false;
  drop_outdated_idle(node, q.fn, q.req.action.revision, evicted);
  auto& idle = pool.idle[q.fn];
  claim = Claim{};
  if (!idle.empty()) {
    claim.idle = std::make_shared<Idle>(std::move(idle.back()));
    idle.pop_back();
  } else {
    auto& stems = pool.stem_cells;
    const bool exact = prewarm_ && prewarm_->exact_memory();
    const auto stem = std::find_if(stems.begin(), stems.end(), [&](const StemCell& c) {
      return c.runtime == functions_[q.fn].runtime && q.req.action.library_refs.empty() &&
             (exact ? c.memory_mb == q.req.action.memory_mb : c.memory_mb >= q.req.action.memory_mb);
    });
    if (stem != stems.end()) {
      claim.stem = std::make_shared<StemCell>(std::move(*stem));
      stems.erase(stem);
    } else {
      model::MegaBytes evictable = 0;
      for (const auto& [f, list] : pool.idle)
        for (const Idle& i : list) evictable += i.meta.memory_mb;
      if (ns.free_mb() + evictable < q.req.action.memory_mb) return false;  // never evict in vain
      make_room(node, q.req.action.memory_mb, evicted);
      ns.used_mb += q.req.action.memory_mb;
      claim.cold = true;
    }
  }
  claim.cores = cores;
  ++pool.started;
  pool.cores_running += cores;
  return true;
}

void LocalDispatcher::drain(model::NodeId node, DoomedList& evicted) {
  Pool& pool = pools_[node];
  if (pool.queue.empty() || stopping_) return;
  std::vector<std::pair<std::size_t, Claim>> starts;
  if (pool.started < config_.concurrency) {
    std::vector<policy::PendingRequest> pending;
    pending.reserve(pool.queue.size());
    for (const Queued& q : pool.queue) {
      policy::PendingRequest r;
      r.id = q.id;
      r.function = q.fn;
      r.arrival_us = q.arrival_us;
      r.memory_mb = q.req.action.memory_mb;
      r.cpu_cores = cpu_allocation(q);
      r.warm = idle_containers(node, q.fn) > 0;
      const auto running = pool.running.find(q.fn);
      r.busy_same = running == pool.running.end() ? 0 : running->second;
      pending.push_back(r);
    }
    policy::NodeCapacity capacity;
    capacity.available_mb = nodes_[node].free_mb();
    for (const auto& [f, list] : pool.idle)
      for (const Idle& i : list) capacity.available_mb += i.meta.memory_mb;
    capacity.available_cores = std::max(0.0, nodes_[node].cores - pool.cores_running);
    ++stats_.schedule_decisions;
    std::vector<bool> chosen(pool.queue.size(), false);
    for (const std::size_t i : scheduler_->select(pending, capacity, now())) {
      if (i >= pool.queue.size() || chosen[i]) continue;  // a scheduler's bad index starts nothing
      Claim claim;
      if (!claim_for(node, pool.queue[i], /*force=*/false, claim, evicted)) break;
      chosen[i] = true;
      starts.emplace_back(i, std::move(claim));
    }
  }
  if (starts.empty() && pool.started == 0) {  // nobody runs here to free anything: the oldest starts anyway
    Claim claim;
    if (claim_for(node, pool.queue.front(), /*force=*/true, claim, evicted)) {
      ++stats_.forced_starts;
      starts.emplace_back(0, std::move(claim));
    }
  }
  if (starts.empty()) return;
  std::vector<std::size_t> slot(pool.queue.size(), SIZE_MAX);  // queue index → position in `starts`
  for (std::size_t k = 0; k < starts.size(); ++k) slot[starts[k].first] = k;
  std::vector<Queued> run(starts.size());
  std::deque<Queued> rest;
  for (std::size_t i = 0; i < pool.queue.size(); ++i) {
    if (slot[i] == SIZE_MAX) {
      rest.push_back(std::move(pool.queue[i]));
    } else {
      run[slot[i]] = std::move(pool.queue[i]);
    }
  }
  pool.queue.swap(rest);
  for (std::size_t k = 0; k < starts.size(); ++k) {  // in the scheduler's start order
    workers_[node]->post([this, node, q = std::move(run[k]), claim = std::move(starts[k].second)]() mutable {
      execute(node, std::move(q.req), q.fn, std::move(q.done), std::move(claim));
    });
  }
}

void LocalDispatcher::answer_unstarted(Queued& q, const std::string& why) {
  net::ActivationRecord rec = net::record_for(q.req);
  rec.status = "whisk internal error";
  rec.result_json = nlohmann::json{{"error", why}}.dump();
  q.done(std::move(rec));
}

void LocalDispatcher::take_timed_out(std::vector<Queued>& timed_out) {
  if (config_.queue_timeout_us <= 0) return;
  const Micros t = now();
  for (std::size_t n = 0; n < pools_.size(); ++n) {
    std::deque<Queued>& queue = pools_[n].queue;
    for (auto it = queue.begin(); it != queue.end();) {
      if (t - it->arrival_us <= config_.queue_timeout_us) {
        ++it;
        continue;
      }
      nodes_[n].reserved_mb -= functions_[it->fn].memory_mb;
      --nodes_[n].queued;
      ++stats_.queue_timeouts;
      if (pool_manager_) {
        model::Invocation inv;
        inv.id = it->id;
        inv.function = it->fn;
        inv.arrival_us = it->arrival_us;
        pool_manager_->on_dropped(inv, t);
      }
      timed_out.push_back(std::move(*it));
      it = queue.erase(it);
    }
  }
}

void LocalDispatcher::reap() {
  std::unique_lock lock(mu_);
  if (prewarm_) {  // stem cells start at once, not one reap interval after the platform
    next_prewarm_tick_ = now() + prewarm_->tick_interval();
    prewarm_tick(lock);
  }
  while (!stopping_) {
    reaper_wake_.wait_for(lock, std::chrono::milliseconds(config_.reap_interval_ms));
    if (stopping_) break;
    DoomedList expired;
    const Micros t = now();
    for (std::size_t n = 0; n < pools_.size(); ++n) {
      for (auto& [fn, list] : pools_[n].idle) {
        for (std::size_t i = list.size(); i-- > 0;) {
          if (list[i].meta.expires_us > t) continue;
          if (code_scaler_) code_scaling_dropped(fn, list[i]);
          keepalive_->on_evict(list[i].meta, false, t);
          note_release(static_cast<model::NodeId>(n), fn, list[i].revision, list[i].params_json);
          nodes_[n].used_mb -= list[i].meta.memory_mb;
          ++stats_.expirations;
          expired.push_back(Doomed{std::move(list[i].container), fn});
          list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
    }
    for (std::size_t n = 0; n < pools_.size(); ++n) {
      auto& stems = pools_[n].stem_cells;
      for (std::size_t i = stems.size(); i-- > 0;) {
        if (stems[i].expires_us > t) continue;
        nodes_[n].used_mb -= stems[i].memory_mb;
        expired.push_back(Doomed{std::move(stems[i].container), -1});
        stems.erase(stems.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    if (prewarm_ && t >= next_prewarm_tick_) {
      next_prewarm_tick_ = t + prewarm_->tick_interval();
      prewarm_tick(lock);
    }
    if (pool_manager_ && t >= next_pool_tick_) {
      next_pool_tick_ = t + pool_manager_->tick_interval();
      pool_manager_tick(lock, expired);
      if (!to_freshen_.empty()) {  // the arrivals it predicted: their hooks, outside the lock
        std::vector<net::ActionRecord> predicted;
        predicted.swap(to_freshen_);
        lock.unlock();
        for (const net::ActionRecord& a : predicted) freshen(a, config_.freshen_timeout_ms);
        lock.lock();
      }
    }
    std::vector<std::shared_ptr<LiveContainer>> retired;
    if (scaling_ && t >= next_scaling_tick_) {
      next_scaling_tick_ = t + scaling_->tick_interval();
      scaling_tick(retired);
    }
    std::vector<Queued> timed_out;
    if (scheduler_) {  // memory freed, containers prewarmed: queued invocations may fit now
      take_timed_out(timed_out);
      for (std::size_t n = 0; n < pools_.size(); ++n) drain(static_cast<model::NodeId>(n), expired);
    }
    if (!expired.empty() || !retired.empty() || !timed_out.empty()) {
      lock.unlock();
      for (Queued& q : timed_out)
        answer_unstarted(q, "Activation processing is not initiated for " +
                                std::to_string(config_.queue_timeout_us / model::kMicrosPerMilli) + " ms");
      destroy(expired);
      retired.clear();
      memory_freed_.notify_all();
      lock.lock();
    }
  }
}

void LocalDispatcher::pool_manager_tick(std::unique_lock<std::mutex>& lock, DoomedList& terminated) {
  struct Start {
    model::NodeId node;
    model::FunctionId fn;
    net::ActionRecord action;
  };
  std::vector<Start> starts;
  for (const policy::PoolAction& a : pool_manager_->on_tick(*this, now())) {
    if (a.node >= pools_.size() || a.function >= functions_.specs().size()) continue;  // not a node or function here
    auto& idle = pools_[a.node].idle[a.function];
    for (std::int32_t k = 0; k < a.terminate && !idle.empty(); ++k) {  // idle longest first
      const auto oldest = std::min_element(idle.begin(), idle.end(), [](const Idle& x, const Idle& y) {
        return x.meta.last_used_us < y.meta.last_used_us;
      });
      keepalive_->on_evict(oldest->meta, /*pressure=*/false, now());
      note_release(a.node, a.function, oldest->revision, oldest->params_json);
      nodes_[a.node].used_mb -= oldest->meta.memory_mb;
      ++stats_.pool_terminated;
      terminated.push_back(Doomed{std::move(oldest->container), a.function});
      idle.erase(oldest);
    }
    const auto action = actions_.find(a.function);
    if (action == actions_.end()) continue;  // never invoked here: no code to start
    const model::MegaBytes memory = action->second.memory_mb;
    for (std::int32_t k = 0; k < a.prewarm && nodes_[a.node].free_mb() >= memory; ++k) {  // never evicting
      nodes_[a.node].used_mb += memory;  // held now, released if the start fails
      starts.push_back({a.node, a.function, action->second});
    }
  }
  if (starts.empty()) return;
  lock.unlock();
  std::vector<std::unique_ptr<LiveContainer>> started;
  std::vector<std::int64_t> init_us(starts.size(), 0);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    std::string error;
    started.push_back(factory_.create(starts[i].action, &init_us[i], &error));
  }
  lock.lock();
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const Start& s = starts[i];
    if (!started[i] || stopping_) {
      nodes_[s.node].used_mb -= s.action.memory_mb;
      if (started[i]) terminated.push_back(Doomed{std::move(started[i]), s.fn});
      continue;
    }
    ++stats_.pool_prewarmed;
    pools_[s.node].idle[s.fn].push_back(started_idle(s.node, s.fn, std::move(started[i]), s.action));
    if (config_.freshen_timeout_ms > 0) to_freshen_.push_back(s.action);  // a predicted arrival: its hook too
  }
  memory_freed_.notify_all();
}

LocalDispatcher::Idle LocalDispatcher::started_idle(model::NodeId node, model::FunctionId fn,
                                                    std::unique_ptr<LiveContainer> container, const net::ActionRecord& action) {
  model::Container meta;
  meta.id = next_container_++;
  meta.node = node;
  meta.function = fn;
  meta.memory_mb = action.memory_mb;
  meta.runtime = functions_[fn].runtime;
  meta.created_us = now();
  meta.last_used_us = now();
  meta.state = model::ContainerState::kIdle;
  const policy::IdleDecision d = keepalive_->on_idle(meta, functions_[fn], now());
  meta.priority = d.priority;
  meta.expires_us = d.expires_us;
  return Idle{std::move(container), meta, action.revision};
}

void LocalDispatcher::prewarm_tick(std::unique_lock<std::mutex>& lock) {
  struct Start {
    model::NodeId node;
    model::RuntimeKind runtime;
    model::MegaBytes memory_mb;
    model::Micros ttl_us;
  };
  std::vector<Start> starts;
  for (const policy::PrewarmTarget& t : prewarm_->on_tick(*this, now())) {
    int have = 0;
    for (const StemCell& c : pools_[t.node].stem_cells) have += c.runtime == t.runtime && c.memory_mb == t.memory_mb;
    for (; have < t.desired && nodes_[t.node].free_mb() >= t.memory_mb; ++have) {
      nodes_[t.node].used_mb += t.memory_mb;  // reserved now, released if the start fails
      starts.push_back({t.node, t.runtime, t.memory_mb, t.ttl_us});
    }
  }
  if (starts.empty()) return;
  lock.unlock();
  std::vector<std::unique_ptr<LiveContainer>> started;
  for (const Start& s : starts) started.push_back(factory_.start_generic(s.runtime, s.memory_mb));
  lock.lock();
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const Start& s = starts[i];
    if (!started[i] || stopping_) {
      nodes_[s.node].used_mb -= s.memory_mb;
      continue;
    }
    ++stats_.stem_cells_started;
    const model::Micros expires = s.ttl_us == model::kNever ? model::kNever : now() + s.ttl_us;
    pools_[s.node].stem_cells.push_back(StemCell{std::move(started[i]), s.runtime, s.memory_mb, expires});
  }
  memory_freed_.notify_all();
}

DispatcherStats LocalDispatcher::stats() {
  std::lock_guard lock(mu_);
  if (code_scaler_) {
    const policy::CodeScalerStats& c = code_scaler_->stats();
    stats_.code_late = c.late;
    stats_.code_early = c.early;
    stats_.code_exact = c.exact;
  }
  return stats_;
}

std::string LocalDispatcher::prometheus_metrics() {
  std::lock_guard lock(mu_);
  std::string out;
  const auto line = [&out](const std::string& s) { out += s + "\n"; };
  line("# TYPE hearth_invocations_total counter");
  line("hearth_invocations_total " + std::to_string(stats_.invocations));
  line("# TYPE hearth_starts_total counter");
  line("hearth_starts_total{kind=\"cold\"} " + std::to_string(stats_.cold));
  line("hearth_starts_total{kind=\"warm\"} " + std::to_string(stats_.warm));
  line("hearth_starts_total{kind=\"prewarm\"} " + std::to_string(stats_.prewarm));
  line("hearth_starts_total{kind=\"zygote\"} " + std::to_string(stats_.zygote));
  line("hearth_starts_total{kind=\"snapshot\"} " + std::to_string(stats_.snapshot));
  if (code_scaler_) {
    const policy::CodeScalerStats& c = code_scaler_->stats();
    line("# TYPE hearth_code_scaling_total counter");
    line("hearth_code_scaling_total{event=\"prepared\"} " + std::to_string(stats_.code_prepared));
    line("hearth_code_scaling_total{event=\"late\"} " + std::to_string(c.late));
    line("hearth_code_scaling_total{event=\"early\"} " + std::to_string(c.early));
    line("hearth_code_scaling_total{event=\"exact\"} " + std::to_string(c.exact));
  }
  line("# TYPE hearth_errors_total counter");
  line("hearth_errors_total " + std::to_string(stats_.errors));
  line("# TYPE hearth_freshen_total counter");
  line("hearth_freshen_total{result=\"requested\"} " + std::to_string(stats_.freshen_requested));
  line("hearth_freshen_total{result=\"started\"} " + std::to_string(stats_.freshen_started));
  line("# TYPE hearth_evictions_total counter");
  line("hearth_evictions_total " + std::to_string(stats_.evictions));
  line("# TYPE hearth_expirations_total counter");
  line("hearth_expirations_total " + std::to_string(stats_.expirations));
  if (releases_) {
    line("# TYPE hearth_snapshot_releases_total counter");
    for (std::size_t n = 0; n < nodes_.size(); ++n)
      line("hearth_snapshot_releases_total{invoker=\"invoker" + std::to_string(n) + "\"} " +
           std::to_string(releases_per_node_[n]));
  }
  line("# TYPE hearth_snapshot_bytes gauge");  // one store for the in-process invokers
  line("hearth_snapshot_bytes " + std::to_string(factory_.snapshot_bytes()));
  line("# TYPE hearth_containers gauge");
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    int idle = 0;
    for (const auto& [fn, list] : pools_[n].idle) idle += static_cast<int>(list.size());
    const std::string inv = "invoker=\"invoker" + std::to_string(n) + "\"";
    line("hearth_invoker_idle_memory_mb{" + inv + "} " + std::to_string(idle_mb(n)));
    line("hearth_containers{" + inv + ",state=\"idle\"} " + std::to_string(idle));
    line("hearth_containers{" + inv + ",state=\"busy\"} " + std::to_string(nodes_[n].busy_cores));
    line("hearth_containers{" + inv + ",state=\"prewarmed\"} " + std::to_string(pools_[n].stem_cells.size()));
    line("hearth_invoker_memory_used_mb{" + inv + "} " + std::to_string(nodes_[n].used_mb));
  }
  latency_.render("hearth_invocation_latency_seconds", out);
  return out;
}

std::vector<model::Micros> LocalDispatcher::idle_expiries(model::NodeId node, const std::string& action) {
  std::lock_guard lock(mu_);
  std::vector<model::Micros> out;
  const long fn = functions_.find(action);
  if (fn < 0 || node >= pools_.size()) return out;
  const auto it = pools_[node].idle.find(static_cast<model::FunctionId>(fn));
  if (it != pools_[node].idle.end())
    for (const Idle& i : it->second) out.push_back(i.meta.expires_us);
  return out;
}

std::vector<int> LocalDispatcher::idle_per_invoker() {
  std::lock_guard lock(mu_);
  std::vector<int> out;
  for (const Pool& p : pools_) {
    int n = 0;
    for (const auto& [fn, list] : p.idle) n += static_cast<int>(list.size());
    out.push_back(n);
  }
  return out;
}

}  // namespace hearth::invoker

namespace hearth::invoker {

net::InvokerState LocalDispatcher::state(model::NodeId node) {
  std::lock_guard lock(mu_);
  net::InvokerState s;
  s.memory_mb = nodes_[node].capacity_mb;
  s.used_mb = nodes_[node].used_mb;
  s.busy_mb = busy_mb(node);
  s.busy = nodes_[node].busy_cores;
  s.prewarmed = static_cast<std::int32_t>(pools_[node].stem_cells.size());
  s.idle_mb = idle_mb(node);
  s.snapshot_bytes = factory_.snapshot_bytes();
  s.releases = static_cast<std::int64_t>(releases_per_node_[node]);
  for (const auto& [fn, list] : pools_[node].idle)
    if (!list.empty()) s.idle[functions_[fn].name] = static_cast<std::int32_t>(list.size());
  for (const auto& [fn, f] : scaled_)  // scaling path: ready containers with a free slot count as idle
    for (const auto& c : f.containers)
      if (c->node == node && c->ready && c->active < c->slots) ++s.idle[functions_[fn].name];
  const Micros t = now();
  for (const model::Container* c : eviction_order(node, net::InvokerState::kMaxEvictable))
    s.evictable.push_back({functions_[c->function].name, c->memory_mb, std::max<Micros>(0, t - c->last_used_us) / 1000});
  return s;
}

}  // namespace hearth::invoker
