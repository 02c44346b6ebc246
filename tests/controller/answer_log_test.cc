// AnswerLog (controller/answer_log.h): records appended and not released are recovered field for field,
// also after the process that appended them was killed; released, torn or corrupt slots are not; a full log
// or an oversized record falls back (nullopt); store_answered stores only what the store lacks. And the
// rule it serves, through the Api: when a blocking answer is delivered, its record is in the log or
// committed — the probe, answering before the commit without a log, shows it in neither — and a GET right
// after the answer finds it.
#include "controller/answer_log.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "controller/api.h"
#include "controller/store.h"
#include "tests/controller/echo_dispatcher.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using hearth::testing::TempDir;

net::ActivationRecord record(const std::string& id) {
  net::ActivationRecord r;
  r.id = id;
  r.ns = "guest";
  r.action = "noop";
  r.start_us = 1'700'000'000'000'000;
  r.end_us = r.start_us + 250;
  r.wait_us = 10;
  r.init_us = 0;
  r.run_us = 12;
  r.start_kind = "warm";
  r.invoker = "invoker0";
  r.container = "c5";
  r.status = "success";
  r.result_json = R"({"ok":true})";
  r.logs = {"stdout: hi", "line \"2\""};
  r.cause = "0123456789abcdef0123456789abcdef";
  r.annotations_json = R"([{"key":"kind","value":"native"}])";
  r.freshen_json = R"({"hooks":1})";
  return r;
}

void expect_same(const net::ActivationRecord& a, const net::ActivationRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.ns, b.ns);
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.start_us, b.start_us);
  EXPECT_EQ(a.end_us, b.end_us);
  EXPECT_EQ(a.wait_us, b.wait_us);
  EXPECT_EQ(a.run_us, b.run_us);
  EXPECT_EQ(a.start_kind, b.start_kind);
  EXPECT_EQ(a.invoker, b.invoker);
  EXPECT_EQ(a.container, b.container);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.result_json, b.result_json);
  EXPECT_EQ(a.logs, b.logs);
  EXPECT_EQ(a.cause, b.cause);
  EXPECT_EQ(a.annotations_json, b.annotations_json);
  EXPECT_EQ(a.freshen_json, b.freshen_json);
}

TEST(AnswerLog, HeldRecordsAreRecoveredFieldForFieldAndReleasedOnesAreNot) {
  TempDir dir;
  const std::string path = dir.str() + "/answers.log";
  AnswerLog log(path, 8);
  const auto a = log.append(record("a"));
  const auto b = log.append(record("b"));
  const auto c = log.append(record("c"));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(log.held(), 3u);
  log.release(*b);
  EXPECT_EQ(log.held(), 2u);
  const auto got = AnswerLog::recover(path);
  ASSERT_EQ(got.size(), 2u);
  expect_same(got[0].id == "a" ? got[0] : got[1], record("a"));
  expect_same(got[0].id == "c" ? got[0] : got[1], record("c"));
  EXPECT_TRUE(AnswerLog::recover(dir.str() + "/none.log").empty());
  // A new log over the file starts empty.
  AnswerLog fresh(path, 8);
  EXPECT_TRUE(AnswerLog::recover(path).empty());
}

// The bytes a killed process copied into its mapping are in the file: the page cache keeps them.
TEST(AnswerLog, AProcessKilledAfterAppendingLeavesTheRecordInTheFile) {
  TempDir dir;
  const std::string path = dir.str() + "/answers.log";
  const net::ActivationRecord r = record("killed");
  {
    AnswerLog log(path, 4);
    log.release(*log.append(r));  // its encoding buffer grown here: the child allocates nothing
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      log.append(r);
      raise(SIGKILL);  // no release, no unmap: as a controller killed right after answering
      _exit(1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));
  }
  const auto got = AnswerLog::recover(path);
  ASSERT_EQ(got.size(), 1u);
  expect_same(got[0], r);
}

TEST(AnswerLog, AFullLogOrAnOversizedRecordFallsBackAndFreedSlotsAreReused) {
  TempDir dir;
  AnswerLog log(dir.str() + "/answers.log", 2);
  const auto a = log.append(record("a"));
  ASSERT_TRUE(a);
  ASSERT_TRUE(log.append(record("b")));
  EXPECT_FALSE(log.append(record("c")));  // full
  log.release(*a);
  EXPECT_TRUE(log.append(record("c")));
  AnswerLog roomy(dir.str() + "/roomy.log", 4);
  net::ActivationRecord big = record("big");
  big.result_json = "\"" + std::string(AnswerLog::kSlotBytes, 'x') + "\"";
  EXPECT_FALSE(roomy.append(big));
  EXPECT_EQ(roomy.held(), 0u);
}

