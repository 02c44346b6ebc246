#include "sim/container_cpu.h"

#include <cassert>
#include <cmath>

namespace hearth::sim {

void ContainerCpu::settle(Box& b, model::Micros now) {
  if (!b.jobs.empty()) b.service += static_cast<double>(now - b.at_us) * rate(b);
  b.at_us = now;
}

void ContainerCpu::add(model::ContainerId id, std::int32_t cores, model::Micros now, model::Micros work_us,
                       std::uint32_t job) {
  Box& b = box(id);
  if (b.jobs.empty()) b.service = 0;  // keeps the marks small (and integral while jobs run at full speed)
  settle(b, now);
  b.cores = cores;
  b.jobs.push(Mark{b.service + static_cast<double>(work_us), job});
}

model::Micros ContainerCpu::next_finish(model::ContainerId id) const {
  if (running(id) == 0) return model::kNever;
  const Box& b = boxes_[id];
  const double left = std::max(0.0, b.jobs.top().first - b.service);
  const double r = rate(b);
  if (r == 1.0) return b.at_us + static_cast<model::Micros>(left);  // integral: exact
  return b.at_us + static_cast<model::Micros>(std::ceil(left / r - 1e-6));
}

std::uint32_t ContainerCpu::pop(model::ContainerId id, model::Micros now) {
  Box& b = box(id);
  assert(!b.jobs.empty());
  settle(b, now);
  const std::uint32_t job = b.jobs.top().second;
  b.service = std::max(b.service, b.jobs.top().first);  // rounding: it is done now
  b.jobs.pop();
  return job;
}

}  // namespace hearth::sim
