#include "trace/synth_source.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>

#include "trace/poisson_draw.h"

namespace hearth::trace {
namespace {

using model::Micros;
constexpr Micros kMinute = model::kMicrosPerMinute;

// Sorts keys (µs offset in the minute << 32 | function) by offset with two stable 13-bit counting passes
// (offsets < 2^26), then orders runs of equal offsets by function.
void sort_minute(std::vector<std::uint64_t>& keys, std::vector<std::uint64_t>& tmp) {
  constexpr int kBits = 13;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  static_assert(kMinute <= (Micros{1} << (2 * kBits)));
  tmp.resize(keys.size());
  std::vector<std::uint32_t> count(kBuckets);
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<std::uint64_t>& from = pass == 0 ? keys : tmp;
    std::vector<std::uint64_t>& to = pass == 0 ? tmp : keys;
    const int shift = 32 + pass * kBits;
    std::fill(count.begin(), count.end(), 0);
    for (std::uint64_t k : from) ++count[(k >> shift) & (kBuckets - 1)];
    std::uint32_t sum = 0;
    for (auto& c : count) sum += std::exchange(c, sum);
    for (std::uint64_t k : from) to[count[(k >> shift) & (kBuckets - 1)]++] = k;
  }
  for (std::size_t i = 1; i < keys.size(); ++i) {
    if ((keys[i] >> 32) != (keys[i - 1] >> 32)) continue;
    std::size_t j = i + 1;
    while (j < keys.size() && (keys[j] >> 32) == (keys[i] >> 32)) ++j;
    std::sort(keys.begin() + static_cast<std::ptrdiff_t>(i - 1), keys.begin() + static_cast<std::ptrdiff_t>(j));
    i = j - 1;
  }
}

class SynthSource final : public InvocationSource {
 public:
  SynthSource(std::vector<SynthFunction> fns, SynthOptions opts)
      : fns_(std::move(fns)), opts_(std::move(opts)), rng_(opts_.seed ^ 0x5eed), state_(fns_.size()) {
    warm_us_.reserve(fns_.size());
    for (const SynthFunction& f : fns_) {
      warm_us_.push_back(f.spec.warm_us);
      if (f.timer_period_us > 0) {
        if (f.timer_phase_us < span_us()) heap_.emplace_back(f.timer_phase_us, f.spec.id);
        continue;
      }
      if (f.on_fraction >= 1 && f.rate_per_minute >= kSynthFastPerMinute) {
        fast_.push_back(f.spec.id);
        continue;
      }
      BurstState& s = state_[f.spec.id];
      if (f.on_fraction < 1) {
        s.on = unit_uniform(rng_) < f.on_fraction;
        s.end = draw_period(f, s.on);
      } else {
        s.on = true;
        s.end = span_us();
      }
      const Micros first = next_arrival(f.spec.id, 0);
      if (first >= 0) heap_.emplace_back(first, f.spec.id);
    }
    for (std::size_t i = heap_.size(); i-- > 0;) sift_down(i);
  }

  bool next_batch(std::vector<model::Invocation>& out) override {
    out.clear();
    while (pos_ == keys_.size()) {
      if (minute_ >= opts_.minutes) return false;
      generate_minute();
    }
    const std::size_t n = std::min(kBatchInvocations, keys_.size() - pos_);
    out.resize(n);
    const Micros start = (minute_ - 1) * kMinute;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t key = keys_[pos_ + i];
      model::Invocation& inv = out[i];
      inv.id = next_id_++;
      inv.function = static_cast<model::FunctionId>(key & 0xffffffffu);
      inv.arrival_us = start + static_cast<Micros>(key >> 32);
      inv.exec_us = warm_us_[inv.function];
    }
    pos_ += n;
    return true;
  }

  Micros span_us() const override { return opts_.minutes * kMinute; }

 private:
  struct BurstState {
    bool on = true;
    Micros end = 0;  // when the current on or off period ends
  };

