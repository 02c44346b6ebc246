// A Dispatcher for API and server tests: every invocation succeeds at once with its parameters as the
// result (no containers, no threads).
#pragma once

#include <functional>

#include "live/dispatcher.h"

namespace hearth::live {

// A successful record whose result echoes the request's parameters.
inline ActivationRecord echo_record(const InvocationRequest& req) {
  ActivationRecord r;
  r.id = req.activation_id;
  r.ns = req.action.ns;
  r.action = req.action.name;
  r.status = "success";
  r.result_json = req.params_json;
  return r;
}

class EchoDispatcher final : public Dispatcher {
 public:
  void dispatch(InvocationRequest req, std::function<void(ActivationRecord)> done) override { done(echo_record(req)); }
};

}  // namespace hearth::live
