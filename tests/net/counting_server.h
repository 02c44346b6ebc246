// Test helper: scripts/freshen_net.py's counting HTTP server (/data, /slow, /count) as a child process,
// for tests in C++ (tests/runtime/freshen_test.cc, tests/e2e/freshen_network_live_test.cc).
// Finds the script by HEARTH_SOURCE_DIR (e2e tests) or HEARTH_RUNTIME_DIR (the runtime layer's definition).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

#include "net/http_client.h"

#if defined(HEARTH_SOURCE_DIR)
#define HEARTH_FRESHEN_NET_PY HEARTH_SOURCE_DIR "/scripts/freshen_net.py"
#else
#define HEARTH_FRESHEN_NET_PY HEARTH_RUNTIME_DIR "/../scripts/freshen_net.py"
#endif

namespace hearth::testing {

// scripts/freshen_net.py's HTTP server as a child process: counts the /data and /slow requests it
// served; stopped (stdin closed, then SIGKILL after 5 s) and reaped on destruction. `host`: the address it
// binds (127.0.0.1, or e.g. a container network's gateway).
class CountingServer {
 public:
  explicit CountingServer(std::string host = "127.0.0.1") : host_(std::move(host)) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      execl("/usr/bin/python3", "python3", HEARTH_FRESHEN_NET_PY, "http", "--host", host_.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    FILE* f = fdopen(out[0], "r");
    char line[64] = {0};
    if (f && fgets(line, sizeof line, f)) port_ = static_cast<std::uint16_t>(std::atoi(line));
    if (f) fclose(f);
  }
  ~CountingServer() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ <= 0) return;
    int status = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(5)) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const { return "http://" + host_ + ":" + std::to_string(port_) + path; }
  int requests() const {
    hearth::net::HttpClient client(host_, port_);
    const auto r = client.send({"GET", "/count", "", ""});
    return r.status == 200 ? std::atoi(r.body.c_str()) : -1;
  }

 private:
  std::string host_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace hearth::testing
