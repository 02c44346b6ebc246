// PageRecorder: FaaSnap's host page recording (seed 001, Ch. 5.3): which pages of a set of files enter
// the host page cache, and in which order, while something runs — found with repeated mincore(2) scans of
// read-only mappings of the files, not by tracing faults. What readahead brings in is recorded too, as the
// chapter wants: a page the kernel read ahead is likely to be needed by the next invocation.
// Use: evict the files' pages (evict_page_cache), start(), run the recording restore + invocation, stop().
// The result lists every resident page once, in first-seen order: pages seen by an earlier scan come first,
// pages first seen by the same scan follow in file and offset order. Pages already resident when start()
// scans are recorded first (`initially_resident` of them).
// A background thread scans every `interval`; mapping a file reads none of its pages. Cost per scan: one
// mincore per file, about 1 µs per 1,000 pages. Files must not shrink while recorded (the mapping would
// SIGBUS on access; mincore itself does not touch pages). Not copyable; stop() joins the thread, and the
// destructor does if stop() was not called.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace hearth::snapshot {

inline constexpr std::int64_t kPageBytes = 4096;

struct PageRef {
  std::uint32_t file = 0;  // index into the files recorded
  std::int64_t page = 0;   // page index within the file
  bool operator==(const PageRef&) const = default;
};

struct WorkingSet {
  std::vector<std::string> files;
  std::vector<std::int64_t> file_pages;  // each file's length in pages (rounded up)
  std::vector<PageRef> order;            // resident pages, first-seen order
  std::int64_t initially_resident = 0;
  std::int64_t scans = 0;
};

// posix_fadvise(POSIX_FADV_DONTNEED) over each file after fdatasync (dirty pages cannot be dropped): only
// these files' pages leave the page cache, never the whole machine's. Throws std::runtime_error naming a
// file that cannot be opened.
void evict_page_cache(const std::vector<std::string>& files);

// How many of the file's pages are resident now (one mincore).
std::int64_t resident_pages(const std::string& file);

class PageRecorder {
 public:
  // Maps the files read-only. Throws std::runtime_error naming a file that cannot be opened or mapped, and
  // std::invalid_argument for an empty file list or an interval below 100 µs.
  PageRecorder(std::vector<std::string> files, std::chrono::microseconds interval);
  ~PageRecorder();
  PageRecorder(const PageRecorder&) = delete;
  PageRecorder& operator=(const PageRecorder&) = delete;

  void start();       // one scan now (the initially resident pages), then the thread
  WorkingSet stop();  // stops the thread, scans a last time, returns what was recorded

 private:
  void scan();
  struct Mapping {
    std::string path;
    void* addr = nullptr;
    std::int64_t pages = 0;
    std::vector<unsigned char> seen;  // 1 once recorded
    std::vector<unsigned char> vec;   // mincore's output
  };
  std::vector<Mapping> maps_;
  std::chrono::microseconds interval_;
  WorkingSet result_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  bool started_ = false;
};

}  // namespace hearth::snapshot
