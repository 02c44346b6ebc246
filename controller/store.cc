#include "controller/store.h"

#include "controller/group_commit.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <string_view>
#include <unordered_set>
#include <nlohmann/json.hpp>

#include "controller/key_store.h"
#include "controller/sqlite_statement.h"
#include "controller/wal_frame_vfs.h"
#include "net/secrets.h"

namespace hearth::controller {
namespace {

constexpr const char* kActionColumns =
    "ns, name, kind, code, entry, memory_mb, timeout_ms, version, updated_us, revision, cpu_millicores, libraries";
constexpr const char* kActivationColumns =
    "id, ns, action, start_us, end_us, wait_us, init_us, run_us, start_kind, invoker, container, status, "
    "result_json, logs_json, cause, annotations_json";
// The statements built from these columns are function-local statics that are never destroyed
// (`*new std::string`): a Store still running its writer thread while the process exits (a leaked one,
// as fuzz/http_fuzz.cc's; or exit() called with one alive) would otherwise read their freed text.

net::ActionRecord action_from(const Statement& s) {
  net::ActionRecord a;
  a.ns = s.text(0);
  a.name = s.text(1);
  a.kind = s.text(2);
  a.code = s.text(3);
  a.entry = s.text(4);
  a.memory_mb = s.integer(5);
  a.timeout_ms = s.integer(6);
  a.version = s.integer(7);
  a.updated_us = s.integer(8);
  a.revision = s.integer(9);
  a.cpu_millicores = s.integer(10);
  const nlohmann::json libraries = nlohmann::json::parse(s.text(11), nullptr, false);
  if (libraries.is_array())
    for (const auto& l : libraries)
      if (l.is_string()) a.libraries.push_back(l.get<std::string>());
  return a;
}

net::ActivationRecord activation_from(const Statement& s) {
  net::ActivationRecord a;
  a.id = s.text(0);
  a.ns = s.text(1);
  a.action = s.text(2);
  a.start_us = s.integer(3);
  a.end_us = s.integer(4);
  a.wait_us = s.integer(5);
  a.init_us = s.integer(6);
  a.run_us = s.integer(7);
  a.start_kind = s.text(8);
  a.invoker = s.text(9);
  a.container = s.text(10);
  a.status = s.text(11);
  a.result_json = s.text(12);
  a.logs = nlohmann::json::parse(s.text(13)).get<std::vector<std::string>>();
  a.cause = s.text(14);
  a.annotations_json = s.text(15);
  return a;
}

}  // namespace

Store::Store(const std::string& path, StoreOptions options) : options_(options) {
  if (options_.lazy_journal_ms < 1)
    throw StoreError("store: lazy_journal_ms must be at least 1, got " + std::to_string(options_.lazy_journal_ms));
  // Each WAL frame in one write (controller/wal_frame_vfs.h); the default VFS if that cannot be registered.
  const char* vfs = options_.one_write_per_wal_frame ? register_wal_frame_vfs() : nullptr;
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs) !=
      SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StoreError("store: cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "enable WAL");
  exec(
      "CREATE TABLE IF NOT EXISTS actions (ns TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL,"
      " entry TEXT NOT NULL, memory_mb INTEGER NOT NULL, timeout_ms INTEGER NOT NULL, version INTEGER NOT NULL,"
      " updated_us INTEGER NOT NULL, revision INTEGER NOT NULL DEFAULT 0, cpu_millicores INTEGER NOT NULL DEFAULT 0,"
      " PRIMARY KEY (ns, name));"
      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
      "INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', 0);"
      "CREATE TABLE IF NOT EXISTS activations (id TEXT PRIMARY KEY, ns TEXT NOT NULL, action TEXT NOT NULL,"
      " start_us INTEGER, end_us INTEGER, wait_us INTEGER, init_us INTEGER, run_us INTEGER, start_kind TEXT,"
      " invoker TEXT, container TEXT, status TEXT, result_json TEXT, logs_json TEXT, cause TEXT NOT NULL DEFAULT '',"
      " annotations_json TEXT NOT NULL DEFAULT '');"
      "CREATE INDEX IF NOT EXISTS activations_by_ns ON activations (ns, start_us DESC);"
      "CREATE TABLE IF NOT EXISTS accepted (id TEXT PRIMARY KEY, ns TEXT NOT NULL, action TEXT NOT NULL,"
      " arrival_us INTEGER NOT NULL);"
      // Stores before the warm path's second round had an index on start_us alone for the retention's
      // prune: one more b-tree page in every committed record. The prune walks activations_by_ns instead.
      "DROP INDEX IF EXISTS activations_by_start;",
      "create schema");
  migrate_revisions();
  migrate_cpu_limits();
  migrate_libraries();
  migrate_activation_annotations();
  migrate_plaintext_keys();
  try {
    keys_ = std::make_unique<KeyStore>(KeyStore::path_for(path), options_.busy_timeout_ms);
    move_keys_to_their_file();
  } catch (...) {
    keys_.reset();
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
    throw;
  }
  if (path != ":memory:" && options_.background_checkpoint_pages > 0) start_checkpointer(path);
  if (options_.async_activations) writer_ = std::thread([this] { writer_loop(); });
}

void Store::start_checkpointer(const std::string& path) {
  // A fresh connection has not opened the database yet: sqlite3_wal_checkpoint_v2 on it does nothing at
  // all (the log size it reports is -1, "not in WAL mode"). A first read opens it in WAL mode.
  if (sqlite3_open_v2(path.c_str(), &checkpoint_db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK ||
      sqlite3_busy_timeout(checkpoint_db_, options_.busy_timeout_ms) != SQLITE_OK ||
      sqlite3_exec(checkpoint_db_, "PRAGMA synchronous=NORMAL; SELECT count(*) FROM sqlite_master;", nullptr, nullptr,
                   nullptr) != SQLITE_OK) {
    const std::string msg = checkpoint_db_ ? sqlite3_errmsg(checkpoint_db_) : "out of memory";
    sqlite3_close(checkpoint_db_);
    checkpoint_db_ = nullptr;
    std::fprintf(stderr, "hearth: store: no background checkpoints (%s); commits checkpoint themselves\n", msg.c_str());
    return;  // SQLite's automatic checkpoint stays on
  }
  // Replaces SQLite's automatic checkpoint (which runs inside the commit that crosses 1000 WAL pages,
  // fsyncing the database on the committing thread: a blocking answer's thread) with a signal to the
  // checkpointer thread.
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        auto* store = static_cast<Store*>(self);
        if (pages >= store->options_.background_checkpoint_pages) {
          {
            std::lock_guard lock(store->checkpoint_mu_);
            store->checkpoint_wanted_ = true;
          }
          store->checkpoint_cv_.notify_one();
        }
        return SQLITE_OK;
      },
      this);
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

void Store::checkpoint_loop() {
  std::unique_lock lock(checkpoint_mu_);
  while (true) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_stopping_ || checkpoint_wanted_; });
    if (checkpoint_stopping_) return;
    checkpoint_wanted_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, never waits for (or blocks) the writers; what it could
    // not copy is taken by a later round (the hook fires again while the WAL stays long).
    int log = 0, copied = 0;
    if (options_.before_first_checkpoint_round) options_.before_first_checkpoint_round();
    int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (options_.after_first_checkpoint_round) options_.after_first_checkpoint_round();
    if (rc == SQLITE_OK && options_.restart_wal) {
      // The WAL starts again from its beginning only when a write transaction begins with every frame
      // copied; under steady writes some always arrived during the copy above, so it would grow without
      // bound (and the hook would wake this thread at every commit). A second round copies just those,
      // with no commit starting meanwhile: the next one restarts the WAL.
      std::lock_guard writers(mu_);
      rc = sqlite3_wal_checkpoint_v2(checkpoint_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      std::lock_guard again(checkpoint_mu_);  // what the commits during the first round asked for is done
      checkpoint_wanted_ = false;
    }
    if (rc == SQLITE_OK && log >= 0) ++checkpoints_;  // (log -1: the connection did not see a WAL)
    lock.lock();
  }
}

