#include "runtime/python_zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "runtime/runtime_process.h"
#include "sandbox/sandbox_pool.h"

namespace hearth::runtime {
namespace {

using nlohmann::json;
constexpr std::size_t kMaxReply = 64 * 1024;
constexpr std::int64_t kForkTimeoutMs = 10'000;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("zygote: " + what); }

// Waits up to `timeout_ms` for `fd` to be readable; false on timeout.
bool readable(int fd, std::int64_t timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int rc;
  do rc = poll(&p, 1, static_cast<int>(timeout_ms));
  while (rc < 0 && errno == EINTR);
  return rc > 0;
}

// Sends one JSON message, with `fd` attached (SCM_RIGHTS) when >= 0.
void send_message(int socket, const json& msg, int fd) {
  if (!sandbox::send_with(socket, msg.dump(), SCM_RIGHTS, &fd, fd >= 0 ? sizeof fd : 0))
    fail(std::string("cannot send a request: ") + std::strerror(errno));
}

// Reads one JSON reply {"ok": ..., "error": ...}; throws with the zygote's error, on EOF or on timeout.
json read_reply(int socket, std::int64_t timeout_ms, const std::string& what) {
  if (!readable(socket, timeout_ms)) fail(what + ": no answer within " + std::to_string(timeout_ms) + " ms");
  std::string buf(kMaxReply, '\0');
  ssize_t n;
  do n = recv(socket, buf.data(), buf.size(), 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0) fail(what + ": the zygote exited (see the invoker's stderr for its own message)");
  buf.resize(static_cast<std::size_t>(n));
  json reply = json::parse(buf, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object()) fail(what + ": malformed reply");
  if (!reply.value("ok", false)) {
    const json& e = reply.contains("error") ? reply["error"] : json("unknown error");
    fail(what + ": " + (e.is_string() ? e.get<std::string>() : e.dump()));
  }
  return reply;
}

bool same_limits(const sandbox::CgroupLimits& a, const sandbox::CgroupLimits& b) {
  return a.memory_mb == b.memory_mb && a.cpu_millicores == b.cpu_millicores && a.pids_max == b.pids_max;
}

void seqpacket_pair(int pair[2]) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    fail(std::string("socketpair: ") + std::strerror(errno));
}

}  // namespace

std::string zygote_entry_path() {
  if (const char* p = std::getenv("HEARTH_ZYGOTE_ENTRY")) return p;
  return HEARTH_ZYGOTE_ENTRY;
}

std::shared_ptr<PythonZygote> PythonZygote::start(const ZygoteOptions& options) {
  std::string why;
  const std::optional<sandbox::Privilege> privilege = sandbox::Sandbox::privilege(&why);
  if (!privilege) fail("cannot sandbox here: " + why);
  std::shared_ptr<PythonZygote> z(new PythonZygote());
  z->name_ = options.name;
  z->imports_ = options.imports;
  z->sys_path_ = options.sys_path;
  z->library_paths_ = options.sys_path;
  z->library_paths_.insert(z->library_paths_.end(), options.read_only_paths.begin(), options.read_only_paths.end());
  z->cgroups_ = *privilege == sandbox::Privilege::kRoot;
  if (!options.netns.empty() && !z->cgroups_) fail("a zygote in a container network needs root");
  if (options.netns.empty() != !options.fork_network) fail("a zygote in a container network needs both netns and fork_network");
  z->netns_ = options.netns;
  z->fork_network_ = options.fork_network;
  sandbox::SandboxSpec spec;
  spec.netns = options.netns;
  spec.name = options.name + "-z";
  spec.zygote = true;
  spec.limits = options.limits;
  spec.argv = {"/usr/bin/python3", "-u", "-S", "-E", runtime_dir() + "/python/hearth_zygote.py", zygote_entry_path()};
  for (const std::string& p : options.sys_path) spec.argv.insert(spec.argv.end(), {"--path", p});
  for (const std::string& m : options.imports) spec.argv.insert(spec.argv.end(), {"--import", m});
  spec.read_only_paths = {runtime_dir(), zygote_entry_path()};
  spec.read_only_paths.insert(spec.read_only_paths.end(), z->library_paths_.begin(), z->library_paths_.end());
  spec.read_only_paths.insert(spec.read_only_paths.end(), options.view_paths.begin(), options.view_paths.end());
  int pair[2];
  seqpacket_pair(pair);
  spec.fds = {{pair[1], 3}};
  signal(SIGPIPE, SIG_IGN);
  try {
    z->sandbox_ = std::make_unique<sandbox::Sandbox>(spec);
  } catch (...) {
    close(pair[0]);
    close(pair[1]);
    throw;
  }
  close(pair[1]);
  z->control_ = pair[0];
  read_reply(z->control_, options.ready_timeout_ms, "starting the zygote");
  return z;
}

