#include "invoker/resource_usage.h"

#include <algorithm>

namespace hearth::invoker {

MeasuredUse measured_use(const ResourceUsage& before, const ResourceUsage& after) {
  MeasuredUse m;
  if (after.wall_us <= 0) return m;
  const double seconds = static_cast<double>(after.wall_us) / 1e6;
  m.cores = static_cast<double>(std::max<std::int64_t>(0, after.cpu_usec - before.cpu_usec)) /
            static_cast<double>(after.wall_us);
  m.memory_mb = (after.memory_peak_bytes + (1 << 20) - 1) >> 20;  // rounded up: a partly used MB is used
  const double io_rate = static_cast<double>(std::max<std::int64_t>(0, after.io_bytes - before.io_bytes)) / seconds;
  m.io_share = std::min(1.0, io_rate / kIoReferenceBytesPerSecond);
  return m;
}

}  // namespace hearth::invoker
