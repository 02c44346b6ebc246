// Store: the controller's durable state in SQLite (WAL mode, synchronous=NORMAL) under the data directory
// — namespaces with their API keys (only a salted SHA-256 of each key is stored: see authenticate()),
// actions (deployed functions) and activation records — so a restart
// keeps both. Calls are serialised by an internal mutex; prepared statements are cached per connection.
// Activation records are written asynchronously by default: put_activation() only queues the record
// (O(1), no I/O) and a writer thread inserts everything queued in one transaction per batch (it waits up
// to `activation_flush_ms` after the first queued record to gather a batch). Every read of activations
// first writes what is queued, so a record is visible to get/list as soon as put_activation() returns;
// flush() forces it to disk (the WAL) and the destructor flushes, so a clean shutdown loses nothing.
// Accepted invocations are journaled: accept() queues a journal row (id, namespace, action, arrival) on
// the same writer, and its callback runs once that row is committed, so the API answers 202 only for an
// invocation a crash cannot lose (WAL with synchronous=NORMAL survives a killed process; a power loss
// may take the last commits). An activation record deletes its journal row in the same transaction; on
// the next start, end_unfinished() turns the rows left (accepted, never recorded) into records that say
// so. A failed batch is never dropped: it goes back to the queue and is retried with back-off (10 ms
// doubling to 250 ms, so writes resume soon after a full disk has room again), counted
// in prometheus_metrics(); a journal row that cannot be written within `accept_timeout_ms` is refused
// (its callback gets false: the API answers 503 and runs nothing), and the queue is bounded
// (`max_pending` records: past it put_activation drops and counts). A journal row nobody waits for (a
// blocking invoke's) does not wake the writer: it is written within `lazy_journal_ms`, unless its record
// commits first (then never). WAL checkpoints run on a thread and connection of their own
// (StoreOptions::background_checkpoint_pages), never inside a commit; a short second round under the
// store's lock lets the next commit restart the WAL (restart_wal). Errors throw StoreError with the
// SQLite message and the statement's purpose. Actions are cached in memory (cleared by every action
// write), so an invoke's lookup costs no SQLite call. Namespaces and keys live in a file of their own
// (controller/key_store.h, `hearth.keys.db` next to `hearth.db`), whose own connection never waits
// behind activation writes; authenticate() keeps the rows it read until that file changes (inotify), so
// a key rotated by another process (`hearth auth rotate` on the data directory) stops working at the
// next request while an unchanged key costs no SQLite call. A database written before keys were hashed
// (a plaintext `key` column) is migrated when opened: each key is re-hashed (plaintext_keys_migrated());
// one from before the keys file has its namespaces moved there (keys_moved()).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "controller/key_store.h"
#include "controller/store_error.h"
#include "net/records.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hearth::controller {


// An invocation the API accepted, journaled before it is answered (Store::accept).
struct AcceptedInvocation {
  std::string id;  // the activation id
  std::string ns;
  std::string action;
  std::int64_t arrival_us = 0;  // wall-clock µs since the epoch
};


struct StoreOptions {
  bool async_activations = true;      // false: put_activation() and accept() write before returning
  std::int64_t activation_flush_ms = 2;  // how long the writer gathers a batch after the first record
  // A journal row nobody waits for (accept() without a callback: a blocking invoke's, usually committed
  // together with its record by the answering thread, which then skips it) does not wake the writer: it
  // is on disk within this many ms (the writer looks that often while such rows arrive).
  std::int64_t lazy_journal_ms = 10;
  std::int64_t accept_timeout_ms = 5'000;  // a journal row not written by then is refused
  std::size_t max_pending = 100'000;       // records and journal rows waiting for the writer
  int busy_timeout_ms = 5'000;             // how long a statement waits for another connection's lock
  // WAL checkpoints run on a checkpointer thread over a connection of their own once the WAL holds this
  // many pages (40 MB), instead of inside the commit that crosses SQLite's 1000-page default (which
  // fsyncs the database on the committing thread — under the warm path's load, every ~170 blocking
  // answers waited for it); few rounds, since each one's second round (restart_wal) holds commits for
  // its syncs. 0: SQLite's automatic checkpoint. A file store only.
  int background_checkpoint_pages = 10000;
  // After each background checkpoint, a second one copies the frames committed during the first while
  // no commit may start (the store's lock: a commit waits for that short copy and its syncs), so that
  // the next commit starts the WAL again from its beginning. false: the first alone — under steady
  // writes the WAL then never restarts and grows without bound (tests show it).
  bool restart_wal = true;
  // The activation connection writes each WAL frame (header and page) with one write instead of two
  // (controller/wal_frame_vfs.h): same files, same commits, half the `pwrite` calls per commit. false:
  // SQLite's default VFS (the tests' probe).
  bool one_write_per_wal_frame = true;
  // Tests only: run on the checkpointer thread just before and just after a background checkpoint's
  // first round, so that a test can make a commit land during that round deterministically
  // (restart_wal's probe).
  std::function<void()> before_first_checkpoint_round{};
  std::function<void()> after_first_checkpoint_round{};
};