std::shared_ptr<PythonZygote> PythonZygote::extend(const std::vector<std::string>& sys_path,
                                                   const std::vector<std::string>& imports,
                                                   const std::vector<std::string>& read_only_paths, std::int64_t timeout_ms) {
  std::lock_guard control(control_mu_);
  std::shared_ptr<PythonZygote> child(new PythonZygote());
  child->parent_ = shared_from_this();
  {
    std::lock_guard lock(mu_);
    child->name_ = name_ + "-" + std::to_string(next_++);
  }
  child->imports_ = imports_;
  child->imports_.insert(child->imports_.end(), imports.begin(), imports.end());
  child->sys_path_ = sys_path_;
  child->sys_path_.insert(child->sys_path_.end(), sys_path.begin(), sys_path.end());
  child->library_paths_ = library_paths_;
  for (const auto* paths : {&sys_path, &read_only_paths})
    for (const std::string& p : *paths)
      if (std::find(child->library_paths_.begin(), child->library_paths_.end(), p) == child->library_paths_.end())
        child->library_paths_.push_back(p);
  child->cgroups_ = cgroups_;
  child->netns_ = netns_;
  child->fork_network_ = fork_network_;
  int pair[2];
  seqpacket_pair(pair);
  try {
    send_message(control_, {{"op", "zygote"}, {"path", sys_path}, {"import", imports}}, pair[1]);
    close(pair[1]);
    pair[1] = -1;
    read_reply(control_, kForkTimeoutMs, "forking a child zygote");
    child->control_ = pair[0];
    read_reply(child->control_, timeout_ms, "starting a child zygote");
  } catch (...) {
    if (pair[1] >= 0) close(pair[1]);
    if (child->control_ < 0) close(pair[0]);
    throw;
  }
  return child;
}

PythonZygote::~PythonZygote() {
  for (Parked& p : parked_) release(p);
  if (control_ >= 0) close(control_);  // the zygote exits when its control socket closes
  // A root zygote's sandbox (sandbox_) is then killed and its cgroup removed by its destructor.
}

void PythonZygote::release(Parked& p) {
  if (p.socket >= 0) close(p.socket);  // a parked fork exits when its socket closes without a spec
  if (p.pidfd >= 0) {
    syscall(SYS_pidfd_send_signal, p.pidfd, SIGKILL, nullptr, 0);
    close(p.pidfd);
  }
  p.cgroup.reset();  // kills what is left in it and removes it
  p.network.reset();  // then its container network
}

void PythonZygote::release_parked() {
  std::lock_guard lock(mu_);
  for (Parked& p : parked_) release(p);
  parked_.clear();
}

PythonZygote::Parked PythonZygote::park(const std::vector<std::string>& extra_paths) {
  int pair[2];
  seqpacket_pair(pair);
  const int on = 1;
  if (setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
    close(pair[0]);
    close(pair[1]);
    fail(std::string("SO_PASSCRED: ") + std::strerror(errno));
  }
  Parked p;
  p.socket = pair[0];
  try {
    {
      std::lock_guard control(control_mu_);  // one request at a time on the control socket
      send_message(control_, {{"op", "fork"}}, pair[1]);
      close(pair[1]);
      pair[1] = -1;
      read_reply(control_, kForkTimeoutMs, "forking");
    }
    // The fork's first message carries its pid as this process sees it (the kernel translates it).
    if (!readable(p.socket, kForkTimeoutMs)) fail("a fork did not report its pid");
    char byte;
    iovec iov{&byte, 1};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))] = {};
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    if (recvmsg(p.socket, &m, 0) != 1) fail("a fork exited before reporting its pid");
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        p.pid = cred.pid;
      }
    if (p.pid <= 0) fail("a fork reported no pid");
    p.pidfd = static_cast<int>(syscall(SYS_pidfd_open, p.pid, 0));
    if (p.pidfd < 0) fail(std::string("pidfd_open: ") + std::strerror(errno));
    if (cgroups_) {
      std::string name;
      {
        std::lock_guard lock(mu_);
        p.limits = last_limits_;
        name = name_ + "-f" + std::to_string(next_++);
      }
      p.cgroup = std::make_unique<sandbox::Cgroup>(name, p.limits);
      p.cgroup->add(p.pid);  // the slow part (v1: an RCU grace period), before any cold start needs it
    }
    if (fork_network_) {  // its address's pin: its cgroup v2 directory, joined before the runtime is forked
      ForkNetwork network = fork_network_();
      p.network = std::move(network.lease);
      const std::string procs = network.net_cgroup + "/cgroup.procs";
      const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
      const std::string pid = std::to_string(p.pid);
      const bool moved = fd >= 0 && ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
      const int error = errno;
      if (fd >= 0) ::close(fd);
      if (!moved) fail("cannot move a fork into " + procs + ": " + std::strerror(error));
    }
    // Its view: the runtime and the library paths. It builds its namespaces and root now, while parked.
    sandbox::SandboxSpec view;
    view.argv = {"zygote-fork"};
    view.read_only_paths = {runtime_dir()};
    view.read_only_paths.insert(view.read_only_paths.end(), library_paths_.begin(), library_paths_.end());
    view.read_only_paths.insert(view.read_only_paths.end(), extra_paths.begin(), extra_paths.end());
    view.netns = netns_;  // non-empty: the fork keeps the zygote's network namespace (enter_forked_sandbox)
    if (!sandbox::send_spec(p.socket, view)) fail("cannot send a fork its view");
    // Parked once it says it is isolated (its root built, its privileges dropped).
    char ready = 0;
    if (!readable(p.socket, kForkTimeoutMs) || recv(p.socket, &ready, 1, 0) != 1 || ready != 'r')
      fail("a fork did not finish building its sandbox (see the invoker's stderr)");
  } catch (...) {
    if (pair[1] >= 0) close(pair[1]);
    release(p);
    throw;
  }
  return p;
}

