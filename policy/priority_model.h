// PriorityModel: Incendio's function priority (§IV of seed 002): a number per function from its Function
// Info Table row (policy/function_info_table.h); higher = more important to keep warm and to run first.
// Factors are normalised as §IV does: memory in units of 512 MB (= 1 core), CPU in cores, times in
// seconds, Freq per minute, Clock in minutes (docs/incendio.md states every normalisation).
//   linear     p = Σ w_i·X_i + ε, 0 ≤ w_i ≤ 1, Σ w_i = 1 (Eq. 2)
//   loglinear  log p = Σ_{positive} w_i·log X_i − Σ_{inverse} w_i·log X_i (Eq. 3, taken logarithmically)
// Named specs: param1..param3 (linear, Table IV), param4, param5 (log-linear, Table IV);
// `linear:cpu=..,mem=..,...,eps=..` and `loglinear:cpu=+0.1,...` for any other weights.
// Deterministic, no I/O. Cost: O(factors) per call.
#pragma once

#include <memory>
#include <string_view>

#include "policy/function_info_table.h"

namespace hearth::policy {

class PriorityModel {
 public:
  virtual ~PriorityModel() = default;
  virtual std::string_view name() const = 0;
  virtual double priority(const FunctionInfo& row) const = 0;
};

// Builds a model from its spec. Throws std::invalid_argument naming the spec and the bad part.
std::unique_ptr<PriorityModel> make_priority_model(std::string_view spec);

}  // namespace hearth::policy
