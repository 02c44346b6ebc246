#include "net/container_network.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "net/host_command.h"
#include "net/netlink_addresses.h"
#include "net/named_netns.h"
#include "net/nft_pins.h"
#include "sandbox/owner_process.h"

namespace hearth::net {
namespace {

constexpr const char* kIp = "/usr/sbin/ip";
constexpr const char* kNft = "/usr/sbin/nft";
constexpr const char* kCgroupFs = "/sys/fs/cgroup";
// One empty file per live instance, named after its prefix and made before any of its objects: its mtime
// tells the orphan sweep when the prefix was taken (OwnerJudge). /run is a tmpfs: gone with the
// namespaces and links at a reboot.
constexpr const char* kOwnerRecords = "/run/hearth-networks";

std::string owner_record_path(const std::string& prefix) { return std::string(kOwnerRecords) + "/" + prefix; }

void must(const HostCommandResult& r, const std::string& what) {
  if (!r.ok) throw std::runtime_error("network: " + what + ": " + r.error);
}

void ip_batch(const std::string& script, const std::string& what, const std::string& netns_name = "") {
  std::vector<std::string> argv = {kIp};
  if (!netns_name.empty()) argv.insert(argv.end(), {"-n", netns_name});
  argv.insert(argv.end(), {"-batch", "-"});
  must(run_host_command(argv, script), what);
}

void nft_script(const std::string& script, const std::string& what, const std::string& netns_path = "") {
  must(run_host_command({kNft, "-f", "-"}, script, netns_path), what);
}

// Best effort (teardown, release): reports on stderr.
void try_command(const std::vector<std::string>& argv, const std::string& script, const std::string& what,
                 const std::string& netns_path = "") {
  const HostCommandResult r = run_host_command(argv, script, netns_path);
  if (!r.ok) std::fprintf(stderr, "hearth network: %s: %s\n", what.c_str(), r.error.c_str());
}

// The cgroup v2 hierarchy's mount point below /sys/fs/cgroup (hybrid hosts: /sys/fs/cgroup/unified); "" if
// there is none. A v2-only host (/sys/fs/cgroup itself) returns "": its containers' v2 cgroups are their
// resource cgroups (sandbox/cgroup.h), which the pinning does not use yet.
std::string cgroup2_mount() {
  std::ifstream in("/proc/self/mounts");
  std::string dev, mnt, type, rest;
  while (in >> dev >> mnt >> type && std::getline(in, rest))
    if (type == "cgroup2" && mnt.rfind(std::string(kCgroupFs) + "/", 0) == 0) return mnt;
  return "";
}

std::string netns_path(const std::string& name) { return "/run/netns/" + name; }

// Runs tasks on threads of their own; join() waits for all and rethrows the first one's error (as
// std::runtime_error with its message). The destructor joins too (a throwing caller never leaks a thread).
class Concurrent {
 public:
  void run(std::function<void()> f) {
    threads_.emplace_back([this, f = std::move(f)] {
      try {
        f();
      } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        if (error_.empty()) error_ = e.what();
      }
    });
  }
  void join() {
    wait();
    if (!error_.empty()) throw std::runtime_error(error_);
  }
  ~Concurrent() { wait(); }

 private:
  void wait() {
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::string error_;
};

std::string tenant_set(int index) { return "t" + std::to_string(index); }

bool valid_tenant(const std::string& t) {
  if (t.empty() || t.size() > 256) return false;
  for (char c : t)
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') return false;
  return true;
}

}  // namespace

std::optional<NetworkMode> parse_network_mode(std::string_view name) {
  if (name == "none") return NetworkMode::kNone;
  if (name == "per-container") return NetworkMode::kPerContainer;
  if (name == "particle") return NetworkMode::kParticle;
  return std::nullopt;
}

const char* network_mode_name(NetworkMode mode) {
  switch (mode) {
    case NetworkMode::kNone: return "none";
    case NetworkMode::kPerContainer: return "per-container";
    case NetworkMode::kParticle: return "particle";
  }
  return "?";
}

std::string format_ipv4(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) + "." +
         std::to_string(a & 255);
}

