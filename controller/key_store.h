// KeyStore: the namespaces and their API keys (OpenWhisk's uuid:key basic-auth pairs), in an SQLite file
// of their own (WAL), so that a change to it means a key changed: activation commits never touch it.
// Keys are stored as hex SHA-256(salt ‖ key) with a random 16-byte salt per key: the keys are 64 random
// characters (~381 bits), so a slow KDF would add nothing against guessing; the salt keeps equal keys
// from having equal hashes. A key is never kept in plain text, on disk or here.
// authenticate() keeps the rows it read (uuid → namespace, salt, hash) in a cache that is dropped whole
// whenever the file or its log may have changed (FileChangeWatch: inotify, one non-blocking read per
// call), by this process or another (`hearth auth rotate` on the data directory): a rotated key fails at
// the next request. A writer here touches the file after its commit, so a reader that saw the write's
// event before the commit was visible still sees one after it; a writer that is not a KeyStore (the
// sqlite3 shell) is seen by its own write, a window of microseconds before its commit is visible. Without
// inotify every call reads the file. Each call still hashes the presented key (an unknown uuid too, so
// timing does not tell which uuids exist) and compares in constant time. Thread-safe (one mutex; the hash
// runs outside it). ":memory:" keeps the keys in memory (tests), cached until this object writes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/file_change_watch.h"

struct sqlite3;

namespace hearth::controller {

// A namespace's API key: OpenWhisk's basic-auth pair uuid:key.
struct Credentials {
  std::string ns, uuid, key;
  std::string pair() const { return uuid + ":" + key; }
};

// A namespace's row as stored: the key only as its salted hash.
struct HashedKey {
  std::string ns, uuid, salt, key_hash;
};

class KeyStore {
 public:
  // Opens (creating) the keys file; throws StoreError naming it.
  KeyStore(const std::string& path, int busy_timeout_ms);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // Where the keys of the store at `store_path` live: "x.db" → "x.keys.db", any other name + ".keys";
  // ":memory:" stays.
  static std::string path_for(const std::string& store_path);

  void put(const std::string& ns, const std::string& uuid, const std::string& key);
  // A new namespace with a random uuid and key; throws StoreError if it exists. The key is returned once.
  Credentials create(const std::string& ns);
  // A new random key for `ns` (same uuid); throws StoreError naming it if there is no such namespace.
  Credentials rotate(const std::string& ns);
  std::optional<std::string> authenticate(const std::string& uuid, const std::string& key);
  std::vector<std::string> namespaces();
  // Rows moved from an older store (whose main file held them): inserted unless their namespace or uuid
  // is here already, in one transaction.
  void import(const std::vector<HashedKey>& rows);

  bool cached() const { return watch_ && watch_->ok(); }  // false: every authenticate() reads the file
  std::uint64_t cache_hits() const;

 private:
  void exec(const char* sql, const char* what);
  // After a write: forget the cache, and let other processes' watches see a change after the commit.
  void wrote();

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<FileChangeWatch> watch_;  // null for ":memory:" (no other writer)
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const HashedKey>> cache_;  // uuid → row, only rows that exist
  std::uint64_t hits_ = 0;
};

}  // namespace hearth::controller
