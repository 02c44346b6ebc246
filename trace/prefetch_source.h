// PrefetchSource: reads an InvocationSource one batch ahead on a thread of its own, so that producing the
// next batch (the synthetic generator's arrivals, a reader's parsing) overlaps with the consumer's work
// on this one: on a machine with a spare core a replay's generation costs no wall time.
// The batches (and faascache_arrival_ms()) are exactly the inner source's, in the same order; the inner
// source is used by the worker thread only, from construction until the end or destruction, so nothing
// else may call it meanwhile. An exception the inner source throws (TraceError for malformed input) is
// rethrown by the next_batch() that would have returned its batch.
// Cost: one extra batch of memory (the one being produced) and a hand-over (a mutex and condition
// variable) per batch.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "trace/workload.h"

namespace hearth::trace {

class PrefetchSource final : public InvocationSource {
 public:
  explicit PrefetchSource(InvocationSource& inner);
  ~PrefetchSource() override;
  PrefetchSource(const PrefetchSource&) = delete;
  PrefetchSource& operator=(const PrefetchSource&) = delete;

  bool next_batch(std::vector<model::Invocation>& out) override;
  model::Micros span_us() const override { return span_us_; }
  const std::vector<double>* faascache_arrival_ms() const override { return has_ms_ ? &ms_ : nullptr; }

 private:
  void produce();

  InvocationSource& inner_;
  const model::Micros span_us_;
  std::mutex mutex_;
  std::condition_variable changed_;
  // The batch handed over (valid while full_), and what the consumer holds.
  std::vector<model::Invocation> ready_;
  std::vector<double> ready_ms_, ms_;
  bool ready_has_ms_ = false, has_ms_ = false;
  bool full_ = false;      // ready_ holds a batch the consumer has not taken
  bool done_ = false;      // the inner source is exhausted (or threw): nothing follows ready_
  bool stop_ = false;      // the consumer is gone
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace hearth::trace
