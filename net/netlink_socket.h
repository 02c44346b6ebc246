// Netlink sockets in a network namespace, a message builder, and one request/acknowledgement exchange on
// them: what netlink_addresses.h and named_netns.h (rtnetlink) and nft_pins.h (nfnetlink) share.
// Contract: netlink_socket_in() opens the socket from a short-lived thread that joins `netns` (a
// /run/netns file), so the calling threads' namespaces never change; it resolves `interface` there too
// (0 when empty). netlink_exchange() sends all requests in one sendmsg and reads answers until `count`
// came (after an error, until the kernel has been silent for 200 ms: a failed nfnetlink transaction need
// not answer every message); it returns the first refusal as "what(seq) in <where>: <reason>", "" if none,
// and throws std::runtime_error on a socket error or when nothing answers for 10 s.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace hearth::net {

// Netlink messages in one buffer: begin() a message with its family header (ifinfomsg, nfgenmsg, ...),
// attributes, nested attributes closed by length, end() it; bytes() is what to send.
class NetlinkMessages {
 public:
  template <class FamilyHeader>
  std::size_t begin(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const FamilyHeader& family) {
    const std::size_t at = begin_header(type, flags, seq);
    put(&family, sizeof family);
    return at;
  }
  void end(std::size_t message);
  void attr(std::uint16_t type, const void* data, std::size_t len);
  template <class T>
  void put_struct(const T& value) { put(&value, sizeof value); }  // a nested ifinfomsg (VETH_INFO_PEER)
  void string(std::uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  std::size_t nest(std::uint16_t type);
  void close(std::size_t nest);
  const std::string& bytes() const { return buf_; }

 private:
  std::size_t begin_header(std::uint16_t type, std::uint16_t flags, std::uint32_t seq);
  void put(const void* data, std::size_t len);
  std::string buf_;
};

int netlink_socket_in(const std::string& netns, int protocol, const std::string& interface = "", int* ifindex = nullptr);

std::string netlink_exchange(int fd, const void* requests, std::size_t bytes, std::size_t count, const std::string& where,
                             const std::function<std::string(std::uint32_t seq)>& what);

}  // namespace hearth::net
