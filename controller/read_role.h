// ReadRole: who reads one wire connection's frames (docs/warm-path.md, "fourth round"). Normally the
// connection's reader thread; but while nothing is in flight on the connection that thread parks, and
// the thread that sends the next invocation — an HTTP I/O thread whose blocking invoke would only wait
// for the result anyway — may take the role and read its own result (no hand-off from the reader
// thread: one wake-up fewer on the critical path). Exactly one thread holds the role at a time, so
// frames are read once each, in order, from one FrameReader.
// Contract:
// - thread_park(idle): the reader thread, between frames, with none buffered. It marks the role free and,
//   if idle() (checked under the role's lock after that, so a sender that raised the in-flight count
//   before taking the lock is seen), waits until a caller or wake_thread() hands the role back (kHanded)
//   or `tick` passes with the role still free (kTick: the thread holds it again and checks the socket,
//   e.g. for a heartbeat). Not idle: it keeps the role (kBusy). While a caller holds the role, the thread
//   waits for it to be handed back, however long.
// - caller_try_take(): a sender takes the role only if it is free (the thread is parked); then it must
//   call caller_release() once.
// - caller_release(idle, failure): the role goes back free when idle() and no failure, else to the thread
//   (woken); a failure (the read failed, the stream is not trustworthy) is kept for the thread.
// - wake_thread(): a sender that does not read (or the connection is going down) gives a free role back
//   to the thread and wakes it; a no-op otherwise, without taking the lock (the common case under load).
// idle() must read the in-flight count with sequential consistency.
// Thread-safe. Lock order: never take the dispatcher's lock while holding this one (idle() must not).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace hearth::controller {

class ReadRole {
 public:
  enum class Holder { kThread, kFree, kCaller };
  enum class Park { kBusy, kHanded, kTick };

  Park thread_park(const std::function<bool()>& idle, std::chrono::milliseconds tick);
  bool caller_try_take();
  void caller_release(const std::function<bool()>& idle, std::optional<std::string> failure = std::nullopt);
  void wake_thread();

  // The failure a caller left (the thread ends the connection with it), taken once.
  std::optional<std::string> take_failure();
  Holder holder() const;
  // How many times a caller took the role, and how many of those released it to the thread (tests, metrics).
  std::uint64_t caller_reads() const;
  std::uint64_t handed_back() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Written under mu_; read without it by wake_thread's fast path (seq_cst, against the in-flight count:
  // a sender raises the count then reads this; the thread stores kFree here then reads the count).
  std::atomic<Holder> holder_{Holder::kThread};
  std::optional<std::string> failure_;
  std::uint64_t caller_reads_ = 0, handed_back_ = 0;
};

}  // namespace hearth::controller
