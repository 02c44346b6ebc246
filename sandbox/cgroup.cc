#include "sandbox/cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sandbox/owner_process.h"

namespace hearth::sandbox {
namespace {

const std::string kRoot = "/sys/fs/cgroup";

void write_file(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) throw std::runtime_error("cgroup: cannot write '" + value + "' to " + path + ": " + std::strerror(errno));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void make_dir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error("cgroup: cannot create " + path + ": " + std::strerror(errno));
}

std::int64_t field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  std::int64_t v;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

}  // namespace

bool Cgroup::unified() { return access((kRoot + "/cgroup.controllers").c_str(), F_OK) == 0; }

Cgroup::Cgroup(const std::string& name, const CgroupLimits& limits) : v2_(unified()) {
  if (v2_) {
    make_dir(kRoot + "/hearth");
    write_file(kRoot + "/cgroup.subtree_control", "+memory +cpu +pids");
    write_file(kRoot + "/hearth/cgroup.subtree_control", "+memory +cpu +pids");
    dirs_.push_back(kRoot + "/hearth/" + name);
    make_dir(dirs_[0]);
    if (access((dirs_[0] + "/memory.swap.max").c_str(), F_OK) == 0) write_file(dirs_[0] + "/memory.swap.max", "0");
  } else {
    for (const char* controller : {"memory", "cpu", "pids"}) {
      make_dir(kRoot + "/" + controller + "/hearth");
      dirs_.push_back(kRoot + "/" + controller + "/hearth/" + name);
      make_dir(dirs_.back());
    }
    write_file(dirs_[1] + "/cpu.cfs_period_us", "100000");
  }
  set_limits(limits);
}

