#include "trace/arrival_counts.h"

#include "model/time.h"

namespace hearth::trace {

std::uint64_t ArrivalCounts::total(model::FunctionId fn, std::int64_t from, std::int64_t to) const {
  std::uint64_t sum = 0;
  for (std::int64_t m = from; m < to && m < minutes; ++m) sum += at(m, fn);
  return sum;
}

ArrivalCounts count_arrivals(Workload& workload, std::int64_t max_minutes) {
  ArrivalCounts out;
  out.functions = workload.functions.size();
  std::vector<model::Invocation> batch;
  bool more = true;
  while (more && workload.invocations->next_batch(batch)) {
    for (const model::Invocation& inv : batch) {
      const std::int64_t minute = inv.arrival_us / model::kMicrosPerMinute;
      if (max_minutes > 0 && minute >= max_minutes) {
        more = false;
        break;
      }
      if (minute >= out.minutes) {
        out.minutes = minute + 1;
        out.counts.resize(static_cast<std::size_t>(out.minutes) * out.functions, 0);
      }
      ++out.counts[static_cast<std::size_t>(minute) * out.functions + inv.function];
    }
  }
  return out;
}

}  // namespace hearth::trace
