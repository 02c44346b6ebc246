// ParallelRuns: runs `count` independent tasks (whole simulations) on at most `jobs` threads, so that
// --compare, --sweep, rate searches and --nodes auto use every core. Each task writes only its own result
// slot, chosen by its index, so results come out in index order whatever the threads' timing: a parallel
// run gives exactly the serial run's results (every simulation is deterministic on its own).
// Threads take the next index from a shared counter (a task never waits for another). If tasks throw,
// the remaining ones not yet begun are skipped and the exception of the lowest index is rethrown after
// every thread has joined. jobs <= 1 runs the tasks one after the other on the calling thread.
// Cost: min(jobs, count) threads for the duration of the call; no queue beyond the counter.
#pragma once

#include <cstddef>
#include <functional>

namespace hearth::sim {

// The default --jobs: the machine's cores (std::thread::hardware_concurrency, 1 if unknown).
unsigned default_jobs();

void run_parallel(std::size_t count, unsigned jobs, const std::function<void(std::size_t)>& task);

}  // namespace hearth::sim
