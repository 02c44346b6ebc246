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

// SplitMix64: the next value of a small, portable, seeded generator (std::uniform_int_distribution is not
// the same across standard libraries, so seeded draws that must repeat everywhere use this).
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace hearth::model
