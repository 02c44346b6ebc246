#include "net/frame_codec.h"

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "net/little_endian.h"

namespace hearth::net {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

// Waits until `fd` has `events` or `deadline` passes: kOk, kTimeout or kError (errno set). With a
// `watch` not yet fired, its descriptor is polled too: when it is ready its callback runs once and the
// wait goes on for `fd` alone.
FrameStatus wait_for(int fd, short events, FrameClock::time_point deadline, ReadWatch* watch = nullptr) {
  while (true) {
    // To the nanosecond (ppoll): a deadline under a millisecond away (a sender reading its own result,
    // controller/read_role.h) must not round down to "now".
    timespec left_ts{};
    if (deadline != kNoDeadline) {
      const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - FrameClock::now()).count();
      if (left <= 0) return FrameStatus::kTimeout;
      left_ts.tv_sec = static_cast<time_t>(left / 1'000'000'000);
      left_ts.tv_nsec = static_cast<long>(left % 1'000'000'000);
    }
    const bool watching = watch && !watch->fired && watch->fd >= 0;
    pollfd pfd[2] = {{fd, events, 0}, {watching ? watch->fd : -1, POLLIN, 0}};
    const int rc = ::ppoll(pfd, watching ? 2 : 1, deadline != kNoDeadline ? &left_ts : nullptr, nullptr);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return FrameStatus::kError;
    if (watching && pfd[1].revents != 0) {
      watch->fired = true;
      if (watch->ready) watch->ready();
    }
    if (pfd[0].revents != 0) return FrameStatus::kOk;  // ready, or POLLHUP/POLLERR: the read/write says which
  }
}

// Polls `fd` for `events` (and the watch, as wait_for does) without blocking until it is ready (true) or
// the spin's budget has passed (false), yielding the core between polls.
bool spin_for(int fd, short events, const AdaptiveSpin& spin, ReadWatch* watch) {
  auto until = FrameClock::now() + std::chrono::microseconds(spin.budget_us());
  const auto contended = std::chrono::microseconds(spin.contended_yield_us());
  while (true) {
    const bool watching = watch && !watch->fired && watch->fd >= 0;
    pollfd pfd[2] = {{fd, events, 0}, {watching ? watch->fd : -1, POLLIN, 0}};
    const int rc = ::poll(pfd, watching ? 2 : 1, 0);
    if (rc > 0 && watching && pfd[1].revents != 0) {
      watch->fired = true;
      if (watch->ready) watch->ready();
    }
    if (rc > 0 && pfd[0].revents != 0) return true;
    if (rc < 0 && errno != EINTR) return false;  // the blocking wait that follows reports it
    const auto now = FrameClock::now();
    if (now >= until) return false;
    // A loaded machine runs whatever else is ready on this core (the peer this thread waits for, perhaps)
    // instead; an idle one returns at once. When another thread did run, the core is contended: a
    // spinning thread would wait behind others' time slices where a sleeping one is woken ahead of them,
    // so it polls once more and then sleeps.
    sched_yield();
    if (contended.count() > 0 && FrameClock::now() - now > contended) until = now;
  }
}

std::uint32_t decode_length(const char* p) { return load_le<std::uint32_t>(p); }

}  // namespace

void append_frame(std::string& out, std::string_view payload) {
  if (payload.size() > 0xffffffffu) throw std::length_error("frame payload over 4 GiB");
  const auto n = static_cast<std::uint32_t>(payload.size());
  char header[4];
  store_le(header, n);
  out.reserve(out.size() + 4 + payload.size());
  out.append(header, 4);
  out.append(payload);
}

FrameReader::FrameReader(std::size_t max_payload) : max_payload_(max_payload) {}

void FrameReader::set_max_payload(std::size_t max_payload) { max_payload_ = max_payload; }

void FrameReader::compact() {
  if (start_ == end_) {
    start_ = end_ = 0;
    if (buf_.size() > 4 * kReadChunk && buf_.size() > 2 * max_payload_) buf_ = std::string();
    return;
  }
  if (start_ > 0) {
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
}

void FrameReader::feed(std::string_view bytes) {
  compact();
  if (buf_.size() < end_ + bytes.size()) buf_.resize(end_ + bytes.size());
  std::memcpy(buf_.data() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

FrameReader::Next FrameReader::next(std::string_view* payload) {
  if (end_ - start_ < kFrameHeaderBytes) return Next::kNeedMore;
  announced_ = decode_length(buf_.data() + start_);
  if (announced_ > max_payload_) return Next::kOversized;
  if (end_ - start_ < kFrameHeaderBytes + announced_) return Next::kNeedMore;
  *payload = std::string_view(buf_.data() + start_ + kFrameHeaderBytes, announced_);
  start_ += kFrameHeaderBytes + announced_;
  return Next::kFrame;
}

bool FrameReader::frame_buffered() const {
  if (end_ - start_ < kFrameHeaderBytes) return false;
  const std::uint64_t announced = decode_length(buf_.data() + start_);
  return announced > max_payload_ || end_ - start_ >= kFrameHeaderBytes + announced;
}

FrameStatus FrameReader::read(int fd, std::string_view* payload, FrameClock::time_point deadline, ReadWatch* watch,
                              AdaptiveSpin* spin) {
  // Without a deadline (or a watch) a blocking descriptor is read at once (one syscall per frame, not
  // poll + read); a non-blocking one that has nothing yet (EAGAIN) is polled from then on.
  bool poll_first = deadline != kNoDeadline || (watch && !watch->fired);
  // With `spin`: the first time this call must wait for bytes, it polls without blocking for the budget,
  // and the wait (from then to the whole frame, or to its end) is reported.
  FrameClock::time_point waited_from{};
  bool spun_ready = false;  // the spin saw bytes (or an end): the next read needs no poll
  const auto report = [&](FrameStatus status) {
    if (spin && waited_from != FrameClock::time_point{})
      spin->observe(std::chrono::duration_cast<std::chrono::microseconds>(FrameClock::now() - waited_from).count());
    return status;
  };
  while (true) {
    switch (next(payload)) {
      case Next::kFrame: return report(FrameStatus::kOk);
      case Next::kOversized: return report(FrameStatus::kOversized);
      case Next::kNeedMore: break;
    }
    make_room();
    if (spin && waited_from == FrameClock::time_point{}) {
      waited_from = FrameClock::now();
      if (spin->budget_us() > 0 && spin_for(fd, POLLIN, *spin, watch))
        spun_ready = true;
    }
    if (poll_first && !spun_ready) {
      const FrameStatus w = wait_for(fd, POLLIN, deadline, watch);
      if (w != FrameStatus::kOk) {
        errno_ = errno;
        return report(w);
      }
    }
    const ssize_t r = ::read(fd, buf_.data() + end_, buf_.size() - end_);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      poll_first = true;
      continue;
    }
    if (r < 0) {
      errno_ = errno;
      return report(FrameStatus::kError);
    }
    if (r == 0) return report(end_ == start_ ? FrameStatus::kClosed : FrameStatus::kTruncated);
    end_ += static_cast<std::size_t>(r);
    spun_ready = false;
  }
}

void FrameReader::make_room() {
  compact();
  // Room to read into: the buffer grows with what arrived (doubling, at least a chunk), never to a
  // header's word alone, so a peer that announces a large frame and stalls costs little.
  const std::size_t have = end_;
  const std::size_t frame = have >= kFrameHeaderBytes ? kFrameHeaderBytes + announced_ : kFrameHeaderBytes;
  if (buf_.size() <= have) {
    const std::size_t grown = std::max(2 * have, have + kReadChunk);
    buf_.resize(have >= kFrameHeaderBytes ? std::min(grown, frame) : grown);
  }
}

FrameStatus FrameReader::read_ready(int fd, std::string_view* payload) {
  const auto take = [&]() -> std::optional<FrameStatus> {
    switch (next(payload)) {
      case Next::kFrame: return FrameStatus::kOk;
      case Next::kOversized: return FrameStatus::kOversized;
      case Next::kNeedMore: return std::nullopt;
    }
    return std::nullopt;
  };
  if (const auto s = take()) return *s;
  make_room();
  ssize_t r;
  do {
    r = ::read(fd, buf_.data() + end_, buf_.size() - end_);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return FrameStatus::kTimeout;
  if (r < 0) {
    errno_ = errno;
    return FrameStatus::kError;
  }
  if (r == 0) return end_ == start_ ? FrameStatus::kClosed : FrameStatus::kTruncated;
  end_ += static_cast<std::size_t>(r);
  if (const auto s = take()) return *s;
  return FrameStatus::kTimeout;  // not whole yet: the caller polls again
}

std::string FrameReader::describe(FrameStatus status) const {
  switch (status) {
    case FrameStatus::kOk: return "ok";
    case FrameStatus::kClosed: return "connection closed by peer";
    case FrameStatus::kTruncated: return "connection closed in the middle of a frame";
    case FrameStatus::kOversized:
      return "frame of " + std::to_string(announced_) + " bytes exceeds the " + std::to_string(max_payload_) +
             "-byte limit";
    case FrameStatus::kTimeout: return "timed out";
    case FrameStatus::kError: return std::string("read failed: ") + std::strerror(errno_);
  }
  return "unknown";
}

FrameStatus write_all(int fd, std::string_view bytes, FdKind kind, FrameClock::time_point deadline) {
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n) {
    const ssize_t w = kind == FdKind::kSocket ? ::send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT) : ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const FrameStatus s = wait_for(fd, POLLOUT, deadline);
      if (s != FrameStatus::kOk) return s;
      continue;
    }
    if (w <= 0) return FrameStatus::kError;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return FrameStatus::kOk;
}

FrameStatus write_frame(int fd, std::string_view payload, FdKind kind, FrameClock::time_point deadline) {
  if (payload.size() > 0xffffffffu) throw std::length_error("frame payload over 4 GiB");
  const auto n = static_cast<std::uint32_t>(payload.size());
  char header[kFrameHeaderBytes];
  store_le(header, n);
  // Header and payload in one gathering write, without copying the payload; what a full socket or pipe
  // did not take is written by write_all.
  iovec parts[2] = {{header, kFrameHeaderBytes}, {const_cast<char*>(payload.data()), payload.size()}};
  ssize_t w = -1;
  do {
    if (kind == FdKind::kSocket) {
      msghdr msg{};
      msg.msg_iov = parts;
      msg.msg_iovlen = 2;
      w = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } else {
      w = ::writev(fd, parts, 2);
    }
  } while (w < 0 && errno == EINTR);
  if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return FrameStatus::kError;
  std::size_t done = w < 0 ? 0 : static_cast<std::size_t>(w);
  if (done < kFrameHeaderBytes) {
    const FrameStatus s = write_all(fd, std::string_view(header + done, kFrameHeaderBytes - done), kind, deadline);
    if (s != FrameStatus::kOk) return s;
    done = kFrameHeaderBytes;
  }
  return write_all(fd, payload.substr(done - kFrameHeaderBytes), kind, deadline);
}

}  // namespace hearth::net
