// PageLoader: fetches a loading set (snapshot/loading_set.h) into the host page cache, so that what
// restores from those files then reads memory instead of the disk (seed 001, Ch. 5.3.1/5.3.4).
// Two uses, the two the chapter compares:
//   - load_now(): the caller waits until every region is read — REAP's prefetch before the function runs;
//   - start(): a thread reads the regions while the caller already restores and runs the function —
//     FaaSnap's concurrent paging. A page the loader reads first is a page-cache hit for the restore; one
//     the restore reads first costs the loader nothing more than a cache hit.
// Regions are read in loading-set order (group by group), each with preads of up to 1 MiB into one buffer.
// A region past a file's end is read as far as the file goes. Cost: one pread per MiB of the set. The
// destructor stops the thread between reads and joins it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "snapshot/loading_set.h"

namespace hearth::snapshot {

struct LoaderStats {
  std::int64_t regions = 0;
  std::int64_t bytes = 0;       // bytes read
  std::int64_t elapsed_us = 0;  // from the first to the last read
  bool stopped = false;         // ended early (stop requested)
};

// Opens every file of the set. Throws std::runtime_error naming a file that cannot be opened.
LoaderStats load_now(const LoadingSet& set);

class PageLoader {
 public:
  explicit PageLoader(LoadingSet set);
  ~PageLoader();
  PageLoader(const PageLoader&) = delete;
  PageLoader& operator=(const PageLoader&) = delete;

  void start();         // opens the files here (errors throw), then reads in a thread
  LoaderStats wait();   // joins the thread; what it read
 private:
  LoadingSet set_;
  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  LoaderStats stats_;
  std::thread thread_;
};

}  // namespace hearth::snapshot
