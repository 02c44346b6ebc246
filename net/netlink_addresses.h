// NetlinkAddresses: makes many IPv4 addresses local to one network namespace in a single rtnetlink exchange
// (all requests written at once, then every acknowledgement read), instead of one `ip` round trip each:
// Particle's burst path (container_network.h; docs/network.md). An address is made local by a local
// route (`ip route add local A/32 dev lo table local`, "AnyIP"), not an interface address: the kernel
// then accepts, bind()s and answers ARP for it on every interface exactly as for an assigned one, but the
// insert is a route-table insert, while each interface address also walks the interface's address list
// (quadratic in a burst: 1,000 /32s on one veth ≈ 80 ms, 2,000 ≈ 240 ms on this VM). `ip addr` does not
// list them; `ip route show table local` does.
// Contract: the socket is opened inside `netns` (a /run/netns file) by a short-lived thread that joins
// it, so the calling threads' namespaces never change; `interface` (needed by bring_up() only; empty: lo)
// must exist there. Not thread-safe (the owner serialises calls; a second instance has its own socket). Throws std::runtime_error naming the namespace, the interface and the first
// address the kernel refused; addresses of the batch before it stay added (the caller undoes them).
// Cost: one sendmsg of N * 44 bytes and N acknowledgements per call.
// bring_up() also configures a fresh namespace's interface (links up, its own address, default route) in
// one exchange.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hearth::net {

class NetlinkAddresses {
 public:
  explicit NetlinkAddresses(const std::string& netns, const std::string& interface = "");
  ~NetlinkAddresses();
  NetlinkAddresses(const NetlinkAddresses&) = delete;
  NetlinkAddresses& operator=(const NetlinkAddresses&) = delete;

  void add(const std::vector<std::uint32_t>& addresses, int prefix_len = 32) { change(addresses, prefix_len, true); }
  void remove(const std::vector<std::uint32_t>& addresses, int prefix_len = 32) { change(addresses, prefix_len, false); }
  // lo up: the local routes of add() need it (a new namespace's lo is down).
  void loopback_up();
  // A new namespace's first configuration in one exchange: `lo` and the interface up, `address`/`prefix_len`
  // on the interface, a default route via `gateway` (all host order).
  void bring_up(std::uint32_t address, int prefix_len, std::uint32_t gateway);

 private:
  void change(const std::vector<std::uint32_t>& addresses, int prefix_len, bool add);
  // Sends `count` requests at once and reads every acknowledgement; throws with what(seq) of the first refused.
  void exchange(const void* requests, std::size_t bytes, std::size_t count, const std::function<std::string(std::uint32_t)>& what);
  std::string where_;
  int fd_ = -1;
  int ifindex_ = 0;
  std::uint32_t seq_ = 1;
};

}  // namespace hearth::net
