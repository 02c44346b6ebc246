#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "sandbox/sandbox_pool.h"

namespace hearth::sandbox {
namespace {

// In the child, any failure ends it with a distinctive code and a message on stderr.
[[noreturn]] void die(const char* what) {
  const int e = errno;
  dprintf(2, "hearth sandbox: %s: %s\n", what, std::strerror(e));
  _exit(121);
}

void check(int rc, const char* what) {
  if (rc != 0) die(what);
}

void mkdirs(const std::string& path) {
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      const std::string part = path.substr(0, i);
      if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) die(("mkdir " + part).c_str());
    }
  }
}

void bind_read_only(const std::string& src, const std::string& root) {
  struct stat st {};
  if (stat(src.c_str(), &st) != 0) return;  // nothing to show
  const std::string dst = root + src;
  if (S_ISDIR(st.st_mode)) {
    mkdirs(dst);
  } else {
    mkdirs(dst.substr(0, dst.rfind('/')));
    const int fd = open(dst.c_str(), O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) close(fd);
  }
  check(mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr), ("bind " + src).c_str());
  check(mount(nullptr, dst.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr),
        ("remount read-only " + src).c_str());
}

void install_seccomp() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) die("seccomp_init");
  const int denied[] = {SCMP_SYS(mount),        SCMP_SYS(umount2),      SCMP_SYS(pivot_root),   SCMP_SYS(ptrace),
                        SCMP_SYS(kexec_load),   SCMP_SYS(init_module),  SCMP_SYS(finit_module), SCMP_SYS(delete_module),
                        SCMP_SYS(reboot),       SCMP_SYS(swapon),       SCMP_SYS(swapoff),      SCMP_SYS(bpf),
                        SCMP_SYS(perf_event_open), SCMP_SYS(unshare),   SCMP_SYS(setns),        SCMP_SYS(keyctl),
                        SCMP_SYS(add_key),      SCMP_SYS(request_key),  SCMP_SYS(open_by_handle_at),
                        SCMP_SYS(clock_settime), SCMP_SYS(settimeofday), SCMP_SYS(chroot),      SCMP_SYS(acct)};
  for (int sys : denied)
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), sys, 0) != 0) die("seccomp_rule_add");
  if (seccomp_load(ctx) != 0) die("seccomp_load");
  seccomp_release(ctx);
}

