// SnapshotStore: an invoker's function snapshots (FaaSnap on gVisor's runsc, snapshot/, docs/faasnap.md),
// `hearth up --snapshots vanilla|reap|faasnap`. After a Python function's first cold start here and its
// first invocation, a background thread starts the function in a runsc container of its own, initialises
// it, checkpoints it (FunctionSnapshot::create) and — for reap and faasnap — restores it once from a cold
// page cache with that first invocation's parameters as the recording invocation, keeping the loading set
// (the pages it touched, FaaSnap's record phase). Later cold starts of that action revision restore from
// it (invoker/snapshot_container.h). Under snapshot-and-release the factory calls on_first_run when the
// keep-alive policy releases an idle container instead (with its last run's parameters), and restores only
// where the policy says so (invoker/local_dispatcher.h).
// - Eligible: Python actions; those declaring libraries only with a library cache (set_library_cache):
//   the snapshot's bundle binds their cache directories read-only at the same paths and its runtime gets
//   their dist-packages first on sys.path, and the image holds a lease on them (pinned in the cache)
//   until the snapshot is gone. Debian's python3-* packages under /usr are visible to all.
// - Keyed by namespace/name; an entry belongs to one code revision: a lookup with another revision drops
//   it (and a new first run snapshots the new code).
// - Bounded by `budget_mb` of image files: past it the least recently used snapshots are removed (one
//   larger than the whole budget is not kept). A snapshot's directory goes when the last container
//   restored from it is gone.
// - Everything lives in <parent>/hearth-snapshots-<pid>/ (images, bundles, a copy of the code, runsc's
//   state root), removed by the destructor; the constructor sweeps the directories of dead invokers
//   (runsc containers deleted first) — "orphans". Each runsc container runs in a cgroup of its own
//   (sandbox::Cgroup, named hearth-<pid>-snap-*, swept with the other orphaned groups).
// A failure to snapshot a revision is logged and not retried; its cold starts stay plain.
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "invoker/library_cache.h"
#include "net/records.h"
#include "snapshot/function_snapshot.h"

namespace hearth::invoker {

enum class SnapshotMode { kOff, kVanilla, kReap, kFaasnap };
std::optional<SnapshotMode> parse_snapshot_mode(std::string_view text);  // off | vanilla | reap | faasnap
const char* snapshot_mode_name(SnapshotMode mode);

// Memory a runsc sandbox needs on top of the function's own (gVisor's Sentry and gofer): a restored or
// snapshotted container's cgroup allows the action's memory plus this (docs/faasnap.md, "Limits").
inline constexpr std::int64_t kRunscOverheadMb = 64;
inline constexpr std::int64_t kRunscPidsMax = 512;  // the Sentry's and gofer's Go threads count as PIDs

// One snapshot, immutable once published; its directory is removed with the last reference.
struct FunctionImage {
  FunctionImage(snapshot::FunctionSnapshot s, std::string d) : snapshot(std::move(s)), dir(std::move(d)) {}
  ~FunctionImage();
  FunctionImage(const FunctionImage&) = delete;
  FunctionImage& operator=(const FunctionImage&) = delete;
  snapshot::FunctionSnapshot snapshot;
  std::optional<snapshot::LoadingSet> loading_set;  // reap, faasnap
  std::unique_ptr<LibraryCache::Lease> libraries;   // its declared libraries, pinned while it exists
  std::string dir;
  std::int64_t revision = 0;
  std::int64_t bytes = 0;
  std::int64_t create_us = 0, record_us = 0;  // time to snapshot, and to record the loading set
};

class SnapshotStore {
 public:
  // Throws std::invalid_argument for kOff, std::runtime_error when runsc is missing (find_runsc) or the
  // directory cannot be made.
  SnapshotStore(const std::string& parent_dir, SnapshotMode mode, std::int64_t budget_mb);
  ~SnapshotStore();  // stops the worker (a snapshot in progress is abandoned) and removes the directory
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  bool eligible(const net::ActionRecord& action) const;
  // Where actions declaring libraries find them (must outlive the store); without one they are not eligible.
  void set_library_cache(LibraryCache* cache) { libraries_ = cache; }
  SnapshotMode mode() const { return mode_; }
  const snapshot::RunscConfig& runsc() const { return runsc_; }
  const std::string& dir() const { return dir_; }
  std::string next_container_id();  // a runsc container id unique in this store

  // An eligible action's container ran its first invocation with `params_json` (a JSON object's text):
  // queues a snapshot of its revision unless one exists, is queued, or failed.
  void on_first_run(const net::ActionRecord& action, const std::string& params_json);
  // The snapshot of exactly this revision (counts as a use), or null.
  std::shared_ptr<const FunctionImage> find(const net::ActionRecord& action);
  // Waits until this revision's snapshot is ready or failed, or `timeout_ms` passed; returns whether ready.
  bool wait_ready(const net::ActionRecord& action, std::int64_t timeout_ms);
  std::int64_t bytes() const;
  std::size_t count() const;

  // Removes <parent>/hearth-snapshots-<pid> directories whose pid is not a live process (deleting their
  // runsc containers first). Returns how many were removed.
  static std::size_t remove_orphans(const std::string& parent_dir);

 private:
  struct Entry {
    enum class State { kQueued, kCreating, kReady, kFailed } state = State::kQueued;
    std::int64_t revision = 0;
    net::ActionRecord action;
    std::string params_json;
    std::shared_ptr<const FunctionImage> image;
    std::uint64_t last_use = 0;
  };
  void run();
  std::shared_ptr<FunctionImage> create(const net::ActionRecord& action, const std::string& params_json);
  void evict_over_budget(const std::string& keep);  // with mu_ held

  SnapshotMode mode_;
  std::atomic<LibraryCache*> libraries_{nullptr};
  std::int64_t budget_bytes_;
  std::string dir_;
  snapshot::RunscConfig runsc_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Entry> entries_;  // by ns/name
  std::deque<std::string> queue_;
  std::int64_t bytes_ = 0;
  std::uint64_t clock_ = 0;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace hearth::invoker
