// Policy specs: how a policy is named and parameterised on the command line, identically in
// `hearth sim` and `hearth up`:  NAME[:ARG][,key=value...] or NAME:key=value[,key=value...]
//   ttl:10m          ttl with its first parameter (ttl) = 10 minutes
//   greedy-dual      defaults
//   openwhisk:pause=10s,ttl=10m
// A positional ARG (no '=') sets the policy's first declared parameter.
// Durations accept us, ms, s, m, h suffixes (a bare number means the parameter's declared unit).
// Errors throw std::invalid_argument with a message naming the spec and the offending part.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/duration.h"
#include "model/time.h"

namespace hearth::policy {

enum class ParamType { kInt, kDouble, kDuration, kString };

struct ParamDef {
  std::string name;
  ParamType type = ParamType::kInt;
  std::string default_value;  // in the same syntax a user writes ("10m", "0.3", "MA/MC")
  std::string help;
};

// Parsed, validated parameter values, with defaults filled in.
class Params {
 public:
  std::int64_t get_int(std::string_view name) const;
  double get_double(std::string_view name) const;
  model::Micros get_duration(std::string_view name) const;
  const std::string& get_string(std::string_view name) const;

  void set(const std::string& name, const std::string& value) { values_[name] = value; }
  const std::map<std::string, std::string, std::less<>>& values() const { return values_; }

 private:
  const std::string& raw(std::string_view name) const;
  std::map<std::string, std::string, std::less<>> values_;
};

struct PolicySpec {
  std::string name;
  Params params;
};

// Splits "NAME[:rest]" and returns NAME.
std::string spec_name(std::string_view text);
// Parses `text` against the declared parameters (unknown keys and malformed values throw).
PolicySpec parse_policy_spec(std::string_view text, const std::vector<ParamDef>& defs);
// Parses a duration ("250ms", "10m", "4h", "1.5s"); `default_unit` applies to a bare number.
// Throws std::invalid_argument on malformed input.
using model::parse_duration;

}  // namespace hearth::policy
