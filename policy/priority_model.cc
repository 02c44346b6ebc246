#include "policy/priority_model.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "policy/policy_spec.h"

namespace hearth::policy {
namespace {

constexpr double kSumTolerance = 1e-6;

// Table IV (seed 002), columns CPU, Memory, I/O, Init, Exec, Term, Freq, Clock; Size (not in Table IV) 0.
//                                   cpu   mem   io  size  init  exec  term  freq  clock
constexpr FactorVector kParam1 = {0.3, 0.3, 0.0, 0.0, 0.1, 0.1, 0.1, 0.05, 0.05};
constexpr FactorVector kParam2 = {0.1, 0.1, 0.1, 0.0, 0.2, 0.2, 0.2, 0.05, 0.05};
constexpr FactorVector kParam3 = {0.0, 0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2};
// Log-linear: Table IV gives only signs; every listed factor weighs 1/8 (equal weights, docs/incendio.md).
constexpr double kE = 1.0 / 8;
constexpr FactorVector kParam4 = {-kE, -kE, -kE, 0.0, +kE, +kE, +kE, +kE, +kE};
constexpr FactorVector kParam5 = {+kE, -kE, +kE, 0.0, -kE, -kE, -kE, +kE, +kE};

class LinearPriority final : public PriorityModel {
 public:
  LinearPriority(std::string name, const FactorVector& w, double eps) : name_(std::move(name)), w_(w), eps_(eps) {}
  std::string_view name() const override { return name_; }
  double priority(const FunctionInfo& row) const override {
    const FactorVector x = normalised_factors(row);
    double p = eps_;
    for (std::size_t i = 0; i < kPriorityFactors; ++i) p += w_[i] * x[i];
    return p;
  }

 private:
  std::string name_;
  FactorVector w_;
  double eps_;
};

class LogLinearPriority final : public PriorityModel {
 public:
  LogLinearPriority(std::string name, const FactorVector& signed_w) : name_(std::move(name)), w_(signed_w) {}
  std::string_view name() const override { return name_; }
  double priority(const FunctionInfo& row) const override {
    const FactorVector x = normalised_factors(row);
    double log_p = 0;
    for (std::size_t i = 0; i < kPriorityFactors; ++i) log_p += w_[i] * std::log1p(std::max(0.0, x[i]));
    return std::exp(log_p);
  }

