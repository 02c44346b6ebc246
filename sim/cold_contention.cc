#include "sim/cold_contention.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

namespace hearth::sim {

ColdContention::ColdContention(std::size_t nodes, double k, model::Micros d_us) : k_(k), d_us_(d_us) {
  if (!std::isfinite(k) || k < 0)
    throw std::invalid_argument("--cold-contention must be a finite number >= 0 (got " + std::to_string(k) + ")");
  if (d_us < 0)
    throw std::invalid_argument("--cold-contention-ms must be >= 0 (got " + std::to_string(d_us) + " us)");
  if (enabled()) ends_.resize(nodes);
}

std::int32_t ColdContention::in_progress(model::NodeId node, model::Micros now) {
  if (!enabled()) return 0;
  std::vector<model::Micros>& h = ends_[node];
  while (!h.empty() && h.front() <= now) {
    std::pop_heap(h.begin(), h.end(), std::greater<>());
    h.pop_back();
  }
  return static_cast<std::int32_t>(h.size());
}

model::Micros ColdContention::begin(model::NodeId node, model::Micros now, model::Micros base_us) {
  if (!enabled()) return base_us;
  const std::int32_t others = in_progress(node, now);
  const auto cost = static_cast<model::Micros>(
                        std::llround(static_cast<double>(base_us) * (1.0 + k_ * static_cast<double>(others)))) +
                    d_us_ * others;
  std::vector<model::Micros>& h = ends_[node];
  h.push_back(now + cost);
  std::push_heap(h.begin(), h.end(), std::greater<>());
  return cost;
}

}  // namespace hearth::sim
