#include "sim/sweep_grid.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace hearth::sim {
namespace {

// The message of the std::invalid_argument `text` raises ("" if none).
std::string error_of(const std::string& text) {
  try {
    parse_sweep(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(SweepGrid, GridInRowMajorOrder) {
  const auto grid = parse_sweep("nodes=8,16,32;keepalive=ttl,greedy-dual");
  ASSERT_EQ(grid.size(), 2u);
  EXPECT_EQ(grid[0].key, "nodes");
  EXPECT_EQ(grid[0].values, (std::vector<std::string>{"8", "16", "32"}));
  EXPECT_EQ(grid[1].values, (std::vector<std::string>{"ttl", "greedy-dual"}));
  const auto points = sweep_points(grid);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(sweep_point_name(points[0]), "nodes=8 keepalive=ttl");
  EXPECT_EQ(sweep_point_name(points[1]), "nodes=8 keepalive=greedy-dual");
  EXPECT_EQ(sweep_point_name(points[5]), "nodes=32 keepalive=greedy-dual");
}

TEST(SweepGrid, PolicyParametersKeepTheirCommas) {
  const auto grid = parse_sweep(" placement = sophon:MA/MC,sample=10 , openwhisk:managed=0.9,overload=wait,random ; "
                                "keepalive=ttl:5m;");
  ASSERT_EQ(grid.size(), 2u);
  EXPECT_EQ(grid[0].values,
            (std::vector<std::string>{"sophon:MA/MC,sample=10", "openwhisk:managed=0.9,overload=wait", "random"}));
  EXPECT_EQ(grid[1].values, (std::vector<std::string>{"ttl:5m"}));
  EXPECT_EQ(parse_sweep("prewarm=none;scaling=none,knative;preset=ttl,openwhisk;cpu-model=fifo,shares;seed=0,5")
                .size(),
            5u);
}

TEST(SweepGrid, ErrorsNameWhatIsWrong) {
  EXPECT_NE(error_of("nodez=1,2").find("unknown key 'nodez'"), std::string::npos);
  EXPECT_NE(error_of("nodez=1,2").find("keys: preset"), std::string::npos);
  EXPECT_NE(error_of("keepalive=ttl,foo").find("keepalive=foo: unknown keepalive policy 'foo'"), std::string::npos);
  EXPECT_NE(error_of("placement=ttl").find("unknown placement policy 'ttl'"), std::string::npos);
  EXPECT_NE(error_of("preset=ttl,nope").find("preset=nope: unknown preset"), std::string::npos);
  EXPECT_NE(error_of("nodes=8,x").find("nodes=x: not an integer"), std::string::npos);
  EXPECT_NE(error_of("nodes=0").find("nodes=0: not an integer in [1, 100000]"), std::string::npos);
  EXPECT_NE(error_of("nodes=8abc").find("nodes=8abc"), std::string::npos);
  EXPECT_NE(error_of("cpu-model=gpu").find("cpu-model=gpu"), std::string::npos);
  EXPECT_NE(error_of("nodes=8;nodes=16").find("'nodes' given twice"), std::string::npos);
  EXPECT_NE(error_of("nodes=8,8").find("nodes=8: value given twice"), std::string::npos);
  EXPECT_NE(error_of("nodes=8,,16").find("nodes has an empty value"), std::string::npos);
  EXPECT_NE(error_of("nodes").find("'nodes' is not key=value"), std::string::npos);
  EXPECT_NE(error_of("").find("empty grid"), std::string::npos);
  EXPECT_NE(error_of("placement=sample=10").find("parameter 'sample=10' follows no policy spec"), std::string::npos);
  EXPECT_NE(error_of("placement=openwhisk,sample=10").find("follows no policy spec"), std::string::npos);
  // A grid past the bound: 65 x 65 = 4225 points.
  std::string many = "nodes=";
  for (int i = 1; i <= 65; ++i) many += std::to_string(i) + (i < 65 ? "," : "");
  many += ";seed=";
  for (int i = 0; i < 65; ++i) many += std::to_string(i) + (i < 64 ? "," : "");
  EXPECT_NE(error_of(many).find("more than 4096 points"), std::string::npos);
  EXPECT_EQ(error_of("nodes=1,2,3"), "");  // the same grammar, well formed, passes
}

}  // namespace
}  // namespace hearth::sim
