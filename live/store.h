// Store: the controller's durable state in SQLite (WAL mode) under the data directory — namespaces with
// their API keys, actions (deployed functions) and activation records — so a restart keeps both.
// One Store per process; calls are serialised by an internal mutex (SQLite in serialized mode would do
// the same); each write is one transaction. Errors throw StoreError with the SQLite message and the
// statement's purpose. Cost: one prepared statement per call, O(log n) index lookups.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

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

class Store {
 public:
  // Opens (creating if needed) `path`; ":memory:" for tests.
  explicit Store(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Namespaces and API keys (OpenWhisk's uuid:key basic-auth pair).
  void put_namespace(const std::string& ns, const std::string& uuid, const std::string& key);
  // The namespace the uuid/key pair authenticates, or nullopt.
  std::optional<std::string> authenticate(const std::string& uuid, const std::string& key);
  std::vector<std::string> namespaces();

  // Inserts, or replaces when `overwrite`; returns false (and changes nothing) if the action exists and
  // !overwrite. The stored version is 1 for a new action, previous + 1 on overwrite.
  bool put_action(ActionRecord& action, bool overwrite);
  std::optional<ActionRecord> get_action(const std::string& ns, const std::string& name);
  std::vector<ActionRecord> list_actions(const std::string& ns, int limit, int skip);
  bool delete_action(const std::string& ns, const std::string& name);

  void put_activation(const ActivationRecord& a);
  std::optional<ActivationRecord> get_activation(const std::string& ns, const std::string& id);
  // Newest first; `action` empty = all actions of the namespace.
  std::vector<ActivationRecord> list_activations(const std::string& ns, const std::string& action, int limit,
                                                 int skip);

 private:
  void exec(const char* sql, const char* what);
  sqlite3* db_ = nullptr;
  std::mutex mu_;
  std::map<std::string, std::string> auth_cache_;  // "uuid\nkey" → namespace; cleared by put_namespace
};

}  // namespace hearth::live