int PythonZygote::prepare(int n) {
  std::lock_guard one(prepare_mu_);  // one refill at a time; takes go on meanwhile
  const auto parked = [&] {
    std::lock_guard lock(mu_);
    return static_cast<int>(parked_.size());
  };
  try {
    while (parked() < n) {
      {
        std::lock_guard lock(mu_);
        ++parking_;
      }
      Parked p;
      try {
        p = park();  // without mu_: takes of forks parked already go on meanwhile
      } catch (...) {
        std::lock_guard lock(mu_);
        --parking_;
        parked_cv_.notify_all();
        throw;
      }
      std::lock_guard lock(mu_);
      --parking_;
      parked_.push_back(std::move(p));
      parked_cv_.notify_all();
    }
  } catch (const std::exception&) {
    // fewer than asked: the caller sees the count (start_sandbox reports the reason)
  }
  return parked();
}

std::unique_ptr<sandbox::Sandbox> PythonZygote::start_sandbox(const sandbox::SandboxSpec& spec) {
  // Paths this zygote's forks do not show: a fork with its own view, now.
  std::vector<std::string> extra;
  for (const std::string& path : spec.read_only_paths)
    if (path != runtime_dir() && std::find(library_paths_.begin(), library_paths_.end(), path) == library_paths_.end() &&
        std::find(extra.begin(), extra.end(), path) == extra.end())
      extra.push_back(path);
  Parked p;
  bool taken = false;
  {
    std::unique_lock lock(mu_);
    // A fork being parked is further along than one forked now: wait for it rather than fork another.
    if (extra.empty())
      parked_cv_.wait_for(lock, std::chrono::milliseconds(kForkTimeoutMs), [&] { return !parked_.empty() || parking_ == 0; });
    if (extra.empty() && !parked_.empty()) {
      p = std::move(parked_.front());
      parked_.pop_front();
      ++hits_;
      taken = true;
    }
    ++forks_;
    last_limits_ = spec.limits;
  }
  if (!taken) p = park(extra);
  sandbox::SandboxSpec sent;  // the descriptors and limits only: its view was fixed when it was parked
  sent.argv = {"zygote-fork"};
  sent.fds = spec.fds;
  sent.limits = spec.limits;
  try {
    if (p.cgroup) {
      if (!same_limits(p.limits, spec.limits)) p.cgroup->set_limits(spec.limits);  // else set when it was parked
      sent.limits.memory_mb = 0;  // the cgroup limits it: no rlimits in the fork
    }
    if (!sandbox::send_spec(p.socket, sent)) fail("cannot hand the spec to a fork");
  } catch (...) {
    release(p);
    throw;
  }
  close(p.socket);
  std::shared_ptr<void> keep = shared_from_this();
  if (p.network)  // the sandbox holds its zygote and its network attachment
    keep = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<void>>>(std::move(keep), std::move(p.network));
  return std::make_unique<sandbox::Sandbox>(p.pid, p.pidfd, std::move(p.cgroup), std::move(keep));
}

pid_t PythonZygote::root_pid() const { return parent_ ? parent_->root_pid() : sandbox_->pid(); }

std::uint64_t PythonZygote::forks() const {
  std::lock_guard lock(mu_);
  return forks_;
}

std::uint64_t PythonZygote::parked_hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

}  // namespace hearth::runtime