Store::~Store() {
  if (checkpointer_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpointer_.join();
  }
  if (writer_.joinable()) {
    {
      std::lock_guard lock(pending_mu_);
      stopping_ = true;
    }
    pending_cv_.notify_all();
    writer_.join();
  }
  try {
    flush();  // whatever was queued after the writer's last batch
  } catch (const StoreError& e) {
    std::fprintf(stderr, "hearth: %s\n", e.what());
  }
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  if (checkpoint_db_) sqlite3_close(checkpoint_db_);
  sqlite3_close(db_);  // the last connection: checkpoints the rest and removes the WAL
}

bool Store::has_column(const char* table, const char* column) {
  bool found = false;
  const std::string sql = std::string("PRAGMA table_info(") + table + ")";
  Statement s(db_, prepared(sql.c_str(), "read table schema"), "read table schema");
  while (s.step()) found = found || s.text(1) == column;
  return found;
}

void Store::migrate_cpu_limits() {
  if (!has_column("actions", "cpu_millicores"))
    exec("ALTER TABLE actions ADD COLUMN cpu_millicores INTEGER NOT NULL DEFAULT 0", "add cpu_millicores column");
}

void Store::migrate_libraries() {
  if (!has_column("actions", "libraries"))
    exec("ALTER TABLE actions ADD COLUMN libraries TEXT NOT NULL DEFAULT '[]'", "add libraries column");
}

