// LeaderFollowers: threads that take turns reading one connection (Schmidt's Leader/Followers), what lets
// the invoker's wire reader run a warm invocation on its own thread — no hop to a worker — without a slow
// function stalling the connection. Exactly one thread, the leader, runs `lead`: it reads frames and may
// run a function itself. While it runs one it watches the connection (net::ReadWatch); when a frame
// arrives before the function ends, the watch calls hand_off(): a waiting follower (or a new thread, up
// to `max_threads`) becomes the leader and runs `lead` again, while the old leader finishes its function
// and then waits as a follower. When nothing arrives during a run (one connection, a fast function) no
// other thread wakes. If every thread is busy running functions (more than `max_threads` - 1 at once: the
// caller bounds its inline runs below that), the leadership waits for the first to finish.
// Cost: hand_off() is a mutex and, when a follower waits, one futex wake; a thread is started only when
// none waits. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::invoker {

class LeaderFollowers {
 public:
  explicit LeaderFollowers(std::size_t max_threads);
  ~LeaderFollowers();  // join()
  LeaderFollowers(const LeaderFollowers&) = delete;
  LeaderFollowers& operator=(const LeaderFollowers&) = delete;

  // A new leadership: a thread becomes the leader and calls `lead`, which returns either when the
  // connection ended or after it called hand_off() and finished what it was running. The caller must
  // not call start() again before the previous leadership's connection ended.
  void start(std::function<void()> lead);
  // From the leader: another thread becomes the leader and calls `lead` again.
  void hand_off();
  // No thread takes the leadership any more; threads exit once their `lead` returns.
  void stop();
  // stop(), then waits for every thread to exit (each returns from `lead` first). Idempotent.
  void join();
  std::size_t threads();    // started so far (at most max_threads)
  std::size_t hand_offs();  // hand_off() calls so far

 private:
  void follow();  // a thread's loop: wait for the leadership, lead, repeat
  void wake_one_locked();  // a follower takes the leadership, or a new thread (mu_ held)

  const std::size_t max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> lead_;
  bool wanted_ = false;  // the leadership is free: the next follower takes it
  bool stopping_ = false;
  std::size_t waiting_ = 0;  // followers waiting for the leadership
  std::size_t hand_offs_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace hearth::invoker
