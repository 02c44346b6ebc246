// Time and size conventions shared by every layer.
// Time is int64 microseconds since trace or platform start; sizes are MB as int64. No floating time.
#pragma once

#include <cstdint>
#include <limits>

namespace hearth::model {

using Micros = std::int64_t;
using MegaBytes = std::int64_t;

inline constexpr Micros kMicrosPerMilli = 1'000;
inline constexpr Micros kMicrosPerSecond = 1'000'000;
inline constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr Micros kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr Micros kNever = std::numeric_limits<Micros>::max();

constexpr Micros millis(std::int64_t ms) { return ms * kMicrosPerMilli; }
constexpr Micros seconds(std::int64_t s) { return s * kMicrosPerSecond; }
constexpr Micros minutes(std::int64_t m) { return m * kMicrosPerMinute; }

}  // namespace hearth::model
