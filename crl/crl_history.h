// CrlHistory: what CRL trains on (seed 002 §VI-C): the model's functions (the slots of its state and
// actions: their name, container size and priority) and their arrivals per minute over the training part
// of a trace. Built by the caller (`hearth incendio train` from a trace); plain data, no torch.
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
  std::vector<CrlFunction> functions;
  std::int64_t minutes = 0;
  std::vector<float> counts;  // counts[minute * functions.size() + slot]: arrivals in that minute

  float at(std::int64_t minute, std::size_t slot) const {
    return counts[static_cast<std::size_t>(minute) * functions.size() + slot];
  }
};

// The CPU a function's container gets when the trace gives none: one core per 512 MB (§IV's normalisation).
inline double cores_for_memory(model::MegaBytes memory_mb) { return static_cast<double>(memory_mb) / 512.0; }

// STAND-IN for Incendio's priority model (policy::make_priority_model): a function's memory in 512 MB units
// times its cold start in seconds (what keeping it warm saves), floored at 1 ms of cold start so no
// function has priority 0. The model is on this branch now, but the plugin cannot link the non-PIC
// hearth_policy; replacing this (training: make_history; inference: CrlScheduler::on_function_added) needs
// policy/function_info_table.cc and policy/priority_model.cc compiled into the plugin, and a retrain.
inline double standin_priority(const model::FunctionSpec& fn) {
  const double cold_s = static_cast<double>(fn.cold_start_us) / 1e6;
  return static_cast<double>(fn.memory_mb) / 512.0 * (cold_s < 1e-3 ? 1e-3 : cold_s);
}

// The `max_functions` functions with the most arrivals over minutes [from, to) of `counts` (ties: lower
// id; functions without arrivals there are left out), most first.
std::vector<model::FunctionId> top_functions(const trace::ArrivalCounts& counts, std::int64_t from, std::int64_t to,
                                             std::size_t max_functions);
// The history of `chosen` over minutes [from, to): sizes from `specs` (cores by cores_for_memory),
// priorities by standin_priority. Throws std::invalid_argument for an empty range or no functions.
CrlHistory make_history(std::span<const model::FunctionSpec> specs, std::span<const model::FunctionId> chosen,
                        const trace::ArrivalCounts& counts, std::int64_t from, std::int64_t to);

}  // namespace hearth::crl
