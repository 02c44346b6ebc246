// NftPins: adds and removes Particle's pinning elements (docs/network.md) in the `table ip hearth` of one
// network namespace with one nfnetlink transaction per call, instead of an `nft -f` process that parses a
// script and resolves every cgroup path: the burst path of container_network.h.
// Per container two elements: `cg` maps its cgroup v2 directory's id (the directory's inode number, as
// `nft` resolves a `cgroupsv2` path) to its mark, `addr` maps the mark to its IPv4 address.
// Contract: the socket is opened inside `netns` (a /run/netns file; netlink_socket.h), so the calling
// threads' namespaces never change; the table and both maps must exist there when add/remove is called. Not
// thread-safe (the owner serialises calls). A call is one transaction (BATCH_BEGIN ... BATCH_END): all its
// elements or none; it throws std::runtime_error naming the namespace, the map and the kernel's error.
// Cost: one sendmsg of ~80 bytes per container and one acknowledgement per 256 containers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::net {

struct Pin {
  std::uint64_t cgroup_id = 0;  // inode number of the container's cgroup v2 directory
  std::uint32_t mark = 0;       // the container's id (non-zero)
  std::uint32_t address = 0;    // host order
};

class NftPins {
 public:
  NftPins(const std::string& netns, std::string table = "hearth");
  ~NftPins();
  NftPins(const NftPins&) = delete;
  NftPins& operator=(const NftPins&) = delete;

  void add(const std::vector<Pin>& pins) { change(pins, true); }
  void remove(const std::vector<Pin>& pins) { change(pins, false); }

  // The id `socket cgroupv2` matches for a cgroup v2 directory (its inode number); throws naming the path.
  static std::uint64_t cgroup_id(const std::string& directory);

 private:
  void change(const std::vector<Pin>& pins, bool add);
  std::string where_, table_;
  int fd_ = -1;
  std::uint32_t seq_ = 1;
};

}  // namespace hearth::net
