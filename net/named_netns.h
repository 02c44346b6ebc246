// Named network namespaces made in-process, as `ip netns add NAME` makes them (iproute2's netns.c), without
// starting `ip`: /run/netns made a shared mount (once; so that the name is seen from other mount
// namespaces), an empty file /run/netns/NAME, and a new network namespace bind-mounted on it by a
// short-lived thread that unshares its own (the calling threads' namespaces never change).
// `ip netns del NAME` (or remove_named_netns) removes one. Root only (CAP_SYS_ADMIN). Throws
// std::runtime_error naming the step and the path; a failed create leaves nothing behind.
// Cost: one thread, one unshare and one bind mount (~1 ms), against a fork + exec of `ip`.
// create_veth_into() is `ip link add HOST type veth peer name PEER netns NS; ip link set HOST master
// BRIDGE up` as one rtnetlink exchange from this process (netlink_socket.h).
#pragma once

#include <string>

namespace hearth::net {

// Creates /run/netns/<name>; returns that path. Throws when the name exists already.
std::string create_named_netns(const std::string& name);

// A veth pair: `host_name` in this process's namespace, on `bridge` and up; `peer_name` in the namespace
// file `netns` (down: its owner configures it). Throws naming the step and the kernel's reason.
void create_veth_into(const std::string& host_name, const std::string& bridge, const std::string& netns, const std::string& peer_name);

}  // namespace hearth::net
