// KeyStore (controller/key_store.h): keys in a file of their own, a cache of verified rows that any write
// to that file drops — by another connection, another process, or a plain sqlite3 writer — and the move of
// an older store's namespaces out of its main file.
#include "controller/key_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "controller/store.h"
#include "net/secrets.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using hearth::testing::TempDir;

// A KeyStore serving `guest`, whose key has been checked three times (the later two from its cache).
struct Serving {
  explicit Serving(const std::string& path) : keys(path, 5000), guest(keys.create("guest")) {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(keys.authenticate(guest.uuid, guest.key), "guest");
    EXPECT_EQ(keys.cache_hits(), 2u);
  }
  KeyStore keys;
  Credentials guest;
};

TEST(KeyStore, LivesNextToTheStore) {
  EXPECT_EQ(KeyStore::path_for("/d/hearth.db"), "/d/hearth.keys.db");
  EXPECT_EQ(KeyStore::path_for("/d/state"), "/d/state.keys");
  EXPECT_EQ(KeyStore::path_for(":memory:"), ":memory:");
}

TEST(KeyStore, AnUnchangedKeyIsServedFromTheCacheAndARotationThroughAnotherConnectionDropsIt) {
  TempDir dir;
  const std::string path = dir.str() + "/hearth.keys.db";
  KeyStore serving(path, 5000);
  ASSERT_TRUE(serving.cached());
  const Credentials c = serving.create("guest");
  for (int i = 0; i < 4; ++i) ASSERT_EQ(serving.authenticate(c.uuid, c.key), "guest");
  EXPECT_EQ(serving.cache_hits(), 3u);  // the probe: the first read filled the cache, the rest were hits
  EXPECT_FALSE(serving.authenticate(c.uuid, "wrong").has_value());  // a hit still checks the key
  const Credentials r = KeyStore(path, 5000).rotate("guest");
  EXPECT_FALSE(serving.authenticate(c.uuid, c.key).has_value());
  EXPECT_EQ(serving.authenticate(r.uuid, r.key), "guest");
}

// `hearth auth rotate` from another process: the old key, accepted (and cached) before, is refused at
// the next call.
TEST(KeyStore, ARotationByAnotherProcessIsSeenAtTheNextCall) {
  TempDir dir;
  const std::string path = dir.str() + "/hearth.keys.db";
  Serving s(path);
  KeyStore& serving = s.keys;
  const Credentials c = s.guest;
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t child = fork();  // this test runs no other threads
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(out[0]);
    try {
      const std::string key = KeyStore(path, 5000).rotate("guest").key;
      _exit(write(out[1], key.data(), key.size()) == static_cast<ssize_t>(key.size()) ? 0 : 1);
    } catch (...) {
      _exit(2);
    }
  }
  close(out[1]);
  std::string key(64, '\0');
  ASSERT_EQ(read(out[0], key.data(), key.size()), 64);
  close(out[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(serving.authenticate(c.uuid, c.key).has_value());
  EXPECT_EQ(serving.authenticate(c.uuid, key), "guest");
}

// A writer that is not a KeyStore (the sqlite3 shell) does not touch the file after its commit; its own
// write to the log is the signal.
TEST(KeyStore, APlainSqliteWriterIsSeenToo) {
  TempDir dir;
  const std::string path = dir.str() + "/hearth.keys.db";
  Serving s(path);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "DELETE FROM namespaces WHERE ns = 'guest'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  EXPECT_FALSE(s.keys.authenticate(s.guest.uuid, s.guest.key).has_value());
}

// A store from before the keys file: its main file holds the (hashed) namespaces. Opening it moves them
// to the keys file and drops the table; they authenticate as before, and a second open moves nothing.
TEST(KeyStore, AnOlderStoresNamespacesMoveToTheKeysFile) {
  TempDir dir;
  const std::string db = dir.str() + "/hearth.db";
  const std::string salt = "00112233445566778899aabbccddeeff";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    const std::string sql =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE namespaces (ns TEXT PRIMARY KEY, uuid TEXT UNIQUE NOT NULL, salt TEXT NOT NULL, key_hash TEXT NOT NULL);"
        "INSERT INTO namespaces VALUES ('guest', 'u-1', '" + salt + "', '" + net::secrets::salted_sha256_hex(salt, "k1") + "');"
        "INSERT INTO namespaces VALUES ('t2', 'u-2', '" + salt + "', '" + net::secrets::salted_sha256_hex(salt, "k2") + "');";
    ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  {
    Store s(db);
    EXPECT_EQ(s.keys_moved(), 2);
    EXPECT_EQ(s.authenticate("u-1", "k1"), "guest");
    EXPECT_EQ(s.authenticate("u-2", "k2"), "t2");
    EXPECT_FALSE(s.authenticate("u-2", "k1").has_value());
    EXPECT_EQ(s.namespaces(), (std::vector<std::string>{"guest", "t2"}));
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "SELECT count(*) FROM sqlite_master WHERE name = 'namespaces'", -1, &q, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), 0);  // gone from the main file
  sqlite3_finalize(q);
  sqlite3_close(raw);
  Store again(db);
  EXPECT_EQ(again.keys_moved(), 0);
  EXPECT_EQ(again.authenticate("u-1", "k1"), "guest");
}

}  // namespace
}  // namespace hearth::controller
