// CodeScaler (policy/code_scaler.h): live code scaling on hand-computed threshold arrays.
#include "policy/code_scaler.h"

#include <gtest/gtest.h>

namespace hearth::policy {
namespace {

using V = std::vector<std::int32_t>;

V first(const std::vector<std::int32_t>& v, std::size_t n) { return V(v.begin(), v.begin() + static_cast<long>(n)); }

TEST(CodeScaler, FixedPreparesTheNextCodeOnceUsageReachesBMinusOnePlusF) {
  CodeScaler s(parse_code_scaler("fixed:0.7"));
  EXPECT_EQ(first(s.thresholds(1), 3), (V{7, 17, 27}));
  EXPECT_EQ(s.on_start(1, /*in_flight=*/1, /*held=*/1, false), 1);  // 10 units >= 7: code 2 ahead
  EXPECT_EQ(s.on_start(1, 1, 2, false), 0);                           // 10 < 17 with 2 held
  EXPECT_EQ(s.on_start(1, 2, 2, false), 1);                           // 20 >= 17: code 3
  EXPECT_EQ(s.on_start(1, 2, 3, false), 0);
  // A cold start while codes were held counts as late, but fixed thresholds never move.
  EXPECT_EQ(s.on_start(1, 4, 4, true), 1);  // 40 >= 37
  EXPECT_EQ(s.stats().late, 1u);
  EXPECT_EQ(first(s.thresholds(1), 3), (V{7, 17, 27}));
  EXPECT_EQ(s.stats().prepared, 3u);
  // fixed:1 waits until every held code is busy; fixed:0 prepares with a code in hand.
  CodeScaler full(parse_code_scaler("fixed:1"));
  EXPECT_EQ(full.on_start(1, 1, 2, false), 0);
  EXPECT_EQ(full.on_start(1, 2, 2, false), 1);
}

TEST(CodeScaler, ScorpiusStartsOnDemandAndLearnsFromALateCode) {
  CodeScaler s(parse_code_scaler("scorpius"));
  EXPECT_EQ(first(s.thresholds(7), 3), (V{11, 21, 31}));
  EXPECT_EQ(s.on_start(7, 1, 1, true), 0);   // the first code: on demand, not late (nothing held)
  EXPECT_EQ(s.stats().late, 0u);
  // A second concurrent invocation started a code on demand with one held: late for code 2, every
  // threshold from code 2's on drops one unit; 20 units now reach code 3's threshold: prepared ahead.
  EXPECT_EQ(s.on_start(7, 2, 2, true), 1);
  EXPECT_EQ(s.stats().late, 1u);
  EXPECT_EQ(first(s.thresholds(7), 4), (V{10, 20, 30, 40}));
  // Another function keeps its own array.
  EXPECT_EQ(first(s.thresholds(8), 2), (V{11, 21}));
  EXPECT_EQ(s.on_start(8, 2, 2, false), 0);
}

TEST(CodeScaler, APreparedCodeUsedLateIsEarlyAndRaisesTheNextThree) {
  CodeScaler s(parse_code_scaler("scorpius"));
  s.on_start(1, 2, 2, true);  // [10, 20, 30, 40, 50, ...]
  s.on_prepared_used(1, 3, /*ready_us=*/0, /*now=*/500'000);  // within the 1 s window: on time
  EXPECT_EQ(s.stats().exact, 1u);
  EXPECT_EQ(first(s.thresholds(1), 5), (V{10, 20, 30, 40, 50}));
  s.on_prepared_used(1, 3, 0, 2'000'000);  // 2 s idle before its first use: early, code 3's and the next two +1
  EXPECT_EQ(s.stats().early, 1u);
  EXPECT_EQ(first(s.thresholds(1), 5), (V{10, 21, 31, 41, 50}));
  s.on_prepared_unused(1, 2);  // never used: early too
  EXPECT_EQ(first(s.thresholds(1), 5), (V{11, 21, 31, 41, 50}));  // each within its range [(b-1)·10, b·10+1]
  EXPECT_EQ(s.stats().early, 2u);
}

TEST(CodeScaler, SpecsAndBadInput) {
  EXPECT_EQ(parse_code_scaler("none").mode, LiveCodeScaling::kNone);
  EXPECT_EQ(parse_code_scaler("fixed").fixed_fraction, 0.7);
  EXPECT_EQ(parse_code_scaler("fixed:0.25").fixed_fraction, 0.25);
  EXPECT_EQ(code_scaler_name(parse_code_scaler("fixed:0.25")), "fixed:0.25");
  EXPECT_EQ(code_scaler_name(parse_code_scaler("scorpius")), "scorpius");
  for (const char* bad : {"fixed:2", "fixed:x", "fixed:", "on-demand", ""})
    EXPECT_THROW(parse_code_scaler(bad), std::invalid_argument) << bad;
  EXPECT_THROW(CodeScaler(parse_code_scaler("none")), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::policy
