// Dispatcher: where the API hands an invocation for execution (the controller's placement + an invoker's
// container pool in the platform; a fake in tests). Implementations fill the ActivationRecord's timing,
// start kind, invoker, container, status, result and logs.
#pragma once

#include <chrono>
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

// Wall-clock µs since the epoch: the clock of activation records and of InvocationRequest::arrival_us.
inline std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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
