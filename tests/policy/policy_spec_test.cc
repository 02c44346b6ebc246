#include "policy/policy_spec.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hearth::policy {
namespace {

const std::vector<ParamDef> kDefs = {{"ttl", ParamType::kDuration, "10m", ""},
                                     {"count", ParamType::kInt, "2", ""},
                                     {"alpha", ParamType::kDouble, "0.3", ""}};

std::string error_of(const std::string& spec) {
  try {
    parse_policy_spec(spec, kDefs);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(PolicySpec, DefaultsPositionalAndKeyValue) {
  auto s = parse_policy_spec("ttl", kDefs);
  EXPECT_EQ(s.name, "ttl");
  EXPECT_EQ(s.params.get_duration("ttl"), 10 * model::kMicrosPerMinute);
  EXPECT_EQ(s.params.get_int("count"), 2);
  s = parse_policy_spec("ttl:30s", kDefs);
  EXPECT_EQ(s.params.get_duration("ttl"), 30 * model::kMicrosPerSecond);
  s = parse_policy_spec("ttl:5m,count=7,alpha=0.5", kDefs);
  EXPECT_EQ(s.params.get_duration("ttl"), 5 * model::kMicrosPerMinute);
  EXPECT_EQ(s.params.get_int("count"), 7);
  EXPECT_DOUBLE_EQ(s.params.get_double("alpha"), 0.5);
  s = parse_policy_spec("x:count=3", kDefs);
  EXPECT_EQ(s.params.get_int("count"), 3);
}

TEST(PolicySpec, Durations) {
  EXPECT_EQ(parse_duration("250ms", 1), 250'000);
  EXPECT_EQ(parse_duration("1.5s", 1), 1'500'000);
  EXPECT_EQ(parse_duration("4h", 1), 4 * model::kMicrosPerHour);
  EXPECT_EQ(parse_duration("7us", 1), 7);
  EXPECT_EQ(parse_duration("3", model::kMicrosPerSecond), 3'000'000);
  EXPECT_THROW(parse_duration("abc", 1), std::invalid_argument);
  EXPECT_THROW(parse_duration("5 parsecs", 1), std::invalid_argument);
  EXPECT_THROW(parse_duration("-1s", 1), std::invalid_argument);
}

TEST(PolicySpec, DurationsBeyondInt64MicrosecondsAreErrorsNotGarbage) {
  // 1e13 hours is 3.6e22 us: no int64 holds it; it must not come back as a negative or wrapped time.
  EXPECT_THROW(parse_duration("1e13h", 1), std::invalid_argument);
  EXPECT_THROW(parse_duration("1e300s", 1), std::invalid_argument);
  EXPECT_THROW(parse_duration("1e19", 1), std::invalid_argument);
  EXPECT_EQ(parse_duration("1000000h", 1), 1'000'000 * model::kMicrosPerHour);  // large but representable
}

TEST(PolicySpec, ErrorsNameTheSpecAndThePart) {
  EXPECT_NE(error_of("ttl:abc").find("parameter ttl: 'abc' is not a duration"), std::string::npos);
  EXPECT_NE(error_of("ttl:count=x").find("parameter count: 'x' is not an integer"), std::string::npos);
  EXPECT_NE(error_of("ttl:alpha=").find("parameter alpha"), std::string::npos);
  EXPECT_NE(error_of("ttl:bogus=1").find("unknown parameter 'bogus'"), std::string::npos);
  EXPECT_NE(error_of("ttl:count=1,5m").find("must be key=value"), std::string::npos);
  EXPECT_NE(error_of(":1").find("empty name"), std::string::npos);
  EXPECT_NE(error_of("ttl:abc").find("'ttl:abc'"), std::string::npos);
}

}  // namespace
}  // namespace hearth::policy
