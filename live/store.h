// Store: the controller's durable state in SQLite (WAL mode, synchronous=NORMAL) under the data directory
// — namespaces with their API keys (only a salted SHA-256 of each key is stored: see authenticate()),
// actions (deployed functions) and activation records — so a restart
// keeps both. Calls are serialised by an internal mutex; prepared statements are cached per connection.
// Activation records are written asynchronously by default: put_activation() only queues the record
// (O(1), no I/O) and a writer thread inserts everything queued in one transaction per batch (it waits up
// to `activation_flush_ms` after the first queued record to gather a batch). Every read of activations
// first writes what is queued, so a record is visible to get/list as soon as put_activation() returns;
// flush() forces it to disk (the WAL) and the destructor flushes, so a clean shutdown loses nothing (a
// crash may lose the last batch window). Errors throw StoreError with the SQLite message and the
// statement's purpose; a failed batch write is reported on stderr. Actions are cached in memory (cleared
// by every action write), so an invoke's lookup costs no SQLite call. Keys are never cached: every
// authenticate() reads the namespace's row (on a second, read-only connection to the same file, so it
// never waits behind activation writes), so a key rotated by another process (`hearth auth rotate` on the
// data directory) stops working at the next request. A database written before keys were hashed (a
// plaintext `key` column) is migrated when opened: each key is re-hashed (plaintext_keys_migrated()).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace hearth::live {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ActionRecord {
  std::string ns;
  std::string name;
  std::string kind;      // "python:3", "nodejs:20", "native"
  std::string code;      // source text (python, nodejs) or base64 of a shared object (native)
  std::string entry = "main";
  std::int64_t memory_mb = 256;
  std::int64_t timeout_ms = 60'000;
  std::int64_t version = 0;     // bumped on every update
  std::int64_t updated_us = 0;  // wall-clock µs since the epoch
};

struct ActivationRecord {
  std::string id;  // 32 hex characters, as OpenWhisk
  std::string ns;
  std::string action;
  std::int64_t start_us = 0, end_us = 0;  // wall-clock µs since the epoch
  std::int64_t wait_us = 0, init_us = 0, run_us = 0;
  std::string start_kind;  // cold | warm | prewarm
  std::string invoker;
  std::string container;
  std::string status;       // success | application error | developer error | whisk internal error
  std::string result_json;  // the function's result or {"error": ...}
  std::vector<std::string> logs;
};

// A namespace's API key: OpenWhisk's basic-auth pair uuid:key.
struct Credentials {
  std::string ns, uuid, key;
  std::string pair() const { return uuid + ":" + key; }
};

struct StoreOptions {
  bool async_activations = true;      // false: put_activation() writes before returning
  std::int64_t activation_flush_ms = 2;  // how long the writer gathers a batch after the first record
};

class Store {
 public:
  // Opens (creating if needed) `path`; ":memory:" for tests.
  explicit Store(const std::string& path, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Namespaces and API keys (OpenWhisk's uuid:key basic-auth pair). Keys are stored as hex
  // SHA-256(salt ‖ key) with a random 16-byte salt per key: the keys are 64 random characters (~381
  // bits), so a slow KDF would add nothing against guessing; the salt keeps equal keys from having
  // equal hashes. Creates or replaces `ns` with this pair (tests, benchmarks, migration).
  void put_namespace(const std::string& ns, const std::string& uuid, const std::string& key);
  // A new namespace with a random uuid and key (secrets::new_uuid/new_key); throws StoreError naming it
  // if it exists. The key is returned once and kept nowhere in plain text.
  Credentials create_namespace(const std::string& ns);
  // A new random key for `ns` (same uuid); the old key fails from the next authenticate(). Throws
  // StoreError if there is no such namespace.
  Credentials rotate_key(const std::string& ns);
  // The namespace the uuid/key pair authenticates, or nullopt: one indexed read by uuid, a SHA-256 and a
  // constant-time compare of the digests (CRYPTO_memcmp).
  std::optional<std::string> authenticate(const std::string& uuid, const std::string& key);
  std::vector<std::string> namespaces();
  // How many plaintext keys opening this database re-hashed (0 unless it predates hashed keys).
  int plaintext_keys_migrated() const { return migrated_; }

  // Inserts, or replaces when `overwrite`; returns false (and changes nothing) if the action exists and
  // !overwrite. The stored version is 1 for a new action, previous + 1 on overwrite.
  bool put_action(ActionRecord& action, bool overwrite);
  std::optional<ActionRecord> get_action(const std::string& ns, const std::string& name);
  std::vector<ActionRecord> list_actions(const std::string& ns, int limit, int skip);
  bool delete_action(const std::string& ns, const std::string& name);

  // Queues (or, without async_activations, writes) the record; visible to reads at once.
  void put_activation(const ActivationRecord& a);
  void put_activation(ActivationRecord&& a);
  // Writes every queued activation record now (one transaction).
  void flush();
  std::optional<ActivationRecord> get_activation(const std::string& ns, const std::string& id);
  // Deletes the activation records that started before `before_us` (wall-clock µs since the epoch), in
  // every namespace; returns how many (the retention of `hearth up --activation-retention`).
  std::int64_t prune_activations(std::int64_t before_us);
  // Newest first; `action` empty = all actions of the namespace.
  std::vector<ActivationRecord> list_activations(const std::string& ns, const std::string& action, int limit,
                                                 int skip);

 private:
  void exec(const char* sql, const char* what);
  void migrate_plaintext_keys();
  // The lock of the connection authenticate() reads on (mu_ when that is the main one: ":memory:").
  std::mutex& auth_mu() { return auth_db_ == db_ ? mu_ : auth_only_mu_; }
  // The cached prepared statement for `sql` (mu_ held).
  sqlite3_stmt* prepared(const char* sql, const char* what);
  // Writes queued activations (mu_ held).
  void write_pending();
  void writer_loop();

  StoreOptions options_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;  // the connection and the statement cache
  std::map<std::string, sqlite3_stmt*> statements_;
  sqlite3* auth_db_ = nullptr;  // read-only second connection (db_ itself for ":memory:")
  sqlite3_stmt* auth_stmt_ = nullptr;
  std::mutex auth_only_mu_;
  int migrated_ = 0;
  // The action cache has its own lock, so a hit never waits behind a batch of activation writes; they are
  // filled and cleared with mu_ held too (mu_ first), so a fill never races an update into staleness.
  std::mutex cache_mu_;
  std::map<std::pair<std::string, std::string>, ActionRecord> action_cache_;  // (ns, name) → action
  // Queued activation records (taken only with or without mu_, never mu_ after it: mu_ first).
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::vector<ActivationRecord> pending_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace hearth::live
