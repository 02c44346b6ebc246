#include "runtime/runtime_process.h"

#include "net/frame_codec.h"
#include "runtime/python_zygote.h"

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
  max_result_bytes_ = options.max_result_bytes;
  auto keep_parent_ends = [&] {
    for (int c = 0; c < channels; ++c) {
      close(down_r[c]);
      close(up_w[c]);
      // Only this end is non-blocking (the runtime's read end is its own file description).
      fcntl(down_w[c], F_SETFL, fcntl(down_w[c], F_GETFL) | O_NONBLOCK);
      channels_.push_back({down_w[c], up_r[c], net::FrameReader(options.max_result_bytes + kLogAllowanceBytes),
                           net::AdaptiveSpin(options.reply_spin_us)});
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
    spec.netns = options.netns;
    spec.net_cgroup = options.net_cgroup;
    if (options.zygote) {
      if (!options.netns.empty()) {
        close_all();
        throw std::invalid_argument("a zygote's fork cannot join a container network (its namespaces belong to the zygote's user namespace)");
      }
      if (language != Language::kPython || channels != 1) {
        close_all();
        throw std::invalid_argument("a zygote forks Python runtimes with one worker only");
      }
    }
    try {
      sandbox_ = options.zygote ? options.zygote->start_sandbox(spec) : std::make_unique<sandbox::Sandbox>(spec, options.pool);
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

std::optional<sandbox::CgroupUsage> RuntimeProcess::usage() const {
  if (!sandbox_ || !sandbox_->cgroup()) return std::nullopt;
  try {
    return sandbox_->cgroup()->usage();
  } catch (const std::exception&) {  // a file that vanished or changed shape under us: no reading
    return std::nullopt;
  }
}

RunResult RuntimeProcess::freshen(std::int64_t hook_timeout_ms, std::int64_t timeout_ms) {
  return exchange(json{{"op", "freshen"}, {"timeout_ms", hook_timeout_ms}}.dump(), timeout_ms);
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

RunResult RuntimeProcess::init(const std::string& code_path, const std::string& main, std::int64_t timeout_ms,
                               const std::vector<std::string>& python_paths) {
  json request = {{"op", "init"}, {"path", code_path}, {"main", main}};
  if (!python_paths.empty()) request["paths"] = python_paths;
  return exchange(request.dump(), timeout_ms);
}

RunResult RuntimeProcess::init_source(const std::string& source, const std::string& main, std::int64_t timeout_ms,
                                      const std::vector<std::string>& python_paths) {
  json request{{"op", "init"}, {"code", source}, {"main", main}};
  if (!python_paths.empty()) request["paths"] = python_paths;
  return exchange(request.dump(), timeout_ms);
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

RunResult RuntimeProcess::run(const std::string& args_json, std::int64_t timeout_ms, int worker, net::ReadWatch* watch) {
  const int workers = workers_.load();
  if (worker < 0 || worker > workers || (worker == 0 && workers > 0)) {
    RunResult r;
    r.error = worker == 0 ? "worker 0 takes only control requests once workers serve (" + std::to_string(workers) +
                                " started): run on 1.." + std::to_string(workers)
                          : "no worker " + std::to_string(worker) + " (" + std::to_string(workers) + " started)";
    r.result_json = json{{"error", r.error}}.dump();
    return r;
  }
  return exchange(run_request(args_json), timeout_ms, worker, watch);
}

std::string RuntimeProcess::run_request(const std::string& args_json) {
  // The arguments go into the request verbatim when they are a JSON object (checked without building a
  // DOM); anything else becomes {}.
  const std::size_t first = args_json.find_first_not_of(" \t\r\n");
  const bool object = first != std::string::npos && args_json[first] == '{' && json::accept(args_json);
  return std::string(R"({"op":"run","args":)") + (object ? args_json : std::string("{}")) + "}";
}

bool parse_run_reply(std::string_view reply, std::size_t max_result_bytes, RunResult* r, std::string* why) {
  try {
    const json j = json::parse(reply, nullptr, false);
    if (!j.is_object()) {
      *why = "the runtime sent a malformed response";
      return false;
    }
    const auto ok = j.find("ok");
    r->ok = ok != j.end() && ok->is_boolean() && ok->get<bool>();
    if (const auto logs = j.find("logs"); logs != j.end() && logs->is_array())
      for (const auto& line : *logs) r->logs.push_back(line.is_string() ? line.get<std::string>() : line.dump());
    if (const auto f = j.find("freshen"); f != j.end() && f->is_object()) {  // what freshen's wrappers did
      r->freshen_json = f->dump(-1, ' ', false, json::error_handler_t::replace);
      if (r->freshen_json.size() > kMaxFreshenReportBytes) r->freshen_json.clear();
    }
    if (const auto started = j.find("started"); r->ok && started != j.end() && started->is_boolean() && !started->get<bool>()) {
      const auto reason = j.find("reason");  // a freshen that did not start
      r->ok = false;
      r->error = reason != j.end() && reason->is_string() ? reason->get<std::string>() : "not started";
      r->result_json = json{{"error", r->error}}.dump();
    } else if (r->ok) {
      const auto result = j.find("result");
      r->result_json = result != j.end() ? result->dump() : "{}";
      if (r->result_json.size() > max_result_bytes) {  // OpenWhisk's limit; the container itself is fine
        r->ok = false;
        r->error = response_too_long(r->result_json.size(), max_result_bytes);
        r->result_json = json{{"error", r->error}}.dump();
      }
    } else {
      const auto error = j.find("error");
      r->error = error == j.end() ? "unknown error" : error->is_string() ? error->get<std::string>() : error->dump();
      r->result_json = json{{"error", r->error}}.dump();
    }
  } catch (const std::exception& e) {  // e.g. a reply too deep to parse, or no memory for it
    *why = std::string("the runtime sent a response that cannot be read: ") + e.what();
    return false;
  }
  return true;
}

std::string response_too_long(std::uint64_t length, std::uint64_t max_length) {
  return "The action produced a response that exceeded the allowed length: " + std::to_string(length) + " > " +
         std::to_string(max_length) + " bytes.";
}

RunResult RuntimeProcess::fail_exchange(Clock::time_point start, std::int64_t timeout_ms, bool timed_out, std::string why) {
  RunResult r;
  broken_ = true;
  r.ok = false;
  r.timed_out = timed_out;
  r.crashed = !timed_out;
  r.oom_killed = kill_and_reap();
  r.error = timed_out      ? "The action exceeded its time limit of " + std::to_string(timeout_ms) + " ms."
            : r.oom_killed ? "The action exceeded its memory limit and was killed."
                           : std::move(why);
  r.result_json = json{{"error", r.error}}.dump(-1, ' ', false, json::error_handler_t::replace);
  r.duration_us = since_us(start);
  return r;
}

namespace {
constexpr const char* kAbnormal = "The action did not produce a valid response and exited unexpectedly.";
}  // namespace

std::optional<RunResult> RuntimeProcess::send_request(const std::string& request, std::int64_t timeout_ms, int channel,
                                                      Clock::time_point write_deadline) {
  Channel& ch = channels_[static_cast<std::size_t>(channel)];
  ch.start = Clock::now();
  ch.timeout_ms = timeout_ms;
  ch.deadline = ch.start + std::chrono::milliseconds(timeout_ms);
  if (broken_) {
    RunResult r;
    r.error = "runtime is not running";
    r.crashed = true;
    r.result_json = json{{"error", r.error}}.dump();
    return r;
  }
  const net::FrameStatus sent = net::write_frame(ch.to_child, request, net::FdKind::kPipe, std::min(ch.deadline, write_deadline));
  if (sent == net::FrameStatus::kTimeout && write_deadline < ch.deadline)
    return fail_exchange(ch.start, timeout_ms, false, "the runtime did not read its requests");
  if (sent != net::FrameStatus::kOk) return fail_exchange(ch.start, timeout_ms, sent == net::FrameStatus::kTimeout, kAbnormal);
  return std::nullopt;
}

RunResult RuntimeProcess::take_reply(net::FrameStatus got, std::string_view reply, int channel) {
  Channel& ch = channels_[static_cast<std::size_t>(channel)];
  if (got == net::FrameStatus::kOversized)
    return fail_exchange(ch.start, ch.timeout_ms, false, response_too_long(ch.reader.announced(), max_result_bytes_));
  if (got != net::FrameStatus::kOk) return fail_exchange(ch.start, ch.timeout_ms, got == net::FrameStatus::kTimeout, kAbnormal);
  RunResult r;
  r.duration_us = since_us(ch.start);
  // A runtime answers one request with one frame: anything after it was written by someone else.
  if (ch.reader.buffered() != 0) return fail_exchange(ch.start, ch.timeout_ms, false, "the runtime sent bytes beyond its response");
  if (std::string why; !parse_run_reply(reply, max_result_bytes_, &r, &why))
    return fail_exchange(ch.start, ch.timeout_ms, false, std::move(why));
  return r;
}

RunResult RuntimeProcess::exchange(const std::string& request, std::int64_t timeout_ms, int channel, net::ReadWatch* watch) {
  if (auto ended = send_request(request, timeout_ms, channel, Clock::time_point::max())) return std::move(*ended);
  Channel& ch = channels_[static_cast<std::size_t>(channel)];
  std::string_view reply;
  const net::FrameStatus got = ch.reader.read(ch.from_child, &reply, ch.deadline, watch, &ch.spin);
  return take_reply(got, reply, channel);
}

std::optional<RunResult> RuntimeProcess::start_run(const std::string& args_json, std::int64_t timeout_ms) {
  if (workers_.load() > 0) return run(args_json, timeout_ms);  // (refused: worker 0 takes control requests only)
  // Into an empty pipe (the runtime read the last request before it answered) a request this small goes
  // in one write that never waits; a runtime whose pipe is still full did not read: it is killed.
  return send_request(run_request(args_json), timeout_ms, 0, Clock::now());
}

int RuntimeProcess::reply_fd() const { return channels_[0].from_child; }

net::FrameClock::time_point RuntimeProcess::run_deadline() const { return channels_[0].deadline; }

std::optional<RunResult> RuntimeProcess::poll_reply() {
  Channel& ch = channels_[0];
  std::string_view reply;
  const net::FrameStatus got = ch.reader.read_ready(ch.from_child, &reply);
  if (got == net::FrameStatus::kTimeout) {  // not whole yet
    if (Clock::now() < ch.deadline) return std::nullopt;
    return expire_run();
  }
  return take_reply(got, reply, 0);
}

RunResult RuntimeProcess::expire_run() { return fail_exchange(channels_[0].start, channels_[0].timeout_ms, true, ""); }

}  // namespace hearth::runtime