void Store::migrate_activation_annotations() {
  if (!has_column("activations", "cause"))
    exec("ALTER TABLE activations ADD COLUMN cause TEXT NOT NULL DEFAULT ''", "add cause column");
  if (!has_column("activations", "annotations_json"))
    exec("ALTER TABLE activations ADD COLUMN annotations_json TEXT NOT NULL DEFAULT ''", "add annotations_json column");
}

void Store::migrate_revisions() {
  // A data directory from before revisions: its actions get fresh ones, above any the store handed out.
  if (!has_column("actions", "revision")) exec("ALTER TABLE actions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0", "add revision column");
  exec("BEGIN IMMEDIATE;"
       "UPDATE meta SET value = max(value, (SELECT coalesce(max(revision), 0) FROM actions)) WHERE key = 'revision';"
       "UPDATE actions SET revision = (SELECT value FROM meta WHERE key = 'revision') + rowid WHERE revision = 0;"
       "UPDATE meta SET value = max(value, (SELECT coalesce(max(revision), 0) FROM actions)) WHERE key = 'revision';"
       "COMMIT;",
       "assign revisions");
}

void Store::exec(const char* sql, const char* what) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError(std::string("store: ") + what + ": " + msg);
  }
}

sqlite3_stmt* Store::prepared(const char* sql, const char* what) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    throw StoreError(std::string("store: ") + what + ": " + sqlite3_errmsg(db_));
  statements_.emplace(sql, stmt);
  return stmt;
}

void Store::migrate_plaintext_keys() {
  // Before keys were hashed the table was (ns, uuid, key): move every row to the hashed form.
  if (!has_column("namespaces", "key")) return;
  exec("BEGIN IMMEDIATE", "begin key migration");
  try {
    std::vector<Credentials> old;
    {
      Statement q(db_, prepared("SELECT ns, uuid, key FROM namespaces", "read plaintext keys"), "read plaintext keys");
      while (q.step()) old.push_back({q.text(0), q.text(1), q.text(2)});
    }
    exec("ALTER TABLE namespaces RENAME TO namespaces_plaintext;"
         "CREATE TABLE namespaces (ns TEXT PRIMARY KEY, uuid TEXT UNIQUE NOT NULL, salt TEXT NOT NULL,"
         " key_hash TEXT NOT NULL);",
         "migrate keys");
    for (const Credentials& c : old) {
      const std::string salt = net::secrets::random_hex(16);
      Statement s(db_, prepared("INSERT INTO namespaces (ns, uuid, salt, key_hash) VALUES (?, ?, ?, ?)", "put namespace"),
                  "put namespace");
      s.bind(1, c.ns).bind(2, c.uuid).bind(3, salt).bind(4, net::secrets::salted_sha256_hex(salt, c.key)).step();
    }
    exec("DROP TABLE namespaces_plaintext", "drop plaintext keys");
    exec("COMMIT", "commit key migration");
    migrated_ = static_cast<int>(old.size());
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  // Statements prepared on the old table are stale; the plaintext may linger in free pages: wipe them.
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  exec("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);", "vacuum after key migration");
}

void Store::move_keys_to_their_file() {
  // Before the keys file the namespaces were a table of the main file (hashed by now:
  // migrate_plaintext_keys ran first). Copied, committed there, then dropped here: a crash in between
  // leaves both, and the next open copies again (rows already there are kept).
  bool present = false;
  {
    Statement q(db_, prepared("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'namespaces'",
                              "look for the old keys table"),
                "look for the old keys table");
    present = q.step() && q.integer(0) > 0;
  }
  if (!present) return;
  std::vector<HashedKey> rows;
  {
    Prepared raw(db_, "SELECT ns, uuid, salt, key_hash FROM namespaces", "read the old keys table");  // not cached: the table is dropped below
    Statement q(db_, raw.stmt, "read the old keys table");
    while (q.step()) rows.push_back({q.text(0), q.text(1), q.text(2), q.text(3)});
  }
  keys_->import(rows);
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);  // none may hold the table being dropped
  statements_.clear();
  exec("DROP TABLE namespaces", "drop the old keys table");
  keys_moved_ = static_cast<int>(rows.size());
}