class Store {
 public:
  // Opens (creating if needed) `path`; ":memory:" for tests.
  explicit Store(const std::string& path, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Namespaces and API keys (OpenWhisk's uuid:key basic-auth pair), kept in a file of their own
  // (controller/key_store.h: KeyStore::path_for(path), salted hashes only). Creates or replaces `ns` with
  // this pair (tests, benchmarks, migration).
  void put_namespace(const std::string& ns, const std::string& uuid, const std::string& key);
  // A new namespace with a random uuid and key (secrets::new_uuid/new_key); throws StoreError naming it
  // if it exists. The key is returned once and kept nowhere in plain text.
  Credentials create_namespace(const std::string& ns);
  // A new random key for `ns` (same uuid); the old key fails from the next authenticate(). Throws
  // StoreError if there is no such namespace.
  Credentials rotate_key(const std::string& ns);
  // The namespace the uuid/key pair authenticates, or nullopt: the namespace's row (from KeyStore's cache
  // while its file has not changed, else one indexed read), a SHA-256 and a constant-time compare of the
  // digests (CRYPTO_memcmp).
  std::optional<std::string> authenticate(const std::string& uuid, const std::string& key);
  std::vector<std::string> namespaces();
  // How many plaintext keys opening this database re-hashed (0 unless it predates hashed keys).
  int plaintext_keys_migrated() const { return migrated_; }
  // How many namespaces opening this database moved from its main file to the keys file (0 unless it
  // predates the keys file).
  int keys_moved() const { return keys_moved_; }
  KeyStore& keys() { return *keys_; }

  // Inserts, or replaces when `overwrite`; returns false (and changes nothing) if the action exists and
  // !overwrite. The stored version is 1 for a new action, previous + 1 on overwrite; the revision is the
  // store's next (ActionRecord::revision).
  bool put_action(net::ActionRecord& action, bool overwrite);
  std::optional<net::ActionRecord> get_action(const std::string& ns, const std::string& name);
  std::vector<net::ActionRecord> list_actions(const std::string& ns, int limit, int skip);
  bool delete_action(const std::string& ns, const std::string& name);

  // Queues (or, without async_activations, writes) the record; visible to reads at once. It ends the
  // journal row of its id, if any.
  void put_activation(const net::ActivationRecord& a);
  void put_activation(net::ActivationRecord&& a);
  // The same, and `written` is called once, without the store's locks held, when the record is committed
  // (a failed write keeps it queued and retried: it waits) — or at once if the queue is full and the
  // record is dropped. Such a record is written at once on the caller's thread, with whatever else is
  // queued (group commit; no gathering wait, no hop to the writer) — or, inside a GroupCommit scope on
  // that thread (controller/group_commit.h), at the scope's end with the others; if that fails, the
  // writer retries it.
  // A blocking invoke answers from it, so an answered record survives a kill.
  void put_activation(net::ActivationRecord&& a, std::function<void()> written);
  // The same, but committed by the writer thread with its next batch (gathered for up to
  // activation_flush_ms), never on this thread (without async_activations: at once, here, as
  // put_activation does): `written` is called once it is committed. For a
  // record whose answer does not wait for its commit (it is kept meanwhile: controller/answer_log.h).
  void put_activation_by_writer(net::ActivationRecord&& a, std::function<void()> written);
  // Journals an accepted invocation; `committed` (may be empty) is called once, without the store's
  // locks held, with true when the row is on disk, false when it could not be written (see above).
  void accept(AcceptedInvocation invocation, std::function<void(bool committed)> committed);
  // Records every journaled invocation without an activation record as ended with `why` (status
  // "whisk internal error"); returns how many. Called at start (a crash or kill left them) and at the end
  // of a clean stop (they outlived the drain).
  std::size_t end_unfinished(const std::string& why, std::int64_t now_us);
  // Prometheus text: hearth_store_write_failures_total, hearth_store_pending, hearth_store_records_dropped_total,
  // hearth_store_accepts_refused_total.
  std::string prometheus_metrics() const;
  // Writes every queued activation record now (one transaction).
  void flush();
  std::optional<net::ActivationRecord> get_activation(const std::string& ns, const std::string& id);
  // Deletes the activation records that started before `before_us` (wall-clock µs since the epoch), in
  // every namespace; returns how many (the retention of `hearth up --activation-retention`).
  std::int64_t prune_activations(std::int64_t before_us);
  // Newest first; `action` empty = all actions of the namespace.
  std::vector<net::ActivationRecord> list_activations(const std::string& ns, const std::string& action, int limit,
                                                 int skip);

 private:
  void exec(const char* sql, const char* what);
  // Adds the revision column to a store written before it and gives its actions fresh revisions.
  void migrate_revisions();
  // A data directory from before CPU limits: its actions have none (cpu_millicores 0).
  void migrate_cpu_limits();
  void migrate_libraries();
  void migrate_activation_annotations();  // adds activations.cause and .annotations_json ('' for older rows)  // adds actions.libraries (a JSON array of names), '[]' for older rows
  // Whether `table` has a column named `column` (schema migrations).
  bool has_column(const char* table, const char* column);
  void migrate_plaintext_keys();
  // A main file from before the keys file: its namespaces move there (then the table is dropped here).
  void move_keys_to_their_file();
  // put_activation's queueing: `urgent` commits on this thread (or at its GroupCommit scope's end).
  void queue_activation(net::ActivationRecord&& a, std::function<void()> written, bool urgent);
  // The cached prepared statement for `sql` (mu_ held).
  sqlite3_stmt* prepared(const char* sql, const char* what);
  struct PendingRecord {
    net::ActivationRecord record;
    std::function<void()> written;  // may be empty
  };
  struct PendingAccept {
    AcceptedInvocation invocation;
    std::function<void(bool)> committed;
    std::int64_t queued_ms = 0;  // steady clock
  };
  using Callbacks = std::vector<std::function<void()>>;
  // Writes queued journal rows and activations in one transaction (mu_ held); returns the accept
  // callbacks to run once mu_ is released. On failure puts the batch back in front and throws.
  Callbacks write_pending();
  // write_pending for a read: a failure leaves the batch queued for the writer instead of failing the read.
  Callbacks write_pending_for_read();
  // Refuses queued journal rows older than accept_timeout_ms (the writer keeps failing).
  Callbacks refuse_stale_accepts();
  void writer_loop();
  void start_checkpointer(const std::string& path);
  void checkpoint_loop();

  StoreOptions options_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;  // the connection and the statement cache
  std::map<std::string, sqlite3_stmt*> statements_;
  std::unique_ptr<KeyStore> keys_;
  int migrated_ = 0, keys_moved_ = 0;
  // The action cache has its own lock, so a hit never waits behind a batch of activation writes; they are
  // filled and cleared with mu_ held too (mu_ first), so a fill never races an update into staleness.
  std::mutex cache_mu_;
  std::map<std::pair<std::string, std::string>, net::ActionRecord> action_cache_;  // (ns, name) → action
  // Queued activation records (taken only with or without mu_, never mu_ after it: mu_ first).
  mutable std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::vector<PendingRecord> pending_;
  bool urgent_ = false;  // a queued record has a `written` callback: the writer does not gather
  bool writer_wanted_ = false;  // queued since the writer last looked: something it must write soon
  bool writer_idle_ = false;    // the writer sleeps until woken (nothing queued for a second)
  std::vector<PendingAccept> pending_accepts_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> write_failures_{0}, records_dropped_{0}, accepts_refused_{0};
  std::atomic<std::size_t> writing_{0};  // records and rows of the batch being written now
  std::thread writer_;
  // Background checkpoints (StoreOptions::background_checkpoint_pages).
  sqlite3* checkpoint_db_ = nullptr;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false, checkpoint_stopping_ = false;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::thread checkpointer_;

 public:
  // Checkpoints the checkpointer thread completed (tests).
  std::uint64_t background_checkpoints() const { return checkpoints_; }
};

}  // namespace hearth::controller
