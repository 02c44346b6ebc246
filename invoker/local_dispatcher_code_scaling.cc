// LocalDispatcher's code scaling (Scorpius Eq. 8 live; policy/code_scaler.h, docs/scorpius.md "Code
// scaling, live"): containers prepared ahead of demand when a function's usage reaches its threshold.
#include <cstdio>

#include "invoker/local_dispatcher.h"

namespace hearth::invoker {

void LocalDispatcher::code_scaling_on_start(model::NodeId node, model::FunctionId fn, const net::ActionRecord& action,
                                            const Idle* claimed, bool cold) {
  if (claimed && claimed->prepared_ready_us >= 0)
    code_scaler_->on_prepared_used(fn, claimed->prepared_code, claimed->prepared_ready_us, now());
  const auto idle = pools_[node].idle.find(fn);
  const std::int32_t in_flight = pools_[node].running[fn];  // this one included
  std::int32_t& preparing = preparing_[{node, fn}];
  const std::int32_t held =
      in_flight + preparing + (idle == pools_[node].idle.end() ? 0 : static_cast<std::int32_t>(idle->second.size()));
  if (code_scaler_->on_start(fn, in_flight, held, cold) == 0) return;
  if (nodes_[node].free_mb() < action.memory_mb) return;  // never evicting for a code nobody waits for
  nodes_[node].used_mb += action.memory_mb;                // held now, released if the start fails
  ++preparing;
  ++stats_.code_prepared;
  to_prepare_.push_back(Preparation{node, fn, action, std::max(held, in_flight) + 1});
  prepare_wake_.notify_one();
}

void LocalDispatcher::code_scaling_dropped(model::FunctionId fn, const Idle& idle) {
  if (idle.prepared_ready_us >= 0) code_scaler_->on_prepared_unused(fn, idle.prepared_code);
}

void LocalDispatcher::prepare_codes() {
  std::unique_lock lock(mu_);
  while (true) {
    prepare_wake_.wait(lock, [&] { return stopping_ || !to_prepare_.empty(); });
    if (stopping_) break;
    Preparation p = std::move(to_prepare_.front());
    to_prepare_.pop_front();
    lock.unlock();
    std::int64_t init_us = 0;
    std::string error;
    std::unique_ptr<LiveContainer> c = factory_.create(p.action, &init_us, &error);
    lock.lock();
    --preparing_[{p.node, p.fn}];
    if (!c || stopping_) {
      nodes_[p.node].used_mb -= p.action.memory_mb;
      if (!c) std::fprintf(stderr, "hearth invoker: code scaling could not prepare %s/%s: %s\n", p.action.ns.c_str(),
                           p.action.name.c_str(), error.c_str());
      if (c) {
        lock.unlock();
        c.reset();  // destroyed without the lock
        lock.lock();
      }
      continue;
    }
    Idle idle = started_idle(p.node, p.fn, std::move(c), p.action);
    idle.prepared_ready_us = now();
    idle.prepared_code = p.code;
    pools_[p.node].idle[p.fn].push_back(std::move(idle));
    memory_freed_.notify_all();  // an invocation waiting for memory may take it (warm)
  }
  for (const Preparation& p : to_prepare_) nodes_[p.node].used_mb -= p.action.memory_mb;  // never started
  to_prepare_.clear();
}

}  // namespace hearth::invoker
