// RunMultiplexer: one thread waiting for several runs at once — the invoker's wire reader driving the
// warm runs of a read batch (docs/warm-path.md, branch warm-inv6) instead of one worker thread sleeping
// on each runtime's pipe. A Run is a started run with a descriptor that becomes readable when it may have
// progressed (a runtime's reply pipe) and a deadline. wait() makes one poll over every run's descriptor
// and one more the caller watches (its wire socket), sleeping at most until the earliest deadline; then
// steps every run whose descriptor is ready and expires every run past its deadline. So runs end in the
// order their replies arrive, each exactly once; a run that never answers delays no other (it is expired
// at its own deadline, and until then the others are stepped as their replies come).
// poll, not epoll: the set changes with every run (≤ the invoker's concurrency, 8 by default), and one
// poll of a few descriptors costs less than an epoll_ctl per run added and removed.
// Not thread-safe: one thread owns it. A Run's step() and expire() run on that thread.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "net/frame_codec.h"

namespace hearth::invoker {

class RunMultiplexer {
 public:
  class Run {
   public:
    virtual ~Run() = default;
    virtual int fd() const = 0;  // readable (or hung up) when step() may make progress
    virtual net::FrameClock::time_point deadline() const = 0;
    virtual bool step() = 0;    // fd() polled ready: true when the run ended (it has answered)
    virtual void expire() = 0;  // its deadline passed: it ends now (and answers)
  };

  void add(std::unique_ptr<Run> run) { runs_.push_back(std::move(run)); }
  bool empty() const { return runs_.empty(); }
  std::size_t size() const { return runs_.size(); }

  // One poll over every run's descriptor and `watch_fd` (-1: none), sleeping at most until the earliest
  // run deadline or `until`; steps the runs that are ready, expires those past their deadline (ended runs
  // leave the set). Returns whether `watch_fd` polled readable (or hung up). With no runs and no
  // watch_fd, returns false at once.
  bool wait(int watch_fd, net::FrameClock::time_point until = net::kNoDeadline);
  // Runs ended so far by step() and by expire().
  std::size_t stepped_out() const { return stepped_out_; }
  std::size_t expired() const { return expired_; }

 private:
  std::vector<std::unique_ptr<Run>> runs_;
  std::size_t stepped_out_ = 0, expired_ = 0;
};

}  // namespace hearth::invoker
