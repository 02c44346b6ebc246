#include "sim/faascache_engine.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "policy/policy_spec.h"
#include "sim/faascache_histogram.h"
#include "sim/py_heap_list.h"

namespace hearth::sim {

const char* faascache_policy_name(FaasCachePolicy p) {
  switch (p) {
    case FaasCachePolicy::kGreedyDual: return "GD";
    case FaasCachePolicy::kTtl: return "TTL";
    case FaasCachePolicy::kLru: return "LRU";
    case FaasCachePolicy::kHistogram: return "HIST";
  }
  return "?";
}

FaasCacheKeepAlive parse_faascache_keepalive(std::string_view spec) {
  std::string name = policy::spec_name(spec);
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  FaasCacheKeepAlive k;
  std::vector<policy::ParamDef> defs;
  if (name == "gd" || name == "greedy-dual") {
    k.policy = FaasCachePolicy::kGreedyDual;
  } else if (name == "ttl") {
    k.policy = FaasCachePolicy::kTtl;
    defs.push_back({"ttl", policy::ParamType::kDuration, "10m", "idle time after which a container is purged"});
  } else if (name == "lru") {
    k.policy = FaasCachePolicy::kLru;
  } else if (name == "hist" || name == "hybrid-histogram") {
    k.policy = FaasCachePolicy::kHistogram;
  } else {
    throw std::invalid_argument("keep-alive '" + std::string(spec) +
                                "' has no FaasCache equivalent (with --semantics faascache use gd|greedy-dual, "
                                "ttl, lru or hist|hybrid-histogram)");
  }
  // Parameters are checked against FaasCache's own (a Hearth-only parameter is an error, not ignored).
  const std::size_t colon = spec.find(':');
  const std::string rest = colon == std::string_view::npos ? "" : std::string(spec.substr(colon));
  const policy::PolicySpec parsed = policy::parse_policy_spec(name + rest, defs);
  if (k.policy == FaasCachePolicy::kTtl) {
    k.ttl_us = parsed.params.get_duration("ttl");
    if (k.ttl_us < 0) throw std::invalid_argument("keep-alive '" + std::string(spec) + "': ttl must be >= 0");
  }
  return k;
}

namespace {

using model::FunctionId;
using model::Micros;
using model::MegaBytes;

constexpr std::uint32_t kNone = UINT32_MAX;

double to_ms(Micros us) { return static_cast<double>(us) / 1000.0; }

class FaasCacheEngine {
 public:
  FaasCacheEngine(trace::Workload& workload, const FaasCacheConfig& config)
      : workload_(workload),
        config_(config),
        keepalive_(parse_faascache_keepalive(config.keepalive)),
        hist_(workload.functions.size()),
        members_(workload.functions.size()),
        freq_sum_(workload.functions.size(), 0) {
    if (config.memory_mb <= 0) throw std::invalid_argument("faascache: memory pool must be positive");
    if (config.series_interval_us <= 0) throw std::invalid_argument("faascache: series interval must be positive");
    fns_.reserve(workload.functions.size());
    for (const model::FunctionSpec& f : workload.functions) {
      if (f.memory_mb <= 0)
        throw std::invalid_argument("faascache: function " + f.name + " has no memory size");
      Fn fn;
      fn.memory_mb = f.memory_mb;
      const Micros run_us = f.warm_us + f.cold_start_us;
      fn.warm_us = config.whole_ms ? f.warm_us / model::kMicrosPerMilli * model::kMicrosPerMilli : f.warm_us;
      fn.run_us = config.whole_ms ? run_us / model::kMicrosPerMilli * model::kMicrosPerMilli : run_us;
      fn.warm_ms = to_ms(fn.warm_us);
      fn.run_ms = to_ms(fn.run_us);
      // GD's cost is in FaasCache's unit (ms) so that priorities and the clock match its floats.
      fn.cost_per_mb = to_ms(fn.run_us - fn.warm_us) / static_cast<double>(f.memory_mb);
      fns_.push_back(fn);
    }
    result_.metrics = Metrics(workload.functions.size(), config.series_interval_us);
  }

