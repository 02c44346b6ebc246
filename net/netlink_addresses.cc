#include "net/netlink_addresses.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "net/container_network.h"

namespace hearth::net {

NetlinkAddresses::NetlinkAddresses(const std::string& netns, const std::string& interface)
    : where_(interface + " in " + netns) {
  std::string error;
  std::thread([&] {  // a thread of its own joins the namespace; the socket stays bound to it
    const int ns = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
      error = "join " + netns + ": " + std::strerror(errno);
      if (ns >= 0) close(ns);
      return;
    }
    close(ns);
    ifindex_ = static_cast<int>(if_nametoindex(interface.c_str()));
    if (ifindex_ == 0) {
      error = "no interface " + interface + " in " + netns;
      return;
    }
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd_ < 0) error = std::string("netlink socket: ") + std::strerror(errno);
    const int big = 4 << 20;
    if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }).join();
  if (!error.empty()) {
    if (fd_ >= 0) close(fd_);
    throw std::runtime_error("network: " + error);
  }
}

NetlinkAddresses::~NetlinkAddresses() {
  if (fd_ >= 0) close(fd_);
}

void NetlinkAddresses::change(const std::vector<std::uint32_t>& addresses, int prefix_len, bool add) {
  if (addresses.empty()) return;
  struct Request {
    nlmsghdr header;
    ifaddrmsg ifa;
    rtattr local_attr;
    std::uint32_t local;
    rtattr address_attr;
    std::uint32_t address;
  };
  static_assert(sizeof(Request) == NLMSG_ALIGN(sizeof(Request)));
  std::vector<Request> requests(addresses.size());
  const std::uint32_t first_seq = seq_;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    Request& r = requests[i];
    std::memset(&r, 0, sizeof r);
    r.header.nlmsg_len = sizeof r;
    r.header.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    r.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    r.header.nlmsg_seq = seq_++;
    r.ifa.ifa_family = AF_INET;
    r.ifa.ifa_prefixlen = static_cast<unsigned char>(prefix_len);
    r.ifa.ifa_index = static_cast<unsigned>(ifindex_);
    r.local_attr.rta_len = RTA_LENGTH(4);
    r.local_attr.rta_type = IFA_LOCAL;
    r.local = htonl(addresses[i]);
    r.address_attr.rta_len = RTA_LENGTH(4);
    r.address_attr.rta_type = IFA_ADDRESS;
    r.address = htonl(addresses[i]);
  }
  // Written in chunks the socket's buffers hold; every acknowledgement is read before the next chunk.
  constexpr std::size_t kChunk = 256;
  std::string first_error;
  for (std::size_t begin = 0; begin < requests.size(); begin += kChunk) {
    const std::size_t n = std::min(kChunk, requests.size() - begin);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    const ssize_t sent = sendto(fd_, &requests[begin], n * sizeof(Request), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    if (sent != static_cast<ssize_t>(n * sizeof(Request)))
      throw std::runtime_error("network: netlink send to " + where_ + ": " + std::strerror(errno));
    std::size_t acked = 0;
    alignas(nlmsghdr) char buf[32768];
    while (acked < n) {
      const ssize_t got = recv(fd_, buf, sizeof buf, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) throw std::runtime_error("network: netlink receive from " + where_ + ": " + std::strerror(errno));
      std::size_t len = static_cast<std::size_t>(got);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_type != NLMSG_ERROR) continue;
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        ++acked;
        if (e->error != 0 && first_error.empty()) {
          const std::size_t index = e->msg.nlmsg_seq - first_seq;
          first_error = std::string(add ? "add " : "remove ") +
                        (index < addresses.size() ? format_ipv4(addresses[index]) : std::string("an address")) + " on " +
                        where_ + ": " + std::strerror(-e->error);
        }
      }
    }
  }
  if (!first_error.empty()) throw std::runtime_error("network: " + first_error);
}

}  // namespace hearth::net
