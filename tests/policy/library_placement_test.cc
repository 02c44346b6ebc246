// Algorithm 1 (Scorpius §III-B.1) on the paper's three-library example, the baselines, and the budget.
#include "policy/library_placement.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdexcept>
#include <vector>

namespace hearth::policy {
namespace {

// The paper's example: numpy 18.5 MB, request 3.3 MB, django 41.5 MB (in KB); functions [numpy, request],
// [django], [numpy]; three servers.
constexpr LibraryId kNumpy = 0, kRequest = 1, kDjango = 2;
const std::vector<std::int64_t> kSizes = {18944, 3379, 42496};
const std::vector<std::vector<LibraryId>> kHistory = {{kNumpy, kRequest}, {kDjango}, {kNumpy}};

LibraryPlacementInput example(std::int64_t budget_kb) {
  LibraryPlacementInput in;
  in.size_kb = kSizes;
  in.history = kHistory;
  in.servers = 3;
  in.budget_kb = budget_kb;
  return in;
}

TEST(LibraryPlacement, PaperExampleFirstStepGivesFig7) {
  // Lines 4-5 put numpy (r = 2), request and django (r = 1, lower id first) on servers 0, 1, 2; the first
  // iteration picks numpy (E = 2) and puts it where it is closest: server 1, beside request (C = 1).
  LibraryPlacementInput in = example(1 << 20);
  in.max_steps = 1;
  const LibraryMatrix m = place_libraries(LibraryPlacementKind::kScorpius, in);
  EXPECT_EQ(m.libraries_on(0), (std::vector<LibraryId>{kNumpy}));
  EXPECT_EQ(m.libraries_on(1), (std::vector<LibraryId>{kNumpy, kRequest}));
  EXPECT_EQ(m.libraries_on(2), (std::vector<LibraryId>{kDjango}));
  EXPECT_EQ(m.stored_kb(1), 18944 + 3379);
}

TEST(LibraryPlacement, PaperExampleRunsUntilEveryServerIsFull) {
  // Budget 45,000 KB. Step 1 as in Fig. 7. Step 2: request (E = 1, before django by id) goes to server 0
  // (closeness 1 to numpy). Step 3: django (E = 1) ties at D = 0 on servers 0 and 1, neither has room:
  // both close; django is then on every open server. Step 4: numpy (E = 2/2² = 0.5) does not fit on
  // server 2: it closes, and the loop ends.
  const LibraryMatrix m = place_libraries(LibraryPlacementKind::kScorpius, example(45000));
  EXPECT_EQ(m.libraries_on(0), (std::vector<LibraryId>{kNumpy, kRequest}));
  EXPECT_EQ(m.libraries_on(1), (std::vector<LibraryId>{kNumpy, kRequest}));
  EXPECT_EQ(m.libraries_on(2), (std::vector<LibraryId>{kDjango}));
  EXPECT_EQ(m.total_kb(), 2 * (18944 + 3379) + 42496);
}

TEST(LibraryPlacement, ClosenessPutsALibraryBesideItsCoImports) {
  // Libraries a..f of 1 KB; a and b are always imported together, c and d too; e is hot alone.
  // Two servers of 3 KB.
  const std::vector<std::int64_t> sizes(6, 1);
  const std::vector<std::vector<LibraryId>> history = {{4}, {4}, {4}, {4}, {0, 1}, {0, 1}, {0, 1}, {2, 3}, {2, 3}};
  LibraryPlacementInput in;
  in.size_kb = sizes;
  in.history = history;
  in.servers = 2;
  in.budget_kb = 3;
  // r: e 4, a 3, b 3, c 2, d 2. Lines 4-5: server 0 e, server 1 a. Loop: e (E 4) -> server 1 (only
  // one lacking it); a (3) -> server 0; b (3): D = C(b,a) = 3 on both -> least used: both 2 -> server 0.
  // Server 0 {e, a, b} is full at 3 KB; c (2) -> server 1 {a, e, c}.
  const LibraryMatrix s = place_libraries(LibraryPlacementKind::kScorpius, in);
  EXPECT_EQ(s.libraries_on(0), (std::vector<LibraryId>{0, 1, 4}));
  EXPECT_EQ(s.libraries_on(1), (std::vector<LibraryId>{0, 2, 4}));
  const LibraryMatrix h = place_libraries(LibraryPlacementKind::kHot, in);
  for (std::uint32_t k = 0; k < 2; ++k) EXPECT_LE(h.stored_kb(k), 3);
}

TEST(LibraryPlacement, RandomIsSeededAndRespectsTheBudget) {
  LibraryPlacementInput in = example(30000);
  in.seed = 7;
  const LibraryMatrix a = place_libraries(LibraryPlacementKind::kRandom, in);
  const LibraryMatrix b = place_libraries(LibraryPlacementKind::kRandom, in);
  for (std::uint32_t k = 0; k < 3; ++k) {
    EXPECT_EQ(a.libraries_on(k), b.libraries_on(k));
    EXPECT_LE(a.stored_kb(k), 30000);
  }
  EXPECT_GT(a.total_kb(), 0);
}

TEST(LibraryPlacement, RejectsBadInputWithWhatIsWrong) {
  LibraryPlacementInput in = example(1000);
  const std::vector<std::vector<LibraryId>> bad = {{0, 5}};
  in.history = bad;
  try {
    place_libraries(LibraryPlacementKind::kScorpius, in);
    FAIL() << "accepted an out-of-range library";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("imports library 5 of 3"), std::string::npos) << e.what();
  }
  in = example(1000);
  in.servers = 0;
  EXPECT_THROW(place_libraries(LibraryPlacementKind::kHot, in), std::invalid_argument);
  EXPECT_THROW(parse_library_placement("greedy"), std::invalid_argument);
}

RC_GTEST_PROP(LibraryPlacement, NoServerExceedsItsBudgetAndRunsRepeat, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 30);
  const auto sizes = *rc::gen::container<std::vector<std::int64_t>>(n, rc::gen::inRange<std::int64_t>(0, 50));
  const auto history = *rc::gen::container<std::vector<std::vector<LibraryId>>>(
      rc::gen::container<std::vector<LibraryId>>(rc::gen::inRange<LibraryId>(0, n)));
  LibraryPlacementInput in;
  in.size_kb = sizes;
  in.history = history;
  in.servers = *rc::gen::inRange<std::uint32_t>(1, 6);
  in.budget_kb = *rc::gen::inRange<std::int64_t>(0, 120);
  in.closest = *rc::gen::inRange<std::uint32_t>(1, 10);
  for (auto kind : {LibraryPlacementKind::kScorpius, LibraryPlacementKind::kHot, LibraryPlacementKind::kRandom}) {
    const LibraryMatrix m = place_libraries(kind, in);
    const LibraryMatrix again = place_libraries(kind, in);
    for (std::uint32_t k = 0; k < in.servers; ++k) {
      RC_ASSERT(m.stored_kb(k) <= in.budget_kb);
      RC_ASSERT(m.libraries_on(k) == again.libraries_on(k));
      std::int64_t sum = 0;
      for (LibraryId i : m.libraries_on(k)) sum += sizes[i];
      RC_ASSERT(sum == m.stored_kb(k));
    }
  }
}

}  // namespace
}  // namespace hearth::policy