std::optional<std::pair<std::uint32_t, int>> parse_ipv4_cidr(std::string_view text) {
  std::uint32_t address = 0;
  std::size_t at = 0;
  for (int part = 0; part < 4; ++part) {
    std::size_t digits = 0;
    std::uint32_t v = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' && digits < 3) v = v * 10 + static_cast<std::uint32_t>(text[at++] - '0'), ++digits;
    if (digits == 0 || v > 255) return std::nullopt;
    address = address << 8 | v;
    const char want = part < 3 ? '.' : '/';
    if (at >= text.size() || text[at] != want) return std::nullopt;
    ++at;
  }
  int len = 0;
  std::size_t digits = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9' && digits < 2) len = len * 10 + (text[at++] - '0'), ++digits;
  if (digits == 0 || at != text.size() || len > 32) return std::nullopt;
  return std::make_pair(address, len);
}

std::string split_subnet(const std::string& subnet, int index, int count) {
  if (count <= 1) return subnet;
  const auto cidr = parse_ipv4_cidr(subnet);
  if (!cidr) throw std::invalid_argument("network: subnet '" + subnet + "' is not an IPv4 a.b.c.d/len");
  int bits = 0;
  while ((1 << bits) < count) ++bits;
  const int len = cidr->second + bits;
  if (len > 28)
    throw std::invalid_argument("network: subnet '" + subnet + "' is too small to split among " + std::to_string(count) + " invokers");
  const std::uint32_t part = cidr->first + (static_cast<std::uint32_t>(index) << (32 - len));
  return format_ipv4(part) + "/" + std::to_string(len);
}

namespace {

// Splits a name made by an instance with a default prefix ("h<pid hex><letter>", then for an object
// "br", "t<digits>" or "c<digits>"): its prefix and pid. Hex digits a-f are letters too, so every split
// point is tried. nullopt when the name is not of that shape.
std::optional<std::pair<std::string, pid_t>> default_prefix_of(const std::string& name, bool object) {
  if (name.size() < 3 || name[0] != 'h') return std::nullopt;
  for (std::size_t letter = 2; letter < name.size() && letter <= 7; ++letter) {
    if (name[letter] < 'a' || name[letter] > 'z') continue;
    pid_t pid = 0;
    bool hex = true;
    for (std::size_t k = 1; k < letter && hex; ++k) {
      const char c = name[k];
      hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      pid = pid * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
    }
    const std::string rest = name.substr(letter + 1);
    const bool shape = !object ? rest.empty()
                               : rest == "br" || (rest.size() >= 2 && (rest[0] == 't' || rest[0] == 'c') &&
                                                  rest.find_first_not_of("0123456789", 1) == std::string::npos);
    if (hex && shape && pid > 0) return std::make_pair(name.substr(0, letter + 1), pid);
  }
  return std::nullopt;
}

// Judges the owners of names made by instances with a default prefix, each prefix once per sweep: its
// pid's process owns it only if it started no later than the prefix's owner record was made
// (sandbox/owner_process.h), so a killed invoker's pid taken by a younger process hides nothing. A
// prefix without a record (made before records existed) is judged by its pid alone.
class OwnerJudge {
 public:
  // The prefix of a name of ours whose owner is gone; "" otherwise (not ours, or its owner runs).
  std::string dead_prefix(const std::string& name, bool object) {
    const auto owner = default_prefix_of(name, object);
    if (!owner) return "";
    auto it = dead_.find(owner->first);
    if (it == dead_.end())
      it = dead_.emplace(owner->first, !sandbox::owner_alive(owner->second, owner_record_path(owner->first))).first;
    return it->second ? owner->first : "";
  }

 private:
  std::map<std::string, bool> dead_;
};

}  // namespace