void Cgroup::set_limits(const CgroupLimits& limits) {
  const std::string memory = std::to_string(limits.memory_mb << 20);
  if (v2_) {
    write_file(dirs_[0] + "/memory.max", memory);
    write_file(dirs_[0] + "/pids.max", std::to_string(limits.pids_max));
  } else {
    // memory+swap may never be below memory: lift it, set memory, then bring it down to memory (no swap).
    const bool memsw = access((dirs_[0] + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0;
    if (memsw) write_file(dirs_[0] + "/memory.memsw.limit_in_bytes", "-1");
    write_file(dirs_[0] + "/memory.limit_in_bytes", memory);
    if (memsw) write_file(dirs_[0] + "/memory.memsw.limit_in_bytes", memory);
    write_file(dirs_[2] + "/pids.max", std::to_string(limits.pids_max));
  }
  set_cpu_quota(limits.cpu_millicores);
}

Cgroup::~Cgroup() {
  try {
    kill_all();
  } catch (...) {
  }
  for (const std::string& d : dirs_) {
    for (int i = 0; i < 100 && rmdir(d.c_str()) != 0 && errno == EBUSY; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void Cgroup::add(pid_t pid) {
  for (const std::string& d : dirs_) write_file(d + "/cgroup.procs", std::to_string(pid));
}

std::vector<std::string> Cgroup::procs_files() const {
  std::vector<std::string> files;
  for (const std::string& d : dirs_) files.push_back(d + "/cgroup.procs");
  return files;
}

void Cgroup::set_cpu_quota(std::int64_t millicores) {
  const std::int64_t quota = millicores * 100;  // µs per 100 ms period
  if (v2_) write_file(dirs_[0] + "/cpu.max", std::to_string(quota) + " 100000");
  else write_file(dirs_[1] + "/cpu.cfs_quota_us", std::to_string(quota));
}

std::int64_t Cgroup::cpu_quota_millicores() const {
  if (v2_) {
    std::istringstream in(read_file(dirs_[0] + "/cpu.max"));
    std::int64_t quota = 0;
    in >> quota;
    return quota / 100;
  }
  return std::stoll(read_file(dirs_[1] + "/cpu.cfs_quota_us")) / 100;
}

namespace {

// The sum of every `key=value` field named `key` in io.stat (one line per device).
std::int64_t io_stat_sum(const std::string& text, const std::string& key) {
  std::int64_t total = 0;
  std::istringstream in(text);
  std::string word;
  while (in >> word)
    if (word.compare(0, key.size() + 1, key + "=") == 0) total += std::stoll(word.substr(key.size() + 1));
  return total;
}

// utime + stime + cutime + cstime of `pid` in µs (fields 14-17 of /proc/<pid>/stat, after the command).
std::int64_t process_cpu_usec(const std::string& pid) {
  const std::string stat = read_file("/proc/" + pid + "/stat");
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream in(stat.substr(paren + 2));
  std::string f;
  std::int64_t ticks = 0;
  for (int i = 3; i <= 17 && in >> f; ++i)
    if (i >= 14) ticks += std::stoll(f);
  return ticks * 1'000'000 / sysconf(_SC_CLK_TCK);
}

}  // namespace

CgroupUsage Cgroup::usage() const {
  CgroupUsage u;
  if (v2_) {
    u.cpu_usec = field(read_file(dirs_[0] + "/cpu.stat"), "usage_usec");
    std::string peak = read_file(dirs_[0] + "/memory.peak");
    if (peak.empty()) peak = read_file(dirs_[0] + "/memory.current");
    u.memory_peak_bytes = peak.empty() ? 0 : std::stoll(peak);
    const std::string io = read_file(dirs_[0] + "/io.stat");
    u.io_bytes = io_stat_sum(io, "rbytes") + io_stat_sum(io, "wbytes");
    return u;
  }
  const std::string max_usage = read_file(dirs_[0] + "/memory.max_usage_in_bytes");
  u.memory_peak_bytes = max_usage.empty() ? 0 : std::stoll(max_usage);
  std::istringstream procs(read_file(dirs_[0] + "/cgroup.procs"));
  std::string pid;
  while (procs >> pid) {
    u.cpu_usec += process_cpu_usec(pid);
    const std::string io = read_file("/proc/" + pid + "/io");
    u.io_bytes += field(io, "read_bytes:") + field(io, "write_bytes:");
  }
  return u;
}

bool Cgroup::oom_killed() const {
  if (v2_) return field(read_file(dirs_[0] + "/memory.events"), "oom_kill") > 0;
  const std::string oom = read_file(dirs_[0] + "/memory.oom_control");
  return field(oom, "oom_kill") > 0;
}

namespace {

// The pid in a group name "hearth-<pid>-...", or 0 when the name is not of that shape.
pid_t owner_of(const std::string& name) {
  static const std::string prefix = "hearth-";
  if (name.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::size_t dash = name.find('-', prefix.size());
  if (dash == std::string::npos || dash == prefix.size()) return 0;
  pid_t pid = 0;
  for (std::size_t i = prefix.size(); i < dash; ++i) {
    if (name[i] < '0' || name[i] > '9' || pid > 100'000'000) return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

}  // namespace

std::size_t Cgroup::remove_orphans() {
  std::vector<std::string> parents;
  if (unified()) parents.push_back(kRoot + "/hearth");
  else
    for (const char* controller : {"memory", "cpu", "pids"}) parents.push_back(kRoot + "/" + controller + "/hearth");
  std::size_t removed = 0;
  for (const std::string& parent : parents) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
      if (!entry.is_directory()) continue;
      const pid_t owner = owner_of(entry.path().filename().string());
      const std::string dir = entry.path().string();
      if (owner <= 0 || owner_alive(owner, dir)) continue;  // not a platform group, or its owner runs
      for (int round = 0; round < 200; ++round) {
        std::istringstream in(read_file(dir + "/cgroup.procs"));
        bool any = false;
        for (pid_t pid; in >> pid;) {
          any = true;
          ::kill(pid, SIGKILL);
        }
        if (!any || rmdir(dir.c_str()) == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (rmdir(dir.c_str()) == 0 || errno == ENOENT) ++removed;
    }
  }
  return removed;
}

void Cgroup::kill_all() {
  for (int round = 0; round < 200; ++round) {
    bool any = false;
    std::istringstream in(read_file(dirs_[v2_ ? 0 : 2] + "/cgroup.procs"));
    for (pid_t pid; in >> pid;) {
      if (pid == getpid()) continue;  // a defect elsewhere must not take the platform down with the group
      any = true;
      ::kill(pid, SIGKILL);
    }
    if (!any) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace hearth::sandbox
