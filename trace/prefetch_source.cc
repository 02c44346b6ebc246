#include "trace/prefetch_source.h"

#include <utility>

namespace hearth::trace {

PrefetchSource::PrefetchSource(InvocationSource& inner)
    : inner_(inner), span_us_(inner.span_us()), worker_([this] { produce(); }) {}

PrefetchSource::~PrefetchSource() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void PrefetchSource::produce() {
  std::vector<model::Invocation> batch;
  std::vector<double> ms;
  for (;;) {
    bool more = false, has_ms = false;
    std::exception_ptr error;
    try {
      more = inner_.next_batch(batch);
      if (const std::vector<double>* m = inner_.faascache_arrival_ms(); more && m) {
        ms = *m;
        has_ms = true;
      }
    } catch (...) {
      error = std::current_exception();
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !full_ || stop_; });
    if (stop_) return;
    if (error || !more) {
      error_ = error;
      done_ = true;
      changed_.notify_all();
      return;
    }
    std::swap(ready_, batch);
    std::swap(ready_ms_, ms);
    ready_has_ms_ = has_ms;
    full_ = true;
    changed_.notify_all();
  }
}

bool PrefetchSource::next_batch(std::vector<model::Invocation>& out) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return full_ || done_; });
  if (!full_) {
    out.clear();
    has_ms_ = false;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return false;
  }
  std::swap(out, ready_);
  std::swap(ms_, ready_ms_);
  has_ms_ = ready_has_ms_;
  full_ = false;
  changed_.notify_all();
  return true;
}

}  // namespace hearth::trace
