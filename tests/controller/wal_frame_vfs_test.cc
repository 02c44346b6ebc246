#include "controller/wal_frame_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "controller/store.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using hearth::testing::TempDir;

constexpr int kPage = 4096, kFrame = 24 + kPage;  // SQLite's default page size; WAL frame = header + page

net::ActivationRecord record(int i) {
  net::ActivationRecord a;
  char id[33];
  std::snprintf(id, sizeof id, "%032x", i);
  a.id = id;
  a.ns = "guest";
  a.action = "noop";
  a.start_us = 1'000'000 + i;
  a.end_us = a.start_us + 7;
  a.start_kind = "warm";
  a.invoker = "invoker0";
  a.status = "success";
  a.result_json = R"({"n":)" + std::to_string(i) + "}";
  a.logs = {"line " + std::to_string(i)};
  return a;
}

// Write-type syscalls of this thread so far (/proc/thread-self/io: exact, no tracer).
long thread_writes() {
  std::ifstream io("/proc/thread-self/io");
  std::string key;
  long value = 0;
  while (io >> key >> value)
    if (key == "syscw:") return value;
  return -1;
}

long file_size(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : -1;
}

struct Commits {
  long writes = 0, frames = 0;
};

// `n` activation records, each committed on its own by this thread (synchronous store), in a fresh data
// directory: the write syscalls they took and the WAL frames they appended.
Commits commit_records(bool one_write_per_frame, int n) {
  TempDir dir;
  const std::string path = dir.str() + "/hearth.db";
  StoreOptions options;
  options.async_activations = false;  // every commit on this thread
  options.one_write_per_wal_frame = one_write_per_frame;
  Store store(path, options);
  store.put_activation(record(0));  // the WAL exists and has its header
  const long wal_before = file_size(path + "-wal"), writes_before = thread_writes();
  for (int i = 1; i <= n; ++i) store.put_activation(record(i));
  Commits c;
  c.writes = thread_writes() - writes_before;
  c.frames = (file_size(path + "-wal") - wal_before) / kFrame;
  return c;
}

// The probe first: through SQLite's default VFS a commit writes every frame in two calls (header, page);
// through the shim in one, with nothing else changed (the same frames, the same other writes).
TEST(WalFrameVfs, EachFrameIsOneWriteInsteadOfTwo) {
  ASSERT_NE(register_wal_frame_vfs(), nullptr);
  ASSERT_GE(thread_writes(), 0) << "no /proc/thread-self/io";
  const int n = 20;
  const Commits plain = commit_records(false, n), shim = commit_records(true, n);
  ASSERT_GE(plain.frames, n);  // at least one page per record
  EXPECT_EQ(shim.frames, plain.frames);
  EXPECT_GE(plain.writes, 2 * plain.frames) << "the probe: two writes per frame without the shim";
  EXPECT_EQ(plain.writes - shim.writes, plain.frames) << "one write fewer per frame";
}

// What the shim wrote is an ordinary WAL database: another connection of the default VFS reads every
// committed record while the store is open, the file passes SQLite's integrity check after it closed,
// and a store opened again returns the records field by field.
TEST(WalFrameVfs, TheFilesAreOrdinarySqliteAndRoundTrip) {
  TempDir dir;
  const std::string path = dir.str() + "/hearth.db";
  const int n = 300;  // more pages than one: splits, interior pages
  const auto count_plain = [&path] {
    sqlite3* db = nullptr;
    long rows = -1;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT count(*) FROM activations", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        rows = sqlite3_column_int64(s, 0);
      sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return rows;
  };
  {
    StoreOptions options;
    options.async_activations = false;
    Store store(path, options);
    for (int i = 0; i < n; ++i) store.put_activation(record(i));
    EXPECT_EQ(count_plain(), n);  // read from the WAL by a plain connection, store still open
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "ok");
  sqlite3_finalize(s);
  sqlite3_close(db);
  Store again(path);
  for (int i : {0, 1, n / 2, n - 1}) {
    const net::ActivationRecord want = record(i);
    const auto got = again.get_activation("guest", want.id);
    ASSERT_TRUE(got) << i;
    EXPECT_EQ(got->result_json, want.result_json);
    EXPECT_EQ(got->logs, want.logs);
    EXPECT_EQ(got->start_us, want.start_us);
    EXPECT_EQ(got->end_us, want.end_us);
    EXPECT_EQ(got->invoker, want.invoker);
  }
  EXPECT_EQ(again.list_activations("guest", "", 200, 0).size(), 200u);
}

}  // namespace
}  // namespace hearth::controller