  SimResult run() {
    const auto wall_start = std::chrono::steady_clock::now();
    const Micros span = workload_.invocations->span_us();
    std::vector<model::Invocation> batch;
    Micros last_progress = 0;
    while (workload_.invocations->next_batch(batch)) {
      const std::vector<double>* exact_ms = workload_.invocations->faascache_arrival_ms();
      if (exact_ms != nullptr && exact_ms->size() != batch.size()) exact_ms = nullptr;
      for (std::size_t k = 0; k < batch.size(); ++k) {
        const model::Invocation& inv = batch[k];
        if (inv.function >= fns_.size())
          throw std::invalid_argument("faascache: invocation of unknown function " + std::to_string(inv.function));
        const double t_ms = exact_ms != nullptr ? (*exact_ms)[k] : to_ms(inv.arrival_us);
        if (inv.arrival_us < now_ || t_ms < now_ms_)
          throw std::invalid_argument("faascache: invocations out of arrival order");
        advance(inv.arrival_us);
        now_ms_ = t_ms;
        activate(inv);
        if (config_.check_invariants) check_invariants();
      }
      if (config_.progress && span > 0 && now_ - last_progress >= span / 100) {
        last_progress = now_;
        config_.progress(static_cast<double>(now_) / static_cast<double>(span));
      }
    }
    const Micros end = std::max({span, now_, last_finish_});
    advance(end);
    result_.end_us = end;
    result_.total_memory_gb_s = used_mb_us_ / 1024.0 / model::kMicrosPerSecond;
    result_.idle_memory_gb_s = (used_mb_us_ - busy_mb_us_) / 1024.0 / model::kMicrosPerSecond;
    result_.peak_memory_mb = peak_mb_;
    result_.mean_memory_balance = 0;  // one pool
    result_.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (config_.progress) config_.progress(1.0);
    return std::move(result_);
  }

 private:
  struct Fn {
    MegaBytes memory_mb = 0;
    Micros warm_us = 0;  // a hit runs this long (Average)
    Micros run_us = 0;   // a miss runs this long (Maximum)
    double warm_ms = 0;  // the same in FaasCache's float ms
    double run_ms = 0;
    double cost_per_mb = 0;
  };
  // One container (FaasCache's Container). Index into boxes_; reused after removal.
  struct Box {
    FunctionId fn = 0;
    double last_access_ms = 0;    // FaasCache's last_access_t
    std::uint64_t frequency = 0;  // runs served by this container
    double finish_ms = 0;         // when its run ends, FaasCache's fin_t
    Micros finish_us = 0;         // the same in Hearth's clock (metrics)
    std::uint64_t run_seq = 0;    // when its run started: FaasCache's running_c (a dict) keeps this order
    bool running = false;
    std::uint32_t member_pos = 0;  // position in members_[fn]
  };
  // A running container, ordered by the end of its run (earliest on top of running_).
  struct Run {
    double finish_ms;
    std::uint64_t seq;
    std::uint32_t id;
    bool operator>(const Run& o) const { return finish_ms != o.finish_ms ? finish_ms > o.finish_ms : seq > o.seq; }
  };

  // Time passes from now_ to t: memory integral and the series samples at interval starts <= t.
  void advance(Micros t) {
    while (next_sample_ <= t) {
      MegaBytes busy = 0;
      for (const Run& r : running_)
        if (boxes_[r.id].finish_us > next_sample_) busy += fns_[boxes_[r.id].fn].memory_mb;
      result_.metrics.record_memory(next_sample_, static_cast<double>(used_mb_),
                                    static_cast<double>(used_mb_ - busy), 0);
      next_sample_ += config_.series_interval_us;
    }
    if (t > now_) {
      used_mb_us_ += static_cast<double>(used_mb_) * static_cast<double>(t - now_);
      now_ = t;
    }
  }

  void activate(const model::Invocation& inv) {
    const FunctionId f = inv.function;
    cleanup_finished();
    if (keepalive_.policy == FaasCachePolicy::kHistogram) {
      prewarm();
      hist_.observe(f, now_ms_);
    }
    std::uint32_t id = find_container(f);
    model::StartKind kind = model::StartKind::kWarm;
    Micros duration = fns_[f].warm_us;
    double duration_ms = fns_[f].warm_ms;
    if (id == kNone) {
      id = cache_miss(f);
      if (id == kNone) {
        result_.metrics.record_drop(inv, model::DropReason::kNoMemory);
        return;
      }
      kind = model::StartKind::kCold;
      duration = fns_[f].run_us;
      duration_ms = fns_[f].run_ms;
    }
    Box& box = boxes_[id];
    ++box.frequency;
    ++freq_sum_[f];
    box.running = true;
    box.finish_us = now_ + duration;
    box.finish_ms = now_ms_ + duration_ms;
    box.run_seq = next_run_seq_++;
    running_.push_back(Run{box.finish_ms, box.run_seq, id});
    std::push_heap(running_.begin(), running_.end(), std::greater<>());
    last_finish_ = std::max(last_finish_, box.finish_us);
    busy_mb_us_ += static_cast<double>(fns_[f].memory_mb) * static_cast<double>(duration);

    model::Invocation record = inv;
    record.exec_us = fns_[f].warm_us;
    result_.metrics.record_start(record, kind, now_, duration - fns_[f].warm_us);
    result_.metrics.record_completion(box.finish_us);

    box.last_access_ms = now_ms_;
    const double priority = calc_priority(id);
    for (std::uint32_t clone : members_[f]) pool_.set_priority(clone, priority);
    pool_.heapify();
  }

