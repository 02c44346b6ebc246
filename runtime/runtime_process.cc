#include "runtime/runtime_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

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
  int down[2], up[2];  // down: parent → child (child's fd 3); up: child → parent (child's fd 4)
  if (pipe2(down, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(up, O_CLOEXEC) != 0) {
    close(down[0]);
    close(down[1]);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
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
    spec.read_only_paths = options.read_only_paths;
    spec.read_only_paths.push_back(runtime_dir());
    if (language == Language::kNative) spec.read_only_paths.push_back(native_runtime_path());
    spec.fds = {{down[0], 3}, {up[1], 4}};
    try {
      sandbox_ = std::make_unique<sandbox::Sandbox>(spec, options.pool);
    } catch (...) {
      for (int fd : {down[0], down[1], up[0], up[1]}) close(fd);
      throw;
    }
    close(down[0]);
    close(up[1]);
    pid_ = sandbox_->pid();
    to_child_ = down[1];
    from_child_ = up[0];
    return;
  }
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: dies with the thread that started it (a killed invoker leaves no runtime running; the
    // platform starts runtimes from threads that live as long as its pools). Then the channel on fds 3 and 4, stdin from /dev/null. Move both ends above 4 first, so that
    // neither dup2 clobbers the other or is a no-op that leaves FD_CLOEXEC set.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int in = fcntl(down[0], F_DUPFD, 10), out = fcntl(up[1], F_DUPFD, 10);
    if (in < 0 || out < 0 || dup2(in, 3) < 0 || dup2(out, 4) < 0) _exit(127);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(down[0]);
  close(up[1]);
  pid_ = pid;
  to_child_ = down[1];
  from_child_ = up[0];
}

RuntimeProcess::~RuntimeProcess() {
  kill_and_reap();
  if (to_child_ >= 0) close(to_child_);
  if (from_child_ >= 0) close(from_child_);
}

void RuntimeProcess::kill_and_reap() {
  if (sandbox_) {
    sandbox_->kill();
    sandbox_->wait();
    pid_ = -1;
    return;
  }
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

RunResult RuntimeProcess::init(const std::string& code_path, const std::string& main, std::int64_t timeout_ms) {
  return exchange(json{{"op", "init"}, {"path", code_path}, {"main", main}}.dump(), timeout_ms);
}

RunResult RuntimeProcess::init_source(const std::string& source, const std::string& main, std::int64_t timeout_ms) {
  return exchange(json{{"op", "init"}, {"code", source}, {"main", main}}.dump(), timeout_ms);
}

RunResult RuntimeProcess::run(const std::string& args_json, std::int64_t timeout_ms) {
  // The arguments go into the request verbatim when they are a JSON object (checked without building a
  // DOM); anything else becomes {}.
  const bool object = args_json.find_first_not_of(" \t\r\n") != std::string::npos &&
                      args_json[args_json.find_first_not_of(" \t\r\n")] == '{' && json::accept(args_json);
  return exchange(std::string(R"({"op":"run","args":)") + (object ? args_json : std::string("{}")) + "}", timeout_ms);
}

RunResult RuntimeProcess::exchange(const std::string& request, std::int64_t timeout_ms) {
  RunResult r;
  const auto start = Clock::now();
  if (broken_ || pid_ <= 0) {
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
  const bool ok = write_all(to_child_, frame.data(), frame.size()) && read_frame(from_child_, &reply, deadline, &timed_out);
  r.duration_us = since_us(start);
  if (!ok) {
    broken_ = true;
    r.timed_out = timed_out;
    r.crashed = !timed_out;
    kill_and_reap();
    r.oom_killed = sandbox_ && sandbox_->wait().oom_killed;
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
