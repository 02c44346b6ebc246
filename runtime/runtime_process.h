// RuntimeProcess: one persistent language runtime (Python, Node.js or native) serving one function:
// started once, initialised once with the function's code (OpenWhisk's /init), then running many
// invocations (/run) over a pair of pipes with length-prefixed JSON frames (docs/runtimes.md).
// One invocation at a time per channel (callers serialise per channel). A run that exceeds its time limit
// kills the process; a crash (EOF on a channel) is reported; either way the process is then `broken()`
// and must be replaced. Whatever bytes the runtime (or the function, which can write to its channel)
// sends, the caller gets a RunResult, never an exception or an allocation beyond the frame cap
// (runtime/frame_codec.h): a malformed, truncated or oversized reply breaks the container. Writes to the
// runtime share the run's deadline, so a runtime that stops reading cannot block the caller.
// The destructor kills and reaps the process (and its workers).
// Workers (HyperFaaS's concurrency > 1 in one container): started with `max_workers` > 1, the process
// gets that many extra channels; add_workers(k) (after init) makes the runtime serve channels 1..k with
// the code already loaded (Python and native fork, Node.js serves them on its event loop), and runs on
// different workers proceed concurrently. Channel 0 then carries only control requests.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/frame_codec.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_pool.h"

namespace hearth::runtime {

class PythonZygote;

enum class Language { kPython, kNodejs, kNative };
// "python:3" → kPython, "nodejs:20" → kNodejs, "native" → kNative; throws std::invalid_argument otherwise.
Language language_of(const std::string& kind);

struct RunResult {
  bool ok = false;
  std::string result_json = "{}";  // the function's result object, or {"error": ...}
  std::string error;               // why it failed (exception text, "timeout", "runtime exited ...")
  std::vector<std::string> logs;
  std::int64_t duration_us = 0;
  bool timed_out = false;
  bool crashed = false;
  bool oom_killed = false;  // the sandbox's memory limit killed the runtime
  // A run's report of what freshen's wrappers did since the previous run (a JSON object, docs/freshen.md),
  // "" when nothing happened; dropped past kMaxFreshenReportBytes.
  std::string freshen_json;
};
inline constexpr std::size_t kMaxFreshenReportBytes = 4096;

inline constexpr std::size_t kDefaultMaxResultBytes = 1 << 20;
inline constexpr std::size_t kLogAllowanceBytes = 1 << 20;  // logs (64 KB, JSON-escaped) + the envelope
// Reads one runtime reply frame (a JSON object's text) into `r`: ok, the result or the error, logs, the freshen
// report; a result over `max_result_bytes` fails with OpenWhisk's message, the container being fine. False with
// `why` when the text is no JSON object or cannot be read (the runtime is then broken).
bool parse_run_reply(std::string_view reply, std::size_t max_result_bytes, RunResult* r, std::string* why);
// OpenWhisk's message for a result over the limit (Messages.truncatedResponse).
std::string response_too_long(std::uint64_t length, std::uint64_t max_length);

// How to start the runtime: a plain child process, or inside a sandbox (sandbox/) with these limits and
// these host paths visible read-only (the code directory; the runtime files are added automatically).
struct ProcessOptions {
  bool sandboxed = false;
  std::string name;  // unique per live runtime (the sandbox's cgroup name)
  sandbox::CgroupLimits limits;
  std::vector<std::string> read_only_paths;
  sandbox::SandboxPool* pool = nullptr;  // pre-attached shells (sandbox/sandbox_pool.h); must outlive the process
  int max_workers = 1;                    // > 1: worker channels for add_workers() (at most kMaxWorkers)
  // Sandboxed Python only, one worker: the sandbox is a fork of this zygote (runtime/python_zygote.h)
  // instead of a new interpreter. It shows the runtime and the zygote's library paths, not
  // `read_only_paths`: load the code inline (init_source).
  std::shared_ptr<PythonZygote> zygote;
  // Sandboxed, not from a zygote: the container network to join (sandbox::SandboxSpec::netns, net_cgroup;
  // net/container_network.h). Empty: a network namespace with only loopback.
  std::string netns;
  std::string net_cgroup;
  // A run whose result (compact JSON) is longer ends with OpenWhisk's "The action produced a response
  // that exceeded the allowed length: N > M bytes." (OpenWhisk's whisk.activation.payload.max, 1 MB).
  // A reply frame longer than this plus kLogAllowanceBytes is not read at all: a protocol error of the
  // container, which is killed (docs/runtimes.md).
  std::size_t max_result_bytes = kDefaultMaxResultBytes;
  // A run's wait for the runtime's reply polls its pipe without blocking for up to this long (µs, at most
  // twice the recent replies' typical wait: net::AdaptiveSpin) before it sleeps; 0: it sleeps at once.
  std::int64_t reply_spin_us = 0;
};

inline constexpr int kMaxWorkers = 16;

class RuntimeProcess {
 public:
  // Starts the runtime for `language` (the interpreter or native shim only: no code yet).
  // Throws std::runtime_error if it cannot be started.
  explicit RuntimeProcess(Language language, const ProcessOptions& options = {});
  ~RuntimeProcess();
  RuntimeProcess(const RuntimeProcess&) = delete;
  RuntimeProcess& operator=(const RuntimeProcess&) = delete;

