// MetricsPipe: the engine's writes to its Metrics (starts, completions, drops, memory samples), either
// applied at once on the calling thread or, threaded, handed as compact records to a thread of their own
// that folds them into the Metrics: the metrics are a pure sink of the simulation's decisions (nothing
// the engine decides reads them), so their histograms, per-function statistics, series and 10-s windows
// can be kept on the machine's other core while the simulation thread goes on.
// Results are bit-identical either way: the records are folded in the order they were written, by the
// same Metrics calls (floating-point sums included). The Metrics must not be read, nor written other
// than through the pipe, until finish() has returned (the barrier: every record folded, thread joined).
// Threaded: a bounded ring of `slots` batches of `batch` records (48 bytes each); the writer blocks (on a
// condition variable, no spinning) when every batch is full and unfolded, the folder when none is ready.
// Cost on the writing thread: a 48-byte store per record and a mutex hand-over per batch.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "model/invocation.h"
#include "model/time.h"
#include "sim/metrics.h"

namespace hearth::sim {

class MetricsPipe {
 public:
  static constexpr std::size_t kDefaultBatch = 1024;
  static constexpr std::size_t kDefaultSlots = 8;

  // Writes into `metrics` (which outlives the pipe); threaded: through a folding thread started here.
  MetricsPipe(Metrics& metrics, bool threaded, std::size_t batch = kDefaultBatch, std::size_t slots = kDefaultSlots);
  ~MetricsPipe();  // finish(), errors swallowed (an exception is already unwinding, or finish() ran)
  MetricsPipe(const MetricsPipe&) = delete;
  MetricsPipe& operator=(const MetricsPipe&) = delete;

  bool threaded() const { return threaded_; }

  // Metrics::record_start.
  void start(const model::Invocation& inv, model::StartKind kind, model::Micros start_us, model::Micros startup_us,
             model::Micros run_us) {
    put(Op::kStart, inv, kind, start_us, startup_us, run_us);
  }
  // Metrics::record_start, then record_completion at start_us + startup_us + run_us (one record).
  void start_and_completion(const model::Invocation& inv, model::StartKind kind, model::Micros start_us,
                            model::Micros startup_us, model::Micros run_us) {
    put(Op::kStartAndCompletion, inv, kind, start_us, startup_us, run_us);
  }
  void completion(model::Micros at_us) { put(Op::kCompletion, model::Invocation{0, 0, 0, 0}, {}, at_us, 0, 0); }
  void drop(const model::Invocation& inv, model::DropReason reason);
  void memory(model::Micros at_us, double used_mb, double idle_mb, double balance);
  void active_memory(double mean_fraction, double stddev);
  // Metrics::prefetch where the writes are applied here (a hint; nothing threaded).
  void prefetch(model::FunctionId fn) const {
    if (!threaded_) metrics_.prefetch(fn);
  }

  // The barrier: returns once every record written is in the Metrics and the thread has ended; rethrows
  // what folding threw. Idempotent; nothing may be written after it.
  void finish();

 private:
  enum class Op : std::uint8_t { kStart, kStartAndCompletion, kCompletion, kDrop, kMemory, kActiveMemory };
  // One write. Memory samples keep their doubles' bits in the integer fields.
  struct Record {
    model::Micros t;  // start_us; at_us for completions and memory samples
    model::Micros arrival_us;
    model::Micros exec_us;
    model::Micros startup_us;
    model::Micros run_us;
    model::FunctionId function;
    Op op;
    std::uint8_t kind;  // StartKind or DropReason
  };
  static_assert(sizeof(Record) == 48, "a record is 48 bytes");

  void put(Op op, const model::Invocation& inv, model::StartKind kind, model::Micros t, model::Micros startup,
           model::Micros run) {
    push(Record{t, inv.arrival_us, inv.exec_us, startup, run, inv.function, op, static_cast<std::uint8_t>(kind)});
  }
  void push(const Record& r) {
    if (!threaded_) {
      apply(metrics_, r);
      return;
    }
    *write_++ = r;
    if (write_ == write_end_) hand_over();
  }
  static void apply(Metrics& m, const Record& r);
  void hand_over();  // the batch being written is full (or the last): publish it, take the next free one
  void fold();       // the thread's loop

  Metrics& metrics_;
  const bool threaded_;
  const std::size_t batch_, slots_;
  std::vector<Record> ring_;  // slots_ batches of batch_ records, slot k at k * batch_
  std::vector<std::size_t> sizes_;  // records in each published batch (guarded by mutex_)
  Record* write_ = nullptr;  // the writer's next record, in batch `written_ % slots_`
  Record* write_end_ = nullptr;
  // Guarded by mutex_. Batches [folded_, published_) are ready to fold, at most slots_ of them; the writer
  // owns slot published_ % slots_ exclusively. Memory ordering: the writer fills its batch, then under
  // mutex_ advances published_ (the unlock releases the records); the folder reads published_ under
  // mutex_ (the lock acquires them) and folds outside the lock, then advances folded_ under mutex_ (its
  // unlock releases its reads of the slot before the writer's lock lets it write there again). So a
  // slot is only ever touched by one thread between two hand-overs through mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t published_ = 0, folded_ = 0;
  bool closed_ = false;  // no batch follows published_
  bool writer_waits_ = false, folder_waits_ = false;  // a notify is needed only then
  std::exception_ptr error_;
  bool finished_ = false;
  std::thread folder_;
};

}  // namespace hearth::sim
