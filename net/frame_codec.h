// FrameCodec: the one framing of Hearth's byte streams, shared by the runtime channel (platform ↔ language
// runtime over pipes, docs/runtimes.md) and the controller ↔ invoker wire (TCP, docs/wire-protocol.md):
// a 4-byte little-endian payload length, then that many payload bytes, one message per frame.
//
// Every reader has a cap on the payload length. A header announcing more is a protocol error reported
// (kOversized) before anything is allocated for it, so whatever bytes a peer writes — a function writing
// b'\xff\xff\xff\xff' to its channel, random bytes, a truncated frame — the reader holds at most
// cap + 4 + 64 KiB (and about twice what it actually received). After an error the stream cannot be trusted: the caller drops the peer.
// Reads and writes take a deadline (kNoDeadline: wait as long as it takes); a write to a peer that stops
// reading ends with kTimeout at the deadline instead of blocking its thread for ever (a pipe must then be
// O_NONBLOCK; a socket is written with MSG_DONTWAIT).
// Cost: a reader keeps one buffer per stream and returns each frame as a view into it (no copy); one
// read per frame when the frame arrives whole (plus a poll when the read has a deadline); a write is one
// gathering send/writev of header and payload, no copy.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "net/adaptive_spin.h"

namespace hearth::net {

using FrameClock = std::chrono::steady_clock;
inline constexpr FrameClock::time_point kNoDeadline = FrameClock::time_point::max();
inline constexpr std::size_t kFrameHeaderBytes = 4;

enum class FrameStatus {
  kOk,         // a whole frame was read (or the whole buffer written)
  kClosed,     // EOF before the first byte of a frame
  kTruncated,  // EOF inside a frame
  kOversized,  // a header announced more than the cap
  kTimeout,    // the deadline passed
  kError,      // read/write/poll failed (errno kept in the reader/for the caller)
};

// Appends one frame (header + payload) to `out`. Throws std::length_error above 4 GiB - 1.
void append_frame(std::string& out, std::string_view payload);

// While a read waits for its frame, another descriptor it watches: when `fd` becomes readable (or hangs
// up) the read calls `ready` once, on the reading thread, and goes on waiting for its frame. The
// invoker's wire reader runs a warm function on its own thread with a watch on its connection, so a frame
// that arrives meanwhile hands the connection to another thread (invoker/leader_followers.h). A read with
// a watch polls first (poll of two descriptors, then read: the same two syscalls as a deadline's).
struct ReadWatch {
  int fd = -1;
  std::function<void()> ready;
  bool fired = false;  // set when `ready` was called; the watch is then inert
};

// Splits a byte stream into frames of at most `max_payload` bytes each. Not thread-safe (one per stream).
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_payload);

  // Reads from `fd` (blocking or not) until a whole frame is buffered or something else ends the wait.
  // kOk: *payload views the frame, valid until the next call on this reader.
  // With `watch` (not yet fired): see ReadWatch. With `spin`: when the frame is not buffered, `fd` (and
  // the watch) is polled without blocking for up to spin->budget_us() before the read blocks, and the
  // wait's length is reported to it (AdaptiveSpin).
  FrameStatus read(int fd, std::string_view* payload, FrameClock::time_point deadline = kNoDeadline,
                   ReadWatch* watch = nullptr, AdaptiveSpin* spin = nullptr);

  // For a caller that polls `fd` itself (several descriptors at once: invoker/run_multiplexer.h): returns a
  // buffered frame without I/O, else reads once — `fd` must have polled readable (or hung up), so a
  // blocking descriptor does not block — and returns kOk when that completed a frame, kTimeout when the
  // frame is still incomplete (poll again), or kClosed, kTruncated, kOversized, kError as read() does.
  FrameStatus read_ready(int fd, std::string_view* payload);

  // Decoding without I/O (tests, fuzzing): append bytes, then take frames.
  void feed(std::string_view bytes);
  enum class Next { kFrame, kNeedMore, kOversized };
  Next next(std::string_view* payload);

  std::size_t buffered() const { return end_ - start_; }  // bytes received after the last frame returned
  // Whether a whole frame (or an oversized header) is buffered: the next read() returns without I/O.
  bool frame_buffered() const;
  std::size_t max_payload() const { return max_payload_; }
  // A stream may start with a smaller cap (before a peer has said who it is) and raise it later.
  void set_max_payload(std::size_t max_payload);
  std::uint64_t announced() const { return announced_; }  // the length in the last header read
  int last_errno() const { return errno_; }
  // "frame of N bytes exceeds the M-byte limit", "connection closed in the middle of a frame", …
  std::string describe(FrameStatus status) const;

 private:
  void compact();
  void make_room();  // compact(), then grow the buffer when it is full (read()'s growth rule)
  std::string buf_;  // [start_, end_) holds unconsumed bytes; buf_.size() is the capacity in use
  std::size_t start_ = 0, end_ = 0;
  std::size_t max_payload_;
  std::uint64_t announced_ = 0;
  int errno_ = 0;
};

enum class FdKind { kSocket, kPipe };
// Writes all of `bytes` to `fd` before `deadline`: kOk, kTimeout, or kError (the peer is gone; never
// SIGPIPE on a socket — a pipe's writer must ignore SIGPIPE).
FrameStatus write_all(int fd, std::string_view bytes, FdKind kind, FrameClock::time_point deadline = kNoDeadline);
// One frame (header + payload) in one gathering write (no copy of the payload), then write_all for any rest.
FrameStatus write_frame(int fd, std::string_view payload, FdKind kind, FrameClock::time_point deadline = kNoDeadline);

}  // namespace hearth::net
