#include "trace/azure2019_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "tests/trace/temp_dir.h"
#include "trace/trace_error.h"

namespace hearth::trace {
namespace {

using hearth::testing::TempDir;

const char* kDurationsHeader =
    "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
    "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n";
const char* kMemoryHeader = "HashFunction,HashOwner,HashApp,SampleCount,AverageAllocatedMb\n";

// Two functions of app a1 and one of app a2, three minutes (10, 11, 12).
void write_sample(const TempDir& d) {
  d.write("invocations.csv",
          "HashOwner,HashApp,HashFunction,Trigger,10,11,12\n"
          "o1,a1,f1,http,1,0,3\n"
          "o1,a1,f2,timer,0,2,0\n"
          "o2,a2,f3,queue,1,0,0\n");
  d.write("durations.csv", std::string(kDurationsHeader) +
                               "o1,a1,f1,100,5,10,1000,10,20,50,100,200,900,1000\n"
                               "o1,a1,f2,20,5,10,50,10,10,20,20,30,40,50\n"
                               "o2,a2,f3,5,5,1,8,1,1,5,5,6,8,8\n");
  d.write("memory.csv", std::string(kMemoryHeader) + "f1,o1,a1,3,128.4\nf2,o1,a1,3,64\nf3,o2,a2,3,300\n");
}

std::vector<model::Invocation> all(Workload& w) {
  std::vector<model::Invocation> out, batch;
  while (w.invocations->next_batch(batch)) out.insert(out.end(), batch.begin(), batch.end());
  return out;
}

TEST(Azure2019Reader, BuildsFunctionsFromDurationsAndMemory) {
  TempDir d;
  write_sample(d);
  Workload w = load_azure2019(d.str(), TraceOptions{});
  ASSERT_EQ(w.functions.size(), 3u);
  const auto& f1 = w.functions[0];
  EXPECT_EQ(f1.name, "f1");
  EXPECT_EQ(f1.memory_mb, 128);
  EXPECT_EQ(f1.warm_us, 100'000);
  EXPECT_EQ(f1.cold_start_us, 900'000);  // Maximum − Average: a cold run lasts Maximum
  EXPECT_EQ(f1.trigger, model::Trigger::kHttp);
  EXPECT_EQ(w.functions[1].trigger, model::Trigger::kTimer);
  EXPECT_EQ(w.functions[0].app, w.functions[1].app);
  EXPECT_NE(w.functions[0].app, w.functions[2].app);
  EXPECT_EQ(w.invocations->span_us(), 3 * model::kMicrosPerMinute);
}

TEST(Azure2019Reader, UniformSpreadingFollowsFaasCache) {
  TempDir d;
  write_sample(d);
  Workload w = load_azure2019(d.str(), TraceOptions{});
  const auto inv = all(w);
  ASSERT_EQ(inv.size(), 7u);
  // Minute 0: f1 and f3 once each at the minute's start (ordered by function id).
  EXPECT_EQ(inv[0].arrival_us, 0);
  EXPECT_EQ(inv[0].function, 0u);
  EXPECT_EQ(inv[1].arrival_us, 0);
  EXPECT_EQ(inv[1].function, 2u);
  // Minute 1: f2 twice at +0 and +30 s.
  EXPECT_EQ(inv[2].arrival_us, 60'000'000);
  EXPECT_EQ(inv[3].arrival_us, 90'000'000);
  // Minute 2: f1 three times at +0, +20 s, +40 s.
  EXPECT_EQ(inv[4].arrival_us, 120'000'000);
  EXPECT_EQ(inv[5].arrival_us, 140'000'000);
  EXPECT_EQ(inv[6].arrival_us, 160'000'000);
  for (std::size_t i = 0; i < inv.size(); ++i) EXPECT_EQ(inv[i].id, i);
  EXPECT_EQ(inv[4].exec_us, 100'000);
}

// FaasCache's converter (../shared/reference/faascache-sim/convert_azure500.py), checked with python3:
// int(ceil(128.4)) == 129, int(100.7) == 100, int(1000.9) == 1000; a minute's 2 invocations at
// 0 + i * (60000 / 2) and 14 at 0 + i * (60000 / 14): 1 * 30000.0 == 30000.0 but
// 7 * (60000 / 14) == 29999.999999999996, so its stable sort puts f2's 8th before f1's 2nd, although
// both are at 30,000,000 µs and f1 comes first in the file (Hearth's default order).
TEST(Azure2019Reader, FaasCacheConversionKeepsItsMemoryDurationsAndFloatOrder) {
  TempDir d;
  d.write("invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,1\no1,a1,f1,http,2\no1,a1,f2,http,14\n");
  d.write("durations.csv", std::string(kDurationsHeader) + "o1,a1,f1,100.7,5,10,1000.9,10,20,50,100,200,900,1000\n"
                                                           "o1,a1,f2,20,5,10,50,10,10,20,20,30,40,50\n");
  d.write("memory.csv", std::string(kMemoryHeader) + "f1,o1,a1,3,128.4\nf2,o1,a1,3,64\n");
  const auto position_at_30s = [](const std::vector<model::Invocation>& calls, model::FunctionId f) {
    for (std::size_t k = 0; k < calls.size(); ++k)
      if (calls[k].function == f && calls[k].arrival_us == model::seconds(30)) return k;
    return calls.size();
  };

  Workload plain = load_azure2019(d.str(), TraceOptions{});
  EXPECT_EQ(plain.functions[0].memory_mb, 128);
  EXPECT_EQ(plain.functions[0].warm_us, 100'700);
  const std::vector<model::Invocation> hearth_order = all(plain);
  EXPECT_EQ(plain.invocations->faascache_arrival_ms(), nullptr);
  EXPECT_LT(position_at_30s(hearth_order, 0), position_at_30s(hearth_order, 1));

  TraceOptions opts;
  opts.faascache = true;
  Workload fc = load_azure2019(d.str(), opts);
  EXPECT_EQ(fc.functions[0].memory_mb, 129);
  EXPECT_EQ(fc.functions[0].warm_us, 100'000);
  EXPECT_EQ(fc.functions[0].cold_start_us, 900'000);
  std::vector<model::Invocation> batch;
  ASSERT_TRUE(fc.invocations->next_batch(batch));
  ASSERT_EQ(batch.size(), 16u);
  const std::vector<double>* ms = fc.invocations->faascache_arrival_ms();
  ASSERT_NE(ms, nullptr);
  ASSERT_EQ(ms->size(), batch.size());
  const std::size_t f1 = position_at_30s(batch, 0), f2 = position_at_30s(batch, 1);
  EXPECT_EQ(f2 + 1, f1);
  EXPECT_EQ((*ms)[f1], 30000.0);
  EXPECT_EQ((*ms)[f2], 29999.999999999996);
  for (std::size_t k = 0; k < batch.size(); ++k) {
    EXPECT_EQ(batch[k].id, k);
    if (k > 0) {
      EXPECT_LE((*ms)[k - 1], (*ms)[k]);
    }
    EXPECT_LT(std::abs((*ms)[k] * 1000 - static_cast<double>(batch[k].arrival_us)), 1.0) << k;  // same instant
  }
}

TEST(Azure2019Reader, PoissonSpreadingIsSeededAndStaysInItsMinute) {
  TempDir d;
  write_sample(d);
  TraceOptions opts;
  opts.spread = Spread::kPoisson;
  opts.seed = 42;
  Workload a = load_azure2019(d.str(), opts), b = load_azure2019(d.str(), opts);
  const auto x = all(a), y = all(b);
  ASSERT_EQ(x.size(), y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].arrival_us, y[i].arrival_us);
    if (i) {
      EXPECT_LE(x[i - 1].arrival_us, x[i].arrival_us);
    }
  }
  EXPECT_GE(x[6].arrival_us, 120'000'000);
  EXPECT_LT(x[6].arrival_us, 180'000'000);
}

TEST(Azure2019Reader, SampledExecStaysWithinPercentileRange) {
  TempDir d;
  write_sample(d);
  TraceOptions opts;
  opts.exec = ExecModel::kSampled;
  Workload w = load_azure2019(d.str(), opts);
  for (const auto& inv : all(w)) {
    if (inv.function != 0) continue;
    EXPECT_GE(inv.exec_us, 10'000);
    EXPECT_LE(inv.exec_us, 1'000'000);
  }
}

TEST(Azure2019Reader, MinutesLimitsTheReplay) {
  TempDir d;
  write_sample(d);
  TraceOptions opts;
  opts.minutes = 2;
  Workload w = load_azure2019(d.str(), opts);
  EXPECT_EQ(all(w).size(), 4u);
  EXPECT_EQ(w.invocations->span_us(), 2 * model::kMicrosPerMinute);
}

TEST(Azure2019Reader, PerAppMemoryIsSplitOverTheAppsFunctions) {
  TempDir d;
  write_sample(d);
  d.write("memory.csv", "HashOwner,HashApp,SampleCount,AverageAllocatedMb\no1,a1,3,300\no2,a2,3,100\n");
  Workload w = load_azure2019(d.str(), TraceOptions{});
  EXPECT_EQ(w.functions[0].memory_mb, 150);
  EXPECT_EQ(w.functions[1].memory_mb, 150);
  EXPECT_EQ(w.functions[2].memory_mb, 100);
}

TEST(Azure2019Reader, FunctionsWithoutDurationsAreSkipped) {
  TempDir d;
  write_sample(d);
  d.write("durations.csv", std::string(kDurationsHeader) + "o1,a1,f1,100,5,10,1000,10,20,50,100,200,900,1000\n");
  Workload w = load_azure2019(d.str(), TraceOptions{});
  ASSERT_EQ(w.functions.size(), 1u);
  EXPECT_EQ(all(w).size(), 4u);
  EXPECT_NE(w.description.find("2 skipped"), std::string::npos) << w.description;
}

TEST(Azure2019Reader, ReadsTheOriginalPerDayLayout) {
  TempDir d;
  d.write("invocations_per_function_md.anon.d01.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,1\n");
  d.write("invocations_per_function_md.anon.d02.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,0,2\n");
  for (const char* day : {"d01", "d02"}) {
    d.write(std::string("function_durations_percentiles.anon.") + day + ".csv",
            std::string(kDurationsHeader) + "o,a,f,10,1,1,20,1,1,1,1,1,1,1\n");
    d.write(std::string("app_memory_percentiles.anon.") + day + ".csv",
            "HashOwner,HashApp,SampleCount,AverageAllocatedMb\no,a,1,128\n");
  }
  Workload w = load_azure2019(d.str(), TraceOptions{});
  const auto inv = all(w);
  ASSERT_EQ(inv.size(), 4u);
  EXPECT_EQ(inv[2].arrival_us, 3 * model::kMicrosPerMinute);  // day 2, minute 2
  EXPECT_EQ(inv[3].arrival_us, 3 * model::kMicrosPerMinute + 30'000'000);
  EXPECT_EQ(w.invocations->span_us(), 4 * model::kMicrosPerMinute);
}

// Every malformed input names the file and line.
struct Malformed {
  const char* file;
  std::string text;
  const char* expected;  // substring of the error
};

class Azure2019Malformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(Azure2019Malformed, FailsWithFileAndLine) {
  TempDir d;
  write_sample(d);
  d.write(GetParam().file, GetParam().text);
  try {
    Workload w = load_azure2019(d.str(), TraceOptions{});
    all(w);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().expected), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Azure2019Malformed,
    ::testing::Values(
        Malformed{"invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,10\no,a,f1,http,x3\n",
                  "invocations.csv:2: column 5: 'x3' is not a non-negative integer"},
        Malformed{"invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,10\no1,a1,f1,http,-1\n",
                  "invocations.csv:2: column 5"},
        Malformed{"invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,10,11\no1,a1,f1,http,1\n",
                  "invocations.csv:2: expected 6 columns, found 5"},
        Malformed{"invocations.csv", "Owner,HashApp,HashFunction,Trigger,10\n", "invocations.csv:1: wrong header"},
        Malformed{"invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,10\no1,a1,f1,carrier-pigeon,1\n",
                  "invocations.csv:2: column 4: unknown trigger"},
        Malformed{"durations.csv", std::string(kDurationsHeader) + "o1,a1,f1,abc,5,10,1000,10,20,50,100,200,900,1000\n",
                  "durations.csv:2: column 4: 'abc' is not a number"},
        Malformed{"memory.csv", std::string(kMemoryHeader) + "f1,o1,a1,3\n", "memory.csv:2: expected 5 columns"},
        Malformed{"memory.csv", "", "memory.csv:0: empty file"},
        // Values a trace cannot hold (fuzz/azure2019_fuzz.cc): durations and memory overflowed the
        // microsecond and MB conversions into negative times (and UB in FaasCache's ceil cast).
        Malformed{"durations.csv", std::string(kDurationsHeader) + "o1,a1,f1,1e300,5,10,1000,10,20,50,100,200,900,1000\n",
                  "durations.csv:2: column 4: '1e300' is out of range [0, 1e+13]"},
        Malformed{"durations.csv", std::string(kDurationsHeader) + "o1,a1,f1,100,5,10,1000,10,20,-50,100,200,900,1000\n",
                  "durations.csv:2: column 10: '-50' is out of range [0, 1e+13]"},
        Malformed{"memory.csv", std::string(kMemoryHeader) + "f1,o1,a1,3,1e300\n",
                  "memory.csv:2: column 5: '1e300' is out of range [0, 1e+09]"},
        Malformed{"memory.csv", "HashOwner,HashApp,SampleCount,AverageAllocatedMb\no1,a1,3,-1\n",
                  "memory.csv:2: column 4: '-1' is out of range [0, 1e+09]"},
        // A count of 2^32 wrapped to 0 invocations (a uint32 cast), larger ones asked for billions of
        // invocations in one batch: a minute is now bounded by TraceOptions::max_minute_invocations.
        Malformed{"invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,10\no1,a1,f1,http,4294967296\n",
                  "invocations.csv:2: column 5: minute 1 would hold more than 33554432 invocations"},
        Malformed{"invocations.csv",
                  "HashOwner,HashApp,HashFunction,Trigger,10,11\no1,a1,f1,http,1,20000000\no1,a1,f2,http,0,20000000\n",
                  "invocations.csv:3: column 6: minute 2 would hold more than 33554432 invocations"}));

TEST(Azure2019Reader, MinuteBoundIsAnOption) {
  TempDir d;
  write_sample(d);  // minute 12 holds 3 invocations
  TraceOptions opts;
  opts.max_minute_invocations = 3;
  Workload ok = load_azure2019(d.str(), opts);
  EXPECT_EQ(all(ok).size(), 7u);
  opts.max_minute_invocations = 2;
  Workload w = load_azure2019(d.str(), opts);
  try {
    all(w);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_STREQ(e.what(), "invocations.csv:2: column 7: minute 3 would hold more than 2 invocations "
                           "(TraceOptions::max_minute_invocations)");
  }
}

TEST(Azure2019Reader, MissingDirectoryAndFilesAreErrors) {
  EXPECT_THROW(load_azure2019("/nonexistent/dir", TraceOptions{}), TraceError);
  TempDir d;
  EXPECT_THROW(load_azure2019(d.str(), TraceOptions{}), TraceError);
  write_sample(d);
  std::filesystem::remove(d.path() / "durations.csv");
  try {
    load_azure2019(d.str(), TraceOptions{});
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("durations.csv:0: cannot open"), std::string::npos) << e.what();
  }
}

// Golden check on the shared sample: 500 functions, and exactly the sum of the per-minute counts.
TEST(Azure2019Reader, SharedSampleGolden) {
  const std::string dir = std::string(HEARTH_SHARED_DIR) + "/traces/azure2019-500";
  std::ifstream in(dir + "/invocations.csv");
  std::string line;
  std::getline(in, line);
  std::uint64_t expected = 0;
  while (std::getline(in, line)) {
    std::stringstream cells(line);
    std::string cell;
    for (int i = 0; std::getline(cells, cell, ','); ++i)
      if (i >= 4) expected += std::stoull(cell);
  }
  EXPECT_EQ(expected, 3'037'902u);
  Workload w = load_azure2019(dir, TraceOptions{});
  EXPECT_EQ(w.functions.size(), 500u);
  std::vector<model::Invocation> batch;
  std::uint64_t n = 0;
  model::Micros last = 0;
  while (w.invocations->next_batch(batch)) {
    for (const auto& inv : batch) {
      EXPECT_EQ(inv.id, n);
      ASSERT_GE(inv.arrival_us, last);
      last = inv.arrival_us;
      ++n;
    }
  }
  EXPECT_EQ(n, expected);
  EXPECT_EQ(w.invocations->span_us(), 480 * model::kMicrosPerMinute);
}

}  // namespace
}  // namespace hearth::trace