  // FaasCache's cleanup_finished: runs ending by now (now >= fin_t) free their containers, handled in
  // the order the runs started (running_c's order).
  void cleanup_finished() {
    finished_.clear();
    while (!running_.empty() && now_ms_ >= running_.front().finish_ms) {
      finished_.push_back(running_.front());
      std::pop_heap(running_.begin(), running_.end(), std::greater<>());
      running_.pop_back();
    }
    std::sort(finished_.begin(), finished_.end(), [](const Run& a, const Run& b) { return a.seq < b.seq; });
    for (const Run& r : finished_) {
      boxes_[r.id].running = false;
      if (keepalive_.policy == FaasCachePolicy::kHistogram && hist_.prewarm_ms(boxes_[r.id].fn) != 0) {
        remove_from_pool(r.id);
        ++result_.expirations;
      }
    }
    pool_.heapify();
  }

  // FaasCache's PreWarmContainers: load one container of every function predicted to arrive from now on.
  void prewarm() {
    hist_.prewarming(prewarming_);
    for (FunctionId f : prewarming_) {
      if (hist_.prewarm_ms(f) + hist_.last_seen_ms(f) >= now_ms_) add_to_pool(f);
    }
  }

  // FaasCache's find_container: the first idle container of f in pool (list) order, after the lazy purge.
  std::uint32_t find_container(FunctionId f) {
    candidates_.clear();
    for (std::uint32_t id : members_[f])
      if (!boxes_[id].running) candidates_.push_back(id);
    if (candidates_.empty()) return kNone;
    // In pool order as the list comprehension sees them (before any purge reshuffles the list).
    std::sort(candidates_.begin(), candidates_.end(),
              [&](std::uint32_t a, std::uint32_t b) { return pool_.position(a) < pool_.position(b); });
    if (keepalive_.policy == FaasCachePolicy::kTtl) {
      const double ttl_ms = to_ms(keepalive_.ttl_us);
      purge([&](const Box& b) { return b.last_access_ms + ttl_ms < now_ms_; });
      pool_.heapify();
    } else if (keepalive_.policy == FaasCachePolicy::kHistogram) {
      const double ttl_ms = hist_.ttl_ms(f);
      purge([&](const Box& b) { return b.last_access_ms + ttl_ms < now_ms_; });
    }
    return candidates_.empty() ? kNone : candidates_.front();
  }

  // Removes the expired candidates in (the original) pool order, FaasCache's kill list, each removal
  // re-heapifying; keeps the others in candidates_, in the same order.
  template <class Expired>
  void purge(Expired expired) {
    kill_.clear();
    std::size_t keep = 0;
    for (std::uint32_t id : candidates_) {
      if (expired(boxes_[id]))
        kill_.push_back(id);
      else
        candidates_[keep++] = id;
    }
    candidates_.resize(keep);
    for (std::uint32_t id : kill_) {
      remove_from_pool(id);
      ++result_.expirations;
    }
  }

  std::uint32_t cache_miss(FunctionId f) {
    if (used_mb_ + fns_[f].memory_mb > config_.memory_mb) evict(fns_[f].memory_mb);
    const std::uint32_t id = add_to_pool(f);
    if (id == kNone) return kNone;
    pool_.heapify();
    return id;
  }

  // FaasCache's Eviction: pop the heap, skipping running containers, until `size` MB are freed.
  void evict(MegaBytes size) {
    if (running_.size() == pool_.size()) return;  // all busy
    saved_.clear();
    victims_.clear();
    MegaBytes to_free = size;
    while (to_free > 0 && !pool_.empty()) {
      const double priority = pool_.priority_at(0);
      const std::uint32_t id = pool_.pop();
      if (boxes_[id].running) {
        saved_.push_back({priority, id});
      } else {
        victims_.push_back({priority, id});
        to_free -= fns_[boxes_[id].fn].memory_mb;
      }
    }
    for (const auto& [priority, id] : victims_) {
      used_mb_ -= fns_[boxes_[id].fn].memory_mb;
      ++result_.evictions;
    }
    for (const auto& [priority, id] : saved_) pool_.push(id, priority);
    if (!victims_.empty()) clock_ = victims_.back().first;
    for (const auto& [priority, id] : victims_) release(id);
  }

