#include "sim/metrics_pipe.h"

#include <bit>
#include <stdexcept>
#include <utility>

namespace hearth::sim {

MetricsPipe::MetricsPipe(Metrics& metrics, bool threaded, std::size_t batch, std::size_t slots)
    : metrics_(metrics), threaded_(threaded), batch_(batch), slots_(slots) {
  if (!threaded_) return;
  if (batch_ == 0 || slots_ == 0) throw std::invalid_argument("MetricsPipe: batch and slots must be positive");
  ring_.resize(batch_ * slots_);
  sizes_.assign(slots_, 0);
  write_ = ring_.data();
  write_end_ = write_ + batch_;
  folder_ = std::thread([this] { fold(); });
}

MetricsPipe::~MetricsPipe() {
  try {
    finish();
  } catch (...) {  // reported by finish() to whoever called it; here only the thread must end
  }
}

void MetricsPipe::drop(const model::Invocation& inv, model::DropReason reason) {
  Record r{0, inv.arrival_us, inv.exec_us, 0, 0, inv.function, Op::kDrop, static_cast<std::uint8_t>(reason)};
  push(r);
}

void MetricsPipe::memory(model::Micros at_us, double used_mb, double idle_mb, double balance) {
  Record r{at_us, std::bit_cast<model::Micros>(used_mb), std::bit_cast<model::Micros>(idle_mb),
           std::bit_cast<model::Micros>(balance), 0, 0, Op::kMemory, 0};
  push(r);
}

void MetricsPipe::active_memory(double mean_fraction, double stddev) {
  Record r{0, std::bit_cast<model::Micros>(mean_fraction), std::bit_cast<model::Micros>(stddev), 0, 0, 0,
           Op::kActiveMemory, 0};
  push(r);
}

void MetricsPipe::apply(Metrics& m, const Record& r) {
  switch (r.op) {
    case Op::kStart:
    case Op::kStartAndCompletion: {
      const model::Invocation inv{0, r.function, r.arrival_us, r.exec_us};
      m.record_start(inv, static_cast<model::StartKind>(r.kind), r.t, r.startup_us, r.run_us);
      if (r.op == Op::kStartAndCompletion) m.record_completion(r.t + r.startup_us + r.run_us);
      break;
    }
    case Op::kCompletion:
      m.record_completion(r.t);
      break;
    case Op::kDrop:
      m.record_drop(model::Invocation{0, r.function, r.arrival_us, r.exec_us}, static_cast<model::DropReason>(r.kind));
      break;
    case Op::kMemory:
      m.record_memory(r.t, std::bit_cast<double>(r.arrival_us), std::bit_cast<double>(r.exec_us),
                      std::bit_cast<double>(r.startup_us));
      break;
    case Op::kActiveMemory:
      m.record_active_memory(std::bit_cast<double>(r.arrival_us), std::bit_cast<double>(r.exec_us));
      break;
  }
}

void MetricsPipe::hand_over() {
  const std::size_t count = static_cast<std::size_t>(write_ - (write_end_ - batch_));
  std::unique_lock lock(mutex_);
  sizes_[published_ % slots_] = count;
  ++published_;  // the unlock below releases the batch's records to the folder
  if (folder_waits_) changed_.notify_all();
  if (closed_) return;
  writer_waits_ = true;
  changed_.wait(lock, [&] { return published_ - folded_ < slots_; });  // a free slot (its reads released)
  writer_waits_ = false;
  write_ = ring_.data() + (published_ % slots_) * batch_;
  write_end_ = write_ + batch_;
}

void MetricsPipe::fold() {
  bool failed = false;
  for (;;) {
    std::uint64_t from, to;
    {
      std::unique_lock lock(mutex_);
      folder_waits_ = true;
      changed_.wait(lock, [&] { return folded_ < published_ || closed_; });
      folder_waits_ = false;
      if (folded_ == published_) return;  // closed and everything folded
      from = folded_;
      to = published_;  // the lock acquired these batches' records
    }
    for (std::uint64_t b = from; b < to; ++b) {
      const Record* r = ring_.data() + (b % slots_) * batch_;
      const Record* end = r + sizes_[b % slots_];  // written before published_ moved past b
      if (!failed) {
        try {
          for (; r != end; ++r) apply(metrics_, *r);
        } catch (...) {  // kept for finish(); the rest is consumed unfolded so the writer never blocks
          failed = true;
          std::lock_guard lock(mutex_);
          error_ = std::current_exception();
        }
      }
    }
    std::lock_guard lock(mutex_);
    folded_ = to;  // the unlock releases this thread's reads of those slots to the writer
    if (writer_waits_ || closed_) changed_.notify_all();
  }
}

void MetricsPipe::finish() {
  if (!threaded_ || finished_) return;
  finished_ = true;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;  // hand_over publishes the last batch and returns without waiting for a slot
  }
  hand_over();
  changed_.notify_all();
  folder_.join();  // joining makes the folder's writes to the Metrics visible here
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace hearth::sim
