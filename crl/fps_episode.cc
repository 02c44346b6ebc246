#include "crl/fps_episode.h"

#include <cassert>

namespace hearth::crl {
namespace {
constexpr double kCoreTolerance = 1e-9;  // as policy::knapsack_fits
}

FpsEpisode::FpsEpisode(std::span<const SlotInfo> slots, FpsInstance instance, double priority_scale)
    : slots_(slots),
      inst_(std::move(instance)),
      priority_scale_(priority_scale > 0 ? priority_scale : 1),
      selected_(slots.size(), 0),
      undecided_(inst_.pending),
      remaining_mb_(inst_.capacity_mb),
      remaining_cores_(inst_.capacity_cores) {
  assert(inst_.pending.size() == slots.size() && inst_.busy.size() == slots.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) pending_priority_ += slots_[i].priority * inst_.pending[i];
}

bool FpsEpisode::fits(std::size_t i) const {
  return undecided_[i] > 0 && slots_[i].memory_mb <= remaining_mb_ &&
         slots_[i].cpu_cores <= remaining_cores_ + kCoreTolerance;
}

void FpsEpisode::state(std::vector<float>& out) const {
  const std::size_t f = slots_.size();
  out.resize(state_size(f));
  const double mem0 = inst_.capacity_mb > 0 ? static_cast<double>(inst_.capacity_mb) : 1.0;
  const double cpu0 = inst_.capacity_cores > 0 ? inst_.capacity_cores : 1.0;
  float* o = out.data();
  for (std::size_t i = 0; i < f; ++i) {
    const SlotInfo& s = slots_[i];
    *o++ = inst_.pending[i] > 0 ? static_cast<float>(selected_[i]) / static_cast<float>(inst_.pending[i]) : 0.f;
    *o++ = static_cast<float>(undecided_[i] / kQueueScale);
    *o++ = inst_.busy[i] ? 1.f : 0.f;
    *o++ = fits(i) ? 1.f : 0.f;
    *o++ = static_cast<float>(s.priority / priority_scale_);
    *o++ = static_cast<float>(static_cast<double>(s.memory_mb) / mem0);
    *o++ = static_cast<float>(s.cpu_cores / cpu0);
  }
  *o++ = static_cast<float>(static_cast<double>(remaining_mb_) / mem0);
  *o++ = static_cast<float>(remaining_cores_ / cpu0);
}

void FpsEpisode::valid_actions(std::vector<std::uint8_t>& mask) const {
  const std::size_t f = slots_.size();
  mask.assign(action_count(f), 0);
  for (std::size_t i = 0; i < f; ++i) {
    mask[i] = fits(i) ? 1 : 0;
    mask[f + i] = (undecided_[i] > 0 && inst_.busy[i]) ? 1 : 0;
  }
}

bool FpsEpisode::done() const {
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (fits(i)) return false;
  return true;
}

double FpsEpisode::step(std::size_t action) {
  const std::size_t f = slots_.size();
  if (action < f) {
    assert(fits(action));
    ++selected_[action];
    --undecided_[action];
    remaining_mb_ -= slots_[action].memory_mb;
    remaining_cores_ -= slots_[action].cpu_cores;
    started_priority_ += slots_[action].priority;
  } else {
    const std::size_t i = action - f;
    assert(i < f && undecided_[i] > 0 && inst_.busy[i]);
    undecided_[i] = 0;
  }
  if (!done()) return 0;
  return pending_priority_ > 0 ? started_priority_ / pending_priority_ : 0;
}

}  // namespace hearth::crl
