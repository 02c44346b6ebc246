#include "net/host_command.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace hearth::net {

HostCommandResult run_host_command(const std::vector<std::string>& argv, const std::string& stdin_text,
                                   const std::string& netns, std::int64_t timeout_ms) {
  HostCommandResult result;
  if (argv.empty()) {
    result.error = "no command";
    return result;
  }
  int in[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    close(in[0]), close(in[1]);
    return result;
  }
  int ns_fd = -1;
  if (!netns.empty() && (ns_fd = open(netns.c_str(), O_RDONLY | O_CLOEXEC)) < 0) {
    result.error = "open " + netns + ": " + std::strerror(errno);
    close(in[0]), close(in[1]), close(err[0]), close(err[1]);
    return result;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls from here on
    if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
    const int null_fd = open("/dev/null", O_WRONLY);
    if (dup2(in[0], 0) < 0 || dup2(err[1], 2) < 0 || null_fd < 0 || dup2(null_fd, 1) < 0) _exit(126);
    char* env[] = {const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nullptr};
    execve(args[0], args.data(), env);
    _exit(127);
  }
  close(in[0]);
  close(err[1]);
  if (ns_fd >= 0) close(ns_fd);
  if (pid < 0) {
    result.error = std::string("fork: ") + std::strerror(errno);
    close(in[1]), close(err[0]);
    return result;
  }
  // Feed stdin and drain stderr together, so that neither side can block the other.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t written = 0;
  int in_fd = in[1];
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  if (stdin_text.empty()) close(in_fd), in_fd = -1;
  bool timed_out = false;
  for (;;) {
    pollfd p[2] = {{err[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    const int n = poll(p, in_fd >= 0 ? 2 : 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (in_fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t w = write(in_fd, stdin_text.data() + written, stdin_text.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = stdin_text.size();  // the tool stopped reading
      if (written == stdin_text.size()) close(in_fd), in_fd = -1;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      const ssize_t r = read(err[0], buf, sizeof buf);
      if (r == 0) break;  // the tool closed stderr: it is ending
      if (r > 0 && result.error.size() < 65536) result.error.append(buf, static_cast<std::size_t>(r));
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(err[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    result.error = argv[0] + " did not finish within " + std::to_string(timeout_ms) + " ms";
    return result;
  }
  result.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!result.ok) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) result.error = "cannot run " + argv[0];
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 126) result.error = "cannot enter " + netns + " for " + argv[0];
    else if (result.error.empty()) result.error = argv[0] + " failed with status " + std::to_string(status);
    while (!result.error.empty() && result.error.back() == '\n') result.error.pop_back();
  }
  return result;
}

}  // namespace hearth::net
