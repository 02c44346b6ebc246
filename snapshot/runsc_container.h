// RunscContainer: one gVisor (runsc) container running Hearth's Python runtime, started fresh (`run`) or
// restored from a checkpoint (`restore`), spoken to over its stdio with the runtime's frames
// (runtime/python/hearth_snapshot_entry.py, docs/runtimes.md), and checkpointed to an image directory.
// Every container lives under the caller's runsc state root and has no network (--network=none, only the
// sandbox's own loopback). runsc runs as a child of this process; its stderr (runsc's errors and whatever
// the function prints) is drained by a thread into a bounded tail (kStderrTailBytes) used in errors.
// Every wait is bounded by RunscConfig::timeout; a reply that does not come in time, EOF or a malformed
// frame throws std::runtime_error naming the container and the tail of its stderr, and leaves the container
// broken (destroy it). The destructor kills the container (`runsc kill` + `runsc delete --force`), kills and
// reaps the runsc child and joins the drain thread: nothing outlives the object.
// Not thread-safe: one caller at a time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/frame_codec.h"

namespace hearth::snapshot {

inline constexpr std::size_t kStderrTailBytes = 16 * 1024;
inline constexpr std::size_t kMaxReplyBytes = 2 << 20;

struct RunscConfig {
  std::string runsc = "runsc";  // the binary (find_runsc())
  std::string state_root;       // runsc --root: a directory the caller owns (created if missing)
  std::chrono::milliseconds timeout{30000};
  // cgroup.procs files (sandbox::Cgroup::procs_files) the `runsc run`/`restore` process joins between fork
  // and exec: runsc runs with --ignore-cgroups, so the sandbox and gofer it starts stay in that group and
  // the group's memory, CPU and PID limits bound the whole container. Empty: no group of ours.
  std::vector<std::string> cgroup_procs;
};

// The runsc binary: $HEARTH_RUNSC if set, else the first `runsc` on PATH; nullopt when there is none.
std::optional<std::string> find_runsc();

struct CheckpointOptions {
  bool compress = false;            // runsc's flate-best-speed; off: the pages file is raw pages (read faster)
  bool exclude_zero_pages = false;  // --exclude-committed-zero-pages: zero pages are not written nor read back
};

struct RestoreOptions {
  bool direct = false;  // --direct: read the pages file with O_DIRECT (bypasses, and so ignores, the page cache)
};

class RunscContainer {
 public:
  // `runsc run` of the bundle (snapshot/runsc_bundle.h) as container `id`.
  static std::unique_ptr<RunscContainer> run(const RunscConfig& config, const std::string& bundle_dir,
                                             const std::string& id);
  // `runsc restore` of the checkpoint in `image_dir`, with the bundle it was taken from, as container `id`.
  static std::unique_ptr<RunscContainer> restore(const RunscConfig& config, const std::string& bundle_dir,
                                                 const std::string& image_dir, const std::string& id,
                                                 const RestoreOptions& options = {});
  ~RunscContainer();
  RunscContainer(const RunscContainer&) = delete;
  RunscContainer& operator=(const RunscContainer&) = delete;

  // Sends one request frame (a JSON object's text) and returns the reply frame's text.
  std::string call(const std::string& request_json);
  std::string call(const std::string& request_json, std::chrono::milliseconds timeout);  // another bound

  // Checkpoints to `image_dir` (created; must not hold an image yet). The container stops: this object is
  // then finished (call() throws) and only waits for its destruction.
  void checkpoint(const std::string& image_dir, const CheckpointOptions& options = {});

  const std::string& id() const { return id_; }
  pid_t runsc_pid() const { return pid_; }
  std::string stderr_tail() const;

 private:
  RunscContainer(const RunscConfig& config, std::string id);
  void spawn(const std::vector<std::string>& args);
  [[noreturn]] void fail(const std::string& what);
  void drain_stderr();

  RunscConfig config_;
  std::string id_;
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  int err_from_child_ = -1;
  bool finished_ = false;
  net::FrameReader reader_{kMaxReplyBytes};
  std::atomic<bool> stop_drain_{false};
  std::thread drain_;
  mutable std::mutex tail_mu_;
  std::string tail_;
};

// Runs `runsc --root <state_root> <args...>` to completion within config.timeout; returns its exit status
// and output (stdout+stderr, bounded). Kills it at the deadline (status -1).
struct RunscResult {
  int status = -1;
  std::string output;
};
RunscResult run_runsc(const RunscConfig& config, const std::vector<std::string>& args);

}  // namespace hearth::snapshot
