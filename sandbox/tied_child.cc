#include "sandbox/tied_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace hearth::sandbox {
namespace {

// Writes "hearth: <what><detail>\n" on fd 2 (async-signal-safe).
void say(const char* what, std::size_t what_len, const char* detail) {
  static const char kHearth[] = "hearth: ";
  (void)!::write(2, kHearth, sizeof kHearth - 1);
  (void)!::write(2, what, what_len);
  (void)!::write(2, detail, std::strlen(detail));
  (void)!::write(2, "\n", 1);
}

}  // namespace

pid_t spawn_tied_child(const TiedChild& child) {
  if (child.argv.empty()) throw std::runtime_error("spawn_tied_child: no program given");
  std::vector<char*> args;
  for (const std::string& a : child.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const bool search_path = child.argv[0].find('/') == std::string::npos;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot run " + child.argv[0] + ": fork: " + std::strerror(errno));
  if (pid != 0) return pid;
  // The child: only async-signal-safe calls from here on.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(kParentGone);
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0 || dup2(child.in_fd >= 0 ? child.in_fd : null_fd, 0) < 0 ||
      dup2(child.out_fd >= 0 ? child.out_fd : null_fd, 1) < 0 || dup2(child.err_fd >= 0 ? child.err_fd : null_fd, 2) < 0)
    _exit(kSetupFailed);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  for (const std::string& procs : child.join_cgroups) {
    const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) {
      static const char kCannotJoin[] = "cannot join the cgroup ";
      say(kCannotJoin, sizeof kCannotJoin - 1, procs.c_str());
      _exit(kSetupFailed);
    }
    ::close(fd);
  }
  if (search_path) execvp(args[0], args.data());
  else execve(args[0], args.data(), environ);
  static const char kCannotExec[] = "cannot execute ";
  say(kCannotExec, sizeof kCannotExec - 1, args[0]);
  _exit(kNotExecuted);
}

}  // namespace hearth::sandbox
