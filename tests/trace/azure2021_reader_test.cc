#include "trace/azure2021_reader.h"

#include <gtest/gtest.h>

#include "tests/trace/temp_dir.h"
#include "trace/trace_error.h"

namespace hearth::trace {
namespace {

using hearth::testing::TempDir;

std::vector<model::Invocation> all(Workload& w) {
  std::vector<model::Invocation> out, batch;
  while (w.invocations->next_batch(batch)) out.insert(out.end(), batch.begin(), batch.end());
  return out;
}

TEST(Azure2021Reader, StartIsEndMinusDurationAndOutputIsInStartOrder) {
  TempDir d;
  // Sorted by end; the long second row starts first.
  d.write("invocations.csv",
          "app,func,end_timestamp,duration\n"
          "a,f,1.5,0.5\n"
          "a,g,3.0,2.9\n"
          "b,f,4.0,0.25\n"
          "a,f,200.0,1.0\n");
  Workload w = load_azure2021(d.str(), TraceOptions{});
  ASSERT_EQ(w.functions.size(), 3u);  // (a,f), (a,g), (b,f)
  const auto inv = all(w);
  ASSERT_EQ(inv.size(), 4u);
  EXPECT_EQ(inv[0].arrival_us, 100'000);  // a/g: 3.0 − 2.9
  EXPECT_EQ(inv[0].function, 1u);
  EXPECT_EQ(inv[0].exec_us, 2'900'000);
  EXPECT_EQ(inv[1].arrival_us, 1'000'000);
  EXPECT_EQ(inv[2].arrival_us, 3'750'000);
  EXPECT_EQ(inv[3].arrival_us, 199'000'000);
  for (std::size_t i = 0; i < inv.size(); ++i) EXPECT_EQ(inv[i].id, i);
  // a/f: mean 0.75 s, max 1.0 s → cold start 0.25 s under the Maximum model.
  EXPECT_EQ(w.functions[0].warm_us, 750'000);
  EXPECT_EQ(w.functions[0].cold_start_us, 250'000);
  EXPECT_EQ(w.functions[0].memory_mb, 256);
}

TEST(Azure2021Reader, RejectsRowsOutOfOrder) {
  TempDir d;
  d.write("invocations.csv",
          "app,func,end_timestamp,duration\n"
          "a,f,100.0,0.5\n"
          "a,f,200.0,0.5\n"
          "a,f,300.0,0.5\n"
          "a,f,10.0,0.5\n");
  Workload w = load_azure2021(d.str(), TraceOptions{});
  try {
    all(w);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("invocations.csv:5: rows out of order"), std::string::npos) << e.what();
  }
}

TEST(Azure2021Reader, MalformedRowsNameTheLine) {
  TempDir d;
  d.write("invocations.csv", "app,func,end_timestamp,duration\na,f,1.0,zz\n");
  try {
    load_azure2021(d.str(), TraceOptions{});
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("invocations.csv:2: column 4: 'zz' is not a number"), std::string::npos);
  }
  d.write("invocations.csv", "app,func,end,duration\n");
  EXPECT_THROW(load_azure2021(d.str(), TraceOptions{}), TraceError);
}

// Times far beyond any trace overflowed the microsecond conversion: 1e99 s became a negative arrival, and
// end 2e99 with duration 1e99 overflowed start + duration (UBSan: signed integer overflow, seen by
// fuzz/azure2021_fuzz.cc on these rows). Both columns are now bounded to [0, 1e10] s (317 years).
TEST(Azure2021Reader, TimesBeyondTheBoundAreErrors) {
  TempDir d;
  for (const auto& [row, expected] : std::vector<std::pair<std::string, std::string>>{
           {"q,w,1e99,2.5", "invocations.csv:2: column 3: '1e99' is out of range [0, 1e+10]"},
           {"q,w,2e99,1e99", "invocations.csv:2: column 3: '2e99' is out of range [0, 1e+10]"},
           {"q,w,5,1e11", "invocations.csv:2: column 4: '1e11' is out of range [0, 1e+10]"}}) {
    d.write("invocations.csv", "app,func,end_timestamp,duration\n" + row + "\n");
    try {
      Workload w = load_azure2021(d.str(), TraceOptions{});
      const auto inv = all(w);
      FAIL() << row << ": no error, first arrival " << (inv.empty() ? 0 : inv[0].arrival_us);
    } catch (const TraceError& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
  }
  d.write("invocations.csv", "app,func,end_timestamp,duration\nq,w,1e10,1e10\n");  // the bound itself reads
  Workload w = load_azure2021(d.str(), TraceOptions{});
  const auto inv = all(w);
  ASSERT_EQ(inv.size(), 1u);
  EXPECT_EQ(inv[0].arrival_us, 0);
  EXPECT_EQ(inv[0].exec_us, 10'000'000'000'000'000);
}

// The file is read twice (the function table, then the stream): a row naming a function the first pass
// did not see escaped as std::out_of_range from a map lookup instead of a TraceError naming the line.
TEST(Azure2021Reader, FileChangedBetweenPassesIsAnError) {
  TempDir d;
  d.write("invocations.csv", "app,func,end_timestamp,duration\na,f,1,1\n");
  Workload w = load_azure2021(d.str(), TraceOptions{});
  d.write("invocations.csv", "app,func,end_timestamp,duration\na,f,1,1\na,new,2,1\n");
  try {
    all(w);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_STREQ(e.what(), "invocations.csv:3: function a/new was not in the file when it was first read "
                           "(the file changed while being read)");
  } catch (const std::exception& e) {
    FAIL() << "not a TraceError: " << e.what();
  }
}

TEST(Azure2021Reader, SharedSampleGolden) {
  Workload w = load_azure2021(std::string(HEARTH_SHARED_DIR) + "/traces/azure2021-sample", TraceOptions{});
  const auto inv = all(w);
  EXPECT_EQ(inv.size(), 998u);
  for (std::size_t i = 1; i < inv.size(); ++i) ASSERT_LE(inv[i - 1].arrival_us, inv[i].arrival_us);
}

}  // namespace
}  // namespace hearth::trace
