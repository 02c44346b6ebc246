// GroupCommit (controller/group_commit.h): deferred flushes run once per key at the outermost scope's
// end, and a Store commits every record completed within one scope in one transaction, answering none
// of them before it.
#include "controller/group_commit.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "controller/store.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

TEST(GroupCommit, WithoutAScopeNothingIsDeferred) {
  int runs = 0;
  EXPECT_FALSE(GroupCommit::defer(&runs, [&] { ++runs; }));
  EXPECT_EQ(runs, 0);  // the caller commits itself
}

TEST(GroupCommit, EachKeyFlushesOnceAtTheOutermostScopesEnd) {
  int a = 0, b = 0;
  const std::size_t before = GroupCommit::flushes_run();
  {
    GroupCommit outer;
    EXPECT_TRUE(GroupCommit::defer(&a, [&] { ++a; }));
    {
      GroupCommit inner;
      EXPECT_TRUE(GroupCommit::defer(&a, [&] { ++a; }));  // joins the first
      EXPECT_TRUE(GroupCommit::defer(&b, [&] { ++b; }));
    }
    EXPECT_EQ(a + b, 0);  // the inner scope's end runs nothing
  }
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(GroupCommit::flushes_run() - before, 2u);
  // Scopes are per thread: another thread's defer is not taken by this one's scope.
  GroupCommit mine;
  bool deferred_elsewhere = true;
  std::thread([&] { deferred_elsewhere = GroupCommit::defer(&a, [] {}); }).join();
  EXPECT_FALSE(deferred_elsewhere);
}

net::ActivationRecord record(const std::string& id) {
  net::ActivationRecord r;
  r.id = id;
  r.ns = "guest";
  r.action = "f";
  r.start_kind = "warm";
  r.status = "success";
  r.result_json = "{}";
  return r;
}

TEST(GroupCommit, AStoreCommitsTheRecordsOfOneScopeTogetherAndAnswersAfterTheCommit) {
  hearth::testing::TempDir dir;
  Store store(dir.str() + "/store.db");
  // Without a scope: each written record is committed (and answered) before put_activation returns.
  int answered = 0;
  store.put_activation(record(std::string(32, 'a')), [&] { ++answered; });
  EXPECT_EQ(answered, 1);
  // Within one: none is answered until the scope ends, then all of them, after one flush.
  const std::size_t before = GroupCommit::flushes_run();
  {
    GroupCommit group;
    for (char c : std::string("bcde")) store.put_activation(record(std::string(32, c)), [&] { ++answered; });
    EXPECT_EQ(answered, 1);
  }
  EXPECT_EQ(answered, 5);
  EXPECT_EQ(GroupCommit::flushes_run() - before, 1u);
  // All of them on disk: a second store on the same file reads them.
  Store again(dir.str() + "/store.db");
  for (char c : std::string("abcde")) EXPECT_TRUE(again.get_activation("guest", std::string(32, c)).has_value()) << c;
}

}  // namespace
}  // namespace hearth::controller
