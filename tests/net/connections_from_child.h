// Test helper: a child process that, once told to, opens `count` TCP connections to 127.0.0.1:`port` and
// holds them until the helper is destroyed (SIGKILL and reap; PR_SET_PDEATHSIG if the test dies first).
// The descriptors are the child's own, so a test that lowers its own RLIMIT_NOFILE can drive its listener
// into accept's EMFILE while the connections wait in the accept queue. A client in the test's own
// process would share the limit: its connect could fail first with nothing left pending, and accept
// would never fail. The child makes only async-signal-safe calls: the test process runs threads, and one
// of them may hold malloc's lock at the moment of the fork.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace hearth::testing {

class ConnectionsFromChild {
 public:
  ConnectionsFromChild(std::uint16_t port, int count) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      close(go[1]);
      char byte = 0;
      if (read(go[0], &byte, 1) != 1) _exit(0);
      for (int i = 0; i < count; ++i) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) break;
        connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);  // EINPROGRESS: the kernel completes it
      }
      for (;;) pause();
    }
    close(go[0]);
    go_ = go[1];
  }
  ~ConnectionsFromChild() {
    if (go_ >= 0) close(go_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ConnectionsFromChild(const ConnectionsFromChild&) = delete;
  ConnectionsFromChild& operator=(const ConnectionsFromChild&) = delete;

  // Tells the child to connect; returns at once.
  void connect_now() {
    const char byte = 1;
    if (write(go_, &byte, 1) != 1) throw std::runtime_error("the connecting child is gone");
  }
  // Closes every connection (kills the child).
  void close_all() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
};

}  // namespace hearth::testing
