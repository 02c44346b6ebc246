// `hearth incendio spearman` and `fit-priority` on the Azure 2019 sample, and `hearth policies` listing
// Incendio's policies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "policy/priority_model.h"
#include "tests/e2e/run_hearth.h"

namespace hearth {
namespace {

using testing::CliRun;
using testing::hearth;

const std::string kAzure2019 = std::string(HEARTH_SHARED_DIR) + "/traces/azure2019-500";

TEST(IncendioCli, SpearmanReportsEveryFactor) {
  const CliRun r = hearth("incendio spearman --trace " + kAzure2019 + " --minutes 20");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* factor : {"cpu", "mem", "io", "size", "init", "exec", "term", "freq", "clock"})
    EXPECT_NE(r.out.find(std::string("\n") + factor + " "), std::string::npos) << factor << "\n" << r.out;
  EXPECT_NE(r.out.find("constant in this trace"), std::string::npos) << r.out;  // I/O, Size, Term
  EXPECT_NE(r.out.find("functions with >= 5 invocations"), std::string::npos) << r.out;
}

TEST(IncendioCli, FitPriorityWritesASpecTheModelsAccept) {
  const std::filesystem::path out =
      std::filesystem::temp_directory_path() / ("hearth_fit_" + std::to_string(::getpid()) + ".spec");
  for (const char* model : {"linear", "loglinear"}) {
    const CliRun r = hearth("incendio fit-priority --trace " + kAzure2019 + " --minutes 20 --model " + model +
                            " --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.out;
    std::ifstream in(out);
    std::string spec;
    std::getline(in, spec);
    EXPECT_EQ(spec.rfind(std::string(model) + ":", 0), 0u) << spec;
    EXPECT_NO_THROW(policy::make_priority_model(spec)) << spec;
    EXPECT_NE(r.out.find("fitted"), std::string::npos) << r.out;
  }
  std::filesystem::remove(out);
}

TEST(IncendioCli, BadInputIsRejected) {
  CliRun r = hearth("incendio fit-priority --trace " + kAzure2019 + " --model quadratic --out /dev/null");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  r = hearth("incendio spearman --trace " + kAzure2019 + " --minutes 5 --preset nope");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown preset 'nope'"), std::string::npos) << r.out;
  r = hearth("incendio");
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

TEST(IncendioCli, PoliciesListsPoolManagersPredictorsAndPriorityModels) {
  const CliRun r = hearth("policies");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* name : {"pool-manager policies", "incendio ", "hotc ", "predictor policies", "ewma ",
                           "exp-smoothing ", "priority models", "param1 ", "param5 ", "loglinear "})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace hearth
