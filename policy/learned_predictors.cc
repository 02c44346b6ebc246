#include "policy/learned_predictors.h"

#include <stdexcept>
#include <string>

#include "policy/histogram_arrival_predictor.h"
#include "policy/learned_arrival_predictor.h"

namespace hearth::policy {
namespace {

using PT = ParamType;

std::vector<ParamDef> learned_params(bool prophet) {
  std::vector<ParamDef> p = {
      {"first_fit", PT::kDuration, "24h", "history seen before the first fit"},
      {"refit", PT::kDuration, "24h", "refit period (on all the history so far)"},
      {"rows", PT::kInt, "100000", "training rows sampled per fit (all functions, one global model)"},
      {"rounds", PT::kInt, "100", "boosting rounds (<= 200)"},
      {"depth", PT::kInt, "6", "tree depth"},
      {"eta", PT::kDouble, "0.1", "learning rate"},
      {"alpha", PT::kDouble, "0", "L1 regularisation of leaf weights"},
      {"objective", PT::kString, "reg:absoluteerror", "XGBoost objective (reg:absoluteerror = L1 loss)"},
  };
  if (prophet) {
    p.push_back({"bucket", PT::kInt, "10", "Prophet input resolution, minutes"});
    p.push_back({"growth", PT::kString, "linear", "Prophet trend: linear | logistic"});
    p.push_back({"cap", PT::kDouble, "2.0", "logistic capacity, multiple of the function's largest bucket"});
    p.push_back({"special_days", PT::kString, "none", "special days, 1-based, joined by '+' (e.g. 4), or none"});
    p.push_back({"window", PT::kInt, "0", "days either side of each special day"});
  }
  return p;
}

std::vector<std::int64_t> parse_days(const std::string& text, std::string_view spec) {
  std::vector<std::int64_t> days;
  if (text == "none") return days;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto plus = text.find('+', start);
    const std::string part = text.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    std::size_t used = 0;
    long long d = 0;
    try {
      d = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != part.size() || part.empty() || d < 1)
      throw std::invalid_argument("predictor '" + std::string(spec) + "': special_days: '" + part +
                                  "' is not a day number >= 1");
    days.push_back(d - 1);
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return days;
}

}  // namespace

const std::vector<PredictorInfo>& learned_predictor_infos() {
  static const std::vector<PredictorInfo> infos = {
      {"hybrid", "Incendio: Prophet components + recent counts into one gradient-boosted model (XGBoost, L1)",
       learned_params(true)},
      {"xgboost", "gradient boosting (XGBoost, L1) on recent counts only, no Prophet features", learned_params(false)},
      {"histogram", "hybrid histogram of idle minutes (Shahrad et al.): hazard x arrivals per active minute",
       {{"range", PT::kDuration, "4h", "histogram range"},
        {"min_samples", PT::kInt, "10", "idle times needed for a representative histogram"},
        {"max_cv", PT::kDouble, "2.0", "largest coefficient of variation of a representative histogram"}}},
  };
  return infos;
}

std::unique_ptr<ArrivalPredictor> make_learned_arrival_predictor(std::string_view text, const PolicyContext& ctx) {
  const std::string name = spec_name(text);
  const PredictorInfo* info = nullptr;
  for (const PredictorInfo& i : learned_predictor_infos())
    if (i.name == name) info = &i;
  if (!info) return nullptr;
  const PolicySpec spec = parse_policy_spec(text, info->params);
  const Params& p = spec.params;
  if (name == "histogram") {
    HybridHistogramParams h;
    h.range_us = p.get_duration("range");
    h.min_samples = p.get_int("min_samples");
    h.max_cv = p.get_double("max_cv");
    if (h.range_us < model::kMicrosPerMinute) throw std::invalid_argument("predictor 'histogram': range must be at least 1m");
    return std::make_unique<HistogramArrivalPredictor>(ctx.functions, h);
  }
  LearnedPredictorParams l;
  l.prophet_features = name == "hybrid";
  l.first_fit = p.get_duration("first_fit");
  l.refit_every = p.get_duration("refit");
  l.max_rows = p.get_int("rows");
  l.xgb.rounds = static_cast<int>(p.get_int("rounds"));
  l.xgb.max_depth = static_cast<int>(p.get_int("depth"));
  l.xgb.eta = p.get_double("eta");
  l.xgb.alpha = p.get_double("alpha");
  l.xgb.objective = p.get_string("objective");
  l.seed = ctx.seed;
  if (l.xgb.rounds < 1 || l.xgb.rounds > 200) throw std::invalid_argument("predictor '" + name + "': rounds must lie in 1..200");
  if (l.prophet_features) {
    l.bucket_minutes = static_cast<int>(p.get_int("bucket"));
    const std::string& growth = p.get_string("growth");
    if (growth == "logistic") l.growth = TrendGrowth::kLogistic;
    else if (growth != "linear")
      throw std::invalid_argument("predictor 'hybrid': growth must be linear or logistic, not '" + growth + "'");
    l.capacity_factor = p.get_double("cap");
    const std::vector<std::int64_t> days = parse_days(p.get_string("special_days"), text);
    const auto window = static_cast<int>(p.get_int("window"));
    if (window < 0) throw std::invalid_argument("predictor 'hybrid': window must be >= 0");
    if (!days.empty()) l.special_days.push_back({"special", days, window, window});
  }
  return std::make_unique<LearnedArrivalPredictor>(ctx.functions, std::move(l));
}

}  // namespace hearth::policy
