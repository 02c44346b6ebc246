// Workload: the functions of a trace plus a stream of their invocations in arrival order.
// Readers stream: memory stays proportional to the number of functions plus one batch (about one
// minute) of invocations, never to the trace length.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/function_spec.h"
#include "model/invocation.h"
#include "model/time.h"

namespace hearth::trace {

class InvocationSource {
 public:
  virtual ~InvocationSource() = default;
  // Replaces `out` with the next batch of invocations: arrival times nondecreasing within the batch and
  // across batches, ids consecutive from 0. Returns false (and leaves `out` empty) at the end.
  // Malformed input discovered while streaming throws TraceError.
  virtual bool next_batch(std::vector<model::Invocation>& out) = 0;
  // Virtual time the trace spans (for progress reports); 0 when unknown.
  virtual model::Micros span_us() const { return 0; }
  // FaasCache's own float arrival time, in ms, of each invocation of the last batch (same order and
  // size), when the source computes it (Azure 2019 with TraceOptions::faascache and the uniform spread:
  // start + i·(60000/n) as Python evaluates it, so ties and the float clock match FaasCache's simulator
  // to the bit); nullptr otherwise (then arrival_us / 1000 stands in).
  virtual const std::vector<double>* faascache_arrival_ms() const { return nullptr; }
};

struct Workload {
  std::vector<model::FunctionSpec> functions;  // indexed by FunctionId
  std::unique_ptr<InvocationSource> invocations;
  std::string description;  // e.g. "azure2019 ../shared/traces/azure2019-500 (500 functions, 480 minutes)"
};

}  // namespace hearth::trace
