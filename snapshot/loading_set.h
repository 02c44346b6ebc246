// LoadingSet: what a FaaSnap loader fetches before or while a restored function runs (seed 001, Ch. 5.3.4):
// the recorded working set (snapshot/page_recorder.h) split into working-set groups of `group_pages`
// pages in first-access order, zero pages dropped (nothing to read: the chapter maps them to anonymous
// memory; here runsc's --exclude-committed-zero-pages leaves them out of the pages file), and within each
// group the pages merged into regions of consecutive pages of one file, a gap of up to `merge_gap_pages`
// non-set pages being read along rather than splitting a region (the chapter's 32). Regions are ordered by
// group, then file and offset: the loader reads group 1's regions first, each sequentially.
// The loading-set file is the compact text form of it: a header line, the files, then one line per region
// ("group file first_page pages"); read_loading_set checks every field and names the line at fault.
// Cost: O(n log n) in the working set's pages to build, plus one 4 KiB pread per page for the zero test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot/page_recorder.h"

namespace hearth::snapshot {

inline constexpr std::int64_t kGroupPages = 1024;   // the chapter's N
inline constexpr std::int64_t kMergeGapPages = 32;  // the chapter's merge distance

struct LoadingRegion {
  std::int32_t group = 0;
  std::uint32_t file = 0;
  std::int64_t first_page = 0;
  std::int64_t pages = 0;
  bool operator==(const LoadingRegion&) const = default;
};

struct LoadingSet {
  std::vector<std::string> files;
  std::vector<LoadingRegion> regions;
  std::int64_t working_set_pages = 0;  // pages recorded
  std::int64_t zero_pages = 0;         // of those, dropped as all-zero
  std::int64_t total_pages() const;    // pages the regions cover (loading set + merged gaps)
};

struct LoadingSetOptions {
  std::int64_t group_pages = kGroupPages;
  std::int64_t merge_gap_pages = kMergeGapPages;
  bool drop_zero_pages = true;  // reads each page once to test it
};

// Throws std::invalid_argument for group_pages < 1 or merge_gap_pages < 0, std::runtime_error for a file
// that cannot be read.
LoadingSet build_loading_set(const WorkingSet& ws, const LoadingSetOptions& options = {});

void write_loading_set(const std::string& path, const LoadingSet& set);
// Throws std::runtime_error "path:line: what" for anything malformed (unknown header, a region naming a
// file that is not listed, negative or overflowing pages, more than kMaxRegions regions).
inline constexpr std::size_t kMaxRegions = 1 << 22;
LoadingSet read_loading_set(const std::string& path);

}  // namespace hearth::snapshot
