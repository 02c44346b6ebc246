#include "sandbox/sandbox_pool.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sandbox/sandbox.h"
#include "sandbox/seccomp_profile.h"

namespace hearth::sandbox {
namespace {

constexpr std::size_t kMaxSpecBytes = 256 * 1024;
constexpr int kMaxFds = 64;  // channels of a runtime with the most workers (2 x 17) fit; SCM_MAX_FD is 253
constexpr int kQuietMs = 100;  // no refill for this long after a take

void put(std::string& out, const std::string& s) {
  out += s;
  out.push_back('\0');
}

// Reads the next NUL-terminated field; false at the end of the buffer.
bool next(const std::string& in, std::size_t& at, std::string* field) {
  if (at >= in.size()) return false;
  const std::size_t end = in.find('\0', at);
  if (end == std::string::npos) return false;
  *field = in.substr(at, end - at);
  at = end + 1;
  return true;
}

bool next_number(const std::string& in, std::size_t& at, long* n) {
  std::string f;
  if (!next(in, at, &f) || f.empty()) return false;
  char* end = nullptr;
  *n = std::strtol(f.c_str(), &end, 10);
  return *end == '\0';
}

void kill_shell(ParkedShell& s) {
  if (s.socket >= 0) close(s.socket);
  if (s.pid > 0) {
    ::kill(s.pid, SIGKILL);
    while (waitpid(s.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  s.cgroup.reset();
}

}  // namespace

bool send_with(int socket, const std::string& data, int cmsg_type, const void* cmsg, std::size_t cmsg_bytes) {
  if (cmsg_bytes > sizeof(int) * kMaxFds) return false;
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  if (cmsg_bytes > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(cmsg_bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = cmsg_type;
    c->cmsg_len = CMSG_LEN(cmsg_bytes);
    std::memcpy(CMSG_DATA(c), cmsg, cmsg_bytes);
  }
  ssize_t n;
  do n = sendmsg(socket, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(data.size());
}

bool send_spec(int socket, const SandboxSpec& spec) {
  if (spec.fds.size() > kMaxFds) return false;
  std::string payload;
  put(payload, spec.hostname);
  put(payload, std::to_string(spec.tmp_mb));
  put(payload, std::to_string(spec.limits.memory_mb));
  put(payload, std::to_string(spec.limits.pids_max));
  put(payload, std::to_string(spec.argv.size()));
  for (const auto& a : spec.argv) put(payload, a);
  put(payload, std::to_string(spec.read_only_paths.size()));
  for (const auto& p : spec.read_only_paths) put(payload, p);
  put(payload, spec.netns);
  put(payload, spec.net_cgroup);
  put(payload, std::to_string(spec.fds.size()));
  for (const auto& [from, to] : spec.fds) put(payload, std::to_string(to));
  if (payload.size() > kMaxSpecBytes) return false;
  std::vector<int> fds;
  for (const auto& [from, to] : spec.fds) fds.push_back(from);
  return send_with(socket, payload, SCM_RIGHTS, fds.data(), fds.size() * sizeof(int));
}

bool receive_spec(int socket, SandboxSpec* spec) {
  std::string payload(kMaxSpecBytes, '\0');
  iovec iov{payload.data(), payload.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) return false;
  payload.resize(static_cast<std::size_t>(n));
  std::vector<int> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      const int* p = reinterpret_cast<const int*>(CMSG_DATA(c));
      for (std::size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) fds.push_back(p[i]);
    }
  std::size_t at = 0;
  long count = 0, tmp = 0;
  if (!next(payload, at, &spec->hostname) || !next_number(payload, at, &tmp)) return false;
  spec->tmp_mb = tmp;
  long memory_mb = 0, pids_max = 0;
  if (!next_number(payload, at, &memory_mb) || !next_number(payload, at, &pids_max)) return false;
  spec->limits.memory_mb = memory_mb;
  spec->limits.pids_max = pids_max;
  if (!next_number(payload, at, &count)) return false;
  spec->argv.resize(static_cast<std::size_t>(count));
  for (auto& a : spec->argv)
    if (!next(payload, at, &a)) return false;
  if (!next_number(payload, at, &count)) return false;
  spec->read_only_paths.resize(static_cast<std::size_t>(count));
  for (auto& p : spec->read_only_paths)
    if (!next(payload, at, &p)) return false;
  if (!next(payload, at, &spec->netns) || !next(payload, at, &spec->net_cgroup)) return false;
  if (!next_number(payload, at, &count) || static_cast<std::size_t>(count) != fds.size()) return false;
  spec->fds.clear();
  for (int fd : fds) {
    long to = 0;
    if (!next_number(payload, at, &to)) return false;
    spec->fds.emplace_back(fd, static_cast<int>(to));
  }
  return true;
}

SandboxPool::SandboxPool(std::string prefix, int size) : prefix_(std::move(prefix)), size_(size) {
  // Shells exist to take the cgroup attach off the path: without cgroups (user-namespace mode) there is
  // nothing to pool and every take() falls back to a fresh supervisor. Deciding here, before any fork,
  // also keeps the shells from evaluating it themselves.
  if (Sandbox::privilege(nullptr) != Privilege::kRoot) size_ = 0;
  prepare_seccomp_profile();  // shells forked from here find it compiled
  refiller_ = std::thread([this] { refill(); });
}

SandboxPool::~SandboxPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  refiller_.join();
  for (ParkedShell& s : ready_) kill_shell(s);
}

ParkedShell SandboxPool::park() {
  ParkedShell s;
  s.cgroup = std::make_unique<Cgroup>(prefix_ + "-s" + std::to_string(next_++), CgroupLimits{});
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    throw std::runtime_error(std::string("sandbox pool: socketpair: ") + std::strerror(errno));
  const pid_t parent = getpid();
  s.pid = fork();
  if (s.pid < 0) {
    close(pair[0]);
    close(pair[1]);
    throw std::runtime_error(std::string("sandbox pool: fork: ") + std::strerror(errno));
  }
  if (s.pid == 0) {  // the parked shell: wait for a spec, then become the supervisor
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    // Drop every descriptor the platform had open at the fork (other containers' pipes, sockets): a
    // parked shell holding a pipe's write end would hide that pipe's EOF from its reader.
    const unsigned keep = static_cast<unsigned>(pair[1]);
    close_range(3, keep - 1, 0);
    close_range(keep + 1, ~0U, 0);
    SandboxSpec spec;
    if (!receive_spec(pair[1], &spec)) _exit(0);  // the pool is closing, or a malformed spec
    close(pair[1]);
    supervise(spec);
  }
  close(pair[1]);
  s.socket = pair[0];
  try {
    s.cgroup->add(s.pid);  // the slow part, off anyone's path
  } catch (...) {
    kill_shell(s);
    throw;
  }
  return s;
}

void SandboxPool::refill() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (static_cast<int>(ready_.size()) >= size_) {
      changed_.wait(lock);
      continue;
    }
    // Attaching holds the kernel's cgroup_threadgroup_rwsem for writing, which stalls every fork and exec
    // on the host: let the sandbox that just took a shell get through its own forks and exec first.
    const auto quiet = last_take_ + std::chrono::milliseconds(kQuietMs);
    if (std::chrono::steady_clock::now() < quiet) {
      changed_.wait_until(lock, quiet);
      continue;
    }
    lock.unlock();
    std::optional<ParkedShell> shell;
    try {
      shell = park();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hearth sandbox pool: %s\n", e.what());
    }
    lock.lock();
    if (shell) {
      ready_.push_back(std::move(*shell));
      changed_.notify_all();
    } else {
      changed_.wait_for(lock, std::chrono::seconds(1));  // back off: the host refused
    }
  }
}

std::optional<ParkedShell> SandboxPool::take() {
  std::lock_guard lock(mu_);
  if (ready_.empty()) {
    ++misses_;
    return std::nullopt;
  }
  ParkedShell s = std::move(ready_.front());
  ready_.pop_front();
  ++hits_;
  last_take_ = std::chrono::steady_clock::now();
  changed_.notify_all();  // refill
  return s;
}

int SandboxPool::wait_ready(int n, std::int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return static_cast<int>(ready_.size()) >= n; });
  return static_cast<int>(ready_.size());
}

std::uint64_t SandboxPool::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

std::uint64_t SandboxPool::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

}  // namespace hearth::sandbox
