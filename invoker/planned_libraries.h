// PlannedLibraries: the libraries the controller's plan asks this invoker to prepare in advance
// ("library_prepare"; controller/library_plan.h, docs/scorpius.md "Live"). set() hands the latest row to a
// background thread (never blocking the wire's reader: preparing fetches over that same connection),
// which prepares it in the node's LibraryCache and keeps it pinned; the previous row's pins are released
// only once the new row is acquired, so a library in both never leaves the cache. Only the newest row
// waits (rows replace each other), so memory is bounded by one row. A row that cannot be prepared (the
// cache is full of pinned libraries, a fetch failed) is logged and dropped; the old pins stay.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "invoker/library_cache.h"
#include "net/records.h"

namespace hearth::invoker {

class PlannedLibraries {
 public:
  explicit PlannedLibraries(LibraryCache& cache);
  ~PlannedLibraries();  // stops the thread (a preparation in progress finishes first)
  PlannedLibraries(const PlannedLibraries&) = delete;
  PlannedLibraries& operator=(const PlannedLibraries&) = delete;

  void set(std::vector<net::LibraryRef> row);
  // Rows prepared so far (tests), and whether the newest row set is the one pinned now.
  std::uint64_t rows_prepared() const;
  bool wait_settled(std::int64_t timeout_ms) const;

 private:
  void run();

  LibraryCache& cache_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::optional<std::vector<net::LibraryRef>> next_;
  std::unique_ptr<LibraryCache::Lease> pinned_;
  bool busy_ = false, stopping_ = false;
  std::uint64_t prepared_ = 0;
  std::thread worker_;
};

}  // namespace hearth::invoker
