#include "invoker/leader_followers.h"

#include <stdexcept>

namespace hearth::invoker {

LeaderFollowers::LeaderFollowers(std::size_t max_threads) : max_threads_(max_threads) {
  if (max_threads_ < 1) throw std::invalid_argument("LeaderFollowers needs at least one thread");
}

LeaderFollowers::~LeaderFollowers() { join(); }

void LeaderFollowers::join() {
  stop();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);  // none is added once stopping_ is set
  }
  for (std::thread& t : threads) t.join();
}

void LeaderFollowers::start(std::function<void()> lead) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  lead_ = std::move(lead);
  wake_one_locked();
}

void LeaderFollowers::hand_off() {
  std::lock_guard lock(mu_);
  ++hand_offs_;
  if (!stopping_) wake_one_locked();
}

void LeaderFollowers::wake_one_locked() {
  wanted_ = true;
  if (waiting_ > 0)
    cv_.notify_one();
  else if (threads_.size() < max_threads_)
    threads_.emplace_back([this] { follow(); });
  // else: every thread runs a function; the first to finish takes the leadership
}

void LeaderFollowers::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

std::size_t LeaderFollowers::threads() {
  std::lock_guard lock(mu_);
  return threads_.size();
}

std::size_t LeaderFollowers::hand_offs() {
  std::lock_guard lock(mu_);
  return hand_offs_;
}

void LeaderFollowers::follow() {
  std::unique_lock lock(mu_);
  while (true) {
    ++waiting_;
    cv_.wait(lock, [this] { return stopping_ || wanted_; });
    --waiting_;
    if (stopping_) return;
    wanted_ = false;
    std::function<void()> lead = lead_;  // a copy: start() may replace it once this connection ended
    lock.unlock();
    lead();
    lock.lock();
  }
}

}  // namespace hearth::invoker
