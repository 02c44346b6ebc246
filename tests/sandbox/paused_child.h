// Test helper: a child process that only waits (pause), SIGKILLed and reaped on destruction (also when a
// test fails). Stands for "some process under this pid" in the orphan-sweep tests.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hearth::testing {

class PausedChild {
 public:
  PausedChild() : pid_(fork()) {
    if (pid_ == 0) {
      for (;;) pause();
    }
  }
  ~PausedChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  PausedChild(const PausedChild&) = delete;
  PausedChild& operator=(const PausedChild&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

}  // namespace hearth::testing
