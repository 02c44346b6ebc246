#include "sim/sweep_grid.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>

#include "policy/registry.h"

namespace hearth::sim {
namespace {

std::string_view trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t");
  return first == std::string_view::npos ? std::string_view{} : s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

struct KeyInfo {
  const char* key;
  enum Kind { kPolicy, kPreset, kInteger, kCpuModel } kind;
  policy::PolicyKind policy = policy::PolicyKind::kPlacement;
  std::int64_t min = 0, max = 0;  // kInteger
};

const KeyInfo kKeys[] = {
    {"preset", KeyInfo::kPreset},
    {"placement", KeyInfo::kPolicy, policy::PolicyKind::kPlacement},
    {"keepalive", KeyInfo::kPolicy, policy::PolicyKind::kKeepAlive},
    {"prewarm", KeyInfo::kPolicy, policy::PolicyKind::kPrewarm},
    {"scheduler", KeyInfo::kPolicy, policy::PolicyKind::kScheduler},
    {"pool-manager", KeyInfo::kPolicy, policy::PolicyKind::kPoolManager},
    {"scaling", KeyInfo::kPolicy, policy::PolicyKind::kScaling},
    {"nodes", KeyInfo::kInteger, policy::PolicyKind::kPlacement, 1, 100000},
    {"node-memory-mb", KeyInfo::kInteger, policy::PolicyKind::kPlacement, 1, std::int64_t{1} << 40},
    {"node-cores", KeyInfo::kInteger, policy::PolicyKind::kPlacement, 1, 1 << 20},
    {"seed", KeyInfo::kInteger, policy::PolicyKind::kPlacement, 0, INT64_MAX},
    {"cpu-model", KeyInfo::kCpuModel},
};

std::string known_keys() {
  std::string out;
  for (const KeyInfo& k : kKeys) out += (out.empty() ? "" : ", ") + std::string(k.key);
  return out;
}

std::string where(const std::string& key, std::string_view value) {
  return "--sweep: " + key + "=" + std::string(value);
}

void check_value(const KeyInfo& k, const std::string& key, const std::string& value) {
  switch (k.kind) {
    case KeyInfo::kInteger: {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size() || v < k.min || v > k.max)
        throw std::invalid_argument(where(key, value) + ": not an integer in [" + std::to_string(k.min) + ", " +
                                    std::to_string(k.max) + "]");
      return;
    }
    case KeyInfo::kCpuModel:
      if (value != "shares" && value != "fifo")
        throw std::invalid_argument(where(key, value) + ": the CPU model is shares or fifo");
      return;
    case KeyInfo::kPreset:
      if (!policy::find_preset(value)) {
        std::string names;
        for (const policy::Preset& p : policy::all_presets()) names += (names.empty() ? "" : ", ") + p.name;
        throw std::invalid_argument(where(key, value) + ": unknown preset (presets: " + names + ")");
      }
      return;
    case KeyInfo::kPolicy: {
      const std::string name = value.substr(0, value.find(':'));
      if (name == "none" && k.policy != policy::PolicyKind::kPlacement && k.policy != policy::PolicyKind::kKeepAlive)
        return;
      std::string names;
      for (const policy::PolicyInfo& p : policy::all_policies()) {
        if (p.kind != k.policy) continue;
        if (p.name == name) return;
        names += (names.empty() ? "" : ", ") + p.name;
      }
      throw std::invalid_argument(where(key, value) + ": unknown " + key + " policy '" + name + "' (known: " + names +
                                  ")");
    }
  }
}

}  // namespace

std::vector<SweepDimension> parse_sweep(std::string_view text) {
  std::vector<SweepDimension> grid;
  if (trim(text).empty()) throw std::invalid_argument("--sweep: empty grid (e.g. 'nodes=8,16;keepalive=ttl,lru')");
  for (std::string_view dim : split(text, ';')) {
    dim = trim(dim);
    if (dim.empty()) continue;  // a trailing ';'
    const std::size_t eq = dim.find('=');
    if (eq == std::string_view::npos)
      throw std::invalid_argument("--sweep: '" + std::string(dim) + "' is not key=value,value,...");
    const std::string key(trim(dim.substr(0, eq)));
    const KeyInfo* info = nullptr;
    for (const KeyInfo& k : kKeys)
      if (key == k.key) info = &k;
    if (!info) throw std::invalid_argument("--sweep: unknown key '" + key + "' (keys: " + known_keys() + ")");
    if (std::any_of(grid.begin(), grid.end(), [&](const SweepDimension& d) { return d.key == key; }))
      throw std::invalid_argument("--sweep: key '" + key + "' given twice");
    SweepDimension d{key, {}};
    for (std::string_view piece : split(dim.substr(eq + 1), ',')) {
      piece = trim(piece);
      if (piece.empty()) throw std::invalid_argument("--sweep: " + key + " has an empty value");
      const bool parameter = info->kind == KeyInfo::kPolicy && piece.find('=') != std::string_view::npos &&
                             piece.find(':') == std::string_view::npos;
      if (parameter) {
        if (d.values.empty() || d.values.back().find(':') == std::string::npos)
          throw std::invalid_argument("--sweep: " + key + ": parameter '" + std::string(piece) +
                                      "' follows no policy spec with parameters (name:param=value,...)");
        d.values.back() += "," + std::string(piece);
        continue;
      }
      d.values.emplace_back(piece);
    }
    for (std::size_t i = 0; i < d.values.size(); ++i) {
      check_value(*info, key, d.values[i]);
      if (std::find(d.values.begin(), d.values.begin() + static_cast<std::ptrdiff_t>(i), d.values[i]) !=
          d.values.begin() + static_cast<std::ptrdiff_t>(i))
        throw std::invalid_argument(where(key, d.values[i]) + ": value given twice");
    }
    grid.push_back(std::move(d));
  }
  std::size_t points = 1;
  for (const SweepDimension& d : grid) {
    points *= d.values.size();
    if (points > kMaxSweepPoints)
      throw std::invalid_argument("--sweep: more than " + std::to_string(kMaxSweepPoints) + " points in the grid");
  }
  return grid;
}

std::vector<SweepPoint> sweep_points(const std::vector<SweepDimension>& grid) {
  std::vector<SweepPoint> points{SweepPoint{}};
  for (const SweepDimension& d : grid) {
    std::vector<SweepPoint> next;
    for (const SweepPoint& p : points)
      for (const std::string& v : d.values) {
        SweepPoint q = p;
        q.emplace_back(d.key, v);
        next.push_back(std::move(q));
      }
    points = std::move(next);
  }
  return points;
}

std::string sweep_point_name(const SweepPoint& point) {
  std::string name;
  for (const auto& [key, value] : point) name += (name.empty() ? "" : " ") + key + "=" + value;
  return name;
}

}  // namespace hearth::sim
