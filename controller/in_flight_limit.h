// InFlightLimit: the bound on invocations in flight per namespace — accepted by the API and not yet ended
// (running, queued at an invoker or held at the controller) — past which the API refuses new invocations
// with 429 and OpenWhisk's message for its concurrent-invocations throttle, "Too many concurrent requests
// in flight (count: N, allowed: M)." (apache/openwhisk, common/scala/.../http/ErrorResponse.scala,
// Messages.tooManyConcurrentRequests; the controller's entitlement check answers it with TooManyRequests,
// 429). Excess load is thus queued up to the bound and refused beyond it, never by thrashing (issue 11).
// A Slot holds one unit of its namespace's count and gives it back once: on release() or when destroyed
// (a completion callback that owns it gives it back even if a dispatcher drops it uncalled).
// Thread-safe. `allowed` 0 means no bound.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hearth::controller {

class InFlightLimit : public std::enable_shared_from_this<InFlightLimit> {
 public:
  class Slot {
   public:
    Slot(std::shared_ptr<InFlightLimit> limit, std::string ns) : limit_(std::move(limit)), ns_(std::move(ns)) {}
    ~Slot() { release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    void release();

   private:
    std::shared_ptr<InFlightLimit> limit_;  // null once released
    std::string ns_;
  };

  explicit InFlightLimit(std::int64_t allowed) : allowed_(allowed) {}
  // One more invocation of `ns` in flight: its slot, or null (counting nothing) if `allowed` are in flight
  // already; `*count` is then how many are.
  std::shared_ptr<Slot> try_acquire(const std::string& ns, std::int64_t* count);
  std::int64_t in_flight(const std::string& ns) const;
  // Waits until no invocation of any namespace is in flight, or until `deadline`; true if none is.
  bool wait_idle(std::chrono::steady_clock::time_point deadline) const;
  std::int64_t allowed() const { return allowed_; }
  std::uint64_t refused() const;
  // OpenWhisk's message for a refusal at `count` in flight.
  std::string message(std::int64_t count) const;

 private:
  void give_back(const std::string& ns);
  const std::int64_t allowed_;
  mutable std::mutex mu_;
  mutable std::condition_variable idle_;  // notified when the last invocation in flight ends
  std::unordered_map<std::string, std::int64_t> counts_;
  std::uint64_t refused_ = 0;
};

}  // namespace hearth::controller
