// FrameBatch: frames that several threads send on one stream, coalesced into one write while a write is
// in progress (docs/warm-path.md, "Fourth round"). Each sender holds the stream's write mutex; the first
// finds no write in progress and writes its frame itself (one gathering write, no copy — as
// net::write_frame); a sender that comes while that write is in progress appends its frame to the batch
// and returns at once, and the writing thread, once its write returns, writes everything queued
// meanwhile in one write, and again until nothing is queued. So N results ready together cost one
// sendmsg and wake the reader once, instead of N each, and no sender sleeps on the mutex behind another's
// write. Bounded: a sender that finds kMaxQueuedBytes queued waits until the writer takes them.
// Writes happen with the mutex released. Before the stream's descriptor is replaced, call
// wait_idle(lock) (no write in progress) and reset() (nothing queued for the old stream).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "net/frame_codec.h"

namespace hearth::net {

class FrameBatch {
 public:
  static constexpr std::size_t kMaxQueuedBytes = 4u << 20;

  // Sends `payload` as one frame on `fd` (`lock` holds the stream's write mutex, and still holds it on
  // return). kOk when written or queued behind a write in progress; else the status of this thread's
  // write (a failed write drops what was queued behind it: the stream is broken, its reader sees EOF).
  FrameStatus send(std::unique_lock<std::mutex>& lock, int fd, std::string_view payload);
  void wait_idle(std::unique_lock<std::mutex>& lock);
  void reset();

  // Counters (read under the mutex): writes made, and frames that rode in another's write.
  std::uint64_t writes() const { return writes_; }
  std::uint64_t coalesced() const { return coalesced_; }

 private:
  std::string queued_, out_;
  bool writing_ = false;
  std::condition_variable changed_;  // a write ended or the writer took the queue
  std::uint64_t writes_ = 0, coalesced_ = 0;
};

}  // namespace hearth::net
