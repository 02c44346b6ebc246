// FunctionSnapshot: one Python function's initialised runtime checkpointed to files (runsc, gVisor) and
// restored as new containers on demand — the snapshot backend of FaaSnap (seed 001, Ch. 5; docs/faasnap.md).
//   create():  writes the bundle (dir/bundle), starts the runtime cold, initialises the function (its module
//              runs: libraries imported, globals built), checkpoints to dir/image and stops the container.
//   record():  FaaSnap's record phase — evicts the image files (and the given data files) from the page
//              cache, restores, runs one recording invocation while a PageRecorder scans the files with
//              mincore, and returns the working set (pages brought in, first-seen order).
//   restore(): a new container from the image, with the loading set fetched never (vanilla), entirely
//              before the restore starts (REAP-style) or by a thread concurrently with it (FaaSnap-style).
// The image is never modified after create(), so any number of restores may run from it, one after another
// or at once (distinct container ids). Everything lives in `dir`, which the caller owns and removes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "snapshot/loading_set.h"
#include "snapshot/page_loader.h"
#include "snapshot/page_recorder.h"
#include "snapshot/runsc_container.h"

namespace hearth::snapshot {

struct SnapshotFunction {
  std::string code_path;                    // absolute path of the function's .py file
  std::string main = "main";                // its entry point
  std::vector<std::string> read_only_paths;  // data the function reads (absolute host paths, shown read-only)
  std::vector<std::string> python_paths;     // put first on sys.path before the module runs (its libraries)
};

enum class Prefetch { kNone, kBefore, kConcurrent };
const char* prefetch_name(Prefetch p);  // "vanilla", "reap", "faasnap"

struct Restored {
  std::unique_ptr<PageLoader> loader;  // kConcurrent: still reading (destroy after the container is done)
  std::unique_ptr<RunscContainer> container;
  LoaderStats before;  // kBefore: what was read before the restore started
};

class FunctionSnapshot {
 public:
  // Throws std::runtime_error (with the runtime's error or runsc's output) if the function does not start,
  // does not initialise or cannot be checkpointed; std::invalid_argument for a relative code path.
  static FunctionSnapshot create(const RunscConfig& config, const SnapshotFunction& function, const std::string& dir,
                                 const CheckpointOptions& options = {});

  // The image's files (checkpoint.img and, with runsc's separate pages file, pages_meta.img and pages.img).
  std::vector<std::string> image_files() const;
  std::int64_t image_bytes() const;

  // The record phase; `run_request` is a runtime request ({"op":"run","args":{...}}) whose reply must be ok.
  WorkingSet record(const std::string& id, const std::string& run_request, const std::vector<std::string>& data_files,
                    std::chrono::microseconds scan_interval = std::chrono::microseconds(2000)) const;

  // A new container from the image. `set` is required for kBefore and kConcurrent. `config` (same runsc and
  // state root) replaces the one the snapshot was created with, e.g. for another cgroup or timeout.
  Restored restore(const std::string& id, Prefetch prefetch, const LoadingSet* set = nullptr,
                   const RestoreOptions& options = {}, const RunscConfig* config = nullptr) const;

  const std::string& bundle_dir() const { return bundle_dir_; }
  const std::string& image_dir() const { return image_dir_; }
  std::int64_t cold_start_us() const { return cold_start_us_; }  // run + init when created

 private:
  RunscConfig config_;
  std::string bundle_dir_;
  std::string image_dir_;
  std::int64_t cold_start_us_ = 0;
};

// Throws std::runtime_error with the runtime's error unless `reply` is {"ok": true, ...}.
void expect_ok(const std::string& reply, const std::string& what);

}  // namespace hearth::snapshot
