// Host page recording (snapshot/page_recorder.h) and the loader (snapshot/page_loader.h) on plain files,
// without runsc: the recorded set is what was read (plus the kernel's readahead), never what was not, in
// the order it was read; the loader brings exactly a loading set's pages into the page cache.
#include "snapshot/page_recorder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "snapshot/loading_set.h"
#include "snapshot/page_loader.h"
#include "tests/trace/temp_dir.h"

namespace hearth::snapshot {
namespace {

constexpr std::int64_t kFilePages = 16384;  // 64 MiB

std::string write_file(const testing::TempDir& dir, const std::string& name, std::int64_t pages) {
  const std::string path = dir.str() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  const std::string page(kPageBytes, 'x');
  for (std::int64_t i = 0; i < pages; ++i) out << page;
  return path;
}

void read_range(const std::string& path, std::int64_t first_page, std::int64_t pages) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<char> buf(static_cast<std::size_t>(kPageBytes));
  for (std::int64_t p = first_page; p < first_page + pages; ++p)
    ASSERT_EQ(::pread(fd, buf.data(), buf.size(), p * kPageBytes), kPageBytes);
  ::close(fd);
}

// Whether the page cache of this file system can be dropped per file here (tmpfs cannot): the probe the
// tests below rely on.
bool eviction_works(const std::string& path) {
  read_range(path, 0, 64);
  evict_page_cache({path});
  return resident_pages(path) == 0;
}

TEST(PageRecorder, RecordsThePagesReadAndNotTheOthers) {
  testing::TempDir dir;
  const std::string f = write_file(dir, "data", kFilePages);
  if (!eviction_works(f)) GTEST_SKIP() << "this file system keeps no per-file page cache to evict (tmpfs?)";
  // Without eviction, a file just written is resident: recording would find it all, touched or not.
  PageRecorder recorder({f}, std::chrono::microseconds(500));
  recorder.start();
  read_range(f, 8192, 2048);  // the middle 8 MiB, then the first 4 MiB
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  read_range(f, 0, 1024);
  const WorkingSet ws = recorder.stop();
  ASSERT_EQ(ws.files, std::vector<std::string>{f});
  EXPECT_EQ(ws.initially_resident, 0);
  std::vector<unsigned char> in(kFilePages, 0);
  for (const PageRef& r : ws.order) in[static_cast<std::size_t>(r.page)] = 1;
  for (std::int64_t p = 8192; p < 8192 + 2048; ++p) ASSERT_TRUE(in[p]) << "page " << p << " was read";
  for (std::int64_t p = 0; p < 1024; ++p) ASSERT_TRUE(in[p]) << "page " << p << " was read";
  // Readahead may add a window after each read (at most a few MiB); far from both reads nothing is recorded.
  for (std::int64_t p = 2048; p < 7168; ++p) ASSERT_FALSE(in[p]) << "page " << p << " was never read";
  for (std::int64_t p = 11264; p < kFilePages; ++p) ASSERT_FALSE(in[p]) << "page " << p << " was never read";
  // First-access order: the middle range was seen before the first one.
  const auto first_low = std::find_if(ws.order.begin(), ws.order.end(), [](const PageRef& r) { return r.page < 1024; });
  const auto first_mid = std::find_if(ws.order.begin(), ws.order.end(), [](const PageRef& r) { return r.page == 8192; });
  EXPECT_LT(first_mid - ws.order.begin(), first_low - ws.order.begin());
  EXPECT_GE(ws.scans, 2);
}

TEST(PageRecorder, CountsWhatWasResidentBeforeItStarted) {
  testing::TempDir dir;
  const std::string f = write_file(dir, "data", 1024);
  if (!eviction_works(f)) GTEST_SKIP() << "this file system keeps no per-file page cache to evict (tmpfs?)";
  read_range(f, 100, 10);
  PageRecorder recorder({f}, std::chrono::microseconds(1000));
  recorder.start();
  const WorkingSet ws = recorder.stop();
  EXPECT_GE(ws.initially_resident, 10);
  EXPECT_EQ(ws.initially_resident, static_cast<std::int64_t>(ws.order.size()));
}

TEST(PageRecorder, BadArgumentsAreRejectedWithTheirName) {
  EXPECT_THROW(PageRecorder({}, std::chrono::microseconds(1000)), std::invalid_argument);
  testing::TempDir dir;
  const std::string f = write_file(dir, "data", 1);
  EXPECT_THROW(PageRecorder({f}, std::chrono::microseconds(10)), std::invalid_argument);
  try {
    PageRecorder({dir.str() + "/missing"}, std::chrono::microseconds(1000));
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/missing"), std::string::npos) << e.what();
  }
}

TEST(PageLoader, BringsExactlyTheLoadingSetIntoThePageCache) {
  testing::TempDir dir;
  const std::string f = write_file(dir, "pages", 4096);
  if (!eviction_works(f)) GTEST_SKIP() << "this file system keeps no per-file page cache to evict (tmpfs?)";
  LoadingSet set;
  set.files = {f};
  set.regions = {{0, 0, 1000, 300}, {1, 0, 10, 20}};
  const LoaderStats s = load_now(set);
  EXPECT_EQ(s.regions, 2);
  EXPECT_EQ(s.bytes, 320 * kPageBytes);
  // The loader's own preads may be extended by readahead; what it asked for is resident.
  PageRecorder check({f}, std::chrono::microseconds(1000));
  check.start();
  const WorkingSet ws = check.stop();
  std::vector<unsigned char> in(4096, 0);
  for (const PageRef& r : ws.order) in[static_cast<std::size_t>(r.page)] = 1;
  for (std::int64_t p = 1000; p < 1300; ++p) ASSERT_TRUE(in[p]) << p;
  for (std::int64_t p = 10; p < 30; ++p) ASSERT_TRUE(in[p]) << p;
  for (std::int64_t p = 2048; p < 4096; ++p) ASSERT_FALSE(in[p]) << p;

  // The concurrent loader reads the same set in its thread.
  evict_page_cache({f});
  PageLoader loader(set);
  loader.start();
  const LoaderStats c = loader.wait();
  EXPECT_EQ(c.bytes, 320 * kPageBytes);
  EXPECT_FALSE(c.stopped);
  EXPECT_GE(resident_pages(f), 320);
}

TEST(PageLoader, ARegionPastTheEndOfTheFileReadsWhatThereIs) {
  testing::TempDir dir;
  const std::string f = write_file(dir, "short", 8);
  LoadingSet set;
  set.files = {f};
  set.regions = {{0, 0, 4, 100}};
  EXPECT_EQ(load_now(set).bytes, 4 * kPageBytes);
  set.files = {dir.str() + "/gone"};
  EXPECT_THROW(load_now(set), std::runtime_error);
}

}  // namespace
}  // namespace hearth::snapshot
