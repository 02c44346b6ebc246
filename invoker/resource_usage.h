// ResourceUsage: what a container's cgroup has counted so far (cumulative since the container started),
// read before and after one run to give the Function Info Table's measured CPU, Mem and I/O (Incendio,
// Table I of seed 002): cores = CPU time used during the run / its wall time; memory = the group's peak
// (memory.peak on cgroup v2, memory.max_usage_in_bytes on v1: the container's high-water mark, which is
// what its function needs); I/O share = bytes read and written during the run per second of the run,
// over kIoReferenceBytesPerSecond (100 MB/s, a commodity SSD's sequential rate), capped at 1.
#pragma once

#include <cstdint>

#include "model/time.h"

namespace hearth::invoker {

struct ResourceUsage {
  std::int64_t cpu_usec = 0;           // CPU time of the group's processes
  std::int64_t memory_peak_bytes = 0;  // the group's memory high-water mark
  std::int64_t io_bytes = 0;           // block I/O read + written (0 where not accounted)
  std::int64_t wall_us = 0;            // set by the caller on the second reading: the run's wall time
};

inline constexpr double kIoReferenceBytesPerSecond = 100e6;

struct MeasuredUse {
  double cores = 0;
  model::MegaBytes memory_mb = 0;
  double io_share = 0;
};

// One run's use from the readings before and after it (after.wall_us > 0).
MeasuredUse measured_use(const ResourceUsage& before, const ResourceUsage& after);

}  // namespace hearth::invoker
