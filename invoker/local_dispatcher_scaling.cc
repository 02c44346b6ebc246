// LocalDispatcher's scaling path (see the header): the live counterpart of sim/engine.cc's scaling path,
// driven by the same ScalingPolicy objects. Containers here are real runtimes with several workers
// (runtime/RuntimeProcess: forked in place for Python and native, event-loop channels for Node.js);
// raising a container's slots adds workers and CPU quota while it runs.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "invoker/local_dispatcher.h"

namespace hearth::invoker {

using model::Micros;

std::int32_t LocalDispatcher::worker_cap(const Scaled& c) {
  return c.guest ? 1 : static_cast<std::int32_t>(c.busy.size()) - 1;
}

void LocalDispatcher::container_loads(const ScaledFunction& f, std::vector<policy::ContainerLoad>& out) const {
  out.clear();
  for (const auto& c : f.containers)  // growing: ready (admits once grown)
    out.push_back({c->id, c->node, c->active, c->slots, c->ready, worker_cap(*c)});
}

void LocalDispatcher::release_memory(const Scaled& c) {
  if (c.guest) return;
  nodes_[c.node].used_mb -= c.memory_mb;
  nodes_[c.node].reserved_mb -= c.memory_mb;
}

void LocalDispatcher::account_load(ScaledFunction& f) {
  const Micros t = now();
  std::int32_t running = 0;
  for (const auto& c : f.containers) running += c->active;
  f.load_integral += static_cast<double>(running + static_cast<std::int32_t>(f.buffer.size())) *
                     static_cast<double>(t - f.load_since);
  f.cpu_integral += static_cast<double>(running) * static_cast<double>(t - f.load_since);
  f.load_since = t;
}

void LocalDispatcher::became_idle(Scaled& c, model::FunctionId fn) {
  model::Container meta;
  meta.id = c.id;
  meta.node = c.node;
  meta.function = fn;
  meta.runtime = functions_[fn].runtime;
  meta.memory_mb = c.memory_mb;
  meta.state = model::ContainerState::kIdle;
  meta.last_used_us = c.idle_since = now();
  c.expires_us = keepalive_->on_idle(meta, functions_[fn], now()).expires_us;
}

void LocalDispatcher::dispatch_scaled(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done,
                                      model::FunctionId fn) {
  ScaledFunction& f = scaled_[fn];
  account_load(f);
  keepalive_->on_arrival(functions_[fn], now());
  ++stats_.invocations;
  f.action = req.action;
  const bool any_ready =
      std::any_of(f.containers.begin(), f.containers.end(), [](const auto& c) { return c->ready; });
  f.buffer.push_back(Pending{std::move(req), std::move(done), !any_ready});
  offer(fn);
}

bool LocalDispatcher::admits_now(model::FunctionId fn, std::int64_t revision) {
  ScaledFunction& f = scaled_[fn];
  if (!f.buffer.empty()) return false;
  std::vector<policy::ContainerLoad> loads;
  container_loads(f, loads);
  const policy::Admission a = scaling_->admit(functions_[fn], policy::FunctionLoad{fn, loads, 0}, *this, now());
  if (!a.container) return false;
  for (const auto& c : f.containers) {
    if (c->id != *a.container) continue;
    const std::int32_t max = worker_cap(*c);
    // A growing container takes it as soon as its new workers are up (offered again then).
    return c->ready && c->revision == revision && nodes_[c->node].busy_cores < nodes_[c->node].cores &&
           (c->growing || c->active < std::min(std::max(a.slots, c->slots), max));
  }
  return false;
}

void LocalDispatcher::offer(model::FunctionId fn) {
  ScaledFunction& f = scaled_[fn];
  std::vector<policy::ContainerLoad> loads;
  while (!f.buffer.empty() && !stopping_) {
    container_loads(f, loads);
    const policy::FunctionLoad load{fn, loads, static_cast<std::int32_t>(f.buffer.size()) - 1};
    const policy::Admission a = scaling_->admit(functions_[fn], load, *this, now());
    for (std::int32_t i = 0; i < a.scale_out; ++i) start_scaled(fn, f.action);
    if (!a.container) return;
    const auto it = std::find_if(f.containers.begin(), f.containers.end(),
                                 [&](const auto& c) { return c->id == *a.container; });
    if (it == f.containers.end()) return;  // the policy named a container we do not have: keep it buffered
    std::shared_ptr<Scaled> c = *it;
    const std::int32_t max = worker_cap(*c);
    const std::int32_t slots = std::min(std::max(a.slots, c->slots), max);  // the policy stays within max
    if (!c->ready || c->growing || c->active >= slots || nodes_[c->node].busy_cores >= nodes_[c->node].cores)
      return;  // the container cannot take it now: wait for a completion, its growth or a new container
    int worker = c->guest ? c->guest_worker : 1;
    if (!c->guest) {
      while (worker <= max && c->busy[static_cast<std::size_t>(worker)]) ++worker;
      if (worker > max) return;
    }
    const bool grow = worker > c->workers;
    c->slots = slots;
    c->busy[static_cast<std::size_t>(worker)] = true;
    c->growing = grow;
    ++c->active;
    ++nodes_[c->node].busy_cores;
    ++stats_.admissions_by_phase[std::min<std::uint8_t>(a.phase, 3)];
    Pending p = std::move(f.buffer.front());
    f.buffer.pop_front();
    account_load(f);
    post(c->node, [this, c, worker, grow, slots, fn, p = std::move(p)]() mutable {
      run_scaled(std::move(c), worker, grow, slots, fn, std::move(p));
    });
  }
}

bool LocalDispatcher::share_worker(model::FunctionId fn, const net::ActionRecord& action) {
  std::shared_ptr<Scaled> host;
  for (auto& [other, f] : scaled_) {
    if (other == fn || functions_[other].runtime != functions_[fn].runtime) continue;
    for (const auto& c : f.containers)
      if (c->ready && c->multi && !c->guest && !c->growing && !c->hosting && c->memory_mb >= action.memory_mb &&
          c->workers < worker_cap(*c)) {
        host = c;
        break;
      }
    if (host) break;
  }
  if (!host) return false;
  auto g = std::make_shared<Scaled>();
  g->id = next_container_++;
  g->node = host->node;
  g->revision = action.revision;
  g->container = host->container;
  g->multi = true;
  g->guest = true;
  g->guest_worker = host->workers + 1;
  g->busy.assign(static_cast<std::size_t>(g->guest_worker) + 1, false);
  host->busy[static_cast<std::size_t>(g->guest_worker)] = true;  // lent: the host never admits on it
  host->hosting = true;
  host->growing = true;  // its control channel forks the lent worker
  ++stats_.shared_workers;
  scaled_[fn].containers.push_back(g);
  post(g->node, [this, g, host, fn, action] {
    std::string error;
    std::int64_t init_us = 0;
    const bool ok = host->container->add_workers(g->guest_worker, &error) &&
                    host->container->specialise_worker(g->guest_worker, action, &init_us, &error);
    std::lock_guard lock(mu_);
    host->growing = false;
    host->workers = std::max(host->workers, g->guest_worker);
    ScaledFunction& f = scaled_[fn];
    if (ok) {
      g->ready = true;
      g->workers = g->guest_worker;
      became_idle(*g, fn);
    } else {  // the host could not lend it: a container of the function's own instead
      std::erase(f.containers, g);
      start_scaled(fn, action, /*share=*/false);
    }
    offer(fn);
    for (auto& [other, of] : scaled_)
      if (std::find(of.containers.begin(), of.containers.end(), host) != of.containers.end()) offer(other);
  });
  return true;
}

void LocalDispatcher::start_scaled(model::FunctionId fn, const net::ActionRecord& action, bool share) {
  if (share && config_.share_containers && share_worker(fn, action)) return;
  auto c = std::make_shared<Scaled>();
  c->id = next_container_++;
  c->node = place(fn);
  c->revision = action.revision;
  c->memory_mb = action.memory_mb;
  c->busy.assign(static_cast<std::size_t>(std::max(config_.max_workers, 1)) + 1, false);
  c->slots = std::clamp<std::int32_t>(scaling_->initial_slots(functions_[fn]), 1, worker_cap(*c));
  DoomedList evicted;
  make_room(c->node, action.memory_mb, evicted);  // best effort: the container starts either way
  nodes_[c->node].used_mb += action.memory_mb;
  nodes_[c->node].reserved_mb += action.memory_mb;
  ++stats_.scaled_containers;
  scaled_[fn].containers.push_back(c);
  const std::int32_t workers = c->slots;  // read here, under the lock: a tick may lower c->slots meanwhile
  post(c->node, [this, c, fn, action, workers, evicted = std::make_shared<decltype(evicted)>(std::move(evicted))] {
    evicted->clear();
    std::int64_t init_us = 0;
    std::string error;
    std::shared_ptr<LiveContainer> container = factory_.create_scalable(action, config_.max_workers, &init_us, &error);
    if (container && container->max_workers() > 1 && !container->add_workers(workers, &error)) container.reset();
    if (container) container->set_cpu_quota(per_worker_millicores(action) * workers);
    std::deque<Pending> failed;
    {
      std::lock_guard lock(mu_);
      ScaledFunction& f = scaled_[fn];
      if (container) {
        c->container = std::move(container);
        c->multi = c->container->max_workers() > 1;
        c->workers = c->multi ? workers : 1;
        if (!c->multi) {  // a one-worker container: slot 1 only
          c->busy.resize(2);
          c->slots = 1;
        }
        c->ready = true;
        became_idle(*c, fn);
      } else {
        std::erase(f.containers, c);
        release_memory(*c);
        if (f.containers.empty()) failed.swap(f.buffer);  // nothing will ever run them
        ++stats_.errors;
      }
      offer(fn);
    }
    for (Pending& p : failed) {
      net::ActivationRecord rec = net::record_for(p.req);
      rec.status = "developer error";
      rec.result_json = nlohmann::json{{"error", error}}.dump();
      rec.start_us = rec.end_us = net::wall_us();
      p.done(std::move(rec));
    }
    memory_freed_.notify_all();
  });
}

void LocalDispatcher::run_scaled(std::shared_ptr<Scaled> c, int worker, bool grow, std::int32_t slots,
                                 model::FunctionId fn, Pending p) {
  net::ActivationRecord rec = net::record_for(p.req);
  rec.invoker = "invoker" + std::to_string(c->node);
  rec.container = c->container->id();
  rec.start_us = net::wall_us();
  rec.wait_us = std::max<std::int64_t>(0, rec.start_us - p.req.arrival_us);
  rec.start_kind = !p.cold ? "warm" : c->guest ? "prewarm" : "cold";  // a lent worker: a generic one specialised
  bool keep = true;
  if (grow) {  // phase 1: more workers forked in place, and the CPU quota for them
    const auto start = std::chrono::steady_clock::now();
    std::string error;
    keep = c->container->add_workers(slots, &error);
    c->container->set_cpu_quota(per_worker_millicores(p.req.action) * slots);
    rec.init_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    if (!keep) {
      rec.status = "whisk internal error";
      rec.result_json = nlohmann::json{{"error", "cannot add workers: " + error}}.dump();
    }
    std::lock_guard lock(mu_);
    c->growing = false;
    if (keep) {
      c->workers = std::max(c->workers, slots);
      ++stats_.workers_added;
      offer(fn);  // the new workers can take buffered invocations now, not after this run
    }
  }
  if (keep) {
    keep = record_outcome(c->container->run_on(c->multi ? worker : 0, p.req.params_json, p.req.action.timeout_ms), rec);
  }
  rec.end_us = net::wall_us();
  std::shared_ptr<LiveContainer> destroy;
  {
    std::lock_guard lock(mu_);
    ScaledFunction& f = scaled_[fn];
    account_load(f);
    --nodes_[c->node].busy_cores;
    --c->active;
    c->busy[static_cast<std::size_t>(worker)] = false;
    if (c->active == 0) became_idle(*c, fn);
    ++stats_.completed;
    ++(rec.start_kind == "warm" ? stats_.warm : rec.start_kind == "prewarm" ? stats_.prewarm : stats_.cold);
    if (rec.status != "success") ++stats_.errors;
    latency_.observe(std::max<std::int64_t>(0, net::wall_us() - p.req.arrival_us));
    if (!keep && std::find(f.containers.begin(), f.containers.end(), c) != f.containers.end()) {
      std::erase(f.containers, c);  // broken: never reused (running invocations on it fail on their own)
      release_memory(*c);
      if (c->active == 0) destroy = c->container;
    }
    offer(fn);
  }
  memory_freed_.notify_all();
  destroy.reset();
  p.done(std::move(rec));
}

void LocalDispatcher::scaling_tick(std::vector<std::shared_ptr<LiveContainer>>& retired) {
  const Micros t = now();
  const double span = static_cast<double>(std::max<Micros>(1, scaling_->tick_interval()));
  std::vector<policy::TickLoad> loads;
  for (auto& [fn, f] : scaled_) {
    if (f.containers.empty() && f.buffer.empty() && f.load_integral == 0) continue;
    account_load(f);
    policy::TickLoad l;
    l.function = fn;
    for (const auto& c : f.containers) {
      (c->ready ? l.ready : l.starting) += 1;
      l.in_flight += c->active;
    }
    l.buffered = static_cast<std::int32_t>(f.buffer.size());
    l.mean_concurrency = f.load_integral / span;
    l.mean_cores_used = f.cpu_integral / span;
    f.load_integral = 0;
    f.cpu_integral = 0;
    loads.push_back(l);
  }
  const auto retire = [&](ScaledFunction& f, std::size_t i) {
    const std::shared_ptr<Scaled> c = f.containers[i];
    release_memory(*c);
    retired.push_back(c->container);
    f.containers.erase(f.containers.begin() + static_cast<std::ptrdiff_t>(i));
    ++stats_.retired;
  };
  for (const policy::ScaleTarget& target : scaling_->on_tick(loads, t)) {
    ScaledFunction& f = scaled_[target.function];
    for (const auto& c : f.containers)
      if (target.slots > 0) c->slots = std::max(target.slots, c->active);  // workers stay; admission limit falls
    std::int32_t alive = static_cast<std::int32_t>(f.containers.size());
    for (std::size_t i = f.containers.size(); i-- > 0 && alive > target.desired;) {  // newest first
      if (!f.containers[i]->ready || f.containers[i]->active > 0) continue;
      retire(f, i);
      --alive;
    }
  }
  // Idle past the keep-alive policy's expiry (the last container is the keep-alive policy's, as in the
  // simulator).
  for (auto& [fn, f] : scaled_)
    for (std::size_t i = f.containers.size(); i-- > 0;)
      if (f.containers[i]->ready && f.containers[i]->active == 0 && f.containers[i]->expires_us <= t) retire(f, i);
  for (auto& [fn, f] : scaled_) offer(fn);  // capacity a tick may have freed (a lower limit never adds any)
}

}  // namespace hearth::invoker
