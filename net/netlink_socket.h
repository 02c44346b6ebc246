// Netlink sockets in a network namespace, and one request/acknowledgement exchange on them: what
// netlink_addresses.h (rtnetlink) and nft_pins.h (nfnetlink) share.
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

int netlink_socket_in(const std::string& netns, int protocol, const std::string& interface = "", int* ifindex = nullptr);

std::string netlink_exchange(int fd, const void* requests, std::size_t bytes, std::size_t count, const std::string& where,
                             const std::function<std::string(std::uint32_t seq)>& what);

}  // namespace hearth::net
