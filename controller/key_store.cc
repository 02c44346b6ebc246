#include "controller/key_store.h"

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "controller/sqlite_statement.h"
#include "net/secrets.h"

namespace hearth::controller {

namespace {
constexpr const char* kMemory = ":memory:";
}  // namespace

std::string KeyStore::path_for(const std::string& store_path) {
  if (store_path == kMemory) return store_path;
  const std::string ext = ".db";
  if (store_path.size() > ext.size() && store_path.compare(store_path.size() - ext.size(), ext.size(), ext) == 0)
    return store_path.substr(0, store_path.size() - ext.size()) + ".keys.db";
  return store_path + ".keys";
}

KeyStore::KeyStore(const std::string& path, int busy_timeout_ms) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StoreError("store: cannot open the keys file " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  try {
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
         "CREATE TABLE IF NOT EXISTS namespaces (ns TEXT PRIMARY KEY, uuid TEXT UNIQUE NOT NULL, salt TEXT NOT NULL,"
         " key_hash TEXT NOT NULL);",
         "create the keys schema");
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
  // Watched from now on: whatever is read after this line is dropped at the next change.
  if (path != kMemory) watch_ = std::make_unique<FileChangeWatch>(std::vector<std::string>{path, path + "-wal"});
}

KeyStore::~KeyStore() {
  sqlite3_close_v2(db_);
}

void KeyStore::exec(const char* sql, const char* what) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError(std::string("store: ") + what + " (" + path_ + "): " + msg);
  }
}

// Statements here run rarely except authenticate's (on a cache miss); each is prepared per call
// (Prepared: no cache to keep in step).

void KeyStore::wrote() {
  cache_.clear();
  // The commit is visible now; a change event after it (an attribute change of the file) reaches every
  // watch, also one that drained the write's own event before the commit could be read.
  if (path_ != kMemory) utimensat(AT_FDCWD, path_.c_str(), nullptr, 0);
}

void KeyStore::put(const std::string& ns, const std::string& uuid, const std::string& key) {
  const std::string salt = net::secrets::random_hex(16);
  std::lock_guard lock(mu_);
  Prepared p(db_, "INSERT OR REPLACE INTO namespaces (ns, uuid, salt, key_hash) VALUES (?, ?, ?, ?)", "put namespace");
  Statement(db_, p.stmt, "put namespace").bind(1, ns).bind(2, uuid).bind(3, salt).bind(4, net::secrets::salted_sha256_hex(salt, key)).step();
  wrote();
}

Credentials KeyStore::create(const std::string& ns) {
  Credentials c{ns, net::secrets::new_uuid(), net::secrets::new_key()};
  const std::string salt = net::secrets::random_hex(16);
  std::lock_guard lock(mu_);
  Prepared p(db_, "INSERT OR IGNORE INTO namespaces (ns, uuid, salt, key_hash) VALUES (?, ?, ?, ?)", "create namespace");
  Statement s(db_, p.stmt, "create namespace");
  s.bind(1, ns).bind(2, c.uuid).bind(3, salt).bind(4, net::secrets::salted_sha256_hex(salt, c.key)).step();
  if (s.changes() == 0) throw StoreError("store: namespace '" + ns + "' already exists");
  wrote();
  return c;
}

Credentials KeyStore::rotate(const std::string& ns) {
  Credentials c{ns, "", net::secrets::new_key()};
  const std::string salt = net::secrets::random_hex(16);
  std::lock_guard lock(mu_);
  {
    Prepared p(db_, "UPDATE namespaces SET salt = ?, key_hash = ? WHERE ns = ?", "rotate key");
    Statement s(db_, p.stmt, "rotate key");
    s.bind(1, salt).bind(2, net::secrets::salted_sha256_hex(salt, c.key)).bind(3, ns).step();
    if (s.changes() == 0) throw StoreError("store: no namespace '" + ns + "'");
  }
  wrote();
  Prepared p(db_, "SELECT uuid FROM namespaces WHERE ns = ?", "read namespace uuid");
  Statement q(db_, p.stmt, "read namespace uuid");
  q.bind(1, ns);
  if (q.step()) c.uuid = q.text(0);
  return c;
}

std::optional<std::string> KeyStore::authenticate(const std::string& uuid, const std::string& key) {
  static const auto kUnknown = std::make_shared<const HashedKey>();
  std::shared_ptr<const HashedKey> row = kUnknown;  // shared with the cache: no string copied under the lock
  {
    std::lock_guard lock(mu_);
    // Drains the watch on every call; any change (or no working watch) drops what was read before it.
    if (watch_ && watch_->changed()) cache_.clear();
    const auto it = cache_.find(uuid);
    if (it != cache_.end()) {
      row = it->second;
      ++hits_;
    } else {
      Prepared p(db_, "SELECT ns, salt, key_hash FROM namespaces WHERE uuid = ?", "authenticate");
      Statement s(db_, p.stmt, "authenticate");
      s.bind(1, uuid);
      if (s.step()) {
        row = std::make_shared<const HashedKey>(HashedKey{s.text(0), uuid, s.text(1), s.text(2)});
        if (!watch_ || watch_->ok()) cache_.emplace(uuid, row);
      }
    }
  }
  // An unknown uuid costs the same hash, so timing does not tell which uuids exist.
  const std::string digest = net::secrets::salted_sha256_hex(row->salt, key);
  if (row->key_hash.empty() || !net::secrets::equal_constant_time(digest, row->key_hash)) return std::nullopt;
  return row->ns;
}

std::vector<std::string> KeyStore::namespaces() {
  std::lock_guard lock(mu_);
  Prepared p(db_, "SELECT ns FROM namespaces ORDER BY ns", "list namespaces");
  Statement s(db_, p.stmt, "list namespaces");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void KeyStore::import(const std::vector<HashedKey>& rows) {
  std::lock_guard lock(mu_);
  exec("BEGIN IMMEDIATE", "begin moving keys");
  try {
    Prepared p(db_, "INSERT OR IGNORE INTO namespaces (ns, uuid, salt, key_hash) VALUES (?, ?, ?, ?)", "move keys");
    for (const HashedKey& r : rows)
      Statement(db_, p.stmt, "move keys").bind(1, r.ns).bind(2, r.uuid).bind(3, r.salt).bind(4, r.key_hash).step();
    exec("COMMIT", "commit moved keys");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  wrote();
}

std::uint64_t KeyStore::cache_hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

}  // namespace hearth::controller
