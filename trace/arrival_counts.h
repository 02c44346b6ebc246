// ArrivalCounts: a workload's invocations counted per minute per function (a dense minutes × functions
// matrix), the history Incendio's learned components train on (CRL's environments, seed 002 §VI-C).
// Reads the workload's invocation stream to its end (or to `max_minutes`); memory: minutes × functions
// counts (4 bytes each). Deterministic; the stream is consumed.
#pragma once

#include <cstdint>
#include <vector>

#include "model/function_spec.h"
#include "trace/workload.h"

namespace hearth::trace {

struct ArrivalCounts {
  std::int64_t minutes = 0;
  std::size_t functions = 0;
  std::vector<std::uint32_t> counts;  // counts[minute * functions + function]

  std::uint32_t at(std::int64_t minute, model::FunctionId fn) const {
    return counts[static_cast<std::size_t>(minute) * functions + fn];
  }
  // Invocations of `fn` over minutes [from, to).
  std::uint64_t total(model::FunctionId fn, std::int64_t from, std::int64_t to) const;
};

// Counts `workload`'s invocations by arrival minute; `max_minutes` > 0 stops there (later ones are not read).
ArrivalCounts count_arrivals(Workload& workload, std::int64_t max_minutes = 0);

}  // namespace hearth::trace
