// Dispatcher: where the API hands an invocation for execution (the controller's placement + an invoker's
// container pool in the platform; a fake in tests). Implementations fill the ActivationRecord's timing,
// start kind, invoker, container, status, result and logs.
#pragma once

#include <functional>

#include "net/records.h"

namespace hearth::invoker {

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  // Runs the invocation and calls `done` exactly once with the finished record, from any thread.
  virtual void dispatch(net::InvocationRequest request, std::function<void(net::ActivationRecord)> done) = 0;
};

}  // namespace hearth::invoker