std::size_t ContainerNetworks::remove_orphans() {
  OwnerJudge judge;
  std::set<std::string> prefixes;
  std::string links;
  {
    const std::string file = "/tmp/hearth-orphans-" + std::to_string(getpid());
    if (run_host_command({"/bin/sh", "-c", std::string(kIp) + " -o link show > " + file}, "").ok) {
      std::ifstream in(file);
      for (std::string line; std::getline(in, line);) {
        const std::size_t a = line.find(": ");
        if (a == std::string::npos) continue;
        std::string name = line.substr(a + 2, line.find(':', a + 2) - a - 2);
        name = name.substr(0, name.find('@'));
        if (const std::string p = judge.dead_prefix(name, true); !p.empty()) {
          prefixes.insert(p);
          links += "link del " + name + "\n";
        }
      }
    }
    std::filesystem::remove(file);
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = e.path().filename().string();
    if (const std::string p = judge.dead_prefix(name, true); !p.empty()) {
      prefixes.insert(p);
      links += "netns del " + name + "\n";
    }
  }
  if (!links.empty()) try_command({kIp, "-force", "-batch", "-"}, links, "remove orphaned links and namespaces");
  {
    const std::string file = "/tmp/hearth-orphans-" + std::to_string(getpid());
    if (access(kNft, X_OK) == 0 && run_host_command({"/bin/sh", "-c", std::string(kNft) + " list tables > " + file}, "").ok) {
      std::ifstream in(file);
      std::string word, family, name;
      while (in >> word >> family >> name)
        if (word == "table" && (family == "ip" || family == "bridge") && !judge.dead_prefix(name, false).empty()) {
          prefixes.insert(name);
          try_command({kNft, "delete", "table", family, name}, "", "delete orphaned table " + family + " " + name);
        }
    }
    std::filesystem::remove(file);
  }
  if (const std::string mount = cgroup2_mount(); !mount.empty())
    for (const auto& e : std::filesystem::directory_iterator(mount, ec)) {
      const std::string name = e.path().filename().string();
      if (!e.is_directory() || judge.dead_prefix(name, false).empty()) continue;
      prefixes.insert(name);
      for (const auto& c : std::filesystem::directory_iterator(e.path(), ec))
        if (c.is_directory()) rmdir(c.path().c_str());
      rmdir(e.path().c_str());
    }
  // Last, the records: a sweep that stopped half-way still knows whose the remaining objects were.
  for (const auto& e : std::filesystem::directory_iterator(kOwnerRecords, ec)) {
    const std::string name = e.path().filename().string();
    if (judge.dead_prefix(name, false).empty()) continue;
    prefixes.insert(name);
    std::filesystem::remove(e.path(), ec);
  }
  return prefixes.size();
}

bool ContainerNetworks::supported(NetworkMode mode, std::string* why) {
  const auto no = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  if (mode == NetworkMode::kNone) return true;
  if (geteuid() != 0) return no("container networks need root (CAP_NET_ADMIN and CAP_SYS_ADMIN on the host)");
  if (access(kIp, X_OK) != 0) return no(std::string(kIp) + " is missing (Debian's iproute2)");
  if (access(kNft, X_OK) != 0) return no(std::string(kNft) + " is missing (Debian's nftables; scripts/setup installs it)");
  if (mode == NetworkMode::kParticle && cgroup2_mount().empty())
    return no("particle pins each container's traffic by its cgroup v2 directory, and no cgroup v2 hierarchy is mounted below /sys/fs/cgroup next to the v1 one (a v2-only host is not supported yet)");
  return true;
}