  // Loads the code at `code_path` (a .py / .js file, or a shared object) with entry point `main`.
  // `python_paths` (Python only) go first on sys.path before the code loads: the dist-packages
  // directories of the libraries the action declared (invoker/library_cache.h).
  RunResult init(const std::string& code_path, const std::string& main, std::int64_t timeout_ms,
                 const std::vector<std::string>& python_paths = {});
  // Initialises with inline source (Python and Node.js only): how a generic stem-cell runtime, started
  // before any code was known, is specialised to a function.
  RunResult init_source(const std::string& source, const std::string& main, std::int64_t timeout_ms,
                        const std::vector<std::string>& python_paths = {});
  // Runs on `worker` (0: the process itself, before any add_workers; 1..workers() after). With `watch`,
  // the wait for the reply also watches its descriptor (net::ReadWatch: its callback runs once, on this
  // thread, if that descriptor becomes readable before the reply arrives).
  RunResult run(const std::string& args_json, std::int64_t timeout_ms, int worker = 0, net::ReadWatch* watch = nullptr);
  // A run in two steps, for a caller that waits for several runtimes at once (invoker/run_multiplexer.h),
  // on channel 0 (no workers): start_run writes run()'s request and returns nullopt, or the result when
  // the run ended at once (not running; a runtime that did not read its last request — its pipe still
  // full — is killed rather than waited for). Then, each time reply_fd() polls readable (or hung up),
  // poll_reply() reads once without blocking: the result once the reply is whole or the runtime failed —
  // every check of run() applies: size limits, malformed or extra bytes, death —, nullopt while it is not.
  // At run_deadline() the caller ends it with expire_run(): a timeout, the process killed, as run().
  std::optional<RunResult> start_run(const std::string& args_json, std::int64_t timeout_ms);
  int reply_fd() const;
  net::FrameClock::time_point run_deadline() const;
  std::optional<RunResult> poll_reply();
  RunResult expire_run();
  // Starts the function's freshen hook (Python and Node.js; docs/freshen.md) with `hook_timeout_ms` to
  // run, on channel 0, answered at once (within `timeout_ms`): ok if it started, else `error` says why
  // (no hook defined, the previous one still running, before init). The hook runs while runs proceed.
  RunResult freshen(std::int64_t hook_timeout_ms, std::int64_t timeout_ms);
  // Makes `count` workers serve (1 ≤ count ≤ max_workers; never fewer than already serve). Not
  // concurrent with init on channel 0; concurrent with runs on workers.
  RunResult add_workers(int count, std::int64_t timeout_ms);
  // Loads another function's inline source into worker `worker` (1..workers(); Python and Node.js):
  // HyperFaaS's container sharing, a worker of this container specialised to a second function. That
  // worker then runs the new code; the others keep theirs.
  RunResult init_worker(int worker, const std::string& source, const std::string& main, std::int64_t timeout_ms);
  int workers() const { return workers_.load(); }
  int max_workers() const { return static_cast<int>(channels_.size()) - 1 > 0 ? static_cast<int>(channels_.size()) - 1 : 1; }
  // Changes the container's CPU quota (its cgroup) while it runs; false when it has no cgroup (not
  // sandboxed, or sandboxed in the user-namespace mode).
  bool set_cpu_quota(std::int64_t millicores);
  // The cgroup's CPU quota now (millicores), or -1 when it has no cgroup.
  std::int64_t cpu_quota_millicores();
  // What the container's cgroup has used so far (sandbox/cgroup.h); nullopt when it has no cgroup or
  // the cgroup cannot be read.
  std::optional<sandbox::CgroupUsage> usage() const;

  bool broken() const { return broken_.load(); }
  pid_t pid() const { return pid_; }

 private:
  struct Channel {
    int to_child = -1;    // the runtime's fd 3 + 2i (O_NONBLOCK here: writes have the run's deadline)
    int from_child = -1;  // the runtime's fd 4 + 2i
    net::FrameReader reader;   // capped at max_result_bytes + kLogAllowanceBytes
    net::AdaptiveSpin spin;    // ProcessOptions::reply_spin_us
    // The exchange in progress: when it started, its time limit, and when that passes.
    net::FrameClock::time_point start{}, deadline{};
    std::int64_t timeout_ms = 0;
  };
  RunResult exchange(const std::string& request, std::int64_t timeout_ms, int channel = 0, net::ReadWatch* watch = nullptr);
  // exchange()'s halves: writes `request` (by `write_deadline` at the latest) and starts the channel's
  // clock — nullopt, or the result when the exchange already ended —; then checks the reply read.
  std::optional<RunResult> send_request(const std::string& request, std::int64_t timeout_ms, int channel,
                                        net::FrameClock::time_point write_deadline);
  RunResult take_reply(net::FrameStatus got, std::string_view reply, int channel);
  // Ends an exchange as a crash or timeout of the container: it is killed and never reused.
  RunResult fail_exchange(net::FrameClock::time_point start, std::int64_t timeout_ms, bool timed_out, std::string why);
  static std::string run_request(const std::string& args_json);  // run()'s request for these arguments
  // Kills the process (and its workers) once and reaps it; returns whether the OOM killer had killed it.
  bool kill_and_reap();

  std::unique_ptr<sandbox::Sandbox> sandbox_;  // set when sandboxed: it owns the process
  pid_t pid_ = -1;
  std::vector<Channel> channels_;
  std::atomic<int> workers_{0};
  std::atomic<bool> broken_{false};
  std::mutex kill_mu_;  // two failing runs on different workers may both kill
  bool oom_killed_ = false;
  std::size_t max_result_bytes_ = kDefaultMaxResultBytes;
};

// Where the runtimes live (runtime/python/hearth_runtime.py, ...); HEARTH_RUNTIME_DIR overrides.
std::string runtime_dir();
// The native shim executable (HEARTH_NATIVE_RUNTIME overrides the built-in path).
std::string native_runtime_path();

}  // namespace hearth::runtime
