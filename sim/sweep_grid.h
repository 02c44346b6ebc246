// SweepGrid: the parameter grid of `hearth sim --sweep`, parsed and checked before any simulation runs.
// Grammar: dimensions separated by ';', each `key=value,value,...`, e.g.
//   nodes=8,16,32;keepalive=ttl,greedy-dual
// Keys: preset, placement, keepalive, prewarm, scheduler, pool-manager, scaling (policy specs; a policy's
// own parameters keep their commas: in `placement=sophon:MA/MC,sample=10,openwhisk` the piece `sample=10`,
// a `name=value` without ':', continues the spec before it), nodes, node-memory-mb, node-cores, seed
// (integers), cpu-model (shares, fifo). Whitespace around pieces is ignored.
// An unknown key, an unknown policy or preset name, a malformed number, an empty or repeated key or value,
// or a grid of more than kMaxSweepPoints points is a std::invalid_argument naming the key and value.
// (A policy's parameters are checked when its runs build it.)
// Pure parsing; cost O(length of the text + points).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::sim {

inline constexpr std::size_t kMaxSweepPoints = 4096;

struct SweepDimension {
  std::string key;
  std::vector<std::string> values;
};

using SweepPoint = std::vector<std::pair<std::string, std::string>>;  // (key, value), in dimension order

std::vector<SweepDimension> parse_sweep(std::string_view text);

// Every combination, the last dimension varying fastest (nodes=8,16;keepalive=a,b: 8/a, 8/b, 16/a, 16/b).
std::vector<SweepPoint> sweep_points(const std::vector<SweepDimension>& grid);

// "key=value key=value": a point's name in tables and CSV files.
std::string sweep_point_name(const SweepPoint& point);

}  // namespace hearth::sim
