#include "policy/function_info_table.h"

#include <algorithm>

namespace hearth::policy {
namespace {

// Folds sample x into the running mean over `n` samples already seen (n == 0: x replaces the seed).
double fold(double mean, std::uint64_t n, double x) { return n == 0 ? x : mean + (x - mean) / double(n + 1); }
model::Micros fold(model::Micros mean, std::uint64_t n, model::Micros x) {
  return static_cast<model::Micros>(fold(static_cast<double>(mean), n, static_cast<double>(x)) + 0.5);
}

// The minute holding `t` (floor division, so a negative time is in a negative minute).
std::int64_t minute_of(model::Micros t) {
  return t >= 0 ? t / model::kMicrosPerMinute : -((-t + model::kMicrosPerMinute - 1) / model::kMicrosPerMinute);
}

}  // namespace

FunctionInfoTable::Row& FunctionInfoTable::at(model::FunctionId fn) {
  if (fn >= rows_.size()) rows_.resize(std::size_t{fn} + 1);
  Row& r = rows_[fn];
  return r;
}

void FunctionInfoTable::on_function_added(const model::FunctionSpec& fn) {
  Row& r = at(fn.id);
  if (r.seeded) return;
  r.seeded = true;
  // Seeds stand until the first measurement of each (the counters are still 0).
  if (r.measured == 0) {
    r.info.memory_mb = fn.memory_mb;
    // Its CPU limit where it has one (live actions' limits.cpu), else §IV's 512 MB ↔ 1 core.
    r.info.cpu_cores = fn.cpu_millicores > 0 ? static_cast<double>(fn.cpu_millicores) / 1000.0
                                             : static_cast<double>(fn.memory_mb) / 512.0;
    r.info.io_share = 0;
  }
  if (r.cold_starts == 0) r.info.init_us = fn.cold_start_us;
  if (r.completions == 0) r.info.exec_us = fn.warm_us;
}

void FunctionInfoTable::on_arrival(model::FunctionId fn, model::Micros now, double input_bytes) {
  Row& r = at(fn);
  r.info.input_bytes = fold(r.info.input_bytes, r.arrivals, input_bytes);
  ++r.arrivals;
  r.last_arrival_us = r.last_arrival_us == model::kNever ? now : std::max(r.last_arrival_us, now);
  const std::int64_t m = minute_of(now);
  if (m > r.window_minute) {
    // Clear the slots of the minutes the ring skips (at most the whole ring).
    const std::int64_t skipped = std::min<std::int64_t>(m - r.window_minute, kFreqWindowMinutes);
    for (std::int64_t k = 0; k < skipped; ++k) r.window[static_cast<std::size_t>((m - k) % kFreqWindowMinutes)] = 0;
    r.window_minute = m;
  }
  // An arrival older than the ring holds (out of order by more than the window) no longer counts.
  if (m > r.window_minute - kFreqWindowMinutes && m >= 0)
    ++r.window[static_cast<std::size_t>(m % kFreqWindowMinutes)];
}

void FunctionInfoTable::on_completed(model::FunctionId fn, model::StartKind kind, model::Micros startup_us,
                                     model::Micros exec_us, model::Micros now) {
  (void)now;
  Row& r = at(fn);
  if (kind == model::StartKind::kCold) {
    r.info.init_us = fold(r.info.init_us, r.cold_starts, startup_us);
    ++r.cold_starts;
  }
  r.info.exec_us = fold(r.info.exec_us, r.completions, exec_us);
  ++r.completions;
}

void FunctionInfoTable::on_terminated(model::FunctionId fn, model::Micros term_us) {
  Row& r = at(fn);
  r.info.term_us = fold(r.info.term_us, r.terminations, term_us);
  ++r.terminations;
}

void FunctionInfoTable::on_resources(model::FunctionId fn, double cpu_cores, model::MegaBytes memory_mb,
                                     double io_share) {
  Row& r = at(fn);
  r.info.cpu_cores = fold(r.info.cpu_cores, r.measured, cpu_cores);
  r.info.memory_mb = fold(r.info.memory_mb, r.measured, memory_mb);
  r.info.io_share = fold(r.info.io_share, r.measured, io_share);
  ++r.measured;
}

FunctionInfo FunctionInfoTable::row(model::FunctionId fn, model::Micros now) const {
  if (fn >= rows_.size()) return FunctionInfo{};
  const Row& r = rows_[fn];
  FunctionInfo out = r.info;
  out.since_last_arrival_us = r.last_arrival_us == model::kNever ? model::kNever : std::max<model::Micros>(0, now - r.last_arrival_us);
  std::uint64_t sum = 0;
  if (r.window_minute >= 0) {
    const std::int64_t m = minute_of(now);
    // Minutes in the Freq window [m − W + 1, m] that the ring still holds [newest − W + 1, newest].
    const std::int64_t lo = std::max(m, r.window_minute) - kFreqWindowMinutes + 1;
    const std::int64_t hi = std::min(m, r.window_minute);
    for (std::int64_t k = std::max<std::int64_t>(lo, 0); k <= hi; ++k)
      sum += r.window[static_cast<std::size_t>(k % kFreqWindowMinutes)];
  }
  out.freq_per_min = static_cast<double>(sum) / kFreqWindowMinutes;
  return out;
}

}  // namespace hearth::policy