// PID 1 of the new PID namespace: builds the root, drops privileges, execs the program.
[[noreturn]] void run_program(const SandboxSpec& spec) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  check(sethostname(spec.hostname.data(), spec.hostname.size()), "sethostname");
  check(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make mounts private");
  // Build the new root on /mnt: in this private mount namespace the tmpfs hides nothing of the host's.
  const std::string root = "/mnt";
  if (access(root.c_str(), F_OK) != 0) mkdirs(root);
  check(mount("tmpfs", root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755"), "mount root tmpfs");
  for (const char* dir : {"/usr", "/etc"}) bind_read_only(dir, root);
  for (const char* link : {"bin", "lib", "lib64", "sbin"}) {
    char target[256];
    const ssize_t n = readlink(("/" + std::string(link)).c_str(), target, sizeof target - 1);
    if (n > 0) {
      target[n] = '\0';
      check(symlink(target, (root + "/" + link).c_str()), "symlink");
    } else {
      bind_read_only("/" + std::string(link), root);
    }
  }
  // The private /tmp first: read-only paths below /tmp (code directories) are then bound on top of it.
  mkdirs(root + "/tmp");
  const std::string tmp_opts = "size=" + std::to_string(spec.tmp_mb) + "m,mode=1777";
  check(mount("tmpfs", (root + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, tmp_opts.c_str()), "mount /tmp");
  for (const std::string& p : spec.read_only_paths) bind_read_only(p, root);
  mkdirs(root + "/dev");
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/urandom"}) {
    const std::string dst = root + dev;
    const int fd = open(dst.c_str(), O_CREAT | O_WRONLY, 0666);
    if (fd >= 0) close(fd);
    check(mount(dev, dst.c_str(), nullptr, MS_BIND, nullptr), "bind device");
  }
  mkdirs(root + "/proc");
  mkdirs(root + "/.old");
  check(static_cast<int>(syscall(SYS_pivot_root, root.c_str(), (root + "/.old").c_str())), "pivot_root");
  check(chdir("/"), "chdir /");
  check(umount2("/.old", MNT_DETACH), "detach the host root");
  rmdir("/.old");
  check(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount /proc");
  check(mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), "read-only root");
  // Privileges: nobody, no supplementary groups, no new privileges.
  check(setgroups(0, nullptr), "setgroups");
  check(setgid(65534), "setgid");
  check(setuid(65534), "setuid");
  check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
  install_seccomp();
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char env_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  char env_home[] = "HOME=/tmp";
  char* envp[] = {env_path, env_home, nullptr};
  execve(argv[0], argv.data(), envp);
  die(("exec " + spec.argv[0]).c_str());
}

}  // namespace

bool Sandbox::supported(std::string* why) {
  if (geteuid() != 0) {
    *why = "not root";
    return false;
  }
  if (access("/sys/fs/cgroup", W_OK) != 0) {
    *why = "/sys/fs/cgroup is not writable";
    return false;
  }
  return true;
}

[[noreturn]] void supervise(const SandboxSpec& spec) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Requested fds: move above every target first so the dup2s cannot clobber each other, then close
  // everything else this process inherited from the platform (other containers' pipes, sockets).
  std::vector<std::pair<int, int>> moved;
  int highest = 2;
  for (const auto& [from, to] : spec.fds) {
    moved.emplace_back(fcntl(from, F_DUPFD, 100), to);
    highest = std::max(highest, to);
  }
  for (const auto& [from, to] : moved)
    if (from < 0 || dup2(from, to) < 0) die("dup2");
  for (int fd = 3; fd <= highest; ++fd) {
    bool wanted = false;
    for (const auto& [from, to] : spec.fds) wanted = wanted || to == fd;
    if (!wanted) close(fd);
  }
  close_range(static_cast<unsigned>(highest) + 1, ~0U, 0);
  check(unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID), "unshare");
  const pid_t init = fork();
  if (init < 0) die("fork");
  if (init == 0) run_program(spec);
  // The supervisor only waits: the requested fds are the program's alone, so that a process of it that
  // dies (a runtime's worker) is EOF on its channel at once, not when the whole sandbox ends.
  for (const auto& [from, to] : spec.fds) close(to);
  int status = 0;
  while (waitpid(init, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    prctl(PR_SET_PDEATHSIG, 0);
    ::kill(getpid(), WTERMSIG(status));
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 123);
}

Sandbox::Sandbox(const SandboxSpec& spec, SandboxPool* pool) {
  if (spec.argv.empty()) throw std::invalid_argument("sandbox: empty argv");
  if (pool) {
    if (std::optional<ParkedShell> shell = pool->take()) {
      cgroup_ = std::move(shell->cgroup);
      pid_ = shell->pid;
      try {
        cgroup_->set_limits(spec.limits);
      } catch (...) {
        close(shell->socket);
        kill();
        wait();
        throw;
      }
      const bool sent = send_spec(shell->socket, spec);
      close(shell->socket);
      if (!sent) {
        kill();
        wait();
        throw std::runtime_error("sandbox: cannot hand the spec to a pooled shell");
      }
      return;
    }
  }
  cgroup_ = std::make_unique<Cgroup>(spec.name, spec.limits);
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) throw std::runtime_error(std::string("sandbox: pipe: ") + std::strerror(errno));
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("sandbox: fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // Supervisor: wait until the parent has put us in the cgroup, then enter new namespaces, fork PID 1.
    close(sync[1]);
    char go;
    if (read(sync[0], &go, 1) != 1) _exit(122);
    close(sync[0]);
    supervise(spec);
  }
  close(sync[0]);
  try {
    cgroup_->add(pid_);
  } catch (...) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(sync[1]);
    throw;
  }
  const char go = 1;
  if (write(sync[1], &go, 1) != 1) {
    close(sync[1]);
    throw std::runtime_error("sandbox: cannot start the supervisor");
  }
  close(sync[1]);
}

Sandbox::~Sandbox() {
  kill();
  wait();
}

void Sandbox::kill() {
  if (!reaped_ && pid_ > 0) ::kill(pid_, SIGKILL);
  if (cgroup_) cgroup_->kill_all();
}

ExitInfo Sandbox::wait() {
  if (reaped_ || pid_ <= 0) return exit_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  exit_.exited = WIFEXITED(status);
  exit_.code = exit_.exited ? WEXITSTATUS(status) : 0;
  exit_.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  exit_.oom_killed = cgroup_->oom_killed();
  return exit_;
}

}  // namespace hearth::sandbox
