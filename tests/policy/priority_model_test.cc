#include "policy/priority_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace hearth::policy {
namespace {

using model::millis;
using model::seconds;

// cpu 0.5 core, mem 256 MB (0.5), io 0.2, size 0, init 2 s, exec 1 s, term 0.5 s, freq 3/min, clock 2 min.
FunctionInfo sample_row() {
  FunctionInfo r;
  r.cpu_cores = 0.5;
  r.memory_mb = 256;
  r.io_share = 0.2;
  r.input_bytes = 0;
  r.init_us = seconds(2);
  r.exec_us = seconds(1);
  r.term_us = millis(500);
  r.freq_per_min = 3;
  r.since_last_arrival_us = 2 * model::kMicrosPerMinute;
  return r;
}

TEST(PriorityModel, NormalisesFactorsAsSectionFourSays) {
  FunctionInfo r = sample_row();
  r.memory_mb = 128;
  r.input_bytes = 2 * 1024 * 1024;
  const FactorVector x = normalised_factors(r);
  EXPECT_DOUBLE_EQ(x[0], 0.5);   // cores
  EXPECT_DOUBLE_EQ(x[1], 0.25);  // 128 MB → 0.25 (§IV's example)
  EXPECT_DOUBLE_EQ(x[2], 0.2);
  EXPECT_DOUBLE_EQ(x[3], 2);     // MB
  EXPECT_DOUBLE_EQ(x[4], 2);     // s
  EXPECT_DOUBLE_EQ(x[5], 1);
  EXPECT_DOUBLE_EQ(x[6], 0.5);
  EXPECT_DOUBLE_EQ(x[7], 3);     // per minute
  EXPECT_DOUBLE_EQ(x[8], 2);     // minutes
  r.since_last_arrival_us = model::kNever;
  EXPECT_DOUBLE_EQ(normalised_factors(r)[8], 0);  // never arrived: unknown counts as 0
  EXPECT_STREQ(priority_factor_name(PriorityFactor::kClock), "clock");
}

TEST(PriorityModel, TableFourLinearConfigurationsByHand) {
  const FunctionInfo r = sample_row();
  // param1: .3·.5 + .3·.5 + 0·.2 + .1·2 + .1·1 + .1·.5 + .05·3 + .05·2 + .01
  //       = .15 + .15 + .2 + .1 + .05 + .15 + .1 + .01 = 0.91
  EXPECT_NEAR(make_priority_model("param1")->priority(r), 0.91, 1e-12);
  // param2: .1·.5 + .1·.5 + .1·.2 + .2·2 + .2·1 + .2·.5 + .05·3 + .05·2 + .01
  //       = .05 + .05 + .02 + .4 + .2 + .1 + .15 + .1 + .01 = 1.08
  EXPECT_NEAR(make_priority_model("param2")->priority(r), 1.08, 1e-12);
  // param3: .2·(2 + 1 + .5 + 3 + 2) + .01 = 1.71
  EXPECT_NEAR(make_priority_model("param3")->priority(r), 1.71, 1e-12);
  // eps is a parameter: param3 with eps 0 is 1.70.
  EXPECT_NEAR(make_priority_model("param3:eps=0")->priority(r), 1.70, 1e-12);
  EXPECT_EQ(make_priority_model("param2")->name(), "param2");
}

TEST(PriorityModel, TableFourLogLinearConfigurationsByHand) {
  const FunctionInfo r = sample_row();
  // 1 + X: cpu 1.5, mem 1.5, io 1.2, init 3, exec 2, term 1.5, freq 4, clock 3.
  // param4 (cpu, mem, io inverse; the rest positive; each 1/8):
  //   p = (3·2·1.5·4·3 / (1.5·1.5·1.2))^(1/8) = (108 / 2.7)^(1/8) = 40^(1/8)
  EXPECT_NEAR(make_priority_model("param4")->priority(r), std::pow(40.0, 1.0 / 8), 1e-12);
  // param5 (cpu, io, freq, clock positive; mem, init, exec, term inverse):
  //   p = (1.5·1.2·4·3 / (1.5·3·2·1.5))^(1/8) = (21.6 / 13.5)^(1/8) = 1.6^(1/8)
  EXPECT_NEAR(make_priority_model("param5")->priority(r), std::pow(1.6, 1.0 / 8), 1e-12);
  // A function with every factor 0 has priority exp(0) = 1 under any log-linear model (log(1 + 0) = 0).
  EXPECT_DOUBLE_EQ(make_priority_model("param5")->priority(FunctionInfo{}), 1);
}

TEST(PriorityModel, FreeFormSpecsByHand) {
  const FunctionInfo r = sample_row();
  // 0.5·init + 0.5·freq = 0.5·2 + 0.5·3 = 2.5
  EXPECT_NEAR(make_priority_model("linear:init=0.5,freq=0.5,eps=0")->priority(r), 2.5, 1e-12);
  // (1 + freq)^1 / (1 + exec)^1 = 4 / 2 = 2
  EXPECT_NEAR(make_priority_model("loglinear:freq=+1,exec=-1")->priority(r), 2, 1e-12);
  // An unsigned weight is positive: (1 + clock)^0.5 = 3^0.5
  EXPECT_NEAR(make_priority_model("loglinear:clock=0.5")->priority(r), std::sqrt(3.0), 1e-12);
}

TEST(PriorityModel, SpecStringsRoundTrip) {
  const FunctionInfo r = sample_row();
  const FactorVector w2 = {0.1, 0.1, 0.1, 0, 0.2, 0.2, 0.2, 0.05, 0.05};
  EXPECT_DOUBLE_EQ(make_priority_model(linear_spec(w2, 0.01))->priority(r), make_priority_model("param2")->priority(r));
  const double e = 1.0 / 8;
  const FactorVector w5 = {e, -e, e, 0, -e, -e, -e, e, e};
  EXPECT_DOUBLE_EQ(make_priority_model(loglinear_spec(w5))->priority(r), make_priority_model("param5")->priority(r));
}

TEST(PriorityModel, BadSpecsSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"linear:cpu=0.5", "the weights sum to 0.5, not 1"},
      {"linear:cpu=1.5", "cpu 1.5 is outside [0, 1]"},
      {"linear:cpu=-0.5,mem=1.5", "cpu -0.5 is outside [0, 1]"},
      {"linear:gpu=1", "unknown parameter 'gpu'"},
      {"linear:cpu=x", "is not a number"},
      {"loglinear:cpu=2", "cpu 2 is outside [-1, 1]"},
      {"loglinear:cpu=abc", "cpu 'abc' is not a signed weight"},
      {"loglinear", "every weight is 0"},
      {"param4:eps=1", "it takes none"},
      {"param1:eps=-1", "eps -1 must be >= 0"},
      {"param9", "unknown priority model 'param9' (param1, param2"},
  };
  for (const auto& [spec, expected] : cases) {
    std::string error = "no error";
    try {
      make_priority_model(spec);
    } catch (const std::invalid_argument& e) {
      error = e.what();
    }
    EXPECT_NE(error.find(expected), std::string::npos) << spec << ": " << error;
  }
}

}  // namespace
}  // namespace hearth::policy
