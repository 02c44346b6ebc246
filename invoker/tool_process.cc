#include "invoker/tool_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace hearth::invoker {

pid_t spawn_tool(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  static const char kCannot[] = "hearth: cannot execute ";
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot run " + argv.at(0) + ": fork: " + std::strerror(errno));
  if (pid == 0) {  // only async-signal-safe calls from here on
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(125);  // the invoker is gone already
    const int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd >= 0 ? out_fd : null_fd, 1) < 0 ||
        dup2(err_fd >= 0 ? err_fd : null_fd, 2) < 0)
      _exit(126);
    sigset_t none;  // the invoker blocks SIGINT/SIGTERM for its signal thread; a tool must not inherit that
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    execve(args[0], args.data(), environ);
    (void)!write(2, kCannot, sizeof kCannot - 1);
    (void)!write(2, args[0], strlen(args[0]));
    (void)!write(2, "\n", 1);
    _exit(kToolNotRun);
  }
  return pid;
}

}  // namespace hearth::invoker
