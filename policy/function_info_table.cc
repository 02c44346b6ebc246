#include "policy/function_info_table.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

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

// The minute the ring's newest slot holds: that of the latest arrival (the newest minute any arrival fell
// in, as minute_of is monotone), -1 before one (or while every arrival was before time 0).
std::int64_t window_minute(model::Micros last_arrival_us) {
  return last_arrival_us == model::kNever ? -1 : std::max<std::int64_t>(-1, minute_of(last_arrival_us));
}

}  // namespace

FunctionInfoTable::Row& FunctionInfoTable::at(model::FunctionId fn) {
  static_assert(offsetof(Row, init_us) == 64 && offsetof(Row, cpu_cores) >= 120, "the row's lines as documented");
  if (fn >= rows_.size()) rows_.resize(std::size_t{fn} + 1);
  return rows_[fn];
}

void FunctionInfoTable::on_function_added(const model::FunctionSpec& fn) {
  Row& r = at(fn.id);
  if (r.seeded) return;
  r.seeded = true;
  // Seeds stand until the first measurement of each (the counters are still 0).
  if (r.measured == 0) {
    r.memory_mb = fn.memory_mb;
    // Its CPU limit where it has one (live actions' limits.cpu), else §IV's 512 MB ↔ 1 core.
    r.cpu_cores = fn.cpu_millicores > 0 ? static_cast<double>(fn.cpu_millicores) / 1000.0
                                        : static_cast<double>(fn.memory_mb) / 512.0;
    r.io_share = 0;
  }
  if (r.cold_starts == 0) r.init_us = fn.cold_start_us;
  if (r.completions == 0) r.exec_us = fn.warm_us;
}

void FunctionInfoTable::on_arrival(model::FunctionId fn, model::Micros now, double input_bytes) {
  Row& r = at(fn);
  // Folding a 0 into a mean of exactly 0 leaves it 0: until an arrival brings input bytes, only count.
  if (r.inputs || input_bytes != 0 || std::signbit(input_bytes)) {
    r.input_bytes = fold(r.input_bytes, r.arrivals, input_bytes);
    r.inputs = true;
  }
  ++r.arrivals;
  const std::int64_t newest = window_minute(r.last_arrival_us);
  r.last_arrival_us = r.last_arrival_us == model::kNever ? now : std::max(r.last_arrival_us, now);
  const std::int64_t m = minute_of(now);
  if (m > newest) {
    // Clear the slots of the minutes the ring skips (at most the whole ring).
    const std::int64_t skipped = std::min<std::int64_t>(m - newest, kFreqWindowMinutes);
    for (std::int64_t k = 0; k < skipped; ++k) r.window[static_cast<std::size_t>((m - k) % kFreqWindowMinutes)] = 0;
  }
  // An arrival older than the ring holds (out of order by more than the window) no longer counts.
  if (m > std::max(newest, m) - kFreqWindowMinutes && m >= 0)
    ++r.window[static_cast<std::size_t>(m % kFreqWindowMinutes)];
}

void FunctionInfoTable::on_completed(model::FunctionId fn, model::StartKind kind, model::Micros startup_us,
                                     model::Micros exec_us, model::Micros now) {
  (void)now;
  Row& r = at(fn);
  if (kind == model::StartKind::kCold) {
    r.init_us = fold(r.init_us, r.cold_starts, startup_us);
    ++r.cold_starts;
  }
  r.exec_us = fold(r.exec_us, r.completions, exec_us);
  ++r.completions;
}

void FunctionInfoTable::on_terminated(model::FunctionId fn, model::Micros term_us) {
  Row& r = at(fn);
  r.term_us = fold(r.term_us, r.terminations, term_us);
  ++r.terminations;
}

void FunctionInfoTable::on_resources(model::FunctionId fn, double cpu_cores, model::MegaBytes memory_mb,
                                     double io_share) {
  Row& r = at(fn);
  r.cpu_cores = fold(r.cpu_cores, r.measured, cpu_cores);
  r.memory_mb = fold(r.memory_mb, r.measured, memory_mb);
  r.io_share = fold(r.io_share, r.measured, io_share);
  ++r.measured;
}

FunctionInfo FunctionInfoTable::row(model::FunctionId fn, model::Micros now) const {
  if (fn >= rows_.size()) return FunctionInfo{};
  const Row& r = rows_[fn];
  FunctionInfo out;
  out.cpu_cores = r.cpu_cores;
  out.memory_mb = r.memory_mb;
  out.io_share = r.io_share;
  out.input_bytes = r.input_bytes;
  out.init_us = r.init_us;
  out.exec_us = r.exec_us;
  out.term_us = r.term_us;
  out.since_last_arrival_us = r.last_arrival_us == model::kNever ? model::kNever : std::max<model::Micros>(0, now - r.last_arrival_us);
  std::uint64_t sum = 0;
  const std::int64_t newest = window_minute(r.last_arrival_us);
  if (newest >= 0) {
    const std::int64_t m = minute_of(now);
    // Minutes in the Freq window [m − W + 1, m] that the ring still holds [newest − W + 1, newest].
    const std::int64_t lo = std::max(m, newest) - kFreqWindowMinutes + 1;
    const std::int64_t hi = std::min(m, newest);
    for (std::int64_t k = std::max<std::int64_t>(lo, 0); k <= hi; ++k)
      sum += r.window[static_cast<std::size_t>(k % kFreqWindowMinutes)];
  }
  out.freq_per_min = static_cast<double>(sum) / kFreqWindowMinutes;
  return out;
}

}  // namespace hearth::policy
