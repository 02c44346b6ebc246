// Dispatcher: where the API hands an invocation for execution (the controller's placement + an invoker's
// container pool in the platform; a fake in tests). Implementations fill the ActivationRecord's timing,
// start kind, invoker, container, status, result and logs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "live/store.h"

namespace hearth::live {

struct InvocationRequest {
  ActionRecord action;
  std::string params_json;  // a JSON object
  std::string activation_id;
  std::int64_t arrival_us = 0;  // wall-clock µs since the epoch
};

// The record of `request` before it ran: its id, namespace and action, nothing else filled in.
inline ActivationRecord record_for(const InvocationRequest& request) {
  ActivationRecord rec;
  rec.id = request.activation_id;
  rec.ns = request.action.ns;
  rec.action = request.action.name;
  return rec;
}

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  // Runs the invocation and calls `done` exactly once with the finished record, from any thread.
  virtual void dispatch(InvocationRequest request, std::function<void(ActivationRecord)> done) = 0;
};

}  // namespace hearth::live
