// Activation records are pruned by age (issue 11, item 10): `hearth up --activation-retention`.
#include <gtest/gtest.h>

#include "controller/store.h"
#include "model/duration.h"

namespace hearth::controller {
namespace {

net::ActivationRecord record(const std::string& ns, const std::string& id, std::int64_t start_us) {
  net::ActivationRecord a;
  a.ns = ns;
  a.action = "f";
  a.id = id;
  a.start_us = start_us;
  a.end_us = start_us + 10;
  a.status = "success";
  return a;
}

TEST(StoreRetention, PruningDeletesOnlyRecordsThatStartedBeforeTheCutoff) {
  Store store(":memory:");
  store.put_activation(record("a", "old1", 100));
  store.put_activation(record("b", "old2", 199));
  store.put_activation(record("a", "edge", 200));
  store.put_activation(record("b", "new", 300));
  EXPECT_EQ(store.prune_activations(200), 2);  // every namespace
  EXPECT_FALSE(store.get_activation("a", "old1"));
  EXPECT_FALSE(store.get_activation("b", "old2"));
  EXPECT_TRUE(store.get_activation("a", "edge"));
  EXPECT_TRUE(store.get_activation("b", "new"));
  EXPECT_EQ(store.prune_activations(200), 0);
}

TEST(StoreRetention, RetentionsAreWrittenInDays) {
  EXPECT_EQ(model::parse_duration("7d", model::kMicrosPerSecond), 7 * 24 * model::kMicrosPerHour);
  EXPECT_EQ(model::parse_duration("0", model::kMicrosPerSecond), 0);
}

}  // namespace
}  // namespace hearth::controller
