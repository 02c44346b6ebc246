#include "controller/in_flight_limit.h"

namespace hearth::controller {

void InFlightLimit::Slot::release() {
  if (!limit_) return;
  limit_->give_back(ns_);
  limit_.reset();
}

std::shared_ptr<InFlightLimit::Slot> InFlightLimit::try_acquire(const std::string& ns, std::int64_t* count) {
  {
    std::lock_guard lock(mu_);
    std::int64_t& n = counts_[ns];
    if (allowed_ > 0 && n >= allowed_) {
      *count = n;
      ++refused_;
      return nullptr;
    }
    *count = ++n;
  }
  return std::make_shared<Slot>(shared_from_this(), ns);
}

void InFlightLimit::give_back(const std::string& ns) {
  std::lock_guard lock(mu_);
  const auto it = counts_.find(ns);
  if (it != counts_.end() && --it->second <= 0) counts_.erase(it);
  if (counts_.empty()) idle_.notify_all();
}

bool InFlightLimit::wait_idle(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mu_);
  return idle_.wait_until(lock, deadline, [this] { return counts_.empty(); });
}

std::int64_t InFlightLimit::in_flight(const std::string& ns) const {
  std::lock_guard lock(mu_);
  const auto it = counts_.find(ns);
  return it == counts_.end() ? 0 : it->second;
}

std::uint64_t InFlightLimit::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

std::string InFlightLimit::message(std::int64_t count) const {
  return "Too many concurrent requests in flight (count: " + std::to_string(count) + ", allowed: " +
         std::to_string(allowed_) + ").";
}

}  // namespace hearth::controller