  // FaasCache's AddToPool: a new container of f accessed now, if it fits in free memory.
  std::uint32_t add_to_pool(FunctionId f) {
    const MegaBytes size = fns_[f].memory_mb;
    if (used_mb_ + size > config_.memory_mb) return kNone;
    used_mb_ += size;
    peak_mb_ = std::max(peak_mb_, used_mb_);
    std::uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<std::uint32_t>(boxes_.size());
      boxes_.emplace_back();
    }
    Box& box = boxes_[id];
    box = Box{};
    box.fn = f;
    box.last_access_ms = now_ms_;
    const double priority = calc_priority(id);  // before joining members_: its clones are the others
    box.member_pos = static_cast<std::uint32_t>(members_[f].size());
    members_[f].push_back(id);
    pool_.push(id, priority);
    ++result_.containers_created;
    return id;
  }

  // FaasCache's RemoveFromPool (never a running container), followed by its heapify.
  void remove_from_pool(std::uint32_t id) {
    if (boxes_[id].running) throw std::logic_error("faascache: removing a running container");
    pool_.remove(id);
    used_mb_ -= fns_[boxes_[id].fn].memory_mb;
    release(id);
    pool_.heapify();
  }

  // Forgets a container that has left the pool: its runs no longer count for its function.
  void release(std::uint32_t id) {
    Box& box = boxes_[id];
    std::vector<std::uint32_t>& m = members_[box.fn];
    const std::uint32_t last = m.back();
    m[box.member_pos] = last;
    boxes_[last].member_pos = box.member_pos;
    m.pop_back();
    freq_sum_[box.fn] -= box.frequency;
    free_.push_back(id);
  }

  // FaasCache's calc_priority (eq. 1 of the paper for GD).
  double calc_priority(std::uint32_t id) const {
    const Box& box = boxes_[id];
    if (keepalive_.policy == FaasCachePolicy::kGreedyDual)
      return clock_ + static_cast<double>(freq_sum_[box.fn]) * fns_[box.fn].cost_per_mb;
    return box.last_access_ms;
  }

  void check_invariants() const {
    if (!pool_.is_heap()) throw std::logic_error("faascache: pool is not a heap at t=" + std::to_string(now_));
    MegaBytes sum = 0;
    for (std::size_t i = 0; i < pool_.size(); ++i) sum += fns_[boxes_[pool_.item_at(i)].fn].memory_mb;
    if (sum != used_mb_ || used_mb_ > config_.memory_mb || used_mb_ < 0)
      throw std::logic_error("faascache: pool holds " + std::to_string(sum) + " MB, accounted " +
                             std::to_string(used_mb_) + " of " + std::to_string(config_.memory_mb) +
                             " MB at t=" + std::to_string(now_));
    for (const Run& r : running_)
      if (!pool_.contains(r.id))
        throw std::logic_error("faascache: a running container left the pool at t=" + std::to_string(now_));
  }

  trace::Workload& workload_;
  const FaasCacheConfig& config_;
  const FaasCacheKeepAlive keepalive_;
  FaasCacheHistogram hist_;
  std::vector<Fn> fns_;
  std::vector<Box> boxes_;
  std::vector<std::uint32_t> free_;
  PyHeapList pool_;                                  // FaasCache's ContainerPool: a list in heap layout
  std::vector<Run> running_;                         // FaasCache's running_c: a min-heap by end of run
  std::uint64_t next_run_seq_ = 0;
  std::vector<std::vector<std::uint32_t>> members_;  // function → its containers in the pool
  std::vector<std::uint64_t> freq_sum_;              // function → runs served by its live containers
  // Scratch vectors, kept to avoid allocating per invocation.
  std::vector<Run> finished_;
  std::vector<std::uint32_t> candidates_, kill_;
  std::vector<std::pair<double, std::uint32_t>> saved_, victims_;
  std::vector<FunctionId> prewarming_;
  double clock_ = 0;                                 // GD's clock
  MegaBytes used_mb_ = 0;
  MegaBytes peak_mb_ = 0;
  Micros now_ = 0;
  double now_ms_ = 0;  // FaasCache's wall_time (float ms): the clock every decision compares with
  Micros next_sample_ = 0;
  Micros last_finish_ = 0;
  double used_mb_us_ = 0;
  double busy_mb_us_ = 0;
  SimResult result_;
};

}  // namespace

SimResult run_faascache(trace::Workload& workload, const FaasCacheConfig& config) {
  if (!workload.invocations) throw std::invalid_argument("workload has no invocation source");
  FaasCacheEngine engine(workload, config);
  return engine.run();
}

}  // namespace hearth::sim
