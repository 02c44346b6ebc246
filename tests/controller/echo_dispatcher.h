// Dispatchers for API and server tests: EchoDispatcher succeeds every invocation at once with its
// parameters as the result (no containers, no threads); DeferredDispatcher keeps each completion until
// the test calls complete_all().
#pragma once

#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "invoker/dispatcher.h"

namespace hearth::controller {

// A successful record whose result echoes the request's parameters.
inline net::ActivationRecord echo_record(const net::InvocationRequest& req) {
  net::ActivationRecord r;
  r.id = req.activation_id;
  r.ns = req.action.ns;
  r.action = req.action.name;
  r.status = "success";
  r.result_json = req.params_json;
  return r;
}

class EchoDispatcher final : public invoker::Dispatcher {
 public:
  void dispatch(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) override { done(echo_record(req)); }
};

// Keeps each invocation's completion for the test to call later, from another thread.
class DeferredDispatcher final : public invoker::Dispatcher {
 public:
  void dispatch(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) override {
    std::lock_guard lock(mu);
    pending.emplace_back(echo_record(req), std::move(done));
  }
  void complete_all() {
    std::vector<std::pair<net::ActivationRecord, std::function<void(net::ActivationRecord)>>> now;
    {
      std::lock_guard lock(mu);
      now.swap(pending);
    }
    std::thread([&now] {
      for (auto& [r, done] : now) done(r);
    }).join();
  }
  std::mutex mu;
  std::vector<std::pair<net::ActivationRecord, std::function<void(net::ActivationRecord)>>> pending;
};

}  // namespace hearth::controller
