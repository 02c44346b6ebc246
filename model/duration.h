// Durations as users write them ("250ms", "10s", "1.5m", "4h", "7d"), parsed into int64 microseconds.
// Shared by policy specs (policy/policy_spec.h) and workload specs (trace/burst_spec.h).
#pragma once

#include <string_view>

#include "model/time.h"

namespace hearth::model {

// Parses a non-negative duration with an optional unit suffix (us, ms, s, m or min, h, d); `default_unit`
// applies to a bare number. Throws std::invalid_argument saying what is wrong with `text`.
Micros parse_duration(std::string_view text, Micros default_unit);

}  // namespace hearth::model
