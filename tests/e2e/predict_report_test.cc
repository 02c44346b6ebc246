// End-to-end: `hearth incendio predict-report` scores every held-out minute (its Σy equals the trace's own
// count of those minutes), writes the CSV, and rejects unknown models; `hearth trace synth`'s cycle flags.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using hearth::testing::CliRun;
using hearth::testing::hearth;
using hearth::testing::TempDir;

const std::string kAzure2019 = std::string(HEARTH_SHARED_DIR) + "/traces/azure2019-500";

// CSV cells; a quoted cell may hold commas (the model specs do).
std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') quoted = !quoted;
    else if (ch == ',' && !quoted) out.emplace_back();
    else out.back() += ch;
  }
  return out;
}

// Invocations of minutes [from, to) of the sample, summed straight from invocations.csv.
double trace_count(int from, int to) {
  std::ifstream in(kAzure2019 + "/invocations.csv");
  std::string line;
  std::getline(in, line);
  double sum = 0;
  while (std::getline(in, line)) {
    const std::vector<std::string> c = split(line);
    for (int m = from; m < to; ++m) sum += std::stod(c[static_cast<std::size_t>(4 + m)]);
  }
  return sum;
}

TEST(PredictReportE2E, ScoresEveryHeldOutMinuteAndWritesTheCsv) {
  TempDir dir;
  const std::string csv = (dir.path() / "r.csv").string();
  const CliRun r = hearth("incendio predict-report --trace " + kAzure2019 +
                          " --minutes 90 --train-minutes 60 --models xgboost:rounds=10,histogram --csv " + csv);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("xgboost"), std::string::npos);
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(split(line)[11], "wape");
  const double expected = trace_count(60, 90);
  int rows = 0;
  while (std::getline(in, line)) {
    const std::vector<std::string> c = split(line);
    ASSERT_EQ(c.size(), 12u) << line;
    EXPECT_EQ(c[6], "30");                        // held-out minutes
    EXPECT_DOUBLE_EQ(std::stod(c[9]), expected);  // Σy: every held-out arrival, both models, "all" and "day1"
    EXPECT_NEAR(std::stod(c[11]), std::stod(c[8]) / expected, 1e-6);
    ++rows;
  }
  EXPECT_EQ(rows, 4);  // 2 models × (all, day1)
}

TEST(PredictReportE2E, UnknownModelsAndBadSplitsAreRejected) {
  TempDir dir;
  const std::string csv = " --csv " + (dir.path() / "r.csv").string();
  CliRun r = hearth("incendio predict-report --trace " + kAzure2019 + " --minutes 20 --train-minutes 10 --models nosuch" + csv);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("nosuch"), std::string::npos) << r.out;
  r = hearth("incendio predict-report --trace " + kAzure2019 + " --minutes 20 --models histogram" + csv);
  EXPECT_EQ(r.exit_code, 2);  // neither --train-days nor --train-minutes
  r = hearth("incendio predict-report --trace " + kAzure2019 + " --minutes 20 --train-minutes 30 --models histogram" + csv);
  EXPECT_EQ(r.exit_code, 2);  // nothing held out
}

TEST(PredictReportE2E, SynthCycleFlagsAreValidated) {
  TempDir dir;
  const std::string out = " --out " + dir.path().string();
  EXPECT_EQ(hearth("trace synth --functions 5 --days 1 --special-day 4" + out).exit_code, 2);
  EXPECT_EQ(hearth("trace synth --functions 5 --days 1 --weekly 1.0" + out).exit_code, 2);
  const CliRun ok = hearth("trace synth --functions 5 --days 1 --daily 0.5 --weekly 0.3 --special-day 1:2.0" + out);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "invocations_per_function_md.anon.d01.csv"));
}

// --expected prints the expected invocation count and writes nothing; without it --out is required.
TEST(PredictReportE2E, SynthExpectedCountNeedsNoOut) {
  const CliRun r = hearth("trace synth --functions 5 --days 1 --expected");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("5 functions x 1440 minutes, seed 1: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("invocations expected"), std::string::npos) << r.out;
  const CliRun missing = hearth("trace synth --functions 5 --days 1");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("--out DIR is required"), std::string::npos) << missing.out;
}

}  // namespace
