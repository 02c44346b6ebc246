// Dispatcher: where the API hands an invocation for execution (the controller's placement + an invoker's
// container pool in the platform; a fake in tests). Implementations fill the ActivationRecord's timing,
// start kind, invoker, container, status, result and logs.
// WaitsForResult: a caller that will only wait for the result anyway (the API's blocking invoke, on its
// HTTP I/O thread) says so for the next dispatch on this thread; a dispatcher may then read that result
// on the calling thread for a bounded time instead of waking another thread for it
// (RemoteDispatcher, docs/warm-path.md). The first dispatch takes it; nested or later ones do not.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "net/records.h"

namespace hearth::invoker {

// The longest a freshen hook may be given (the runtimes' MAX_HOOK_MS, docs/freshen.md).
inline constexpr std::int64_t kMaxFreshenTimeoutMs = 30'000;

class WaitsForResult {
 public:
  WaitsForResult() { flag() = true; }
  ~WaitsForResult() { flag() = false; }
  WaitsForResult(const WaitsForResult&) = delete;
  WaitsForResult& operator=(const WaitsForResult&) = delete;
  // Whether this thread's caller said so (and not yet taken): true at most once per scope.
  static bool take() { return std::exchange(flag(), false); }

 private:
  static bool& flag() {
    thread_local bool waits = false;
    return waits;
  }
};

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  // Runs the invocation and calls `done` exactly once with the finished record, from any thread.
  virtual void dispatch(net::InvocationRequest request, std::function<void(net::ActivationRecord)> done) = 0;
  // Starts `action`'s freshen hook (docs/freshen.md) in an idle container of it, if one is warm: no new
  // container, no invocation, nothing the policies see. Returns whether a hook was asked to start here
  // (a remote dispatcher: whether an invoker was asked). The default: this dispatcher cannot.
  virtual bool freshen(const net::ActionRecord& action, std::int64_t hook_timeout_ms) {
    (void)action, (void)hook_timeout_ms;
    return false;
  }
};

}  // namespace hearth::invoker
