#include "net/cpu_wake_latency.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hearth::net {

CpuWakeLatencyHold::CpuWakeLatencyHold(CpuWakeLatencyConfig config, const std::function<void(const std::string&)>& notice)
    : config_(std::move(config)), notice_(notice) {
  if (config_.latency_us < 0 || config_.latency_us > kMaxCpuWakeLatencyUs)
    throw std::invalid_argument("the CPU wake-up latency must be in [0, " + std::to_string(kMaxCpuWakeLatencyUs) +
                                "] µs, not " + std::to_string(config_.latency_us));
  if (config_.release_after < std::chrono::milliseconds(1))
    throw std::invalid_argument("the CPU wake-up latency hold must last at least 1 ms after the last invocation");
  // Probe now, so that an unavailable device is said once, at start, and costs nothing afterwards.
  const int probe = ::open(config_.device.c_str(), O_WRONLY | O_CLOEXEC);
  if (probe < 0) {
    if (notice_)
      notice_("no CPU wake-up latency hold (" + config_.device + ": " + std::strerror(errno) +
              "): idle CPUs may sleep deeply between invocations, and each wake-up of a warm invoke waits for one");
    state_.store(kActive);  // note_activity never wakes a keeper that is not there
    return;
  }
  ::close(probe);
  keeper_ = std::thread([this] { keep(); });
}

CpuWakeLatencyHold::~CpuWakeLatencyHold() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  release();
}

void CpuWakeLatencyHold::wake_keeper() {
  std::lock_guard lock(mu_);  // the keeper checks state_ under mu_ before it waits: no lost wake-up
  cv_.notify_one();
}

bool CpuWakeLatencyHold::take(std::string& why) {
  const int fd = ::open(config_.device.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    why = config_.device + ": " + std::strerror(errno);
    return false;
  }
  const std::int32_t value = config_.latency_us;
  if (::write(fd, &value, sizeof value) != static_cast<ssize_t>(sizeof value)) {
    why = config_.device + ": writing the latency failed: " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  fd_ = fd;
  held_.store(true);
  taken_.fetch_add(1);
  return true;
}

void CpuWakeLatencyHold::release() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  held_.store(false);
}

void CpuWakeLatencyHold::keep() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (fd_ < 0) {
      cv_.wait(lock, [this] { return stopping_ || state_.load() != kReleased; });
      if (stopping_) break;
      std::string why;
      if (!take(why)) {  // e.g. the device's mode changed since start: said, and tried again after a period
        if (notice_) notice_("the CPU wake-up latency hold could not be taken: " + why);
        cv_.wait_for(lock, config_.release_after, [this] { return stopping_; });
        state_.store(kReleased);  // the next invocation wakes this thread again
        continue;
      }
    }
    cv_.wait_for(lock, config_.release_after, [this] { return stopping_; });
    if (stopping_) break;
    int seen = kQuiet;
    if (state_.compare_exchange_strong(seen, kReleased)) {  // no invocation for a whole period
      release();
      continue;
    }
    // kActive: an invocation during the period. Held on; an invocation after this swap counts for the next.
    seen = kActive;
    state_.compare_exchange_strong(seen, kQuiet);
  }
}

std::string CpuWakeLatencyHold::prometheus_metrics() const {
  return "# HELP hearth_cpu_wake_latency_held 1 while the platform asks the kernel that idle CPUs wake within "
         "--cpu-wake-latency-us (PM QoS), 0 otherwise\n"
         "# TYPE hearth_cpu_wake_latency_held gauge\n"
         "hearth_cpu_wake_latency_held " + std::to_string(held() ? 1 : 0) + "\n" +
         "# HELP hearth_cpu_wake_latency_holds_total Times the CPU wake-up latency hold was taken\n"
         "# TYPE hearth_cpu_wake_latency_holds_total counter\n"
         "hearth_cpu_wake_latency_holds_total " + std::to_string(holds_taken()) + "\n";
}

}  // namespace hearth::net
