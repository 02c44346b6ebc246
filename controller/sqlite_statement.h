// Statement: a cached SQLite prepared statement bound positionally, reset (bindings cleared) on scope
// exit; a failing call throws StoreError with the SQLite message and the statement's purpose. Prepared:
// a statement prepared for a single use. Shared by the store's files (controller/store.cc,
// controller/key_store.cc).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "controller/store_error.h"

namespace hearth::controller {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, const char* what) : db_(db), what_(what), stmt_(stmt) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, const std::string& s) {
    check(sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  int changes() const { return sqlite3_changes(db_); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail();
  }
  [[noreturn]] void fail() const { throw StoreError(std::string("store: ") + what_ + ": " + sqlite3_errmsg(db_)); }
  sqlite3* db_;
  const char* what_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A statement prepared for one use and finalized with this object (not in any cache: for rare statements,
// or one that must not outlive a table about to be dropped). Throws StoreError naming `what`.
struct Prepared {
  Prepared(sqlite3* db, const char* sql, const char* what) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK)
      throw StoreError(std::string("store: ") + what + ": " + sqlite3_errmsg(db));
  }
  ~Prepared() { sqlite3_finalize(stmt); }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  sqlite3_stmt* stmt = nullptr;
};

}  // namespace hearth::controller
