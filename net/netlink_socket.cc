#include "net/netlink_socket.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace hearth::net {

std::size_t NetlinkMessages::begin_header(std::uint16_t type, std::uint16_t flags, std::uint32_t seq) {
  const std::size_t at = buf_.size();
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  put(&h, sizeof h);
  return at;
}

void NetlinkMessages::end(std::size_t message) {
  const auto len = static_cast<std::uint32_t>(buf_.size() - message);
  std::memcpy(buf_.data() + message + offsetof(nlmsghdr, nlmsg_len), &len, sizeof len);
}

void NetlinkMessages::attr(std::uint16_t type, const void* data, std::size_t len) {
  nlattr a{};
  a.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + len);
  a.nla_type = type;
  put(&a, sizeof a);
  put(data, len);
}

std::size_t NetlinkMessages::nest(std::uint16_t type) {
  const std::size_t at = buf_.size();
  nlattr a{};
  a.nla_type = type | NLA_F_NESTED;
  put(&a, sizeof a);
  return at;
}

void NetlinkMessages::close(std::size_t nest) {
  const auto len = static_cast<std::uint16_t>(buf_.size() - nest);
  std::memcpy(buf_.data() + nest + offsetof(nlattr, nla_len), &len, sizeof len);
}

void NetlinkMessages::put(const void* data, std::size_t len) {
  buf_.append(static_cast<const char*>(data), len);
  buf_.append(NLA_ALIGN(len) - len, '\0');
}

int netlink_socket_in(const std::string& netns, int protocol, const std::string& interface, int* ifindex) {
  std::string error;
  int fd = -1;
  std::thread([&] {  // a thread of its own joins the namespace; the socket stays bound to it
    const int ns = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
      error = "join " + netns + ": " + std::strerror(errno);
      if (ns >= 0) close(ns);
      return;
    }
    close(ns);
    if (!interface.empty() && (*ifindex = static_cast<int>(if_nametoindex(interface.c_str()))) == 0) {
      error = "no interface " + interface + " in " + netns;
      return;
    }
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) error = std::string("netlink socket in ") + netns + ": " + std::strerror(errno);
  }).join();
  if (!error.empty()) throw std::runtime_error("network: " + error);
  const int big = 8 << 20;  // a burst is one message (nfnetlink) or many acknowledgements; root may exceed [rw]mem_max
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  return fd;
}

std::string netlink_exchange(int fd, const void* requests, std::size_t bytes, std::size_t count, const std::string& where,
                             const std::function<std::string(std::uint32_t seq)>& what) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, requests, bytes, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) != static_cast<ssize_t>(bytes))
    throw std::runtime_error("network: netlink send in " + where + ": " + std::strerror(errno));
  std::string first_error;
  std::size_t answered = 0;
  alignas(nlmsghdr) char buf[65536];
  while (answered < count) {
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, first_error.empty() ? 10'000 : 200);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (!first_error.empty()) break;
      throw std::runtime_error("network: no netlink answer in " + where + " within 10 s");
    }
    const ssize_t got = recv(fd, buf, sizeof buf, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw std::runtime_error("network: netlink receive in " + where + ": " + std::strerror(errno));
    std::size_t len = static_cast<std::size_t>(got);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      ++answered;
      if (e->error != 0 && first_error.empty()) first_error = what(e->msg.nlmsg_seq) + " in " + where + ": " + std::strerror(-e->error);
    }
  }
  return first_error;
}

}  // namespace hearth::net
