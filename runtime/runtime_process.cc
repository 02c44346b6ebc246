#include "runtime/runtime_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace hearth::runtime {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::int64_t since_us(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Waits until `fd` is readable or `deadline` passes; false on timeout (sets *timed_out) or error.
bool wait_readable(int fd, Clock::time_point deadline, bool* timed_out) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      *timed_out = true;
      return false;
    }
    pollfd pfd{fd, POLLIN, 0};
    const int rc = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left + 1, 1 << 30)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return false;
    if (rc > 0) return true;
  }
}

// Reads one frame (4-byte little-endian length + body) into *body before `deadline`, taking as much as
// the pipe holds per read() so that a small reply costs one poll and one read; false on EOF, error,
// timeout (sets *timed_out) or bytes beyond the frame (a runtime answers one request with one frame).
bool read_frame(int fd, std::string* body, Clock::time_point deadline, bool* timed_out) {
  char buf[16384];
  std::size_t have = 0;
  while (have < 4) {
    if (!wait_readable(fd, deadline, timed_out)) return false;
    const ssize_t r = ::read(fd, buf + have, sizeof buf - have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    have += static_cast<std::size_t>(r);
  }
  std::uint32_t size = 0;
  std::memcpy(&size, buf, 4);
  if (have - 4 > size) return false;
  body->resize(size);
  std::memcpy(body->data(), buf + 4, have - 4);
  std::size_t got = have - 4;
  while (got < size) {
    if (!wait_readable(fd, deadline, timed_out)) return false;
    const ssize_t r = ::read(fd, body->data() + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

Language language_of(const std::string& kind) {
  if (kind.starts_with("python")) return Language::kPython;
  if (kind.starts_with("nodejs")) return Language::kNodejs;
  if (kind == "native") return Language::kNative;
  throw std::invalid_argument("unsupported kind '" + kind + "' (python:3, nodejs:20, native)");
}

std::string runtime_dir() {
  if (const char* dir = std::getenv("HEARTH_RUNTIME_DIR")) return dir;
  return HEARTH_RUNTIME_DIR;
}

std::string native_runtime_path() {
  if (const char* p = std::getenv("HEARTH_NATIVE_RUNTIME")) return p;
  return HEARTH_NATIVE_RUNTIME;
}

RuntimeProcess::RuntimeProcess(Language language, const ProcessOptions& options) {
  if (options.max_workers < 1 || options.max_workers > kMaxWorkers)
    throw std::invalid_argument("max_workers must be in [1, " + std::to_string(kMaxWorkers) + "]");
  // Channel c: down (parent → child, the child's fd 3 + 2c) and up (child → parent, its fd 4 + 2c).
  const int channels = options.max_workers > 1 ? options.max_workers + 1 : 1;
  std::vector<int> down_r, down_w, up_r, up_w;
  auto close_all = [&] {
    for (auto* v : {&down_r, &down_w, &up_r, &up_w})
      for (int fd : *v) close(fd);
  };
  for (int c = 0; c < channels; ++c) {
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) != 0) {
      close_all();
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    if (pipe2(up, O_CLOEXEC) != 0) {
      close(down[0]);
      close(down[1]);
      close_all();
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    down_r.push_back(down[0]), down_w.push_back(down[1]), up_r.push_back(up[0]), up_w.push_back(up[1]);
  }
  auto keep_parent_ends = [&] {
    for (int c = 0; c < channels; ++c) {
      close(down_r[c]);
      close(up_w[c]);
      channels_.push_back({down_w[c], up_r[c]});
    }
  };
  std::vector<std::string> argv;
  switch (language) {
    case Language::kPython: argv = {"/usr/bin/python3", "-u", "-S", "-E", runtime_dir() + "/python/hearth_runtime.py"}; break;
    case Language::kNodejs: argv = {"/usr/bin/node", runtime_dir() + "/node/hearth_runtime.js"}; break;
    case Language::kNative: argv = {native_runtime_path()}; break;
  }
  signal(SIGPIPE, SIG_IGN);  // a dead runtime must surface as an error, not kill the platform
  if (options.sandboxed) {
    sandbox::SandboxSpec spec;
    spec.name = options.name;
    spec.argv = argv;
    spec.limits = options.limits;
    spec.limits.pids_max = std::max<std::int64_t>(spec.limits.pids_max, 64 + options.max_workers);
    spec.read_only_paths = options.read_only_paths;
    spec.read_only_paths.push_back(runtime_dir());
    if (language == Language::kNative) spec.read_only_paths.push_back(native_runtime_path());
    for (int c = 0; c < channels; ++c) {
      spec.fds.push_back({down_r[c], 3 + 2 * c});
      spec.fds.push_back({up_w[c], 4 + 2 * c});
    }
    try {
      sandbox_ = std::make_unique<sandbox::Sandbox>(spec, options.pool);
    } catch (...) {
      close_all();
      throw;
    }
    keep_parent_ends();
    pid_ = sandbox_->pid();
    return;
  }
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close_all();
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: its own process group (so that killing the group also kills forked workers), dies with the
    // thread that started it (a killed invoker leaves no runtime running; the platform starts runtimes
    // from threads that live as long as its pools). Then the channels on fds 3, 4, 5, …, stdin from
    // /dev/null. Move every end above the targets first, so that no dup2 clobbers another end or is a
    // no-op that leaves FD_CLOEXEC set.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::vector<int> moved;
    for (int c = 0; c < channels; ++c) {
      moved.push_back(fcntl(down_r[c], F_DUPFD, 64));
      moved.push_back(fcntl(up_w[c], F_DUPFD, 64));
    }
    for (std::size_t i = 0; i < moved.size(); ++i)
      if (moved[i] < 0 || dup2(moved[i], 3 + static_cast<int>(i)) < 0) _exit(127);
    for (int fd : moved) close(fd);  // no stray copy of a channel end: a runtime or worker that dies is EOF
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (devnull > 0) close(devnull);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  keep_parent_ends();
  pid_ = pid;
}

RuntimeProcess::~RuntimeProcess() {
  kill_and_reap();
  for (const Channel& c : channels_) {
    close(c.to_child);
    close(c.from_child);
  }
}

bool RuntimeProcess::kill_and_reap() {
  std::lock_guard lock(kill_mu_);
  if (pid_ <= 0) return oom_killed_;
  if (sandbox_) {
    sandbox_->kill();  // the whole cgroup: the runtime and its workers
    oom_killed_ = sandbox_->wait().oom_killed;
  } else {
    ::kill(-pid_, SIGKILL);  // the process group: the runtime and its forked workers
    ::kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  return oom_killed_;
}

bool RuntimeProcess::set_cpu_quota(std::int64_t millicores) {
  if (!sandbox_ || !sandbox_->cgroup() || broken_) return false;
  sandbox_->cgroup()->set_cpu_quota(millicores);
  return true;
}

std::int64_t RuntimeProcess::cpu_quota_millicores() {
  return sandbox_ && sandbox_->cgroup() ? sandbox_->cgroup()->cpu_quota_millicores() : -1;
}

RunResult RuntimeProcess::add_workers(int count, std::int64_t timeout_ms) {
  RunResult r;
  if (count < 1 || count > max_workers() || max_workers() == 1) {
    r.error = "add_workers(" + std::to_string(count) + "): this runtime has " + std::to_string(max_workers()) +
              " worker channel(s)" + (max_workers() == 1 ? " (started with max_workers 1)" : "");
    r.result_json = json{{"error", r.error}}.dump();
    return r;
  }
  if (count <= workers_.load()) {
    r.ok = true;
    return r;
  }
  r = exchange(json{{"op", "workers"}, {"count", count}}.dump(), timeout_ms);
  if (r.ok) workers_.store(std::max(workers_.load(), count));
  return r;
}

RunResult RuntimeProcess::init(const std::string& code_path, const std::string& main, std::int64_t timeout_ms) {
  return exchange(json{{"op", "init"}, {"path", code_path}, {"main", main}}.dump(), timeout_ms);
}

RunResult RuntimeProcess::init_source(const std::string& source, const std::string& main, std::int64_t timeout_ms) {
  return exchange(json{{"op", "init"}, {"code", source}, {"main", main}}.dump(), timeout_ms);
}

RunResult RuntimeProcess::init_worker(int worker, const std::string& source, const std::string& main,
                                      std::int64_t timeout_ms) {
  if (worker < 1 || worker > workers_.load()) {
    RunResult r;
    r.error = "no worker " + std::to_string(worker) + " (" + std::to_string(workers_.load()) + " started)";
    r.result_json = json{{"error", r.error}}.dump();
    return r;
  }
  return exchange(json{{"op", "init"}, {"code", source}, {"main", main}}.dump(), timeout_ms, worker);
}

RunResult RuntimeProcess::run(const std::string& args_json, std::int64_t timeout_ms, int worker) {
  // The arguments go into the request verbatim when they are a JSON object (checked without building a
  // DOM); anything else becomes {}.
  const bool object = args_json.find_first_not_of(" \t\r\n") != std::string::npos &&
                      args_json[args_json.find_first_not_of(" \t\r\n")] == '{' && json::accept(args_json);
  const int workers = workers_.load();
  if (worker < 0 || worker > workers || (worker == 0 && workers > 0)) {
    RunResult r;
    r.error = worker == 0 ? "worker 0 takes only control requests once workers serve (" + std::to_string(workers) +
                                " started): run on 1.." + std::to_string(workers)
                          : "no worker " + std::to_string(worker) + " (" + std::to_string(workers) + " started)";
    r.result_json = json{{"error", r.error}}.dump();
    return r;
  }
  return exchange(std::string(R"({"op":"run","args":)") + (object ? args_json : std::string("{}")) + "}", timeout_ms,
                  worker);
}

RunResult RuntimeProcess::exchange(const std::string& request, std::int64_t timeout_ms, int channel) {
  RunResult r;
  const auto start = Clock::now();
  if (broken_) {
    r.error = "runtime is not running";
    r.crashed = true;
    r.result_json = json{{"error", r.error}}.dump();
    return r;
  }
  const std::uint32_t n = static_cast<std::uint32_t>(request.size());
  std::string frame;
  frame.reserve(4 + request.size());
  frame.append(reinterpret_cast<const char*>(&n), 4).append(request);
  const auto deadline = start + std::chrono::milliseconds(timeout_ms);
  std::string reply;
  bool timed_out = false;
  const Channel& ch = channels_[static_cast<std::size_t>(channel)];
  const bool ok = write_all(ch.to_child, frame.data(), frame.size()) && read_frame(ch.from_child, &reply, deadline, &timed_out);
  r.duration_us = since_us(start);
  if (!ok) {
    broken_ = true;
    r.timed_out = timed_out;
    r.crashed = !timed_out;
    r.oom_killed = kill_and_reap();
    r.error = timed_out      ? "The action exceeded its time limit of " + std::to_string(timeout_ms) + " ms."
              : r.oom_killed ? "The action exceeded its memory limit and was killed."
                             : "The action did not produce a valid response and exited unexpectedly.";
    r.result_json = json{{"error", r.error}}.dump();
    return r;
  }
  const json j = json::parse(reply, nullptr, false);
  if (!j.is_object()) {
    broken_ = true;
    r.crashed = true;
    r.error = "the runtime sent a malformed response";
    r.result_json = json{{"error", r.error}}.dump();
    return r;
  }
  r.ok = j.value("ok", false);
  if (j.contains("logs") && j["logs"].is_array())
    for (const auto& line : j["logs"]) r.logs.push_back(line.is_string() ? line.get<std::string>() : line.dump());
  if (r.ok) {
    r.result_json = j.contains("result") ? j["result"].dump() : "{}";
  } else {
    r.error = j.value("error", "unknown error");
    r.result_json = json{{"error", r.error}}.dump();
  }
  return r;
}

}  // namespace hearth::runtime
