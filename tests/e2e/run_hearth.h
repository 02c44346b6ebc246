// Test helper: runs the real `hearth` binary with arguments and captures what it prints.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

namespace hearth::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

// Runs `cmd` with /bin/sh, capturing what it writes to stdout, and its exit code (-1: it did not exit).
inline CliRun run_shell(const std::string& cmd) {
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `hearth ARGS`, capturing stdout (stderr goes to a file whose text is appended after "\n--stderr--\n").
inline CliRun hearth(const std::string& args) {
  const std::filesystem::path err = std::filesystem::temp_directory_path() / ("hearth_e2e_" + std::to_string(::getpid()) + ".err");
  CliRun r = run_shell(std::string(HEARTH_BINARY) + " " + args + " 2>" + err.string());
  std::ifstream e(err);
  r.out += "\n--stderr--\n" + std::string(std::istreambuf_iterator<char>(e), {});
  std::filesystem::remove(err);
  return r;
}

inline nlohmann::json json_of(const CliRun& r) {
  const auto end = r.out.find("\n--stderr--\n");
  return nlohmann::json::parse(r.out.substr(0, end));
}

}  // namespace hearth::testing