ContainerNetworks::ContainerNetworks(NetworkConfig config) : config_(std::move(config)) {
  if (config_.mode == NetworkMode::kNone) throw std::invalid_argument("network: mode none has no networks to build");
  std::string why;
  if (!supported(config_.mode, &why)) throw std::runtime_error(std::string("network ") + network_mode_name(config_.mode) + ": " + why);
  remove_orphans();
  if (config_.prefix.empty()) {
    static std::atomic<int> instance{0};
    char buf[16];
    std::snprintf(buf, sizeof buf, "h%x%c", static_cast<unsigned>(getpid()) & 0xffffff, 'a' + instance++ % 26);
    config_.prefix = buf;
  }
  if (config_.prefix.size() > 8) throw std::invalid_argument("network: prefix '" + config_.prefix + "' is longer than 8 characters");
  for (char c : config_.prefix)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      throw std::invalid_argument("network: prefix '" + config_.prefix + "' may hold only a-z and 0-9");
  const auto cidr = parse_ipv4_cidr(config_.subnet);
  if (!cidr) throw std::invalid_argument("network: subnet '" + config_.subnet + "' is not an IPv4 a.b.c.d/len");
  prefix_len_ = cidr->second;
  if (prefix_len_ < 16 || prefix_len_ > 28)
    throw std::invalid_argument("network: subnet '" + config_.subnet + "' must have a prefix length from 16 to 28");
  const std::uint32_t mask = ~0u << (32 - prefix_len_);
  if ((cidr->first & ~mask) != 0)
    throw std::invalid_argument("network: subnet '" + config_.subnet + "' has host bits set (network address " +
                                format_ipv4(cidr->first & mask) + ")");
  if (config_.max_addresses < 1) throw std::invalid_argument("network: the address pool must hold at least 1 address");
  network_ = cidr->first;
  gateway_ = format_ipv4(network_ + 1);
  first_host_ = network_ + 2;
  last_host_ = (network_ | ~mask) - 1;
  next_address_ = first_host_;
  bridge_ = config_.prefix + "br";
  try {
    // Each object is marked for teardown only once this instance has created it: a name that exists
    // already (another instance's, a leftover) fails here and is never removed by this one.
    const std::string record = owner_record_path(config_.prefix);
    if (mkdir(kOwnerRecords, 0755) != 0 && errno != EEXIST)
      throw std::runtime_error(std::string("network: mkdir ") + kOwnerRecords + ": " + std::strerror(errno));
    const int fd = ::open(record.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
      throw std::runtime_error("network: cannot record the owner of prefix '" + config_.prefix + "' in " + record + ": " +
                               std::strerror(errno) + (errno == EEXIST ? " (another instance uses the prefix, or one that was killed did: remove the file if no process does)" : ""));
    ::close(fd);
    owner_record_ = record;
    if (config_.mode == NetworkMode::kParticle) {
      const std::string mount = cgroup2_mount();
      const std::string root = mount + "/" + config_.prefix;
      if (mkdir(root.c_str(), 0755) != 0) throw std::runtime_error("network: mkdir " + root + ": " + std::strerror(errno));
      cgroup_root_ = root;
      for (int i = 0; i < config_.spare_cgroups; ++i) {
        std::string dir = new_cgroup_path();
        if (mkdir(dir.c_str(), 0755) != 0) throw std::runtime_error("network: mkdir " + dir + ": " + std::strerror(errno));
        const std::uint64_t id = NftPins::cgroup_id(dir);  // the pin's key, known before any burst
        spare_cgroups_.emplace_back(std::move(dir), id);
      }
    }
    ip_batch("link add " + bridge_ + " type bridge\n", "create the bridge " + bridge_);
    bridge_created_ = true;
    ip_batch("addr add " + gateway_ + "/" + std::to_string(prefix_len_) + " dev " + bridge_ + "\nlink set " + bridge_ + " up\n",
             "give the bridge " + bridge_ + " the address " + gateway_ + "/" + std::to_string(prefix_len_));
    nft_script("create table ip " + config_.prefix + "\n", "create the host table ip " + config_.prefix);
    host_table_created_ = true;
    const std::string net = format_ipv4(network_) + "/" + std::to_string(prefix_len_);
    std::string nat = "add chain ip " + config_.prefix + " post { type nat hook postrouting priority srcnat; policy accept; }\n";
    if (config_.egress_nat)
      nat += "add rule ip " + config_.prefix + " post ip saddr " + net + " oifname != \"" + bridge_ + "\" masquerade\n";
    nft_script(nat, "add egress NAT to the host table ip " + config_.prefix);
    nft_script("create table bridge " + config_.prefix + "\n", "create the tenant isolation table bridge " + config_.prefix);
    bridge_table_created_ = true;
    std::string isolation = "add chain bridge " + config_.prefix + " isolate { type filter hook forward priority filter; policy accept; }\n";
    if (config_.isolate_tenants)
      isolation += "add rule bridge " + config_.prefix + " isolate iifname \"" + config_.prefix + "*\" oifname \"" + config_.prefix + "*\" drop\n";
    nft_script(isolation, "fill the tenant isolation table bridge " + config_.prefix);
    if (config_.egress_nat) {
      std::ofstream f("/proc/sys/net/ipv4/ip_forward");
      if (!(f << "1\n")) throw std::runtime_error("network: cannot set net.ipv4.ip_forward=1 for egress NAT");
    }
  } catch (...) {
    teardown();
    throw;
  }
}

ContainerNetworks::~ContainerNetworks() { teardown(); }

void ContainerNetworks::teardown() noexcept {
  std::lock_guard lock(mu_);
  std::string links;
  for (const auto& [id, name] : per_container_ns_) links += "link del " + name + "\nnetns del " + name + "\n";
  for (const auto& [name, t] : tenants_)
    if (t.made) links += "link del " + t.netns_name + "\nnetns del " + t.netns_name + "\n";
  if (bridge_created_) links += "link del " + bridge_ + "\n";
  if (!links.empty()) try_command({kIp, "-force", "-batch", "-"}, links, "remove the network's interfaces and namespaces");
  if (host_table_created_) try_command({kNft, "delete", "table", "ip", config_.prefix}, "", "delete the table ip " + config_.prefix);
  if (bridge_table_created_)
    try_command({kNft, "delete", "table", "bridge", config_.prefix}, "", "delete the table bridge " + config_.prefix);
  if (!cgroup_root_.empty()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(cgroup_root_, ec))
      if (e.is_directory()) rmdir(e.path().c_str());
    spare_cgroups_.clear();
    if (rmdir(cgroup_root_.c_str()) != 0 && errno != ENOENT)
      std::fprintf(stderr, "hearth network: rmdir %s: %s\n", cgroup_root_.c_str(), std::strerror(errno));
  }
  if (!owner_record_.empty() && ::unlink(owner_record_.c_str()) != 0 && errno != ENOENT)
    std::fprintf(stderr, "hearth network: remove %s: %s\n", owner_record_.c_str(), std::strerror(errno));
  owner_record_.clear();
  per_container_ns_.clear();
  tenants_.clear();
  bridge_created_ = host_table_created_ = bridge_table_created_ = false;
}

