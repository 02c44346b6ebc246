#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "sandbox/sandbox_pool.h"
#include "sandbox/seccomp_profile.h"

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

// Remounts a bind mount read-only, keeping the flags it has (in a user namespace the kernel refuses a
// remount that would clear a flag inherited from the parent namespace, such as nodev or relatime).
void remount_read_only(const std::string& path) {
  struct statvfs vfs {};
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV;
  if (statvfs(path.c_str(), &vfs) == 0) {
    if (vfs.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (vfs.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (vfs.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (vfs.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  }
  check(mount(nullptr, path.c_str(), nullptr, flags, nullptr), ("remount read-only " + path).c_str());
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
  remount_read_only(dst);
}

void write_file(const std::string& path, const std::string& content) {
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die(("create " + path).c_str());
  if (write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) die(("write " + path).c_str());
  close(fd);
}

// The minimal /etc (sandbox.h, kEtcFiles) in the new root's tmpfs.
void make_etc(const std::string& root, const std::string& hostname) {
  mkdirs(root + "/etc");
  for (const EtcFile& f : kEtcFiles) {
    std::string content = f.content;
    for (std::size_t at; (at = content.find("{hostname}")) != std::string::npos;)
      content.replace(at, 10, hostname);
    write_file(root + "/etc/" + f.name, content);
  }
  bind_read_only("/etc/ld.so.cache", root);
  bind_read_only("/etc/alternatives", root);  // Debian's library links (libblas.so.3 -> OpenBLAS or reference)
  check(symlink("/usr/share/zoneinfo/Etc/UTC", (root + "/etc/localtime").c_str()), "symlink /etc/localtime");
}

// /proc as runc masks it (sandbox.h): files under /dev/null, directories under an empty read-only tmpfs,
// the read-only paths bound onto themselves read-only. Entries this kernel does not have are skipped.
void mask_proc() {
  for (const char* path : kMaskedProcPaths) {
    struct stat st {};
    if (lstat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      check(mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555"), path);
    else
      check(mount("/dev/null", path, nullptr, MS_BIND, nullptr), path);
  }
  for (const char* path : kReadOnlyProcPaths) {
    if (access(path, F_OK) != 0) continue;
    check(mount(path, path, nullptr, MS_BIND | MS_REC, nullptr), path);
    remount_read_only(path);
  }
}

// Empties every capability set: bounding (needs CAP_SETPCAP, so before giving up root), ambient, then
// after the uid change inheritable, permitted and effective.
void drop_bounding_and_ambient() {
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap)
    check(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop from the bounding set");
  check(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities");
}

void clear_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  check(static_cast<int>(syscall(SYS_capset, &header, data)), "capset");
}


// Whether this process sandboxes through an unprivileged user namespace (decided once, see privilege()).
bool in_user_namespace_mode() {
  static const bool v = Sandbox::privilege(nullptr) == Privilege::kUserNamespace;
  return v;
}

// PID 1 of the new PID namespace: builds the root and drops every privilege (the seccomp profile is
// loaded last). A zygote (spec.zygote) keeps its /proc unmasked (its forks mount their own /proc, which a
// user namespace allows only while a fully visible one is in view), an empty /mnt to build their roots
// on, and the zygote profile; everything else is the same.
void build_root_and_drop(const SandboxSpec& spec, bool user_namespace) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  check(sethostname(spec.hostname.data(), spec.hostname.size()), "sethostname");
  check(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make mounts private");
  // Build the new root on /mnt: in this private mount namespace the tmpfs hides nothing of the host's.
  const std::string root = "/mnt";
  if (access(root.c_str(), F_OK) != 0) mkdirs(root);
  check(mount("tmpfs", root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755"), "mount root tmpfs");
  bind_read_only("/usr", root);
  make_etc(root, spec.hostname);
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
  // /proc before pivot_root: in a user namespace the kernel mounts a new proc only while a fully visible
  // one is in the mount namespace (the host's, until the old root is detached).
  mkdirs(root + "/proc");
  check(mount("proc", (root + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount /proc");
  if (spec.zygote) mkdirs(root + "/mnt");
  mkdirs(root + "/.old");
  check(static_cast<int>(syscall(SYS_pivot_root, root.c_str(), (root + "/.old").c_str())), "pivot_root");
  check(chdir("/"), "chdir /");
  check(umount2("/.old", MNT_DETACH), "detach the host root");
  rmdir("/.old");
  if (!spec.zygote) mask_proc();
  check(mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), "read-only root");
  if (user_namespace && spec.limits.memory_mb > 0) {
    // No cgroups here (a zygote's fork in a cgroup is sent memory_mb 0): the limits that remain are rlimits. RLIMIT_NPROC counts the processes of this
    // uid in this sandbox's own user namespace, so it bounds the sandbox's processes alone.
    const auto limit = [](int resource, rlim_t value, const char* what) {
      const rlimit r{value, value};
      check(setrlimit(resource, &r), what);
    };
    limit(RLIMIT_DATA, static_cast<rlim_t>(spec.limits.memory_mb) << 20, "RLIMIT_DATA");
    limit(RLIMIT_NPROC, static_cast<rlim_t>(spec.limits.pids_max), "RLIMIT_NPROC");
  }
  const rlimit no_core{0, 0};
  check(setrlimit(RLIMIT_CORE, &no_core), "RLIMIT_CORE");
  // Privileges: no capabilities at all, nobody, no supplementary groups (in a user namespace setgroups is
  // denied and 65534 is the only id mapped), no new privileges.
  drop_bounding_and_ambient();
  if (!user_namespace) check(setgroups(0, nullptr), "setgroups");
  check(setgid(65534), "setgid");
  check(setuid(65534), "setuid");
  clear_capabilities();
  // A uid change clears the parent-death signal: set it again, so the program dies with its supervisor
  // (in the user-namespace mode there is no cgroup to kill it by).
  check(prctl(PR_SET_PDEATHSIG, SIGKILL), "parent-death signal");
  check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
  if (const int rc = spec.zygote ? install_zygote_seccomp_profile() : install_seccomp_profile(); rc != 0) {
    errno = -rc;
    die("seccomp profile");
  }
}

[[noreturn]] void run_program(const SandboxSpec& spec, bool user_namespace) {
  build_root_and_drop(spec, user_namespace);
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char env_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  char env_home[] = "HOME=/tmp";
  char* envp[] = {env_path, env_home, nullptr};
  execve(argv[0], argv.data(), envp);
  die(("exec " + spec.argv[0]).c_str());
}

// Writes one line to a /proc/self file (user namespace maps).
bool write_proc_self(const char* file, const std::string& line) {
  const int fd = open((std::string("/proc/self/") + file).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  close(fd);
  return ok;
}

// Reads a number from a /proc/sys file; `fallback` when it is absent.
long read_sysctl(const char* path, long fallback) {
  std::ifstream in(path);
  long v = fallback;
  if (in && !(in >> v)) v = fallback;
  return v;
}

// Enters a new user namespace in which the caller's uid and gid (the only ones an unprivileged process
// may map) are 65534, as bubblewrap does; the process then holds every capability inside it, enough to
// create the other namespaces and build the root.
// Root without writable cgroups first becomes nobody, so that the one id the namespace maps is nobody's,
// never the host's root. That uid change makes the process non-dumpable, which hands its /proc/self files
// to root: it is made dumpable while it writes its maps, and not after.
bool enter_user_namespace() {
  const bool was_root = geteuid() == 0;
  if (was_root && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0 ||
                   prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || prctl(PR_SET_DUMPABLE, 1) != 0))
    return false;
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER) != 0) return false;
  const bool mapped = write_proc_self("setgroups", "deny") &&
                      write_proc_self("uid_map", "65534 " + std::to_string(uid) + " 1") &&
                      write_proc_self("gid_map", "65534 " + std::to_string(gid) + " 1");
  return mapped && (!was_root || prctl(PR_SET_DUMPABLE, 0) == 0);
}

}  // namespace

std::optional<Privilege> Sandbox::privilege(std::string* why) {
  static const std::pair<std::optional<Privilege>, std::string> decided = [] {
    std::pair<std::optional<Privilege>, std::string> d;
    if (geteuid() == 0 && access("/sys/fs/cgroup", W_OK) == 0) {
      d.first = Privilege::kRoot;
      return d;
    }
    const std::string not_root = geteuid() == 0 ? "/sys/fs/cgroup is not writable" : "not root";
    if (read_sysctl("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0) {
      d.second = not_root + " and kernel.unprivileged_userns_clone is 0 (no unprivileged user namespaces)";
      return d;
    }
    if (read_sysctl("/proc/sys/user/max_user_namespaces", 1) <= 0) {
      d.second = not_root + " and user.max_user_namespaces is 0 (no user namespaces)";
      return d;
    }
    // Other restrictions (AppArmor's apparmor_restrict_unprivileged_userns, seccomp of a container this
    // runs in, a full namespace count): try it, in a child that does exactly what a supervisor does.
    const pid_t child = fork();
    if (child == 0) _exit(enter_user_namespace() && unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET) == 0 ? 0 : 1);
    int status = 1;
    if (child > 0)
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
    if (child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      d.first = Privilege::kUserNamespace;
    } else {
      d.second = not_root + " and this process cannot create a user namespace";
    }
    return d;
  }();
  if (why && !decided.first) *why = decided.second;
  return decided.first;
}

namespace {

// Keeps only `spec.fds`, at their numbers.
void install_fds(const SandboxSpec& spec) {
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
}

// After the namespaces were created: the supervisor waits for PID 1 and ends as it ended.
[[noreturn]] void supervise_init(const SandboxSpec& spec, pid_t init) {
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

}  // namespace

[[noreturn]] void supervise(const SandboxSpec& spec) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  install_fds(spec);
  const bool user_namespace = in_user_namespace_mode();
  int new_net = CLONE_NEWNET;
  if (!spec.netns.empty()) {
    // A container network's namespace belongs to the initial user namespace: joined as root, first.
    if (user_namespace) {
      errno = EPERM;
      die("join a container network (needs root; this sandbox is in the user-namespace mode)");
    }
    const int fd = open(spec.netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(("open " + spec.netns).c_str());
    check(setns(fd, CLONE_NEWNET), ("join " + spec.netns).c_str());
    close(fd);
    new_net = 0;
  }
  // PID 1 (and so the program) starts in `net_cgroup` (clone3's CLONE_INTO_CGROUP): no migration, whose
  // write lock waits for an RCU grace period (docs/sandbox.md), on the cold-start path.
  int net_cgroup = -1;
  if (!spec.net_cgroup.empty() && (net_cgroup = open(spec.net_cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    die(("open " + spec.net_cgroup).c_str());
  if (user_namespace && !enter_user_namespace()) die("enter a user namespace");
  check(unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | new_net | CLONE_NEWPID), "unshare");
  pid_t init;
  if (net_cgroup >= 0) {
    clone_args args{};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<std::uint64_t>(net_cgroup);
    init = static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof args));
    if (init > 0) close(net_cgroup);
  } else {
    init = fork();
  }
  if (init < 0) die("fork");
  if (init == 0) run_program(spec, user_namespace);
  supervise_init(spec, init);
}

int enter_forked_sandbox(int report, void (*attached)()) {
  // Tell the platform who we are: the kernel writes this process's pid as the platform sees it.
  const ucred self{getpid(), geteuid(), getegid()};
  if (!send_with(report, "z", SCM_CREDENTIALS, &self, sizeof self)) die("report the pid");
  // The view to build (hostname, /tmp, read-only paths), sent once the platform has put this process in
  // its cgroup: everything forked from here on is in it.
  SandboxSpec view;
  if (!receive_spec(report, &view)) _exit(0);  // the platform let the zygote go, or a malformed spec
  for (const auto& [fd, to] : view.fds) close(fd);  // a view carries none
  view.fds.clear();
  view.zygote = false;         // the fork's own /proc masked, the function's seccomp profile on top
  view.limits.memory_mb = 0;   // rlimits, if any, come with the second spec
  // A user namespace of its own (nobody, 65534, the one id mapped), created by this unprivileged process:
  // the namespaces below belong to it, not to the zygote, and RLIMIT_NPROC counts this sandbox alone.
  if (!enter_user_namespace()) die("enter a user namespace");
  // A view naming a network namespace: the zygote was started in that container network (its supervisor
  // joined it as root) and the fork stays in it — it could not join one itself — having been put in its
  // own cgroup v2 directory (its address's pin) by the platform before this view was sent.
  const int new_net = view.netns.empty() ? CLONE_NEWNET : 0;
  check(unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | new_net | CLONE_NEWPID), "unshare");
  const pid_t init = fork();
  if (init < 0) die("fork");
  if (init != 0) {
    close(report);
    supervise_init(view, init);
  }
  build_root_and_drop(view, /*user_namespace=*/true);
  if (attached) attached();  // in PID 1, isolated: the pages it copies are this sandbox's own
  // Isolated and unprivileged: say so, and wait until a cold start sends the runtime's descriptors and limits.
  if (send(report, "r", 1, MSG_NOSIGNAL) != 1) _exit(0);
  SandboxSpec run;
  if (!receive_spec(report, &run)) _exit(0);
  install_fds(run);  // closes `report` too
  if (run.limits.memory_mb > 0) {  // no cgroup (user-namespace mode): the limits a rootless sandbox has
    const rlimit data{static_cast<rlim_t>(run.limits.memory_mb) << 20, static_cast<rlim_t>(run.limits.memory_mb) << 20};
    const rlimit nproc{static_cast<rlim_t>(run.limits.pids_max), static_cast<rlim_t>(run.limits.pids_max)};
    check(setrlimit(RLIMIT_DATA, &data), "RLIMIT_DATA");
    check(setrlimit(RLIMIT_NPROC, &nproc), "RLIMIT_NPROC");
  }
  return 0;
}

Sandbox::Sandbox(const SandboxSpec& spec, SandboxPool* pool) {
  if (spec.argv.empty()) throw std::invalid_argument("sandbox: empty argv");
  // Compiled once here, in the platform's process: the supervisor forked below only loads it.
  if (const int rc = prepare_seccomp_profile(); rc != 0)
    throw std::runtime_error(std::string("sandbox: cannot compile the seccomp profile: ") + std::strerror(-rc));
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
  const bool user_namespace = in_user_namespace_mode();
  if (!user_namespace) {
    std::string why;
    if (!privilege(&why)) throw std::runtime_error("sandbox: cannot sandbox here: " + why);
    cgroup_ = std::make_unique<Cgroup>(spec.name, spec.limits);
  }
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) throw std::runtime_error(std::string("sandbox: pipe: ") + std::strerror(errno));
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("sandbox: fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // Supervisor: wait until the parent has put us in the cgroup (if any), then enter new namespaces,
    // fork PID 1.
    close(sync[1]);
    char go;
    if (read(sync[0], &go, 1) != 1) _exit(122);
    close(sync[0]);
    supervise(spec);
  }
  close(sync[0]);
  try {
    if (cgroup_) cgroup_->add(pid_);
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

Sandbox::Sandbox(pid_t pid, int pidfd, std::unique_ptr<Cgroup> cgroup, std::shared_ptr<void> keep)
    : cgroup_(std::move(cgroup)), pid_(pid), pidfd_(pidfd), keep_(std::move(keep)) {}

Sandbox::~Sandbox() {
  kill();
  wait();
}

void Sandbox::kill() {
  if (!reaped_ && pidfd_ >= 0) syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);  // never a reused pid
  else if (!reaped_ && pid_ > 0) ::kill(pid_, SIGKILL);
  if (cgroup_) cgroup_->kill_all();
}

ExitInfo Sandbox::wait() {
  if (reaped_ || pid_ <= 0) return exit_;
  if (pidfd_ >= 0) {  // not our child (its zygote reaps it): readable once it has ended; no status
    pollfd p{pidfd_, POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    close(pidfd_);
    pidfd_ = -1;
    reaped_ = true;
    exit_.signal = SIGKILL;
    exit_.oom_killed = cgroup_ && cgroup_->oom_killed();
    return exit_;
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  exit_.exited = WIFEXITED(status);
  exit_.code = exit_.exited ? WEXITSTATUS(status) : 0;
  exit_.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  exit_.oom_killed = cgroup_ && cgroup_->oom_killed();
  return exit_;
}

}  // namespace hearth::sandbox
