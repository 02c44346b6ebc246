// Activation records are pruned by age (issue 11, item 10): `hearth up --activation-retention`.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "controller/store.h"
#include "model/duration.h"
#include "tests/trace/temp_dir.h"

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

// A store written before the warm path's second round has an index on start_us alone (one more page per
// committed record): opening it drops the index, keeps every record, and pruning still reaches every
// namespace (walking activations_by_ns), an empty namespace name included.
TEST(StoreRetention, AnOlderStoreLosesItsStartIndexAndStillPrunesEveryNamespace) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/hearth.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA journal_mode=WAL;"
                           "CREATE TABLE activations (id TEXT PRIMARY KEY, ns TEXT NOT NULL, action TEXT NOT NULL,"
                           " start_us INTEGER, end_us INTEGER, wait_us INTEGER, init_us INTEGER, run_us INTEGER,"
                           " start_kind TEXT, invoker TEXT, container TEXT, status TEXT, result_json TEXT, logs_json TEXT);"
                           "CREATE INDEX activations_by_ns ON activations (ns, start_us DESC);"
                           "CREATE INDEX activations_by_start ON activations (start_us);"
                           "INSERT INTO activations (id, ns, action, start_us, status, result_json, logs_json) VALUES"
                           " ('o1', 'a', 'f', 100, 'success', '{}', '[]'), ('o2', 'b', 'f', 150, 'success', '{}', '[]'),"
                           " ('o3', '', 'f', 120, 'success', '{}', '[]'), ('n1', 'a', 'f', 300, 'success', '{}', '[]'),"
                           " ('n2', 'c', 'f', 400, 'success', '{}', '[]');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  Store store(path);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'activations_by_start'", -1, &q, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(q, 0), 0) << "the start_us index was dropped";
    sqlite3_finalize(q);
    sqlite3_close(db);
  }
  EXPECT_TRUE(store.get_activation("a", "o1"));
  EXPECT_TRUE(store.get_activation("c", "n2"));
  EXPECT_EQ(store.list_activations("a", "", 10, 0).size(), 2u);
  EXPECT_EQ(store.prune_activations(200), 3);  // a, b and the unnamed one
  EXPECT_FALSE(store.get_activation("", "o3"));
  EXPECT_FALSE(store.get_activation("b", "o2"));
  EXPECT_TRUE(store.get_activation("a", "n1"));
  EXPECT_TRUE(store.get_activation("c", "n2"));
}

TEST(StoreRetention, RetentionsAreWrittenInDays) {
  EXPECT_EQ(model::parse_duration("7d", model::kMicrosPerSecond), 7 * 24 * model::kMicrosPerHour);
  EXPECT_EQ(model::parse_duration("0", model::kMicrosPerSecond), 0);
}

}  // namespace
}  // namespace hearth::controller