std::uint32_t ContainerNetworks::take_address() {
  const std::size_t capacity = static_cast<std::size_t>(last_host_ - first_host_ + 1);
  if (in_use_ >= static_cast<std::size_t>(config_.max_addresses) || in_use_ >= capacity)
    throw std::runtime_error("network: the address pool of " + config_.subnet + " is exhausted (" + std::to_string(in_use_) +
                             " in use, at most " + std::to_string(std::min<std::size_t>(config_.max_addresses, capacity)) + ")");
  ++in_use_;
  if (!free_.empty()) {
    const std::uint32_t a = *free_.begin();
    free_.erase(free_.begin());
    return a;
  }
  return next_address_++;
}

void ContainerNetworks::give_back(std::uint32_t address) {
  free_.insert(address);
  --in_use_;
}

std::size_t ContainerNetworks::addresses_in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

std::string ContainerNetworks::tenant_netns(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  const auto it = tenants_.find(tenant);
  if (it == tenants_.end() || config_.mode != NetworkMode::kParticle) return "";
  return netns_path(it->second.netns_name);
}

// A tenant's bridge-port set and accept rule (both modes), appended to `host_nft`; in kParticle its
// namespace, veth, address and pinning table are made by attach(). `created` collects what to undo if the
// burst fails.
ContainerNetworks::Tenant& ContainerNetworks::tenant_for(const std::string& name, std::vector<std::string>* created,
                                                         std::string* host_nft) {
  if (const auto it = tenants_.find(name); it != tenants_.end()) return it->second;
  Tenant t;
  t.index = next_tenant_++;
  t.netns_name = config_.prefix + "t" + std::to_string(t.index);
  const std::string set = tenant_set(t.index);
  *host_nft += "add set bridge " + config_.prefix + " " + set + " { type ifname; }\n";
  if (config_.isolate_tenants)
    *host_nft += "insert rule bridge " + config_.prefix + " isolate iifname @" + set + " oifname @" + set + " accept\n";
  if (config_.mode == NetworkMode::kParticle) {
    t.address = take_address();
    *host_nft += "add element bridge " + config_.prefix + " " + set + " { \"" + t.netns_name + "\" }\n";
  }
  auto& entry = tenants_.emplace(name, t).first->second;  // teardown removes its namespace from here on
  created->push_back(name);
  return entry;
}

