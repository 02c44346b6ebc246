// A stable 64-bit FNV-1a hash for placement decisions keyed by function name (std::hash is not stable
// across library versions, and placement must be reproducible).
#pragma once

#include <cstdint>
#include <string_view>

namespace hearth::policy {

inline std::uint64_t stable_hash(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace hearth::policy
