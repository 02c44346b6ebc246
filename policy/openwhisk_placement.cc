#include "policy/openwhisk_placement.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>
#include <utility>

#include "policy/openwhisk_hash.h"

namespace hearth::policy {

std::vector<std::uint32_t> pairwise_coprime_numbers_until(std::uint32_t n) {
  std::vector<std::uint32_t> primes;
  for (std::uint32_t cur = 1; cur <= n; ++cur) {
    if (std::gcd(cur, n) != 1) continue;
    bool coprime = true;
    for (std::uint32_t p : primes) coprime = coprime && std::gcd(p, cur) == 1;
    if (coprime) primes.push_back(cur);
  }
  return primes;
}

std::uint32_t managed_invokers(std::uint32_t n, double managed_fraction) {
  const double managed = std::ceil(static_cast<double>(n) * managed_fraction);
  return std::max<std::uint32_t>(1, static_cast<std::uint32_t>(managed));
}

StickySequence::StickySequence(const PolicyContext& ctx) : hash_namespace_(ctx.hash_namespace) {
  for (const model::FunctionSpec& f : ctx.functions) add(f);
}

void StickySequence::add(const model::FunctionSpec& fn) {
  if (hash_.size() <= fn.id) hash_.resize(fn.id + 1);
  hash_[fn.id] = openwhisk_function_hash(fn.name, hash_namespace_);
  if (steps_for_ != 0) {  // keep places_ whole (ids skipped over hash as 0)
    const std::size_t from = places_.size();
    places_.resize(hash_.size());
    for (std::size_t f = from; f < hash_.size(); ++f) places_[f] = place_of(static_cast<model::FunctionId>(f));
    places_[fn.id] = place_of(fn.id);
  }
}

StickySequence::Place StickySequence::place_of(model::FunctionId fn) const {
  // Java's % truncates toward zero, as C++'s does: only Int.MinValue gives a negative remainder.
  const std::int32_t h = hash_[fn];
  const std::int32_t home_index = h % static_cast<std::int32_t>(steps_for_);
  const std::int32_t step_index = h % static_cast<std::int32_t>(steps_.size());
  if (home_index < 0 || step_index < 0) return Place{-1, 0};
  return Place{home_index, steps_[static_cast<std::size_t>(step_index)]};
}

bool StickySequence::over(model::FunctionId fn, std::uint32_t n, std::uint32_t* home, std::uint32_t* step) {
  if (n == 0) return false;
  if (steps_for_ != n) {
    steps_ = pairwise_coprime_numbers_until(n);
    steps_for_ = n;
    places_.resize(hash_.size());
    for (std::size_t f = 0; f < hash_.size(); ++f) places_[f] = place_of(static_cast<model::FunctionId>(f));
  }
  const Place p = places_[fn];
  if (p.home < 0) return false;
  *home = static_cast<std::uint32_t>(p.home);
  *step = p.step;
  return true;
}

std::optional<model::NodeId> random_healthy_node(const model::ClusterView& view, std::uint32_t pool,
                                                 std::mt19937_64& rng) {
  const auto nodes = view.nodes().first(std::min<std::size_t>(pool, view.nodes().size()));
  const std::uint32_t healthy = view.healthy_nodes(static_cast<std::uint32_t>(nodes.size()));
  if (healthy == 0) return std::nullopt;
  std::uint32_t pick = std::uniform_int_distribution<std::uint32_t>(0, healthy - 1)(rng);
  if (healthy == nodes.size()) return nodes[pick].id;  // every node healthy: the pick-th, without a scan
  for (const auto& s : nodes) {
    if (!s.healthy) continue;
    if (pick-- == 0) return s.id;
  }
  return std::nullopt;
}

namespace {

// x with (x · a) mod m = 1, for a coprime with m (m >= 1).
std::uint64_t inverse_mod(std::uint64_t a, std::uint64_t m) {
  std::int64_t r0 = static_cast<std::int64_t>(m), r1 = static_cast<std::int64_t>(a % m);
  std::int64_t t0 = 0, t1 = 1;
  while (r1 != 0) {
    const std::int64_t q = r0 / r1;
    std::tie(r0, r1) = std::make_pair(r1, r0 - q * r1);
    std::tie(t0, t1) = std::make_pair(t1, t0 - q * t1);
  }
  const auto mm = static_cast<std::int64_t>(m);
  return static_cast<std::uint64_t>(((t0 % mm) + mm) % mm);
}

// Probes tried one by one before asking the view whether any node has room: enough that a cluster with
// room on a fair share of its nodes never asks.
constexpr std::uint32_t kDirectProbes = 8;
// Pools up to this size are then probed one by one to their end (a probe is one node's state, already
// near in cache: cheaper than the view's O(log n) per node with room when many have room but the
// function's first ones are full, e.g. behind a function that fills a quarter of the cluster); larger
// pools ask the view for every node with room.
constexpr std::uint32_t kDirectPool = 1024;

}  // namespace

OpenWhiskPlacement::OpenWhiskPlacement(const PolicyContext& ctx, double managed_fraction, Overload overload)
    : managed_(managed_fraction), overload_(overload), sequence_(ctx), rng_(ctx.seed) {}

std::optional<model::NodeId> OpenWhiskPlacement::place(const model::Invocation&, const model::FunctionSpec& fn,
                                                        const model::ClusterView& view) {
  const auto nodes = view.nodes();
  if (nodes.empty()) return std::nullopt;
  const std::uint32_t pool = managed_invokers(static_cast<std::uint32_t>(nodes.size()), managed_);
  std::uint32_t index = 0, step = 1;
  if (!sequence_.over(fn.id, pool, &index, &step)) return std::nullopt;
  // The first node of the probe sequence home, home+step, … with room. The first probes one by one; then,
  // if the view has a node with room, the rest of a small pool one by one, or, in a large one, among the
  // nodes the view reports with room, the one earliest in the sequence: node (home + k·step) mod pool
  // sits at position k = (node − home) · step⁻¹ mod pool.
  const std::uint32_t home = index;
  const std::uint32_t direct = std::min(pool, kDirectProbes);
  const auto has_room = [&](std::uint32_t i) { return nodes[i].healthy && nodes[i].unreserved_mb() >= fn.memory_mb; };
  const auto next = [&](std::uint32_t i) { return i + step >= pool ? i + step - pool : i + step; };  // step < pool
  for (std::uint32_t probe = 0; probe < direct; ++probe) {
    if (has_room(index)) return nodes[index].id;
    index = next(index);
  }
  if (pool > direct) {
    bool any = false;  // O(log n) in the simulator
    view.for_each_node_with_room(fn.memory_mb, pool, [&](model::NodeId) { return any = true, false; });
    if (any && pool <= kDirectPool) {
      for (std::uint32_t probe = direct; probe < pool; ++probe) {
        if (has_room(index)) return nodes[index].id;
        index = next(index);
      }
    } else if (any) {
      const std::uint64_t inverse = inverse_mod(step, pool);
      std::uint64_t best = pool;
      model::NodeId best_node = 0;
      view.for_each_node_with_room(fn.memory_mb, pool, [&](model::NodeId node) {
        const std::uint64_t k = (static_cast<std::uint64_t>(node) + pool - home) % pool * inverse % pool;
        if (k < best) {
          best = k;
          best_node = node;
        }
        return true;
      });
      if (best < pool) return nodes[best_node].id;
    }
  }
  if (overload_ == Overload::kWait) {
    if (view.healthy_nodes(pool) > 0) return kHoldAtController;
    return std::nullopt;
  }
  return random_healthy_node(view, pool, rng_);
}

}  // namespace hearth::policy
