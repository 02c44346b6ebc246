// The library data set reader (hand-written fixture), the mapping onto functions, and a golden run of
// scripts/library-dataset on this machine's apt lists.
#include "trace/library_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/trace/temp_dir.h"
#include "trace/trace_error.h"

namespace hearth::trace {
namespace {

std::string source_dir() {
  // HEARTH_SHARED_DIR is <source>/../shared.
  std::string shared = HEARTH_SHARED_DIR;
  return shared.substr(0, shared.size() - std::string("/../shared").size());
}

std::string fixture() { return source_dir() + "/tests/trace/data/libraries_small.csv"; }

TEST(LibraryDataset, ReadsTheFixture) {
  const LibraryDataset ds = read_library_dataset(fixture());
  ASSERT_EQ(ds.libraries.size(), 8u);
  EXPECT_EQ(ds.libraries[3].name, "python3-requests");
  EXPECT_EQ(ds.libraries[3].version, "2.28.1+dfsg-1");
  EXPECT_EQ(ds.libraries[3].size_kb, 232);
  EXPECT_EQ(ds.libraries[3].depends, (std::vector<policy::LibraryId>{1, 2}));
  EXPECT_EQ(ds.libraries[4].name, "python3-numpy");
  EXPECT_EQ(ds.libraries[4].version, "1:1.24.2-1");
  EXPECT_TRUE(ds.libraries[7].depends.empty());
}

TEST(LibraryDataset, ImportClosureIsTransitive) {
  const LibraryDataset ds = read_library_dataset(fixture());
  // boto -> requests -> {urllib3 -> six, idna}
  EXPECT_EQ(import_closure(ds, 6), (std::vector<policy::LibraryId>{0, 1, 2, 3}));
  EXPECT_EQ(import_closure(ds, 5), (std::vector<policy::LibraryId>{0, 4}));
  EXPECT_TRUE(import_closure(ds, 7).empty());
}

TEST(LibraryDataset, AssignmentIsSeededAndDrawsFromTheEvaluationHalf) {
  const LibraryDataset ds = read_library_dataset(fixture());
  // Templates: urllib3, requests, pandas, boto (the ones with depends).
  std::size_t seed = 1;
  LibraryAssignment a;
  for (; seed < 64; ++seed) {  // a seed whose split leaves both halves non-empty
    try {
      a = assign_libraries(ds, 50, seed);
      break;
    } catch (const std::invalid_argument&) {
    }
  }
  ASSERT_LT(seed, 64u);
  ASSERT_EQ(a.functions.size(), 50u);
  EXPECT_EQ(a.history.size() + [&] {
    std::vector<policy::LibraryId> eval(a.function_template);
    std::sort(eval.begin(), eval.end());
    eval.erase(std::unique(eval.begin(), eval.end()), eval.end());
    return eval.size();
  }(), 4u) << "with 50 draws every evaluation template appears, and the halves partition the 4 templates";
  for (std::size_t f = 0; f < 50; ++f) EXPECT_EQ(a.functions[f], import_closure(ds, a.function_template[f]));
  const LibraryAssignment b = assign_libraries(ds, 50, seed);
  EXPECT_EQ(a.function_template, b.function_template);
}

std::string write(const testing::TempDir& dir, const std::string& text) {
  const std::string path = dir.str() + "/libs.csv";
  std::ofstream(path) << text;
  return path;
}

void expect_error(const std::string& text, const std::string& what) {
  testing::TempDir dir;
  try {
    read_library_dataset(write(dir, text));
    FAIL() << "accepted: " << text;
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(LibraryDataset, BadInputNamesFileAndLine) {
  const std::string header = "name,version,size_kb,reverse_deps,rank,depends\n";
  expect_error("name,size\n", "libs.csv:1: expected the header");
  expect_error(header + "a,1,10,0,1,\nb,1,x,0,1,\n", "libs.csv:3:");
  expect_error(header + "a,1,10,0,1,\na,1,10,0,1,\n", "libs.csv:3: duplicate library 'a'");
  expect_error(header + "a,1,10,0,1,b\n", "libs.csv:2: depends on 'b', which is not in the file");
  expect_error(header + "a,1,10,0,1,a\n", "libs.csv:2: 'a' depends on itself");
  expect_error(header + "a,1,-5,0,1,\n", "libs.csv:2:");
  expect_error(header + "a,1,10,0\n", "libs.csv:2:");
  expect_error("", "libs.csv:0: empty file");
}

// Golden: the script on this machine's apt lists (skipped where they hold no python3 package).
TEST(LibraryDataset, ScriptBuildsAReadableDataSetFromAptLists) {
  if (std::system("apt-cache dumpavail 2>/dev/null | grep -q '^Package: python3-'") != 0)
    GTEST_SKIP() << "apt-cache dumpavail lists no python3-* package here (run apt-get update first)";
  testing::TempDir dir;
  const std::string out = dir.str() + "/libraries.csv";
  const std::string cmd = source_dir() + "/scripts/library-dataset --out " + out + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const LibraryDataset ds = read_library_dataset(out);
  ASSERT_GT(ds.libraries.size(), 100u);
  // The script sorts by reverse dependencies: the first library is the most depended upon, rank 1.
  EXPECT_EQ(ds.libraries[0].rank, 1);
  for (std::size_t i = 1; i < ds.libraries.size(); ++i)
    ASSERT_GE(ds.libraries[i - 1].reverse_deps, ds.libraries[i].reverse_deps) << ds.libraries[i].name;
  // python3-requests, where the archive has it, depends on python3-urllib3 and python3-idna.
  for (const LibraryRecord& r : ds.libraries)
    if (r.name == "python3-requests") {
      std::vector<std::string> deps;
      for (auto d : r.depends) deps.push_back(ds.libraries[d].name);
      EXPECT_NE(std::find(deps.begin(), deps.end(), "python3-urllib3"), deps.end());
      EXPECT_NE(std::find(deps.begin(), deps.end(), "python3-idna"), deps.end());
    }
}

}  // namespace
}  // namespace hearth::trace
