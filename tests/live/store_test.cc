#include "live/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>
#include <vector>

#include "tests/trace/temp_dir.h"

namespace hearth::live {
namespace {

using hearth::testing::TempDir;

ActionRecord action(const std::string& ns, const std::string& name, const std::string& code = "def main(a): return a") {
  ActionRecord a;
  a.ns = ns;
  a.name = name;
  a.kind = "python:3";
  a.code = code;
  a.updated_us = 42;
  return a;
}

ActivationRecord activation(const std::string& id, const std::string& act, std::int64_t start) {
  ActivationRecord a;
  a.id = id;
  a.ns = "guest";
  a.action = act;
  a.start_us = start;
  a.end_us = start + 10;
  a.start_kind = "cold";
  a.status = "success";
  a.result_json = R"({"ok":true})";
  a.logs = {"line 1", "line \"2\""};
  return a;
}

// Deleting and creating an action again restarts its OpenWhisk version at 1 (the same key as the old
// code's, which is why nothing may be keyed on it), but never its revision, not even across a reopen.
TEST(Store, RevisionsNeverRepeatAcrossDeleteRecreateAndRestart) {
  TempDir dir;
  const std::string path = dir.str() + "/hearth.db";
  std::int64_t first_revision = 0, second_revision = 0;
  {
    Store s(path);
    auto a = action("guest", "f", "def main(a): return {'v': 1}");
    ASSERT_TRUE(s.put_action(a, false));
    first_revision = a.revision;
    EXPECT_GT(first_revision, 0);
    ASSERT_TRUE(s.delete_action("guest", "f"));
    auto b = action("guest", "f", "def main(a): return {'v': 2}");
    ASSERT_TRUE(s.put_action(b, false));
    EXPECT_EQ(b.version, a.version);  // the probe: by version the two codes look the same
    second_revision = b.revision;
    EXPECT_GT(second_revision, first_revision);
    EXPECT_EQ(s.get_action("guest", "f")->revision, second_revision);
  }
  Store reopened(path);
  ASSERT_TRUE(reopened.delete_action("guest", "f"));
  auto c = action("guest", "f", "def main(a): return {'v': 3}");
  ASSERT_TRUE(reopened.put_action(c, false));
  EXPECT_EQ(c.version, 1);
  EXPECT_GT(c.revision, second_revision);
  auto other = action("other", "f");
  ASSERT_TRUE(reopened.put_action(other, false));
  EXPECT_GT(other.revision, c.revision);  // store-wide, not per namespace
}

// A data directory written before revisions existed: its actions get distinct revisions on open.
TEST(Store, ActionsOfAStoreWithoutRevisionsGetDistinctOnes) {
  TempDir dir;
  const std::string path = dir.str() + "/old.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE actions (ns TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT "
                           "NULL, entry TEXT NOT NULL, memory_mb INTEGER NOT NULL, timeout_ms INTEGER NOT NULL, version "
                           "INTEGER NOT NULL, updated_us INTEGER NOT NULL, PRIMARY KEY (ns, name));"
                           "INSERT INTO actions VALUES ('guest', 'f', 'python:3', 'x', 'main', 256, 60000, 1, 0);"
                           "INSERT INTO actions VALUES ('guest', 'g', 'python:3', 'y', 'main', 256, 60000, 1, 0);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  Store s(path);
  const std::int64_t f = s.get_action("guest", "f")->revision, g = s.get_action("guest", "g")->revision;
  EXPECT_GT(f, 0);
  EXPECT_GT(g, 0);
  EXPECT_NE(f, g);
  auto h = action("guest", "h");
  ASSERT_TRUE(s.put_action(h, false));
  EXPECT_GT(h.revision, std::max(f, g));
}

TEST(Store, ActionsCreateConflictUpdateDelete) {
  Store s(":memory:");
  auto a = action("guest", "hello");
  EXPECT_TRUE(s.put_action(a, false));
  EXPECT_EQ(a.version, 1);
  auto again = action("guest", "hello", "other");
  EXPECT_FALSE(s.put_action(again, false));  // exists: the API answers 409
  EXPECT_EQ(s.get_action("guest", "hello")->code, "def main(a): return a");
  EXPECT_TRUE(s.put_action(again, true));
  EXPECT_EQ(again.version, 2);
  EXPECT_EQ(s.get_action("guest", "hello")->code, "other");
  EXPECT_FALSE(s.get_action("other-ns", "hello").has_value());
  auto b = action("guest", "alpha");
  s.put_action(b, false);
  const auto list = s.list_actions("guest", 10, 0);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "alpha");
  EXPECT_EQ(s.list_actions("guest", 1, 1).at(0).name, "hello");
  EXPECT_TRUE(s.delete_action("guest", "hello"));
  EXPECT_FALSE(s.delete_action("guest", "hello"));
  EXPECT_FALSE(s.get_action("guest", "hello").has_value());
}

TEST(Store, NamespacesAuthenticateByUuidAndKey) {
  Store s(":memory:");
  s.put_namespace("guest", "23bc46b1-71f6-4ed5-8c54-816aa4f8c502", "secret");
  EXPECT_EQ(s.authenticate("23bc46b1-71f6-4ed5-8c54-816aa4f8c502", "secret"), "guest");
  EXPECT_FALSE(s.authenticate("23bc46b1-71f6-4ed5-8c54-816aa4f8c502", "wrong").has_value());
  EXPECT_FALSE(s.authenticate("x", "secret").has_value());
  EXPECT_EQ(s.namespaces(), std::vector<std::string>{"guest"});
}

TEST(Store, ActivationsRoundTripNewestFirst) {
  Store s(":memory:");
  s.put_activation(activation("a1", "hello", 100));
  s.put_activation(activation("a2", "hello", 300));
  s.put_activation(activation("a3", "other", 200));
  const auto got = s.get_activation("guest", "a1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->logs, (std::vector<std::string>{"line 1", "line \"2\""}));
  EXPECT_EQ(got->result_json, R"({"ok":true})");
  EXPECT_EQ(got->end_us, 110);
  EXPECT_FALSE(s.get_activation("other-ns", "a1").has_value());
  const auto all = s.list_activations("guest", "", 10, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, "a2");
  EXPECT_EQ(all[1].id, "a3");
  const auto hello = s.list_activations("guest", "hello", 10, 0);
  ASSERT_EQ(hello.size(), 2u);
  EXPECT_EQ(hello[1].id, "a1");
}

