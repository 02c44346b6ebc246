// ProcessorSharing against its former implementation (tests/sim/processor_sharing_reference.h: weighted
// mode in ordered sets and a hash map) on random arrivals, works, weights and core counts, with job ids
// reused as the engine reuses them: the same jobs finish at the same instants in the same order, and every
// next_finish() and running() agrees, bit for bit.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/processor_sharing.h"
#include "tests/sim/processor_sharing_reference.h"

namespace hearth::sim {
namespace {

struct Arrival {
  model::Micros at;
  model::Micros work;
  std::uint32_t weight;
};

RC_GTEST_PROP(ProcessorSharingReference, WeightedFinishesEqualTheSetBasedImplementation, ()) {
  const int cores = *rc::gen::inRange(1, 9);
  const auto weight = rc::gen::oneOf(rc::gen::just<std::uint32_t>(1), rc::gen::inRange<std::uint32_t>(1, 4),
                                     rc::gen::inRange<std::uint32_t>(1, 200));
  std::vector<Arrival> jobs = *rc::gen::container<std::vector<Arrival>>(
      rc::gen::construct<Arrival>(rc::gen::inRange<model::Micros>(0, 2'000'000),
                                  rc::gen::inRange<model::Micros>(1, 1'000'000), weight));
  std::sort(jobs.begin(), jobs.end(), [](const Arrival& a, const Arrival& b) { return a.at < b.at; });

  ProcessorSharing cpu(cores);
  reference::SetProcessorSharing ref(cores);
  std::vector<std::uint32_t> free_ids;  // ids of finished jobs, reused like the engine's job slots
  std::uint32_t next_id = 0;
  std::size_t next = 0, finishes = 0;
  while (next < jobs.size() || cpu.running() > 0) {
    const model::Micros finish = cpu.next_finish();
    RC_ASSERT(finish == ref.next_finish());
    RC_ASSERT(cpu.running() == ref.running());
    if (next < jobs.size() && jobs[next].at < finish) {
      cpu.advance(jobs[next].at);
      ref.advance(jobs[next].at);
      std::uint32_t id = next_id;
      if (free_ids.empty()) {
        ++next_id;
      } else {
        id = free_ids.back();
        free_ids.pop_back();
      }
      cpu.add(id, jobs[next].work, jobs[next].weight);
      ref.add(id, jobs[next].work, jobs[next].weight);
      ++next;
    } else {
      cpu.advance(finish);
      ref.advance(finish);
      std::uint32_t a = 0, b = 0;
      for (bool more = cpu.pop_done(&a); more; more = cpu.pop_done(&a)) {
        RC_ASSERT(ref.pop_done(&b));
        RC_ASSERT(a == b);
        RC_ASSERT(cpu.rate(7) == ref.rate(7));
        free_ids.push_back(a);
        ++finishes;
      }
      RC_ASSERT(!ref.pop_done(&b));
    }
  }
  RC_ASSERT(finishes == jobs.size());
}

}  // namespace
}  // namespace hearth::sim
