// FunctionTable: the policy layer's view of deployed actions on the live platform — one FunctionSpec
// (id, "namespace/action" name, memory, runtime) per action, ids dense from 0 in order of first
// invocation, as the policies index their state by FunctionId. An update that changes the memory limit
// is reflected in place. Not thread-safe (the dispatcher's lock guards it). O(log n) per lookup.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controller/store.h"
#include "model/function_spec.h"

namespace hearth::invoker {

class FunctionTable {
 public:
  // The id of `action`; `*added` tells whether it was new (the caller then announces it to its policies:
  // on_function_added, policy/placement.h).
  model::FunctionId id_of(const net::ActionRecord& action, bool* added);
  // The id of "namespace/action", or -1 if never seen.
  long find(const std::string& key) const;
  // A plain cold start (sandbox or zygote fork, runtime, init) of `id` took `init_us`: its spec's
  // cold_start_us becomes the mean of those measured (what the simulator's spec gives from the trace).
  void observe_cold_start(model::FunctionId id, model::Micros init_us);
  const std::vector<model::FunctionSpec>& specs() const { return specs_; }
  const model::FunctionSpec& operator[](model::FunctionId id) const { return specs_[id]; }

 private:
  std::vector<model::FunctionSpec> specs_;
  std::map<std::string, model::FunctionId> ids_;
  std::vector<std::int64_t> cold_starts_;  // by id: how many cold starts the mean holds
};

// The policy layer's runtime kind of an action kind ("python:3" → kPython, "nodejs:20" → kNodejs, else native).
model::RuntimeKind runtime_of(const std::string& kind);

}  // namespace hearth::invoker