std::vector<NetworkAttachment> ContainerNetworks::attach(const std::vector<std::string>& tenants) {
  for (const std::string& t : tenants)
    if (!valid_tenant(t)) throw std::invalid_argument("network: invalid tenant name '" + t + "' (empty, too long or with a quote/control character)");
  std::lock_guard lock(mu_);
  std::vector<NetworkAttachment> out;
  std::vector<std::uint32_t> addresses;
  std::vector<std::string> new_tenants;
  std::string host_nft;
  std::vector<bool> fresh_cgroup;  // kParticle: the directory is to be made (no spare was left)
  try {
    for (const std::string& name : tenants) {
      Tenant& t = tenant_for(name, &new_tenants, &host_nft);
      NetworkAttachment a;
      a.id = next_id_++;
      a.tenant = name;
      const std::uint32_t address = take_address();
      addresses.push_back(address);
      a.address = format_ipv4(address);
      if (config_.mode == NetworkMode::kParticle) {
        a.netns = netns_path(t.netns_name);
        fresh_cgroup.push_back(spare_cgroups_.empty());
        if (!spare_cgroups_.empty()) {
          a.net_cgroup = std::move(spare_cgroups_.back().first);
          a.net_cgroup_id = spare_cgroups_.back().second;
          spare_cgroups_.pop_back();
        } else {
          a.net_cgroup = new_cgroup_path();  // made below
        }
      } else {
        a.netns = netns_path(config_.prefix + "c" + std::to_string(a.id));
      }
      out.push_back(std::move(a));
    }
    if (config_.mode == NetworkMode::kParticle) {
      // The burst's new tenants get their namespaces first (in-process); then at once: (1) their veths
      // and interface configuration (address, default route; two rtnetlink exchanges, named_netns.h),
      // (2) the host's isolation sets (`nft -f`), (3) per tenant the containers' local addresses (one
      // rtnetlink exchange), while this thread makes (4) each new tenant's pinning table (`nft -f`) and
      // pins the containers (one nfnetlink transaction per tenant).
      for (const std::string& name : new_tenants) {
        Tenant& t = tenants_.at(name);
        create_named_netns(t.netns_name);
        t.made = true;
        t.addresses = std::make_shared<NetlinkAddresses>(netns_path(t.netns_name));
        t.pins = std::make_shared<NftPins>(netns_path(t.netns_name));
      }
      std::map<std::string, std::vector<std::uint32_t>> per_tenant;
      for (std::size_t i = 0; i < out.size(); ++i) per_tenant[out[i].tenant].push_back(addresses[i]);
      const std::set<std::string> fresh(new_tenants.begin(), new_tenants.end());
      Concurrent tasks;
      if (!new_tenants.empty()) {
        tasks.run([&] {
          for (const std::string& name : new_tenants) {
            const Tenant& t = tenants_.at(name);
            create_veth_into(t.netns_name, bridge_, netns_path(t.netns_name), "eth0");
            NetlinkAddresses(netns_path(t.netns_name), "eth0").bring_up(t.address, prefix_len_, network_ + 1);
          }
        });
        tasks.run([&] { nft_script(host_nft, "add the tenants to the isolation table"); });
      }
      tasks.run([&] {
        for (const auto& [tenant, list] : per_tenant) {
          const Tenant& t = tenants_.at(tenant);
          if (fresh.count(tenant)) t.addresses->loopback_up();
          t.addresses->add(list);
        }
      });
      for (const std::string& tenant : new_tenants)
        // Pinning (docs/network.md): a new connection's conntrack mark is its container's id, looked up by
        // the socket's cgroup v2 directory; the mark picks the source address. Traffic of no container: dropped.
        nft_script("table ip hearth {\n"
                   "  map cg { type cgroupsv2 : mark; }\n"
                   "  map addr { type mark : ipv4_addr; }\n"
                   "  chain out {\n    type filter hook output priority filter; policy accept;\n"
                   "    ct state new ct mark set socket cgroupv2 level 2 map @cg\n"
                   "    oifname \"eth0\" ct direction original ct mark 0 drop\n  }\n"
                   "  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n"
                   "    ct mark != 0 snat to ct mark map @addr\n  }\n}\n",
                   "install the pinning table of tenant '" + tenant + "'", netns_path(tenants_.at(tenant).netns_name));
      std::map<std::string, std::vector<Pin>> pins;
      for (std::size_t i = 0; i < out.size(); ++i) {
        const NetworkAttachment& a = out[i];
        if (fresh_cgroup[i]) {
          if (mkdir(a.net_cgroup.c_str(), 0755) != 0) throw std::runtime_error("network: mkdir " + a.net_cgroup + ": " + std::strerror(errno));
          out[i].net_cgroup_id = NftPins::cgroup_id(a.net_cgroup);
        }
        pins[a.tenant].push_back({a.net_cgroup_id, static_cast<std::uint32_t>(a.id), addresses[i]});
      }
      for (const auto& [tenant, list] : pins) tenants_.at(tenant).pins->add(list);
      tasks.join();
    } else {
      if (!host_nft.empty()) nft_script(host_nft, "add tenant '" + new_tenants.front() + "' to the isolation table");
      std::string host, elements;
      for (const NetworkAttachment& a : out) {
        const std::string ns = config_.prefix + "c" + std::to_string(a.id);
        host += "netns add " + ns + "\nlink add " + ns + " type veth peer name eth0 netns " + ns + "\nlink set " + ns +
                " master " + bridge_ + " up\n";
        per_container_ns_[a.id] = ns;
        elements += "add element bridge " + config_.prefix + " " + tenant_set(tenants_.at(a.tenant).index) + " { \"" + ns + "\" }\n";
      }
      ip_batch(host, "create the containers' namespaces and veths");
      for (const NetworkAttachment& a : out)
        ip_batch("link set lo up\nlink set eth0 up\naddr add " + a.address + "/" + std::to_string(prefix_len_) +
                     " dev eth0\nroute add default via " + gateway_ + "\n",
                 "address the namespace of container " + std::to_string(a.id), config_.prefix + "c" + std::to_string(a.id));
      nft_script(elements, "add the containers' ports to their tenants' sets");
    }
    for (const NetworkAttachment& a : out)
      if (config_.mode == NetworkMode::kParticle) ++tenants_.at(a.tenant).containers;
    return out;
  } catch (...) {
    // Undo the burst: its namespaces/veths (per-container), cgroup directories, addresses, and the tenants
    // it created (their isolation sets stay, unused, until teardown).
    std::string links;
    for (const NetworkAttachment& a : out) {
      if (const auto it = per_container_ns_.find(a.id); it != per_container_ns_.end()) {
        links += "link del " + it->second + "\nnetns del " + it->second + "\n";
        per_container_ns_.erase(it);
      }
      if (!a.net_cgroup.empty()) rmdir(a.net_cgroup.c_str());
    }
    if (config_.mode == NetworkMode::kParticle)
      for (std::size_t i = 0; i < out.size(); ++i) {
        const Tenant& t = tenants_.at(out[i].tenant);
        if (!t.addresses) continue;
        try {
          t.addresses->remove({addresses[i]});
        } catch (const std::exception&) {  // not added before the failure
        }
      }
    for (const std::string& name : new_tenants) {  // made for this burst only: removed, made again next time
      const Tenant& t = tenants_.at(name);
      if (config_.mode == NetworkMode::kParticle) {
        if (t.made) links += "link del " + t.netns_name + "\nnetns del " + t.netns_name + "\n";
        give_back(t.address);
      }
      tenants_.erase(name);
    }
    if (!links.empty()) try_command({kIp, "-force", "-batch", "-"}, links, "undo a failed burst");
    for (std::uint32_t a : addresses) give_back(a);
    throw;
  }
}

