// Test helper: a running `hearth up` on 127.0.0.1 (any free port), SIGTERM and reaped on destruction
// (also when a test fails), and the default namespace's key it prints (random per data directory).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.h"

namespace hearth::testing {

// A running `hearth up`; SIGTERM and reap on destruction (also when a test fails).
class Platform {
 public:
  explicit Platform(const std::string& data_dir, const std::string& extra = "") {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      const std::string cmd = std::string(HEARTH_BINARY) + " up --port 0 --data-dir " + data_dir + " " + extra;
      execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[4096] = {0};
    if (fgets(line, sizeof line, f)) {
      const std::string s(line);
      const auto colon = s.find(':', s.find("127.0.0.1"));
      port_ = static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1)));
      if (const auto wire = s.find("wire 127.0.0.1:"); wire != std::string::npos)
        wire_port_ = static_cast<std::uint16_t>(std::stoi(s.substr(wire + 15)));
    }
    if (fgets(line, sizeof line, f)) {  // export HEARTH_APIHOST=… HEARTH_AUTH=UUID:KEY
      std::string s(line);
      while (!s.empty() && s.back() == '\n') s.pop_back();
      if (const auto at = s.find("HEARTH_AUTH="); at != std::string::npos) auth_pair_ = s.substr(at + 12);
    }
    out_ = f;
  }
  ~Platform() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
    if (out_) fclose(out_);
  }
  // SIGTERM, then waits at most `limit` for the process to exit; past it SIGKILL (so nothing outlives the
  // test). True if it exited by itself within the limit; `*took` is how long it took.
  bool stop_within(std::chrono::milliseconds limit, std::chrono::milliseconds* took = nullptr) {
    if (pid_ <= 0) return false;
    const auto t0 = std::chrono::steady_clock::now();
    kill(pid_, SIGTERM);
    bool exited = false;
    int status = 0;
    while (!(exited = waitpid(pid_, &status, WNOHANG) == pid_) && std::chrono::steady_clock::now() - t0 < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (took) *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return exited;
  }
  std::uint16_t port() const { return port_; }
  // The default namespace's key, from the export line: "UUID:KEY", and as an Authorization header.
  const std::string& auth_pair() const { return auth_pair_; }
  std::string auth() const {
    const auto colon = auth_pair_.find(':');
    return colon == std::string::npos ? "" : hearth::net::basic_auth(auth_pair_.substr(0, colon), auth_pair_.substr(colon + 1));
  }
  std::uint16_t wire_port() const { return wire_port_; }
  pid_t pid() const { return pid_; }
  // The invoker processes it spawned, by name ("invoker0", ...), from their command lines.
  std::map<std::string, pid_t> invokers() const {
    std::map<std::string, pid_t> out;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/task")) {
      std::ifstream children(task.path() / "children");
      for (pid_t child; children >> child;) {
        std::ifstream cmdline("/proc/" + std::to_string(child) + "/cmdline");
        std::vector<std::string> args;
        for (std::string arg; std::getline(cmdline, arg, '\0');) args.push_back(arg);
        for (std::size_t i = 0; i + 1 < args.size(); ++i)
          if (args[i] == "--name") out[args[i + 1]] = child;
      }
    }
    return out;
  }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0, wire_port_ = 0;
  std::string auth_pair_;
  FILE* out_ = nullptr;
};

// A `hearth invoker ARGS` process (ARGS after "invoker", through /bin/sh); SIGTERM and reaped on
// destruction (also when a test fails).
class InvokerProcess {
 public:
  explicit InvokerProcess(const std::string& args) {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string cmd = std::string(HEARTH_BINARY) + " invoker " + args;
      execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~InvokerProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  InvokerProcess(const InvokerProcess&) = delete;
  InvokerProcess& operator=(const InvokerProcess&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace hearth::testing
