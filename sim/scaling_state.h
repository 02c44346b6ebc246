// ScalingState: the simulator's bookkeeping for the scaling path (sim/engine.cc with a ScalingPolicy):
// per container its running invocations, slots, CPU quota, worker cap and ready time; per function its
// containers (oldest first), its buffer of invocations waiting for a slot (FIFO), and the time integrals
// of its concurrency (running + buffered) and of the cores its containers hold (sum of min(active, cores))
// for the policy's ticks; and the functions to report at a tick.
// Each function's containers are kept as the policy sees them (loads(): a policy::ContainerLoad per
// container, oldest first), updated by the mutators below as invocations start and end, so an admission
// reads them without rebuilding them; a container's load fields change only through those mutators
// (slot() is read-only), and rebuild_loads() derives the same list from the slots and the cluster
// (the engine's invariant check and ScalingStateProperty compare the two). Likewise each container
// knows whether it could lend a worker to another function (ready, neither a guest nor lending, and the
// policy's lends() accepts its load) and each function how many of its containers could, so that the
// engine's search for a host skips functions with none without reading their containers; the functions
// with any are a bit set over tracked_functions()' positions (two levels: a bit per non-empty word), so
// that the search visits them in that order without reading the others (for_each_lender).
// It decides nothing. Cost: O(1) per change except remove (O(containers of the function)).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "model/container.h"
#include "model/invocation.h"
#include "model/time.h"
#include "policy/scaling.h"
#include "sim/cluster.h"

namespace hearth::sim {

class ScalingState {
 public:
  struct Slot {
    bool tracked = false;
    model::FunctionId function = 0;
    std::int32_t active = 0;
    std::int32_t slots = 1;
    model::Micros ready_us = 0;  // start-up done at this time
    bool ready = false;
    std::int32_t cores = policy::kUnlimitedCores;  // CPU quota (policy::ScalingPolicy::container_cores)
    std::int32_t max_slots = std::numeric_limits<std::int32_t>::max();  // 1 for a borrowed worker
    // Cores of its node it holds: min(active, cores).
    std::int32_t held() const { return std::min(active, cores); }
    // Container sharing (SimConfig::share_containers): a guest's host, and the guest a host lends to.
    std::optional<model::ContainerId> host, lent_to;
    std::uint32_t pos = 0;  // index in its function's loads
    bool lendable = false;  // ready, no host, lending to nobody, and the policy's lends() accepts it
  };

  // `lender` (may be null: nothing lends) answers lends() for the lendable counts; it outlives this.
  explicit ScalingState(std::size_t functions, const policy::ScalingPolicy* lender = nullptr)
      : functions_(functions), lender_(lender) {}

  // A container of `fn` on `node` starts (its start-up done at `ready_us`).
  void add(model::FunctionId fn, model::ContainerId id, model::NodeId node, std::int32_t slots, std::int32_t cores,
           model::Micros ready_us) {
    if (slots_.size() <= id) slots_.resize(id + 1);
    Slot& s = slots_[id];
    s = Slot{};
    s.tracked = true;
    s.function = fn;
    s.slots = slots;
    s.ready_us = ready_us;
    s.cores = cores;
    std::vector<policy::ContainerLoad>& list = functions_[fn].loads;
    s.pos = static_cast<std::uint32_t>(list.size());
    list.push_back(policy::ContainerLoad{id, node, s.active, s.slots, s.ready, s.max_slots, s.cores});
    relend(id);
    track(fn);
  }
  // Forgets a destroyed container; a no-op for containers the scaling path does not track.
  void remove(model::ContainerId id) {
    if (id >= slots_.size() || !slots_[id].tracked) return;
    std::vector<policy::ContainerLoad>& list = functions_[slots_[id].function].loads;
    list.erase(list.begin() + slots_[id].pos);
    for (std::size_t i = slots_[id].pos; i < list.size(); ++i) slots_[list[i].id].pos = static_cast<std::uint32_t>(i);
    if (slots_[id].lendable) count_lendable(slots_[id].function, -1);
    slots_[id].lendable = false;
    slots_[id].tracked = false;
  }
  bool tracked(model::ContainerId id) const { return id < slots_.size() && slots_[id].tracked; }
  const Slot& slot(model::ContainerId id) const { return slots_[id]; }

