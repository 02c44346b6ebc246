#include "controller/read_role.h"

namespace hearth::controller {

ReadRole::Park ReadRole::thread_park(const std::function<bool()>& idle, std::chrono::milliseconds tick) {
  std::unique_lock lock(mu_);
  if (failure_) return Park::kHanded;  // the thread ends the connection with it
  holder_ = Holder::kFree;
  if (!idle()) {
    holder_ = Holder::kThread;
    return Park::kBusy;
  }
  while (true) {
    cv_.wait_for(lock, tick, [this] { return holder_ == Holder::kThread; });
    if (holder_ == Holder::kThread) return Park::kHanded;
    if (holder_ == Holder::kFree) {
      holder_ = Holder::kThread;
      return Park::kTick;
    }
    // A caller reads: it hands the role back (or frees it) when its result is in.
  }
}

bool ReadRole::caller_try_take() {
  std::lock_guard lock(mu_);
  if (holder_ != Holder::kFree) return false;
  holder_ = Holder::kCaller;
  ++caller_reads_;
  return true;
}

void ReadRole::caller_release(const std::function<bool()>& idle, std::optional<std::string> failure) {
  {
    std::lock_guard lock(mu_);
    if (failure) failure_ = std::move(failure);
    // Free first, then the count (as thread_park): a sender raising it meanwhile either is seen here or
    // sees kFree in wake_thread's lock-free check.
    holder_ = Holder::kFree;
    if (!failure_ && idle()) return;
    holder_ = Holder::kThread;
    ++handed_back_;
  }
  cv_.notify_all();
}

void ReadRole::wake_thread() {
  if (holder_.load() != Holder::kFree) return;  // read by the thread or a caller: nothing to wake
  {
    std::lock_guard lock(mu_);
    if (holder_ != Holder::kFree) return;
    holder_ = Holder::kThread;
  }
  cv_.notify_all();
}

std::optional<std::string> ReadRole::take_failure() {
  std::lock_guard lock(mu_);
  std::optional<std::string> f = std::move(failure_);
  failure_.reset();
  return f;
}

ReadRole::Holder ReadRole::holder() const {
  std::lock_guard lock(mu_);
  return holder_;
}

std::uint64_t ReadRole::caller_reads() const {
  std::lock_guard lock(mu_);
  return caller_reads_;
}

std::uint64_t ReadRole::handed_back() const {
  std::lock_guard lock(mu_);
  return handed_back_;
}

}  // namespace hearth::controller
