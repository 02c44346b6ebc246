// Test helper for the crash tests (tests/e2e/crash_test.cc): what a SIGKILLed invoker may leave behind.
// - Processes: `descendants(pid)` lists a process's descendants (pid + start time, so a recycled pid is
//   never mistaken for one) from /proc; `survivors(list)` those of a list still running (not zombies);
//   `doomed(p, list)` whether one of them is on its way out by itself (exiting, SIGKILL pending, or under
//   such a parent).
// - `named_after(p, pid)`: whether a process carries such a name (below), so a restart can find it.
// - Names: `named_leftovers(pid, invoker_dir)` lists everything on the host named after a dead invoker's
//   pid, the way the platform names what it creates: cgroups hearth/hearth-<pid>-* (v1 memory/cpu/pids or
//   v2), processes whose command line names hearth-<pid>- or hearth-snapshots-<pid> (runsc sandboxes and
//   gofers carry their container id and state root), mounts naming either, network namespaces whose name
//   holds the pid, and the directory <invoker_dir>/snapshots/hearth-snapshots-<pid>.
// Cost: one pass over /proc per call (a few ms). Reads only; never kills.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace hearth::testing {

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::uint64_t start = 0;  // /proc/<pid>/stat field 22: with the pid, names one process for ever
  char state = '?';
  std::string cmdline;      // arguments joined by spaces
  std::string comm;
  std::string cgroup;       // /proc/<pid>/cgroup, lines joined by spaces
  bool dying = false;       // exiting (PF_EXITING) or with a SIGKILL pending: gone in a moment
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One process's /proc entry, or pid 0 when it is gone.
inline ProcInfo proc_info(pid_t pid) {
  ProcInfo p;
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= stat.size()) return p;
  p.pid = pid;
  p.comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  std::vector<std::string> f;
  while (rest >> field) f.push_back(field);
  if (f.size() < 20) return ProcInfo{};
  p.state = f[0][0];
  p.ppid = static_cast<pid_t>(std::stol(f[1]));
  p.start = std::stoull(f[19]);
  constexpr unsigned long kExiting = 0x4, kSigkill = 1ul << (SIGKILL - 1);  // PF_EXITING; a signal mask bit
  p.dying = (std::stoul(f[6]) & kExiting) != 0;
  std::istringstream status(read_text("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("SigPnd:") || line.starts_with("ShdPnd:")) p.dying |= (std::stoul(line.substr(7), nullptr, 16) & kSigkill) != 0;
  std::string cmd = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : cmd)
    if (c == '\0') c = ' ';
  p.cmdline = cmd;
  std::string groups = read_text("/proc/" + std::to_string(pid) + "/cgroup");
  for (char& c : groups)
    if (c == '\n') c = ' ';
  p.cgroup = groups;
  return p;
}

inline std::vector<ProcInfo> all_processes() {
  std::vector<ProcInfo> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    ProcInfo p = proc_info(static_cast<pid_t>(std::stol(name)));
    if (p.pid) out.push_back(std::move(p));
  }
  return out;
}

// Every descendant of `root` (not itself), at this moment.
inline std::vector<ProcInfo> descendants(pid_t root) {
  const std::vector<ProcInfo> all = all_processes();
  std::vector<ProcInfo> out;
  std::vector<pid_t> frontier = {root};
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    for (const ProcInfo& p : all)
      if (p.ppid == parent) {
        out.push_back(p);
        frontier.push_back(p.pid);
      }
  }
  return out;
}

// Those of `procs` still running: the same pid with the same start time, not a zombie.
inline std::vector<ProcInfo> survivors(const std::vector<ProcInfo>& procs) {
  std::vector<ProcInfo> out;
  for (const ProcInfo& p : procs) {
    const ProcInfo now = proc_info(p.pid);
    if (now.pid && now.start == p.start && now.state != 'Z' && now.state != 'X') out.push_back(now);
  }
  return out;
}

