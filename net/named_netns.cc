#include "net/named_netns.h"

#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "net/netlink_socket.h"

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

void create_veth_into(const std::string& host_name, const std::string& bridge, const std::string& netns, const std::string& peer_name) {
  const unsigned bridge_index = if_nametoindex(bridge.c_str());
  if (bridge_index == 0) fail("no bridge " + bridge);
  const int ns = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) fail("open " + netns);
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    close(ns);
    fail("netlink socket");
  }
  NetlinkMessages m;
  ifinfomsg plain{};
  plain.ifi_family = AF_UNSPEC;
  const std::size_t create = m.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 1, plain);
  m.string(IFLA_IFNAME, host_name);
  const std::size_t info = m.nest(IFLA_LINKINFO);
  m.string(IFLA_INFO_KIND, "veth");
  const std::size_t data = m.nest(IFLA_INFO_DATA);
  const std::size_t peer = m.nest(VETH_INFO_PEER);
  m.put_struct(plain);  // the peer's own ifinfomsg, then its attributes
  m.string(IFLA_IFNAME, peer_name);
  const std::uint32_t ns_fd = static_cast<std::uint32_t>(ns);
  m.attr(IFLA_NET_NS_FD, &ns_fd, sizeof ns_fd);
  m.close(peer);
  m.close(data);
  m.close(info);
  m.end(create);
  ifinfomsg up = plain;
  up.ifi_flags = IFF_UP;
  up.ifi_change = IFF_UP;
  const std::size_t set = m.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 2, up);
  m.string(IFLA_IFNAME, host_name);
  const std::uint32_t master = bridge_index;
  m.attr(IFLA_MASTER, &master, sizeof master);
  m.end(set);
  std::string error;
  try {
    error = netlink_exchange(fd, m.bytes().data(), m.bytes().size(), 2, "this namespace", [&](std::uint32_t seq) {
      return seq == 1 ? "create the veth " + host_name + " with " + peer_name + " in " + netns
                      : "put " + host_name + " on " + bridge + " and up";
    });
  } catch (...) {
    close(fd);
    close(ns);
    throw;
  }
  close(fd);
  close(ns);
  if (!error.empty()) throw std::runtime_error("network: " + error);
}

}  // namespace hearth::net