  // The mutators of a tracked container's state (each keeps its load in step).
  void set_ready(model::ContainerId id) {
    slots_[id].ready = true;
    load(id).ready = true;
    relend(id);
  }
  void set_slots(model::ContainerId id, std::int32_t slots) {
    slots_[id].slots = slots;
    load(id).slots = slots;
    relend(id);
  }
  void add_active(model::ContainerId id, std::int32_t delta) {
    slots_[id].active += delta;
    load(id).active = slots_[id].active;
    relend(id);
  }
  void set_max_slots(model::ContainerId id, std::int32_t max_slots) {
    slots_[id].max_slots = max_slots;
    load(id).max_slots = max_slots;
    relend(id);
  }
  void set_host(model::ContainerId id, model::ContainerId host) {
    slots_[id].host = host;
    relend(id);
  }
  void set_lent_to(model::ContainerId id, std::optional<model::ContainerId> guest) {
    slots_[id].lent_to = guest;
    relend(id);
  }
  // Whether the container could lend a worker now, by the rule above computed afresh (for checks).
  bool could_lend(model::ContainerId id) const {
    const Slot& s = slots_[id];
    return lender_ && s.tracked && s.ready && !s.lent_to && !s.host &&
           lender_->lends(functions_[s.function].loads[s.pos]);
  }
  // Containers of `fn` with Slot::lendable.
  std::int32_t lendable(model::FunctionId fn) const { return functions_[fn].lendable; }
  // visit(fn) for every function with lendable(fn) > 0, in tracked_functions() order, until visit returns
  // false. O(tracked / 4096 + words holding one + functions visited).
  template <class Visit>
  void for_each_lender(Visit&& visit) const {
    for (std::size_t s = 0; s < lender_summary_.size(); ++s)
      for (std::uint64_t sw = lender_summary_[s]; sw != 0; sw &= sw - 1) {
        const std::size_t w = s * 64 + static_cast<std::size_t>(__builtin_ctzll(sw));
        for (std::uint64_t bits = lender_bits_[w]; bits != 0; bits &= bits - 1)
          if (!visit(tracked_[w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits))])) return;
      }
  }

  // The function's containers as the policy sees them, oldest first.
  std::span<const policy::ContainerLoad> loads(model::FunctionId fn) const { return functions_[fn].loads; }
  std::deque<model::Invocation>& buffer(model::FunctionId fn) { return functions_[fn].buffer; }

  // Concurrency (running + buffered) of `fn` changes by `delta` at `now`.
  void change_concurrency(model::FunctionId fn, int delta, model::Micros now) {
    Function& f = functions_[fn];
    settle(f, now);
    f.concurrency += delta;
    track(fn);
  }
  // Cores held by `fn`'s containers change by `delta` at `now`.
  void change_cores(model::FunctionId fn, int delta, model::Micros now) {
    Function& f = functions_[fn];
    settle(f, now);
    f.cores += delta;
  }
  // Time-weighted means of `fn`'s concurrency and cores held since the previous call (or since `since`),
  // and restart.
  std::pair<double, double> take_means(model::FunctionId fn, model::Micros since, model::Micros now) {
    Function& f = functions_[fn];
    settle(f, now);
    const model::Micros from = std::max(since, f.window_start_us);
    const auto span = static_cast<double>(now - from);
    const double mean = now > from ? f.area / span : static_cast<double>(f.concurrency);
    const double cores = now > from ? f.cores_area / span : static_cast<double>(f.cores);
    f.area = 0;
    f.cores_area = 0;
    f.window_start_us = now;
    return {mean, cores};
  }
  std::int32_t concurrency(model::FunctionId fn) const { return functions_[fn].concurrency; }

  // Functions with containers or work since they were last untracked, in first-tracked order.
  const std::vector<model::FunctionId>& tracked_functions() const { return tracked_; }
  // Drops functions with no container and no concurrency from the tracked list.
  void untrack_quiet() {
    std::erase_if(tracked_, [&](model::FunctionId fn) {
      Function& f = functions_[fn];
      const bool quiet = f.loads.empty() && f.concurrency == 0 && f.area == 0 && f.cores_area == 0;
      if (quiet) f.is_tracked = false;
      return quiet;
    });
    // Positions moved: the lender bits afresh.
    std::fill(lender_bits_.begin(), lender_bits_.end(), 0);
    std::fill(lender_summary_.begin(), lender_summary_.end(), 0);
    for (std::size_t i = 0; i < tracked_.size(); ++i) {
      functions_[tracked_[i]].tracked_pos = static_cast<std::uint32_t>(i);
      if (functions_[tracked_[i]].lendable > 0) set_lender_bit(i, true);
    }
  }

  // loads(fn) derived afresh from the slots and the cluster's containers, into `out` (reused).
  void rebuild_loads(model::FunctionId fn, const Cluster& cluster, std::vector<policy::ContainerLoad>& out) const {
    out.clear();
    for (const policy::ContainerLoad& l : functions_[fn].loads) {
      const model::ContainerId id = l.id;
      const Slot& s = slots_[id];
      out.push_back(
          policy::ContainerLoad{id, cluster.container(id).node, s.active, s.slots, s.ready, s.max_slots, s.cores});
    }
  }

 private:
  struct Function {
    std::vector<policy::ContainerLoad> loads;  // its containers, oldest first
    std::deque<model::Invocation> buffer;
    std::int32_t concurrency = 0;
    std::int32_t lendable = 0;  // its containers with Slot::lendable
    std::int32_t cores = 0;  // held by its containers
    double area = 0;         // ∫ concurrency dt (µs) since window_start_us
    double cores_area = 0;   // ∫ cores dt (µs) since window_start_us
    model::Micros settled_us = 0;
    model::Micros window_start_us = 0;
    bool is_tracked = false;
    std::uint32_t tracked_pos = 0;  // its index in tracked_ while is_tracked
  };
  policy::ContainerLoad& load(model::ContainerId id) { return functions_[slots_[id].function].loads[slots_[id].pos]; }
  void relend(model::ContainerId id) {
    Slot& s = slots_[id];
    const bool now = could_lend(id);
    if (now != s.lendable) count_lendable(s.function, now ? 1 : -1);
    s.lendable = now;
  }
  // lendable(fn) += delta, keeping fn's lender bit (set while it is tracked and lendable > 0).
  void count_lendable(model::FunctionId fn, int delta) {
    Function& f = functions_[fn];
    const bool was = f.lendable > 0;
    f.lendable += delta;
    if (f.is_tracked && was != (f.lendable > 0)) set_lender_bit(f.tracked_pos, f.lendable > 0);
  }
  void set_lender_bit(std::size_t pos, bool on) {
    const std::size_t w = pos / 64;
    if (w >= lender_bits_.size()) {
      lender_bits_.resize(w + 1, 0);
      lender_summary_.resize(w / 64 + 1, 0);
    }
    const std::uint64_t bit = std::uint64_t{1} << (pos % 64);
    lender_bits_[w] = on ? lender_bits_[w] | bit : lender_bits_[w] & ~bit;
    const std::uint64_t sbit = std::uint64_t{1} << (w % 64);
    lender_summary_[w / 64] = lender_bits_[w] != 0 ? lender_summary_[w / 64] | sbit : lender_summary_[w / 64] & ~sbit;
  }
  void settle(Function& f, model::Micros now) {
    f.area += static_cast<double>(f.concurrency) * static_cast<double>(now - f.settled_us);
    f.cores_area += static_cast<double>(f.cores) * static_cast<double>(now - f.settled_us);
    f.settled_us = now;
  }
  void track(model::FunctionId fn) {
    Function& f = functions_[fn];
    if (f.is_tracked) return;
    f.is_tracked = true;
    f.tracked_pos = static_cast<std::uint32_t>(tracked_.size());
    tracked_.push_back(fn);
    if (f.lendable > 0) set_lender_bit(f.tracked_pos, true);
  }

  std::vector<Function> functions_;
  const policy::ScalingPolicy* lender_;
  std::vector<Slot> slots_;
  std::vector<model::FunctionId> tracked_;
  std::vector<std::uint64_t> lender_bits_;     // bit i: tracked_[i] has lendable > 0
  std::vector<std::uint64_t> lender_summary_;  // bit w: lender_bits_[w] != 0
};

}  // namespace hearth::sim
