#include "net/netlink_addresses.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <functional>

#include "net/container_network.h"
#include "net/netlink_socket.h"

namespace hearth::net {

NetlinkAddresses::NetlinkAddresses(const std::string& netns, const std::string& interface)
    : where_((interface.empty() ? "" : interface + " in ") + netns) {
  ifindex_ = 1;  // lo
  fd_ = netlink_socket_in(netns, NETLINK_ROUTE, interface, &ifindex_);
}

NetlinkAddresses::~NetlinkAddresses() {
  if (fd_ >= 0) close(fd_);
}

void NetlinkAddresses::change(const std::vector<std::uint32_t>& addresses, int prefix_len, bool add) {
  if (addresses.empty()) return;
  struct Request {
    nlmsghdr header;
    rtmsg rtm;
    rtattr dst_attr;
    std::uint32_t dst;
    rtattr oif_attr;
    std::int32_t oif;
  };
  static_assert(sizeof(Request) == NLMSG_ALIGN(sizeof(Request)));
  std::vector<Request> requests(addresses.size());
  const std::uint32_t first_seq = seq_;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    Request& r = requests[i];
    std::memset(&r, 0, sizeof r);
    r.header.nlmsg_len = sizeof r;
    r.header.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
    r.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    r.header.nlmsg_seq = seq_++;
    r.rtm.rtm_family = AF_INET;
    r.rtm.rtm_dst_len = static_cast<unsigned char>(prefix_len);
    r.rtm.rtm_table = RT_TABLE_LOCAL;
    r.rtm.rtm_protocol = RTPROT_BOOT;
    r.rtm.rtm_scope = RT_SCOPE_HOST;
    r.rtm.rtm_type = RTN_LOCAL;
    r.dst_attr.rta_len = RTA_LENGTH(4);
    r.dst_attr.rta_type = RTA_DST;
    r.dst = htonl(addresses[i]);
    r.oif_attr.rta_len = RTA_LENGTH(4);
    r.oif_attr.rta_type = RTA_OIF;
    r.oif = 1;  // lo, always index 1 in a namespace
  }
  // Written in chunks the socket's buffers hold; every acknowledgement is read before the next chunk.
  constexpr std::size_t kChunk = 256;
  for (std::size_t begin = 0; begin < requests.size(); begin += kChunk) {
    const std::size_t n = std::min(kChunk, requests.size() - begin);
    exchange(&requests[begin], n * sizeof(Request), n, [&](std::uint32_t seq) {
      const std::size_t index = seq - first_seq;
      return std::string(add ? "add " : "remove ") + (index < addresses.size() ? format_ipv4(addresses[index]) : std::string("an address"));
    });
  }
}

void NetlinkAddresses::exchange(const void* requests, std::size_t bytes, std::size_t count,
                                const std::function<std::string(std::uint32_t)>& what) {
  const std::string error = netlink_exchange(fd_, requests, bytes, count, where_, what);
  if (!error.empty()) throw std::runtime_error("network: " + error);
}

void NetlinkAddresses::loopback_up() {
  struct {
    nlmsghdr header;
    ifinfomsg ifi;
  } m;
  std::memset(&m, 0, sizeof m);
  m.header = {sizeof m, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq_++, 0};
  m.ifi.ifi_family = AF_UNSPEC;
  m.ifi.ifi_index = 1;  // lo, always index 1 in a namespace
  m.ifi.ifi_flags = IFF_UP;
  m.ifi.ifi_change = IFF_UP;
  exchange(&m, sizeof m, 1, [](std::uint32_t) { return std::string("set lo up"); });
}

void NetlinkAddresses::bring_up(std::uint32_t address, int prefix_len, std::uint32_t gateway) {
  struct Link {
    nlmsghdr header;
    ifinfomsg ifi;
  };
  struct Address {
    nlmsghdr header;
    ifaddrmsg ifa;
    rtattr local_attr;
    std::uint32_t local;
    rtattr address_attr;
    std::uint32_t address;
  };
  struct Route {
    nlmsghdr header;
    rtmsg rtm;
    rtattr gateway_attr;
    std::uint32_t gateway;
    rtattr oif_attr;
    std::int32_t oif;
  };
  struct {
    Link lo, eth;
    Address addr;
    Route route;
  } m;
  static_assert(sizeof(Link) % NLMSG_ALIGNTO == 0 && sizeof(Address) % NLMSG_ALIGNTO == 0 && sizeof(Route) % NLMSG_ALIGNTO == 0);
  std::memset(&m, 0, sizeof m);
  const std::uint32_t first_seq = seq_;
  const int indexes[2] = {1, ifindex_};  // lo is always index 1 in a namespace
  Link* links[2] = {&m.lo, &m.eth};
  for (int i = 0; i < 2; ++i) {
    links[i]->header = {sizeof(Link), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq_++, 0};
    links[i]->ifi.ifi_family = AF_UNSPEC;
    links[i]->ifi.ifi_index = indexes[i];
    links[i]->ifi.ifi_flags = IFF_UP;
    links[i]->ifi.ifi_change = IFF_UP;
  }
  m.addr.header = {sizeof(Address), RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq_++, 0};
  m.addr.ifa = {AF_INET, static_cast<unsigned char>(prefix_len), 0, RT_SCOPE_UNIVERSE, static_cast<unsigned>(ifindex_)};
  m.addr.local_attr = {RTA_LENGTH(4), IFA_LOCAL};
  m.addr.local = htonl(address);
  m.addr.address_attr = {RTA_LENGTH(4), IFA_ADDRESS};
  m.addr.address = htonl(address);
  m.route.header = {sizeof(Route), RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq_++, 0};
  m.route.rtm.rtm_family = AF_INET;
  m.route.rtm.rtm_table = RT_TABLE_MAIN;
  m.route.rtm.rtm_protocol = RTPROT_BOOT;
  m.route.rtm.rtm_scope = RT_SCOPE_UNIVERSE;
  m.route.rtm.rtm_type = RTN_UNICAST;
  m.route.gateway_attr = {RTA_LENGTH(4), RTA_GATEWAY};
  m.route.gateway = htonl(gateway);
  m.route.oif_attr = {RTA_LENGTH(4), RTA_OIF};
  m.route.oif = ifindex_;
  static const char* const steps[] = {"set lo up", "set the interface up", "add the namespace's address", "add the default route"};
  exchange(&m, sizeof m, 4, [&](std::uint32_t seq) {
    const std::uint32_t i = seq - first_seq;
    return std::string(i < 4 ? steps[i] : "configure");
  });
}

}  // namespace hearth::net
