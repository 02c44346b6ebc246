#include "snapshot/runsc_container.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "sandbox/tied_child.h"

namespace hearth::snapshot {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Waits for `pid` until `deadline`; SIGKILLs it then. Returns the exit status (-1 when killed or signalled).
int reap(pid_t pid, Clock::time_point deadline) {
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0) return -1;
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    usleep(1000);
  }
}

std::vector<std::string> base_args(const RunscConfig& c) {
  return {c.runsc, "--root", c.state_root, "--network=none", "--ignore-cgroups"};
}

}  // namespace

std::optional<std::string> find_runsc() {
  if (const char* env = std::getenv("HEARTH_RUNSC"); env && *env) {
    if (access(env, X_OK) == 0) return std::string(env);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin:/usr/sbin:/sbin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = dirs.find(':', start);
    const std::string dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty() && access((dir + "/runsc").c_str(), X_OK) == 0) return dir + "/runsc";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

RunscResult run_runsc(const RunscConfig& config, const std::vector<std::string>& args) {
  std::vector<std::string> argv = base_args(config);
  argv.insert(argv.end(), args.begin(), args.end());
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error(std::string("runsc: pipe: ") + std::strerror(errno));
  const pid_t pid = sandbox::spawn_tied_child({.argv = argv, .out_fd = p[1], .err_fd = p[1]});
  ::close(p[1]);
  RunscResult result;
  const Clock::time_point deadline = Clock::now() + config.timeout;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd pfd{p[0], POLLIN, 0};
    const int r = poll(&pfd, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    const ssize_t n = ::read(p[0], buf, sizeof buf);
    if (n <= 0) break;
    if (result.output.size() < kStderrTailBytes) result.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(p[0]);
  result.status = reap(pid, deadline);
  return result;
}

RunscContainer::RunscContainer(const RunscConfig& config, std::string id) : config_(config), id_(std::move(id)) {
  if (config_.state_root.empty()) throw std::invalid_argument("runsc: no state root given");
  if (id_.empty() || id_.size() > 64 || id_.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos)
    throw std::invalid_argument("runsc: container id '" + id_ + "' must be 1-64 characters of [a-z0-9-_.]");
  fs::create_directories(config_.state_root);
}

std::unique_ptr<RunscContainer> RunscContainer::run(const RunscConfig& config, const std::string& bundle_dir,
                                                    const std::string& id) {
  std::unique_ptr<RunscContainer> c(new RunscContainer(config, id));
  c->spawn({"run", "--bundle", bundle_dir, id});
  return c;
}

std::unique_ptr<RunscContainer> RunscContainer::restore(const RunscConfig& config, const std::string& bundle_dir,
                                                        const std::string& image_dir, const std::string& id,
                                                        const RestoreOptions& options) {
  std::unique_ptr<RunscContainer> c(new RunscContainer(config, id));
  std::vector<std::string> args = {"restore", "--bundle", bundle_dir, "--image-path", image_dir};
  if (options.direct) args.push_back("--direct");
  args.push_back(id);
  c->spawn(args);
  return c;
}

void RunscContainer::spawn(const std::vector<std::string>& args) {
  std::vector<std::string> argv = base_args(config_);
  argv.insert(argv.end(), args.begin(), args.end());
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("runsc: pipe: ") + std::strerror(errno));
  signal(SIGPIPE, SIG_IGN);  // a runtime that died is a kError on write, not the end of this process
  // runsc joins the container's cgroups before exec: it never runs outside the limits it was given.
  pid_ = sandbox::spawn_tied_child({argv, in[0], out[1], err[1], config_.cgroup_procs});
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  err_from_child_ = err[0];
  fcntl(to_child_, F_SETFL, fcntl(to_child_, F_GETFL) | O_NONBLOCK);
  drain_ = std::thread([this] { drain_stderr(); });
}

void RunscContainer::drain_stderr() {
  char buf[4096];
  while (!stop_drain_) {
    pollfd pfd{err_from_child_, POLLIN, 0};
    const int ready = poll(&pfd, 1, 100);  // wakes up to see stop_drain_ even if a sandbox process keeps the pipe
    if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
    if (ready < 0) return;
    const ssize_t n = ::read(err_from_child_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    std::lock_guard lock(tail_mu_);
    tail_.append(buf, static_cast<std::size_t>(n));
    if (tail_.size() > kStderrTailBytes) tail_.erase(0, tail_.size() - kStderrTailBytes);
  }
}

std::string RunscContainer::stderr_tail() const {
  std::lock_guard lock(tail_mu_);
  return tail_;
}

void RunscContainer::fail(const std::string& what) {
  finished_ = true;
  std::string tail = stderr_tail();
  if (tail.size() > 2000) tail = "..." + tail.substr(tail.size() - 2000);
  throw std::runtime_error("runsc container " + id_ + ": " + what + (tail.empty() ? "" : "; its stderr: " + tail));
}

std::string RunscContainer::call(const std::string& request_json) { return call(request_json, config_.timeout); }

std::string RunscContainer::call(const std::string& request_json, std::chrono::milliseconds timeout) {
  if (finished_) throw std::runtime_error("runsc container " + id_ + ": used after it stopped or failed");
  const Clock::time_point deadline = Clock::now() + timeout;
  const net::FrameStatus w = net::write_frame(to_child_, request_json, net::FdKind::kPipe, deadline);
  if (w != net::FrameStatus::kOk)
    fail(w == net::FrameStatus::kTimeout ? "request not accepted within the timeout" : "the runtime is gone (write failed)");
  std::string_view payload;
  const net::FrameStatus r = reader_.read(from_child_, &payload, deadline);
  if (r != net::FrameStatus::kOk)
    fail(r == net::FrameStatus::kTimeout ? "no reply within " + std::to_string(timeout.count()) + " ms"
                                         : "bad reply: " + reader_.describe(r));
  return std::string(payload);
}

void RunscContainer::checkpoint(const std::string& image_dir, const CheckpointOptions& options) {
  if (finished_) throw std::runtime_error("runsc container " + id_ + ": checkpoint after it stopped or failed");
  std::error_code ec;
  if (fs::exists(fs::path(image_dir) / "checkpoint.img", ec))
    throw std::invalid_argument("runsc checkpoint: " + image_dir + " already holds an image");
  fs::create_directories(image_dir);
  std::vector<std::string> args = {"checkpoint", "--image-path", image_dir, "--compression",
                                   options.compress ? "flate-best-speed" : "none"};
  if (options.exclude_zero_pages) args.push_back("--exclude-committed-zero-pages");
  args.push_back(id_);
  const RunscResult r = run_runsc(config_, args);
  finished_ = true;
  if (r.status != 0) throw std::runtime_error("runsc checkpoint of " + id_ + " failed (status " +
                                              std::to_string(r.status) + "): " + r.output);
  // The checkpointed container exits; the image is complete once runsc checkpoint returned.
}

RunscContainer::~RunscContainer() {
  if (pid_ > 0) {
    const RunscConfig quick{config_.runsc, config_.state_root, std::chrono::milliseconds(10000), {}};
    if (waitpid(pid_, nullptr, WNOHANG) == 0) run_runsc(quick, {"kill", id_, "KILL"});
    run_runsc(quick, {"delete", "--force", id_});
    close_fd(to_child_);
    close_fd(from_child_);
    reap(pid_, Clock::now() + std::chrono::seconds(5));
  }
  close_fd(to_child_);
  close_fd(from_child_);
  stop_drain_ = true;
  if (drain_.joinable()) drain_.join();
  close_fd(err_from_child_);
}

}  // namespace hearth::snapshot
