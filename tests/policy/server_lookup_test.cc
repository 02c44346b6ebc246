// Eq. 7 server lookup: Fig. 7's example and a property against a brute-force matrix product.
#include "policy/server_lookup.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace hearth::policy {
namespace {

TEST(ServerLookup, Fig7FunctionGoesToServer1) {
  // Fig. 7: django 41.5 MB on #2, request 3.3 MB on #1, numpy 18.5 MB on #0 and #1; the function imports
  // request and numpy: #0 shares 18.5 MB, #1 21.8 MB, #2 nothing.
  const std::vector<std::int64_t> sizes = {18944, 3379, 42496};  // numpy, request, django
  LibraryMatrix m(3, 3);
  m.add(0, 0, sizes[0]);
  m.add(1, 0, sizes[0]);
  m.add(1, 1, sizes[1]);
  m.add(2, 2, sizes[2]);
  const std::vector<LibraryId> f = {0, 1};
  const auto r = lookup_server(m, f, sizes, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->server, 1u);
  EXPECT_EQ(r->shared_kb, 18944 + 3379);
  // Server 1 overloaded: the next best, #0.
  const auto skip1 = lookup_server(m, f, sizes, [](std::uint32_t k) { return k == 1; });
  ASSERT_TRUE(skip1);
  EXPECT_EQ(skip1->server, 0u);
  EXPECT_FALSE(lookup_server(m, f, sizes, [](std::uint32_t) { return true; }));
}

RC_GTEST_PROP(ServerLookup, MatchesBruteForceMatrixProduct, ()) {
  const auto servers = *rc::gen::inRange<std::uint32_t>(1, 12);
  const auto libs = *rc::gen::inRange<std::uint32_t>(1, 40);
  const auto sizes = *rc::gen::container<std::vector<std::int64_t>>(libs, rc::gen::inRange<std::int64_t>(0, 5));
  const auto bits = *rc::gen::container<std::vector<bool>>(servers * libs, rc::gen::arbitrary<bool>());
  const auto over = *rc::gen::container<std::vector<bool>>(servers, rc::gen::arbitrary<bool>());
  const auto fvec = *rc::gen::container<std::vector<bool>>(libs, rc::gen::arbitrary<bool>());
  const auto tie_start = *rc::gen::inRange<std::uint32_t>(0, 100);
  LibraryMatrix m(servers, libs);
  for (std::uint32_t k = 0; k < servers; ++k)
    for (std::uint32_t i = 0; i < libs; ++i)
      if (bits[k * libs + i]) m.add(k, i, sizes[i]);
  std::vector<LibraryId> f;
  for (std::uint32_t i = 0; i < libs; ++i)
    if (fvec[i]) f.push_back(i);
  // Brute force: the full product M·f over every library, then the maximum, first from tie_start.
  std::vector<std::int64_t> product(servers, 0);
  for (std::uint32_t k = 0; k < servers; ++k)
    for (std::uint32_t i = 0; i < libs; ++i) product[k] += (bits[k * libs + i] ? sizes[i] : 0) * (fvec[i] ? 1 : 0);
  std::int64_t best = -1;
  std::uint32_t best_k = 0;
  for (std::uint32_t s = 0; s < servers; ++s) {
    const std::uint32_t k = (tie_start + s) % servers;
    if (!over[k] && product[k] > best) {
      best = product[k];
      best_k = k;
    }
  }
  const auto r = lookup_server(m, f, sizes, [&](std::uint32_t k) { return bool(over[k]); }, tie_start);
  if (best < 0) {
    RC_ASSERT(!r);
  } else {
    RC_ASSERT(r.has_value());
    RC_ASSERT(r->server == best_k);
    RC_ASSERT(r->shared_kb == best);
  }
}

}  // namespace
}  // namespace hearth::policy
