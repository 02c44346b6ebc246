// PriorityModel: Incendio's function priority (§IV of seed 002): a number per function from its Function
// Info Table row (policy/function_info_table.h); higher = more important to keep warm and to run first.
// Factors (Table I) are normalised as §IV does, each a plain number in these units (normalised_factors):
//   cpu    cores                       mem    MB / 512 (512 MB ↔ 1 core, so 128 MB → 0.25)
//   io     block-I/O share in [0, 1]   size   input size in MB (2^20 bytes); 0 where the trace has none
//   init, exec, term   seconds         freq   arrivals per minute (the table's 10-minute window)
//   clock  minutes since the last arrival; 0 before the first arrival (unknown counts as 0)
//   linear     p = Σ w_i·X_i + ε, 0 ≤ w_i ≤ 1, Σ w_i = 1 (Eq. 2); ε ≥ 0 (default 0.01) keeps every
//              priority positive, so a knapsack never sees a worthless request
//   loglinear  log p = Σ_{positive} w_i·log(1 + X_i) − Σ_{inverse} w_i·log(1 + X_i) (Eq. 3 taken
//              logarithmically, weights as exponents); log(1 + X) so a 0 or unknown factor contributes 0
//              instead of −∞; p = exp(log p) > 0
// Named specs: param1..param3 (linear, Table IV's weights; size weight 0 as Table IV has no Size column),
// param4, param5 (log-linear, Table IV's signs, every factor Table IV lists weighted 1/8, size 0);
// `linear:cpu=..,mem=..,io=..,size=..,init=..,exec=..,term=..,freq=..,clock=..,eps=..` (omitted weights
// are 0) and `loglinear:cpu=-0.125,freq=+0.125,...` (sign = positive/inverse, |w| ≤ 1) for any other
// weights. docs/incendio.md ("Priority model") gives the reasons.
// Deterministic, no I/O. Cost: O(factors) per call.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

// Table I's factors, in the order weights and factor vectors use.
enum class PriorityFactor { kCpu, kMem, kIo, kSize, kInit, kExec, kTerm, kFreq, kClock };
inline constexpr std::size_t kPriorityFactors = 9;
using FactorVector = std::array<double, kPriorityFactors>;
// "cpu", "mem", "io", "size", "init", "exec", "term", "freq", "clock" (the spec keys).
const char* priority_factor_name(PriorityFactor f);
// A row's factors in the units above.
FactorVector normalised_factors(const FunctionInfo& row);

// Spec strings for given weights (what `hearth incendio fit-priority` writes); make_priority_model reads
// them back to the same model. loglinear weights are signed (negative = inverse factor).
std::string linear_spec(const FactorVector& weights, double eps);
std::string loglinear_spec(const FactorVector& signed_weights);

// The named and free-form specs with a one-line summary each (for `hearth policies`).
struct PriorityModelInfo {
  std::string name;
  std::string summary;
};
const std::vector<PriorityModelInfo>& all_priority_models();

}  // namespace hearth::policy