TEST(AnswerLog, ACorruptSlotIsSkipped) {
  TempDir dir;
  const std::string path = dir.str() + "/answers.log";
  AnswerLog log(path, 4);
  const auto a = log.append(record("a"));
  ASSERT_TRUE(log.append(record("b")));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(*a * AnswerLog::kSlotBytes + 40));
    f.put('#');
  }
  const auto got = AnswerLog::recover(path);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "b");
}

TEST(AnswerLog, StoreAnsweredStoresOnlyWhatTheStoreLacks) {
  TempDir dir;
  Store store(dir.str() + "/hearth.db");
  net::ActivationRecord committed = record("committed");
  committed.result_json = R"({"stored":"first"})";
  store.put_activation(net::ActivationRecord(committed));
  store.flush();
  net::ActivationRecord replayed = record("committed");
  replayed.result_json = R"({"stored":"again"})";
  net::ActivationRecord lost = record("lost");
  lost.freshen_json.clear();  // not a stored column: the API folds it into the annotations first
  EXPECT_EQ(store_answered(store, {replayed, lost}), 1u);
  EXPECT_EQ(store.get_activation("guest", "committed")->result_json, R"({"stored":"first"})");
  ASSERT_TRUE(store.get_activation("guest", "lost"));
  expect_same(*store.get_activation("guest", "lost"), lost);
}

// Whether the database file holds a committed record `id` (a connection of its own: only commits show).
bool committed(const std::string& db_path, const std::string& id) {
  sqlite3* db = nullptr;
  bool found = false;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM activations WHERE id = ?", -1, &st, nullptr) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return found;
}

struct AnsweredRecord {
  bool in_log = false, in_db = false, get_found = false;
  bool released = false;  // the log held nothing within 5 s of the answer (the writer committed it)
};

// One blocking invoke through the Api over a file store whose writer gathers for 300 ms; at the moment its
// answer is delivered, is its record in the log's file, committed, and does a GET find it right after?
AnsweredRecord answer_one(bool answer_after_commit, bool with_log) {
  TempDir dir;
  const std::string db = dir.str() + "/hearth.db", log_path = dir.str() + "/answers.log";
  StoreOptions options;
  options.activation_flush_ms = 300;
  std::optional<AnswerLog> log;
  if (with_log) log.emplace(log_path);
  Store store(db, options);
  store.put_namespace("guest", "uuid", "key");
  EchoDispatcher dispatcher;
  ApiConfig config;
  config.answer_after_record_written = answer_after_commit;
  config.answer_log = log ? &*log : nullptr;
  Api api(store, dispatcher, config);
  const std::string auth = "Basic dXVpZDprZXk=";  // uuid:key
  EXPECT_EQ(api.handle({"PUT", "/api/v1/namespaces/_/actions/noop", auth,
                        R"({"exec":{"kind":"python:3","code":"def main(a): return a"}})"}).status, 200);
  AnsweredRecord out;
  std::string id;
  const net::AsyncAnswer answer = api.handle_async({"POST", "/api/v1/namespaces/_/actions/noop?blocking=true", auth, "{}"},
                                                   [&](net::HttpResponse r) {
    id = nlohmann::json::parse(r.body).at("activationId").get<std::string>();
    for (const net::ActivationRecord& held : AnswerLog::recover(log_path)) out.in_log = out.in_log || held.id == id;
    out.in_db = committed(db, id);
  });
  EXPECT_FALSE(answer.now);
  EXPECT_FALSE(id.empty());
  out.get_found = api.handle({"GET", "/api/v1/namespaces/_/activations/" + id, auth, ""}).status == 200;
  if (log) {
    for (int i = 0; i < 500 && log->held() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    out.released = log->held() == 0;
  }
  return out;
}

TEST(AnswerLogApi, ABlockingAnswerGoesOutWithItsRecordInTheLogAndAGetFindsIt) {
  const AnsweredRecord r = answer_one(/*answer_after_commit=*/true, /*with_log=*/true);
  EXPECT_TRUE(r.in_log);
  EXPECT_FALSE(r.in_db);  // not waited for: the writer commits it with its next batch
  EXPECT_TRUE(r.get_found);
  EXPECT_TRUE(r.released);
}

TEST(AnswerLogApi, WithoutTheLogTheAnswerWaitsForTheCommit) {
  const AnsweredRecord r = answer_one(true, false);
  EXPECT_TRUE(r.in_db);
  EXPECT_TRUE(r.get_found);
}

// The probe: answered before the commit with no log, the record is nowhere a kill would leave it.
TEST(AnswerLogApi, ProbeAnsweringBeforeTheCommitWithoutTheLogLeavesTheRecordNowhereDurable) {
  const AnsweredRecord r = answer_one(false, false);
  EXPECT_FALSE(r.in_log);
  EXPECT_FALSE(r.in_db);
  EXPECT_TRUE(r.get_found);  // read-your-writes holds either way: reads write what is queued first
}

}  // namespace
}  // namespace hearth::controller
