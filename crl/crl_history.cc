#include "crl/crl_history.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "policy/function_info_table.h"
#include "policy/priority_model.h"

namespace hearth::crl {

std::vector<model::FunctionId> top_functions(const trace::ArrivalCounts& counts, std::int64_t from, std::int64_t to,
                                             std::size_t max_functions) {
  std::vector<std::uint64_t> totals(counts.functions, 0);
  for (std::int64_t m = std::max<std::int64_t>(from, 0); m < std::min(to, counts.minutes); ++m)
    for (std::size_t fn = 0; fn < counts.functions; ++fn) totals[fn] += counts.at(m, static_cast<model::FunctionId>(fn));
  std::vector<model::FunctionId> ids(counts.functions);
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](model::FunctionId a, model::FunctionId b) { return totals[a] > totals[b]; });
  std::size_t n = 0;
  while (n < ids.size() && n < max_functions && totals[ids[n]] > 0) ++n;
  ids.resize(n);
  return ids;
}

double CrlHistory::max_priority() const {
  double m = 0;
  for (double p : priorities) m = std::max(m, p);
  for (const CrlFunction& f : functions) m = std::max(m, f.priority);
  return m > 0 ? m : 1;
}

CrlHistory make_history(std::span<const model::FunctionSpec> specs, std::span<const model::FunctionId> chosen,
                        const trace::ArrivalCounts& counts, std::int64_t from, std::int64_t to,
                        const std::string& priority_spec) {
  to = std::min(to, counts.minutes);
  if (from < 0 || to <= from)
    throw std::invalid_argument("CRL history: empty minute range [" + std::to_string(from) + ", " +
                                std::to_string(to) + ") of a trace of " + std::to_string(counts.minutes) + " minutes");
  if (chosen.empty()) throw std::invalid_argument("CRL history: no functions with arrivals to learn from");
  std::unique_ptr<policy::PriorityModel> model;
  try {
    model = policy::make_priority_model(priority_spec);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("CRL history: priority: ") + e.what());
  }
  CrlHistory h;
  h.priority_spec = priority_spec;
  policy::FunctionInfoTable table;
  for (model::FunctionId id : chosen) {
    const model::FunctionSpec& fn = specs[id];
    table.on_function_added(fn);
    h.functions.push_back({fn.name, fn.memory_mb, cores_for_memory(fn.memory_mb), 0});
  }
  h.minutes = to - from;
  h.counts.reserve(static_cast<std::size_t>(h.minutes) * chosen.size());
  h.priorities.reserve(h.counts.capacity());
  for (std::int64_t m = 0; m < to; ++m) {
    const model::Micros start = m * model::kMicrosPerMinute;
    for (model::FunctionId id : chosen) {
      const std::uint32_t n = counts.at(m, id);
      for (std::uint32_t k = 0; k < n; ++k)
        table.on_arrival(id, start + static_cast<model::Micros>((k + 0.5) * static_cast<double>(model::kMicrosPerMinute) / n));
    }
    if (m < from) continue;
    const model::Micros end = start + model::kMicrosPerMinute - 1;
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      h.counts.push_back(static_cast<float>(counts.at(m, chosen[i])));
      const double p = model->priority(table.row(chosen[i], end));
      h.priorities.push_back(p);
      h.functions[i].priority = p;
    }
  }
  return h;
}

}  // namespace hearth::crl