  // Draws minute_'s arrivals into keys_, sorted, and moves to the next minute.
  void generate_minute() {
    keys_.clear();
    pos_ = 0;
    const Micros start = minute_ * kMinute, end = start + kMinute;
    const double modulation = synth_modulation(opts_, start + kMinute / 2);
    for (model::FunctionId fn : fast_) {
      const std::uint64_t n = draw_poisson(fns_[fn].rate_per_minute * modulation, rng_);
      for (std::uint64_t i = 0; i < n; ++i) keys_.push_back(uniform_below(kMinute, rng_) << 32 | fn);
    }
    while (!heap_.empty() && heap_.front().first < end) {
      auto [t, fn] = heap_.front();
      const bool timer = fns_[fn].timer_period_us > 0;
      do {
        if (timer || unit_uniform(rng_) < synth_modulation(opts_, t) / peak_)
          keys_.push_back(static_cast<std::uint64_t>(t - start) << 32 | fn);
        t = next_arrival(fn, t);
      } while (t >= 0 && t < end);
      // The function's next arrival replaces the top (one sift), or the function leaves the heap.
      if (t >= 0) {
        heap_.front().first = t;
      } else {
        heap_.front() = heap_.back();
        heap_.pop_back();
      }
      if (!heap_.empty()) sift_down(0);
    }
    sort_minute(keys_, tmp_);
    ++minute_;
  }

  // An exponential delay of the given mean (µs), or -1 when it lands beyond the span (no overflow).
  Micros draw_delay(double mean_us, Micros from) {
    const double d = std::exponential_distribution<double>(1.0)(rng_) * mean_us;
    if (!(d < static_cast<double>(span_us() - from))) return -1;
    return static_cast<Micros>(d);
  }
  Micros draw_period(const SynthFunction& f, bool on) {
    const double cycle = kSynthBurstCycleMinutes * static_cast<double>(kMinute);
    const double mean = on ? cycle * f.on_fraction : cycle * (1 - f.on_fraction);
    const Micros d = draw_delay(mean, 0);
    return d < 0 ? span_us() : d;
  }

  // A 4-ary min-heap on (time, function): each function has at most one entry.
  void sift_down(std::size_t i) {
    const auto item = heap_[i];
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= heap_.size()) break;
      std::size_t best = first;
      for (std::size_t c = first + 1; c < std::min(first + 4, heap_.size()); ++c)
        if (heap_[c] < heap_[best]) best = c;
      if (!(heap_[best] < item)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = item;
  }

  // The function's next arrival (a candidate, for thinning) after `after`, or -1 beyond the span.
  // Candidates at the peak rate (during on periods: rate / on_fraction); exponential gaps are memoryless, so a
  // candidate that falls past the end of an on period is dropped and drawing restarts at the next on period.
  Micros next_arrival(model::FunctionId fn, Micros after) {
    const SynthFunction& f = fns_[fn];
    if (f.timer_period_us > 0) return after + f.timer_period_us < span_us() ? after + f.timer_period_us : -1;
    BurstState& s = state_[fn];
    const double cycle = kSynthBurstCycleMinutes * static_cast<double>(kMinute);
    const double mean_gap_us = static_cast<double>(kMinute) * f.on_fraction / (f.rate_per_minute * peak_);
    Micros t = after;
    while (t < span_us()) {
      if (!s.on) {
        t = s.end;
        s.on = true;
        const Micros d = draw_delay(cycle * f.on_fraction, t);
        s.end = d < 0 ? span_us() : t + d;
        continue;
      }
      const Micros gap = draw_delay(mean_gap_us, t + 1);
      if (gap >= 0 && t + 1 + gap < s.end) return t + 1 + gap < span_us() ? t + 1 + gap : -1;
      if (s.end >= span_us()) return -1;
      t = s.end;
      s.on = false;
      const Micros d = draw_delay(cycle * (1 - f.on_fraction), t);
      s.end = d < 0 ? span_us() : t + d;
    }
    return -1;
  }

  static constexpr std::size_t kBatchInvocations = 16384;

  std::vector<SynthFunction> fns_;
  SynthOptions opts_;
  double peak_ = synth_modulation_max(opts_);
  std::mt19937_64 rng_;
  std::vector<BurstState> state_;
  std::vector<Micros> warm_us_;               // per function: the invocations' exec_us
  std::vector<model::FunctionId> fast_;       // the per-minute Poisson path, in function order
  std::vector<std::pair<Micros, model::FunctionId>> heap_;  // the others' next arrival
  std::vector<std::uint64_t> keys_, tmp_;     // the current minute's arrivals (offset << 32 | function)
  std::size_t pos_ = 0;                       // keys_ handed out so far
  std::int64_t minute_ = 0;                   // the next minute to generate
  model::InvocationId next_id_ = 0;
};

}  // namespace

std::unique_ptr<InvocationSource> make_synth_source(std::vector<SynthFunction> functions, SynthOptions options) {
  return std::make_unique<SynthSource>(std::move(functions), std::move(options));
}

}  // namespace hearth::trace