void ContainerNetworks::release(const NetworkAttachment& a) {
  std::lock_guard lock(mu_);
  const auto t = tenants_.find(a.tenant);
  if (t == tenants_.end()) return;  // torn down already
  const auto parsed = parse_ipv4_cidr(a.address + "/32");
  if (config_.mode == NetworkMode::kParticle) {
    const std::string id = std::to_string(a.id);
    try {
      if (parsed && t->second.pins)
        t->second.pins->remove({{a.net_cgroup_id, static_cast<std::uint32_t>(a.id), parsed->first}});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hearth network: unpin container %s: %s\n", id.c_str(), e.what());
    }
    try {
      if (parsed && t->second.addresses) t->second.addresses->remove({parsed->first});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hearth network: %s\n", e.what());
    }
    // Empty (its processes have ended): kept as a spare while there are too few, else removed.
    std::ifstream events(a.net_cgroup + "/cgroup.events");
    std::string key, value;
    bool populated = true;
    while (events >> key >> value)
      if (key == "populated") populated = value != "0";
    if (!populated && spare_cgroups_.size() < static_cast<std::size_t>(std::max(0, config_.spare_cgroups)))
      spare_cgroups_.emplace_back(a.net_cgroup, a.net_cgroup_id);
    else if (rmdir(a.net_cgroup.c_str()) != 0 && errno != ENOENT)
      std::fprintf(stderr, "hearth network: rmdir %s: %s\n", a.net_cgroup.c_str(), std::strerror(errno));
    --t->second.containers;
  } else if (const auto it = per_container_ns_.find(a.id); it != per_container_ns_.end()) {
    try_command({kIp, "-force", "-batch", "-"}, "link del " + it->second + "\nnetns del " + it->second + "\n",
                "remove the namespace of container " + std::to_string(a.id));
    try_command({kNft, "delete", "element", "bridge", config_.prefix, tenant_set(t->second.index), "{ \"" + it->second + "\" }"}, "",
                "remove container " + std::to_string(a.id) + " from its tenant's set");
    per_container_ns_.erase(it);
  }
  if (parsed) give_back(parsed->first);
}

}  // namespace hearth::net
