#include "invoker/frame_batcher.h"

#include "net/frame_codec.h"

namespace hearth::invoker {

void FrameBatcher::reset(int fd) {
  std::lock_guard lock(mu_);
  fd_ = fd;
  queued_.clear();
  room_.notify_all();
}

void FrameBatcher::queue(std::string_view payload) {
  std::unique_lock lock(mu_);
  room_.wait(lock, [&] { return queued_.size() < max_queued_; });
  net::append_frame(queued_, payload);
  ++frames_;
}

void FrameBatcher::flush() {
  std::unique_lock lock(mu_);
  if (writing_) return;  // that thread writes this frame after its current batch
  writing_ = true;
  while (!queued_.empty()) {
    std::string batch;
    batch.swap(queued_);
    queued_.swap(spare_);  // the queue continues in the previous batch's (empty) buffer
    const int fd = fd_;
    ++writes_;
    room_.notify_all();
    lock.unlock();
    net::write_all(fd, batch, net::FdKind::kSocket);  // a failure surfaces as EOF at the connection's reader
    batch.clear();
    if (batch.capacity() > (1u << 20)) std::string().swap(batch);  // a large result's buffer is not kept
    lock.lock();
    spare_.swap(batch);
  }
  writing_ = false;
}

std::uint64_t FrameBatcher::frames() const {
  std::lock_guard lock(mu_);
  return frames_;
}

std::uint64_t FrameBatcher::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

}  // namespace hearth::invoker