void Store::put_namespace(const std::string& ns, const std::string& uuid, const std::string& key) { keys_->put(ns, uuid, key); }

Credentials Store::create_namespace(const std::string& ns) { return keys_->create(ns); }

Credentials Store::rotate_key(const std::string& ns) { return keys_->rotate(ns); }

std::optional<std::string> Store::authenticate(const std::string& uuid, const std::string& key) {
  return keys_->authenticate(uuid, key);
}

std::vector<std::string> Store::namespaces() { return keys_->namespaces(); }

bool Store::put_action(net::ActionRecord& a, bool overwrite) {
  std::lock_guard lock(mu_);
  {
    std::lock_guard cache(cache_mu_);
    action_cache_.clear();
  }
  exec("BEGIN IMMEDIATE", "begin put action");
  try {
    std::int64_t version = 0;
    {
      Statement q(db_, prepared("SELECT version FROM actions WHERE ns = ? AND name = ?", "read action version"),
                  "read action version");
      q.bind(1, a.ns).bind(2, a.name);
      if (q.step()) version = q.integer(0);
    }
    if (version > 0 && !overwrite) {
      exec("ROLLBACK", "rollback put action");
      return false;
    }
    a.version = version + 1;
    {
      Statement bump(db_, prepared("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value",
                                   "next revision"),
                     "next revision");
      if (!bump.step()) throw StoreError("store: next revision: the meta table has no revision counter");
      a.revision = bump.integer(0);
    }
    {
      Statement s(db_,
                  prepared("INSERT OR REPLACE INTO actions (ns, name, kind, code, entry, memory_mb, timeout_ms, version,"
                           " updated_us, revision, cpu_millicores, libraries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           "put action"),
                  "put action");
      s.bind(1, a.ns).bind(2, a.name).bind(3, a.kind).bind(4, a.code).bind(5, a.entry).bind(6, a.memory_mb);
      s.bind(7, a.timeout_ms).bind(8, a.version).bind(9, a.updated_us).bind(10, a.revision).bind(11, a.cpu_millicores);
      s.bind(12, nlohmann::json(a.libraries).dump()).step();
    }
    exec("COMMIT", "commit put action");
    return true;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::optional<net::ActionRecord> Store::get_action(const std::string& ns, const std::string& name) {
  static const std::string& sql =
      *new std::string(std::string("SELECT ") + kActionColumns + " FROM actions WHERE ns = ? AND name = ?");
  auto key = std::make_pair(ns, name);
  {
    std::lock_guard cache(cache_mu_);
    if (const auto it = action_cache_.find(key); it != action_cache_.end()) return it->second;
  }
  std::lock_guard lock(mu_);
  Statement s(db_, prepared(sql.c_str(), "get action"), "get action");
  s.bind(1, ns).bind(2, name);
  if (!s.step()) return std::nullopt;
  net::ActionRecord a = action_from(s);
  std::lock_guard cache(cache_mu_);
  if (action_cache_.size() >= 10'000) action_cache_.clear();  // bounded: a cache, not a copy of the table
  action_cache_.insert_or_assign(std::move(key), a);
  return a;
}

std::vector<net::ActionRecord> Store::list_actions(const std::string& ns, int limit, int skip) {
  static const std::string& sql = *new std::string(
      std::string("SELECT ") + kActionColumns + " FROM actions WHERE ns = ? ORDER BY name LIMIT ? OFFSET ?");
  std::lock_guard lock(mu_);
  Statement s(db_, prepared(sql.c_str(), "list actions"), "list actions");
  s.bind(1, ns).bind(2, std::int64_t{limit}).bind(3, std::int64_t{skip});
  std::vector<net::ActionRecord> out;
  while (s.step()) out.push_back(action_from(s));
  return out;
}

bool Store::delete_action(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  {
    std::lock_guard cache(cache_mu_);
    action_cache_.clear();
  }
  Statement s(db_, prepared("DELETE FROM actions WHERE ns = ? AND name = ?", "delete action"), "delete action");
  s.bind(1, ns).bind(2, name).step();
  return s.changes() > 0;
}

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Runs callbacks when it goes out of scope: declared before a lock, it runs them after the lock is released.
struct RunAfter {
  std::vector<std::function<void()>> callbacks;
  ~RunAfter() {
    for (auto& c : callbacks) c();
  }
};

}  // namespace

void Store::put_activation(const net::ActivationRecord& a) { put_activation(net::ActivationRecord(a)); }

void Store::put_activation(net::ActivationRecord&& a) { put_activation(std::move(a), nullptr); }

void Store::put_activation(net::ActivationRecord&& a, std::function<void()> written) {
  const bool urgent = written != nullptr;
  queue_activation(std::move(a), std::move(written), urgent);
}

void Store::put_activation_by_writer(net::ActivationRecord&& a, std::function<void()> written) {
  queue_activation(std::move(a), std::move(written), false);
}

void Store::queue_activation(net::ActivationRecord&& a, std::function<void()> written, bool urgent) {
  if (!options_.async_activations) {
    RunAfter after;
    std::lock_guard lock(mu_);
    {
      std::lock_guard pending(pending_mu_);
      pending_.push_back({std::move(a), std::move(written)});
    }
    after.callbacks = write_pending();
    return;
  }
  bool wake = false;
  {
    std::lock_guard lock(pending_mu_);
    if (pending_.size() + pending_accepts_.size() >= options_.max_pending) {
      ++records_dropped_;  // counted in /metrics; its journal row (if any) ends it at the next start
      std::fprintf(stderr, "hearth: activation record %s dropped: %zu records wait for the store\n", a.id.c_str(),
                   pending_.size());
    } else {
      // A record someone waits for is committed on this thread (below): the writer is not woken for it.
      wake = !urgent && !writer_wanted_;
      writer_wanted_ = writer_wanted_ || !urgent;
      urgent_ = urgent_ || urgent;
      pending_.push_back({std::move(a), std::move(written)});
      written = nullptr;
    }
  }
  if (written) {  // dropped
    written();
    return;
  }
  if (urgent) {  // someone waits: write now on this thread (with whatever else is queued: group commit)
    const auto commit = [this] {
      try {
        flush();
        return;
      } catch (...) {  // the writer retries it, with its back-off
      }
      {
        std::lock_guard lock(pending_mu_);
        writer_wanted_ = true;
      }
      pending_cv_.notify_one();
    };
    // Within a GroupCommit scope (a reader completing a run of results) once at the scope's end.
    if (!GroupCommit::defer(this, commit)) commit();
    return;
  }
  if (wake) pending_cv_.notify_one();  // the writer sleeps only while nothing is queued, or gathers
}

void Store::accept(AcceptedInvocation invocation, std::function<void(bool)> committed) {
  PendingAccept p{std::move(invocation), std::move(committed), steady_ms()};
  if (!options_.async_activations) {
    RunAfter after;
    std::lock_guard lock(mu_);
    {
      std::lock_guard pending(pending_mu_);
      pending_accepts_.push_back(std::move(p));
    }
    try {
      after.callbacks = write_pending();
    } catch (const StoreError&) {  // nobody retries here: refuse what waits (this one included)
      std::lock_guard pending(pending_mu_);
      for (PendingAccept& q : pending_accepts_) {
        ++accepts_refused_;
        if (q.committed) after.callbacks.push_back([f = std::move(q.committed)] { f(false); });
      }
      pending_accepts_.clear();
    }
    return;
  }
  bool refused = false, wake = false;
  {
    std::lock_guard lock(pending_mu_);
    refused = pending_.size() + pending_accepts_.size() >= options_.max_pending;
    if (!refused) {
      if (p.committed) {  // someone waits for it: the writer writes it after its gathering wait
        wake = !writer_wanted_;
        writer_wanted_ = true;
      } else {  // nobody waits (a blocking invoke's row): the writer's next look, unless it sleeps
        wake = writer_idle_;
        writer_idle_ = false;
      }
      pending_accepts_.push_back(std::move(p));
    }
  }
  if (refused) {
    ++accepts_refused_;
    if (p.committed) p.committed(false);
    return;
  }
  if (wake) pending_cv_.notify_one();
}

Store::Callbacks Store::write_pending() {
  static const std::string& record_sql = *new std::string(std::string("INSERT OR REPLACE INTO activations (") +
                                                          kActivationColumns +
                                                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  std::vector<PendingRecord> batch;
  std::vector<PendingAccept> accepts;
  {
    std::lock_guard lock(pending_mu_);
    batch.swap(pending_);
    urgent_ = false;
    accepts.swap(pending_accepts_);
    writing_ = batch.size() + accepts.size();
  }
  if (batch.empty() && accepts.empty()) return {};
  try {
    exec("BEGIN IMMEDIATE", "begin activation batch");
    try {
      sqlite3_stmt* journal = prepared("INSERT OR REPLACE INTO accepted (id, ns, action, arrival_us) VALUES (?, ?, ?, ?)",
                                       "journal invocation");
      // A journal row whose activation record is in this same batch would be inserted and deleted in
      // one transaction: neither is written (a blocking invoke's row, committed with its answer's record,
      // costs no pages at all).
      std::unordered_set<std::string_view> recorded, unwritten;  // unwritten: journal rows skipped so
      if (!accepts.empty())
        for (const PendingRecord& p : batch) recorded.insert(p.record.id);
      for (const PendingAccept& p : accepts) {
        if (recorded.count(p.invocation.id)) {
          unwritten.insert(p.invocation.id);
          continue;
        }
        Statement s(db_, journal, "journal invocation");
        s.bind(1, p.invocation.id).bind(2, p.invocation.ns).bind(3, p.invocation.action).bind(4, p.invocation.arrival_us);
        s.step();
      }
      sqlite3_stmt* record = prepared(record_sql.c_str(), "put activation");
      sqlite3_stmt* done = prepared("DELETE FROM accepted WHERE id = ?", "end journaled invocation");
      for (const PendingRecord& p : batch) {
        const net::ActivationRecord& a = p.record;
        {
          Statement s(db_, record, "put activation");
          s.bind(1, a.id).bind(2, a.ns).bind(3, a.action).bind(4, a.start_us).bind(5, a.end_us).bind(6, a.wait_us);
          s.bind(7, a.init_us).bind(8, a.run_us).bind(9, a.start_kind).bind(10, a.invoker).bind(11, a.container);
          s.bind(12, a.status).bind(13, a.result_json).bind(14, nlohmann::json(a.logs).dump());
          s.bind(15, a.cause).bind(16, a.annotations_json).step();
        }
        if (unwritten.count(a.id)) continue;  // its journal row was never written: nothing to delete
        Statement d(db_, done, "end journaled invocation");
        d.bind(1, a.id).step();
      }
      exec("COMMIT", "commit activation batch");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  } catch (const StoreError&) {
    ++write_failures_;
    std::lock_guard lock(pending_mu_);  // back in front, in order: nothing is dropped
    writing_ = 0;
    batch.insert(batch.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.swap(batch);
    accepts.insert(accepts.end(), std::make_move_iterator(pending_accepts_.begin()),
                   std::make_move_iterator(pending_accepts_.end()));
    pending_accepts_.swap(accepts);
    throw;
  }
  writing_ = 0;
  Callbacks out;
  for (PendingAccept& p : accepts)
    if (p.committed) out.push_back([f = std::move(p.committed)] { f(true); });
  for (PendingRecord& p : batch)
    if (p.written) out.push_back(std::move(p.written));
  return out;
}

Store::Callbacks Store::write_pending_for_read() {
  try {
    return write_pending();
  } catch (const StoreError&) {
    return {};  // the writer retries; the read shows what is on disk
  }
}

Store::Callbacks Store::refuse_stale_accepts() {
  const std::int64_t now = steady_ms();
  Callbacks out;
  std::lock_guard lock(pending_mu_);
  for (std::size_t i = 0; i < pending_accepts_.size();) {
    PendingAccept& p = pending_accepts_[i];
    if (now - p.queued_ms < options_.accept_timeout_ms) {
      ++i;
      continue;
    }
    ++accepts_refused_;
    if (p.committed) out.push_back([f = std::move(p.committed)] { f(false); });
    pending_accepts_.erase(pending_accepts_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return out;
}

std::size_t Store::end_unfinished(const std::string& why, std::int64_t now_us) {
  flush();
  std::vector<net::ActivationRecord> ended;
  {
    std::lock_guard lock(mu_);
    Statement s(db_,
                prepared("SELECT id, ns, action, arrival_us FROM accepted WHERE id NOT IN (SELECT id FROM activations)",
                         "read unfinished invocations"),
                "read unfinished invocations");
    while (s.step()) {
      net::ActivationRecord a;
      a.id = s.text(0);
      a.ns = s.text(1);
      a.action = s.text(2);
      a.start_us = s.integer(3);
      a.end_us = now_us;
      a.wait_us = std::max<std::int64_t>(0, now_us - a.start_us);
      a.status = "whisk internal error";
      a.result_json = nlohmann::json{{"error", why}}.dump();
      ended.push_back(std::move(a));
    }
  }
  const std::size_t n = ended.size();
  {
    std::lock_guard pending(pending_mu_);
    for (net::ActivationRecord& a : ended) pending_.push_back({std::move(a), nullptr});
  }
  flush();
  std::lock_guard lock(mu_);
  exec("DELETE FROM accepted WHERE id IN (SELECT id FROM activations)", "clear ended journal rows");
  return n;
}

std::string Store::prometheus_metrics() const {
  std::size_t pending;
  {
    std::lock_guard lock(pending_mu_);
    pending = pending_.size() + pending_accepts_.size() + writing_.load();
  }
  return "# TYPE hearth_store_write_failures_total counter\nhearth_store_write_failures_total " +
         std::to_string(write_failures_.load()) +
         "\n# TYPE hearth_store_pending gauge\nhearth_store_pending " + std::to_string(pending) +
         "\n# TYPE hearth_store_records_dropped_total counter\nhearth_store_records_dropped_total " +
         std::to_string(records_dropped_.load()) +
         "\n# TYPE hearth_store_accepts_refused_total counter\nhearth_store_accepts_refused_total " +
         std::to_string(accepts_refused_.load()) + "\n";
}

void Store::flush() {
  RunAfter after;
  std::lock_guard lock(mu_);
  after.callbacks = write_pending();
}

void Store::writer_loop() {
  std::unique_lock lock(pending_mu_);
  // After a failed batch: 10 ms, doubling to 250 ms, so writes resume soon after the disk is back.
  std::int64_t backoff_ms = 0;
  int quiet = 0;  // looks in a row that found nothing queued
  while (true) {
    // Woken for what someone waits for (writer_wanted_). Journal rows nobody waits for do not wake it:
    // it looks every lazy_journal_ms while they arrive — a blocking invoke's row is usually committed
    // with its record first, by the thread that answers, and then never written — and sleeps until
    // woken once a second passed without any.
    if (quiet * options_.lazy_journal_ms >= 1000) {
      writer_idle_ = true;
      pending_cv_.wait(lock, [this] { return stopping_ || writer_wanted_ || !writer_idle_; });
      writer_idle_ = false;
    } else {
      pending_cv_.wait_for(lock, std::chrono::milliseconds(options_.lazy_journal_ms),
                           [this] { return stopping_ || writer_wanted_; });
    }
    if (stopping_) return;  // the destructor flushes the rest
    const bool wanted = writer_wanted_;
    writer_wanted_ = false;
    if (pending_.empty() && pending_accepts_.empty()) {
      ++quiet;
      continue;
    }
    quiet = 0;
    // Gather a batch: under load many records arrive while the previous batch is being written anyway.
    // A record someone waits for (a blocking invoke's answer) is written at once, unless backing off.
    if (wanted || backoff_ms > 0)
      pending_cv_.wait_for(lock, std::chrono::milliseconds(std::max(options_.activation_flush_ms, backoff_ms)),
                           [this, backoff_ms] { return stopping_ || (urgent_ && backoff_ms == 0); });
    lock.unlock();
    try {
      flush();
      backoff_ms = 0;
    } catch (const StoreError& e) {
      if (backoff_ms == 0) std::fprintf(stderr, "hearth: activation records not written yet, retrying: %s\n", e.what());
      backoff_ms = std::min<std::int64_t>(250, std::max<std::int64_t>(10, 2 * backoff_ms));
      for (auto& refuse : refuse_stale_accepts()) refuse();
    }
    lock.lock();
  }
}

std::optional<net::ActivationRecord> Store::get_activation(const std::string& ns, const std::string& id) {
  static const std::string& sql = *new std::string(
      std::string("SELECT ") + kActivationColumns + " FROM activations WHERE ns = ? AND id = ?");
  RunAfter after;
  std::lock_guard lock(mu_);
  after.callbacks = write_pending_for_read();
  Statement s(db_, prepared(sql.c_str(), "get activation"), "get activation");
  s.bind(1, ns).bind(2, id);
  if (!s.step()) return std::nullopt;
  return activation_from(s);
}

std::int64_t Store::prune_activations(std::int64_t before_us) {
  // Namespace by namespace, each an indexed range of activations_by_ns (ns, start_us DESC): no index on
  // start_us alone is kept for this (it cost every committed record a page), and finding the next
  // namespace is one index seek. One transaction, as one DELETE was.
  std::lock_guard lock(mu_);
  write_pending();
  exec("BEGIN IMMEDIATE", "begin prune");
  std::int64_t removed = 0;
  try {
    sqlite3_stmt* first = prepared("SELECT ns FROM activations ORDER BY ns LIMIT 1", "prune: first namespace");
    sqlite3_stmt* next = prepared("SELECT ns FROM activations WHERE ns > ? ORDER BY ns LIMIT 1", "prune: next namespace");
    sqlite3_stmt* prune = prepared("DELETE FROM activations WHERE ns = ? AND start_us < ?", "prune activations");
    std::string ns;
    for (bool start = true;; start = false) {
      {
        Statement n(db_, start ? first : next, "prune: next namespace");
        if (!start) n.bind(1, ns);
        if (!n.step()) break;
        ns = n.text(0);
      }
      Statement d(db_, prune, "prune activations");
      d.bind(1, ns).bind(2, before_us);
      d.step();
      removed += d.changes();
    }
    exec("COMMIT", "commit prune");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return removed;
}

std::vector<net::ActivationRecord> Store::list_activations(const std::string& ns, const std::string& action, int limit,
                                                      int skip) {
  static const std::string& sql = *new std::string(
      std::string("SELECT ") + kActivationColumns +
      " FROM activations WHERE ns = ? AND (? = '' OR action = ?) ORDER BY start_us DESC, id LIMIT ? OFFSET ?");
  RunAfter after;
  std::lock_guard lock(mu_);
  after.callbacks = write_pending_for_read();
  Statement s(db_, prepared(sql.c_str(), "list activations"), "list activations");
  s.bind(1, ns).bind(2, action).bind(3, action).bind(4, std::int64_t{limit}).bind(5, std::int64_t{skip});
  std::vector<net::ActivationRecord> out;
  while (s.step()) out.push_back(activation_from(s));
  return out;
}

}  // namespace hearth::controller
