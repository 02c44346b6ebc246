#include "invoker/planned_libraries.h"

#include <chrono>
#include <cstdio>

namespace hearth::invoker {

PlannedLibraries::PlannedLibraries(LibraryCache& cache) : cache_(cache) {
  worker_ = std::thread([this] { run(); });
}

PlannedLibraries::~PlannedLibraries() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void PlannedLibraries::set(std::vector<net::LibraryRef> row) {
  {
    std::lock_guard lock(mu_);
    next_ = std::move(row);
  }
  changed_.notify_all();
}

std::uint64_t PlannedLibraries::rows_prepared() const {
  std::lock_guard lock(mu_);
  return prepared_;
}

bool PlannedLibraries::wait_settled(std::int64_t timeout_ms) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !next_ && !busy_; });
}

void PlannedLibraries::run() {
  std::unique_lock lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || next_; });
    if (stopping_) break;
    std::vector<net::LibraryRef> row = std::move(*next_);
    next_.reset();
    busy_ = true;
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<LibraryCache::Lease> lease;
    LibraryCache::Phases phases;
    std::string error;
    try {
      lease = cache_.acquire(row, &phases);
    } catch (const std::exception& e) {
      error = e.what();
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    if (error.empty())
      std::fprintf(stderr, "hearth invoker: library plan: %zu libraries pinned (%d prepared now, %d cached) in %lld ms\n",
                   row.size(), phases.prepared, phases.hits, static_cast<long long>(ms));
    else
      std::fprintf(stderr, "hearth invoker: library plan of %zu libraries not prepared: %s\n", row.size(), error.c_str());
    lock.lock();
    if (lease) {
      std::swap(pinned_, lease);  // the old pins go with `lease` below, after the new ones are held
      ++prepared_;
    }
    busy_ = false;
    changed_.notify_all();
    lock.unlock();
    lease.reset();
    lock.lock();
  }
}

}  // namespace hearth::invoker
