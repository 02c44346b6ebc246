// FrameBatcher: one connection's outgoing frames (the invoker's side of the wire), written by whichever
// sender finds no write in progress. A sender that finds one queues its frame and returns at once; the
// writing thread sends everything queued meanwhile with one write. So results of several containers
// finishing together go out in one `send` instead of one `sendmsg` each, and no finishing thread sleeps
// on a lock while another writes (docs/warm-path.md, branch warm-inv5).
// Contract: frames go out whole, in the order queue() was called, on the descriptor set by reset() when
// their batch is written; reset() drops what a previous connection left queued. A write error drops the
// batch (the connection is gone: its reader sees EOF). Queued bytes are bounded by `max_queued_bytes`:
// a sender that finds the queue past it waits until the writer has taken it. Thread-safe.
// Usage: queue() (under the caller's own lock when frames must keep that lock's order), then flush()
// after releasing it; a sender that must not return before its frame is written does not exist here.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace hearth::invoker {

class FrameBatcher {
 public:
  explicit FrameBatcher(std::size_t max_queued_bytes = 64u << 20) : max_queued_(max_queued_bytes) {}

  // A new connection: frames queued from now on go to `fd`; whatever an earlier one left is dropped.
  void reset(int fd);
  // Appends `payload` as one frame (4-byte length + payload) to the queue.
  void queue(std::string_view payload);
  // Writes what is queued unless another thread is writing (it then writes it too); returns when the
  // queue was empty, or another thread writes, or this one has written everything queued up to then.
  void flush();
  // queue() then flush().
  void send(std::string_view payload) {
    queue(payload);
    flush();
  }

  std::uint64_t frames() const;  // frames queued so far
  std::uint64_t writes() const;  // batches written (one write each, unless the socket was full)

 private:
  mutable std::mutex mu_;
  std::condition_variable room_;
  int fd_ = -1;
  std::string queued_;  // frames not yet taken by a writer
  std::string spare_;   // the last batch's buffer, reused as the next queue (no allocation per batch)
  bool writing_ = false;
  std::size_t max_queued_;
  std::uint64_t frames_ = 0, writes_ = 0;
};

}  // namespace hearth::invoker
