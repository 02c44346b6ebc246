// ContainerNetworks: real networking for live containers (issue 14, Particle; docs/network.md). Three modes:
//   kNone          no interfaces: a sandbox keeps its own network namespace with only loopback (the default);
//   kPerContainer  the baseline: a network namespace per container with a veth pair to a host bridge, an
//                  address each, NAT for egress;
//   kParticle      Particle (seed 001, Ch. 3): one namespace per tenant (OpenWhisk namespace) with one veth
//                  pair to the bridge; each container gets a secondary /32 address on the tenant's eth0, and
//                  its traffic is pinned to that address by nftables in the tenant namespace: new connections
//                  from the container's cgroup v2 directory (`socket cgroupv2`) get a conntrack mark, and the
//                  mark selects the source address in a SNAT map; unmarked traffic leaving eth0 is dropped.
// Both modes: the host bridge holds the subnet's first address (the gateway; a server for functions binds
// it), egress to other interfaces is masqueraded, and a bridge-family nftables table drops traffic between
// bridge ports of different tenants (`isolate_tenants`, on by default).
// Everything created — bridge, veths, namespaces (/run/netns), nftables tables, cgroup v2 directories — is
// named with `prefix` (unique per instance: default "h<pid hex><letter>") and removed by the destructor,
// also when the constructor fails half-way; what a killed process left is swept by the next instance
// (remove_orphans()), which tells a live owner from a dead one whose pid was reused by the owner record
// each instance keeps while it runs (/run/hearth-networks/<prefix>). Addresses come from a bounded pool (`max_addresses`, never more
// than the subnet holds); attach() throws when the pool is exhausted.
// Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN in the initial namespaces), /usr/sbin/ip and /usr/sbin/nft
// (Debian's iproute2 and nftables) and, for kParticle, a cgroup v2 hierarchy mounted below /sys/fs/cgroup
// next to the v1 one (e.g. /sys/fs/cgroup/unified): supported() says why not.
// Cost: attach() of a burst in kParticle is one rtnetlink exchange per tenant for the addresses
// (netlink_addresses.h), concurrent with one nfnetlink transaction per tenant for the pins (nft_pins.h)
// and one mkdir per container beyond the spares; a new tenant adds its namespace (in-process), veth and
// interface configuration (two rtnetlink exchanges), one `nft -f` for its pinning table and one host
// `nft -f` for the burst's isolation sets, all concurrent. In kPerContainer 1 + N `ip -batch` processes
// and one `nft -f`. Thread-safe (one mutex: configuration changes are serialised).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::net {

enum class NetworkMode { kNone, kPerContainer, kParticle };

// "none", "per-container", "particle"; nullopt for anything else.
std::optional<NetworkMode> parse_network_mode(std::string_view name);
const char* network_mode_name(NetworkMode mode);

struct NetworkConfig {
  NetworkMode mode = NetworkMode::kParticle;
  std::string prefix;                  // empty: "h<pid hex><letter>"; at most 8 characters [a-z0-9]
  std::string subnet = "10.231.0.0/16";  // IPv4, prefix length 16..28
  int max_addresses = 4096;            // containers + tenants at once (bounded by the subnet too)
  bool isolate_tenants = true;         // drop traffic between different tenants' bridge ports
  bool egress_nat = true;              // masquerade traffic leaving the subnet (sets net.ipv4.ip_forward=1)
  // kParticle: cgroup v2 directories made at start and kept ready, so a burst does not make its own
  // (a released container's empty directory goes back); a burst larger than the spares makes the rest.
  int spare_cgroups = 1024;
};

// What a container needs to join its network (sandbox/sandbox.h: SandboxSpec::netns, net_cgroup).
struct NetworkAttachment {
  std::uint64_t id = 0;
  std::string tenant;
  std::string netns;       // /run/netns/<name>: the namespace the container's supervisor joins
  std::string address;     // the container's own IPv4 address (dotted)
  std::string net_cgroup;  // kParticle: the cgroup v2 directory the supervisor must join before any socket
  std::uint64_t net_cgroup_id = 0;  // kParticle: that directory's id (its inode number: the pin's key)
};

class ContainerNetworks {
 public:
  // Records its owner (/run/hearth-networks/<prefix>, an empty file made first and removed last), creates
  // the bridge and the host's nftables table; throws std::runtime_error naming what failed (the config
  // error, a prefix whose record exists, or the tool's message) after removing what it had created.
  explicit ContainerNetworks(NetworkConfig config);
  ~ContainerNetworks();
  ContainerNetworks(const ContainerNetworks&) = delete;
  ContainerNetworks& operator=(const ContainerNetworks&) = delete;

