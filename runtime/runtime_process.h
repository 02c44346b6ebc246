// RuntimeProcess: one persistent language runtime (Python, Node.js or native) serving one function:
// started once, initialised once with the function's code (OpenWhisk's /init), then running many
// invocations (/run) over a pair of pipes with length-prefixed JSON frames (docs/runtimes.md).
// One invocation at a time per process (callers serialise). A run that exceeds its time limit kills the
// process; a crash (EOF on the channel) is reported; either way the process is then `broken()` and
// must be replaced. The destructor kills and reaps the process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"
#include "sandbox/sandbox_pool.h"

namespace hearth::runtime {

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
};

// How to start the runtime: a plain child process, or inside a sandbox (sandbox/) with these limits and
// these host paths visible read-only (the code directory; the runtime files are added automatically).
struct ProcessOptions {
  bool sandboxed = false;
  std::string name;  // unique per live runtime (the sandbox's cgroup name)
  sandbox::CgroupLimits limits;
  std::vector<std::string> read_only_paths;
  sandbox::SandboxPool* pool = nullptr;  // pre-attached shells (sandbox/sandbox_pool.h); must outlive the process
};

class RuntimeProcess {
 public:
  // Starts the runtime for `language` (the interpreter or native shim only: no code yet).
  // Throws std::runtime_error if it cannot be started.
  explicit RuntimeProcess(Language language, const ProcessOptions& options = {});
  ~RuntimeProcess();
  RuntimeProcess(const RuntimeProcess&) = delete;
  RuntimeProcess& operator=(const RuntimeProcess&) = delete;

  // Loads the code at `code_path` (a .py / .js file, or a shared object) with entry point `main`.
  RunResult init(const std::string& code_path, const std::string& main, std::int64_t timeout_ms);
  // Initialises with inline source (Python and Node.js only): how a generic stem-cell runtime, started
  // before any code was known, is specialised to a function.
  RunResult init_source(const std::string& source, const std::string& main, std::int64_t timeout_ms);
  RunResult run(const std::string& args_json, std::int64_t timeout_ms);

  bool broken() const { return broken_; }
  pid_t pid() const { return pid_; }

 private:
  RunResult exchange(const std::string& request, std::int64_t timeout_ms);
  void kill_and_reap();

  std::unique_ptr<sandbox::Sandbox> sandbox_;  // set when sandboxed: it owns the process
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  bool broken_ = false;
};

// Where the runtimes live (runtime/python/hearth_runtime.py, ...); HEARTH_RUNTIME_DIR overrides.
std::string runtime_dir();
// The native shim executable (HEARTH_NATIVE_RUNTIME overrides the built-in path).
std::string native_runtime_path();

}  // namespace hearth::runtime
