// The learned arrival predictors by name; the predictor registry (make_arrival_predictor, all_policies()
// in policy/registry.cc) includes them, so every engine and `hearth incendio predict-report` take them:
//   hybrid[:key=value,...]     Incendio's Prophet + gradient boosting (LearnedArrivalPredictor)
//   xgboost[:key=value,...]    gradient boosting on recent counts only
//   histogram[:key=value,...]  the hybrid histogram's idle-time hazard (HistogramArrivalPredictor)
// Parameters (policy_spec.h syntax):
//   hybrid, xgboost: first_fit (24h), refit (24h), rows (100000), rounds (100), depth (6), eta (0.1),
//     alpha (0), objective (reg:absoluteerror); hybrid also: bucket (10, minutes), growth (linear|logistic),
//     cap (2.0: logistic capacity as a multiple of the largest bucket), special_days ("none" or 1-based days
//     joined by '+', e.g. 4 or 4+11), window (0: days either side of each special day)
//   histogram: range (4h), min_samples (10), max_cv (2.0)
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "policy/arrival_predictor.h"
#include "policy/policy_spec.h"
#include "policy/registry.h"

namespace hearth::policy {

struct PredictorInfo {
  std::string name;
  std::string summary;
  std::vector<ParamDef> params;
};
const std::vector<PredictorInfo>& learned_predictor_infos();

// nullptr when the spec's name is none of the above; std::invalid_argument for a bad parameter.
std::unique_ptr<ArrivalPredictor> make_learned_arrival_predictor(std::string_view spec, const PolicyContext& ctx);

}  // namespace hearth::policy
