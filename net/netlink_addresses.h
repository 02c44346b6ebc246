// NetlinkAddresses: adds and removes many IPv4 addresses on one interface of one network namespace in a
// single rtnetlink exchange (all requests written at once, then every acknowledgement read), instead of
// one `ip addr add` round trip each: Particle's burst path (container_network.h; docs/network.md).
// Contract: the socket is opened inside `netns` (a /run/netns file) by a short-lived thread that joins
// it, so the calling threads' namespaces never change; `interface` must exist there. Not thread-safe (the
// owner serialises calls). Throws std::runtime_error naming the namespace, the interface and the first
// address the kernel refused; addresses of the batch before it stay added (the caller undoes them).
// Cost: one sendmsg of N * 40 bytes and N acknowledgements per call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::net {

class NetlinkAddresses {
 public:
  NetlinkAddresses(const std::string& netns, const std::string& interface);
  ~NetlinkAddresses();
  NetlinkAddresses(const NetlinkAddresses&) = delete;
  NetlinkAddresses& operator=(const NetlinkAddresses&) = delete;

  void add(const std::vector<std::uint32_t>& addresses, int prefix_len = 32) { change(addresses, prefix_len, true); }
  void remove(const std::vector<std::uint32_t>& addresses, int prefix_len = 32) { change(addresses, prefix_len, false); }

 private:
  void change(const std::vector<std::uint32_t>& addresses, int prefix_len, bool add);
  std::string where_;
  int fd_ = -1;
  int ifindex_ = 0;
  std::uint32_t seq_ = 1;
};

}  // namespace hearth::net
