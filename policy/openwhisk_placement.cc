#include "policy/openwhisk_placement.h"

#include <numeric>

#include "model/stable_hash.h"

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

OpenWhiskPlacement::OpenWhiskPlacement(const PolicyContext& ctx)
    : n_(ctx.node_count), home_(ctx.functions.size()), step_(ctx.functions.size()), rng_(ctx.seed) {
  const std::vector<std::uint32_t> steps = pairwise_coprime_numbers_until(n_);
  for (const model::FunctionSpec& f : ctx.functions) {
    const std::uint64_t h = model::stable_hash(f.name);
    home_[f.id] = static_cast<std::uint32_t>(h % n_);
    step_[f.id] = steps.empty() ? 1 : steps[h % steps.size()];
  }
}

std::optional<model::NodeId> OpenWhiskPlacement::place(const model::Invocation&, const model::FunctionSpec& fn,
                                                        const model::ClusterView& view) {
  const auto nodes = view.nodes();
  const std::uint32_t n = static_cast<std::uint32_t>(nodes.size());
  if (n == 0) return std::nullopt;
  std::uint32_t index = home_[fn.id] % n;
  const std::uint32_t step = step_[fn.id];
  for (std::uint32_t probe = 0; probe < n; ++probe) {
    const model::NodeState& s = nodes[index];
    if (s.healthy && s.unreserved_mb() >= fn.memory_mb) return s.id;
    index = (index + step) % n;
  }
  std::uint32_t healthy = 0;
  for (const auto& s : nodes) healthy += s.healthy;
  if (healthy == 0) return std::nullopt;
  std::uint32_t pick = std::uniform_int_distribution<std::uint32_t>(0, healthy - 1)(rng_);
  for (const auto& s : nodes) {
    if (!s.healthy) continue;
    if (pick-- == 0) return s.id;
  }
  return std::nullopt;
}

}  // namespace hearth::policy
