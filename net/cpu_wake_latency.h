// CpuWakeLatencyHold: while invocations keep arriving, asks the kernel that idle CPUs be woken within
// `latency_us` (Linux PM QoS: a value written to /dev/cpu_dma_latency holds while that descriptor stays
// open), and lets go once none has arrived for `release_after`. An idle platform holds nothing.
//
// Why (docs/warm-path.md, "Idle CPUs that halt"): a warm invoke crosses four to six thread wake-ups
// (client → controller → invoker → runtime and back). A thread woken on an idle CPU waits for that CPU
// to leave its idle state; on a virtual machine whose idle vCPUs halt (the haltpoll cpuidle driver with
// guest halt polling off, as here) that is an exit to the host and a host reschedule: ~30 µs per wake-up,
// most of a warm invoke at one connection. With a request of 0 µs cpuidle picks only its POLL state:
// idle CPUs spin in the kernel's idle loop and a wake-up is a flag the idle loop sees. tuned's
// latency-performance profile and DPDK/Seastar deployments make the same request.
// Cost: while held, every idle CPU of the machine polls instead of sleeping. No process's CPU time
// shows it (it is idle time in /proc/stat); it is host CPU time on a VM and power on bare metal. The
// request is machine-wide and the kernel keeps the strictest one held by any process.
//
// Contract: note_activity() may be called from any thread at any rate: a relaxed atomic load (and an
// exchange once per period), plus one notify of the keeper thread on the first call after a release. The
// keeper thread opens the device and writes the value (a binary s32, the kernel's format) on that first
// call, and closes it after a whole `release_after` with no call. If the device cannot be opened for
// writing (not root, no such device), the constructor reports it once through `notice` and the hold does
// nothing (no thread). Destruction closes the device; so does the process's death (the kernel drops it).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace hearth::net {

struct CpuWakeLatencyConfig {
  std::string device = "/dev/cpu_dma_latency";
  std::int32_t latency_us = 0;  // 0: idle CPUs poll (no idle state with an exit latency)
  std::chrono::milliseconds release_after{100};
};

// The largest latency a hold may ask for (µs); the kernel's own "no request" is 2,000,000,000.
inline constexpr std::int32_t kMaxCpuWakeLatencyUs = 1'000'000;

class CpuWakeLatencyHold {
 public:
  // Throws std::invalid_argument for a latency outside [0, kMaxCpuWakeLatencyUs] or a release_after < 1 ms.
  explicit CpuWakeLatencyHold(CpuWakeLatencyConfig config, const std::function<void(const std::string&)>& notice = {});
  ~CpuWakeLatencyHold();
  CpuWakeLatencyHold(const CpuWakeLatencyHold&) = delete;
  CpuWakeLatencyHold& operator=(const CpuWakeLatencyHold&) = delete;

  void note_activity() noexcept {
    if (state_.load(std::memory_order_relaxed) == kActive) return;
    if (state_.exchange(kActive) == kReleased) wake_keeper();
  }
  bool available() const { return keeper_.joinable(); }
  bool held() const { return held_.load(); }
  std::uint64_t holds_taken() const { return taken_.load(); }  // how many times it was taken since start
  // Prometheus text: hearth_cpu_wake_latency_held (0/1) and hearth_cpu_wake_latency_holds_total.
  std::string prometheus_metrics() const;

 private:
  void wake_keeper();
  void keep();
  bool take(std::string& why);  // opens the device and writes the value; false with `why`
  void release();

  // One word, so that releasing and noting cannot miss each other: an invocation sets kActive (and wakes
  // the keeper if it was kReleased); at the end of each period the keeper turns kActive into kQuiet, or
  // kQuiet (no invocation during the whole period) into kReleased — a compare-and-swap, so an invocation
  // that comes as it lets go either makes the swap fail or finds kReleased and wakes it.
  static constexpr int kReleased = 0, kQuiet = 1, kActive = 2;
  const CpuWakeLatencyConfig config_;
  std::atomic<int> state_{kReleased};
  std::atomic<bool> held_{false};
  std::atomic<std::uint64_t> taken_{0};
  std::function<void(const std::string&)> notice_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int fd_ = -1;
  std::thread keeper_;
};

}  // namespace hearth::net