// Whether `p` (now) will end without anyone's help: it is dying, or its parent at the time `started` was
// taken still runs and is doomed itself (a parent-death signal, or a PID namespace's init taking its
// members with it, follows). A process whose parent is gone and is not dying lives on.
inline bool doomed(const ProcInfo& p, const std::vector<ProcInfo>& started, int depth = 0) {
  if (p.dying) return true;
  if (depth > 64) return false;
  for (const ProcInfo& was : started)
    if (was.pid == p.pid && was.start == p.start)
      for (const ProcInfo& parent : started)
        if (parent.pid == was.ppid) {
          const ProcInfo now = proc_info(parent.pid);
          return now.pid && now.start == parent.start && now.state != 'Z' && doomed(now, started, depth + 1);
        }
  return false;
}

// Whether `p` carries the name of invoker `pid` (a cgroup hearth-<pid>-*, or a command line naming one of
// its containers or its snapshot directory): the next invoker's cleanup can find it by that name.
inline bool named_after(const ProcInfo& p, pid_t pid) {
  const std::string group = "hearth-" + std::to_string(pid) + "-", snaps = "hearth-snapshots-" + std::to_string(pid);
  return p.cgroup.find(group) != std::string::npos || p.cmdline.find(group) != std::string::npos ||
         p.cmdline.find(snaps) != std::string::npos;
}

// How many seconds ago the newest of the top-level objects named after `pid` (its cgroup directories,
// <invoker_dir>/snapshots/hearth-snapshots-<pid>) was last modified: what a sweep compares with the start
// of a process under that pid (sandbox/owner_process.h). A large number when there is none.
inline double newest_named_age_s(pid_t pid, const std::string& invoker_dir) {
  namespace fs = std::filesystem;
  const std::string group = "hearth-" + std::to_string(pid) + "-";
  std::vector<fs::path> paths = {fs::path(invoker_dir) / "snapshots" / ("hearth-snapshots-" + std::to_string(pid))};
  std::error_code ec;
  for (const char* parent : {"/sys/fs/cgroup/hearth", "/sys/fs/cgroup/memory/hearth", "/sys/fs/cgroup/cpu/hearth",
                             "/sys/fs/cgroup/pids/hearth"})
    for (const auto& e : fs::directory_iterator(parent, ec))
      if (e.path().filename().string().starts_with(group)) paths.push_back(e.path());
  double newest = 1e9;
  for (const fs::path& p : paths) {
    const auto t = fs::last_write_time(p, ec);
    if (ec) continue;
    newest = std::min(newest, std::chrono::duration<double>(fs::file_time_type::clock::now() - t).count());
  }
  return newest;
}

inline std::string describe(const std::vector<ProcInfo>& procs) {
  std::string s;
  for (const ProcInfo& p : procs) s += "\n  pid " + std::to_string(p.pid) + " (" + p.comm + "): " + p.cmdline.substr(0, 200);
  return s;
}

// Everything named after the dead invoker `pid` (see the header comment), one line each.
inline std::vector<std::string> named_leftovers(pid_t pid, const std::string& invoker_dir) {
  namespace fs = std::filesystem;
  const std::string group = "hearth-" + std::to_string(pid) + "-", snaps = "hearth-snapshots-" + std::to_string(pid);
  std::vector<std::string> out;
  std::error_code ec;
  for (const char* parent : {"/sys/fs/cgroup/hearth", "/sys/fs/cgroup/memory/hearth", "/sys/fs/cgroup/cpu/hearth",
                             "/sys/fs/cgroup/pids/hearth"})
    for (const auto& e : fs::directory_iterator(parent, ec))
      if (e.path().filename().string().starts_with(group)) out.push_back("cgroup " + e.path().string());
  for (const ProcInfo& p : all_processes())
    if (p.state != 'Z' && (p.cmdline.find(group) != std::string::npos || p.cmdline.find(snaps) != std::string::npos))
      out.push_back("process " + std::to_string(p.pid) + ": " + p.cmdline.substr(0, 200));
  std::istringstream mounts(read_text("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);)
    if (line.find(group) != std::string::npos || line.find(snaps) != std::string::npos) out.push_back("mount " + line);
  for (const auto& e : fs::directory_iterator("/run/netns", ec))
    if (e.path().filename().string().find(std::to_string(pid)) != std::string::npos) out.push_back("netns " + e.path().string());
  const fs::path dir = fs::path(invoker_dir) / "snapshots" / snaps;
  if (fs::exists(dir, ec)) out.push_back("directory " + dir.string());
  return out;
}

}  // namespace hearth::testing
