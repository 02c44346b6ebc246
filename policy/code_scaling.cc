#include "policy/code_scaling.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hearth::policy {

namespace {
constexpr std::size_t kCategories = static_cast<std::size_t>(model::Trigger::kOthers) + 1;
}

DemandStats::DemandStats(std::int32_t max_units, std::int32_t horizon_minutes)
    : max_units_(max_units), horizon_(horizon_minutes) {
  if (max_units < 1) throw std::invalid_argument("demand statistics: max_units must be >= 1");
  if (horizon_minutes < 0) throw std::invalid_argument("demand statistics: negative horizon");
  const std::size_t side = static_cast<std::size_t>(max_units) + 1;
  counts_.assign(kCategories * static_cast<std::size_t>(horizon_ + 1) * side * side, 0);
}

std::size_t DemandStats::index(model::Trigger c, std::int32_t t, std::int32_t a, std::int32_t r) const {
  const std::size_t side = static_cast<std::size_t>(max_units_) + 1;
  return ((static_cast<std::size_t>(c) * static_cast<std::size_t>(horizon_ + 1) + static_cast<std::size_t>(t)) * side +
          static_cast<std::size_t>(a)) * side + static_cast<std::size_t>(r);
}

void DemandStats::add_series(model::Trigger category, std::span<const std::int32_t> usage) {
  for (std::size_t m = 0; m < usage.size(); ++m) {
    if (usage[m] < 0) throw std::invalid_argument("demand statistics: negative usage at minute " + std::to_string(m));
    const std::int32_t a = std::min(usage[m], max_units_);
    for (std::int32_t t = 0; t <= horizon_ && m + static_cast<std::size_t>(t) < usage.size(); ++t) {
      const std::int32_t r = std::min(usage[m + static_cast<std::size_t>(t)], max_units_);
      ++counts_[index(category, t, a, r)];
    }
  }
}

double DemandStats::probability(model::Trigger category, std::int32_t t, std::int32_t r, std::int32_t a) const {
  if (r < 0 || r > max_units_) return 0;
  const std::int64_t total = observations(category, t, a);
  return total == 0 ? 0.0 : static_cast<double>(counts_[index(category, t, a, r)]) / static_cast<double>(total);
}

std::int64_t DemandStats::observations(model::Trigger category, std::int32_t t, std::int32_t a) const {
  if (t < 0 || t > horizon_ || a < 0 || a > max_units_) return 0;
  std::int64_t total = 0;
  for (std::int32_t x = 0; x <= max_units_; ++x) total += counts_[index(category, t, a, x)];
  return total;
}

std::vector<std::int32_t> on_demand_thresholds(const ThresholdParams& p) {
  std::vector<std::int32_t> th(static_cast<std::size_t>(p.codes));
  for (std::int32_t b = 1; b <= p.codes; ++b) th[static_cast<std::size_t>(b - 1)] = b * p.units_per_code + 1;
  return th;
}

std::vector<std::int32_t> fixed_thresholds(const ThresholdParams& p, double fraction) {
  if (!(fraction >= 0 && fraction <= 1)) throw std::invalid_argument("fixed threshold: fraction outside [0, 1]");
  std::vector<std::int32_t> th(static_cast<std::size_t>(p.codes));
  for (std::int32_t b = 1; b <= p.codes; ++b)
    th[static_cast<std::size_t>(b - 1)] =
        (b - 1) * p.units_per_code + static_cast<std::int32_t>(std::lround(fraction * p.units_per_code));
  return th;
}

std::vector<std::int32_t> learned_thresholds(const DemandStats& stats, model::Trigger category,
                                             const ThresholdParams& p) {
  if (p.prep_minutes < 1 || p.prep_minutes > stats.horizon())
    throw std::invalid_argument("learned thresholds: prep_minutes " + std::to_string(p.prep_minutes) +
                                " outside [1, the statistics' horizon " + std::to_string(stats.horizon()) + "]");
  std::vector<std::int32_t> th = on_demand_thresholds(p);
  for (std::int32_t b = 1; b <= p.codes; ++b) {
    const std::int32_t cap = b * p.units_per_code;
    if (cap > stats.max_units()) break;  // no statistics that high: on-demand
    for (std::int32_t a = (b - 1) * p.units_per_code; a <= cap; ++a) {
      if (stats.observations(category, 0, a) == 0) continue;
      double product = 1;
      for (std::int32_t t = 0; t <= p.prep_minutes; ++t) {
        if (stats.observations(category, t, a) == 0) continue;  // no evidence at this t: sufficient
        double sufficient = 0;
        for (std::int32_t r = 0; r <= cap; ++r) sufficient += stats.probability(category, t, r, a);
        product *= sufficient;
      }
      if (product < p.p0) {
        th[static_cast<std::size_t>(b - 1)] = a;
        break;
      }
    }
  }
  return th;
}