TEST(Store, SurvivesARestart) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/hearth.db";
  {
    Store s(path);
    auto a = action("guest", "hello");
    s.put_action(a, false);
    s.put_activation(activation("a1", "hello", 1));
  }
  Store reopened(path);
  EXPECT_TRUE(reopened.get_action("guest", "hello").has_value());
  EXPECT_TRUE(reopened.get_activation("guest", "a1").has_value());
}

TEST(Store, QueuedActivationsAreVisibleAtOnceAndWrittenAtShutdown) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/hearth.db";
  {
    // A flush delay far beyond the test: only reads, flush() and the destructor write the queue.
    Store s(path, StoreOptions{.async_activations = true, .activation_flush_ms = 60'000});
    s.put_activation(activation("first", "hello", 1));
    ASSERT_TRUE(s.get_activation("guest", "first").has_value());  // a read writes what is queued
    for (int i = 0; i < 1000; ++i) s.put_activation(activation("a" + std::to_string(i), "hello", 10 + i));
    EXPECT_EQ(s.list_activations("guest", "hello", 5, 0).at(0).id, "a999");
    for (int i = 1000; i < 2000; ++i) s.put_activation(activation("a" + std::to_string(i), "hello", 10 + i));
  }  // clean shutdown: the destructor writes the 1000 still queued
  Store reopened(path);
  EXPECT_EQ(reopened.list_activations("guest", "hello", 5000, 0).size(), 2001u);
  EXPECT_TRUE(reopened.get_activation("guest", "a1999").has_value());
}

TEST(Store, WriterThreadFlushesWithoutReads) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/hearth.db";
  Store s(path, StoreOptions{.async_activations = true, .activation_flush_ms = 1});
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&s, t] {
      for (int i = 0; i < 250; ++i) s.put_activation(activation("t" + std::to_string(t) + "-" + std::to_string(i), "hello", i));
    });
  for (auto& w : writers) w.join();
  // A second connection sees only what the writer thread committed.
  Store other(path, StoreOptions{.async_activations = false});
  for (int tries = 0; tries < 500 && other.list_activations("guest", "", 2000, 0).size() < 1000; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(other.list_activations("guest", "", 2000, 0).size(), 1000u);
}

TEST(Store, SynchronousActivationsWriteBeforeReturning) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/hearth.db";
  Store s(path, StoreOptions{.async_activations = false});
  s.put_activation(activation("a1", "hello", 1));
  Store other(path, StoreOptions{.async_activations = false});
  EXPECT_TRUE(other.get_activation("guest", "a1").has_value());
}

TEST(Store, ActionCacheFollowsUpdatesAndDeletes) {
  Store s(":memory:");
  auto a = action("guest", "hello", "v1");
  s.put_action(a, false);
  EXPECT_EQ(s.get_action("guest", "hello")->code, "v1");  // now cached
  auto b = action("guest", "hello", "v2");
  s.put_action(b, true);
  EXPECT_EQ(s.get_action("guest", "hello")->code, "v2");
  EXPECT_EQ(s.get_action("guest", "hello")->version, 2);
  s.delete_action("guest", "hello");
  EXPECT_FALSE(s.get_action("guest", "hello").has_value());
}

TEST(Store, UnopenablePathIsAClearError) {
  try {
    Store s("/nonexistent/dir/hearth.db");
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/hearth.db"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::live
