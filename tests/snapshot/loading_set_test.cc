// Loading sets (snapshot/loading_set.h): working-set groups in first-access order, zero pages dropped,
// regions merged across small gaps, and the loading-set file's round trip and its errors.
#include "snapshot/loading_set.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/trace/temp_dir.h"

namespace hearth::snapshot {
namespace {

// A file of `pages` pages where page i holds the byte i+1 (never zero) unless listed in `zero`.
std::string write_pages(const testing::TempDir& dir, const std::string& name, int pages, std::vector<int> zero = {}) {
  const std::string path = dir.str() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < pages; ++i) {
    const bool is_zero = std::find(zero.begin(), zero.end(), i) != zero.end();
    out << std::string(kPageBytes, is_zero ? '\0' : static_cast<char>(1 + i % 250));
  }
  return path;
}

WorkingSet ws_of(std::vector<std::string> files, std::vector<std::int64_t> pages, std::vector<PageRef> order) {
  WorkingSet ws;
  ws.files = std::move(files);
  ws.file_pages = std::move(pages);
  ws.order = std::move(order);
  return ws;
}

TEST(LoadingSet, GroupsFollowFirstAccessOrderAndRegionsFollowAddressesWithinAGroup) {
  testing::TempDir dir;
  const std::string f = write_pages(dir, "mem", 100);
  // Group size 3: first-seen pages 50, 10, 11 form group 0; 12, 90, 51 group 1; 13 group 2.
  const WorkingSet ws = ws_of({f}, {100}, {{0, 50}, {0, 10}, {0, 11}, {0, 12}, {0, 90}, {0, 51}, {0, 13}});
  const LoadingSet set = build_loading_set(ws, {.group_pages = 3, .merge_gap_pages = 0, .drop_zero_pages = true});
  const std::vector<LoadingRegion> want = {
      {0, 0, 10, 2}, {0, 0, 50, 1}, {1, 0, 12, 1}, {1, 0, 51, 1}, {1, 0, 90, 1}, {2, 0, 13, 1}};
  EXPECT_EQ(set.regions, want);
  EXPECT_EQ(set.working_set_pages, 7);
  EXPECT_EQ(set.zero_pages, 0);
  EXPECT_EQ(set.total_pages(), 7);
}

TEST(LoadingSet, ZeroPagesAreNotLoadedAndSmallGapsAreReadAlong) {
  testing::TempDir dir;
  const std::string f = write_pages(dir, "mem", 200, {5, 6});
  // Pages 0..9 seen (5 and 6 are zero), then 40 and 100 in the same group.
  std::vector<PageRef> order;
  for (int p = 0; p < 10; ++p) order.push_back({0, p});
  order.push_back({0, 40});
  order.push_back({0, 100});
  const WorkingSet ws = ws_of({f}, {200}, order);
  // Without dropping zeros and with no merging: one run 0..9, then 40, then 100.
  const LoadingSet plain = build_loading_set(ws, {.group_pages = 1024, .merge_gap_pages = 0, .drop_zero_pages = false});
  EXPECT_EQ(plain.regions, (std::vector<LoadingRegion>{{0, 0, 0, 10}, {0, 0, 40, 1}, {0, 0, 100, 1}}));
  // Dropping zeros splits the run at 5..6; a gap of 2 pages is merged back with gap 2, and 40 joins a
  // 32-page merge window (gap 30) but 100 does not (gap 59).
  const LoadingSet nomerge = build_loading_set(ws, {.group_pages = 1024, .merge_gap_pages = 0, .drop_zero_pages = true});
  EXPECT_EQ(nomerge.zero_pages, 2);
  EXPECT_EQ(nomerge.regions, (std::vector<LoadingRegion>{{0, 0, 0, 5}, {0, 0, 7, 3}, {0, 0, 40, 1}, {0, 0, 100, 1}}));
  const LoadingSet merged = build_loading_set(ws);
  EXPECT_EQ(merged.regions, (std::vector<LoadingRegion>{{0, 0, 0, 41}, {0, 0, 100, 1}}));
}

TEST(LoadingSet, RegionsNeverSpanTwoFiles) {
  testing::TempDir dir;
  const std::string a = write_pages(dir, "a", 8), b = write_pages(dir, "b", 8);
  const WorkingSet ws = ws_of({a, b}, {8, 8}, {{1, 0}, {0, 7}, {1, 1}});
  const LoadingSet set = build_loading_set(ws);
  EXPECT_EQ(set.regions, (std::vector<LoadingRegion>{{0, 0, 7, 1}, {0, 1, 0, 2}}));
}

TEST(LoadingSet, FileRoundTrips) {
  testing::TempDir dir;
  const std::string f = write_pages(dir, "mem", 64, {3});
  std::vector<PageRef> order;
  for (int p = 63; p >= 0; p -= 2) order.push_back({0, p});
  const LoadingSet set = build_loading_set(ws_of({f}, {64}, order), {.group_pages = 4, .merge_gap_pages = 1});
  write_loading_set(dir.str() + "/ls", set);
  const LoadingSet back = read_loading_set(dir.str() + "/ls");
  EXPECT_EQ(back.files, set.files);
  EXPECT_EQ(back.regions, set.regions);
  EXPECT_EQ(back.working_set_pages, 32);
  EXPECT_EQ(back.zero_pages, set.zero_pages);
}

TEST(LoadingSet, MalformedFilesAreRejectedWithTheirLine) {
  testing::TempDir dir;
  auto expect_error = [&](const std::string& text, const std::string& needle) {
    dir.write("bad", text);
    try {
      read_loading_set(dir.str() + "/bad");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("something else\n", "bad:1: not a loading-set file");
  expect_error("hearth-loading-set 1\n1 1 1 0\n/f\n0 1 0 1\n", "bad:4: region names file 1 of 1");
  expect_error("hearth-loading-set 1\n1 1 1 0\n/f\n0 0 -5 1\n", "bad:4: region pages out of range");
  expect_error("hearth-loading-set 1\n1 2 1 0\n/f\n1 0 0 1\n0 0 4 1\n", "bad:5: regions are not in group order");
  expect_error("hearth-loading-set 1\n1 2 1 0\n/f\n0 0 0 1\n", "bad:5: expected 2 regions, found 1");
  expect_error("hearth-loading-set 1\n1 99999999 1 0\n/f\n", "bad:2: counts must be");
  expect_error("hearth-loading-set 1\n1 1 1 0\nrelative\n0 0 0 1\n", "bad:3: expected an absolute file path");
}

TEST(LoadingSet, BadOptionsAreRejected) {
  const WorkingSet ws;
  EXPECT_THROW(build_loading_set(ws, {.group_pages = 0}), std::invalid_argument);
  EXPECT_THROW(build_loading_set(ws, {.group_pages = 1, .merge_gap_pages = -1}), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::snapshot
