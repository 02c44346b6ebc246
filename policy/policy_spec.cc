#include "policy/policy_spec.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace hearth::policy {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

bool parse_double(std::string_view s, double* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end && std::isfinite(*out);
}

void validate(const ParamDef& def, const std::string& value, std::string_view spec) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument("policy '" + std::string(spec) + "': parameter " + def.name + ": '" + value +
                                "' " + what);
  };
  switch (def.type) {
    case ParamType::kInt: {
      std::int64_t v;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size()) fail("is not an integer");
      break;
    }
    case ParamType::kDouble: {
      double v;
      if (!parse_double(value, &v)) fail("is not a number");
      break;
    }
    case ParamType::kDuration:
      try {
        parse_duration(value, model::kMicrosPerSecond);
      } catch (const std::invalid_argument&) {
        fail("is not a duration (e.g. 250ms, 10s, 10m, 4h)");
      }
      break;
    case ParamType::kString:
      if (value.empty()) fail("is empty");
      break;
  }
}

}  // namespace

const std::string& Params::raw(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::invalid_argument("no parameter '" + std::string(name) + "'");
  return it->second;
}

std::int64_t Params::get_int(std::string_view name) const {
  const std::string& s = raw(name);
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

double Params::get_double(std::string_view name) const {
  double v = 0;
  parse_double(raw(name), &v);
  return v;
}

model::Micros Params::get_duration(std::string_view name) const {
  return parse_duration(raw(name), model::kMicrosPerSecond);
}

const std::string& Params::get_string(std::string_view name) const { return raw(name); }

std::string spec_name(std::string_view text) { return trim(text.substr(0, text.find(':'))); }

PolicySpec parse_policy_spec(std::string_view text, const std::vector<ParamDef>& defs) {
  PolicySpec spec;
  spec.name = spec_name(text);
  if (spec.name.empty()) throw std::invalid_argument("policy '" + std::string(text) + "': empty name");
  for (const ParamDef& d : defs) spec.params.set(d.name, d.default_value);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  bool first = true;
  while (true) {
    const auto comma = rest.find(',');
    const std::string part = trim(rest.substr(0, comma));
    const auto eq = part.find('=');
    std::string key, value;
    if (eq == std::string::npos) {
      if (!first || defs.empty())
        throw std::invalid_argument("policy '" + std::string(text) + "': '" + part +
                                    "' must be key=value (only the first argument may be positional)");
      key = defs.front().name;
      value = part;
    } else {
      key = trim(std::string_view(part).substr(0, eq));
      value = trim(std::string_view(part).substr(eq + 1));
    }
    const ParamDef* def = nullptr;
    for (const ParamDef& d : defs)
      if (d.name == key) def = &d;
    if (!def) {
      std::string known;
      for (const ParamDef& d : defs) known += (known.empty() ? "" : ", ") + d.name;
      throw std::invalid_argument("policy '" + std::string(text) + "': unknown parameter '" + key + "'" +
                                  (known.empty() ? " (it takes none)" : " (parameters: " + known + ")"));
    }
    validate(*def, value, text);
    spec.params.set(key, value);
    first = false;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return spec;
}

}  // namespace hearth::policy
