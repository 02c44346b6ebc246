// The CPU wake-up latency flags of `hearth up` and `hearth invoker` (net/cpu_wake_latency.h): each
// process that receives invocations keeps its host's idle CPUs quick to wake while they arrive.
// `hearth up` holds it for its own host, so the invoker processes it starts there are told
// `--cpu-wake-latency-us off`; an invoker on another host holds it for that host.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/cpu_wake_latency.h"

namespace CLI {
class App;
}

namespace hearth::cli {

struct WakeLatencyFlags {
  std::string latency_us = "0";  // "off" or µs in [0, net::kMaxCpuWakeLatencyUs]
  std::int64_t hold_ms = net::CpuWakeLatencyConfig{}.release_after.count();
};

void add_wake_latency_flags(CLI::App& cmd, WakeLatencyFlags& f);
// Throws std::invalid_argument naming the flag for a latency that is neither "off" nor in range; call it
// before anything starts.
void check_wake_latency_flags(const WakeLatencyFlags& f);
// The hold, or null when off or when this host cannot take it (said on stderr, prefixed by `who`).
std::unique_ptr<net::CpuWakeLatencyHold> make_wake_latency_hold(const WakeLatencyFlags& f, const std::string& who);

}  // namespace hearth::cli
