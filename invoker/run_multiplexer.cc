#include "invoker/run_multiplexer.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>
#include <cstring>

namespace hearth::invoker {

bool RunMultiplexer::wait(int watch_fd, net::FrameClock::time_point until) {
  if (runs_.empty() && watch_fd < 0) return false;
  // A stack array covers the invoker's usual concurrency; more spill to the heap.
  constexpr std::size_t kOnStack = 33;
  pollfd stack[kOnStack];
  std::vector<pollfd> heap;
  pollfd* fds = stack;
  const std::size_t n = runs_.size() + 1;
  if (n > kOnStack) {
    heap.resize(n);
    fds = heap.data();
  }
  net::FrameClock::time_point wake = until;
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    fds[i] = pollfd{runs_[i]->fd(), POLLIN, 0};
    wake = std::min(wake, runs_[i]->deadline());
  }
  fds[runs_.size()] = pollfd{watch_fd, POLLIN, 0};  // a negative fd is ignored by poll
  int rc;
  while (true) {
    timespec left_ts{};
    if (wake != net::kNoDeadline) {
      const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(wake - net::FrameClock::now()).count();
      left_ts.tv_sec = static_cast<time_t>(std::max<std::int64_t>(0, left) / 1'000'000'000);
      left_ts.tv_nsec = static_cast<long>(std::max<std::int64_t>(0, left) % 1'000'000'000);
    }
    rc = ::ppoll(fds, n, wake != net::kNoDeadline ? &left_ts : nullptr, nullptr);
    if (rc >= 0) break;
    if (errno != EINTR) throw std::runtime_error(std::string("poll of the runs' replies failed: ") + std::strerror(errno));
  }
  const auto now = net::FrameClock::now();
  // Ended runs leave the set; the others keep their order (the next poll's, not an answer order).
  std::size_t kept = 0;
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    bool ended = false;
    if (fds[i].revents != 0) {
      ended = runs_[i]->step();
      if (ended) ++stepped_out_;
    }
    if (!ended && runs_[i]->deadline() <= now) {
      runs_[i]->expire();
      ended = true;
      ++expired_;
    }
    if (!ended) {
      if (kept != i) runs_[kept] = std::move(runs_[i]);
      ++kept;
    }
  }
  runs_.resize(kept);
  return watch_fd >= 0 && fds[n - 1].revents != 0;
}

}  // namespace hearth::invoker