  // Makes the network of one container per entry of `tenants` ready (a burst); the result is in the same
  // order. Throws std::runtime_error (nothing of the burst is left configured) when the pool is exhausted,
  // a tenant name is empty, or a tool fails.
  std::vector<NetworkAttachment> attach(const std::vector<std::string>& tenants);
  NetworkAttachment attach(const std::string& tenant) { return attach(std::vector<std::string>{tenant}).front(); }
  // Removes a container's network (its address, mark, cgroup directory or namespace and veth); its
  // processes must have ended. Never throws; failures are reported on stderr.
  void release(const NetworkAttachment& attachment);

  const NetworkConfig& config() const { return config_; }
  const std::string& prefix() const { return config_.prefix; }
  const std::string& bridge() const { return bridge_; }
  const std::string& gateway() const { return gateway_; }  // the bridge's address
  std::string tenant_netns(const std::string& tenant) const;  // kParticle: the tenant's namespace file; "" if none
  std::size_t addresses_in_use() const;

  // Removes what instances with a default prefix ("h<pid hex><letter>") left behind when their process
  // was killed (no destructor ran): links, /run/netns entries, nftables tables, cgroup v2 directories and
  // owner records whose owner is gone — its prefix's pid runs no process, or one that started more than
  // 1 s after the prefix's owner record was made (a reused pid; sandbox/owner_process.h's rule; a prefix
  // without a record is judged by its pid alone). Called by the constructor; returns the number of
  // prefixes swept. A process whose pid is not visible here (another PID namespace on the same network)
  // looks dead: run one platform per host network namespace.
  static std::size_t remove_orphans();

  // Whether this process can build networks in `mode` (kNone: always); `why` says why not.
  static bool supported(NetworkMode mode, std::string* why);

 private:
  struct Tenant {
    int index = 0;
    std::string netns_name;  // also its host-side veth's name
    std::uint32_t address = 0;
    int containers = 0;
    bool made = false;       // kParticle: its namespace was created by this instance (removed by it)
    std::shared_ptr<class NetlinkAddresses> addresses;  // kParticle: the containers' /32s on its eth0
    std::shared_ptr<class NftPins> pins;                // kParticle: its pinning maps
  };
  std::uint32_t take_address();            // throws when the pool is exhausted
  void give_back(std::uint32_t address);
  Tenant& tenant_for(const std::string& name, std::vector<std::string>* created, std::string* host_nft);
  void teardown() noexcept;

  NetworkConfig config_;
  std::string bridge_, gateway_, cgroup_root_;
  std::uint32_t network_ = 0;
  int prefix_len_ = 0;
  std::uint32_t first_host_ = 0, last_host_ = 0;
  mutable std::mutex mu_;
  std::set<std::uint32_t> free_;           // addresses returned, reused first
  std::uint32_t next_address_ = 0;         // next never-used address
  std::size_t in_use_ = 0;
  std::uint64_t next_id_ = 1;
  int next_tenant_ = 1;
  std::map<std::string, Tenant> tenants_;
  std::map<std::uint64_t, std::string> per_container_ns_;  // kPerContainer: live namespaces by id
  std::vector<std::pair<std::string, std::uint64_t>> spare_cgroups_;  // kParticle: ready, empty cgroup v2 directories, ids
  std::uint64_t next_cgroup_ = 1;
  std::string new_cgroup_path() { return cgroup_root_ + "/g" + std::to_string(next_cgroup_++); }
  bool bridge_created_ = false, host_table_created_ = false, bridge_table_created_ = false;
  std::string owner_record_;  // /run/hearth-networks/<prefix> once this instance made it (removed last)
};

std::string format_ipv4(std::uint32_t address);
// The `index`-th of `count` equal parts of `subnet` (a.b.c.d/len; the parts' length is len + ceil(log2
// count)), so that several invokers on one host get bridges with disjoint subnets; `subnet` itself when
// count <= 1. Throws std::invalid_argument when malformed or when a part would be longer than /28.
std::string split_subnet(const std::string& subnet, int index, int count);
// Parses "a.b.c.d/len"; nullopt if malformed.
std::optional<std::pair<std::uint32_t, int>> parse_ipv4_cidr(std::string_view text);

}  // namespace hearth::net
