#include "net/named_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace hearth::net {
namespace {

constexpr const char* kNetnsDir = "/run/netns";

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("network: " + what + ": " + std::strerror(errno)); }

}  // namespace

std::string create_named_netns(const std::string& name) {
  if (mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST) fail(std::string("mkdir ") + kNetnsDir);
  // As ip does: a shared mount, so that a namespace mounted here is seen in every mount namespace; a
  // directory that is not a mount point yet is bind-mounted on itself first.
  if (mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    if (errno != EINVAL) fail(std::string("make ") + kNetnsDir + " a shared mount");
    if (mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) != 0) fail(std::string("bind-mount ") + kNetnsDir);
    if (mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0) fail(std::string("make ") + kNetnsDir + " a shared mount");
  }
  const std::string path = std::string(kNetnsDir) + "/" + name;
  const int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) fail("create " + path);
  close(fd);
  std::string error;
  std::thread([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      error = std::string("unshare a network namespace for ") + path + ": " + std::strerror(errno);
      return;
    }
    if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0)
      error = "bind-mount a network namespace on " + path + ": " + std::strerror(errno);
  }).join();
  if (!error.empty()) {
    unlink(path.c_str());
    throw std::runtime_error("network: " + error);
  }
  return path;
}

}  // namespace hearth::net
