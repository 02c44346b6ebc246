// CrlHistory: what CRL trains on (seed 002 §VI-C): the model's functions (the slots of its state and
// actions: their name, container size and priority), their arrivals per minute over the training part of
// a trace, and each function's priority as of the end of each minute: Incendio's priority model
// (policy/priority_model.h, the spec in priority_spec) over a Function Info Table (policy/
// function_info_table.h) seeded from the trace's specs and fed the trace's arrivals from its first minute,
// as the engines' greedy scheduler sees it at a decision (no completions: Init and Exec stay the specs'
// cold start and warm time). Built by the caller (`hearth incendio train` from a trace); plain data, no torch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/function_spec.h"
#include "model/time.h"
#include "trace/arrival_counts.h"

namespace hearth::crl {

struct CrlFunction {
  std::string name;  // matched against FunctionSpec::name at decision time
  model::MegaBytes memory_mb = 0;
  double cpu_cores = 0;
  double priority = 0;
};

struct CrlHistory {
  std::vector<CrlFunction> functions;  // priority: as of the end of the last minute
  std::string priority_spec;           // policy::make_priority_model's spec
  std::int64_t minutes = 0;
  std::vector<float> counts;       // counts[minute * functions.size() + slot]: arrivals in that minute
  std::vector<double> priorities;  // priorities[minute * functions.size() + slot]: at the end of that minute

  float at(std::int64_t minute, std::size_t slot) const {
    return counts[static_cast<std::size_t>(minute) * functions.size() + slot];
  }
  double priority(std::int64_t minute, std::size_t slot) const {
    return priorities[static_cast<std::size_t>(minute) * functions.size() + slot];
  }
  double max_priority() const;  // over every minute and slot (1 if none is positive)
};

// The CPU a function's container gets when the trace gives none: one core per 512 MB (§IV's normalisation).
inline double cores_for_memory(model::MegaBytes memory_mb) { return static_cast<double>(memory_mb) / 512.0; }

// The `max_functions` functions with the most arrivals over minutes [from, to) of `counts` (ties: lower
// id; functions without arrivals there are left out), most first.
std::vector<model::FunctionId> top_functions(const trace::ArrivalCounts& counts, std::int64_t from, std::int64_t to,
                                             std::size_t max_functions);
// The history of `chosen` over minutes [from, to): sizes from `specs` (cores by cores_for_memory),
// priorities by `priority_spec` as above (the table sees every arrival from minute 0, spread evenly over
// its minute, so Freq and Clock at `from` are what they were in the trace). Throws std::invalid_argument
// for an empty range, no functions or a bad priority spec.
CrlHistory make_history(std::span<const model::FunctionSpec> specs, std::span<const model::FunctionId> chosen,
                        const trace::ArrivalCounts& counts, std::int64_t from, std::int64_t to,
                        const std::string& priority_spec = "param2");

}  // namespace hearth::crl