 private:
  std::string name_;
  FactorVector w_;
};

std::vector<ParamDef> factor_defs(ParamType type, const std::string& help) {
  std::vector<ParamDef> defs;
  for (std::size_t i = 0; i < kPriorityFactors; ++i)
    defs.push_back({priority_factor_name(static_cast<PriorityFactor>(i)), type, "0", help});
  return defs;
}

std::string number(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  return std::string(buf, end);
}

ParamDef eps_def() { return {"eps", ParamType::kDouble, "0.01", "the constant epsilon of Eq. 2, >= 0"}; }

double parse_eps(const Params& p, std::string_view spec) {
  const double eps = p.get_double("eps");
  if (!(eps >= 0))
    throw std::invalid_argument("priority '" + std::string(spec) + "': eps " + number(eps) + " must be >= 0");
  return eps;
}

// "+0.125", "-0.125" or "0.125" (positive); the sign says positive or inverse factor.
double parse_signed_weight(const std::string& text, const char* key, std::string_view spec) {
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
    throw std::invalid_argument("priority '" + std::string(spec) + "': " + key + " '" + text +
                                "' is not a signed weight (e.g. +0.125 positive, -0.125 inverse)");
  if (std::fabs(v) > 1)
    throw std::invalid_argument("priority '" + std::string(spec) + "': " + key + " " + text +
                                " is outside [-1, 1] (Eq. 3: 0 <= w <= 1; the sign picks positive or inverse)");
  return v;
}

}  // namespace

const char* priority_factor_name(PriorityFactor f) {
  switch (f) {
    case PriorityFactor::kCpu: return "cpu";
    case PriorityFactor::kMem: return "mem";
    case PriorityFactor::kIo: return "io";
    case PriorityFactor::kSize: return "size";
    case PriorityFactor::kInit: return "init";
    case PriorityFactor::kExec: return "exec";
    case PriorityFactor::kTerm: return "term";
    case PriorityFactor::kFreq: return "freq";
    case PriorityFactor::kClock: return "clock";
  }
  return "factor";
}

FactorVector normalised_factors(const FunctionInfo& row) {
  const auto secs = [](model::Micros us) { return static_cast<double>(us) / model::kMicrosPerSecond; };
  FactorVector x{};
  x[std::size_t(PriorityFactor::kCpu)] = row.cpu_cores;
  x[std::size_t(PriorityFactor::kMem)] = static_cast<double>(row.memory_mb) / 512.0;
  x[std::size_t(PriorityFactor::kIo)] = row.io_share;
  x[std::size_t(PriorityFactor::kSize)] = row.input_bytes / (1024.0 * 1024.0);
  x[std::size_t(PriorityFactor::kInit)] = secs(row.init_us);
  x[std::size_t(PriorityFactor::kExec)] = secs(row.exec_us);
  x[std::size_t(PriorityFactor::kTerm)] = secs(row.term_us);
  x[std::size_t(PriorityFactor::kFreq)] = row.freq_per_min;
  x[std::size_t(PriorityFactor::kClock)] = row.since_last_arrival_us == model::kNever
                                               ? 0.0
                                               : static_cast<double>(row.since_last_arrival_us) / model::kMicrosPerMinute;
  return x;
}

std::unique_ptr<PriorityModel> make_priority_model(std::string_view text) {
  const std::string name = spec_name(text);
  const auto named_linear = [&](const FactorVector& w) {
    const PolicySpec spec = parse_policy_spec(text, {eps_def()});
    return std::make_unique<LinearPriority>(name, w, parse_eps(spec.params, text));
  };
  const auto named_loglinear = [&](const FactorVector& w) {
    parse_policy_spec(text, {});  // takes no parameters
    return std::make_unique<LogLinearPriority>(name, w);
  };
  if (name == "param1") return named_linear(kParam1);
  if (name == "param2") return named_linear(kParam2);
  if (name == "param3") return named_linear(kParam3);
  if (name == "param4") return named_loglinear(kParam4);
  if (name == "param5") return named_loglinear(kParam5);
  if (name == "linear") {
    std::vector<ParamDef> defs = factor_defs(ParamType::kDouble, "weight in [0, 1]");
    defs.push_back(eps_def());
    const PolicySpec spec = parse_policy_spec(text, defs);
    FactorVector w{};
    double sum = 0;
    for (std::size_t i = 0; i < kPriorityFactors; ++i) {
      const char* key = priority_factor_name(static_cast<PriorityFactor>(i));
      w[i] = spec.params.get_double(key);
      if (w[i] < 0 || w[i] > 1)
        throw std::invalid_argument("priority '" + std::string(text) + "': " + key + " " + number(w[i]) +
                                    " is outside [0, 1] (Eq. 2)");
      sum += w[i];
    }
    if (std::fabs(sum - 1) > kSumTolerance)
      throw std::invalid_argument("priority '" + std::string(text) + "': the weights sum to " + number(sum) +
                                  ", not 1 (Eq. 2)");
    return std::make_unique<LinearPriority>("linear", w, parse_eps(spec.params, text));
  }
  if (name == "loglinear") {
    const PolicySpec spec = parse_policy_spec(text, factor_defs(ParamType::kString, "signed weight, |w| <= 1"));
    FactorVector w{};
    bool any = false;
    for (std::size_t i = 0; i < kPriorityFactors; ++i) {
      const char* key = priority_factor_name(static_cast<PriorityFactor>(i));
      w[i] = parse_signed_weight(spec.params.get_string(key), key, text);
      any = any || w[i] != 0;
    }
    if (!any)
      throw std::invalid_argument("priority '" + std::string(text) +
                                  "': every weight is 0 (give at least one, e.g. loglinear:freq=+1)");
    return std::make_unique<LogLinearPriority>("loglinear", w);
  }
  std::string names;
  for (const PriorityModelInfo& m : all_priority_models()) names += (names.empty() ? "" : ", ") + m.name;
  throw std::invalid_argument("unknown priority model '" + name + "' (" + names + ")");
}

std::string linear_spec(const FactorVector& weights, double eps) {
  std::string s = "linear:";
  for (std::size_t i = 0; i < kPriorityFactors; ++i)
    s += std::string(priority_factor_name(static_cast<PriorityFactor>(i))) + "=" + number(weights[i]) + ",";
  return s + "eps=" + number(eps);
}

std::string loglinear_spec(const FactorVector& signed_weights) {
  std::string s = "loglinear:";
  for (std::size_t i = 0; i < kPriorityFactors; ++i)
    s += std::string(i ? "," : "") + priority_factor_name(static_cast<PriorityFactor>(i)) + "=" +
         (signed_weights[i] > 0 ? "+" : "") + number(signed_weights[i]);
  return s;
}

const std::vector<PriorityModelInfo>& all_priority_models() {
  static const std::vector<PriorityModelInfo> models = {
      {"param1", "Table IV linear: cpu 0.3, mem 0.3, init/exec/term 0.1, freq/clock 0.05 (eps=0.01)"},
      {"param2", "Table IV linear: cpu/mem/io 0.1, init/exec/term 0.2, freq/clock 0.05 (eps=0.01)"},
      {"param3", "Table IV linear: init/exec/term/freq/clock 0.2 (eps=0.01)"},
      {"param4", "Table IV log-linear: cpu/mem/io inverse, init/exec/term/freq/clock positive, each 1/8"},
      {"param5", "Table IV log-linear: cpu/io/freq/clock positive, mem/init/exec/term inverse, each 1/8"},
      {"linear", "Eq. 2 with given weights: linear:cpu=..,mem=..,io=..,size=..,init=..,exec=..,term=..,freq=..,"
                 "clock=..,eps=.. (weights in [0, 1] summing to 1; omitted = 0)"},
      {"loglinear", "Eq. 3 with given signed weights: loglinear:cpu=-0.1,freq=+0.2,... (|w| <= 1; "
                    "+ positive, - inverse; log(1 + X) per factor)"},
  };
  return models;
}

}  // namespace hearth::policy
