#include "net/frame_batch.h"

namespace hearth::net {

FrameStatus FrameBatch::send(std::unique_lock<std::mutex>& lock, int fd, std::string_view payload) {
  if (writing_) {
    changed_.wait(lock, [&] { return !writing_ || queued_.size() < kMaxQueuedBytes; });
    if (writing_) {  // rides in the writer's next write
      append_frame(queued_, payload);
      ++coalesced_;
      return FrameStatus::kOk;
    }
  }
  writing_ = true;
  lock.unlock();
  FrameStatus status = write_frame(fd, payload, FdKind::kSocket);  // the common case: no copy
  lock.lock();
  ++writes_;
  while (!queued_.empty()) {
    out_.swap(queued_);
    changed_.notify_all();  // room in the queue again
    lock.unlock();
    if (status == FrameStatus::kOk) status = write_all(fd, out_, FdKind::kSocket);
    lock.lock();
    ++writes_;
    out_.clear();
  }
  constexpr std::size_t kKeep = 1u << 20;  // a large batch's buffers are not kept
  if (out_.capacity() > kKeep) std::string().swap(out_);
  if (queued_.capacity() > kKeep) std::string().swap(queued_);
  writing_ = false;
  changed_.notify_all();
  return status;
}

void FrameBatch::wait_idle(std::unique_lock<std::mutex>& lock) {
  changed_.wait(lock, [&] { return !writing_; });
}

void FrameBatch::reset() { queued_.clear(); }

}  // namespace hearth::net
