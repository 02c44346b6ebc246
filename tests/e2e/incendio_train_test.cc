// `hearth incendio train` through the real binary: it dlopens the CRL plugin, trains a tiny model on a
// tiny synthetic workload and writes a model directory; bad flags and a missing plugin are clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using hearth::testing::CliRun;
using hearth::testing::hearth;
using hearth::testing::TempDir;

namespace fs = std::filesystem;
const std::string kTiny = "--synth-functions 20 --synth-minutes 30 --hidden 8,8 --episodes 3 --clusters 2";

TEST(IncendioTrainE2E, TrainsATinyModelThroughThePlugin) {
  TempDir dir;
  const std::string out = (dir.path() / "model").string();
  const CliRun r = hearth("incendio train " + kTiny + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("2 environments"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(fs::path(out) / "manifest.json"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "env1.pt"));
  // The model decides in the simulator with the priority it was trained on, both ways of deciding.
  for (const std::string decision : {"stepwise", "one-pass"}) {
    const CliRun sim = hearth("sim --synth-functions 20 --synth-minutes 10 --nodes 1 --node-memory-mb 1024 "
                              "--node-cores 2 --scheduler crl:model=" + out + ",decision=" + decision + " --quiet");
    EXPECT_EQ(sim.exit_code, 0) << decision << ": " << sim.out;
  }
  const CliRun bad = hearth("sim --synth-functions 20 --synth-minutes 10 --scheduler crl:model=" + out +
                            ",decision=fast --quiet");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("decision 'fast' is not stepwise or one-pass"), std::string::npos) << bad.out;
}

TEST(IncendioTrainE2E, BadFlagsAndAMissingPluginAreClearErrors) {
  TempDir dir;
  const std::string out = (dir.path() / "model").string();
  CliRun r = hearth("incendio train --synth-functions 20 --synth-minutes 30 --hidden 8,x --out " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--hidden: 'x' is not a layer width"), std::string::npos) << r.out;
  r = hearth("incendio train " + kTiny + " --priority param9 --out " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("CRL history: priority:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("param9"), std::string::npos) << r.out;
  r = ::hearth::testing::run_shell("HEARTH_CRL_PLUGIN=/nonexistent/hearth_crl.so " + std::string(HEARTH_BINARY) +
                                 " incendio train " + kTiny + " --out " + out + " 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("cannot load the CRL plugin /nonexistent/hearth_crl.so"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
