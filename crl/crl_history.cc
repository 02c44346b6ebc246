#include "crl/crl_history.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

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

CrlHistory make_history(std::span<const model::FunctionSpec> specs, std::span<const model::FunctionId> chosen,
                        const trace::ArrivalCounts& counts, std::int64_t from, std::int64_t to) {
  to = std::min(to, counts.minutes);
  if (from < 0 || to <= from)
    throw std::invalid_argument("CRL history: empty minute range [" + std::to_string(from) + ", " +
                                std::to_string(to) + ") of a trace of " + std::to_string(counts.minutes) + " minutes");
  if (chosen.empty()) throw std::invalid_argument("CRL history: no functions with arrivals to learn from");
  CrlHistory h;
  for (model::FunctionId id : chosen) {
    const model::FunctionSpec& fn = specs[id];
    h.functions.push_back({fn.name, fn.memory_mb, cores_for_memory(fn.memory_mb), standin_priority(fn)});
  }
  h.minutes = to - from;
  h.counts.reserve(static_cast<std::size_t>(h.minutes) * chosen.size());
  for (std::int64_t m = from; m < to; ++m)
    for (model::FunctionId id : chosen) h.counts.push_back(static_cast<float>(counts.at(m, id)));
  return h;
}

}  // namespace hearth::crl
