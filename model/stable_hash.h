// A stable 64-bit FNV-1a hash of a string: std::hash is not stable across library versions, and
// placement and trace conventions keyed by function name must be reproducible everywhere.
#pragma once

#include <cstdint>
#include <string_view>

namespace hearth::model {

inline std::uint64_t stable_hash(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace hearth::model
