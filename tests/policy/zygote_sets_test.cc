#include "policy/zygote_sets.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hearth::policy {
namespace {

constexpr model::Micros kMin = 60 * model::kMicrosPerSecond;

TEST(ZygoteSets, TheEmptySetIsTheRootWhateverWasSeen) {
  ZygoteSets z(16, 10 * kMin);
  auto p = z.plan(1000, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].set.empty());
  EXPECT_EQ(p[0].parent, -1);
  EXPECT_EQ(p[0].memory_mb, 16);
  EXPECT_TRUE(z.plan(15, 0).empty()) << "not even an interpreter fits";
  z.on_cold_start({"numpy"}, 60, 0);
  p = z.plan(1000, 0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_TRUE(p[0].set.empty());
  EXPECT_EQ(p[1].set, LibrarySet{"numpy"});
  EXPECT_EQ(p[1].parent, 0);
}

TEST(ZygoteSets, SetsFormATreeUnderTheirLargestKeptSubset) {
  ZygoteSets z;
  z.on_cold_start({"PIL", "numpy"}, 90, 0);  // unsorted: normalised
  z.on_cold_start({"numpy"}, 60, 0);
  z.on_cold_start({"PIL"}, 40, 0);
  z.on_cold_start({"numpy", "PIL", "numpy", "scipy"}, 150, 0);
  const auto p = z.plan(10'000, 0);
  ASSERT_EQ(p.size(), 5u);
  const auto at = [&](const LibrarySet& s) {
    for (std::size_t i = 0; i < p.size(); ++i)
      if (p[i].set == s) return static_cast<int>(i);
    return -1;
  };
  const int numpy = at({"numpy"}), pil = at({"PIL"}), both = at({"PIL", "numpy"}), three = at({"PIL", "numpy", "scipy"});
  ASSERT_GE(numpy, 0);
  ASSERT_GE(both, 0);
  ASSERT_GE(three, 0);
  EXPECT_EQ(p[numpy].parent, 0);
  EXPECT_EQ(p[pil].parent, 0);
  EXPECT_TRUE(p[both].parent == numpy || p[both].parent == pil);  // both are subsets of one size
  EXPECT_EQ(p[three].parent, both);
  for (std::size_t i = 1; i < p.size(); ++i) EXPECT_LT(p[i].parent, static_cast<int>(i)) << "parents come first";
}

TEST(ZygoteSets, TheBudgetKeepsTheMostPopularPerMegabyteAndShrinkingItEvictsTheLeastFirst) {
  ZygoteSets z(16, 10 * kMin);
  for (int i = 0; i < 10; ++i) z.on_cold_start({"numpy"}, 60, 0);  // 10 / 60 MB
  for (int i = 0; i < 3; ++i) z.on_cold_start({"yaml"}, 20, 0);    //  3 / 20 MB
  z.on_cold_start({"requests"}, 30, 0);                            //  1 / 30 MB
  EXPECT_EQ(z.plan(16 + 60 + 20 + 30, 0).size(), 4u);
  auto p = z.plan(16 + 60 + 20, 0);  // no room for requests
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[1].set, LibrarySet{"numpy"});  // ordered by size, then as chosen (most popular per MB)
  EXPECT_EQ(p[2].set, LibrarySet{"yaml"});
  p = z.plan(16 + 25, 0);  // numpy no longer fits: yaml stays
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].set, LibrarySet{"yaml"});
}

TEST(ZygoteSets, PopularityDecaysWithAge) {
  ZygoteSets z(16, 1 * kMin);
  for (int i = 0; i < 8; ++i) z.on_cold_start({"old"}, 50, 0);
  z.on_cold_start({"new"}, 50, 5 * kMin);  // 8 halvings later: old ≈ 8/32 = 0.25 < 1
  const auto p = z.plan(16 + 50, 5 * kMin);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].set, LibrarySet{"new"});
  EXPECT_NEAR(p[1].popularity, 1.0, 1e-9);
  EXPECT_EQ(z.plan(16 + 50, 0).size(), 2u);
}

TEST(ZygoteSets, AFunctionForksFromTheLargestKeptSetItContains) {
  ZygoteSets z;
  z.on_cold_start({"numpy"}, 60, 0);
  z.on_cold_start({"numpy", "PIL"}, 90, 0);
  const auto p = z.plan(10'000, 0);
  EXPECT_EQ(p[ZygoteSets::best_for(p, {"PIL", "numpy", "requests"})].set, (LibrarySet{"PIL", "numpy"}));
  EXPECT_EQ(p[ZygoteSets::best_for(p, {"numpy"})].set, LibrarySet{"numpy"});
  EXPECT_TRUE(p[ZygoteSets::best_for(p, {"yaml"})].set.empty());
  EXPECT_EQ(ZygoteSets::best_for({}, {"numpy"}), -1);
}

TEST(ZygoteSets, BadInputIsRefusedWithWhatWasWrong) {
  EXPECT_THROW(ZygoteSets(0), std::invalid_argument);
  EXPECT_THROW(ZygoteSets(16, 0), std::invalid_argument);
  ZygoteSets z;
  try {
    z.on_cold_start({"numpy"}, -5, 0);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("memory_mb must be > 0, got -5"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::policy