ThresholdArray::ThresholdArray(std::vector<std::int32_t> thresholds, const ThresholdParams& p)
    : th_(std::move(thresholds)), units_(p.units_per_code), increase_count_(p.increase_count) {
  if (units_ < 1) throw std::invalid_argument("threshold array: units_per_code must be >= 1");
  for (std::size_t i = 0; i < th_.size(); ++i) th_[i] = std::clamp(th_[i], low(i), high(i));
}

std::int32_t ThresholdArray::codes_wanted(std::int32_t usage, std::int32_t prepared) const {
  if (usage > prepared * units_) return prepared + 1;  // on demand
  if (prepared < 1) return prepared;
  const std::size_t i = static_cast<std::size_t>(prepared - 1);
  return i < th_.size() && usage >= th_[i] ? prepared + 1 : prepared;
}

void ThresholdArray::on_late(std::int32_t code) {
  if (code < 2) return;
  for (std::size_t i = static_cast<std::size_t>(code - 2); i < th_.size(); ++i) th_[i] = std::max(th_[i] - 1, low(i));
}

void ThresholdArray::on_early(std::int32_t code) {
  if (code < 2) return;
  const std::size_t from = static_cast<std::size_t>(code - 2);
  for (std::size_t i = from; i < th_.size() && i < from + static_cast<std::size_t>(increase_count_); ++i)
    th_[i] = std::min(th_[i] + 1, high(i));
}

CodeScalingKind parse_code_scaling(std::string_view name) {
  if (name == "ondemand") return CodeScalingKind::kOnDemand;
  if (name == "fixed") return CodeScalingKind::kFixed;
  if (name == "init") return CodeScalingKind::kInitialization;
  if (name == "adjust") return CodeScalingKind::kAdjustment;
  if (name == "scorpius") return CodeScalingKind::kScorpius;
  throw std::invalid_argument("unknown code scaling '" + std::string(name) +
                              "' (expected ondemand, fixed, init, adjust or scorpius)");
}

const char* code_scaling_name(CodeScalingKind k) {
  switch (k) {
    case CodeScalingKind::kOnDemand: return "ondemand";
    case CodeScalingKind::kFixed: return "fixed";
    case CodeScalingKind::kInitialization: return "init";
    case CodeScalingKind::kAdjustment: return "adjust";
    case CodeScalingKind::kScorpius: return "scorpius";
  }
  return "?";
}

ScalingOutcome replay_scaling(std::span<const std::int32_t> usage, ThresholdArray& array, bool adjust,
                              std::int32_t prep_minutes, std::int32_t keep_minutes) {
  if (prep_minutes < 1) throw std::invalid_argument("replay_scaling: prep_minutes must be >= 1");
  if (keep_minutes < 1) throw std::invalid_argument("replay_scaling: keep_minutes must be >= 1");
  struct Code {
    std::int64_t ready = 0;        // minute it is (or will be) ready
    std::int64_t last_needed = 0;  // last minute usage needed it (or when it was asked)
    bool judged = false;           // compared with its first need already
  };
  ScalingOutcome out;
  const auto judge = [&](std::int32_t code, std::int64_t ready, std::int64_t needed) {
    const double d = 60.0 * static_cast<double>(ready - needed);
    if (ready > needed) {
      ++out.late;
      out.latency += d * d;
      if (adjust) array.on_late(code);
    } else if (ready < needed) {
      ++out.early;
      out.storage += std::log1p(-d);
      if (adjust) array.on_early(code);
    } else {
      ++out.exact;
    }
  };
  const std::int32_t units = array.units();
  std::vector<Code> codes;  // codes[j] is code j + 2 (code 1 is the function's first start, not scaling)
  for (std::size_t mi = 0; mi < usage.size(); ++mi) {
    const auto m = static_cast<std::int64_t>(mi);
    const std::int32_t u = std::max(usage[mi], 0);
    const std::int32_t needed = (u + units - 1) / units;  // codes this minute's usage needs
    // Codes needed now: judge their first need; ask on demand for those missing (late by prep_minutes).
    for (std::int32_t code = 2; code <= needed; ++code) {
      const auto j = static_cast<std::size_t>(code - 2);
      if (j >= codes.size()) codes.push_back(Code{m + prep_minutes, m, false});
      Code& c = codes[j];
      if (!c.judged) {
        judge(code, c.ready, m);
        c.judged = true;
      }
      c.last_needed = m;
    }
    // Release codes above the need that no minute needed for keep_minutes (an unjudged one was early
    // by the whole time it was kept).
    while (!codes.empty() && static_cast<std::int32_t>(codes.size()) + 1 > needed &&
           m - codes.back().last_needed >= keep_minutes && codes.back().ready <= m) {
      if (!codes.back().judged) judge(static_cast<std::int32_t>(codes.size()) + 1, codes.back().ready, m);
      codes.pop_back();
    }
    // Proactive scaling: ask for the next code while the thresholds want more than are held or asked.
    const std::int32_t held = 1 + static_cast<std::int32_t>(codes.size());
    if (u > 0 && array.codes_wanted(u, held) > held) codes.push_back(Code{m + prep_minutes, m, false});
  }
  return out;
}

}  // namespace hearth::policy
