// End-to-end: `hearth trace stats` on the generator (--synth) writes its CSVs with --out, and a malformed
// trace is refused with exit code 2 and the file:line of the bad cell.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using hearth::testing::CliRun;
using hearth::testing::hearth;
using hearth::testing::TempDir;

std::string first_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(TraceStatsCli, SynthWritesQuantilesAndCdfs) {
  TempDir d;
  const CliRun r = hearth("trace stats --synth 300 --synth-minutes 20 --out " + d.str() + "/stats");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("functions 300,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("invocations %"), std::string::npos) << r.out;
  const std::filesystem::path out = d.path() / "stats";
  EXPECT_EQ(first_line(out / "quantiles.csv"), "distribution,n,p1,p10,p25,p50,p75,p90,p99,max,mean");
  EXPECT_EQ(first_line(out / "triggers.csv"), "trigger,functions,invocations");
  EXPECT_EQ(first_line(out / "hourly.csv"), "hour,invocations");
  for (const char* name : {"function_daily", "app_daily", "iat_cv", "functions_per_app", "exec_seconds",
                           "app_memory_mb", "minute_totals"})
    EXPECT_EQ(first_line(out / ("cdf_" + std::string(name) + ".csv")), "value,cdf") << name;
}

TEST(TraceStatsCli, MalformedTraceIsRefusedWithFileAndLine) {
  TempDir d;
  const std::string durations =
      "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
      "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,"
      "percentile_Average_100\no,a,f,10,1,1,20,1,1,1,1,1,1,1\no,a,g,10,1,1,20,1,1,1,1,1,1,1\n";
  d.write("durations.csv", durations);
  d.write("memory.csv", "HashOwner,HashApp,SampleCount,AverageAllocatedMb\no,a,1,128\n");
  // The same probe with well-formed counts succeeds, so the refusal below is the bad cell's.
  d.write("invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,2\no,a,g,http,1,4\n");
  const CliRun ok = hearth("trace stats --trace " + d.str());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  d.write("invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,2\no,a,g,http,1,-4\n");
  const CliRun bad = hearth("trace stats --trace " + d.str());
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("invocations.csv:3"), std::string::npos) << bad.out;
  const CliRun both = hearth("trace stats --synth 5 --trace " + d.str());
  EXPECT_EQ(both.exit_code, 2) << both.out;
  EXPECT_NE(both.out.find("--synth and --trace"), std::string::npos) << both.out;
}

}  // namespace
