#include "cli/wake_latency_flags.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>

namespace hearth::cli {
namespace {

// -1 for "off", else the latency in µs.
std::int32_t parse_latency(const std::string& text) {
  if (text == "off") return -1;
  std::size_t used = 0;
  long long us = -1;
  try {
    us = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || us < 0 || us > net::kMaxCpuWakeLatencyUs)
    throw std::invalid_argument("--cpu-wake-latency-us: '" + text + "' is neither off nor a latency in [0, " +
                                std::to_string(net::kMaxCpuWakeLatencyUs) + "] µs");
  return static_cast<std::int32_t>(us);
}

}  // namespace

void add_wake_latency_flags(CLI::App& cmd, WakeLatencyFlags& f) {
  cmd.add_option("--cpu-wake-latency-us", f.latency_us,
                 "While invocations keep arriving, ask the kernel (PM QoS, /dev/cpu_dma_latency; root) that this "
                 "host's idle CPUs wake within this many µs: 0 (the default) keeps them polling, so that the wake-ups "
                 "of a warm invoke do not wait for a halted CPU; the idle CPUs then spin (docs/warm-path.md); off: no "
                 "request")
      ->capture_default_str();
  cmd.add_option("--cpu-wake-hold-ms", f.hold_ms,
                 "The CPU wake-up latency request is dropped after this long without an invocation")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
}

void check_wake_latency_flags(const WakeLatencyFlags& f) { parse_latency(f.latency_us); }

std::unique_ptr<net::CpuWakeLatencyHold> make_wake_latency_hold(const WakeLatencyFlags& f, const std::string& who) {
  const std::int32_t us = parse_latency(f.latency_us);
  if (us < 0) return nullptr;
  net::CpuWakeLatencyConfig config;
  config.latency_us = us;
  config.release_after = std::chrono::milliseconds(f.hold_ms);
  auto hold = std::make_unique<net::CpuWakeLatencyHold>(
      config, [who](const std::string& what) { std::fprintf(stderr, "%s: %s\n", who.c_str(), what.c_str()); });
  if (!hold->available()) return nullptr;
  // A machine-wide effect of a default: said once at start.
  std::fprintf(stderr, "%s: while invocations arrive, this host's idle CPUs are kept %s (PM QoS request of %d µs, "
               "dropped after %lld ms without one; --cpu-wake-latency-us off: none)\n",
               who.c_str(), us == 0 ? "polling" : "quick to wake", us, static_cast<long long>(f.hold_ms));
  return hold;
}

}  // namespace hearth::cli
