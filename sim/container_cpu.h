// ContainerCpu: processor sharing inside the scaling path's containers that have a CPU quota
// (policy/scaling.h, ScalingPolicy::container_cores): a container's n running jobs each progress at
// min(1, cores / n) of a core, so a job past the quota stretches the others instead of being free. A
// job's work is its CPU time at full speed (µs). Per container it keeps the service each job has received
// since the container's jobs last ran out (the same for all of them: they progress together) and each
// job's finish mark (service at start + work); the next to finish has the smallest mark. Exact integer
// µs while n <= cores; otherwise a finish is rounded up to the next µs. The engine arms one completion
// event per container at a time (arm()); an event whose epoch is no longer armed is stale.
// Cost: add and pop O(log n); next_finish O(1).
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "model/container.h"
#include "model/time.h"

namespace hearth::sim {

class ContainerCpu {
 public:
  // Starts job `job` of `work_us` in container `id` (quota `cores`) at `now`.
  void add(model::ContainerId id, std::int32_t cores, model::Micros now, model::Micros work_us, std::uint32_t job);
  // When the container's first job finishes if nothing changes (model::kNever if it runs none).
  model::Micros next_finish(model::ContainerId id) const;
  // Removes the job that finishes first, at `now`, and returns it.
  std::uint32_t pop(model::ContainerId id, model::Micros now);
  std::size_t running(model::ContainerId id) const { return id < boxes_.size() ? boxes_[id].jobs.size() : 0; }
  // A new epoch for the container's next completion event; earlier epochs become stale.
  std::uint32_t arm(model::ContainerId id) { return ++box(id).epoch; }
  bool armed(model::ContainerId id, std::uint32_t epoch) const { return id < boxes_.size() && boxes_[id].epoch == epoch; }

 private:
  using Mark = std::pair<double, std::uint32_t>;  // (finish mark, job)
  struct Box {
    double service = 0;  // µs of service each running job has received since `service` was last reset
    model::Micros at_us = 0;
    std::int32_t cores = 1;
    std::uint32_t epoch = 0;
    std::priority_queue<Mark, std::vector<Mark>, std::greater<Mark>> jobs;
  };
  Box& box(model::ContainerId id) {
    if (boxes_.size() <= id) boxes_.resize(id + 1);
    return boxes_[id];
  }
  static double rate(const Box& b) {
    const auto n = static_cast<double>(b.jobs.size());
    return n <= b.cores ? 1.0 : b.cores / n;
  }
  static void settle(Box& b, model::Micros now);

  std::vector<Box> boxes_;
};

}  // namespace hearth::sim
