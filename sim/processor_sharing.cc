#include "sim/processor_sharing.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace hearth::sim {
namespace {
// Rounding slack in virtual work (µs): a job whose tag is this close to V is done. Far below the 1 µs
// resolution of instants, far above double's error on a busy period of days.
constexpr double kSlack = 1e-3;
}  // namespace

double ProcessorSharing::rate() const {
  const auto n = static_cast<std::int32_t>(heap_.size());
  return n <= cores_ ? 1.0 : static_cast<double>(cores_) / static_cast<double>(n);
}

void ProcessorSharing::advance(model::Micros now) {
  if (now <= at_) return;
  if (heap_.empty()) {
    virtual_ = 0;  // idle: restart the clock, keeping its values small
  } else {
    virtual_ += static_cast<double>(now - at_) * rate();
  }
  at_ = now;
}

void ProcessorSharing::add(std::uint32_t job, model::Micros work_us) {
  if (heap_.empty()) virtual_ = 0;
  heap_.push_back(Tag{virtual_ + static_cast<double>(work_us), job});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
}

std::optional<std::uint32_t> ProcessorSharing::pop_done() {
  if (heap_.empty() || heap_.front().finish > virtual_ + kSlack) return std::nullopt;
  std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
  const std::uint32_t job = heap_.back().job;
  heap_.pop_back();
  return job;
}

model::Micros ProcessorSharing::next_finish() const {
  if (heap_.empty()) return model::kNever;
  const double left = heap_.front().finish - virtual_;
  if (left <= kSlack) return at_;
  return at_ + static_cast<model::Micros>(std::ceil(left / rate() - kSlack));
}

}  // namespace hearth::sim
