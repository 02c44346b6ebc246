#include "sandbox/owner_process.h"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace hearth::sandbox {
namespace {

std::int64_t ns_of(const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

}  // namespace

bool owner_alive(pid_t pid, const std::string& named_path) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat_file, line)) return false;  // gone meanwhile
  const std::size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;  // unreadable: assume it runs
  if (line[paren + 2] == 'Z' || line[paren + 2] == 'X') return false;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  std::uint64_t start_ticks = 0;
  for (int i = 3; fields >> field; ++i)  // field 3 is the state; 22 the start time, in ticks since boot
    if (i == 22) {
      start_ticks = std::stoull(field);
      break;
    }
  struct stat st {};
  if (start_ticks == 0 || ::stat(named_path.c_str(), &st) != 0) return true;
  // The object's modification time on the boot clock the start time counts on.
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  const std::int64_t named_boot_ns = ns_of(boot) - (ns_of(real) - ns_of(st.st_mtim));
  const std::int64_t start_ns = static_cast<std::int64_t>(start_ticks) * (1'000'000'000 / sysconf(_SC_CLK_TCK));
  // The start time's tick (10 ms), the clocks' reads, and the wall clock stepping forward while the owner
  // runs (its objects' mtimes then read as earlier than they were): only a process that started more
  // than this after the object was made is taken for another one.
  constexpr std::int64_t kSlackNs = 1'000'000'000;
  return start_ns <= named_boot_ns + kSlackNs;
}

}  // namespace hearth::sandbox
