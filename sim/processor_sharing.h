// ProcessorSharing: one node's CPU shared by the invocations running on it, as a kernel scheduler shares
// cores between single-threaded processes. n jobs on c cores each progress at min(1, c/n) µs of CPU work
// per µs (a job never runs faster than one core), so a job's execution stretches while the node is
// over-committed instead of waiting in a queue.
// Kept in virtual time (GPS): V is the CPU work each running job has received since the node was last
// idle, advanced at the current rate; a job added at V with w µs of work finishes when V reaches its tag
// V + w. Tags sit in a min-heap, so the next job to finish is the top, whatever the running set does.
// Cost: add and pop_done O(log n), next_finish O(1), advance O(1); independent of other nodes.
// Virtual work is a double internally (reset to 0 whenever the node goes idle); instants are int64 µs and
// finish instants round up to the µs, so a job finishes at most 1 µs after its exact GPS finish.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/time.h"

namespace hearth::sim {

class ProcessorSharing {
 public:
  explicit ProcessorSharing(std::int32_t cores) : cores_(cores) {}

  // Brings virtual time up to `now` (not earlier than the last call).
  void advance(model::Micros now);
  // A job with `work_us` µs of CPU work joins at the current instant (after advance()).
  void add(std::uint32_t job, model::Micros work_us);
  // A job whose work is done at the current instant, removed; nullopt if none. Jobs that finish together
  // come out in the order of their ids.
  std::optional<std::uint32_t> pop_done();
  // The instant the next job finishes at the current rate; model::kNever if none runs.
  model::Micros next_finish() const;
  std::int32_t running() const { return static_cast<std::int32_t>(heap_.size()); }
  // CPU work per µs each running job receives now.
  double rate() const;

 private:
  struct Tag {  // 16 bytes: four to a cache line
    double finish;  // virtual work at which the job is done
    std::uint32_t job;
    bool operator>(const Tag& o) const { return finish != o.finish ? finish > o.finish : job > o.job; }
  };

  std::int32_t cores_;
  model::Micros at_ = 0;  // the instant virtual_ is for
  double virtual_ = 0;
  std::vector<Tag> heap_;  // min-heap (std::push_heap with std::greater)
};

}  // namespace hearth::sim
